"""voronka worker: run the background task worker for the configured backend."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Run the task worker (django-tasks-db by default, RQ when TASKS_BACKEND=rq)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls of the queue")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")

    def handle(self, *args, interval, batch, **options):
        if settings.TASKS_BACKEND == "rq":
            call_command("rqworker", "default", burst=batch)
            return
        call_command("db_worker", interval=interval, batch=batch, verbosity=options["verbosity"])
