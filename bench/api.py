"""The JSON API under load: gunicorn (2 sync workers) on 127.0.0.1 and a client on loopback.

    .venv/bin/python bench/api.py [--leads 1000000] [--seconds 10] [--only sqlite|postgresql]

For SQLite (bench/data/api.sqlite3) and PostgreSQL (BENCH_PG_URL, default
postgres://postgres@127.0.0.1:5432/voronka_bench; skipped when unreachable) it prints:

- lead creates per second through POST /api/v1/leads (the whole service path: normalization,
  duplicate check, stage history, timeline, event) beside the same server's minimal JSON view;
  target: at least 35 % of the minimal view's rate;
- a 50-row page of leads filtered by status over N leads (GET /api/v1/leads?stage=…): p50/p95
  latency and requests per second with one client, and the rate with four, beside a bare
  endpoint that runs the same two queries unscoped and writes the JSON by hand;
  targets: p95 <= 20 ms with one client, and at least 70 % of the bare endpoint's rate.

The database is filled once (bench/api_data.py) and reused. The machine may be shared with other
work: the load average is printed beside the figures.
"""

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
DATA = BENCH / "data"
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/voronka_bench"
TARGETS = {"create_ratio": 0.35, "list_p95_ms": 20.0, "list_ratio": 0.70}


# --- the child process that migrates, fills the database and makes a token ------------------
def prepare(leads: int) -> None:
    sys.path[:0] = [str(ROOT / "src"), str(BENCH)]
    import django

    django.setup()
    from django.core.management import call_command

    from voronka.accounts.models import User
    from voronka.accounts.services import create_token, system_user

    call_command("migrate", verbosity=0, interactive=False)
    import api_data

    dataset = api_data.ensure_leads(leads, progress=lambda line: print(line, file=sys.stderr, flush=True))
    _token, head_token = create_token(
        user=User.objects.get(pk=dataset.head_id), actor=system_user(), name="bench"
    )
    _token, manager_token = create_token(
        user=User.objects.get(pk=dataset.managers[0]), actor=system_user(), name="bench"
    )
    print(
        json.dumps(
            {
                "leads": dataset.leads,
                "head_token": head_token,
                "manager_token": manager_token,
                "status_ids": dataset.status_ids,
            }
        )
    )


# --- load --------------------------------------------------------------------------------
@dataclass
class Run:
    latencies: list[float]
    seconds: float
    errors: int
    statuses: dict[int, int]
    server_cpu: float = 0.0  # CPU seconds of the gunicorn workers (with SQLite: the database too)
    database_cpu: float = 0.0  # CPU seconds of the PostgreSQL backends serving them
    client_cpu: float = 0.0  # CPU seconds of this load generator

    def cpu_ms(self, seconds: float) -> float:
        """CPU milliseconds per answered request."""
        return seconds * 1000 / len(self.latencies) if self.latencies else float("nan")

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000 if ordered else float("nan")


# --- CPU time of the server's processes (the machine may be shared: wall time is not enough) ---
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
SERVER: dict = {"pid": None, "pg_url": None}


def _cpu_of(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return found


def _backends() -> list[int]:
    url = SERVER["pg_url"]
    if not url:
        return []
    import psycopg

    name = url.rsplit("/", 1)[-1]
    with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
        ).fetchall()
    return [row[0] for row in rows]


def cpu_snapshot() -> dict[str, dict[int, float]]:
    """CPU seconds so far of each gunicorn worker and each PostgreSQL backend of the bench."""
    workers = _children(SERVER["pid"]) if SERVER["pid"] else []
    return {
        "server": {pid: _cpu_of(pid) for pid in workers},
        "database": {pid: _cpu_of(pid) for pid in _backends()},
    }


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    return sum(after[pid] - before.get(pid, 0.0) for pid in after)


def load(port: int, request, *, clients: int, seconds: float) -> Run:
    """Send requests from `clients` threads for `seconds`; `request(n)` gives (method, path, body, headers)."""
    before, client_before = cpu_snapshot(), time.process_time()
    run = _load(port, request, clients=clients, seconds=seconds)
    after = cpu_snapshot()
    run.client_cpu = time.process_time() - client_before
    run.server_cpu = _spent(before["server"], after["server"])
    run.database_cpu = _spent(before["database"], after["database"])
    return run


