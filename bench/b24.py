"""Leads created per second through the Bitrix24 dialect's `batch` (50 crm.lead.add per call),
beside the same work through /api/v1/leads/bulk (50 leads per call), in the same run.

    .venv/bin/python bench/b24.py [--calls 20] [--database-url URL]

gunicorn (2 sync workers) on 127.0.0.1 over a fresh SQLite database (bench/data/b24.sqlite3,
or --database-url); one client on loopback alternates the two kinds of call, so both see the
same database size. Every lead goes through the whole service path (normalization, duplicate
check, stage history, timeline, event) either way.
"""

import argparse
import http.client
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
sys.path.insert(0, str(ROOT / "bench"))

from api import GUNICORN, free_port  # noqa: E402 - bench/api.py's helpers

PREPARE = """
import django, json
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0, interactive=False)
from voronka.accounts.services import create_token, create_user, system_user
from voronka.b24.services import create_webhook
user = create_user(username="bench-b24", role="administrator")
_token, raw = create_token(user=user, actor=system_user(), name="bench")
_hook, code = create_webhook(user=user, actor=user)
print(json.dumps({"token": raw, "hook": f"/rest/{user.pk}/{code}/"}))
"""


def post(connection: http.client.HTTPConnection, path: str, body: dict, headers: dict) -> dict:
    connection.request(
        "POST", path, body=json.dumps(body), headers={"Content-Type": "application/json", **headers}
    )
    response = connection.getresponse()
    data = json.loads(response.read())
    if response.status >= 300:
        raise RuntimeError(f"{path}: HTTP {response.status} {str(data)[:300]}")
    return data


def lead(n: int, via: str) -> dict:
    return {
        "TITLE": f"{via} lead {n}",
        "NAME": "Ivan",
        "PHONE": [{"VALUE": f"+7900{n:07d}", "VALUE_TYPE": "WORK"}],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20, help="calls of 50 leads for each way")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    database = DATA / "b24.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url or f"sqlite:///{database}",
        "DJANGO_SETTINGS_MODULE": "voronka.settings",
        "API_RATE_LIMIT": "1000000000/min",
        "B24_RATE_LIMIT": "0",
        "PYTHONPATH": str(ROOT / "src"),
    }
    prepared = subprocess.run(
        [sys.executable, "-c", PREPARE], env=env, capture_output=True, text=True, check=True
    )
    info = json.loads(prepared.stdout.strip().splitlines()[-1])
    port = free_port()
    server = subprocess.Popen(
        [
            GUNICORN,
            "voronka.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    try:
        for _ in range(200):
            try:
                http.client.HTTPConnection("127.0.0.1", port, timeout=0.2).connect()
                break
            except OSError:
                time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        spent = {"batch": 0.0, "bulk": 0.0}
        number = 0
        for _call in range(args.calls):
            commands = {}
            for i in range(50):
                number += 1
                fields = lead(number, "b24")
                commands[f"c{i}"] = (
                    f"crm.lead.add?fields[TITLE]={fields['TITLE'].replace(' ', '%20')}&fields[NAME]=Ivan"
                    f"&fields[PHONE][0][VALUE]=%2B7900{number:07d}&fields[PHONE][0][VALUE_TYPE]=WORK"
                )
            started = time.perf_counter()
            answer = post(connection, info["hook"] + "batch", {"halt": 0, "cmd": commands}, {})
            spent["batch"] += time.perf_counter() - started
            assert not answer["result"]["result_error"], answer["result"]["result_error"]
            items = []
            for _i in range(50):
                number += 1
                items.append(
                    {
                        "title": f"api lead {number}",
                        "first_name": "Ivan",
                        "phones": [f"+7900{number:07d}"],
                        "on_duplicate": "create",
                    }
                )
            started = time.perf_counter()
            post(
                connection,
                "/api/v1/leads/bulk",
                {"items": items},
                {"Authorization": f"Bearer {info['token']}"},
            )
            spent["bulk"] += time.perf_counter() - started
        leads = args.calls * 50
        batch_rate, bulk_rate = leads / spent["batch"], leads / spent["bulk"]
        print(
            f"Leads created per second, {leads} each way, 50 per call, one client "
            f"(load average {os.getloadavg()[0]:.1f}):"
        )
        print(f"  Bitrix24 dialect, batch of 50 × crm.lead.add : {batch_rate:8.1f} leads/s")
        print(f"  /api/v1/leads/bulk, 50 leads per call         : {bulk_rate:8.1f} leads/s")
        print(f"  batch / bulk                                  : {batch_rate / bulk_rate:8.2f}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
