"""Voronka beside a peer CRM on the same work: MicroPyramid's Django CRM ("BottleCRM", django-crm 1.35).

    .venv/bin/python bench/peer.py [--scale 1] [--workers 2]

Both run under gunicorn with the same number of sync workers on 127.0.0.1, each against its own
fresh database on the local PostgreSQL (the peer's owned by a non-superuser role, so its
row-level security applies; bench/peers/bottlecrm.sh installs and resets it). One client
(Python's http.client, a new connection per request, as sync workers close them) does the same
work on both, in this order:

1. create N leads one request each (N = 10,000 × scale; 2 client threads, one per worker):
   Voronka `POST /api/v1/leads`, the peer `POST /api/leads/`;
2. create N more with each side's bulk path: Voronka `POST /api/v1/leads/bulk` (500 a request),
   the peer's CSV import (`/api/leads/import/preview/` then `/commit/`, 5,000 rows a file, its cap);
3. import 5,000 rows, then M rows (M = 100,000 × scale) from one CSV: Voronka's importer
   (`voronka import leads FILE`, dedup on, a process of its own, start-up included), the peer
   in 5,000-row files through preview + commit;
4. a filtered list page (50 leads of one status, and a text search) over all the leads made
   above, 1 client: p50 / p95. Voronka `GET /api/v1/leads?stage_id=…&limit=50`, the peer
   `GET /api/leads/?status=assigned&limit=50` (its list answers open and closed pages and their
   counts in one call: that is its API, measured as it is).

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
VORONKA_DB = "voronka_bench_peer"
PIECE = 5_000  # the peer's import cap per file
BATCH = 500  # Voronka's bulk cap per request
B24_BUCKET, B24_DRAIN, B24_BATCH = 50, 2.0, 50


# --- requests ------------------------------------------------------------------------------
def call(port: int, method: str, path: str, body=None, headers=None) -> tuple[int, bytes, float]:
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
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


def person(tag: str, n: int) -> dict:
    return {
        "first_name": ["Иван", "Анна", "Пётр", "Мария", "John", "Kate"][n % 6],
        "last_name": ["Иванов", "Смирнова", "Попов", "Кузнецова", "Smith", "Brown"][n % 6],
        "title": f"Bench {tag} {n}",
        "email": f"{tag}.{n}@example.com",
        "phone": f"+79{zlib.crc32(tag.encode()) % 1000:03d}{n:06d}",
    }


def csv_bytes(tag: str, start: int, stop: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["first_name", "last_name", "title", "email", "phone"])
    for n in range(start, stop):
        row = person(tag, n)
        writer.writerow([row["first_name"], row["last_name"], row["title"], row["email"], row["phone"]])
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


# --- the two sides --------------------------------------------------------------------------
class Voronka:
    name = "Voronka"

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
        self.port = api.free_port()
        self.server = api.start_server(self.env, self.port, workers=workers)

    def stop(self) -> None:
        self.server.terminate()
        self.server.wait(timeout=30)

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

    def import_rows(self, tag: str, count: int) -> int:
        path = BENCH / "data" / f"peer-{tag}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(csv_bytes(tag, 0, count))
        env = {**self.env, "DJANGO_SETTINGS_MODULE": "voronka.settings"}
        voronka = str(Path(sys.executable).with_name("voronka"))
        done = subprocess.run(
            [voronka, "import", "leads", str(path)], env=env, capture_output=True, text=True
        )
        path.unlink()
        return 0 if done.returncode == 0 else count

    def list_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", f"/api/v1/leads?stage_id={self.status_id}&limit=50", None, self.headers)

    def search_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", "/api/v1/leads?q=smirnova&limit=50", None, self.headers)

    def count(self) -> int:
        import psycopg

        with psycopg.connect(self.url.replace("postgres://", "postgresql://")) as conn:
            return conn.execute("SELECT count(*) FROM crm_lead").fetchone()[0]


class BottleCRM:
    name = "BottleCRM"

    def __init__(self, workers: int):
        done = subprocess.run(["bash", str(SCRIPT), "reset"], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(_peer_reason() or done.stderr.strip()[-300:])
        self.headers = {"Authorization": f"Bearer {(PEER / 'token').read_text().strip()}"}
        self.port = api.free_port()
        done = subprocess.run(
            ["bash", str(SCRIPT), "serve", str(self.port), str(workers)], capture_output=True, text=True
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

    def create_one(self, row: dict) -> bool:
        body = {k: row[k] for k in ("first_name", "last_name", "title", "email", "phone")}
        body["status"] = "assigned"
        headers = {**self.headers, "Content-Type": "application/json"}
        status, _data, _s = call(self.port, "POST", "/api/leads/", json.dumps(body), headers)
        return status == 200

    def _import_piece(self, data: bytes) -> int:
        failed = 0
        for step in ("preview", "commit"):
            body, kind = multipart(data)
            status, answer, _s = call(
                self.port, "POST", f"/api/leads/import/{step}/", body, {**self.headers, "Content-Type": kind}
            )
            if status != 200:
                print(f"  BottleCRM import {step}: HTTP {status} {answer[:300]!r}", flush=True)
                return data.count(b"\n") - 1
        return failed

    def import_rows(self, tag: str, count: int) -> int:
        return sum(
            self._import_piece(csv_bytes(tag, s, min(count, s + PIECE))) for s in range(0, count, PIECE)
        )

    create_bulk = import_rows  # its bulk path is the CSV import

    def list_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", "/api/leads/?status=assigned&limit=50", None, self.headers)

    def search_page(self) -> tuple[int, bytes, float]:
        return call(self.port, "GET", "/api/leads/?search=smirnova&limit=50", None, self.headers)

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
def work(side, singles: int, rows: int, clients: int, repeat: int) -> dict:
    figures = {}
    # Warm both workers up (imports, connections, caches) before anything is counted.
    run_threads(10, clients, lambda n: side.create_one(person("warm", n)))
    for _ in range(4):
        side.list_page()
    seconds, failed = run_threads(singles, clients, lambda n: side.create_one(person("one", n)))
    figures["create_one"] = (singles - failed) / seconds, failed
    print(f"  {side.name}: {singles:,} created one by one in {seconds:.1f} s", flush=True)
    started = time.perf_counter()
    failed = side.create_bulk("bulk", singles)
    figures["create_bulk"] = (singles - failed) / (time.perf_counter() - started), failed
    # When the big import is one piece too (small scales), it is the same work: done once.
    for label, count in (("import_5k", PIECE), ("import_big", rows))[: 1 if rows == PIECE else 2]:
        print(f"  {side.name}: importing {count:,} rows", flush=True)
        started = time.perf_counter()
        failed = side.import_rows(label, count)
        figures[label] = (count - failed) / (time.perf_counter() - started), failed
    for label, page in (("list", side.list_page), ("search", side.search_page)):
        page()  # warm
        timings = []
        for _ in range(repeat):
            status, _data, seconds = page()
            if status == 200:
                timings.append(seconds)
        figures[label] = (percentile(timings, 0.5), percentile(timings, 0.95), repeat - len(timings))
    figures["leads"] = side.count()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=30, help="list pages timed per side")
    args = parser.parse_args()
    singles = max(100, round(10_000 * args.scale))
    rows = max(PIECE, round(100_000 * args.scale / PIECE) * PIECE)
    print(
        f"work: {singles:,} leads one by one ({args.workers} clients), {singles:,} by the bulk path, "
        f"imports of {PIECE:,}{f' and {rows:,}' if rows != PIECE else ''} rows, then list pages; gunicorn {args.workers} sync workers each; "
        f"load average {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    if reason := pg_available():
        print(f"PostgreSQL not reachable ({reason}): nothing measured")
        return
    results = {}
    for kind in (Voronka, BottleCRM):
        try:
            side = kind(args.workers)
        except Exception as error:  # the peer may not install here: say why, go on
            results[kind.name] = f"{type(error).__name__}: {error}"
            print(f"{kind.name}: not measured ({results[kind.name]})", flush=True)
            continue
        try:
            results[kind.name] = work(side, singles, rows, args.workers, args.repeat)
        except Exception as error:
            results[kind.name] = f"{type(error).__name__}: {error}"
            print(f"{kind.name}: failed ({results[kind.name]})", flush=True)
        finally:
            side.stop()
        print(f"{kind.name}: done, load average {os.getloadavg()[0]:.1f}", flush=True)
    report(results, singles, rows)


def report(results: dict, singles: int, rows: int) -> None:
    ours, peer = results.get("Voronka"), results.get("BottleCRM")
    peer_ok = isinstance(peer, dict)
    print()
    if not peer_ok:
        print(f"peer: not measured ({peer})")
    if not isinstance(ours, dict):
        print(f"Voronka: not measured ({ours})")
        return
    print(
        f"leads at the end: Voronka {ours['leads']:,}" + (f", BottleCRM {peer['leads']:,}" if peer_ok else "")
    )
    head = f"{'work':<44} {'Voronka':>14} {'BottleCRM':>14} {'ratio':>8}"
    print(head)
    labels = {
        "create_one": f"create {singles:,} leads, one request each",
        "create_bulk": f"create {singles:,} leads, bulk path",
        "import_5k": f"import {PIECE:,} CSV rows",
        "import_big": f"import {rows:,} CSV rows",
    }
    if rows == PIECE:
        del labels["import_big"]  # the same work as the first import: measured once
    for key, label in labels.items():
        rate, failed = ours[key]
        line = f"{label:<44} {rate:>9,.0f} /s  "
        if peer_ok:
            other, peer_failed = peer[key]
            ratio = rate / other if other else float("inf")
            line += f"{other:>9,.1f} /s  {ratio:>7.1f}×"
            failed += peer_failed
        print(line + (f"   ({failed} failed)" if failed else ""))
    for key, label in (("list", "list page, one status, 50 rows"), ("search", "list page, text search")):
        p50, p95, failed = ours[key]
        line = f"{label:<44} {p50:>6.1f}/{p95:>5.1f} ms"
        if peer_ok:
            other50, other95, peer_failed = peer[key]
            line += f" {other50:>6.1f}/{other95:>5.1f} ms {other50 / p50 if p50 else 0:>6.1f}×"
            failed += peer_failed
        print(line + "  (p50/p95)" + (f"   ({failed} failed)" if failed else ""))
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
