"""voronka migrate-from-bitrix24 WEBHOOK_URL [--dry-run]: copy a Bitrix24 portal into Voronka."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from voronka.accounts.services import system_user
from voronka.b24.migration import Migration, reconciliation
from voronka.b24.portal import Portal, PortalError
from voronka.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Read a Bitrix24 portal through an incoming webhook URL (scopes crm and user) and import it: users "
        "are matched by e-mail; sources, statuses, pipelines, custom fields, companies, contacts, leads, "
        "deals with product rows, activities and comments are created. Resumable; a second run creates "
        "nothing twice. Prints a reconciliation."
    )

    def add_arguments(self, parser):
        parser.add_argument("webhook_url", help="https://portal/rest/<user id>/<code>/")
        parser.add_argument("--dry-run", action="store_true", help="read and count, write nothing")

    def handle(self, *args, webhook_url, dry_run, **options):
        console = Console(file=self.stdout, force_terminal=False, width=120)
        try:
            portal = Portal(webhook_url)
        except PortalError as error:
            raise CommandError(str(error)) from error
        columns = (TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=console, transient=True) as progress:

            def track(entity: str, total: int):
                task = progress.add_task(entity, total=total)
                return lambda: progress.advance(task)

            try:
                tally = Migration(portal, actor=system_user(), dry_run=dry_run, progress=track).run()
            except (PortalError, DomainError) as error:
                raise CommandError(_("The migration stopped: %(error)s") % {"error": error}) from error
        table = Table(title=_("Reconciliation (dry run)") if dry_run else _("Reconciliation"))
        for title in (
            _("entity"),
            _("in Bitrix24"),
            _("here"),
            _("created now"),
            _("already here"),
            _("notes"),
        ):
            table.add_column(title)
        for entity, source, imported, created, skipped, notes in reconciliation(tally):
            table.add_row(entity, str(source), str(imported), str(created), str(skipped), notes[:200])
        console.print(table)
