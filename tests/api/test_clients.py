import pytest

from voronka.crm.models import Company, Contact
from voronka.crm.services.clients import create_company

pytestmark = pytest.mark.django_db


def test_a_contact_with_its_company_and_communications(api, manager):
    company = api.post(
        "/companies", {"title": "ООО «Ромашка»", "phones": ["+7 495 000 00 01"]}, user=manager
    ).json()

    response = api.post(
        "/contacts",
        {
            "first_name": "Anna",
            "last_name": "Petrova",
            "company_id": company["id"],
            "emails": ["anna@romashka.ru"],
        },
        user=manager,
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["company_id"], body["emails"][0]["normalized"]) == (company["id"], "anna@romashka.ru")
    listed = api.get("/contacts", user=manager, params={"company_id": company["id"]}).json()["items"]
    assert [item["id"] for item in listed] == [body["id"]]


def test_a_company_with_a_known_name_is_reported(api, manager):
    create_company(actor=manager, title="Romashka LLC")

    response = api.post("/companies", {"title": "ООО Romashka"}, user=manager)

    assert response.status_code == 201
    assert [d["matched_by"] for d in response.json()["duplicates"]] == ["company"]


def test_a_contact_needs_a_name_or_a_way_to_reach_them(api, manager):
    response = api.post("/contacts", {"position": "CEO"}, user=manager)

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "contact.name_required"
    assert not Contact.objects.exists()


def test_patching_a_company_replaces_its_phones(api, manager):
    company = create_company(actor=manager, title="Romashka", phones=["+7 495 000 00 01"])

    response = api.patch(f"/companies/{company.pk}", {"phones": ["+7 495 000 00 02"]}, user=manager)

    assert [p["normalized"] for p in response.json()["phones"]] == ["+74950000002"]


def test_bulk_companies_and_contacts(api, manager):
    companies = api.post("/companies/bulk", {"items": [{"title": "A"}, {"title": "B"}]}, user=manager)
    contacts = api.post("/contacts/bulk", {"items": [{"first_name": "A"}, {"position": "x"}]}, user=manager)

    assert companies.status_code == 201 and Company.objects.count() == 2
    assert contacts.status_code == 422 and not Contact.objects.exists()


def test_comments_on_a_company(api, manager):
    company = create_company(actor=manager, title="Romashka")

    api.post(f"/companies/{company.pk}/timeline", {"text": "Met at the fair"}, user=manager)

    assert (
        api.get(f"/companies/{company.pk}/timeline", user=manager).json()["items"][0]["text"]
        == "Met at the fair"
    )
