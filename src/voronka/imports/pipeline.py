"""The CPU half of an import: cells -> service arguments -> rows cleaned by the CRM's rules.

Normalising a phone takes ~15 µs and checking an e-mail ~33 µs, so on a machine with two cores
this half runs in a worker process while the main process writes the previous batch. Nothing here
touches the database: the worker gets everything it needs (`State`) when it starts, and a forked
worker never uses the parent's database connection.
"""

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.utils import translation

from voronka.crm.services import bulk
from voronka.imports import values
from voronka.lib.errors import DomainError


@dataclass
class State:
    """What converting rows needs; set once per worker."""

    directory: values.Directory
    context: bulk.BulkContext
    targets: list[tuple[int, str, str]]
    language: str = "en"


@dataclass
class Ready:
    """A row cleaned and ready for the batch's writes."""

    number: int
    prepared: bulk.Prepared
    columns: dict[str, str]  # argument -> header; shared by rows with the same columns: never changed
    names: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Failed:
    """A row that cannot be imported, and why (by column)."""

    number: int
    reason: str
    warnings: list[str] = field(default_factory=list)


Outcome = Ready | Failed | None  # None: a blank row

_state: State | None = None


def process(state: State, chunk: list[tuple[int, list[Any]]]) -> list[Outcome]:
    """Convert and clean a chunk of (row number, cells)."""
    outcomes: list[Outcome] = []
    waiting: list[tuple[int, values.Converted]] = []
    for number, cells in chunk:
        converted = values.convert(state.directory, state.targets, number, cells)
        if converted is None:
            outcomes.append(None)
        elif converted.input is None:
            outcomes.append(Failed(number, converted.error, converted.warnings))
        else:
            waiting.append((len(outcomes), converted))
            outcomes.append(None)
    prepared = bulk.prepare(state.context, [c.input for _i, c in waiting])
    # Rows of a file mostly fill the same columns: one shared (read-only) dict per set of columns
    # is pickled once per chunk on its way to the writer, not once per row.
    shared: dict[tuple, dict[str, str]] = {}
    for (position, converted), result in zip(waiting, prepared, strict=True):
        number = converted.input.ref
        columns = shared.setdefault(tuple(converted.columns.items()), converted.columns)
        if isinstance(result, bulk.RowResult):
            outcomes[position] = Failed(number, describe(result.error, columns), converted.warnings)
        else:
            outcomes[position] = Ready(number, result, columns, converted.names, converted.warnings)
    return outcomes


def describe(error: DomainError | None, columns: dict[str, str]) -> str:
    """Return a service's refusal as "column: reason; ..." in the file's own column names."""
    if error is None:
        return ""
    details = error.details or {}
    parts = []
    for key, message in details.items():
        if not isinstance(message, str):
            continue
        header = columns.get(key) or columns.get(key.split(".", 1)[0]) or key
        parts.append(f"{header}: {message}")
    if not parts:
        field_name = details.get("field") if isinstance(details.get("field"), str) else ""
        header = columns.get(field_name or "", "")
        return f"{header}: {error.message}" if header else str(error.message)
    return "; ".join(parts)


def _start(state: State) -> None:
    global _state
    _state = state
    translation.activate(state.language)
    QuietCollector()


class QuietCollector:
    """Collect cycles rarely while importing.

    Each batch allocates hundreds of thousands of objects that live until it is written, and with
    the default thresholds the collector scans them again and again; reference counting frees them
    anyway (the rows hold no cycles).
    """

    def __init__(self) -> None:
        self.thresholds = gc.get_threshold()
        gc.freeze()  # what was loaded before the import is never garbage
        gc.set_threshold(100_000, 50, 1000)

    def restore(self) -> None:
        gc.set_threshold(*self.thresholds)
        gc.unfreeze()


def _work(chunk: list[tuple[int, list[Any]]]) -> list[Outcome]:
    assert _state is not None  # noqa: S101 - set by _start
    return process(_state, chunk)


def worker_count(rows: int | None, batch: int) -> int:
    """Return how many worker processes to use: none for small files or a single core."""
    cores = os.cpu_count() or 1
    if cores < 2 or (rows is not None and rows <= 2 * batch):
        return 0
    return min(cores - 1, 3)


def converted(
    chunks: Iterable[list[tuple[int, list[Any]]]], state: State, *, workers: int
) -> Iterator[tuple[list[tuple[int, list[Any]]], list[Outcome]]]:
    """Yield (chunk, outcomes) in order; with workers, the next chunks convert while this one is written."""
    if workers <= 0:
        # The caller's thread: the import's language for the messages only, then the caller's again.
        for chunk in chunks:
            with translation.override(state.language):
                outcomes = process(state, chunk)
            yield chunk, outcomes
        return
    # fork: the worker starts at once and inherits the loaded Django; it never touches the
    # database and exits through os._exit, so the parent's connection is left alone.
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_start, initargs=(state,)) as pool:
        waiting: deque = deque()
        for chunk in chunks:
            waiting.append((chunk, pool.apply_async(_work, (chunk,))))
            if len(waiting) > workers:
                done, result = waiting.popleft()
                yield done, result.get()
        while waiting:
            done, result = waiting.popleft()
            yield done, result.get()
