"""CPU time of one API request in-process (Django's test client): creates and list pages.

    DATABASE_URL=... .venv/bin/python bench/api_profile.py [--leads 10000] [--count 200] [--profile create|list]

Prints the median and quartiles of time.process_time per request (this process only: on
PostgreSQL the server's share is not in it) and the statements per request. With --profile,
prints cProfile's top functions for that request kind (timed by CPU, time.process_time: a
wall-clock profile counts the waits for the database and the machine's other work). `--reconnect` closes the database
connection after each request, as CONN_MAX_AGE=0 does in a server.
"""

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "bench")]
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "apiserver.settings")
os.environ.setdefault("API_RATE_LIMIT", "1000000000/min")
os.environ.setdefault("TASKS_BACKEND", "db")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--profile", choices=["create", "list", "bare", "minimal"])
    parser.add_argument("--reconnect", action="store_true")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client

    from voronka.accounts.models import User
    from voronka.accounts.services import create_token, system_user

    call_command("migrate", verbosity=0, interactive=False)
    import api_data

    dataset = api_data.ensure_leads(args.leads, progress=lambda line: print(line, file=sys.stderr))
    _token, raw = create_token(user=User.objects.get(pk=dataset.head_id), actor=system_user(), name="profile")
    status_id = dataset.status_ids["IN_PROCESS"]
    client = Client(headers={"Authorization": f"Bearer {raw}"})
    stamp = time.time_ns() % 10**9

    def create(number: int):
        body = {
            "title": f"Profile {stamp}-{number}",
            "first_name": "Иван",
            "phones": [f"+7 9{stamp % 100:02d} {stamp % 1000:03d}{number % 10000:04d}"],
            "emails": [f"p{stamp}.{number}@example.org"],
            "source": "WEB",
            "amount": "15000",
        }
        return client.post("/api/v1/leads", json.dumps(body), content_type="application/json")

    def page(number: int):
        return client.get(f"/api/v1/leads?stage_id={status_id}&limit=50")

    def bare(number: int):
        return client.get(f"/bench/bare-leads?stage_id={status_id}&limit=50")

    def minimal(number: int):
        return client.get("/bench/minimal")

    kinds = {"create": create, "list": page, "bare": bare, "minimal": minimal}
    from django.conf import settings

    settings.DEBUG = False
    for name, request in kinds.items():
        for number in range(10):
            assert request(number).status_code < 300, request(number).content
        spent, statements = [], []
        profiler = cProfile.Profile(time.process_time) if args.profile == name else None
        for number in range(args.count):
            if args.reconnect:
                connection.close()
            connection.force_debug_cursor = True
            reset_queries()
            started = time.process_time()
            if profiler:
                profiler.enable()
            answer = request(1000 + number)
            if profiler:
                profiler.disable()
            spent.append(time.process_time() - started)
            statements.append(len(connection.queries))
            connection.force_debug_cursor = False
            assert answer.status_code < 300, answer.content
        q1, median, q3 = statistics.quantiles([s * 1000 for s in spent], n=4)
        print(
            f"{connection.vendor:10} {name:8} median {median:6.2f} ms CPU (quartiles {q1:.2f}–{q3:.2f}),"
            f" {statistics.median(statements):.0f} statements, load {os.getloadavg()[0]:.1f}"
        )
        if name == "create" and os.environ.get("SHOW_SQL"):
            for query in connection.queries:
                print("   ", query["sql"][:300])
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative")).print_stats(
                int(os.environ.get("TOP", "60"))
            )


if __name__ == "__main__":
    main()
