import pytest

from voronka.crm.errors import DuplicateFound, MoveRefused
from voronka.crm.events import ItemCreated, StageChanged
from voronka.crm.models import Communication, Lead, StageHistory, TimelineEntry
from voronka.crm.services.leads import create_lead, update_lead
from voronka.lib.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db


def test_a_lead_stores_e164_phones_and_starts_in_the_first_status(manager, published):
    lead = create_lead(
        actor=manager, first_name="Ivan", phones=["8 (495) 109-63-75"], emails=["Ivan@Example.COM"]
    )

    email, phone = lead.communications.order_by("kind")
    assert (email.kind, email.normalized) == ("email", "ivan@example.com")
    assert (phone.kind, phone.value, phone.normalized) == ("phone", "8 (495) 109-63-75", "+74951096375")
    assert lead.status.code == "NEW"
    assert lead.assigned_to == manager
    assert lead.title == "Ivan"
    history = StageHistory.objects.get(lead=lead)
    assert (history.from_stage, history.to_stage.code, history.moved_by) == (None, "NEW", manager)
    assert TimelineEntry.objects.filter(lead=lead, kind="created").count() == 1
    assert ItemCreated(kind="lead", item_id=lead.pk, actor_id=manager.pk) in published
    assert any(isinstance(e, StageChanged) and e.from_stage_id is None for e in published)


def test_a_second_lead_with_the_same_phone_is_reported_as_a_duplicate(manager, published):
    first = create_lead(actor=manager, title="First", phones=["8 (495) 109-63-75"])
    published.clear()

    with pytest.raises(DuplicateFound) as error:
        create_lead(actor=manager, title="Second", phones=["+7 495 109 63 75"])

    assert error.value.code == "duplicate.found"
    [match] = error.value.details["duplicates"]
    assert (match["kind"], match["id"], match["matched_by"]) == ("lead", first.pk, "phone")
    assert Lead.objects.count() == 1
    assert published == []


def test_a_lead_without_a_name_gets_a_numbered_title(manager):
    lead = create_lead(actor=manager)
    assert lead.title == f"Lead #{lead.pk}"


def test_bad_contact_details_are_all_reported_and_nothing_is_written(manager):
    with pytest.raises(Invalid) as error:
        create_lead(actor=manager, title="X", phones=["abc", "8 495 109 63 75"], emails=["not-an-email"])

    assert set(error.value.details) == {"phones.0", "emails.0"}
    assert Lead.objects.count() == 0
    assert Communication.objects.count() == 0


def test_unknown_fields_are_refused(manager):
    with pytest.raises(Invalid) as error:
        create_lead(actor=manager, title="X", colour="red")
    assert "colour" in error.value.details


def test_a_lead_cannot_be_created_in_the_converted_status(manager, lead_statuses):
    with pytest.raises(MoveRefused):
        create_lead(actor=manager, title="X", status=lead_statuses.stages.get(code="CONVERTED"))


def test_an_intern_cannot_create_a_lead_for_someone_else(intern, manager):
    with pytest.raises(Forbidden):
        create_lead(actor=intern, title="X", assigned_to=manager)
    assert Lead.objects.count() == 0


def test_update_records_old_and_new_values(manager, published):
    lead = create_lead(actor=manager, title="Old", phones=["+7 495 109 63 75"])
    published.clear()

    update_lead(lead, actor=manager, title="New", amount="1 000,50", phones=["+7 916 000 00 01"])

    lead.refresh_from_db()
    assert lead.title == "New"
    assert str(lead.amount) == "1000.50"
    assert list(lead.communications.values_list("normalized", flat=True)) == ["+79160000001"]
    change = TimelineEntry.objects.get(lead=lead, kind="fields_changed")
    assert change.data["changes"]["title"] == ["Old", "New"]
    assert "communications" in change.data["changes"]
    assert "+79160000001" in lead.search_text


def test_update_without_changes_writes_nothing(manager, published):
    lead = create_lead(actor=manager, title="Same")
    published.clear()
    update_lead(lead, actor=manager, title="Same")
    assert not TimelineEntry.objects.filter(lead=lead, kind="fields_changed").exists()
    assert published == []


def test_a_manager_cannot_change_a_colleagues_lead(manager, colleague):
    lead = create_lead(actor=colleague, title="Theirs")
    with pytest.raises(Forbidden):
        update_lead(lead, actor=manager, title="Mine now")
    lead.refresh_from_db()
    assert lead.title == "Theirs"
