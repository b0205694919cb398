"""`make bench`: run every benchmark in bench/ and write bench/RESULTS.md.

    .venv/bin/python bench/run.py [--scale 1] [--seed 1] [--only api,web] [--no-peer] [--timeout 900]

A benchmark is any `bench/*.py` except this runner, `generate.py`, `api_profile.py` (a profiling
tool), files starting with `_`,
data builders ending in `_data.py` and task modules ending in `_tasks.py`; one added later joins by being there. Each runs in a process
of its own, its output kept whole in RESULTS.md beside its method (the docstring's first
paragraph), its ceiling and its wall time; a failure or a time-out is recorded and the run goes
on. A benchmark that is not listed in `PLANS` below runs as `python bench/NAME.py` with
BENCH_SCALE, BENCH_SEED and BENCH_PG in its environment (bench/generate.py's `clone()` gives it
its own copy of the shared database).

The shared databases come from bench/generate.py at `--scale` (1 by default, the issues' sizes:
1,000,000 leads, 1,000,000 deals, ~5,000,000 history rows, 2,000,000 activities, 1,000,000
contacts; `--scale 0.1` for a quicker look). A benchmark's copies of them are dropped when it
ends. The peer CRM (bench/peers/bottlecrm.sh) is installed in the background while the databases
are built and the first benchmarks (those without a target) run; it is measured on the issue's
work but for two cuts (PEER_CREATES, PEER_PIECE_BUDGET): its import slows as its table grows, so
it imports the 5,000-row pieces of the 100,000-row file that fit in a budget and the whole file
is projected.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))

from bench import generate  # noqa: E402

PYTHON = sys.executable
SKIP = {"run.py", "generate.py", "__init__.py", "api_profile.py"}  # api_profile: a tool, not a figure
# The benchmarks without a target run first, while the peer installs in the background (pip and
# its migrations: ~6 minutes on a fresh clone); the rest follow, by name.
FIRST = ["intake", "automation", "b24", "imports", "web", "analytics", "api", "peer"]
# The peer at the run's scale up to 1: the lists over 100,000 leads and imports of 5,000
# and 100,000 rows, but PEER_CREATES leads each way (not 10,000) and of the 100,000-row file only
# the 5,000-row pieces that fit in PEER_PIECE_BUDGET seconds (its time per row grows with its
# table: the whole file would take it hours), so that its run takes ~8 min on an idle machine.
PEER_CREATES = 5_000
PEER_PIECE_BUDGET = 150
PEER_REPEAT = 20  # list pages timed per side (the peer's take 1-3 s each over 100,000 leads)
PEER_TIMEOUT = 1800  # seconds: 25 min under a load average of 10 (docs/performance.md, "Peer")


@dataclass
class Plan:
    """How to run one benchmark: each (label, argv, env) is one process."""

    runs: list[tuple[str, list[str], dict[str, str]]] = field(default_factory=list)
    ceiling: str = "see its output"
    timeout: int | None = None  # seconds per process, when not the runner's --timeout


def plans(scale: float, seed: int, pg: bool, copies: list[str]) -> dict[str, callable]:
    """Per benchmark a function that builds its Plan (databases cloned when it is about to run;
    their URLs are added to `copies`, for the runner to drop when the benchmark ends)."""
    n = generate.counts(scale)

    def clone(vendor: str, name: str) -> str:
        copies.append(url := generate.clone(vendor, name, scale, seed))
        return url

    def api() -> Plan:
        env = {"BENCH_SQLITE_URL": clone("sqlite", "api")}
        only = []
        if pg:
            env["BENCH_PG_URL"] = clone("postgresql", "api")
        else:
            only = ["--only", "sqlite"]
        return Plan(
            [("SQLite and PostgreSQL", ["--leads", str(n["leads"]), "--seconds", "6", *only], env)],
            "a minimal JSON view on the same gunicorn (create rate as a share of it); a bare endpoint running "
            "the list's two queries unscoped and dumping rows to JSON by hand (list rate as a share of it)",
        )

    def web() -> Plan:
        return Plan(
            [
                (
                    "SQLite",
                    # The 1,000,000 deals at any scale: web_data copies the base's deals up to it.
                    ["--deals", str(max(n["deals"], 1_000_000)), "--runs", "10"],
                    {"DATABASE_URL": clone("sqlite", "web")},
                )
            ],
            "a minimal view through the same middleware and test client (first row of the table)",
        )

    def analytics() -> Plan:
        runs = [("SQLite", ["--database", clone("sqlite", "analytics")], {})]
        if pg:
            runs.append(("PostgreSQL", ["--database", clone("postgresql", "analytics")], {}))
        for _label, argv, _env in runs:
            # At full size a report takes seconds: the cold run and one more fit the budget.
            repeat = "1" if scale >= 1 else "2"
            argv += ["--deals", str(n["deals"]), "--history", str(5 * n["deals"]), "--repeat", repeat]
        return Plan(runs, "a plain SELECT COUNT(*) over the stage-history table in the same process")

    def intake() -> Plan:
        argv = ["--contacts", str(n["contacts"]), "--posts", "300"]
        runs = [("SQLite", argv, {"DATABASE_URL": clone("sqlite", "intake")})]
        if pg:
            runs.append(
                ("PostgreSQL", [*argv, "--clients", "2"], {"DATABASE_URL": clone("postgresql", "intake")})
            )
        return Plan(runs, "none measured beside it: a post's ~35 queries are listed in bench/README.md")

    def imports() -> Plan:
        rows = max(20_000, round(100_000 * min(scale, 1)))
        # The peak memory is flat in the file's size (192 MB for 1,000,000 rows, 184 MB for 100,000:
        # docs/performance.md); 1,000,000 rows would take five of the budget's thirty minutes.
        argv = ["--rows", str(rows), "--memory-rows", "100000"]
        if not pg:
            argv.append("--skip-pg")
        return Plan(
            [("SQLite and PostgreSQL", argv, {})],
            "the raw insert of the same rows (executemany on SQLite, COPY on PostgreSQL) in the same run",
        )

    def peer() -> Plan:
        peer_argv = ["--scale", f"{min(scale, 1):g}", "--creates", str(round(PEER_CREATES * min(scale, 1)))]
        peer_argv += ["--piece-budget", str(PEER_PIECE_BUDGET), "--repeat", str(PEER_REPEAT)]
        return Plan(
            [("PostgreSQL", peer_argv, {})],
            "the peer CRM on the same work, same client, same worker count (ratio = Voronka / peer); "
            "Bitrix24's published cloud limits",
            timeout=PEER_TIMEOUT,
        )

    def automation() -> Plan:
        return Plan(
            # A fixed pace, well below capacity: at half the batch rate (automation.py's default) the
            # paced changes compete with the worker for SQLite's write lock and a backlog builds up.
            [("SQLite", ["--changes", "3000", "--paced", "300", "--rate", "20"], {})],
            "the task backend's own rate: no-op tasks drained by the same worker (robot runs as a share of it)",
        )

    def b24() -> Plan:
        return Plan(
            [("SQLite", [], {})],
            "the same leads through Voronka's own /api/v1/leads/bulk, alternated in the same run",
        )

    return {
        "automation": automation,
        "b24": b24,
        "api": api,
        "web": web,
        "analytics": analytics,
        "intake": intake,
        "imports": imports,
        "peer": peer,
    }


def discover() -> list[str]:
    names = [
        p.stem
        for p in BENCH.glob("*.py")
        if p.name not in SKIP
        and not p.name.startswith("_")
        and not p.name.endswith(("_data.py", "_tasks.py"))
    ]
    return sorted(names, key=lambda name: (FIRST.index(name) if name in FIRST else len(FIRST), name))


def method_of(name: str) -> str:
    tree = ast.parse((BENCH / f"{name}.py").read_text(encoding="utf-8"))
    doc = ast.get_docstring(tree) or ""
    parts = [p for p in doc.split("\n\n") if p.strip() and not p.startswith("    ")]
    return "\n\n".join(parts[:2]).strip()


def _proc(path: str, key: str) -> str:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return ""


def machine() -> list[str]:
    import sqlite3

    cpu = _proc("/proc/cpuinfo", "model name") or platform.processor()
    memory = _proc("/proc/meminfo", "MemTotal")
    memory = f"{int(memory.split()[0]) / 1048576:.1f} GiB" if memory else "?"
    django = subprocess.run(
        [PYTHON, "-c", "import django; print(django.get_version())"], capture_output=True, text=True
    ).stdout.strip()
    pg = (
        generate._pg("SHOW server_version", fetch=True)[0][0]
        if not generate.pg_available()
        else "not reachable"
    )
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores; RAM {memory}",
        f"OS: {platform.platform()}",
        f"Python {platform.python_version()}, Django {django}, SQLite {sqlite3.sqlite_version}, PostgreSQL {pg}",
    ]


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("BENCH_SEED", 1)))
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--no-peer", action="store_true", help="do not install or measure the peer CRM")
    parser.add_argument("--sqlite-only", action="store_true", help="leave PostgreSQL out")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per benchmark process")
    parser.add_argument("--output", default=str(BENCH / "RESULTS.md"))
    args = parser.parse_args()
    started = time.monotonic()
    names = discover()
    if args.only:
        names = [n for n in names if n in args.only.split(",")]
    if args.no_peer and "peer" in names:
        names.remove("peer")
    pg_reason = "left out (--sqlite-only)" if args.sqlite_only else generate.pg_available()
    pg = pg_reason is None
    loads = [f"start: {load_average()}"]
    print(f"benchmarks: {', '.join(names)}; scale {args.scale:g}, seed {args.seed}", flush=True)

    peer_setup = None
    if "peer" in names and pg:
        (BENCH / "data").mkdir(exist_ok=True)
        log = open(BENCH / "data" / "peer-setup.log", "w")  # noqa: SIM115 - open while the setup runs
        peer_setup = subprocess.Popen(
            ["bash", str(BENCH / "peers" / "bottlecrm.sh"), "setup"], stdout=log, stderr=log
        )

    # The two bases are built side by side: each in a process of its own, one core each (the
    # PostgreSQL load spends much of its time in the server, the SQLite one in Python).
    vendors = ["sqlite"] + (["postgresql"] if pg else [])
    built = dict.fromkeys(vendors, "")

    def build(vendor: str) -> None:
        t0 = time.monotonic()
        print(f"shared database, {vendor}: building or reusing (scale {args.scale:g})", flush=True)
        generate.ensure_base(vendor, args.scale, args.seed)
        built[vendor] = (
            f"{vendor}: ready in {time.monotonic() - t0:.0f} s ({generate.base_url(vendor, args.scale, args.seed)})"
        )
        print(built[vendor], flush=True)

    with ThreadPoolExecutor(len(vendors)) as pool:
        list(pool.map(build, vendors))  # (list(): an error in a build is raised here)
    built = list(built.values())

    env_common = {
        **os.environ,
        "BENCH_SCALE": str(args.scale),
        "BENCH_SEED": str(args.seed),
        "BENCH_PG": generate.PG_SERVER,
        "PYTHONUNBUFFERED": "1",
    }
    copies: list[str] = []
    table = plans(args.scale, args.seed, pg, copies)
    sections = []
    for name in names:
        if name == "peer" and peer_setup is not None:
            print("waiting for the peer's installation", flush=True)
            peer_setup.wait()
        loads.append(f"before {name}: {load_average()}")
        try:
            plan = table[name]() if name in table else Plan([("", [], {})])
        except Exception as error:
            sections.append(
                (name, plan_failed := f"setup failed: {type(error).__name__}: {error}", "", [], 0.0)
            )
            print(f"== {name}: {plan_failed}", flush=True)
            continue
        outputs = []
        t0 = time.monotonic()
        limit = max(plan.timeout or 0, args.timeout)
        for label, argv, env in plan.runs:
            command = [PYTHON, str(BENCH / f"{name}.py"), *argv]
            print(f"== {name} {label}: {' '.join(command[1:])}", flush=True)
            t1 = time.monotonic()
            try:
                done = subprocess.run(
                    command,
                    env={**env_common, **env},
                    capture_output=True,
                    text=True,
                    timeout=limit,
                    cwd=ROOT,
                )
                text = done.stdout + (
                    f"\n[stderr, last lines]\n{done.stderr[-2500:]}" if done.returncode else ""
                )
                status = "ok" if done.returncode == 0 else f"exit {done.returncode}"
            except subprocess.TimeoutExpired as expired:
                text = (
                    (expired.stdout or b"").decode()
                    if isinstance(expired.stdout, bytes)
                    else (expired.stdout or "")
                )
                status = f"timed out after {limit} s"
            print(text.rstrip(), flush=True)
            outputs.append((label, status, text.rstrip(), time.monotonic() - t1))
        sections.append((name, "", plan.ceiling, outputs, time.monotonic() - t0))
        while copies:
            generate.drop(copies.pop())
        # Written after each benchmark, so a run cut short still leaves what it measured.
        write(Path(args.output), args, names, built, [*loads, "(run in progress)"], sections, pg_reason,
              time.monotonic() - started)  # fmt: skip
    loads.append(f"end: {load_average()}")
    write(Path(args.output), args, names, built, loads, sections, pg_reason, time.monotonic() - started)
    print(f"\nwrote {args.output} ({(time.monotonic() - started) / 60:.1f} min)")


def write(path, args, names, built, loads, sections, pg_reason, seconds) -> None:
    n = generate.counts(args.scale)
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (bench/run.py) on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC in "
        f"{seconds / 60:.1f} minutes. What each figure means and its ceiling: docs/performance.md.",
        "",
        "## Machine",
        "",
        *[f"- {line}" for line in machine()],
        "- Load average (1, 5, 15 min) — the machine is shared with other work, which inflates latencies: "
        + "; ".join(loads),
        "",
        "## Data",
        "",
        f"Scale {args.scale:g}, seed {args.seed} (bench/generate.py): {n['leads']:,} leads, {n['deals']:,} deals in "
        f"3 pipelines, about {5 * n['deals']:,} stage-history rows, {n['activities']:,} activities, "
        f"{n['contacts']:,} contacts, {n['companies']:,} companies, 50 users. Each benchmark runs on its own copy.",
        "",
        *[f"- {line}" for line in built],
        *([f"- PostgreSQL: not measured ({pg_reason})"] if pg_reason else []),
        "",
        "## Summary",
        "",
        "| benchmark | runs | status | wall time |",
        "| --- | --- | --- | --- |",
    ]
    for name, failed, _ceiling, outputs, took in sections:
        status = failed or ", ".join(f"{label or name}: {status}" for label, status, _t, _s in outputs)
        lines.append(f"| `{name}.py` | {len(outputs)} | {status} | {took:.0f} s |")
    for name, failed, ceiling, outputs, _took in sections:
        lines += ["", f"## `bench/{name}.py`", "", method_of(name), "", f"**Ceiling:** {ceiling}", ""]
        if failed:
            lines += [f"Not measured: {failed}", ""]
        for label, status, text, took in outputs:
            lines += [
                f"### {label or name} — {status}, {took:.0f} s",
                "",
                "```",
                text or "(no output)",
                "```",
                "",
            ]
    path.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
