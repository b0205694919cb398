import pytest

from voronka.crm.events import ModeChanged, RequestReceived
from voronka.crm.models import Contact, Deal, Lead, TimelineEntry
from voronka.crm.services.clients import create_contact
from voronka.crm.services.inbound import InboundRequest, receive_request
from voronka.crm.services.leads import create_lead
from voronka.crm.services.modes import current_mode, set_mode
from voronka.crm.services.stages import move
from voronka.lib.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db


def test_switching_to_simple_mode_converts_every_open_lead(admin, manager, lead_statuses, published):
    open_leads = [
        create_lead(actor=manager, first_name=f"Client {i}", phones=[f"+7 916 000 00 0{i}"]) for i in range(3)
    ]
    junk = move(
        create_lead(actor=manager, title="Spam"),
        to=lead_statuses.stages.get(code="JUNK"),
        actor=manager,
        reason="spam",
    )
    published.clear()

    converted = set_mode("simple", actor=admin)

    assert converted == 3
    assert current_mode() == "simple"
    assert not Lead.objects.filter(is_closed=False).exists()
    assert Deal.objects.filter(lead__in=open_leads).count() == 3
    junk.refresh_from_db()
    assert junk.status.code == "JUNK" and not Deal.objects.filter(lead=junk).exists()
    assert ModeChanged(mode="simple", converted_leads=3, actor_id=admin.pk) in published


def test_only_administrators_switch_the_mode(manager):
    with pytest.raises(Forbidden):
        set_mode("simple", actor=manager)
    assert current_mode() == "classic"


def test_in_simple_mode_a_request_creates_a_contact_and_a_deal(admin, manager, published):
    set_mode("simple", actor=admin)

    result = receive_request(
        InboundRequest(channel="form", first_name="Olga", phones=["+7 903 123 45 67"], message="Call me"),
        actor=manager,
    )

    assert result.outcome == "deal_created"
    deal = Deal.objects.get()
    contact = Contact.objects.get()
    assert deal.contact == contact and result.item == deal
    assert not Lead.objects.exists()
    assert deal.timeline.filter(kind="request", text="Call me").exists()
    assert any(isinstance(e, RequestReceived) and e.outcome == "deal_created" for e in published)


def test_in_simple_mode_a_request_with_company_data_creates_a_company_too(admin, manager):
    set_mode("simple", actor=admin)
    result = receive_request(
        InboundRequest(channel="email", first_name="Olga", company_title="Acme", emails=["olga@acme.io"]),
        actor=manager,
    )
    assert result.company.title == "Acme" and result.contact.company == result.company
    assert result.item.company == result.company


def test_in_simple_mode_a_known_client_with_an_open_deal_adds_to_it(admin, manager):
    set_mode("simple", actor=admin)
    first = receive_request(InboundRequest(channel="email", emails=["a@b.ru"], first_name="A"), actor=manager)
    second = receive_request(
        InboundRequest(channel="call", phones=["+7 903 111 22 33"], emails=["A@B.ru"]), actor=manager
    )
    assert second.outcome == "added_to_deal" and second.item == first.item
    assert Deal.objects.count() == 1 and Contact.objects.count() == 1


def test_a_new_lead_in_simple_mode_converts_at_once(admin, manager):
    set_mode("simple", actor=admin)
    lead = create_lead(actor=manager, first_name="Petr", phones=["+7 926 555 44 33"])
    assert lead.status.code == "CONVERTED"
    assert Deal.objects.filter(lead=lead).exists()


def test_classic_request_from_an_open_leads_phone_goes_to_its_timeline(manager):
    first = receive_request(InboundRequest(channel="email", emails=["x@y.ru"], first_name="X"), actor=manager)
    second = receive_request(
        InboundRequest(channel="call", phones=["+7 903 555 1"], emails=["x@y.ru"]), actor=manager
    )
    third = receive_request(InboundRequest(channel="form", emails=["X@Y.RU"], message="Form"), actor=manager)

    assert first.outcome == "lead_created"
    assert second.outcome == third.outcome == "added_to_lead"
    assert Lead.objects.count() == 1
    assert TimelineEntry.objects.filter(lead=first.item, kind="request").count() == 3


