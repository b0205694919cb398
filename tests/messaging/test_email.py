import re

import pytest
from django.test import Client

from voronka.crm.models import TimelineEntry
from voronka.lib.errors import Invalid, NotFound
from voronka.messaging.events import MessageClicked, MessageOpened
from voronka.messaging.models import Message
from voronka.messaging.services import delivery
from voronka.messaging.services.compose import retry_message, send_email
from voronka.messaging.services.templates import create_template

pytestmark = pytest.mark.django_db


def states(item) -> list[str]:
    return [e.data["state"] for e in item.timeline.filter(kind=TimelineEntry.Kind.MESSAGE).order_by("pk")]


@pytest.fixture
def template(admin):
    return create_template(
        actor=admin,
        name="Offer",
        subject="Offer for {{ lead.name }}",
        body=(
            "<p>Hello, {{ lead.first_name }}!</p><p>See <a href='https://shop.example/offer?id=7'>the offer</a>"
            " and <a href='mailto:sales@shop.example'>write to us</a>.</p>"
            "<script>alert(1)</script><p>{{ signature }}</p>"
        ),
    )


def test_an_email_from_a_lead_arrives_with_headers_both_parts_and_the_tracking_pixel(
    lead, manager, template, smtp
):
    # given
    manager.signature = "Ivan Ivanov\nSales, +7 495 000-00-00"
    manager.save(update_fields=["signature"])

    # when
    message = send_email(lead, template=template, actor=manager)
    outcome = delivery.deliver(message.pk)

    # then
    assert outcome == "sent"
    [got] = smtp.received
    mime = got.message
    assert got.rcpt_tos == ["anna@romashka.ru"] and got.mail_from == "crm@voronka.test"
    assert mime["Subject"] == "Offer for Anna Petrova"
    assert mime["Message-ID"] == message.message_id and message.message_id.endswith("@voronka.test>")
    assert mime["From"].addresses[0].display_name == "Ivan Ivanov"
    assert mime["To"].addresses[0].username == "anna"
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    assert "Hello, Anna!" in text and "https://shop.example/offer?id=7" in text and "Sales, +7 495" in text
    assert "<script>" not in html and "alert(1)" not in html
    pixel = re.search(r'<img src="(https://crm\.voronka\.test/t/o/[^"]+\.gif)"', html)
    assert pixel, html
    assert "https://crm.voronka.test/t/c/" in html and "shop.example/offer" not in html  # the link is tracked
    assert "mailto:sales@shop.example" in html  # only web links are tracked
    message.refresh_from_db()
    assert message.status == Message.Status.SENT and message.sent_at
    assert states(lead) == ["queued", "sent"]


def test_fetching_the_pixel_publishes_message_opened_once_however_often_it_is_fetched(
    lead, manager, template, smtp, django_capture_on_commit_callbacks, published
):
    # given
    message = send_email(lead, template=template, actor=manager)
    delivery.deliver(message.pk)
    html = smtp.received[0].message.get_body(("html",)).get_content()
    path = re.search(r"https://crm\.voronka\.test(/t/o/[^\"]+\.gif)", html).group(1)
    published.clear()

    # when
    responses = [Client().get(path) for _ in range(3)]

    # then
    assert {r.status_code for r in responses} == {200} and responses[0]["Content-Type"] == "image/gif"
    assert [e for e in published if isinstance(e, MessageOpened)] == [
        MessageOpened(message_id=message.pk, channel="email", kind="lead", item_id=lead.pk)
    ]
    message.refresh_from_db()
    assert message.open_count == 3 and message.opened_at
    assert states(lead) == ["queued", "sent", "opened"]


def test_a_forged_pixel_counts_nothing(lead, manager, template, smtp, published):
    message = send_email(lead, template=template, actor=manager)
    published.clear()
    response = Client().get(f"/t/o/{message.public_id.hex}.gif")
    assert response.status_code == 200 and published == []
    message.refresh_from_db()
    assert message.open_count == 0


def test_a_click_redirects_to_the_original_link_once_published_and_never_elsewhere(
    lead, manager, template, smtp, published
):
    # given
    message = send_email(lead, template=template, actor=manager)
    delivery.deliver(message.pk)
    html = smtp.received[0].message.get_body(("html",)).get_content()
    path = re.search(r"https://crm\.voronka\.test(/t/c/[^\"]+/)", html).group(1)
    published.clear()

    # when
    first, second = Client().get(path), Client().get(path)
    tampered = Client().get(path.replace("/t/c/", "/t/c/x"))

    # then
    assert first.status_code == second.status_code == 302
    assert first["Location"] == "https://shop.example/offer?id=7"
    assert tampered.status_code == 404
    assert [e for e in published if isinstance(e, MessageClicked)] == [
        MessageClicked(
            message_id=message.pk,
            channel="email",
            kind="lead",
            item_id=lead.pk,
            url="https://shop.example/offer?id=7",
        )
    ]


def test_a_refusing_server_leaves_the_message_failed_with_the_reason_and_nothing_lost(
    lead, manager, template, smtp, published
):
    # given
    smtp.refuse_rcpt["anna@romashka.ru"] = "550 5.1.1 <anna@romashka.ru>: Recipient address rejected"
    message = send_email(lead, template=template, actor=manager)
    published.clear()

    # when
    outcome = delivery.deliver(message.pk)

    # then
    assert outcome == "bounced" and smtp.received == []
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED and message.is_bounce
    assert message.error_code == "550" and "Recipient address rejected" in message.error
    assert message.subject == "Offer for Anna Petrova" and "Hello, Anna!" in message.body_text  # nothing lost
    failed = lead.timeline.filter(kind="message").order_by("pk").last()
    assert failed.data["state"] == "failed" and "rejected" in failed.data["error"]
    assert [type(e).__name__ for e in published] == ["MessageFailed"]

    # and it can be sent again once the address is fixed on the server
    smtp.refuse_rcpt.clear()
    retry_message(message, actor=manager)
    assert delivery.deliver(message.pk) == "sent"
    assert [r.message["Message-ID"] for r in smtp.received] == [message.message_id]


