"""The Bitrix24 methods over the core: fields, multi-fields, filters, stages, lists and extensions."""

import pytest

from voronka.crm.models import Deal, Lead
from voronka.crm.services.custom_fields import create_field
from voronka.crm.services.leads import create_lead
from voronka.crm.services.pipelines import create_pipeline
from voronka.webhooks.models import WebhookSubscription

pytestmark = pytest.mark.django_db


def test_lead_add_get_update_delete_in_bitrix_shapes(rest):
    lead_id = rest.ok(
        "crm.lead.add",
        {
            "fields": {
                "TITLE": "Pump",
                "NAME": "Anna",
                "LAST_NAME": "Petrova",
                "SOURCE_ID": "CALL",
                "OPPORTUNITY": "1500.5",
                "UTM_SOURCE": "yandex",
                "PHONE": [{"VALUE": "+7 900 111-22-33", "VALUE_TYPE": "MOBILE"}],
                "EMAIL": [{"VALUE": "anna@example.ru", "VALUE_TYPE": "WORK"}],
            },
            "params": {"REGISTER_SONET_EVENT": "Y"},
        },
    )
    assert isinstance(lead_id, int)
    lead = rest.ok("crm.lead.get", {"id": lead_id})
    assert lead["ID"] == str(lead_id)
    assert (lead["TITLE"], lead["NAME"], lead["SOURCE_ID"], lead["OPPORTUNITY"]) == (
        "Pump",
        "Anna",
        "CALL",
        "1500.50",
    )
    assert (lead["STATUS_ID"], lead["STATUS_SEMANTIC_ID"], lead["OPENED"], lead["HAS_PHONE"]) == (
        "NEW",
        "P",
        "Y",
        "Y",
    )
    assert lead["UTM_SOURCE"] == "yandex" and lead["COMMENTS"] is None
    assert lead["DATE_CREATE"][-6] in "+-"
    assert lead["PHONE"][0]["VALUE_TYPE"] == "MOBILE" and lead["PHONE"][0]["TYPE_ID"] == "PHONE"

    phone_id = lead["PHONE"][0]["ID"]
    assert (
        rest.ok(
            "crm.lead.update",
            {
                "id": lead_id,
                "fields": {
                    "STATUS_ID": "IN_PROCESS",
                    "PHONE": [{"ID": phone_id, "VALUE": "+7 900 999-88-77"}, {"VALUE": "+7 495 000-00-00"}],
                    "EMAIL": [{"ID": lead["EMAIL"][0]["ID"], "VALUE": ""}],
                },
            },
        )
        is True
    )
    changed = rest.ok("crm.lead.get", {"id": lead_id})
    assert changed["STATUS_ID"] == "IN_PROCESS"
    assert [p["VALUE"] for p in changed["PHONE"]] == ["+7 900 999-88-77", "+7 495 000-00-00"]
    assert "EMAIL" not in changed and changed["HAS_EMAIL"] == "N"
    assert Lead.objects.get().stage_history.count() == 2

    assert rest.ok("crm.lead.delete", {"id": lead_id}) is True
    assert not Lead.objects.exists()


def test_a_lead_cannot_be_set_to_the_converted_status(rest):
    lead_id = rest.ok("crm.lead.add", {"fields": {"TITLE": "X"}})
    status, body = rest("crm.lead.update", {"id": lead_id, "fields": {"STATUS_ID": "CONVERTED"}})
    assert status == 400 and body["error"] == ""
    assert Lead.objects.get().status.code == "NEW"


def test_list_filters_with_prefixes_order_and_select(rest, manager):
    for title, amount in (("Alpha", 100), ("Beta", 200), ("Gamma", 300)):
        create_lead(actor=manager, title=title, amount=amount, phones=["+7 900 000-00-0" + str(amount)[0]])

    def titles(params):
        return [r["TITLE"] for r in rest.ok("crm.lead.list", {"select": ["TITLE"], **params})]

    assert titles({"filter": {">OPPORTUNITY": 100}}) == ["Beta", "Gamma"]
    assert titles({"filter": {">=OPPORTUNITY": 100, "<OPPORTUNITY": 300}}) == ["Alpha", "Beta"]
    assert titles({"filter": {"!TITLE": "Beta"}}) == ["Alpha", "Gamma"]
    assert titles({"filter": {"%TITLE": "mm"}}) == ["Gamma"]
    assert titles({"filter": {"@TITLE": ["Alpha", "Gamma"]}}) == ["Alpha", "Gamma"]
    assert titles({"filter": {"!@TITLE": ["Alpha", "Gamma"]}}) == ["Beta"]
    assert titles({"filter": {"=STATUS_ID": "NEW", "PHONE": "89000000002"}}) == ["Beta"]
    assert titles({"order": {"OPPORTUNITY": "DESC"}}) == ["Gamma", "Beta", "Alpha"]
    row = rest.ok("crm.lead.list", {"select": ["*", "PHONE"], "filter": {"TITLE": "Alpha"}})[0]
    assert "STATUS_ID" in row and row["PHONE"][0]["VALUE"].endswith("1")
    status, _body = rest("crm.lead.list", {"filter": {"NOPE": 1}})
    assert status == 400