def test_classic_request_from_a_known_contact_creates_a_repeat_lead(manager):
    contact = create_contact(actor=manager, first_name="Known", phones=["+7 915 000 11 22"])
    result = receive_request(InboundRequest(channel="call", phones=["8 915 000 11 22"]), actor=manager)
    assert result.outcome == "repeat_lead"
    assert result.item.contact == contact and result.item.is_repeat


def test_a_request_without_contact_data_is_refused(manager):
    with pytest.raises(Invalid) as error:
        receive_request(InboundRequest(channel="form", message="hello"), actor=manager)
    assert error.value.code == "request.no_contact_data"
    assert not Lead.objects.exists()


def test_the_channel_rule_is_asked_only_when_a_new_item_is_created(system, colleague):
    asked = []

    def rule():
        asked.append(1)
        return colleague

    first = receive_request(
        InboundRequest(channel="form", phones=["+7 903 222 11 00"], pick_responsible=rule), actor=system
    )
    second = receive_request(
        InboundRequest(channel="form", phones=["+7 903 222 11 00"], pick_responsible=rule), actor=system
    )
    assert first.item.assigned_to == colleague
    assert second.outcome == "added_to_lead" and len(asked) == 1


def test_a_repeat_lead_goes_to_the_clients_responsible_unless_absent(system, colleague, head):
    import datetime as dt

    from django.utils import timezone

    create_contact(actor=colleague, first_name="Known", phones=["+7 915 000 11 22"])
    present = receive_request(
        InboundRequest(channel="call", phones=["+7 915 000 11 22"], pick_responsible=lambda: head),
        actor=system,
    )
    assert present.outcome == "repeat_lead" and present.item.assigned_to == colleague

    colleague.absent_until = timezone.localdate() + dt.timedelta(days=1)
    colleague.save()
    Lead.objects.all().delete()
    absent = receive_request(
        InboundRequest(channel="call", phones=["+7 915 000 11 22"], pick_responsible=lambda: head),
        actor=system,
    )
    assert absent.item.assigned_to == head


def test_a_request_answering_an_item_goes_to_it_with_its_timeline_kind(manager, published):
    lead = create_lead(actor=manager, first_name="Thread", emails=["t@x.ru"])
    published.clear()

    result = receive_request(
        InboundRequest(
            channel="email",
            emails=["other@y.ru"],
            message="Re: hi",
            thread_item=lead,
            timeline_kind="message",
        ),
        actor=manager,
    )

    assert result.outcome == "thread_reply" and result.item == lead
    assert result.entry.kind == "message" and result.entry.text == "Re: hi"
    assert Lead.objects.count() == 1
    assert any(isinstance(e, RequestReceived) and e.outcome == "thread_reply" for e in published)


def test_a_thread_item_that_no_longer_exists_falls_back_to_routing(manager):
    gone = create_lead(actor=manager, first_name="Gone", emails=["g@x.ru"])
    Lead.objects.filter(pk=gone.pk).delete()
    result = receive_request(
        InboundRequest(channel="email", emails=["new@y.ru"], thread_item=gone), actor=manager
    )
    assert result.outcome == "lead_created" and result.item.pk != gone.pk


def test_a_manager_routing_by_hand_keeps_a_request_whose_client_is_out_of_scope(manager, outsider):
    create_contact(actor=outsider, first_name="Theirs", phones=["+7 915 444 11 22"])
    result = receive_request(InboundRequest(channel="manual", phones=["+7 915 444 11 22"]), actor=manager)
    assert result.outcome == "repeat_lead" and result.item.assigned_to == manager
