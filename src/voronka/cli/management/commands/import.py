"""voronka import: import leads, deals, contacts or companies from a CSV or XLSX file.

Exit codes: 0 every row imported (or merged, skipped), 2 some rows failed (see the error report),
1 nothing imported (a bad file, option or mapping).
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from voronka.accounts.selectors import active_users
from voronka.accounts.services import system_user
from voronka.crm.selectors.pipelines import deal_pipelines
from voronka.imports import mapping as mappings
from voronka.imports.services import Options, column_mapping, open_file, run_import, start_import
from voronka.lib.errors import DomainError
from voronka.lib.text import fold

ENTITIES = {"leads": "lead", "deals": "deal", "contacts": "contact", "companies": "company"}


class Command(BaseCommand):
    help = "Import leads, deals, contacts or companies from a CSV or XLSX file (resumable: run it again)."
    # The system checks load every URL conf and model check: seconds before the first row on a
    # busy machine, for a command that only reads a file and calls the import service.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(ENTITIES))
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--mapping", type=Path, help='JSON file {"Column header": "field"} overriding the guess'
        )
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--on-duplicate", choices=["skip", "merge", "create", "refuse"], default="skip")
        parser.add_argument("--pipeline", help="deal pipeline (id or name) for rows that do not name one")
        parser.add_argument(
            "--assign-to", help="responsible (login, e-mail or id) for rows that do not name one"
        )
        parser.add_argument("--errors", type=Path, help="where to write the rows that failed (CSV)")
        parser.add_argument(
            "--encoding", default="", help="the file's encoding, when detection guesses wrong"
        )
        parser.add_argument(
            "--delimiter", default="", help="the CSV delimiter (; , tab |), when sniffing is wrong"
        )
        parser.add_argument("--user", help="import as this user (login); by default the system user")
        parser.add_argument("--again", action="store_true", help="import a file that was imported before")
        parser.add_argument("--workers", type=int, help="worker processes for parsing (default: cores - 1)")

    def handle(self, *args, **options):
        console = Console(stderr=False, highlight=False)
        try:
            job = self._run(console, options)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self._summary(console, job)
        if job.failed_count:
            raise SystemExit(2)

    def _run(self, console: Console, options: dict):
        actor = _user(options["user"]) if options["user"] else system_user()
        settings = Options(
            entity=ENTITIES[options["kind"]],
            on_duplicate=options["on_duplicate"],
            mapping=mappings.load_override(options["mapping"]) if options["mapping"] else None,
            pipeline_id=_pipeline(options["pipeline"]) if options["pipeline"] else None,
            assign_to_id=_user(options["assign_to"]).pk if options["assign_to"] else None,
            encoding=options["encoding"],
            delimiter=options["delimiter"],
        )
        path = options["file"]
        table = open_file(path, settings)
        self._describe(console, table, column_mapping(table, settings))
        job = start_import(
            path,
            options=settings,
            actor=actor,
            dry_run=options["dry_run"],
            again=options["again"],
            errors_path=options["errors"],
        )
        if job.rows_done:
            console.print(
                _("Resuming import #%(id)s after row %(rows)s.") % {"id": job.pk, "rows": job.rows_done}
            )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[speed]} rows/s"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task(
                _("Checking") if job.is_dry_run else _("Importing"),
                total=table.total,
                completed=job.rows_done,
                speed="-",
            )
            started, first = time.monotonic(), job.rows_done

            def advance(current) -> None:
                rate = (current.rows_done - first) / max(time.monotonic() - started, 1e-6)
                progress.update(task, completed=current.rows_done, speed=f"{rate:,.0f}")

            return run_import(job, path=path, actor=actor, progress=advance, workers=options["workers"])

    def _describe(self, console: Console, table, found) -> None:
        how = table.kind.upper()
        if table.kind == "csv":
            delimiter = {"\t": "tab"}.get(table.delimiter, table.delimiter)
            how = f"CSV, {table.encoding}, «{delimiter}»"
        console.print(
            _("File: %(how)s; header on row %(row)s; %(rows)s data rows.")
            % {"how": how, "row": table.header_row, "rows": table.total if table.total is not None else "?"}
        )
        grid = Table(_("Column"), _("Field"), show_edge=False)
        for header, target in zip(found.headers, found.targets, strict=True):
            grid.add_row(
                header or "—",
                str(mappings.LABELS.get(mappings.base(target), target)) + _suffix(target)
                if target
                else f"[dim]{_('not imported')}[/dim]",
            )
        console.print(grid)

    def _summary(self, console: Console, job) -> None:
        title = _("Check of import #%(id)s") if job.is_dry_run else _("Import #%(id)s")
        grid = Table(title=title % {"id": job.pk}, show_header=False)
        for label, value in (
            (_("created"), job.created_count),
            (_("merged"), job.merged_count),
            (_("skipped (duplicates)"), job.skipped_count),
            (_("failed"), job.failed_count),
            (_("warnings"), job.warnings_count),
        ):
            grid.add_row(label, f"{value:,}")
        console.print(grid)
        for number, reason in job.errors[:20]:
            console.print(f"[red]{_('row')} {number}[/red]: {reason}")
        for warning in job.warnings[:10]:
            console.print(f"[yellow]{_('warning')}[/yellow] {_('row')} {warning}")
        if job.failed_count and job.error_file:
            console.print(
                _("Rows that failed, with the reason, are in %(path)s: fix them and import that file.")
                % {"path": job.error_file}
            )


def _suffix(target: str) -> str:
    _name, _sep, label = target.partition(":")
    return f" ({label})" if label else ""


def _user(text: str):
    key = fold(text)
    for user in active_users():
        if key in {fold(user.username), fold(user.email), str(user.pk), fold(user.display_name)}:
            return user
    raise CommandError(_("There is no active user “%(name)s”.") % {"name": text})


def _pipeline(text: str) -> int:
    key = fold(text)
    for pipeline in deal_pipelines():
        if key in {str(pipeline.pk), fold(pipeline.name), fold(pipeline.title)}:
            return pipeline.pk
    raise CommandError(_("There is no deal pipeline “%(name)s”.") % {"name": text})
