"""voronka report NAME: print an analytics report as a table, JSON or CSV."""

import csv
import json

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import translation

from voronka.accounts.models import User
from voronka.accounts.services import system_user
from voronka.analytics.reports import REPORTS, run
from voronka.analytics.tables import TABLES, display
from voronka.lib.errors import DomainError


class Command(BaseCommand):
    help = "Print an analytics report: " + ", ".join(REPORTS) + "."

    def add_arguments(self, parser):
        parser.add_argument("name", choices=list(REPORTS), help="the report")
        parser.add_argument(
            "--pipeline", help="pipeline id or name, or 'lead' (default: the default deal pipeline)"
        )
        parser.add_argument("--from", dest="date_from", help="first day of the period, YYYY-MM-DD")
        parser.add_argument(
            "--to", dest="date_to", help="last day of the period, YYYY-MM-DD (default: today)"
        )
        parser.add_argument("--responsible", help="user id or login")
        parser.add_argument("--department", help="department id or name")
        parser.add_argument("--source", help="source id or code")
        parser.add_argument(
            "--cohort", choices=["created", "activity"], default="created", help="funnel cohort"
        )
        parser.add_argument("--target-amount", help="plan: won amount to reach")
        parser.add_argument("--target-count", help="plan: won items to reach")
        parser.add_argument("--days", default="30", help="plan: days to reach the target in")
        parser.add_argument("--no-backtest", action="store_true", help="forecast: skip the backtest")
        parser.add_argument("--only-pipeline", action="store_true", help="review: the given pipeline only")
        parser.add_argument(
            "--as", dest="as_user", help="compute with this user's read rights (default: all)"
        )
        parser.add_argument("--lang", choices=["en", "ru"], help="language of labels and findings")
        parser.add_argument("--format", choices=["table", "json", "csv"], default="table")

    def handle(self, *args, name, lang, as_user, **options):
        params = {
            "pipeline": options["pipeline"],
            "date_from": options["date_from"],
            "date_to": options["date_to"],
            "responsible": options["responsible"],
            "department": options["department"],
            "source": options["source"],
            "cohort": options["cohort"],
            "target_amount": options["target_amount"],
            "target_count": options["target_count"],
            "days": options["days"],
            "backtest": not options["no_backtest"],
            "all_pipelines": not options["only_pipeline"],
        }
        with translation.override(lang or translation.get_language()):
            user = self._user(as_user)
            try:
                result = run(name, user, params)
            except DomainError as error:
                details = "; ".join(f"{key}: {value}" for key, value in error.details.items())
                raise CommandError(
                    f"{error.message} [{error.code}]" + (f" ({details})" if details else "")
                ) from None
            if options["format"] == "json":
                self.stdout.write(
                    json.dumps(result.as_dict(), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
                )
            elif options["format"] == "csv":
                self._csv(TABLES[name](result))
            else:
                self._rich(TABLES[name](result))

    def _user(self, login: str | None) -> User:
        if not login:
            return system_user()
        user = User.objects.filter(username__iexact=login.strip()).first()
        if user is None:
            raise CommandError(f"There is no user {login!r}.")
        return user

    def _csv(self, tables) -> None:
        writer = csv.writer(self.stdout, lineterminator="\n")
        for index, table in enumerate(tables):
            if index:
                writer.writerow([])
            writer.writerow([f"# {table.title}"])
            writer.writerow([str(c.label) for c in table.columns])
            for row in table.rows:
                writer.writerow(["" if v is None else v for v in row])

    def _rich(self, tables) -> None:
        from rich.console import Console
        from rich.table import Table as RichTable

        console = Console(file=self.stdout, width=max(120, Console().width), highlight=False)
        for table in tables:
            shown = RichTable(title=str(table.title), title_justify="left", show_lines=False)
            for column in table.columns:
                shown.add_column(str(column.label), justify="left" if column.kind == "text" else "right")
            for row in table.rows:
                shown.add_row(
                    *(display(value, column.kind) for value, column in zip(row, table.columns, strict=True))
                )
            console.print(shown)
            for note in table.notes:
                console.print(note)
            console.print()
