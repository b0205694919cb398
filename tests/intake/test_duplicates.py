"""One person, three channels: e-mail, then a call, then the form — one lead (or one client and deal)."""

import json
from email.message import EmailMessage

import pytest

from voronka.crm.models import Contact, Deal, Lead
from voronka.crm.services.modes import set_mode
from voronka.intake.services.mail import accept_mail
from voronka.intake.services.routing import route_request

pytestmark = pytest.mark.django_db


def write_email(mail_channel):
    message = EmailMessage()
    message["From"] = "Olga Smirnova <olga@client.ru>"
    message["To"] = "sales@voronka-crm.ru"
    message["Subject"] = "Pumps"
    message["Message-ID"] = "<dup-1@client.ru>"
    message.set_content("We need pumps.\n--\nOlga Smirnova\nтел. 8 (903) 123-45-67")
    row, _created = accept_mail(mail_channel, message.as_bytes())
    return route_request(row.pk)


def make_call(client, phone_channel):
    event = {"call_id": "dup-call", "from": "+79031234567", "to": "+74950000000", "status": "missed"}
    response = client.post(
        "/intake/telephony/",
        data=json.dumps(event),
        content_type="application/json",
        headers={"X-Voronka-Token": phone_channel.token},
    )
    assert response.status_code == 200
    return response.json()


def fill_form(client, web_form):
    response = client.post(
        f"/f/{web_form.key}/",
        {"name": "Olga", "email": "OLGA@client.ru", "phone": "+7 903 123 45 67", "message": "Form"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200


def test_classic_mode_email_then_call_then_form_is_one_lead_with_three_entries(
    client, mail_channel, phone_channel, web_form
):
    # when
    mailed = write_email(mail_channel)
    called = make_call(client, phone_channel)
    fill_form(client, web_form)

    # then
    lead = Lead.objects.get()
    assert mailed.outcome == "lead_created" and called["outcome"] == "added_to_lead"
    assert called["item"] == {"kind": "lead", "id": lead.pk}
    kinds = sorted(
        lead.timeline.filter(kind__in=["message", "call", "request"]).values_list("kind", flat=True)
    )
    assert kinds == ["call", "message", "request"]
    assert not Contact.objects.exists() and not Deal.objects.exists()


def test_simple_mode_email_then_call_then_form_is_one_contact_with_one_open_deal(
    client, admin, mail_channel, phone_channel, web_form
):
    # given
    set_mode("simple", actor=admin)

    # when
    mailed = write_email(mail_channel)
    called = make_call(client, phone_channel)
    fill_form(client, web_form)

    # then
    contact = Contact.objects.get()
    deal = Deal.objects.get()
    assert deal.contact == contact and not deal.is_closed
    assert mailed.outcome == "deal_created" and called["outcome"] == "added_to_deal"
    kinds = sorted(
        deal.timeline.filter(kind__in=["message", "call", "request"]).values_list("kind", flat=True)
    )
    assert kinds == ["call", "message", "request"]
    assert not Lead.objects.exists()