def test_a_refusal_after_the_data_is_a_bounce_too(lead, manager, template, smtp):
    smtp.data_reply = "554 5.7.1 Message rejected as spam"
    message = send_email(lead, template=template, actor=manager)
    assert delivery.deliver(message.pk) == "bounced"
    message.refresh_from_db()
    assert (message.status, message.error_code) == ("failed", "554")


def test_a_temporary_refusal_is_retried_later_then_fails_after_five_attempts(lead, manager, template, smtp):
    # given
    smtp.refuse_rcpt["anna@romashka.ru"] = "451 4.3.0 Try again later"
    message = send_email(lead, template=template, actor=manager)

    # when
    first = delivery.deliver(message.pk)

    # then
    message.refresh_from_db()
    assert first == "retry" and message.status == "queued" and message.attempts == 1
    assert delivery.deliver(message.pk) == "not_claimed"  # not due before the back-off
    for _attempt in range(4):
        Message.objects.filter(pk=message.pk).update(scheduled_at=message.created_at)
        outcome = delivery.deliver(message.pk)
    message.refresh_from_db()
    assert outcome == "failed" and message.status == "failed" and message.attempts == 5
    assert not message.is_bounce and message.error_code == "451"


def test_a_server_that_is_down_means_a_retry(lead, manager, template, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    settings.EMAIL_HOST_USER, settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = "", False, False
    message = send_email(lead, template=template, actor=manager)
    assert delivery.deliver(message.pk) == "retry"
    message.refresh_from_db()
    assert message.error_code == "connection"


def test_sending_is_claimed_once(lead, manager, template, smtp):
    message = send_email(lead, template=template, actor=manager)
    assert delivery.deliver(message.pk) == "sent"
    assert delivery.deliver(message.pk) == "not_claimed"
    assert len(smtp.received) == 1


def test_the_same_idempotency_key_returns_the_first_message(lead, manager, template, smtp):
    first = send_email(lead, template=template, actor=manager, idempotency_key="robot:7:entry:3")
    second = send_email(lead, template=template, actor=manager, idempotency_key="robot:7:entry:3")
    assert first.pk == second.pk and Message.objects.count() == 1


def test_deal_placeholders_use_the_amount_and_the_client_address(deal, manager, admin, smtp):
    from voronka.crm.services.clients import create_contact
    from voronka.crm.services.deals import update_deal

    contact = create_contact(actor=manager, first_name="Oleg", emails=["oleg@client.ru"])
    update_deal(deal, actor=manager, contact=contact)
    deal.refresh_from_db()
    message = send_email(
        deal,
        actor=manager,
        subject="Deal {{ deal.title }}",
        body="Total: {{ deal.amount }} for {{ contact.name }}",
        body_is_text=True,
    )
    assert message.to == "oleg@client.ru"
    assert "125,000.50 RUB" in message.body_text and "Oleg" in message.body_text


def test_placeholders_cannot_reach_files_or_code(lead, manager, smtp):
    with pytest.raises(Invalid) as refusal:
        send_email(lead, actor=manager, subject="x", body="{% include 'admin/base.html' %}")
    assert refusal.value.code == "template.syntax"
    with pytest.raises(Invalid):
        send_email(lead, actor=manager, subject="x", body="{% load static %}{% static 'a' %}")
    with pytest.raises(Invalid):
        send_email(lead, actor=manager, subject="x", body="<p>{{ lead.__class__ }}</p>")
    # The context holds plain strings: there is no model method to call.
    message = send_email(lead, actor=manager, subject="{{ lead.save }}{{ lead.delete }}x", body="<p>ok</p>")
    assert message.subject == "x" and message.body_text == "ok"
    assert not Message.objects.filter(subject="").exists()


def test_an_item_without_an_address_or_outside_the_scope_is_refused(manager, outsider, lead_statuses, lead):
    from voronka.crm.services.leads import create_lead

    bare = create_lead(actor=manager, title="No address")
    with pytest.raises(Invalid) as refusal:
        send_email(bare, actor=manager, subject="Hi", body="Hi")
    assert refusal.value.code == "message.no_address"
    with pytest.raises(NotFound):
        send_email(lead, actor=outsider, subject="Hi", body="Hi")
    assert not Message.objects.exists()


def test_queueing_enqueues_the_send_task_after_commit(
    lead, manager, dummy_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = send_email(lead, actor=manager, subject="Hi", body="Hello", body_is_text=True)
    [queued] = dummy_tasks.results
    assert queued.kwargs == {"message_id": message.pk}


def test_the_admin_saves_templates_through_the_service_and_rejects_broken_placeholders(client, admin):
    client.force_login(admin)
    bad = client.post(
        "/admin/messaging/template/add/",
        {
            "channel": "email",
            "name": "Broken",
            "entity": "",
            "subject": "Hi",
            "body": "{% if %}",
            "is_active": "on",
        },
    )
    good = client.post(
        "/admin/messaging/template/add/",
        {
            "channel": "email",
            "name": "Welcome",
            "entity": "lead",
            "subject": "Hi {{ lead.name }}",
            "body": "<p>Hello</p>",
            "is_active": "on",
        },
    )
    from voronka.messaging.models import Template

    assert bad.status_code == 200 and good.status_code == 302
    assert list(Template.objects.values_list("name", "created_by")) == [("Welcome", admin.pk)]
