"""The seed's automation cases end to end: the real `voronka worker`, a real SMTP server, real HTTP views.

Each test runs in its own database (a temporary SQLite file, or a throw-away PostgreSQL database
beside the test one) configured and driven by `voronka shell` scripts; the test reads it with SQL.
The clock of the worker is moved forward with VORONKA_CLOCK_OFFSET (three days in seconds).
"""

import json
import time

import pytest

from tests.messaging.smtp_server import SmtpServer
from tests.messaging.test_worker import WorkerDatabase, kill, wait_until

THREE_DAYS_AND_A_BIT = 3 * 24 * 3600 + 120

# Pages are rendered without collectstatic, as in the test suite.
PREAMBLE = """import json
from django.conf import settings
settings.STORAGES = {**settings.STORAGES,
                     "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
"""

USERS = """
from voronka.accounts.services import create_user
from voronka.crm.selectors.pipelines import lead_pipeline
admin = create_user(username="boss", role="administrator", is_superuser=True)
manager = create_user(username="ivanov", first_name="Ivan", last_name="Ivanov", role="manager")
pipeline = lead_pipeline()
new = pipeline.stages.get(code="NEW")
"""

CERTIFICATE = (
    USERS
    + """
from voronka.automation.services.settings import create_robot
from voronka.crm.services.leads import create_lead
create_robot(stage=new, actor=admin, kind="send_email", name="Ask for the certificate",
             params={"subject": "Your certificate, please",
                     "body": "<p>Hello {{ lead.first_name }}, please send us your certificate.</p>"})
create_robot(stage=new, actor=admin, kind="create_activity", name="Wait for the certificate",
             params={"activity_kind": "task", "subject": "Wait for the certificate", "deadline_minutes": 2880})
ids = [create_lead(actor=manager, first_name=name, emails=[name.lower() + "@example.ru"]).pk
       for name in %(names)r]
print(json.dumps({"leads": ids, "manager": manager.pk}))
"""
)

SURVEY = (
    USERS
    + """
from django.test import Client
from voronka.automation.services.settings import create_robot, create_trigger
from voronka.crm.services.pipelines import add_stage
from voronka.intake.services.channels import create_channel, update_form
sent = add_stage(pipeline, name="Information sent", code="INFO_SENT", actor=admin, after=new)
read = add_stage(pipeline, name="Read", code="READ", actor=admin, after=sent)
unread = add_stage(pipeline, name="Not read", code="NOT_READ", actor=admin, after=read)
channel = create_channel(kind="form", name="Survey", actor=admin, rule="fixed", responsible=manager)
update_form(channel.form, actor=admin, fields=[
    {"name": "name", "label": "Name", "type": "text", "target": "first_name", "required": True},
    {"name": "email", "label": "E-mail", "type": "email", "target": "email", "required": True},
])
create_trigger(stage=sent, actor=admin, kind="form_submitted", params={"form_id": channel.form.pk})
create_robot(stage=sent, actor=admin, kind="send_email", name="Seminar information",
             params={"subject": "The seminar on pumps",
                     "body": "<p>Hello {{ lead.first_name }}, the seminar is on Friday.</p>"})
create_robot(stage=sent, actor=admin, kind="change_stage", name="Not read in 3 days",
             params={"stage_code": "NOT_READ"}, timing="delay", delay=3, delay_unit="days")
create_trigger(stage=read, actor=admin, kind="email_opened")
create_robot(stage=unread, actor=admin, kind="create_activity", name="Call who did not read",
             params={"activity_kind": "call", "subject": "Call: the seminar letter is unread"})
client = Client()
for name in %(names)r:
    answer = client.post("/f/%%s/" %% channel.form.key, {"name": name, "email": name.lower() + "@example.ru"})
    assert answer.status_code == 200, answer.content
print(json.dumps({"stages": {s.code: s.pk for s in (new, sent, read, unread)}}))
"""
)

OPEN_PIXEL = """
from django.test import Client
answer = Client().get(%(path)r)
print(json.dumps({"status": answer.status_code}))
"""