def test_custom_fields_as_uf_crm(rest, admin, manager):
    create_field(entity="lead", name="Budget", type="number", code="UF_CRM_BUDGET", actor=admin)
    lead_id = rest.ok("crm.lead.add", {"fields": {"TITLE": "Custom", "UF_CRM_BUDGET": 42}})
    assert rest.ok("crm.lead.get", {"id": lead_id})["UF_CRM_BUDGET"] == 42
    rows = rest.ok("crm.lead.list", {"select": ["ID", "UF_*"], "filter": {"UF_CRM_BUDGET": 42}})
    assert rows == [{"ID": str(lead_id), "UF_CRM_BUDGET": 42}]
    fields = rest.ok("crm.lead.fields")
    assert fields["UF_CRM_BUDGET"]["isDynamic"] is True
    assert fields["STATUS_ID"] == {
        "type": "crm_status",
        "isRequired": False,
        "isReadOnly": False,
        "isImmutable": False,
        "isMultiple": False,
        "isDynamic": False,
        "title": "Status",
        "statusType": "STATUS",
    }


def test_deals_in_categories_with_prefixed_stages(rest, admin):
    pipeline = create_pipeline(name="Wholesale", actor=admin)
    deal_id = rest.ok("crm.deal.add", {"fields": {"TITLE": "Big", "CATEGORY_ID": pipeline.pk}})
    deal = rest.ok("crm.deal.get", {"id": deal_id})
    assert deal["CATEGORY_ID"] == str(pipeline.pk)
    assert deal["STAGE_ID"].startswith(f"C{pipeline.pk}:")
    general = rest.ok("crm.deal.add", {"fields": {"TITLE": "Small"}})
    assert rest.ok("crm.deal.get", {"id": general})["STAGE_ID"] == "NEW"
    rest.ok("crm.deal.update", {"id": general, "fields": {"STAGE_ID": "PREPARATION"}})
    assert Deal.objects.get(pk=general).stage.code == "PREPARATION"
    assert [r["ID"] for r in rest.ok("crm.deal.list", {"filter": {"CATEGORY_ID": 0}})] == [str(general)]
    assert [r["ID"] for r in rest.ok("crm.deal.list", {"filter": {"STAGE_ID": deal["STAGE_ID"]}})] == [
        str(deal_id)
    ]
    assert rest.ok("crm.deal.list", {"filter": {"STAGE_ID": "NEW"}}) == []  # the general pipeline's NEW
    assert len(rest.ok("crm.deal.list", {"filter": {"@STAGE_ID": [deal["STAGE_ID"], "PREPARATION"]}})) == 2

    statuses = rest.ok("crm.status.list", {"filter": {"ENTITY_ID": f"DEAL_STAGE_{pipeline.pk}"}})
    assert statuses[0]["STATUS_ID"] == f"C{pipeline.pk}:{statuses[0]['STATUS_ID'].split(':')[1]}"
    categories = rest.ok("crm.category.list", {"entityTypeId": 2})["categories"]
    assert [(c["id"], c["isDefault"]) for c in categories] == [(0, "Y"), (pipeline.pk, "N")]
    assert rest.ok("crm.dealcategory.list")[0]["NAME"] == "Wholesale"
    assert rest.ok("crm.dealcategory.status", {"id": pipeline.pk}) == f"DEAL_STAGE_{pipeline.pk}"
    sources = rest.ok("crm.status.entity.items", {"entityId": "SOURCE"})
    assert "CALL" in [s["STATUS_ID"] for s in sources]


