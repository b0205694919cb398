"""voronka export: write a filtered list of leads, deals, contacts or companies to CSV or XLSX."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from voronka.accounts.selectors import active_users
from voronka.accounts.services import system_user
from voronka.imports.exports import filter_from, stream
from voronka.lib.errors import DomainError
from voronka.lib.text import fold

KINDS = {"leads": "lead", "deals": "deal", "contacts": "contact", "companies": "company"}


class Command(BaseCommand):
    help = "Export leads, deals, contacts or companies (what the user may export, filtered) to CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("-o", "--output", type=Path, required=True, help="the file to write")
        parser.add_argument(
            "--format",
            choices=["csv", "csv-1251", "xlsx"],
            default=None,
            help="csv (UTF-8 with BOM), csv-1251 (Windows-1251, ;) or xlsx; by the file's extension",
        )
        parser.add_argument("--user", help="export what this user (login) may export; by default everything")
        parser.add_argument("--q", help="search text (name, phone, e-mail)")
        parser.add_argument("--stage", action="append", help="status or stage id (repeatable)")
        parser.add_argument("--pipeline", help="deal pipeline id")
        parser.add_argument("--assigned-to", action="append", help="responsible user id (repeatable)")
        parser.add_argument("--source", action="append", help="source id (repeatable)")
        parser.add_argument("--created-from", help="created on or after (YYYY-MM-DD)")
        parser.add_argument("--created-to", help="created before (YYYY-MM-DD)")
        parser.add_argument("--closed", choices=["yes", "no"], help="only closed (yes) or open (no) items")

    def handle(self, *args, kind, output, format, user, **options):
        actor = _user(user) if user else system_user()
        fmt = format or ("xlsx" if output.suffix.lower() == ".xlsx" else "csv")
        params = {
            "q": options["q"],
            "stage": options["stage"],
            "pipeline": options["pipeline"],
            "assigned_to": options["assigned_to"],
            "source": options["source"],
            "created_from": options["created_from"],
            "created_to": options["created_to"],
            "closed": options["closed"],
        }
        try:
            chunks = stream(actor, KINDS[kind], filter_from({k: v for k, v in params.items() if v}), fmt)
            with open(output, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(self.style.SUCCESS(f"{output} ({output.stat().st_size:,} bytes)"))


def _user(text: str):
    key = fold(text)
    for candidate in active_users():
        if key in {fold(candidate.username), fold(candidate.email), str(candidate.pk)}:
            return candidate
    raise CommandError(f"There is no active user {text!r}.")
