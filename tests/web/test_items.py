import pytest

from voronka.crm.models import Communication, Contact, Deal, Lead, RecycleBinEntry, TimelineEntry
from voronka.crm.services.custom_fields import create_field
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


def test_create_a_lead_with_two_phones(manager_client, manager):
    # when
    response = manager_client.post(
        "/leads/new/",
        {
            "title": "Boiler room",
            "last_name": "Petrov",
            "phone": ["8 (495) 109-63-75", "+7 916 555 44 33"],
            "phone_label": ["work", "mobile"],
            "email": [""],
            "email_label": ["work"],
            "currency": "RUB",
        },
    )
    # then
    lead = Lead.objects.get(title="Boiler room")
    assert response.status_code == 302 and response["Location"] == f"/leads/{lead.pk}/"
    phones = list(lead.communications.order_by("sort").values_list("normalized", "label"))
    assert phones == [("+74951096375", "work"), ("+79165554433", "mobile")]
    assert lead.assigned_to == manager
    card = manager_client.get(response["Location"]).content.decode()
    assert 'href="tel:+74951096375"' in card and 'href="tel:+79165554433"' in card


def test_a_duplicate_is_shown_with_the_choices_and_nothing_is_created(manager_client, lead):
    # when
    response = manager_client.post("/leads/new/", {"title": "Again", "phone": ["+7 495 109-63-75"]})
    # then
    page = response.content.decode()
    assert response.status_code == 200
    assert "This looks like a duplicate" in page and lead.title in page
    assert 'value="create"' in page and 'value="merge"' in page
    assert not Lead.objects.filter(title="Again").exists()


def test_create_anyway_and_merge(manager_client, lead):
    manager_client.post(
        "/leads/new/", {"title": "Again", "phone": ["+74951096375"], "on_duplicate": "create"}
    )
    assert Lead.objects.filter(title="Again").exists()
    manager_client.post(
        "/leads/new/",
        {"title": "Third", "phone": ["+74951096375"], "email": ["new@example.com"], "on_duplicate": "merge"},
    )
    assert not Lead.objects.filter(title="Third").exists()
    merged = Lead.objects.filter(communications__normalized="new@example.com").get()
    assert merged.pk in {lead.pk, Lead.objects.get(title="Again").pk}


def test_the_typing_warning_finds_duplicates_only_in_the_scope(manager_client, outsider_client, lead):
    url = "/duplicates/?kind=lead&phone=8+495+109+63+75"
    assert lead.title in manager_client.get(url).content.decode()
    assert lead.title not in outsider_client.get(url).content.decode()


def test_a_bad_phone_is_shown_next_to_the_phones(manager_client):
    response = manager_client.post("/leads/new/", {"title": "X", "phone": ["12"]})
    assert "is not a phone number" in response.content.decode()
    assert not Lead.objects.filter(title="X").exists()


def test_edit_in_place_with_a_custom_field(manager_client, admin, lead):
    # given
    field = create_field(
        entity="lead", name="Industry", type="enum", options=["Retail", "Dairy"], actor=admin
    )
    option = next(o["id"] for o in field.options if o["value"] == "Dairy")
    # when
    form = manager_client.get(f"/leads/{lead.pk}/edit/", HTTP_HX_REQUEST="true")
    response = manager_client.post(
        f"/leads/{lead.pk}/edit/",
        {
            "title": "Pumps for the dairy farm",
            "assigned_to": lead.assigned_to_id,
            f"custom__{field.code}": str(option),
            "phone": ["+74951096375"],
        },
        HTTP_HX_REQUEST="true",
    )
    # then
    assert 'hx-post="/leads/' in form.content.decode()
    assert response["HX-Redirect"] == f"/leads/{lead.pk}/"
    lead.refresh_from_db()
    assert (lead.title, lead.custom) == ("Pumps for the dairy farm", {field.code: option})
    assert "Dairy" in manager_client.get(f"/leads/{lead.pk}/").content.decode()


def test_an_empty_title_is_refused_on_the_field(manager_client, lead):
    response = manager_client.post(f"/leads/{lead.pk}/edit/", {"title": ""})
    assert response.status_code == 200
    assert "Required." in response.content.decode()


def test_comment_goes_to_the_timeline(manager_client, lead):
    response = manager_client.post(
        f"/leads/{lead.pk}/comment/", {"text": "Called, call back"}, HTTP_HX_REQUEST="true"
    )
    assert "Called, call back" in response.content.decode()
    assert TimelineEntry.objects.filter(lead=lead, kind="comment").count() == 1


def test_product_rows_set_the_amount(manager_client, lead):
    manager_client.post(
        f"/leads/{lead.pk}/products/",
        {
            "row_name": ["Pump", "Valve"],
            "row_price": ["1000", "250"],
            "row_quantity": ["2", "1"],
            "row_discount": ["0", "0"],
        },
    )
    lead.refresh_from_db()
    assert str(lead.amount) == "2250.00"
    manager_client.post(
        f"/leads/{lead.pk}/products/",
        {"row_name": ["Pump"], "row_price": ["1000"], "row_quantity": ["2"], "row_discount": ["10"]},
    )
    card = manager_client.get(f"/leads/{lead.pk}/").content.decode()
    assert 'name="row_discount" value="10"' in card and 'name="row_price" value="1000"' in card


