"""What the hand-written serializers produce validates against the documented schemas."""

import pytest

from voronka.api.schemas.companies import CompanyOut
from voronka.api.schemas.contacts import ContactOut
from voronka.api.schemas.deals import DealOut
from voronka.api.schemas.leads import LeadItem, LeadOut
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


def test_every_item_answer_matches_its_schema(api, manager):
    company = create_company(actor=manager, title="Romashka", phones=["+7 495 000 00 01"], revenue="10 000")
    contact = create_contact(actor=manager, first_name="Anna", company=company, emails=["a@romashka.ru"])
    lead = create_lead(
        actor=manager, title="Pumps", phones=["+7 495 109 63 75"], amount=5, utm={"utm_source": "ya"}
    )
    deal = create_deal(
        actor=manager, title="Pumps", contact=contact, company=company, close_date="2026-12-31"
    )

    for path, schema in (
        (f"/leads/{lead.pk}", LeadOut),
        (f"/deals/{deal.pk}", DealOut),
        (f"/contacts/{contact.pk}", ContactOut),
        (f"/companies/{company.pk}", CompanyOut),
    ):
        body = api.get(path, user=manager).json()
        assert set(body) == set(schema.model_fields), path
        schema.model_validate(body)
    [item] = api.get("/leads", user=manager, params={"fields": "title"}).json()["items"]
    LeadItem.model_validate(item)


@pytest.mark.parametrize("count", [3, 30])
def test_the_deal_list_query_count_does_not_grow_with_rows(count, api, head, django_assert_num_queries):
    for index in range(count):
        create_deal(actor=head, title=f"D{index}")
    api.get("/deals", user=head)

    # token, user, the role's rights and the configuration stamp (one statement; the stages are
    # kept), the page (the rate-limit counter: the first request claimed a block of three request
    # numbers, this one uses the second)
    with django_assert_num_queries(2):
        response = api.get("/deals", user=head, params={"limit": 50})

    assert len(response.json()["items"]) == count
