"""Time the funnel, time-in-stage and forecast reports on 1,000,000 deals and ~5,000,000 history rows.

    .venv/bin/python bench/analytics.py                      # SQLite (var/bench/analytics.sqlite3) and PostgreSQL
    .venv/bin/python bench/analytics.py --database sqlite    # one of them
    .venv/bin/python bench/analytics.py --deals 100000       # a smaller run

The data is generated once per database by bench/analytics_data.py (same seed, same rows) and
kept for the next run. Each report runs once cold and then `--repeat` times; the best and the
median are printed beside a plain `SELECT COUNT(*)` over the history table timed in the same
run and the load average, so a busy machine shows as such. Targets: each report ≤ 1 s on
PostgreSQL and ≤ 2 s on SQLite for the default quarter; the year is printed for information.
The forecast is timed as users get it (the command, the page and the JSON endpoint include its
backtest), then its two parts alone for information.
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SQLITE = f"sqlite:///{ROOT / 'var' / 'bench' / 'analytics.sqlite3'}"
POSTGRES = "postgres://postgres@127.0.0.1:5432/voronka_bench_analytics"
TARGET = {"sqlite": 2.0, "postgresql": 1.0}


def _ensure_postgres_database(url: str) -> bool:
    import psycopg

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(server.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as error:
        print(f"PostgreSQL is not reachable ({error}); skipped.")
        return False
    return True


def _cpu_seconds(backend_pid: int | None) -> float:
    """CPU time of this process and, when the database server runs here, of its backend (PostgreSQL)."""
    used = time.process_time()
    if backend_pid is not None:
        try:
            fields = Path(f"/proc/{backend_pid}/stat").read_text().rsplit(")", 1)[1].split()
            used += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return used


def _timed(call, repeat: int, backend_pid: int | None = None) -> tuple[float, float, float, float]:
    """Return the cold wall time, the best and the median wall time of `repeat` runs, and the median CPU."""
    started = time.perf_counter()
    call()
    cold = time.perf_counter() - started
    runs, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), _cpu_seconds(backend_pid)
        call()
        runs.append(time.perf_counter() - started)
        cpu.append(_cpu_seconds(backend_pid) - used)
    return cold, min(runs), statistics.median(runs), statistics.median(cpu)


def run_here(deals: int, history: int, seed: int, repeat: int) -> None:
    """Generate (once) and time the reports on the database of DATABASE_URL."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    import datetime as dt

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from bench.analytics_data import generate
    from voronka.accounts.services import system_user
    from voronka.analytics.filters import parse_filter
    from voronka.analytics.selectors.forecast import backtests, forecast
    from voronka.analytics.selectors.funnel import funnel
    from voronka.analytics.selectors.time_in_stage import time_in_stage

    call_command("migrate", verbosity=0)
    made = generate(deals=deals, history=history, seed=seed)
    vendor = connection.vendor
    print(f"\n== {vendor}: {made.deals:,} deals, {made.history:,} history rows", end="")
    print(f" (generated in {made.seconds:.0f} s)" if made.seconds else " (generated before)")
    user = system_user()
    today = timezone.localdate()

    def count():
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM crm_stagehistory")
            cursor.fetchone()

    backend_pid = None
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        backend_pid = pid if Path(f"/proc/{pid}/stat").exists() else None
    cold, best, median, cpu = _timed(count, repeat, backend_pid)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    where = " (this process and the PostgreSQL backend)" if backend_pid else ""
    print(f"cpu: the median CPU time of the runs{where}")
    print(
        f"{'SELECT COUNT(*) FROM crm_stagehistory':50} cold {cold:6.2f} s  best {best:6.2f} s  median {median:6.2f} s  cpu {cpu:6.2f} s"
    )
    for days in (90, 365):
        report = parse_filter({"date_from": (today - dt.timedelta(days=days - 1)).isoformat()})
        cases = [
            ("funnel (created cohort)", lambda r=report: funnel(user, r)),
            ("funnel (activity cohort)", lambda r=report: funnel(user, r, cohort="activity")),
            ("time in stage (with months)", lambda r=report: time_in_stage(user, r)),
        ]
        if days == 90:
            cases += [
                # The report as users get it (command, page, JSON): the forecast with its backtest.
                ("forecast report (with its backtest)", lambda r=report: forecast(user, r)),
                ("  the forecast alone (30/60/90 days)", lambda r=report: forecast(user, r, backtest=False)),
                ("  the backtest alone (6 dates)", lambda r=report: backtests(user, r)),
            ]
        for name, call in cases:
            cold, best, median, cpu = _timed(call, repeat, backend_pid)
            mark = "ok" if median <= TARGET[vendor] else "over target"
            label = f"{name}, last {days} days"
            print(
                f"{label:50} cold {cold:6.2f} s  best {best:6.2f} s  median {median:6.2f} s  cpu {cpu:6.2f} s  {mark}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="both", help="sqlite, postgres, both, or a DATABASE_URL")
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        run_here(args.deals, args.history, args.seed, args.repeat)
        return
    targets = {"sqlite": [SQLITE], "postgres": [POSTGRES], "both": [SQLITE, POSTGRES]}.get(
        args.database, [args.database]
    )
    for url in targets:
        if url.startswith("sqlite:///"):
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        elif not _ensure_postgres_database(url):
            continue
        env = {**os.environ, "DATABASE_URL": url}
        command = [sys.executable, __file__, "--here", *sys.argv[1:]]
        subprocess.run(command, env=env, check=True)


if __name__ == "__main__":
    main()
