from decimal import Decimal

import pytest

from voronka.crm.errors import AlreadyConverted
from voronka.crm.events import LeadConverted
from voronka.crm.models import Company, Contact, Deal
from voronka.crm.services.conversion import convert_lead
from voronka.crm.services.custom_fields import create_field
from voronka.crm.services.leads import create_lead
from voronka.crm.services.stages import move
from voronka.crm.services.timeline import add_comment
from voronka.lib.errors import Forbidden, Refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def lead(manager):
    lead = create_lead(
        actor=manager,
        title="Pumps for the plant",
        first_name="Ivan",
        last_name="Petrov",
        company_title="ООО «Ромашка»",
        phones=["8 (495) 109-63-75"],
        emails=["ivan@romashka.ru"],
        product_rows=[{"name": "Pump", "price": "1000", "quantity": 3}],
    )
    add_comment(lead, text="Wants delivery in May", actor=manager)
    return lead


def test_conversion_with_a_company_title_creates_linked_deal_contact_and_company(lead, manager, published):
    published.clear()

    result = convert_lead(lead, actor=manager)

    deal, contact, company = result.deal, result.contact, result.company
    assert (deal.lead, deal.contact, deal.company) == (lead, contact, company)
    assert contact.company == company and contact.lead == lead and company.lead == lead
    assert company.title == "ООО «Ромашка»"
    assert {c.normalized for c in contact.communications.all()} == {"+74951096375", "ivan@romashka.ru"}
    assert deal.amount == Decimal("3000.00") and deal.product_rows.get().name == "Pump"
    assert deal.assigned_to == manager and deal.pipeline.is_default
    lead.refresh_from_db()
    assert lead.status.code == "CONVERTED" and lead.is_closed and lead.converted_at
    assert (lead.contact, lead.company) == (contact, company)
    assert lead.stage_history.order_by("pk").last().to_stage.code == "CONVERTED"
    assert deal.timeline.filter(kind="comment", text="Wants delivery in May").exists()
    assert deal.timeline.filter(kind="created_from_lead").exists()
    assert (
        LeadConverted(
            lead_id=lead.pk,
            deal_id=deal.pk,
            contact_id=contact.pk,
            company_id=company.pk,
            actor_id=manager.pk,
        )
        in published
    )


def test_a_second_conversion_is_refused(lead, manager):
    convert_lead(lead, actor=manager)

    with pytest.raises(AlreadyConverted) as refusal:
        convert_lead(lead, actor=manager)

    assert refusal.value.code == "conversion.already_converted"
    assert Deal.objects.count() == 1 and Contact.objects.count() == 1 and Company.objects.count() == 1


def test_a_lead_without_company_data_makes_no_company(manager):
    lead = create_lead(actor=manager, first_name="Anna", phones=["+7 916 111 22 33"])
    result = convert_lead(lead, actor=manager)
    assert result.company is None and result.contact is not None and result.deal.contact == result.contact


def test_existing_client_can_be_chosen(lead, manager, admin):
    existing = Contact.objects.create(first_name="Known", assigned_to=manager)
    result = convert_lead(lead, actor=manager, contact=existing, with_company=False)
    assert result.contact == existing and result.deal.contact == existing
    assert Contact.objects.count() == 1


def test_deal_only_conversion(lead, manager, admin):
    result = convert_lead(lead, actor=manager, with_contact=False, with_company=False)
    assert result.deal is not None and result.contact is None and result.company is None


def test_custom_fields_with_the_same_code_are_carried(admin, manager):
    for entity in ("lead", "deal"):
        create_field(entity=entity, name="Budget source", code="UF_CRM_BUDGET", type="string", actor=admin)
    lead = create_lead(actor=manager, title="X", custom={"UF_CRM_BUDGET": "grant"})
    result = convert_lead(lead, actor=manager)
    assert result.deal.custom == {"UF_CRM_BUDGET": "grant"}


def test_a_junk_lead_is_not_converted(lead, manager, lead_statuses):
    lead = move(lead, to=lead_statuses.stages.get(code="JUNK"), actor=manager, reason="spam")
    with pytest.raises(Refused) as refusal:
        convert_lead(lead, actor=manager)
    assert refusal.value.code == "conversion.lead_closed"


def test_someone_elses_lead_is_not_converted(lead, colleague):
    with pytest.raises(Forbidden):
        convert_lead(lead, actor=colleague)
    assert Deal.objects.count() == 0
