"""Importing a file: start (or resume) its job, stream its rows through the CRM's batch service.

Rules enforced here:
- a file is known by its SHA-256: running the same file with the same options again resumes its
  unfinished job after the last committed row; a finished import is not repeated unless asked;
- each batch of rows is written in one transaction together with the job's counters, so a killed
  import leaves either the whole batch and its progress or neither (exactly once on re-run);
- every row ends created, merged, skipped or failed; failed rows go to the error report with the
  reason by column; blank rows are passed over;
- a dry run decides every outcome with the same rules but writes no item.
"""

import datetime as dt
import hashlib
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.services import system_user
from voronka.crm.models import Pipeline
from voronka.crm.services import bulk
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.imports import clients, events, mapping, pipeline, readers, values
from voronka.imports.models import ImportJob
from voronka.imports.reports import ErrorReport
from voronka.lib import bus
from voronka.lib.errors import Conflict, DomainError, Invalid
from voronka.webhooks import selectors as webhook_selectors

BATCH = 2000
POLICIES = (DuplicatePolicy.SKIP, DuplicatePolicy.MERGE, DuplicatePolicy.CREATE, DuplicatePolicy.REFUSE)
MAX_WARNINGS = 50


@dataclass
class Options:
    """How to import a file; everything but `errors_path` decides the job's identity."""

    entity: str
    on_duplicate: str = DuplicatePolicy.SKIP
    mapping: dict[str, Any] | None = None
    pipeline_id: int | None = None
    assign_to_id: int | None = None
    encoding: str = ""
    delimiter: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "on_duplicate": str(self.on_duplicate),
            "mapping": self.mapping or {},
            "pipeline": self.pipeline_id,
            "assign_to": self.assign_to_id,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
        }

    def key(self) -> str:
        return hashlib.sha256(
            json.dumps(self.as_json(), sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()


def check_options(options: Options) -> Options:
    """Raise Invalid for an unknown entity, policy, pipeline or user."""
    if options.entity not in ImportJob.Entity.values:
        raise Invalid("import.bad_entity", _("Import leads, deals, contacts or companies."))
    if options.on_duplicate not in [p.value for p in POLICIES]:
        raise Invalid("import.bad_policy", _("On a duplicate: skip, merge or create."))
    if (
        options.pipeline_id is not None
        and not Pipeline.objects.filter(pk=options.pipeline_id, kind="deal").exists()
    ):
        raise Invalid("import.bad_pipeline", _("There is no such deal pipeline."))
    if (
        options.assign_to_id is not None
        and not User.objects.filter(pk=options.assign_to_id, is_active=True, is_system=False).exists()
    ):
        raise Invalid("import.bad_user", _("There is no such active user."))
    return options


@transaction.atomic
def start_import(
    path: Path | str,
    *,
    options: Options,
    actor: User,
    file_name: str = "",
    stored: bool = False,
    dry_run: bool = False,
    again: bool = False,
    errors_path: Path | str | None = None,
) -> ImportJob:
    """Return the job for importing the file: the unfinished one for this file and options, or a new one."""
    check_options(options)
    path = Path(path)
    if not path.is_file():
        raise Invalid("import.no_file", _("There is no file %(path)s.") % {"path": path})
    digest, size = readers.file_digest(path)
    key = options.key()
    if not dry_run:
        same = ImportJob.objects.filter(
            file_sha256=digest, entity=options.entity, options_key=key, is_dry_run=False
        )
        unfinished = same.exclude(status=ImportJob.Status.DONE).order_by("-pk").first()
        if unfinished is not None:
            return unfinished
        done = same.filter(status=ImportJob.Status.DONE).order_by("-pk").first()
        if done is not None and not again:
            raise Conflict(
                "import.already_done",
                _("This file was imported already (import #%(id)s). Import it again on purpose to repeat it.")
                % {"id": done.pk},
                details={"job_id": done.pk},
            )
    job = ImportJob(
        entity=options.entity,
        file_name=(file_name or path.name)[:255],
        file_path=str(path) if stored else "",
        file_sha256=digest,
        file_size=size,
        options=options.as_json(),
        options_key=key,
        is_dry_run=dry_run,
        created_by=actor if actor.pk else None,
    )
    try:
        with transaction.atomic():
            job.save()
    except IntegrityError:
        raise Conflict("import.running", _("This file is being imported right now.")) from None
    job.error_file = str(Path(errors_path) if errors_path else _default_errors_path(job))
    job.save(update_fields=["error_file"])
    return job


def _default_errors_path(job: ImportJob) -> Path:
    return Path(settings.IMPORTS_DIR) / "errors" / f"import-{job.pk}-errors.csv"


def run_import(
    job: ImportJob,
    *,
    path: Path | str,
    actor: User,
    progress: Callable[[ImportJob], None] | None = None,
    workers: int | None = None,
    overlap: bool | None = None,
) -> ImportJob:
    """Import (or check) the file of `job` from where it stopped; return the finished job.

    `workers`: parsing processes (None: by the file's size and the cores); `overlap`: write each
    batch on a thread of its own while the next is staged, where `can_overlap` (None: with workers).
    """
    options = Options(**_options_of(job))
    table = open_file(path, options)
    directory, context, columns = _load(table, options)
    _begin(job, table)
    report = ErrorReport(
        Path(job.error_file),
        headers=table.headers,
        error_header=gettext("Import error"),
        delimiter=table.delimiter or ";",
        size=job.error_bytes,
    )
    state = pipeline.State(
        directory=directory, context=context, targets=columns, language=translation.get_language()
    )
    memory = _KeyMemory() if job.is_dry_run else None
    finder = clients.Finder(actor=actor, create=not job.is_dry_run)
    count = pipeline.worker_count(table.total, BATCH) if workers is None else workers
    overlap = (count > 0 if overlap is None else overlap) and can_overlap(job, options)
    collector = pipeline.QuietCollector()
    writer = _Overlapped(job, report, progress) if overlap else None
    with _unmapped():
        try:
            chunks = _chunks(table.rows(skip=job.rows_done), BATCH)
            for chunk, outcomes in pipeline.converted(chunks, state, workers=count):
                if writer is not None:
                    batch = _stage(
                        job,
                        chunk,
                        outcomes,
                        actor=actor,
                        options=options,
                        memory=None,
                        finder=None,
                        build=True,
                        written=writer.written(),
                    )
                    writer.submit(batch)
                    continue
                _commit(
                    job,
                    chunk,
                    outcomes,
                    actor=actor,
                    options=options,
                    report=report,
                    memory=memory,
                    finder=finder,
                )
                if progress is not None:
                    progress(job)
            if writer is not None:
                writer.close()
        except Exception as error:
            if writer is not None:
                writer.abandon()
            _fail(job, error)
            raise
        finally:
            collector.restore()
            report.close()
            if memory is not None:
                memory.close()
    return _finish(job)


def can_overlap(job: ImportJob, options: Options) -> bool:
    """Whether batches may be written on a connection of their own while the next one is staged.

    PostgreSQL only: its ids come from sequences, so a batch's rows are built before its
    transaction (SQLite allocates them after the highest id, under the write lock). Not for a dry
    run (nothing is written), nor inside a caller's transaction (the batches join it), nor for
    deals and contacts, whose rows may create their clients first (`clients.Finder`).
    """
    return (
        connection.vendor == "postgresql"
        and not job.is_dry_run
        and not connection.in_atomic_block
        and options.entity in ("lead", "company")
    )


class _Overlapped:
    """Writes each batch on a thread of its own while the main thread stages the next one.

    On PostgreSQL the database works on a batch (the COPYs, the triggers, the foreign-key checks
    at commit) for longer than the importer takes to stage it: with one connection the two took
    turns. The thread has its own connection (Django's are per thread); each batch is still one
    transaction with its progress, written in order, one at a time, so a killed import resumes
    as before. The next batch's duplicate control sees the batch being written through
    `Staged.written_index()` (its new items, as the database will hold them); after a batch that
    merges into existing items it waits for that batch's commit and reads the database instead.
    """

    def __init__(
        self, job: ImportJob, report: ErrorReport, progress: Callable[[ImportJob], None] | None
    ) -> None:
        self.job = job
        self.report = report
        self.progress = progress
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-writer")
        self.future: Future | None = None
        self.in_flight: bulk.DuplicateIndex | None = None
        self.closed = False
        self.language = translation.get_language()  # active per thread: the report's reasons in the import's

    def written(self) -> bulk.DuplicateIndex | None:
        """What the next batch's duplicate control must see of the batch being written (None: nothing)."""
        if self.future is not None and self.in_flight is None:
            self.wait()  # the batch merges into existing items: read them from the database
        return self.in_flight

    def submit(self, batch: "_Batch") -> None:
        """Write `batch` once the one before it is committed (its error raised here)."""
        self.wait()
        staged = batch.staged
        self.in_flight = None if staged.merges_existing else staged.written_index()
        self.future = self.executor.submit(self._write, batch)

    def wait(self) -> None:
        future, self.future = self.future, None
        self.in_flight = None
        if future is not None:
            future.result()
            if self.progress is not None:
                self.progress(self.job)

    def close(self) -> None:
        """Wait for the last batch and close the thread's connection."""
        try:
            self.wait()
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Let the batch being written end (its error is not raised), then close the thread's connection."""
        future, self.future = self.future, None
        if future is not None:
            wait_for([future])
        if not self.closed:
            self.closed = True
            # Looked up in the thread: `connection` is the calling thread's own connection.
            self.executor.submit(lambda: connection.close()).result()
            self.executor.shutdown()

    def _write(self, batch: "_Batch") -> None:
        with (
            translation.override(self.language),
            webhook_selectors.one_read_of_subscriptions(),
            transaction.atomic(),
        ):
            _write(self.job, batch, report=self.report)


@contextmanager
def _unmapped() -> Iterator[None]:
    """SQLite: no memory map of the database file while importing (settings.SQLITE_MMAP_SIZE).

    An import writes; reading through the map gains it nothing, and every page of the file it touches
    (the indexes the duplicate look-ups and inserts walk) would stay in its resident memory: 744 MB
    at 1,000,000 rows against ~210 MB without. The connection's size is put back after.
    """
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA mmap_size")
        row = cursor.fetchone()  # none for an in-memory database: nothing is mapped
        if row is not None:
            cursor.execute("PRAGMA mmap_size=0")
    if row is None:
        yield
        return
    size = int(row[0])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA mmap_size={size}")


@transaction.atomic
def queue_import(job: ImportJob, *, actor: User) -> ImportJob:
    """Hand an import to the task worker (web imports); the worker resumes it where it stopped."""
    ImportJob.objects.filter(pk=job.pk).exclude(status=ImportJob.Status.DONE).update(
        status=ImportJob.Status.PENDING, updated_at=timezone.now()
    )
    job.refresh_from_db()
    bus.publish(events.ImportQueued(job_id=job.pk, actor_id=actor.pk))
    return job


# A running job whose progress has not moved for this long lost its worker; another may take it over.
STALE_AFTER = dt.timedelta(minutes=5)


def run_queued(job_id: int) -> ImportJob | None:
    """Claim a queued import and run it; None when another worker has it or it is done."""
    now = timezone.now()
    claimable = Q(status__in=[ImportJob.Status.PENDING, ImportJob.Status.FAILED]) | Q(
        status=ImportJob.Status.RUNNING, updated_at__lt=now - STALE_AFTER
    )
    if not ImportJob.objects.filter(claimable, pk=job_id).update(
        status=ImportJob.Status.RUNNING, updated_at=now
    ):
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    actor = job.created_by or system_user()
    try:
        return run_import(job, path=job.file_path, actor=actor)
    except DomainError:
        job.refresh_from_db()
        return job


def _options_of(job: ImportJob) -> dict[str, Any]:
    data = job.options
    return {
        "entity": data["entity"],
        "on_duplicate": data["on_duplicate"],
        "mapping": data.get("mapping") or None,
        "pipeline_id": data.get("pipeline"),
        "assign_to_id": data.get("assign_to"),
        "encoding": data.get("encoding", ""),
        "delimiter": data.get("delimiter", ""),
    }


def open_file(path: Path | str, options: Options) -> readers.Table:
    """Open the file as `options` say, finding the header with the entity's known columns."""
    names = mapping.custom_field_names(bulk.load_context(options.entity).custom_fields)
    return readers.open_table(
        path,
        encoding=options.encoding,
        delimiter=options.delimiter,
        header_score=mapping.header_scorer(options.entity, names),
    )


def column_mapping(table: readers.Table, options: Options) -> mapping.Mapping:
    """Return the mapping of the file's columns (guessed, then overridden by the options)."""
    context = bulk.load_context(options.entity)
    names = mapping.custom_field_names(context.custom_fields)
    return mapping.guess(options.entity, table.headers, names, options.mapping)


def _load(table: readers.Table, options: Options):
    context = bulk.load_context(options.entity)
    names = mapping.custom_field_names(context.custom_fields)
    found = mapping.guess(options.entity, table.headers, names, options.mapping)
    if not found.used():
        raise Invalid(
            "import.nothing_mapped",
            _("No column of the file matches a field. Name the columns, or give a mapping file."),
        )
    pipeline_row = Pipeline.objects.filter(pk=options.pipeline_id).first() if options.pipeline_id else None
    assignee = User.objects.filter(pk=options.assign_to_id).first() if options.assign_to_id else None
    directory = values.load_directory(
        options.entity, custom_fields=context.custom_fields, pipeline=pipeline_row, assign_to=assignee
    )
    return directory, context, found.used()


def _begin(job: ImportJob, table: readers.Table) -> None:
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING,
        started_at=job.started_at or now,
        updated_at=now,
        encoding=table.encoding,
        delimiter=table.delimiter,
        header_row=table.header_row,
        rows_total=table.total,
        message="",
    )
    job.refresh_from_db()


def _chunks(rows, size: int):
    chunk: list = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass
class _Batch:
    """A batch of rows checked and staged, to be written with the job's progress."""

    rows: int
    cells: dict[int, list[Any]]
    failures: dict[int, str]
    warnings: list[str]
    ready: list[pipeline.Ready]
    staged: bulk.Staged


def _commit(job, chunk, outcomes, *, actor, options, report, memory, finder) -> None:
    """Write one batch and advance the job, in one transaction."""
    with webhook_selectors.one_read_of_subscriptions(), transaction.atomic():
        batch = _stage(job, chunk, outcomes, actor=actor, options=options, memory=memory, finder=finder)
        _write(job, batch, report=report)


def _stage(job, chunk, outcomes, *, actor, options, memory, finder, build=False, written=None) -> _Batch:
    """Check a batch (clients named in it found or created, rights, duplicates) and plan its writes."""
    ready = [o for o in outcomes if isinstance(o, pipeline.Ready)]
    failures = {o.number: o.reason for o in outcomes if isinstance(o, pipeline.Failed)}
    warnings = [w for o in outcomes if o is not None for w in (f"{o.number}: {text}" for text in o.warnings)]
    if finder is not None:
        for row, error in finder.link(options.entity, ready):
            failures[row.number] = pipeline.describe(error, row.columns)
        ready = [row for row in ready if row.number not in failures]
    staged = bulk.stage(
        options.entity,
        [row.prepared for row in ready],
        actor=actor,
        on_duplicate=options.on_duplicate,
        import_job_id=None if job.is_dry_run else job.pk,
        dry_run=job.is_dry_run,
        memory=memory,
        build=build,
        written=written,
    )
    return _Batch(
        rows=len(chunk), cells=dict(chunk), failures=failures, warnings=warnings, ready=ready, staged=staged
    )


def _write(job, batch: _Batch, *, report) -> None:
    """Write a staged batch, its failed rows to the report and the job's progress (in the caller's transaction)."""
    counts = {"created": 0, "merged": 0, "skipped": 0}
    failures = batch.failures
    results = bulk.write_staged(batch.staged)
    for row, result in zip(batch.ready, results, strict=True):
        if result.outcome == bulk.Outcome.FAILED:
            failures[row.number] = pipeline.describe(result.error, row.columns)
        else:
            counts[str(result.outcome)] += 1
    failed = sorted(failures.items())
    cells = batch.cells
    size = report.write([(cells[number], _row_reason(number, reason)) for number, reason in failed])
    _advance(job, rows=batch.rows, counts=counts, failed=failed, warnings=batch.warnings, error_bytes=size)


def _row_reason(number: int, reason: str) -> str:
    return gettext("row %(number)s: %(reason)s") % {"number": number, "reason": reason}


def _advance(
    job: ImportJob,
    *,
    rows: int,
    counts: dict[str, int],
    failed: list[tuple[int, str]],
    warnings: list[str],
    error_bytes: int,
) -> None:
    # Conditional on the rows done so far: a second process running the same job cannot commit twice.
    updated = ImportJob.objects.filter(pk=job.pk, rows_done=job.rows_done).update(
        rows_done=F("rows_done") + rows,
        created_count=F("created_count") + counts["created"],
        merged_count=F("merged_count") + counts["merged"],
        skipped_count=F("skipped_count") + counts["skipped"],
        failed_count=F("failed_count") + len(failed),
        warnings_count=F("warnings_count") + len(warnings),
        error_bytes=error_bytes,
        updated_at=timezone.now(),
        warnings=(job.warnings + warnings)[:MAX_WARNINGS],
        errors=(job.errors + [list(item) for item in failed])[:MAX_WARNINGS],
    )
    if not updated:
        raise Conflict("import.concurrent", _("Another process is running this import."))
    job.refresh_from_db()


def _fail(job: ImportJob, error: BaseException) -> None:
    message = str(getattr(error, "message", "") or error) or error.__class__.__name__
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.FAILED, message=message[:2000], updated_at=timezone.now()
        )
        bus.publish(
            events.ImportFinished(job_id=job.pk, status=ImportJob.Status.FAILED, actor_id=job.created_by_id)
        )