MANAGERS_LIST = """
from django.test import Client
from voronka.accounts.models import User
client = Client()
client.force_login(User.objects.get(username="ivanov"))
page = client.get("/leads/list/", {"stage": %(stage)d}).content.decode()
print(json.dumps({"page": page}))
"""


class AutomationWorkerDatabase(WorkerDatabase):
    def __init__(self, tmp_path):
        super().__init__(tmp_path)
        self.env.update(
            {"AUTOMATION_RUN_LEASE": "1", "HOUSEKEEPING_INTERVAL": "0.3", "WEBHOOKS_ALLOW_PRIVATE": "1"}
        )

    def script(self, code: str) -> dict:
        return json.loads(self.voronka("shell", "-c", PREAMBLE + code).strip().splitlines()[-1])

    def worker_at(self, email_url: str, *, offset: int = 0):
        self.env["VORONKA_CLOCK_OFFSET"] = str(offset)
        try:
            return self.worker(email_url)
        finally:
            self.env.pop("VORONKA_CLOCK_OFFSET")

    def rows(self, sql: str) -> list[tuple]:
        if self.postgres:
            import psycopg

            with psycopg.connect(self.url) as conn:
                return conn.execute(sql).fetchall()
        import sqlite3

        with sqlite3.connect(self.path) as conn:
            return conn.execute(sql).fetchall()

    def lead_statuses(self) -> dict[str, str]:
        return dict(
            self.rows(
                "SELECT l.first_name, s.code FROM crm_lead l JOIN crm_stage s ON s.id = l.status_id ORDER BY l.id"
            )
        )

    def run_counts(self) -> dict[str, int]:
        return dict(self.rows("SELECT status, COUNT(*) FROM automation_robotrun GROUP BY status"))


@pytest.fixture
def worker_db(tmp_path):
    database = AutomationWorkerDatabase(tmp_path)
    yield database
    database.drop()


def test_every_new_lead_is_asked_for_its_certificate_and_its_responsible_gets_a_task(worker_db):
    names = ["Anna", "Boris", "Vera"]
    with SmtpServer() as server:
        seeded = worker_db.script(CERTIFICATE % {"names": names})
        worker = worker_db.worker_at(server.url)
        try:
            wait_until(lambda: worker_db.run_counts() == {"done": 6} and len(server.recorder.received) == 3)
        finally:
            kill(worker)

    addresses = sorted(got.rcpt_tos[0] for got in server.recorder.received)
    assert addresses == ["anna@example.ru", "boris@example.ru", "vera@example.ru"]
    assert all(got.message["Subject"] == "Your certificate, please" for got in server.recorder.received)
    tasks = worker_db.rows(
        "SELECT lead_id, assigned_to_id, kind, subject FROM activities_activity ORDER BY lead_id"
    )
    assert tasks == [(pk, seeded["manager"], "task", "Wait for the certificate") for pk in seeded["leads"]]