def test_card_of_a_deal_links_its_contact_and_company(manager_client, manager, general_pipeline):
    from voronka.crm.services.clients import create_company, create_contact
    from voronka.crm.services.deals import create_deal

    company = create_company(actor=manager, title="Dairy LLC")
    contact = create_contact(actor=manager, first_name="Olga", company=company)
    deal = create_deal(
        actor=manager, title="Tank", pipeline=general_pipeline, contact=contact, company=company
    )
    page = manager_client.get(f"/deals/{deal.pk}/").content.decode()
    assert f"/contacts/{contact.pk}/" in page and f"/companies/{company.pk}/" in page
    contact_page = manager_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/deals/{deal.pk}/" in contact_page


def test_convert_a_lead_into_deal_contact_and_company(manager_client, manager, general_pipeline):
    # given
    lead = create_lead(
        actor=manager,
        first_name="Ivan",
        last_name="Orlov",
        company_title="Orlov Farm",
        phones=["+79031234567"],
    )
    # when
    wizard = manager_client.get(f"/leads/{lead.pk}/convert/")
    response = manager_client.post(
        f"/leads/{lead.pk}/convert/",
        {"with_deal": "1", "pipeline": general_pipeline.pk, "contact": "new", "company": "new"},
    )
    # then
    assert wizard.status_code == 200
    deal = Deal.objects.get(lead=lead)
    assert response["Location"] == f"/deals/{deal.pk}/"
    assert deal.contact.last_name == "Orlov" and deal.company.title == "Orlov Farm"
    lead.refresh_from_db()
    assert lead.converted_at is not None


def test_conversion_offers_an_existing_contact_with_the_same_phone(manager_client, manager):
    from voronka.crm.services.clients import create_contact

    known = create_contact(actor=manager, first_name="Known", phones=["+79031234567"])
    lead = create_lead(actor=manager, title="Repeat", phones=["+79031234567"], on_duplicate="create")
    page = manager_client.get(f"/leads/{lead.pk}/convert/")
    assert page.context["defaults"]["contact"] == f"existing:{known.pk}"
    manager_client.post(
        f"/leads/{lead.pk}/convert/", {"with_deal": "1", "contact": f"existing:{known.pk}", "company": "none"}
    )
    assert Deal.objects.get(lead=lead).contact == known
    assert Contact.objects.count() == 1


def test_delete_to_the_recycle_bin_and_restore(manager_client, lead):
    manager_client.post(f"/leads/{lead.pk}/delete/")
    assert not Lead.objects.filter(pk=lead.pk).exists()
    entry = RecycleBinEntry.objects.get()
    assert lead.title in manager_client.get("/recycle-bin/").content.decode()
    response = manager_client.post(f"/recycle-bin/{entry.pk}/restore/")
    assert response["Location"] == f"/leads/{lead.pk}/"
    assert Communication.objects.filter(lead_id=lead.pk).count() == 1


def test_card_query_count_is_fixed(manager_client, lead, django_assert_num_queries):
    for i in range(5):
        manager_client.post(f"/leads/{lead.pk}/comment/", {"text": f"c{i}"})
    # session, user, role, the lead, rights, departments, users, custom fields, timeline, stages,
    # open activities, communications, product rows, the product catalogue, deals of the lead
    with django_assert_num_queries(15):
        manager_client.get(f"/leads/{lead.pk}/")


def test_conversion_can_pick_any_existing_company_the_user_may_see(manager_client, manager):
    from voronka.crm.services.clients import create_company

    company = create_company(actor=manager, title="Northern Dairy")
    lead = create_lead(actor=manager, title="Order", first_name="Ann")
    found = manager_client.get("/pick/companies/", {"q": "northern"}).content.decode()
    assert f'data-pick-id="{company.pk}"' in found
    manager_client.post(
        f"/leads/{lead.pk}/convert/",
        {"with_deal": "1", "contact": "new", "company": "pick", "company_pick": company.pk},
    )
    assert Deal.objects.get(lead=lead).company == company


def test_a_product_row_named_from_the_catalogue_takes_its_price(admin_client, manager_client, lead):
    admin_client.post(
        "/settings/products/", {"action": "add", "name": "Pump K-80", "price": "36200", "currency": "RUB"}
    )
    assert "Pump K-80" in manager_client.get(f"/leads/{lead.pk}/").content.decode()  # offered while typing
    manager_client.post(
        f"/leads/{lead.pk}/products/",
        {"row_name": ["Pump K-80"], "row_price": [""], "row_quantity": ["2"], "row_discount": ["0"]},
    )
    lead.refresh_from_db()
    row = lead.product_rows.get()
    assert (row.product.name, str(lead.amount)) == ("Pump K-80", "72400.00")


def test_a_deal_started_from_a_contact_card_is_linked_to_it(manager_client, manager):
    from voronka.crm.services.clients import create_contact

    contact = create_contact(actor=manager, first_name="Olga", last_name="Petrova")
    card = manager_client.get(f"/contacts/{contact.pk}/").content.decode()
    assert f"/deals/new/?contact={contact.pk}" in card
    form = manager_client.get("/deals/new/", {"contact": contact.pk}).content.decode()
    assert f'name="contact" value="{contact.pk}"' in form and "Olga Petrova" in form
    manager_client.post("/deals/new/", {"title": "Tank", "contact": contact.pk, "currency": "RUB"})
    assert Deal.objects.get(title="Tank").contact == contact
