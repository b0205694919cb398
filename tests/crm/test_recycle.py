import pytest

from voronka.crm.models import Communication, Contact, Deal, Lead, RecycleBinEntry, StageHistory
from voronka.crm.selectors.history import recycle_bin
from voronka.crm.services.clients import create_contact
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.crm.services.recycle import delete_item, purge, restore
from voronka.lib.errors import Forbidden

pytestmark = pytest.mark.django_db


def test_a_lead_goes_to_the_bin_and_comes_back_with_its_rows(manager):
    lead = create_lead(actor=manager, title="X", phones=["+7 916 111 22 33"])
    lead_id = lead.pk

    entry = delete_item(lead, actor=manager)

    assert not Lead.objects.filter(pk=lead_id).exists()
    assert not Communication.objects.exists() and not StageHistory.objects.exists()
    assert list(recycle_bin(manager)) == [entry]

    restored = restore(entry, actor=manager)

    assert restored.pk == lead_id
    assert restored.communications.get().normalized == "+79161112233"
    assert restored.stage_history.count() == 1
    assert restored.timeline.filter(kind="restored").exists()
    assert not RecycleBinEntry.objects.exists()


def test_a_contact_comes_back_with_its_links(manager):
    contact = create_contact(actor=manager, first_name="Linked")
    deal = create_deal(actor=manager, title="D", contact=contact)
    contact_id = contact.pk

    entry = delete_item(contact, actor=manager)
    deal.refresh_from_db()
    assert deal.contact_id is None

    restore(entry, actor=manager)
    deal.refresh_from_db()
    assert deal.contact_id == contact_id
    assert Contact.objects.filter(pk=contact_id).exists()


def test_deleting_needs_the_right(manager, intern):
    lead = create_lead(actor=intern, title="Mine")
    with pytest.raises(Forbidden):
        delete_item(lead, actor=intern)
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_other_departments_do_not_see_the_entry(manager, outsider, admin):
    entry = delete_item(create_deal(actor=manager, title="D"), actor=manager)
    assert list(recycle_bin(outsider)) == []
    with pytest.raises(Forbidden):
        purge(entry, actor=outsider)
    purge(entry, actor=admin)
    assert not RecycleBinEntry.objects.exists() and not Deal.objects.exists()
