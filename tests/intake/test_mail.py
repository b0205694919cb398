"""E-mail in: MIME parsing, auto-replies and bounces, threading, a real SMTP client into the receiver, IMAP."""

import datetime as dt
import smtplib
import time
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from voronka.crm.models import Lead
from voronka.intake.channels.mail import parse_mail
from voronka.intake.events import MailReceived
from voronka.intake.models import Attachment, IntakeRequest, MailThread
from voronka.intake.services.mail import accept_mail
from voronka.intake.services.routing import route_request
from voronka.lib.errors import Invalid

pytestmark = pytest.mark.django_db


def mail(
    *,
    sender="Olga Smirnova <olga@client.ru>",
    subject="Pumps for the plant",
    body="Hello! We need 20 pumps.\n\n--\nOlga\n+7 903 123-45-67",
    message_id="<m1@client.ru>",
    **headers,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sales@voronka-crm.ru"
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def deliver(channel, raw):
    row, created = accept_mail(channel, raw)
    return route_request(row.pk) if created else row


def test_a_message_becomes_a_lead_with_the_signature_phone(mail_channel, manager, published):
    # when
    row = deliver(mail_channel, mail())

    # then
    lead = Lead.objects.get()
    assert (row.status, row.outcome, row.item_id) == ("routed", "lead_created", lead.pk)
    assert (lead.first_name, lead.last_name, lead.title) == ("Olga", "Smirnova", "Pumps for the plant")
    assert set(lead.communications.values_list("normalized", flat=True)) == {"olga@client.ru", "+79031234567"}
    entry = lead.timeline.get(kind="message")
    assert entry.text.startswith("Hello! We need 20 pumps.")
    assert entry.data["message_id"] == "<m1@client.ru>"
    assert MailThread.objects.get().item_id == lead.pk
    assert any(isinstance(e, MailReceived) and e.item_id == lead.pk and not e.is_reply for e in published)


def test_a_reply_is_threaded_to_the_item_of_the_message_it_answers(mail_channel):
    # given: the first message made a lead; the reply comes from another address
    first = deliver(mail_channel, mail())

    # when
    reply = deliver(
        mail_channel,
        mail(
            sender="Boss <boss@client.ru>",
            subject="Re: Pumps for the plant",
            body="Approved.",
            message_id="<m2@client.ru>",
            In_Reply_To="<m1@client.ru>",
            References="<m1@client.ru>",
        ),
    )

    # then
    assert reply.outcome == "thread_reply" and reply.item_id == first.item_id
    assert Lead.objects.count() == 1
    assert Lead.objects.get().timeline.filter(kind="message").count() == 2


def test_the_same_message_delivered_twice_is_stored_once(mail_channel):
    deliver(mail_channel, mail())
    _row, created = accept_mail(mail_channel, mail())
    assert not created and IntakeRequest.objects.count() == 1 and Lead.objects.count() == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"X_Autoreply": "yes"},
        {"Precedence": "bulk"},
        {"subject": "Out of Office: back on Monday"},
        {"subject": "Автоответ: я в отпуске"},
    ],
)
def test_auto_replies_are_stored_as_ignored_and_make_no_lead(mail_channel, headers):
    row = deliver(mail_channel, mail(**headers))
    assert row.status == "ignored" and row.error_code == "mail.auto_reply"
    assert not Lead.objects.exists()


def bounce() -> bytes:
    return (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.client.ru>\r\n"
        b"To: sales@voronka-crm.ru\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Message-ID: <bounce1@mx.client.ru>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        b"--B\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        b"Reporting-MTA: dns; mx.client.ru\r\n\r\nFinal-Recipient: rfc822; nobody@client.ru\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n\r\n"
        b"--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        b"From: sales@voronka-crm.ru\r\nTo: nobody@client.ru\r\nMessage-ID: <out-42@voronka-crm.ru>\r\n\r\n"
        b"--B--\r\n"
    )


def test_a_bounce_is_recognised_and_makes_no_lead(mail_channel):
    row = deliver(mail_channel, bounce())
    assert row.status == "ignored" and row.error_code == "mail.bounce"
    assert row.payload["skip"]["bounced_message_ids"] == ["<out-42@voronka-crm.ru>"]
    assert not Lead.objects.exists()


