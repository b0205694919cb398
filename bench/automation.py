"""Robot runs per second with one worker, and the delay from a stage change to the robot's action.

    .venv/bin/python bench/automation.py [--changes 10000] [--paced 500 --rate 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench_automation .venv/bin/python bench/automation.py

In a fresh database (its own SQLite file under var/bench/, or the given PostgreSQL database,
emptied first) with the django-tasks-db backend and one real `voronka worker` process:

1. the backend's own rate: `--changes` no-op tasks queued, then drained by the worker;
2. throughput: `--changes` leads moved from "New" to "In progress" (whose robot adds a comment:
   a claim under lock, a condition, a timeline entry, an event), then drained by the worker:
   robot runs per second, beside the no-op rate;
3. latency: with the worker running, `--paced` more moves at `--rate` per second; the delay from
   each move's commit (its stage history row) to its robot's finish, p50 / p95 / max (by default
   at half the measured robot rate, so the delay is not a backlog).
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--paced", type=int, default=500)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="paced stage changes per second (default: half the measured capacity)",
    )
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        folder = ROOT / "var" / "bench"
        folder.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm"):
            (folder / f"automation.sqlite3{suffix}").unlink(missing_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{folder / 'automation.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    os.environ["TASKS_BACKEND"] = "db"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")]
    )

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    from bench.automation_tasks import noop
    from voronka.accounts.services import create_user
    from voronka.automation.models import RobotRun
    from voronka.automation.services.settings import create_robot
    from voronka.crm.models import Lead, StageHistory
    from voronka.crm.selectors.pipelines import lead_pipeline
    from voronka.crm.services.leads import create_lead
    from voronka.crm.services.stages import move

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)
    if connection.vendor == "postgresql":
        from django.apps import apps

        from voronka.accounts.roles import create_built_in_roles
        from voronka.crm.defaults import create_defaults

        create_built_in_roles(apps)
        create_defaults()
    print(f"database: {connection.vendor}")
    admin = create_user(username="bench-admin", role="administrator", is_superuser=True)
    manager = create_user(username="bench-manager", first_name="Ivan", role="manager")
    pipeline = lead_pipeline()
    new, in_process = pipeline.stages.get(code="NEW"), pipeline.stages.get(code="IN_PROCESS")
    create_robot(stage=in_process, actor=admin, kind="add_comment", params={"text": "Taken into work"})

    def worker(batch: bool) -> subprocess.Popen:
        command = [
            sys.executable,
            "-m",
            "voronka.cli",
            "worker",
            "--interval",
            "0.1",
            "--no-housekeeping",
            "-v",
            "0",
        ]
        return subprocess.Popen([*command, "--batch"] if batch else command, env=os.environ)

    def rate(rows) -> float:
        first = min(started for started, _finished in rows)
        last = max(finished for _started, finished in rows)
        return len(rows) / max((last - first).total_seconds(), 1e-9)

    # 1. The task backend's own rate.
    with transaction.atomic():
        for _ in range(args.changes):
            noop.enqueue()
    worker(batch=True).wait()
    noops = list(
        DBTaskResult.objects.filter(task_path__endswith="noop").values_list("started_at", "finished_at")
    )
    noop_rate = rate(noops)
    print(f"no-op tasks: {len(noops):,}, {noop_rate:,.0f} per second with one worker")

    # 2. Throughput: the stage changes are made first, then one worker drains the queue.
    started = time.perf_counter()
    leads = []
    with transaction.atomic():
        for n in range(args.changes):
            leads.append(create_lead(actor=manager, title=f"Bench lead {n}", status=new))
    for start in range(0, len(leads), 200):
        with transaction.atomic():
            for lead in leads[start : start + 200]:
                move(lead, to=in_process, actor=manager)
    print(
        f"stage changes: {args.changes:,} made in {time.perf_counter() - started:,.0f} s (the worker stopped)"
    )
    worker(batch=True).wait()
    runs = list(RobotRun.objects.filter(status="done").values_list("started_at", "finished_at"))
    assert len(runs) == args.changes, f"{len(runs)} robot runs done of {args.changes}"
    robot_rate = rate(runs)
    print(
        f"robot runs: {len(runs):,}, {robot_rate:,.0f} per second with one worker "
        f"({robot_rate / noop_rate:.0%} of the no-op task rate)"
    )

    # 3. Latency: paced stage changes while the worker runs, below its capacity (no backlog).
    args.rate = args.rate or round(robot_rate / 2, 1)
    with transaction.atomic():
        paced = [create_lead(actor=manager, title=f"Paced lead {n}", status=new) for n in range(args.paced)]
    running = worker(batch=False)
    try:
        # Wait for the worker's start-up: a no-op task it has run.
        warm_up = noop.enqueue()
        while DBTaskResult.objects.get(pk=warm_up.id).status != "SUCCESSFUL":
            time.sleep(0.1)
        began = time.perf_counter()
        for n, lead in enumerate(paced):
            time.sleep(max(0.0, began + n / args.rate - time.perf_counter()))
            move(lead, to=in_process, actor=manager)
        ids = [lead.pk for lead in paced]
        deadline = time.monotonic() + 120
        while RobotRun.objects.filter(item_id__in=ids, status="done").count() < len(ids):
            if time.monotonic() > deadline:
                raise SystemExit("the paced robot runs did not finish")
            time.sleep(0.2)
    finally:
        running.send_signal(signal.SIGTERM)
        running.wait(timeout=30)
    moved = dict(
        StageHistory.objects.filter(lead_id__in=ids, to_stage=in_process).values_list("lead_id", "moved_at")
    )
    delays = sorted(
        (finished - moved[item_id]).total_seconds() * 1000
        for item_id, finished in RobotRun.objects.filter(item_id__in=ids).values_list(
            "item_id", "finished_at"
        )
    )
    p95 = delays[int(0.95 * (len(delays) - 1))]
    print(
        f"event to action, {len(delays)} stage changes at {args.rate:g}/s: "
        f"p50 {statistics.median(delays):,.0f} ms, p95 {p95:,.0f} ms, max {delays[-1]:,.0f} ms "
        "(the worker polls the queue every 100 ms)"
    )
    assert Lead.objects.count() == args.changes + args.paced


if __name__ == "__main__":
    main()
