"""Voronka beside a peer CRM on the same work: MicroPyramid's Django CRM ("BottleCRM", django-crm 1.35).

    .venv/bin/python bench/peer.py [--scale 1] [--creates N] [--piece-budget SECONDS] [--repeat 30]

Both run under gunicorn with the same number of sync workers on 127.0.0.1, each against its own
fresh database on the local PostgreSQL (the peer's owned by a non-superuser role, so its
row-level security applies; bench/peers/bottlecrm.sh installs and resets it). One client
(Python's http.client, a new connection per request, as sync workers close them) does the same
work on both (N = 10,000, L = 100,000, M = 100,000 at scale 1):

1. into an empty database, import 5,000 rows, then M rows from one CSV: Voronka's importer
   (`voronka import leads FILE`, dedup on, a process of its own, start-up included), the peer
   in 5,000-row files (its cap) through `/api/leads/import/preview/` then `/commit/` — as many
   pieces of the M-row file as --piece-budget seconds allow (another piece starts while the
   time spent plus the last piece's time fits; at least one): rows done, their rate, and the
   whole file's time as a projection (the peer's time per row grows with the leads already in
   its table, so the projection fits a line through all its files' times per row);
2. into another empty database, create N leads one request each (2 client threads, one per
   worker: Voronka `POST /api/v1/leads`, the peer `POST /api/leads/`), then N more by each
   side's bulk path (Voronka `POST /api/v1/leads/bulk`, 500 a request; the peer's CSV import);
3. fill that database up to L leads, not measured: Voronka through its importer, the peer by
   one SQL INSERT per table copying the lead its API made first (every column, its org, its
   activity row) with each copy's own name, e-mail, phone and time; VACUUM ANALYZE both (what
   autovacuum does within a minute), and ask each list how many leads it shows (the peer's
   row-level security must let the copies through);
4. a filtered list page (50 leads of one status; every lead is in it on both sides) and a text
   search (`smith`, one lead in six) over the L leads, 1 client: p50 / p95. Voronka
   `GET /api/v1/leads?stage_id=…&limit=50`, the peer `GET /api/leads/?status=assigned&limit=50`
   (its list answers open and closed pages and their counts in one call: that is its API,
   measured as it is);
5. the peer only: a 100-row file imported into those L leads, its import rate at that size.

Ratios are Voronka's rate over the peer's. Beside them: Bitrix24's cloud REST API as published
(a leaky bucket of 50 requests draining at 2 requests/s per portal, 50 commands per batch
request) for the same lead creation — limits stated, not measured. When the peer cannot be
installed here the figures say "peer: not measured (reason)" and Voronka's side is still measured.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import subprocess
import sys
import threading
import time
import uuid
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))
sys.path.insert(1, str(ROOT))

import api  # noqa: E402 - the API benchmark's server and preparation helpers
from bench.generate import PG_SERVER, _pg, pg_available  # noqa: E402

PEER = BENCH / ".peers" / "bottlecrm"
SCRIPT = BENCH / "peers" / "bottlecrm.sh"
VORONKA_DB = os.environ.get("BENCH_PEER_DB", "voronka_bench_peer")
PEER_DB = os.environ.get("BOTTLECRM_DB", "bench_bottlecrm")  # bottlecrm.sh reads the same variable
PIECE = 5_000  # the peer's import cap per file
PROBE = 100  # rows of the file that gives the peer's import rate at the list's size (a piece: ~half an hour)
BATCH = 500  # Voronka's bulk cap per request
SEARCH = "smith"  # a last name one lead in six has, on both sides
FIRST_NAMES = ["Иван", "Анна", "Пётр", "Мария", "John", "Kate"]
LAST_NAMES = ["Иванов", "Смирнова", "Попов", "Кузнецова", "Smith", "Brown"]
B24_BUCKET, B24_DRAIN, B24_BATCH = 50, 2.0, 50
PIECES: list[tuple[int, int, float]] = []  # each file the peer imported: (leads before, rows, seconds)


# --- requests ------------------------------------------------------------------------------
def call(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=900)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, data, time.perf_counter() - started


def run_threads(count: int, clients: int, one) -> tuple[float, int]:
    """Call one(n) for n in range(count) from `clients` threads; return (seconds, failures)."""
    failures = 0
    lock = threading.Lock()

    def worker(numbers):
        nonlocal failures
        for n in numbers:
            if not one(n):
                with lock:
                    failures += 1

    threads = [threading.Thread(target=worker, args=(range(k, count, clients),)) for k in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, failures


def phone_prefix(tag: str) -> str:
    return f"+79{zlib.crc32(tag.encode()) % 1000:03d}"


def person(tag: str, n: int) -> dict:
    return {
        "first_name": FIRST_NAMES[n % 6],
        "last_name": LAST_NAMES[n % 6],
        "title": f"Bench {tag} {n}",
        "email": f"{tag}.{n}@example.com",
        "phone": f"{phone_prefix(tag)}{n:06d}",
    }


def csv_bytes(tag: str, start: int, stop: int, status: str = "") -> bytes:
    """Rows start..stop-1 of the file `tag`; with `status`, a status column holding it."""
    out = io.StringIO()
    writer = csv.writer(out)
    columns = ["first_name", "last_name", "title", "email", "phone"]
    writer.writerow(columns + (["status"] if status else []))
    for n in range(start, stop):
        row = person(tag, n)
        writer.writerow([row[name] for name in columns] + ([status] if status else []))
    return out.getvalue().encode()


def multipart(data: bytes, name: str = "leads.csv") -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: text/csv\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


def pg_connect(database: str):
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{database}".replace("postgres://", "postgresql://"), autocommit=True)


def vacuum_analyze(database: str) -> None:
    """What autovacuum does within a minute of a bulk load, done now on both sides alike."""
    with pg_connect(database) as conn:
        conn.execute("VACUUM ANALYZE")


# --- the two sides --------------------------------------------------------------------------
class Voronka:
    name = "Voronka"
    probe = False  # its fill is an import at that size already
    filled_by = "its importer, `voronka import leads`"

    def __init__(self, workers: int):
        _pg(f'DROP DATABASE IF EXISTS "{VORONKA_DB}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{VORONKA_DB}"')
        self.url = f"{PG_SERVER}/{VORONKA_DB}"
        self.env = {
            **os.environ,
            "DATABASE_URL": self.url,
            "DJANGO_SETTINGS_MODULE": "apiserver.settings",
            "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
            "API_RATE_LIMIT": "1000000000/min",
            "TASKS_BACKEND": "db",
        }
        prepared = subprocess.run(
            [sys.executable, api.__file__, "--prepare", "--leads", "0"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        info = json.loads(prepared.stdout.strip().splitlines()[-1])
        self.headers = {"Authorization": f"Bearer {info['head_token']}", "Content-Type": "application/json"}
        self.status_id = info["status_ids"]["NEW"]
        # The imports go into a copy of the migrated, still empty database (the CLI needs no server).
        _pg(f'DROP DATABASE IF EXISTS "{VORONKA_DB}_import" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{VORONKA_DB}_import" TEMPLATE "{VORONKA_DB}"')
        self.import_url = f"{PG_SERVER}/{VORONKA_DB}_import"
        self.port = api.free_port()
        self.server = api.start_server(self.env, self.port, workers=workers)

    def fresh(self) -> None:
        """The creates' database is still empty: the imports went into their own."""

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)
        for name in (VORONKA_DB, f"{VORONKA_DB}_import"):
            _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    @staticmethod
    def _body(row: dict) -> dict:
        return {
            "title": row["title"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "phones": [row["phone"]],
            "emails": [row["email"]],
        }

    def create_one(self, row: dict) -> bool:
        status, _data, _s = call(
            self.port, "POST", "/api/v1/leads", json.dumps(self._body(row)), self.headers
        )
        return status in (200, 201)

    def create_bulk(self, tag: str, count: int) -> int:
        failed = 0
        for start in range(0, count, BATCH):
            items = [self._body(person(tag, n)) for n in range(start, min(count, start + BATCH))]
            status, answer, _s = call(
                self.port, "POST", "/api/v1/leads/bulk", json.dumps({"items": items}), self.headers
            )
            if status != 201:
                failed += len(items)
                print(f"  Voronka bulk: HTTP {status} {answer[:300]!r}", flush=True)
        return failed

    def import_rows(
        self, tag: str, count: int, budget: float | None = None, url: str = ""
    ) -> tuple[int, int, list[tuple[int, float]]]:
        """Import `count` rows as one file into the imports' database (or `url`'s); return (rows
        tried, rows failed, [(leads before, seconds)]). One process for the whole file: `budget`
        (the peer's) does not apply."""
        before = self.count(url or self.import_url)
        started = time.perf_counter()
        path = BENCH / "data" / f"peer-{tag}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(csv_bytes(tag, 0, count))
        env = {
            **self.env,
            "DATABASE_URL": url or self.import_url,
            "DJANGO_SETTINGS_MODULE": "voronka.settings",
        }
        voronka = str(Path(sys.executable).with_name("voronka"))
        done = subprocess.run(
            [voronka, "import", "leads", str(path)], env=env, capture_output=True, text=True
        )
        path.unlink()
        if done.returncode:
            print(f"  Voronka import: exit {done.returncode} {done.stderr[-300:]!r}", flush=True)
        return count, 0 if done.returncode == 0 else count, [(before, time.perf_counter() - started)]

    def fill(self, count: int) -> int:
        return self.import_rows("fill", count, url=self.url)[1]

    def vacuum_analyze(self) -> None:
        vacuum_analyze(VORONKA_DB)

    def list_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", f"/api/v1/leads?stage_id={self.status_id}&limit=50", None, self.headers)

    def search_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", f"/api/v1/leads?q={SEARCH}&limit=50", None, self.headers)

    @staticmethod
    def page_rows(data: bytes) -> int:
        return len(json.loads(data)["items"])

    def count(self, url: str = "") -> int:
        with pg_connect((url or self.url).rsplit("/", 1)[1]) as conn:
            return conn.execute("SELECT count(*) FROM crm_lead").fetchone()[0]


class BottleCRM:
    name = "BottleCRM"
    probe = True
    filled_by = (
        "one SQL INSERT per table copying its first API-made lead and that lead's activity row, "
        "each copy with its own id, name, e-mail, phone and time, in its org"
    )

    def __init__(self, workers: int):
        self.workers = workers
        self.fresh()

    def fresh(self) -> None:
        """An empty database (its migrated template, an org, a user, a token) and its gunicorn on it."""
        subprocess.run(["bash", str(SCRIPT), "stop"], check=False)
        done = subprocess.run(["bash", str(SCRIPT), "reset"], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(_peer_reason() or done.stderr.strip()[-300:])
        self.headers = {"Authorization": f"Bearer {(PEER / 'token').read_text().strip()}"}
        self.port = api.free_port()
        done = subprocess.run(
            ["bash", str(SCRIPT), "serve", str(self.port), str(self.workers)], capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(_peer_reason() or done.stderr.strip()[-300:])
        for _ in range(300):
            try:
                if call(self.port, "GET", "/api/leads/?limit=1", None, self.headers)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("its gunicorn did not answer GET /api/leads/ with 200 within a minute")

    def stop(self) -> None:
        subprocess.run(["bash", str(SCRIPT), "stop"], check=False)
        subprocess.run(["bash", str(SCRIPT), "drop"], check=False)

    def create_one(self, row: dict) -> bool:
        body = {k: row[k] for k in ("first_name", "last_name", "title", "email", "phone")}
        body["status"] = "assigned"
        headers = {**self.headers, "Content-Type": "application/json"}
        status, _data, _s = call(self.port, "POST", "/api/leads/", json.dumps(body), headers)
        return status == 200

    def _import_piece(self, data: bytes) -> int:
        """Preview then commit one file; return the rows that failed."""
        rows = data.count(b"\n") - 1
        for step in ("preview", "commit"):
            body, kind = multipart(data)
            status, answer, _s = call(
                self.port, "POST", f"/api/leads/import/{step}/", body, {**self.headers, "Content-Type": kind}
            )
            if status != 200:
                print(f"  BottleCRM import {step}: HTTP {status} {answer[:300]!r}", flush=True)
                return rows
        return rows - json.loads(answer).get("created", 0)

    def import_rows(
        self, tag: str, count: int, budget: float | None = None
    ) -> tuple[int, int, list[tuple[int, float]]]:
        """Import the `count`-row file `tag` in 5,000-row pieces; return (rows tried, rows failed,
        [(leads before the piece, its seconds)]). With `budget`, another piece starts only while the
        time spent plus the last piece's time fits in it (the first piece always runs)."""
        tried, failed, pieces = 0, 0, []
        leads = self.count()
        for start in range(0, count, PIECE):
            spent = sum(seconds for _leads, seconds in pieces)
            if budget is not None and pieces and spent + pieces[-1][1] > budget:
                break
            started = time.perf_counter()
            stop = min(count, start + PIECE)
            piece_failed = self._import_piece(csv_bytes(tag, start, stop, status="assigned"))
            pieces.append((leads, time.perf_counter() - started))
            PIECES.append((leads, stop - start, pieces[-1][1]))
            print(
                f"  BottleCRM: {tag}: {stop:,} / {count:,} rows, that piece {pieces[-1][1]:.0f} s "
                f"(into {leads:,} leads)",
                flush=True,
            )
            leads += stop - start - piece_failed
            failed += piece_failed
            tried = stop
        return tried, failed, pieces

    def create_bulk(self, tag: str, count: int) -> int:  # its bulk path is the CSV import
        return self.import_rows(tag, count)[1]

    def fill(self, count: int) -> int:
        """Copy its first API-made lead `count` times in SQL (as the superuser: every column, the same
        org, so its row-level security shows them), and that lead's activity row for each copy."""
        with pg_connect(PEER_DB) as conn, conn.transaction():
            template = conn.execute(
                "SELECT id FROM lead WHERE title = %s UNION ALL (SELECT id FROM lead ORDER BY created_at LIMIT 1)",
                [person("one", 0)["title"]],
            ).fetchone()[0]
            conn.execute(
                "CREATE TEMP TABLE fill ON COMMIT DROP AS"
                " SELECT n, gen_random_uuid() AS id FROM generate_series(0, %s - 1) AS n",
                [count],
            )
            prefix = phone_prefix("fill")
            lead = {
                "id": "f.id",
                "title": "'Bench fill ' || f.n",
                "first_name": "(%(first)s::text[])[f.n %% 6 + 1]",
                "last_name": "(%(last)s::text[])[f.n %% 6 + 1]",
                "email": "'fill.' || f.n || '@example.com'",
                "phone": f"'{prefix}' || lpad(f.n::text, 6, '0')",
                "phone_e164": f"'{prefix}' || lpad(f.n::text, 6, '0')",
                "status": "'assigned'",
                "created_at": "t.created_at - f.n * interval '1 second'",
                "updated_at": "t.created_at - f.n * interval '1 second'",
            }
            names = {"first": FIRST_NAMES, "last": LAST_NAMES, "template": template}
            inserted = self._copy(conn, "lead", lead, "SELECT * FROM lead WHERE id = %(template)s", names)
            kind = self._type(conn, "activity", "entity_id")
            activity = {
                "id": "gen_random_uuid()",
                "entity_id": f"CAST(f.id AS {kind})",
                "entity_name": "'Bench fill ' || f.n",
                "created_at": "t.created_at - f.n * interval '1 second'",
                "updated_at": "t.created_at - f.n * interval '1 second'",
            }
            self._copy(
                conn,
                "activity",
                activity,
                f"SELECT * FROM activity WHERE entity_id = CAST(%(template)s AS {kind}) "
                "ORDER BY created_at LIMIT 1",
                names,
            )
        return count - inserted

    @staticmethod
    def _type(conn, table: str, column: str) -> str:
        return conn.execute(
            "SELECT data_type FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name = %s AND column_name = %s",
            [table, column],
        ).fetchone()[0]

    @staticmethod
    def _copy(conn, table: str, override: dict, template: str, params: dict) -> int:
        """INSERT one row per `fill` row: the template row's columns, `override`'s where it names them."""
        columns = [
            row[0]
            for row in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' "
                "AND table_name = %s ORDER BY ordinal_position",
                [table],
            )
        ]
        values = ", ".join(override.get(name, f't."{name}"') for name in columns)
        names = ", ".join(f'"{name}"' for name in columns)
        return conn.execute(
            f'INSERT INTO "{table}" ({names}) SELECT {values} FROM fill f CROSS JOIN ({template}) t', params
        ).rowcount

    def vacuum_analyze(self) -> None:
        vacuum_analyze(PEER_DB)

    def list_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", "/api/leads/?status=assigned&limit=50", None, self.headers)

    def search_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", f"/api/leads/?search={SEARCH}&limit=50", None, self.headers)

    @staticmethod
    def page_rows(data: bytes) -> int:
        answer = json.loads(data)
        return len(answer["open_leads"]["open_leads"]) + len(answer["close_leads"]["close_leads"])

    def count(self) -> int:
        status, data, _s = call(self.port, "GET", "/api/leads/?limit=1", None, self.headers)
        answer = json.loads(data) if status == 200 else {}
        return (answer.get("open_leads") or {}).get("leads_count", 0) + (answer.get("close_leads") or {}).get(
            "leads_count", 0
        )


def _peer_reason() -> str:
    marker = PEER / "unavailable"
    return marker.read_text().strip() if marker.exists() else ""


# --- the work -------------------------------------------------------------------------------
def work(
    side, singles: int, fill_to: int, rows: int, clients: int, repeat: int, budget: float | None
) -> dict:
    figures = {}
    for _ in range(4):  # warm both workers up (imports, connections, caches) before anything is counted
        side.list_page()
    # 1. The imports, into an empty database: 5,000 rows, then the big file (the peer: its pieces
    # within the budget). When the big import is one piece too (small scales), it is done once.
    for label, count in (("import_5k", PIECE), ("import_big", rows))[: 1 if rows == PIECE else 2]:
        print(f"  {side.name}: importing {count:,} rows", flush=True)
        tried, failed, pieces = side.import_rows(label, count, budget if label == "import_big" else None)
        figures[label] = (tried - failed) / sum(seconds for _leads, seconds in pieces), failed, tried, pieces

    # 2. The creates, into an empty database again.
    side.fresh()
    run_threads(10, clients, lambda n: side.create_one(person("warm", n)))
    seconds, failed = run_threads(singles, clients, lambda n: side.create_one(person("one", n)))
    figures["create_one"] = (singles - failed) / seconds, failed
    print(f"  {side.name}: {singles:,} created one by one in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    failed = side.create_bulk("bulk", singles)
    seconds = time.perf_counter() - started
    figures["create_bulk"] = (singles - failed) / seconds, failed
    print(f"  {side.name}: {singles:,} created by the bulk path in {seconds:.1f} s", flush=True)

    # 3. Up to `fill_to` leads (not measured), VACUUM ANALYZE as autovacuum would, then the lists.
    before = side.count()
    started = time.perf_counter()
    if fill_to > before:
        failed = side.fill(fill_to - before)
        if failed:
            print(f"  {side.name}: {failed:,} leads of the fill failed", flush=True)
    seconds = time.perf_counter() - started
    side.vacuum_analyze()
    figures["listed"] = side.count()
    print(
        f"  {side.name}: filled from {before:,} to {fill_to:,} leads by {side.filled_by} in {seconds:.0f} s "
        f"({max(0, fill_to - before) / seconds:,.0f} a second; not measured), then VACUUM ANALYZE; its list "
        f"counts {figures['listed']:,}",
        flush=True,
    )
    for label, page in (("list", side.list_page), ("search", side.search_page)):
        status, data, _s = page()  # warm
        shown = side.page_rows(data) if status == 200 else 0
        timings = []
        for _ in range(repeat):
            status, _data, seconds = page()
            if status == 200:
                timings.append(seconds)
        figures[label] = (percentile(timings, 0.5), percentile(timings, 0.95), repeat - len(timings), shown)
    if side.probe:  # 4. the peer's import rate at the list's size, on a small file
        tried, failed, pieces = side.import_rows("import_probe", PROBE)
        figures["probe"] = (tried - failed) / pieces[0][1], failed, pieces[0][0]
    return figures


def projection(start: int, rows: int, rate: float) -> str:
    """The peer's time for a whole `rows`-row file into `start` leads: at `rate` (its pieces' rows
    a second), and with the growth of its time per row fitted through all its files' times."""
    fit = growth(PIECES)
    text = (
        f"  Projection, not measured: the whole {rows:,}-row file into {start:,} leads would take it "
        f"{rows / rate / 60:.0f} min at its pieces' rate"
    )
    if fit is None:
        return text + "."
    a, b = fit
    pieces = [(start + done, min(PIECE, rows - done)) for done in range(0, rows, PIECE)]
    grown = sum(n * (a + b * (leads + n / 2)) for leads, n in pieces)
    return (
        text + f"; but its time per row grows with the leads already in its table (least squares over its "
        f"{len(PIECES)} files: {a * 1000:.1f} ms + {b * 1e9:.0f} ms per million leads), and at that "
        f"growth {grown / 60:.0f} min."
    )


def growth(pieces: list[tuple[int, int, float]]) -> tuple[float, float] | None:
    """Least squares of seconds per row = a + b × the leads in the table at the piece's middle."""
    points = [(leads + rows / 2, seconds / rows) for leads, rows, seconds in pieces if rows]
    if len({x for x, _y in points}) < 2:
        return None
    mean_x = sum(x for x, _y in points) / len(points)
    mean_y = sum(y for _x, y in points) / len(points)
    b = sum((x - mean_x) * (y - mean_y) for x, y in points) / sum((x - mean_x) ** 2 for x, _y in points)
    return mean_y - b * mean_x, b


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30, help="list pages timed per side")
    parser.add_argument("--creates", type=int, help="leads created each way (10,000 × scale)")
    parser.add_argument("--fill", type=int, help="leads in each database for the list (100,000 × scale)")
    parser.add_argument(
        "--piece-budget",
        type=float,
        help="seconds for the peer's pieces of the big import (default: the whole file)",
    )
    args = parser.parse_args()
    singles = args.creates or max(100, round(10_000 * args.scale))
    rows = max(PIECE, round(100_000 * args.scale / PIECE) * PIECE)
    fill_to = args.fill if args.fill is not None else round(100_000 * args.scale)
    budget = args.piece_budget
    print(
        f"work: imports of {PIECE:,}{f' and {rows:,}' if rows != PIECE else ''} rows into an empty database"
        + (
            f" (the peer: the pieces of the {rows:,}-row file that fit in {budget:g} s)"
            if budget and rows > PIECE
            else ""
        )
        + f"; into another, {singles:,} leads one by one ({args.workers} clients) and {singles:,} by the bulk "
        f"path, then list pages over {fill_to:,} leads; gunicorn {args.workers} sync workers each; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if reason := pg_available():
        print(f"PostgreSQL not reachable ({reason}): nothing measured")
        return
    results = {}
    for kind in (Voronka, BottleCRM):
        started = time.perf_counter()
        try:
            side = kind(args.workers)
        except Exception as error:  # the peer may not install here: say why, go on
            results[kind.name] = f"{type(error).__name__}: {error}"
            print(f"{kind.name}: not measured ({results[kind.name]})", flush=True)
            continue
        try:
            results[kind.name] = work(side, singles, fill_to, rows, args.workers, args.repeat, budget)
        except Exception as error:
            results[kind.name] = f"{type(error).__name__}: {error}"
            print(f"{kind.name}: failed ({results[kind.name]})", flush=True)
        finally:
            side.stop()
        print(
            f"{kind.name}: done in {time.perf_counter() - started:.0f} s, load average {os.getloadavg()[0]:.1f}",
            flush=True,
        )
    report(results, singles, rows, budget)


def report(results: dict, singles: int, rows: int, budget: float | None) -> None:
    ours, peer = results.get("Voronka"), results.get("BottleCRM")
    peer_ok = isinstance(peer, dict)
    print()
    if not peer_ok:
        print(f"peer: not measured ({peer})")
    if not isinstance(ours, dict):
        print(f"Voronka: not measured ({ours})")
        return
    print(
        f"leads listed: Voronka {ours['listed']:,}" + (f", BottleCRM {peer['listed']:,}" if peer_ok else "")
    )
    head = f"{'work':<44} {'Voronka':>14} {'BottleCRM':>14} {'ratio':>8}"
    print(head)
    labels = {
        "import_5k": f"import {PIECE:,} CSV rows",
        "import_big": f"import {rows:,} CSV rows",
        "create_one": f"create {singles:,} leads, one request each",
        "create_bulk": f"create {singles:,} leads, bulk path",
    }
    if rows == PIECE:
        del labels["import_big"]  # the same work as the first import: measured once
    for key, label in labels.items():
        rate, failed = ours[key][:2]
        line = f"{label:<44} {rate:>9,.0f} /s  "
        if peer_ok:
            other, peer_failed = peer[key][:2]
            ratio = rate / other if other else float("inf")
            partial = key == "import_big" and peer[key][2] < rows
            line += f"{other:>9,.1f} /s{'*' if partial else ' '} {ratio:>7.1f}×"
            failed += peer_failed
        print(line + (f"   ({failed} failed)" if failed else ""))
    for key, label in (
        ("list", "list page, one status, 50 rows"),
        ("search", f"list page, text search '{SEARCH}'"),
    ):
        p50, p95, failed, shown = ours[key]
        line = f"{label:<44} {p50:>6.1f}/{p95:>5.1f} ms"
        if peer_ok:
            other50, other95, peer_failed, peer_shown = peer[key]
            line += f" {other50:>6.1f}/{other95:>5.1f} ms {other50 / p50 if p50 else 0:>6.1f}×"
            failed += peer_failed
        rows_shown = f"{shown}" + (f" / {peer_shown}" if peer_ok else "")
        print(line + f"  (p50/p95; {rows_shown} rows a page)" + (f"   ({failed} failed)" if failed else ""))
    if peer_ok and rows > PIECE and peer["import_big"][2] < rows:
        rate, _failed, tried, pieces = peer["import_big"]
        print(
            f"* BottleCRM: {tried:,} / {rows:,} rows of the {rows:,}-row file imported in {len(pieces)} "
            f"pieces of {PIECE:,} within the pieces' budget of {budget:g} s "
            f"({', '.join(f'{seconds:.0f} s into {leads:,} leads' for leads, seconds in pieces)}): "
            f"{rate:,.1f} rows/s (Voronka imported the whole file in {ours['import_big'][3][0][1]:.0f} s)."
        )
        print(projection(pieces[0][0], rows, rate))
    if peer_ok and "probe" in peer:
        rate, failed, leads = peer["probe"]
        print(
            f"BottleCRM, a {PROBE}-row file into its {leads:,} leads (after the lists): {rate:.1f} rows/s, "
            f"{1000 / rate if rate else 0:,.0f} ms a row" + (f" ({failed} failed)" if failed else "")
        )
    if peer_ok:
        print(
            "BottleCRM's CSV files, time per row against the leads already in its table: "
            + ", ".join(
                f"{seconds / rows * 1000:.1f} ms at {leads + rows // 2:,}" for leads, rows, seconds in PIECES
            )
        )
    one_by_one = (singles - B24_BUCKET) / B24_DRAIN if singles > B24_BUCKET else 0.0
    batches = -(-singles // B24_BATCH)
    batched = (batches - B24_BUCKET) / B24_DRAIN if batches > B24_BUCKET else 0.0
    print(
        f"Bitrix24 cloud REST, published limits (not measured): {singles:,} crm.lead.add one request each "
        f"take at least {one_by_one:,.0f} s ({singles / max(one_by_one, 1):,.1f}/s: a bucket of {B24_BUCKET} "
        f"requests draining at {B24_DRAIN:g}/s); in batches of {B24_BATCH} commands, {batches:,} requests "
        + (
            f"take at least {batched:,.0f} s"
            if batched
            else f"fit in the bucket's first {B24_BUCKET} requests (no wait)"
        )
        + ", and each command still counts toward the per-method time limit"
    )


if __name__ == "__main__":
    main()