def _finish(job: ImportJob) -> ImportJob:
    now = timezone.now()
    with transaction.atomic():
        done = ImportJob.objects.filter(pk=job.pk)
        done.update(status=ImportJob.Status.DONE, finished_at=now, updated_at=now)
        done.filter(failed_count=0).update(error_file="")
        job.refresh_from_db()
        bus.publish(events.ImportFinished(job_id=job.pk, status=job.status, actor_id=job.created_by_id))
    return job


class _KeyMemory:
    """Phones, e-mails and names planned by earlier batches of a dry run, in a throwaway SQLite file."""

    def __init__(self) -> None:
        self._file = tempfile.NamedTemporaryFile(suffix=".sqlite3")  # noqa: SIM115 - closed in close()
        self._db = sqlite3.connect(self._file.name)
        self._db.executescript(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; CREATE TABLE k (key TEXT PRIMARY KEY) WITHOUT ROWID;"
        )

    def seen(self, keys: list[tuple[str, str]]) -> bool:
        for by, key in keys:
            if self._db.execute("SELECT 1 FROM k WHERE key = ?", (f"{by}:{key}",)).fetchone():
                return True
        return False

    def remember(self, keys: list[tuple[str, str]]) -> None:
        self._db.executemany("INSERT OR IGNORE INTO k VALUES (?)", [(f"{by}:{key}",) for by, key in keys])

    def close(self) -> None:
        self._db.close()
        self._file.close()