def _load(port: int, request, *, clients: int, seconds: float) -> Run:
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    errors = 0
    counter = iter(range(10**9))
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        nonlocal errors
        while time.monotonic() < deadline:
            with lock:
                number = next(counter)
            method, path, body, headers = request(number)
            started = time.perf_counter()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                connection.close()
            except OSError:
                with lock:
                    errors += 1
                continue
            elapsed = time.perf_counter() - started
            with lock:
                statuses[response.status] = statuses.get(response.status, 0) + 1
                if 200 <= response.status < 300:
                    latencies.append(elapsed)
                else:
                    errors += 1

    threads = [threading.Thread(target=client) for _ in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Run(latencies=latencies, seconds=time.monotonic() - started, errors=errors, statuses=statuses)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict[str, str], port: int, workers: int = 2) -> subprocess.Popen:
    command = [GUNICORN, "voronka.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)]
    command += ["--pythonpath", str(BENCH), "--log-level", "warning", "--timeout", "120"]
    server = subprocess.Popen(command, env=env)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise RuntimeError("gunicorn did not start")


def measure(name: str, database_url: str, args) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "apiserver.settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
        # The limit is counted on every request (its cost is measured) but never reached.
        "API_RATE_LIMIT": "1000000000/min",
        "TASKS_BACKEND": "db",
    }
    print(f"\n== {name}: preparing {args.leads:,} leads (made once, then reused)", flush=True)
    prepared = subprocess.run(
        [PYTHON, __file__, "--prepare", "--leads", str(args.leads)], env=env, capture_output=True, text=True
    )
    if prepared.returncode:
        print(prepared.stderr[-3000:])
        raise RuntimeError(f"{name}: preparation failed")
    info = json.loads(prepared.stdout.strip().splitlines()[-1])
    port = free_port()
    server = start_server(env, port)
    SERVER["pid"], SERVER["pg_url"] = (
        server.pid,
        database_url if database_url.startswith("postgres") else None,
    )
    try:
        return run_measurements(port, info, args)
    finally:
        server.terminate()
        server.wait(timeout=30)


def run_measurements(port: int, info: dict, args) -> dict:
    head = {"Authorization": f"Bearer {info['head_token']}", "Content-Type": "application/json"}
    manager = {"Authorization": f"Bearer {info['manager_token']}"}
    status_id = info["status_ids"]["IN_PROCESS"]
    run_id = int(time.time()) % 1000
    stamp = time.time_ns() % 10**6

    def create(number: int):
        body = json.dumps(
            {
                "title": f"Bench {stamp}-{number}",
                "first_name": "Иван",
                "phones": [f"+7 9{run_id % 100:02d} {stamp % 1000:03d}{number % 10000:04d}"],
                "emails": [f"b{stamp}.{number}@example.org"],
                "source": "WEB",
                "amount": "15000",
            }
        )
        return "POST", "/api/v1/leads", body, head

    def minimal(number: int):
        return "GET", "/bench/minimal", None, {}

    def api_list(number: int):
        return "GET", f"/api/v1/leads?stage_id={status_id}&limit=50", None, head

    def manager_list(number: int):
        return "GET", f"/api/v1/leads?stage_id={status_id}&limit=50", None, manager

    def bare_list(number: int):
        return "GET", f"/bench/bare-leads?stage_id={status_id}&limit=50", None, {}

    # Warm up both workers (imports, connections, caches) before anything is counted.
    for request in (minimal, api_list, bare_list, create):
        load(port, request, clients=2, seconds=1.0)
    results = {"leads": info["leads"]}
    seconds, clients = args.seconds, args.clients
    results["minimal"] = load(port, minimal, clients=clients, seconds=seconds)
    results["create"] = load(port, create, clients=clients, seconds=seconds)
    results["list_1"] = load(port, api_list, clients=1, seconds=seconds)
    results["bare_1"] = load(port, bare_list, clients=1, seconds=seconds)
    results["list_n"] = load(port, api_list, clients=clients, seconds=seconds)
    results["bare_n"] = load(port, bare_list, clients=clients, seconds=seconds)
    results["manager_1"] = load(port, manager_list, clients=1, seconds=seconds)
    return results


