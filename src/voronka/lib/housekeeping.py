"""Periodic safety nets the task worker runs (`voronka worker`), registered by apps in ready().

A job finds work whose task was lost (a worker killed mid-task) and puts it back on track;
it must be idempotent and quick. The worker runs every job every HOUSEKEEPING_INTERVAL seconds.
"""

import logging
from collections.abc import Callable

from django.db import DatabaseError, close_old_connections

logger = logging.getLogger(__name__)

_jobs: dict[str, Callable[[], object]] = {}


def register(name: str, job: Callable[[], object]) -> None:
    """Add a job (a function without arguments) under a unique name."""
    _jobs[name] = job


def jobs() -> dict[str, Callable[[], object]]:
    return dict(_jobs)


def run_all() -> dict[str, object]:
    """Run every job once; a failing job is logged and the others still run."""
    results: dict[str, object] = {}
    for name, job in _jobs.items():
        try:
            results[name] = job()
        except DatabaseError:
            logger.exception("housekeeping job %s failed", name)
        finally:
            close_old_connections()
    return results
