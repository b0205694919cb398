"""Import speed and memory: `python bench/imports.py` prints the figures.

- 100,000 leads (first and last name, 2 phones, an e-mail, status, source, amount, responsible)
  from a CSV into SQLite and into PostgreSQL with duplicate control on (skip), end to end through
  the import service (reading, mapping, cleaning, duplicate control, writes, job progress);
- beside it, the raw insert rate of the same rows (the lead, its communications, its history and
  timeline rows as prepared tuples, executemany on SQLite, COPY on PostgreSQL): the ceiling. It
  writes into the same schema (every index and foreign key of the tables), with the same
  connection settings (on SQLite: WAL, synchronous=NORMAL, foreign keys on) and, like the import,
  one transaction per batch (imports.services.BATCH rows), so it is the ceiling of the import's
  own writes; its CPU seconds are printed beside the wall time, which on a shared machine mostly
  measures the other work (SQLite runs in-process, so its CPU seconds include the database's
  work; PostgreSQL's server is another process: its backends' CPU seconds — every backend of the
  database, as the import writes on a second connection — are printed beside the client's when
  the server runs on this machine, from /proc);
- the peak memory (max RSS of the importing process and of its worker) for 1,000,000 rows.
Each run uses a fresh database (SQLite under bench/data/, PostgreSQL database
voronka_bench_imports, or $BENCH_IMPORTS_PG_NAME, on $BENCH_PG or 127.0.0.1). The CSV files are generated under bench/data/.

Options: --rows N (default 100000), --memory-rows N (default 1000000, 0 to skip), --skip-pg,
--skip-sqlite, --skip-raw. To compare: BENCH_IMPORTS_NO_OVERLAP=1 writes every batch on the main
connection, BENCH_IMPORTS_SUSPEND_STAYS=1 imports without the stage history's stays triggers.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PG_NAME = os.environ.get("BENCH_IMPORTS_PG_NAME", "voronka_bench_imports")

FIRST = [
    "Иван",
    "Мария",
    "Пётр",
    "Анна",
    "Сергей",
    "Ольга",
    "Дмитрий",
    "Елена",
    "Алексей",
    "Наталья",
    "John",
    "Kate",
]
LAST = [
    "Иванов",
    "Петрова",
    "Сидоров",
    "Кузнецова",
    "Смирнов",
    "Попова",
    "Волков",
    "Соколова",
    "Smith",
    "Brown",
]
STATUSES = ["Не обработан", "В работе", "Обработан", "New", "In progress"]
SOURCES = ["Звонок", "Веб-сайт", "Реклама", "E-mail", "Выставка", "CALL", "WEBFORM"]
USERS = [("smirnova", "Анна", "Смирнова"), ("ivanov", "Иван", "Иванов"), ("popov", "Павел", "Попов")]


def generate(path: Path, rows: int, seed: int = 7) -> None:
    """Write a lead export of `rows` rows (about 1% share a phone with an earlier row)."""
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(
            [
                "Имя",
                "Фамилия",
                "Рабочий телефон",
                "Мобильный телефон",
                "E-mail",
                "Статус",
                "Источник",
                "Сумма",
                "Ответственный",
            ]
        )
        for n in range(rows):
            phone = n if rng.random() > 0.01 else rng.randrange(max(n, 1))
            first, last = rng.choice(FIRST), rng.choice(LAST)
            user = rng.choice(USERS)
            mobile = f"{9_160_000_000 + phone:010d}"
            writer.writerow(
                [
                    first,
                    last,
                    f"+7 ({mobile[:3]}) {mobile[3:6]}-{mobile[6:8]}-{mobile[8:]}",
                    f"8 495 {n % 10_000_000:07d}",
                    f"lead{n}@example.com",
                    rng.choice(STATUSES),
                    rng.choice(SOURCES),
                    f"{rng.randrange(1, 10_000_000):,}".replace(",", " ") + ",50",
                    f"{user[1]} {user[2]}",
                ]
            )


def child(database: str, path: str, mode: str) -> None:
    """Run in a fresh process: migrate, then import (or raw-insert) and print JSON figures."""
    os.environ["DATABASE_URL"] = database
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if os.environ.get("BENCH_IMPORTS_SUSPEND_STAYS"):  # to measure what the stays triggers cost
        from django.db import connection

        from voronka.crm import stays

        with connection.cursor() as cursor:
            stays.suspend(cursor, connection.vendor)
    from voronka.accounts.services import create_user, system_user

    for username, first, last in USERS:
        create_user(username=username, first_name=first, last_name=last, role="manager")
    actor = system_user()
    server = _ServerCpu.start()
    before = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = before.ru_utime + before.ru_stime
    started = time.perf_counter()
    overlapped = False
    if mode == "raw":
        rows = raw_insert(path)
    else:
        from voronka.imports import services
        from voronka.imports.services import Options, run_import, start_import

        if os.environ.get("BENCH_IMPORTS_NO_OVERLAP"):  # to compare: every batch on the main connection
            services.can_overlap = lambda *_args: False

        job = start_import(path, options=Options(entity="lead", on_duplicate="skip"), actor=actor)
        job = run_import(job, path=path, actor=actor)
        rows = job.rows_done
        overlapped = (
            services.can_overlap(job, Options(entity="lead")) if hasattr(services, "can_overlap") else False
        )
        assert job.failed_count == 0, job.errors[:3]
    seconds = time.perf_counter() - started
    own, workers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = {"main": own.ru_utime + own.ru_stime - cpu_before, "worker": workers.ru_utime + workers.ru_stime}
    if server is not None:
        cpu["server"] = server.stop()
    peak = max(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    print(
        json.dumps(
            {"rows": rows, "seconds": seconds, "peak_mb": peak / 1024, "cpu": cpu, "overlapped": overlapped}
        )
    )


class _ServerCpu:
    """CPU seconds of this database's PostgreSQL backends while the import runs (None: not measurable).

    The importer may write on a connection of its own beside the main one (imports.services'
    overlap), so every backend of the database counts, sampled from /proc every 0.1 s by a thread
    with a connection of its own (not counted); a backend that ends loses at most its last 0.1 s.
    """

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True)
        self.first: dict[int, float] = {}
        self.last: dict[int, float] = {}
        self.running = True
        self._sample(first=True)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @classmethod
    def start(cls) -> "_ServerCpu | None":
        from django.db import connection

        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        if _backend_cpu(pid) is None:
            return None  # the server runs elsewhere
        settings = connection.settings_dict
        url = f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
        return cls(url)

    def _sample(self, *, first: bool = False) -> None:
        pids = self.conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        for (pid,) in pids:
            seconds = _backend_cpu(pid)
            if seconds is None:
                continue
            # A backend there before the import counts from now; a new one from its start.
            self.first.setdefault(pid, seconds if first else 0.0)
            self.last[pid] = seconds

    def _loop(self) -> None:
        while self.running:
            time.sleep(0.1)
            if self.running:
                self._sample()

    def stop(self) -> float:
        self.running = False
        self.thread.join()
        self._sample()
        self.conn.close()
        return sum(self.last[pid] - self.first[pid] for pid in self.last)


def _backend_cpu(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def raw_insert(path: str) -> int:
    """Insert the file's leads with their rows as ready tuples, nothing checked: the database's ceiling."""
    from django.db import transaction
    from django.utils import timezone

    from voronka.accounts.services import system_user
    from voronka.crm import bulk_insert
    from voronka.crm.models import Communication, Lead, StageHistory, TimelineEntry
    from voronka.crm.selectors.pipelines import first_stage, lead_pipeline
    from voronka.imports.services import BATCH

    actor, stage = system_user(), first_stage(lead_pipeline())
    now = timezone.now()
    columns = [f.attname for f in Lead._meta.concrete_fields]
    defaults = {f.attname: f.get_default() for f in Lead._meta.concrete_fields}

    def write(batch: list[list[str]]) -> int:
        with transaction.atomic():
            ids = bulk_insert.allocate_ids(Lead, len(batch))
            items, comms, history, timeline = [], [], [], []
            for pk, (first, last, work, mobile, email, *_rest) in zip(ids, batch, strict=True):
                values = {
                    **defaults,
                    "id": pk,
                    "title": f"{first} {last}",
                    "first_name": first,
                    "last_name": last,
                    "status_id": stage.pk,
                    "currency": "RUB",
                    "amount": Decimal("1.00"),
                    "created_at": now,
                    "updated_at": now,
                    "created_by_id": actor.pk,
                    "custom": {},
                    "utm": {},
                }
                items.append([values[c] for c in columns])
                comms += [
                    ("phone", "work", work, work, 0, pk),
                    ("phone", "mobile", mobile, mobile, 0, pk),
                    ("email", "work", email, email, 0, pk),
                ]
                history.append((pk, stage.pipeline_id, stage.pk, now, actor.pk, False, ""))
                timeline.append((pk, "import", actor.pk, now, "", {"import_job": 1}, False))
            bulk_insert.insert(Lead, columns, items)
            bulk_insert.insert(
                Communication, ("kind", "label", "value", "normalized", "sort", "lead_id"), comms
            )
            bulk_insert.insert(
                StageHistory,
                ("lead_id", "pipeline_id", "to_stage_id", "moved_at", "moved_by_id", "is_backward", "reason"),
                history,
            )
            bulk_insert.insert(
                TimelineEntry,
                ("lead_id", "kind", "actor_id", "created_at", "text", "data", "is_pinned"),
                timeline,
            )
        return len(batch)

    count = 0
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=";")
        next(reader)
        batch: list[list[str]] = []
        for row in reader:
            batch.append(row)
            if len(batch) == BATCH:  # one transaction per batch, as the import commits
                count += write(batch)
                batch = []
        if batch:
            count += write(batch)
    return count


def run(database: str, path: Path, mode: str) -> dict:
    if database.startswith("sqlite"):
        for suffix in ("", "-wal", "-shm"):
            Path(database.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    else:
        _fresh_pg()
    result = subprocess.run(
        [sys.executable, __file__, "--child", database, str(path), mode],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if result.returncode:
        sys.exit(f"bench child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _fresh_pg() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}"')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')


def _server_text(cpu: dict) -> str:
    if cpu.get("server") is None:
        return ", plus the database server's own"
    return f", database server {cpu['server']:.1f}"


def _critical_cpu(imported: dict) -> float:
    """The CPU seconds an import needs on this machine's cores when nothing else runs.

    Without the overlap the importer waits for its PostgreSQL backend at each statement, so their
    CPU adds up; with it (imports.services._Overlapped) the backends work while the importer
    stages the next batch, and the importer, its worker and its backends share the cores.
    """
    cpu = imported["cpu"]
    server = cpu.get("server") or 0
    if not imported.get("overlapped"):
        return max(cpu["main"] + server, cpu["worker"], 1e-9)
    cores = os.cpu_count() or 1
    return max(cpu["main"], cpu["worker"], server, (cpu["main"] + cpu["worker"] + server) / cores, 1e-9)


def _print_import(name: str, imported: dict, target: int) -> None:
    cpu = imported["cpu"]
    rate = imported["rows"] / imported["seconds"]
    server = _server_text(cpu) if name == "PostgreSQL" else ""
    print(
        f"  {name:<10} import {imported['seconds']:6.1f} s {rate:8,.0f} rows/s (target {target:,})"
        f"; CPU seconds: importer {cpu['main']:.1f}, parsing worker {cpu['worker']:.1f}{server}"
        f" -> {imported['rows'] / _critical_cpu(imported):,.0f} rows/s by CPU"
        f"{' (overlapped)' if imported.get('overlapped') else ''}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-raw", action="store_true", help="leave out the raw insert (the ceiling)")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    path = DATA / f"leads-{args.rows}.csv"
    generate(path, args.rows)
    sqlite = f"sqlite:///{DATA / 'bench-imports.sqlite3'}"
    targets = ([] if args.skip_sqlite else [("SQLite", sqlite, 10_000)]) + (
        [] if args.skip_pg else [("PostgreSQL", f"{PG}/{PG_NAME}", 7_000)]
    )
    print(
        f"Import of {args.rows:,} leads (names, 2 phones, e-mail, status, source, amount, responsible; dedup on)"
    )
    print(
        f"  load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores: other work on the machine slows it all"
    )
    for name, database, target in targets:
        imported = run(database, path, "import")
        if args.skip_raw:
            _print_import(name, imported, target)
            continue
        raw = run(database, path, "raw")
        rate, ceiling = imported["rows"] / imported["seconds"], raw["rows"] / raw["seconds"]
        verdict = "ok" if rate >= target else "BELOW TARGET"
        cpu = imported["cpu"]
        # Sequentially the importer waits for its PostgreSQL backend at each statement (their CPU
        # adds up); overlapped, the processes share the cores (_critical_cpu).
        alone = imported["rows"] / _critical_cpu(imported)
        raw_cpu = raw["cpu"]["main"]
        print(
            f"  {name:<10} import {imported['seconds']:6.1f} s {rate:8,.0f} rows/s (target {target:,}: {verdict})"
            f"   raw insert {raw['seconds']:5.1f} s {ceiling:8,.0f} rows/s"
        )
        server = _server_text(cpu) if name == "PostgreSQL" else ""
        print(
            f"  {'':<10} CPU seconds: importer {cpu['main']:.1f}, parsing worker {cpu['worker']:.1f}{server}"
            f" -> {alone:,.0f} rows/s by CPU on {os.cpu_count()} cores"
            f"{' (batches written while the next is staged)' if imported.get('overlapped') else ''}"
        )
        # Wall time on a shared machine mostly measures the other work: the CPU seconds of the
        # writing process (SQLite's own work included, as it runs in-process) are the ceiling's figure.
        server = _server_text(raw["cpu"]) if name == "PostgreSQL" else ""
        print(
            f"  {'':<10} raw insert CPU seconds: {raw_cpu:.1f}{server}"
            f" -> {raw['rows'] / max(raw_cpu, 1e-9):,.0f} rows/s on a core of its own"
        )
    if args.memory_rows:
        big = DATA / f"leads-{args.memory_rows}.csv"
        generate(big, args.memory_rows)
        result = run(sqlite, big, "import")
        verdict = "ok" if result["peak_mb"] < 300 else "ABOVE TARGET"
        print(
            f"Peak memory importing {args.memory_rows:,} rows into SQLite: {result['peak_mb']:.0f} MB "
            f"(max RSS of the importer and of its worker; target < 300 MB: {verdict}); "
            f"{result['rows'] / result['seconds']:,.0f} rows/s at load average {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    main()
