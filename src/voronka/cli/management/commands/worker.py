"""voronka worker: run the background task worker for the configured backend.

Beside the task loop, a thread runs the apps' housekeeping jobs (voronka.lib.housekeeping)
every HOUSEKEEPING_INTERVAL seconds: they pick up work a killed worker left behind.
"""

import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection

from voronka.lib import housekeeping


def _housekeeping_loop(stop: threading.Event, interval: float) -> None:
    while not stop.is_set():
        try:
            housekeeping.run_all()
        finally:
            connection.close()
        stop.wait(interval)


class Command(BaseCommand):
    help = "Run the task worker (django-tasks-db by default, RQ when TASKS_BACKEND=rq)."

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=0.5, help="seconds between polls of the queue")
        parser.add_argument("--batch", action="store_true", help="exit when the queue is empty")
        parser.add_argument("--no-housekeeping", action="store_true", help="do not run the housekeeping jobs")

    def handle(self, *args, interval, batch, no_housekeeping, **options):
        stop = threading.Event()
        if batch:
            housekeeping.run_all()
        elif not no_housekeeping:
            threading.Thread(
                target=_housekeeping_loop,
                args=(stop, settings.HOUSEKEEPING_INTERVAL),
                name="housekeeping",
                daemon=True,
            ).start()
        try:
            if settings.TASKS_BACKEND == "rq":
                call_command("rqworker", "default", burst=batch)
                return
            call_command("db_worker", interval=interval, batch=batch, verbosity=options["verbosity"])
        finally:
            stop.set()
