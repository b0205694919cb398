"""voronka serve: the web server and the task worker together, stopped together."""

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the web UI and APIs with gunicorn and run the task worker beside it."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "2")))
        parser.add_argument("--no-worker", action="store_true", help="do not start the task worker")

    def handle(self, *args, host, port, workers, no_worker, **options):
        bin_dir = os.path.dirname(sys.executable)
        web = [
            os.path.join(bin_dir, "gunicorn"),
            "voronka.wsgi:application",
            "--bind",
            f"{host}:{port}",
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        processes = [subprocess.Popen(web)]  # noqa: S603 - our own executables
        if not no_worker:
            processes.append(subprocess.Popen([sys.executable, "-m", "voronka.cli", "worker"]))
        self.stdout.write(self.style.SUCCESS(f"Voronka is at http://{host}:{port}/ (Ctrl+C stops it)."))

        def stop(*_args):
            for process in processes:
                if process.poll() is None:
                    process.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            while all(process.poll() is None for process in processes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            for process in processes:
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