def test_the_survey_form_sends_the_seminar_info_and_unread_letters_reach_the_manager_after_three_days(
    worker_db,
):
    names = ["Anna", "Boris", "Vera"]
    with SmtpServer() as server:
        # given: three people fill in the survey form; the worker sends them the seminar information
        stages = worker_db.script(SURVEY % {"names": names})["stages"]
        worker = worker_db.worker_at(server.url)
        try:
            wait_until(lambda: len(server.recorder.received) == 3)
            wait_until(lambda: set(worker_db.lead_statuses().values()) == {"INFO_SENT"})

            # when Anna opens the letter (her mail client fetches the tracking pixel)
            [letter] = [got for got in server.recorder.received if got.rcpt_tos == ["anna@example.ru"]]
            html = letter.message.get_body(("html",)).get_content()
            pixel = html.split('<img src="https://crm.voronka.test', 1)[1].split('"', 1)[0]
            assert worker_db.script(OPEN_PIXEL % {"path": pixel})["status"] == 200
            wait_until(lambda: worker_db.lead_statuses()["Anna"] == "READ")
        finally:
            kill(worker)
        assert worker_db.lead_statuses() == {"Anna": "READ", "Boris": "INFO_SENT", "Vera": "INFO_SENT"}

        # and three days pass
        worker = worker_db.worker_at(server.url, offset=THREE_DAYS_AND_A_BIT)
        try:
            wait_until(
                lambda: worker_db.lead_statuses() == {"Anna": "READ", "Boris": "NOT_READ", "Vera": "NOT_READ"}
            )
            wait_until(
                lambda: len(worker_db.rows("SELECT id FROM activities_activity WHERE kind = 'call'")) == 2
            )
        finally:
            kill(worker)

    # then: the manager has a call task for each unread lead, and the "Not read" filter shows exactly them
    calls = worker_db.rows(
        "SELECT l.first_name, u.username, a.subject FROM activities_activity a"
        " JOIN crm_lead l ON l.id = a.lead_id JOIN accounts_user u ON u.id = a.assigned_to_id"
        " WHERE a.kind = 'call' ORDER BY l.first_name"
    )
    assert calls == [
        ("Boris", "ivanov", "Call: the seminar letter is unread"),
        ("Vera", "ivanov", "Call: the seminar letter is unread"),
    ]
    assert len(server.recorder.received) == 3  # nobody got the seminar letter twice
    page = worker_db.script(MANAGERS_LIST % {"stage": stages["NOT_READ"]})["page"]
    shown = [name for name in names if f">{name}<" in page or f">{name} " in page]
    assert shown == ["Boris", "Vera"]
    cancelled = worker_db.rows(
        "SELECT l.first_name FROM automation_robotrun r JOIN crm_lead l ON l.id = r.item_id"
        " WHERE r.status = 'cancelled'"
    )
    assert cancelled == [("Anna",)]  # her "not read in 3 days" robot was cancelled when she moved


def test_killing_the_worker_mid_run_and_restarting_it_runs_every_robot_exactly_once(worker_db):
    names = [f"Client{n:02d}" for n in range(30)]
    total = 3 * len(names)
    # Three robots on "New": an e-mail, a task and a comment for each of 30 leads.
    code = CERTIFICATE.replace(
        "ids = [create_lead",
        'create_robot(stage=new, actor=admin, kind="add_comment", params={"text": "Welcome"})\nids = [create_lead',
    )
    with SmtpServer() as server:
        server.recorder.data_delay = 0.05
        worker_db.script(code % {"names": names})
        worker = worker_db.worker_at(server.url)
        try:
            wait_until(lambda: worker_db.run_counts().get("done", 0) >= 4, step=0.02)
        finally:
            kill(worker)
        done_at_kill = worker_db.run_counts().get("done", 0)
        time.sleep(1.2)  # past the run lease: housekeeping queues what the killed worker left
        worker = worker_db.worker_at(server.url)
        try:
            wait_until(lambda: worker_db.run_counts() == {"done": total})
            wait_until(
                lambda: (
                    not worker_db.rows(
                        "SELECT id FROM messaging_message WHERE status IN ('queued', 'sending')"
                    )
                )
            )
        finally:
            kill(worker)

    assert done_at_kill < total
    per_lead = worker_db.rows(
        "SELECT l.id, (SELECT COUNT(*) FROM activities_activity a WHERE a.lead_id = l.id),"
        " (SELECT COUNT(*) FROM messaging_message m WHERE m.lead_id = l.id),"
        " (SELECT COUNT(*) FROM crm_timelineentry t WHERE t.lead_id = l.id AND t.kind = 'comment')"
        " FROM crm_lead l"
    )
    assert len(per_lead) == len(names)
    assert [tuple(row[1:]) for row in per_lead] == [(1, 1, 1)] * len(names)
    recipients = [got.rcpt_tos[0] for got in server.recorder.received]
    assert len(recipients) == len(set(recipients))  # no e-mail twice (one may be "uncertain", never resent)
