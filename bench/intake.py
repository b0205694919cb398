"""Form submissions routed per second with 1,000,000 contacts in the database.

    .venv/bin/python bench/intake.py [--contacts 1000000] [--posts 1000]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/voronka_bench .venv/bin/python bench/intake.py [--clients 4]

Each post goes through the whole HTTP stack of the public form endpoint (Django's test
client): rate limit, validation, storing the request, routing through the core (duplicate
look-up on the (kind, normalized) index among 2,000,000 communications, classic mode: a
repeat lead for a known client or a new lead), the timeline and the event. Half the posts
come from known clients, half from new people. Without DATABASE_URL it uses its own SQLite
file under var/bench/ (generated once, reused by later runs).
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=1, help="parallel posting threads (PostgreSQL)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'intake.sqlite3'}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
    os.environ.setdefault("TASKS_BACKEND", "immediate")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench.intake_data import analyze, email_of, ensure_contacts, phone_of
    from voronka.accounts.models import User
    from voronka.accounts.services import create_user
    from voronka.intake.models import Channel, IntakeRequest
    from voronka.intake.services.channels import create_channel, update_form

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    started = time.perf_counter()
    added = ensure_contacts(args.contacts)
    if not added:
        analyze()
    print(f"contacts: {args.contacts:,} ({added:,} generated in {time.perf_counter() - started:,.0f} s)")

    admin = User.objects.filter(username="bench-admin").first() or create_user(
        username="bench-admin", role="administrator", is_superuser=True
    )
    channel = Channel.objects.filter(name="Bench form").first() or create_channel(
        kind="form", name="Bench form", actor=admin
    )
    form = update_form(
        channel.form,
        actor=admin,
        fields=[
            {"name": "name", "label": "Name", "type": "text", "target": "first_name"},
            {"name": "phone", "label": "Phone", "type": "tel", "target": "phone"},
            {"name": "email", "label": "E-mail", "type": "email", "target": "email"},
            {"name": "message", "label": "Message", "type": "textarea", "target": "message"},
        ],
        rate_limit=1_000_000,
    )
    run = int(time.time())
    before = IntakeRequest.objects.filter(channel=channel, status="routed").count()

    def post_range(numbers) -> None:
        client = Client()
        for n in numbers:
            if n % 2:
                i = (n * 7919) % args.contacts  # a known client
                values = {"name": f"Client{i}", "phone": phone_of(i), "email": email_of(i)}
            else:
                values = {"name": f"New {run}-{n}", "phone": f"+7916{(run + n) % 10_000_000:07d}"}
            response = client.post(
                f"/f/{form.key}/",
                {**values, "message": "Price?"},
                headers={"Accept": "application/json"},
                REMOTE_ADDR=f"10.0.{n // 250 % 250}.{n % 250 + 1}",
            )
            if response.status_code != 200:
                raise SystemExit(f"post {n}: HTTP {response.status_code} {response.content[:300]!r}")
        connection.close()

    clients = max(1, args.clients if connection.vendor == "postgresql" else 1)
    started = time.perf_counter()
    threads = [
        threading.Thread(target=post_range, args=(range(k, args.posts, clients),)) for k in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    routed = IntakeRequest.objects.filter(channel=channel, status="routed").count() - before
    print(f"form submissions: {args.posts:,} from {clients} client(s) in {elapsed:.1f} s, {routed:,} routed")
    print(f"form submissions routed per second: {routed / elapsed:,.1f}")


if __name__ == "__main__":
    main()
