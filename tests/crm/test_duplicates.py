import pytest

from voronka.crm.errors import DuplicateFound
from voronka.crm.models import Contact, Lead
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


@pytest.fixture
def existing(manager):
    return create_lead(actor=manager, first_name="Ivan", phones=["8 (495) 109-63-75"], emails=["ivan@x.ru"])


def test_find_duplicates_by_any_spelling(existing):
    [match] = find_duplicates(phones=["+7 495 109-63-75"])
    assert (match.kind, match.item_id, match.matched_by, match.value) == (
        "lead",
        existing.pk,
        "phone",
        "+74951096375",
    )
    [match] = find_duplicates(emails=["IVAN@X.RU"])
    assert match.matched_by == "email"
    assert find_duplicates(phones=["+7 495 109-63-76"]) == []


def test_skip_returns_the_existing_lead(existing, manager):
    same = create_lead(
        actor=manager, title="Again", phones=["+74951096375"], on_duplicate=DuplicatePolicy.SKIP
    )
    assert same.pk == existing.pk and Lead.objects.count() == 1


def test_merge_fills_empty_fields_and_adds_missing_communications(existing, manager):
    merged = create_lead(
        actor=manager,
        first_name="Other",
        last_name="Petrov",
        phones=["+74951096375", "+7 916 222 33 44"],
        on_duplicate="merge",
    )
    assert merged.pk == existing.pk
    merged.refresh_from_db()
    assert merged.first_name == "Ivan"  # kept
    assert merged.last_name == "Petrov"  # filled
    assert merged.communications.filter(normalized="+79162223344").exists()
    assert merged.timeline.filter(kind="merged").exists()


def test_create_makes_a_second_lead(existing, manager):
    create_lead(actor=manager, title="Again", phones=["+74951096375"], on_duplicate="create")
    assert Lead.objects.count() == 2


def test_attach_links_a_known_client_as_a_repeat_lead(manager):
    contact = create_contact(actor=manager, first_name="Known", emails=["k@x.ru"])
    lead = create_lead(actor=manager, title="Repeat", emails=["k@x.ru"], on_duplicate="attach")
    assert lead.contact == contact and lead.is_repeat


def test_company_title_matches_spellings(manager):
    company = create_company(actor=manager, title="ООО «Ромашка»")
    [match] = find_duplicates(company_title="Ромашка, ООО")
    assert (match.kind, match.item_id, match.matched_by) == ("company", company.pk, "company")
    with pytest.raises(DuplicateFound) as refusal:
        create_company(actor=manager, title="ромашка")
    assert refusal.value.code == "duplicate.found"


def test_scoped_look_up_hides_items_outside_the_scope(existing, outsider, manager):
    assert find_duplicates(phones=["+74951096375"], user=outsider) == []
    assert len(find_duplicates(phones=["+74951096375"], user=manager)) == 1


def test_contact_duplicates(manager):
    create_contact(actor=manager, first_name="A", phones=["+7 916 000 00 01"])
    same = create_contact(actor=manager, first_name="B", phones=["89160000001"], on_duplicate="skip")
    assert Contact.objects.count() == 1 and same.first_name == "A"