def test_malformed_mime_is_kept_and_marked_failed_with_a_reason(mail_channel):
    row = deliver(mail_channel, b"\x00\x01garbage without any headers\xff\xfe")
    assert row.status == "failed" and row.error_code == "mail.malformed"
    assert bytes(IntakeRequest.objects.get(pk=row.pk).raw).startswith(b"\x00\x01garbage")
    assert not Lead.objects.exists()


def test_a_message_without_a_sender_is_failed_not_lost(mail_channel):
    row = deliver(mail_channel, b"Subject: hi\r\nTo: sales@voronka-crm.ru\r\n\r\nno from\r\n")
    assert row.status == "failed" and row.error_code == "mail.no_sender"


def test_html_is_sanitised_and_attachments_are_stored(mail_channel, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    message = EmailMessage()
    message["From"] = "anna@client.ru"
    message["To"] = "sales@voronka-crm.ru"
    message["Subject"] = "Price list"
    message["Message-ID"] = "<h1@client.ru>"
    message.set_content("Plain text")
    message.add_alternative('<p onclick="evil()">Hi<script>alert(1)</script></p>', subtype="html")
    message.add_attachment(b"%PDF-1.4 price", maintype="application", subtype="pdf", filename="price.pdf")

    # when
    row = deliver(mail_channel, message.as_bytes())

    # then
    entry = Lead.objects.get().timeline.get(kind="message")
    assert "<script" not in entry.data["html"] and "onclick" not in entry.data["html"]
    assert "Hi" in entry.data["html"]
    attachment = Attachment.objects.get(request_id=row.pk)
    assert attachment.name == "price.pdf" and attachment.file.read() == b"%PDF-1.4 price"


def test_parse_recognises_a_broken_charset_without_crashing():
    raw = b'From: a@b.ru\r\nSubject: x\r\nContent-Type: text/plain; charset="x-unknown"\r\n\r\nhello\r\n'
    assert parse_mail(raw).text == "hello"


def test_parse_refuses_headerless_input():
    with pytest.raises(Invalid):
        parse_mail(b"")


# --- the SMTP receiver, with a real SMTP client ------------------------------------------------


@pytest.fixture
def smtp_server():
    from importlib import import_module

    handler = import_module("voronka.cli.management.commands.mail-server").IntakeHandler()
    controller = Controller(
        handler, hostname="127.0.0.1", port=free_port(), decode_data=False, data_size_limit=200_000
    )
    controller.start()
    yield controller
    controller.stop()


def _smtp_port(controller) -> int:
    return controller.port


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db(transaction=True)
def test_a_real_smtp_client_delivers_into_the_mail_server(crm_rows, mail_channel, smtp_server):
    # when
    with smtplib.SMTP("127.0.0.1", _smtp_port(smtp_server), timeout=10) as smtp:
        refused = smtp.sendmail("olga@client.ru", ["sales@voronka-crm.ru", "nobody@voronka-crm.ru"], mail())
        smtp.sendmail("x@client.ru", ["sales@voronka-crm.ru"], b"garbage\xff\xfe without headers")

    # then
    assert refused == {"nobody@voronka-crm.ru": (550, b"5.1.1 No such mailbox here")}
    lead = Lead.objects.get()
    assert lead.title == "Pumps for the plant"
    statuses = sorted(IntakeRequest.objects.values_list("status", flat=True))
    assert statuses == ["failed", "routed"]


@pytest.mark.django_db(transaction=True)
def test_the_mail_server_refuses_unknown_recipients_and_oversized_messages(
    crm_rows, mail_channel, smtp_server
):
    with smtplib.SMTP("127.0.0.1", _smtp_port(smtp_server), timeout=10) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail("a@b.ru", ["nobody@voronka-crm.ru"], mail())
        # The server advertises SIZE, so the client is refused at MAIL FROM already.
        with pytest.raises(smtplib.SMTPSenderRefused) as too_big:
            smtp.sendmail("a@b.ru", ["sales@voronka-crm.ru"], mail(body="x" * 300_000))
    assert too_big.value.smtp_code == 552
    assert not IntakeRequest.objects.exists()


@pytest.mark.django_db(transaction=True)
def _subprocess_database_url() -> str | None:
    """The test database as a URL another process can open (None for SQLite's in-memory one)."""
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "postgresql":
        user = settings["USER"] or "postgres"
        password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
        return f"postgres://{user}{password}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/{settings['NAME']}"
    name = str(settings["NAME"])
    return None if "memory" in name else f"sqlite:///{name}"


def test_voronka_mail_server_as_a_subprocess_receives_mail_from_a_real_smtp_client(
    crm_rows, mail_channel, tmp_path
):
    """`voronka mail-server` started as a command; on a database another process can open, a
    message is delivered through it end to end (on SQLite's in-memory test database the command
    is only started and stopped: the in-thread tests above deliver through the same handler)."""
    import os
    import signal
    import subprocess
    import sys

    database_url = _subprocess_database_url()
    env = {**os.environ, "VORONKA_VAR_DIR": str(tmp_path)}
    if database_url:
        env["DATABASE_URL"] = database_url
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "voronka.cli", "mail-server", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
                    assert smtp.noop()[0] == 250
                    if database_url:
                        smtp.sendmail("olga@client.ru", ["sales@voronka-crm.ru"], mail())
                    break
            except (OSError, smtplib.SMTPServerDisconnected):
                time.sleep(0.2)
        else:
            pytest.fail(process.stdout.read().decode() if process.poll() is not None else "no answer")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
    if database_url:
        assert Lead.objects.get().title == "Pumps for the plant"
        assert IntakeRequest.objects.get().status == "routed"


# --- IMAP polling -----------------------------------------------------------------------------


def imap_config(server, **extra):
    return {"host": "127.0.0.1", "port": server.port, "ssl": False, "username": "u", "password": "p", **extra}


def test_imap_polling_over_the_protocol_stores_routes_and_remembers_the_last_uid(admin, mail_channel):
    from tests.intake.imap_server import FakeImapServer, Mailbox
    from voronka.intake.services.channels import update_channel
    from voronka.intake.services.imap import poll_mailbox

    # given: a mailbox with two messages on an IMAP server on 127.0.0.1
    box = Mailbox({1: mail(), 2: mail(sender="ivan@other.ru", message_id="<m9@other.ru>", body="Call me")})
    with FakeImapServer(box) as server:
        update_channel(mail_channel, actor=admin, config={**mail_channel.config, "imap": imap_config(server)})
        mail_channel.refresh_from_db()

        # when: two polls, then a new message arrives and a third poll
        first = poll_mailbox(mail_channel)
        second = poll_mailbox(mail_channel)
        box.messages[3] = mail(sender="petr@third.ru", message_id="<m10@third.ru>", body="Hello")
        third = poll_mailbox(mail_channel)

    # then
    assert (first, second, third) == (2, 0, 1)
    assert Lead.objects.count() == 3
    mail_channel.refresh_from_db()
    assert mail_channel.config["imap_state"]["last_uid"] == 3
    assert mail_channel.config["imap_state"]["uidvalidity"] == 7
    assert any(command.startswith("EXAMINE") for command in box.commands)  # read-only: nothing flagged
    assert not any(command.startswith(("UID STORE", "STORE", "EXPUNGE")) for command in box.commands)


def test_an_imap_login_failure_is_recorded_on_the_channel(admin, mail_channel):
    from tests.intake.imap_server import FakeImapServer, Mailbox
    from voronka.intake.services.channels import update_channel
    from voronka.intake.services.imap import poll_mailbox

    with FakeImapServer(Mailbox({1: mail()})) as server:
        update_channel(mail_channel, actor=admin, config={"imap": imap_config(server, password="wrong")})
        mail_channel.refresh_from_db()
        assert poll_mailbox(mail_channel) == 0
    mail_channel.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mail_channel.config["imap_state"]["error"]
    assert not IntakeRequest.objects.exists()


def test_the_poll_task_claims_polls_and_schedules_the_next_poll(admin, mail_channel):
    from django_tasks_db.models import DBTaskResult

    from tests.intake.imap_server import FakeImapServer, Mailbox
    from voronka.intake.models import Channel
    from voronka.intake.services.channels import schedule_polling, update_channel
    from voronka.intake.tasks import poll_mailbox

    with FakeImapServer(Mailbox({1: mail()})) as server:
        update_channel(mail_channel, actor=admin, config={"imap": imap_config(server, interval=60)})
        due = timezone.now().replace(microsecond=0)
        schedule_polling(mail_channel, at=due)
        DBTaskResult.objects.all().delete()

        # when: the task runs twice for the same due time (two workers, or a re-delivery)
        polled = poll_mailbox.call(channel_id=mail_channel.pk, due=due.isoformat())
        again = poll_mailbox.call(channel_id=mail_channel.pk, due=due.isoformat())

    # then
    assert (polled, again) == (1, 0)
    following = Channel.objects.get(pk=mail_channel.pk).next_poll_at
    assert following >= due + dt.timedelta(seconds=60)
    scheduled = DBTaskResult.objects.get()
    assert scheduled.args_kwargs["kwargs"] == {"channel_id": mail_channel.pk, "due": following.isoformat()}
    assert scheduled.run_after == following


def test_a_scheduled_poll_is_claimed_by_one_worker_only(admin, mail_channel):
    from voronka.intake.services.channels import schedule_polling, update_channel
    from voronka.intake.services.imap import claim_poll

    update_channel(
        mail_channel,
        actor=admin,
        config={**mail_channel.config, "imap": {"host": "h", "username": "u", "password": "p"}},
    )
    due = timezone.now().replace(microsecond=0)
    schedule_polling(mail_channel, at=due)
    first = claim_poll(mail_channel.pk, due)
    second = claim_poll(mail_channel.pk, due)
    assert first is not None and second is None
    mail_channel.refresh_from_db()
    assert mail_channel.next_poll_at == first


def test_saving_an_imap_channel_schedules_its_first_poll(
    admin, mail_channel, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from voronka.intake.services.channels import update_channel

    with django_capture_on_commit_callbacks(execute=True):
        update_channel(
            mail_channel,
            actor=admin,
            config={"addresses": [], "imap": {"host": "h", "username": "u", "password": "p"}},
        )
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("poll_mailbox")
    assert task.args_kwargs["kwargs"]["channel_id"] == mail_channel.pk


# --- threading against the e-mails the CRM sent (messaging) -----------------------------------


@pytest.fixture
def sent_message(manager):
    from voronka.crm.services.leads import create_lead
    from voronka.messaging.models import Message

    lead = create_lead(actor=manager, first_name="Pavel", emails=["pavel@client.ru"])
    return Message.objects.create(
        lead=lead,
        channel="email",
        status="sent",
        message_id="<out-42@voronka-crm.ru>",
        to="pavel@client.ru",
        subject="Our offer",
        created_by=manager,
    )


def test_a_reply_to_an_e_mail_the_crm_sent_is_threaded_to_its_item(mail_channel, sent_message):
    row = deliver(
        mail_channel,
        mail(
            sender="Accountant <buh@client.ru>",
            subject="Re: Our offer",
            body="Send the invoice, please.",
            message_id="<r1@client.ru>",
            In_Reply_To="<out-42@voronka-crm.ru>",
        ),
    )
    assert row.outcome == "thread_reply" and (row.item_kind, row.item_id) == ("lead", sent_message.lead_id)
    assert Lead.objects.count() == 1


def test_a_bounce_marks_the_sent_message_bounced_once(mail_channel, sent_message, published):
    from voronka.messaging.events import MessageFailed

    first = deliver(mail_channel, bounce())
    sent_message.refresh_from_db()
    assert sent_message.status == "failed" and sent_message.is_bounce and sent_message.error_code == "bounce"
    assert first.payload["skip"]["messages_marked"] == [sent_message.pk]
    assert [e.message_id for e in published if isinstance(e, MessageFailed)] == [sent_message.pk]
    assert sent_message.lead.timeline.filter(kind="message", data__bounce=True).exists()
    assert not Lead.objects.exclude(pk=sent_message.lead_id).exists()