def test_product_rows_stage_history_and_timeline(rest):
    deal_id = rest.ok("crm.deal.add", {"fields": {"TITLE": "Rows"}})
    rest.ok(
        "crm.deal.productrows.set",
        {
            "id": deal_id,
            "rows": [
                {
                    "PRODUCT_NAME": "Pump",
                    "PRICE": 900,
                    "QUANTITY": 2,
                    "DISCOUNT_RATE": 10,
                    "PRICE_NETTO": 1000,
                }
            ],
        },
    )
    rows = rest.ok("crm.deal.productrows.get", {"id": deal_id})
    assert (rows[0]["PRODUCT_NAME"], rows[0]["PRICE"], rows[0]["QUANTITY"]) == ("Pump", 900.0, 2.0)
    assert rest.ok("crm.deal.get", {"id": deal_id})["OPPORTUNITY"] == "1800.00"

    rest.ok("crm.deal.update", {"id": deal_id, "fields": {"STAGE_ID": "EXECUTING"}})
    history = rest.ok("crm.stagehistory.list", {"entityTypeId": 2, "filter": {"OWNER_ID": deal_id}})["items"]
    assert [(h["TYPE_ID"], h["STAGE_ID"], h["CATEGORY_ID"]) for h in history] == [
        (1, "NEW", 0),
        (2, "EXECUTING", 0),
    ]

    comment_id = rest.ok(
        "crm.timeline.comment.add",
        {"fields": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal", "COMMENT": "Called"}},
    )
    comments = rest.ok("crm.timeline.comment.list", {"filter": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal"}})
    assert [(c["ID"], c["COMMENT"]) for c in comments] == [(str(comment_id), "Called")]
    assert (
        rest(
            "crm.timeline.comment.add",
            {"fields": {"ENTITY_ID": deal_id, "ENTITY_TYPE": "deal", "COMMENT": ""}},
        )[0]
        == 400
    )


def test_activities(rest, manager):
    lead_id = rest.ok("crm.lead.add", {"fields": {"TITLE": "Call me"}})
    activity_id = rest.ok(
        "crm.activity.add",
        {
            "fields": {
                "OWNER_TYPE_ID": 1,
                "OWNER_ID": lead_id,
                "TYPE_ID": 2,
                "SUBJECT": "Call",
                "DIRECTION": 2,
                "START_TIME": "2030-01-01T10:00:00+03:00",
                "RESPONSIBLE_ID": manager.pk,
                "PRIORITY": 3,
            }
        },
    )
    activity = rest.ok("crm.activity.get", {"id": activity_id})
    assert (activity["TYPE_ID"], activity["OWNER_ID"], activity["COMPLETED"], activity["DIRECTION"]) == (
        "2",
        str(lead_id),
        "N",
        "2",
    )
    rest.ok("crm.activity.update", {"id": activity_id, "fields": {"COMPLETED": "Y", "SUBJECT": "Called"}})
    listed = rest.ok(
        "crm.activity.list", {"filter": {"OWNER_TYPE_ID": 1, "OWNER_ID": lead_id, "COMPLETED": "Y"}}
    )
    assert [(a["ID"], a["SUBJECT"]) for a in listed] == [(str(activity_id), "Called")]
    assert rest.ok("crm.activity.delete", {"id": activity_id}) is True


def test_duplicates_by_communication(rest, manager):
    lead = create_lead(actor=manager, title="Dup", phones=["+7 900 123-45-67"])
    found = rest.ok("crm.duplicate.findbycomm", {"type": "PHONE", "values": ["8 (900) 123-45-67"]})
    assert found == {"LEAD": [lead.pk]}
    assert rest.ok("crm.duplicate.findbycomm", {"type": "EMAIL", "values": ["x@y.ru"]}) == []
    assert rest("crm.duplicate.findbycomm", {"type": "FAX", "values": ["1"]})[0] == 400


def test_crm_item_in_camel_case(rest):
    item = rest.ok(
        "crm.item.add",
        {
            "entityTypeId": 1,
            "fields": {
                "title": "Camel",
                "opportunity": 10,
                "fm": [{"typeId": "PHONE", "valueType": "WORK", "value": "+79001234567"}],
            },
        },
    )["item"]
    assert (item["title"], item["stageId"], item["opportunity"], item["id"]) == (
        "Camel",
        "NEW",
        10.0,
        item["id"],
    )
    assert item["fm"][0]["value"] == "+79001234567"
    updated = rest.ok(
        "crm.item.update", {"entityTypeId": 1, "id": item["id"], "fields": {"stageId": "IN_PROCESS"}}
    )["item"]
    assert updated["stageId"] == "IN_PROCESS"
    listed = rest.ok(
        "crm.item.list", {"entityTypeId": 1, "filter": {"ID": item["id"]}, "select": ["id", "title"]}
    )
    assert listed == {"items": [{"id": item["id"], "title": "Camel"}]}
    status, body = rest("crm.item.list", {"entityTypeId": 1, "filter": {"nope": 1}})
    assert (status, body["error"]) == (400, "INVALID_ARG_VALUE")
    assert rest.ok("crm.item.delete", {"entityTypeId": 1, "id": item["id"]}) == []


def test_users_profile_server_time_methods_and_scope(rest, manager):
    assert rest.ok("user.current")["ID"] == str(manager.pk)
    assert [u["ID"] for u in rest.ok("user.get", {"ID": manager.pk})] == [str(manager.pk)]
    assert rest.ok("profile")["ADMIN"] is False
    assert rest.ok("server.time")[-6] in "+-"
    assert "crm.lead.list" in rest.ok("methods")
    assert rest.ok("scope") == ["crm", "user"]


def test_event_bind_maps_onto_outbound_webhooks(admin_rest, rest, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    assert (
        admin_rest.ok("event.bind", {"event": "ONCRMLEADADD", "handler": "https://example.com/hook"}) is True
    )
    subscription = WebhookSubscription.objects.get()
    assert (subscription.format, subscription.bitrix_event, subscription.events) == (
        "bitrix24",
        "ONCRMLEADADD",
        ["item.created"],
    )
    assert subscription.wants("item.created", {"kind": "lead"}) and not subscription.wants(
        "item.created", {"kind": "deal"}
    )
    assert admin_rest.ok("event.get") == [
        {"event": "ONCRMLEADADD", "handler": "https://example.com/hook", "auth_type": "0", "offline": 0}
    ]
    assert rest("event.bind", {"event": "ONCRMLEADADD", "handler": "https://example.com/x"})[0] == 403
    assert (
        admin_rest("event.bind", {"event": "ONNOTHING", "handler": "https://example.com/x"})[1]["error"]
        == "ERROR_EVENT_NOT_FOUND"
    )
    assert admin_rest.ok(
        "event.unbind", {"event": "ONCRMLEADADD", "handler": "https://example.com/hook"}
    ) == {"count": 1}
    assert not WebhookSubscription.objects.exists()


def test_voronka_lead_convert_is_atomic_and_refused_twice(rest):
    lead_id = rest.ok(
        "crm.lead.add",
        {"fields": {"TITLE": "Convert me", "NAME": "Oleg", "PHONE": [{"VALUE": "+79001112233"}]}},
    )
    done = rest.ok("voronka.lead.convert", {"id": lead_id})
    assert done["LEAD_ID"] == lead_id and done["DEAL_ID"] and done["CONTACT_ID"]
    assert rest.ok("crm.lead.get", {"id": lead_id})["STATUS_ID"] == "CONVERTED"
    assert rest.ok("crm.deal.get", {"id": done["DEAL_ID"]})["LEAD_ID"] == str(lead_id)
    status, _body = rest("voronka.lead.convert", {"id": lead_id})
    assert status == 400
    assert Deal.objects.count() == 1


@pytest.mark.parametrize("count", [3, 30])
def test_list_query_count_does_not_grow_with_rows(count, rest, manager, django_assert_max_num_queries):
    for n in range(count):
        create_lead(actor=manager, title=f"Q{n}", phones=[f"+7900{n:07d}"])
    # webhook, rights, custom fields, count, page, communications (+ touch and savepoints)
    with django_assert_max_num_queries(14):
        rows = rest.ok("crm.lead.list", {"select": ["*", "PHONE", "UF_*"]})
    assert len(rows) == count
    with django_assert_max_num_queries(14):
        items = rest.ok("crm.item.list", {"entityTypeId": 1})["items"]
    assert len(items) == count


def test_status_add_update_delete(admin_rest, rest):
    stage_id = admin_rest.ok(
        "crm.status.add", {"fields": {"ENTITY_ID": "STATUS", "STATUS_ID": "CALLED", "NAME": "Called"}}
    )
    rows = admin_rest.ok("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
    assert "CALLED" in [r["STATUS_ID"] for r in rows]
    assert admin_rest.ok("crm.status.update", {"id": stage_id, "fields": {"NAME": "Reached"}}) is True
    assert admin_rest.ok("crm.status.get", {"id": stage_id})["NAME"] == "Reached"
    assert rest("crm.status.delete", {"id": stage_id})[0] == 400  # managers do not configure
    assert admin_rest.ok("crm.status.delete", {"id": stage_id}) is True
    assert "CALLED" not in [
        r["STATUS_ID"] for r in admin_rest.ok("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
    ]


def test_deal_contacts_mode_owner_types_and_currencies(rest, manager):
    contact = rest.ok("crm.contact.add", {"fields": {"NAME": "Ira"}})
    deal = rest.ok("crm.deal.add", {"fields": {"TITLE": "With a client"}})
    assert rest.ok("crm.deal.contact.items.get", {"id": deal}) == []
    rest.ok("crm.deal.contact.items.set", {"id": deal, "items": [{"CONTACT_ID": contact, "IS_PRIMARY": "Y"}]})
    assert rest.ok("crm.deal.contact.items.get", {"id": deal})[0]["CONTACT_ID"] == contact
    assert rest.ok("crm.settings.mode.get") == 1
    assert [t["SYMBOL_CODE"] for t in rest.ok("crm.enum.ownertype")] == ["LEAD", "DEAL", "CONTACT", "COMPANY"]
    assert rest.ok("crm.currency.list")[0]["BASE"] == "Y"
