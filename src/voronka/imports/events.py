"""The events the imports app publishes (after commit, through voronka.lib.bus)."""

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportQueued:
    """import.queued — an import (or its check) waits for the task worker."""

    job_id: int
    actor_id: int | None


@dataclass(frozen=True, kw_only=True, slots=True)
class ImportFinished:
    """import.finished — an import (or its check) ended; the job holds the counts."""

    job_id: int
    status: str
    actor_id: int | None