def report(name: str, results: dict, clients: int) -> None:
    minimal, create = results["minimal"], results["create"]
    list_1, bare_1, list_n, bare_n = (
        results["list_1"],
        results["bare_1"],
        results["list_n"],
        results["bare_n"],
    )
    create_ratio = create.rate / minimal.rate if minimal.rate else 0
    ratio_1 = list_1.rate / bare_1.rate if bare_1.rate else 0
    ratio_n = list_n.rate / bare_n.rate if bare_n.rate else 0

    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print(
        f"\n{name}: {results['leads']:,} leads; gunicorn 2 sync workers; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"  minimal JSON view      {minimal.rate:8.0f} req/s  ({clients} clients)")
    print(
        f"  POST /api/v1/leads     {create.rate:8.0f} req/s  = {create_ratio:5.1%} of minimal"
        f"   (target >= {TARGETS['create_ratio']:.0%}: {verdict(create_ratio >= TARGETS['create_ratio'])})"
        f"   p50 {create.percentile(0.5):.1f} ms, errors {create.errors}"
    )
    print(
        f"  list, 1 client         p50 {list_1.percentile(0.5):5.1f} ms  p95 {list_1.percentile(0.95):5.1f} ms"
        f"  {list_1.rate:6.0f} req/s   (target p95 <= {TARGETS['list_p95_ms']:.0f} ms:"
        f" {verdict(list_1.percentile(0.95) <= TARGETS['list_p95_ms'])})"
    )
    print(
        f"  bare, 1 client         p50 {bare_1.percentile(0.5):5.1f} ms  p95 {bare_1.percentile(0.95):5.1f} ms"
        f"  {bare_1.rate:6.0f} req/s   list = {ratio_1:5.1%} of bare"
    )
    print(
        f"  list, {clients} clients        {list_n.rate:6.0f} req/s, bare {bare_n.rate:6.0f} req/s:"
        f" list = {ratio_n:5.1%} of bare   (target >= {TARGETS['list_ratio']:.0%}:"
        f" {verdict(ratio_n >= TARGETS['list_ratio'])})"
    )
    print(
        "  CPU per request (ms): server workers"
        + (
            " + database backends"
            if any(results[name].database_cpu for name in ("minimal", "create", "list_1"))
            else ""
        )
        + "; the load generator's own CPU (the same client for every figure, on the same two cores);"
        + " wall clock beside"
    )
    for label, name in (
        ("minimal", "minimal"),
        ("create", "create"),
        ("list, 1 client", "list_1"),
        ("bare, 1 client", "bare_1"),
        ("list, n clients", "list_n"),
        ("bare, n clients", "bare_n"),
    ):
        run = results[name]
        database = f" + {run.cpu_ms(run.database_cpu):5.2f}" if run.database_cpu else ""
        print(
            f"    {label:16} {run.cpu_ms(run.server_cpu):6.2f}{database} ms CPU, load generator"
            f" {run.cpu_ms(run.client_cpu):4.2f}"
            f"   (wall {run.seconds * 1000 / max(1, len(run.latencies)):6.2f} ms per answer, {len(run.latencies)} answers)"
        )
    manager = results["manager_1"]
    print(
        f"  list as a manager      p50 {manager.percentile(0.5):5.1f} ms  p95 {manager.percentile(0.95):5.1f} ms"
        f"  {manager.rate:6.0f} req/s   (a manager's department scope, of {results['leads']:,} leads)"
    )


def postgres_reachable(url: str) -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    name = url.rsplit("/", 1)[-1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        with psycopg.connect(
            admin_url.replace("postgres://", "postgresql://"), autocommit=True, connect_timeout=3
        ) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as error:
        print(f"PostgreSQL at {url} is not reachable ({error}); skipped.")
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients for the rates")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.prepare:
        prepare(args.leads)
        return
    DATA.mkdir(parents=True, exist_ok=True)
    targets = []
    if args.only in (None, "sqlite"):
        targets.append(("SQLite", os.environ.get("BENCH_SQLITE_URL", f"sqlite:///{DATA / 'api.sqlite3'}")))
    pg_url = os.environ.get("BENCH_PG_URL", DEFAULT_PG)
    if args.only in (None, "postgresql") and postgres_reachable(pg_url):
        targets.append(("PostgreSQL", pg_url))
    for name, url in targets:
        report(name, measure(name, url, args), args.clients)


if __name__ == "__main__":
    main()
