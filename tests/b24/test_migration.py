"""`voronka migrate-from-bitrix24` between two Voronkas: the source is a second instance (its own
SQLite database, served by `voronka serve` in another process) speaking the Bitrix24 dialect."""

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest
from django.core.management import call_command

from voronka.accounts.services import create_user
from voronka.activities.models import Activity
from voronka.b24.models import MigratedObject
from voronka.b24.portal import Portal
from voronka.crm.models import Company, Contact, CustomField, Deal, Lead, Pipeline, ProductRow, TimelineEntry

pytestmark = pytest.mark.django_db

SETUP = textwrap.dedent(
    """
    import django
    django.setup()
    from voronka.accounts.services import create_user, system_user
    from voronka.b24.services import create_webhook
    from voronka.crm.services.custom_fields import create_field
    boss = create_user(username="boss", email="Boss@Example.com", role="administrator", first_name="Big")
    create_field(entity="lead", name="Budget", type="number", code="UF_CRM_BUDGET", actor=system_user())
    create_field(entity="deal", name="Channel", type="enum", code="UF_CRM_CHANNEL", actor=system_user(),
                 options=["Retail", "Wholesale"])
    _hook, code = create_webhook(user=boss, actor=boss)
    print(f"{boss.pk}/{code}")
    """
)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def source(tmp_path):
    """A second Voronka on 127.0.0.1 with its own database; yields its webhook URL."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'source.sqlite3'}", "B24_RATE_LIMIT": "0"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env["DJANGO_SETTINGS_MODULE"] = "voronka.settings"
    run = {"env": env, "check": True, "capture_output": True, "text": True, "timeout": 300}
    subprocess.run([sys.executable, "-m", "voronka.cli", "migrate", "--noinput", "-v", "0"], **run)
    token = subprocess.run([sys.executable, "-c", SETUP], **run).stdout.strip().splitlines()[-1]  # noqa: S603 - our own script
    port = _free_port()
    server = subprocess.Popen(  # noqa: S603 - our own command
        [sys.executable, "-m", "voronka.cli", "serve", "--no-worker", "--workers", "1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the source Voronka did not start") from None
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/rest/{token}/"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def populate(url: str) -> dict[str, int]:
    portal = Portal(url)
    company = portal.result(
        "crm.company.add", {"fields": {"TITLE": "Romashka", "PHONE": [{"VALUE": "+74950001122"}]}}
    )
    contact = portal.result(
        "crm.contact.add",
        {
            "fields": {
                "NAME": "Olga",
                "LAST_NAME": "Romanova",
                "COMPANY_ID": company,
                "EMAIL": [{"VALUE": "olga@romashka.ru", "VALUE_TYPE": "WORK"}],
            }
        },
    )
    category = portal.result("crm.category.add", {"entityTypeId": 2, "fields": {"name": "Wholesale"}})[
        "category"
    ]
    commands = {
        f"l{n}": f"crm.lead.add?fields[TITLE]=Lead {n}&fields[OPPORTUNITY]={n * 10}&fields[UF_CRM_BUDGET]={n}"
        f"&fields[PHONE][0][VALUE]=%2B7900{n:07}"
        for n in range(60)
    }
    for start in range(0, 60, 30):
        portal.result("batch", {"cmd": dict(list(commands.items())[start : start + 30])})
    leads = [int(r["ID"]) for r in portal.rows("crm.lead.list", {"select": ["ID"]})]
    portal.result("crm.lead.update", {"id": leads[1], "fields": {"STATUS_ID": "IN_PROCESS"}})
    converted = portal.result("voronka.lead.convert", {"id": leads[0]})
    deal = portal.result(
        "crm.deal.add",
        {
            "fields": {
                "TITLE": "Pumps",
                "CATEGORY_ID": category["id"],
                "CONTACT_ID": contact,
                "COMPANY_ID": company,
                "UF_CRM_CHANNEL": 2,
                "ASSIGNED_BY_ID": 1,
            }
        },
    )
    portal.result(
        "crm.deal.productrows.set",
        {
            "id": deal,
            "rows": [
                {"PRODUCT_NAME": "Pump", "PRICE": 1000, "QUANTITY": 3},
                {"PRODUCT_NAME": "Hose", "PRICE": 50, "QUANTITY": 10},
            ],
        },
    )
    portal.result(
        "crm.activity.add",
        {
            "fields": {
                "OWNER_TYPE_ID": 2,
                "OWNER_ID": deal,
                "TYPE_ID": 2,
                "SUBJECT": "Call back",
                "START_TIME": "2030-01-01T10:00:00+03:00",
            }
        },
    )
    portal.result(
        "crm.timeline.comment.add",
        {"fields": {"ENTITY_ID": deal, "ENTITY_TYPE": "deal", "COMMENT": "Wants a discount"}},
    )
    return {"deal": deal, "converted_deal": converted["DEAL_ID"]}


def _tally(output: str) -> dict[str, tuple[int, int]]:
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip().strip("│┃").split("│")]
        if len(cells) >= 3 and cells[1].isdigit() and cells[2].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]))
    return rows


def test_a_portal_migrates_reconciles_and_a_second_run_creates_nothing(source, capsys):
    populate(source)
    here = create_user(username="bossy", email="boss@example.com", role="administrator")

    call_command("migrate-from-bitrix24", source, "--dry-run")
    dry = _tally(capsys.readouterr().out)
    assert dry["leads"] == (60, 0)
    assert not Lead.objects.exists()

    call_command("migrate-from-bitrix24", source)
    first = _tally(capsys.readouterr().out)
    for entity in (
        "companies",
        "contacts",
        "leads",
        "deals",
        "product rows",
        "activities",
        "comments",
        "custom fields",
        "pipelines",
        "statuses",
        "users",
    ):
        assert first[entity][0] == first[entity][1], (entity, first)
    assert first["leads"] == (60, 60) and first["deals"] == (2, 2) and first["contacts"] == (2, 2)
    assert (Lead.objects.count(), Deal.objects.count(), Company.objects.count(), Contact.objects.count()) == (
        60,
        2,
        1,
        2,
    )

    deal = Deal.objects.get(title="Pumps")
    assert deal.pipeline.title == "Wholesale" and deal.assigned_to == here
    assert deal.custom == {"UF_CRM_CHANNEL": 2}
    assert deal.amount == 3500 and ProductRow.objects.filter(deal=deal).count() == 2
    assert deal.contact.last_name == "Romanova" and deal.company.title == "Romashka"
    assert Activity.objects.get().deal == deal
    assert TimelineEntry.objects.get(kind="comment").text == "Wants a discount"
    moved = Lead.objects.get(title="Lead 1")
    assert moved.status.code == "IN_PROCESS"
    assert [
        (h.from_stage and h.from_stage.code, h.to_stage.code)
        for h in moved.stage_history.order_by("moved_at", "pk")
    ] == [
        (None, "NEW"),
        ("NEW", "IN_PROCESS"),
    ]
    # The converted lead cannot end in its converted status here: its history stays the creation row.
    source_rows, here_rows = first["stage history"]
    assert (source_rows, here_rows) == (64, 62)  # 60 creations and 2 moves of leads, 2 deal creations
    assert Lead.objects.get(title="Lead 7").custom == {"UF_CRM_BUDGET": 7}
    assert Lead.objects.get(title="Lead 7").communications.get().normalized == "+79000000007"
    assert CustomField.objects.count() == 2 and Pipeline.objects.filter(kind="deal").count() == 2

    mapped = MigratedObject.objects.count()
    call_command("migrate-from-bitrix24", source)
    second = _tally(capsys.readouterr().out)
    assert second == first
    assert MigratedObject.objects.count() == mapped
    assert (Lead.objects.count(), Deal.objects.count(), Activity.objects.count()) == (60, 2, 1)
    assert TimelineEntry.objects.filter(kind="comment").count() == 1
