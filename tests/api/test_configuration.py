import pytest

from voronka.crm.models import CrmSettings, Pipeline, Product
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db


def test_everybody_reads_pipelines_with_their_stages(api, intern):
    response = api.get("/pipelines", user=intern)

    kinds = [(p["kind"], [s["code"] for s in p["stages"]][:2]) for p in response.json()["items"]]
    assert kinds == [("deal", ["NEW", "PREPARATION"]), ("lead", ["NEW", "IN_PROCESS"])]
    deal_only = api.get("/pipelines", user=intern, params={"kind": "deal"}).json()["items"]
    assert [p["kind"] for p in deal_only] == ["deal"]


def test_administrators_build_a_pipeline_and_managers_may_not(api, admin, manager):
    body = {
        "name": "Service",
        "stages": [
            {"name": "Request"},
            {"name": "Done", "semantics": "won"},
            {"name": "Lost", "semantics": "lost"},
        ],
    }

    refused = api.post("/pipelines", body, user=manager)
    created = api.post("/pipelines", body, user=admin)

    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "rights.admin_only")
    assert created.status_code == 201
    pipeline_id = created.json()["id"]
    added = api.post(f"/pipelines/{pipeline_id}/stages", {"name": "Visit", "color": "#112233"}, user=admin)
    assert added.status_code == 201
    stages = api.get(f"/pipelines/{pipeline_id}/stages", user=manager).json()["items"]
    assert [s["name"] for s in stages] == ["Request", "Visit", "Done", "Lost"]
    renamed = api.patch(
        f"/pipelines/{pipeline_id}/stages/{added.json()['id']}", {"name": "On site"}, user=admin
    )
    assert renamed.json()["name"] == "On site"
    order = [stages[1]["id"], stages[0]["id"], stages[2]["id"], stages[3]["id"]]
    reordered = api.put(f"/pipelines/{pipeline_id}/stage-order", {"stage_ids": order}, user=admin)
    assert [s["id"] for s in reordered.json()["items"]] == order
    assert api.delete(f"/pipelines/{pipeline_id}", user=admin).status_code == 204
    assert not Pipeline.objects.filter(pk=pipeline_id).exists()


def test_a_pipeline_without_a_won_stage_is_refused(api, admin):
    response = api.post(
        "/pipelines",
        {"name": "Broken", "stages": [{"name": "A"}, {"name": "B", "semantics": "lost"}]},
        user=admin,
    )

    assert (response.status_code, response.json()["error"]["code"]) == (422, "pipeline.one_won_stage")


def test_sources_users_departments_and_me(api, manager, colleague, sales):
    sources = api.get("/sources", user=manager).json()["items"]
    users = api.get("/users", user=manager, params={"department_id": sales.pk}).json()["items"]
    me = api.get("/users/me", user=manager).json()
    departments = api.get("/departments", user=manager).json()["items"]

    assert "WEB" in {s["code"] for s in sources}
    assert [u["username"] for u in users] == ["ivanov"]
    assert (me["username"], me["role_code"], me["is_administrator"]) == ("ivanov", "manager", False)
    assert {d["name"] for d in departments} == {"Sales", "Sales North"}
    assert api.get(f"/users/{colleague.pk}", user=manager).json()["department_id"] == colleague.department_id


def test_roles_are_read_by_all_and_changed_by_administrators(api, admin, manager):
    roles = {r["code"]: r for r in api.get("/roles", user=manager).json()["items"]}
    assert roles["manager"]["rights"]["lead"] == {
        "read": "department",
        "create": "own",
        "update": "own",
        "delete": "own",
        "export": "department",
        "move_back": "none",
    }
    role_id = roles["manager"]["id"]

    refused = api.patch(f"/roles/{role_id}", {"rights": {"lead": {"move_back": "own"}}}, user=manager)
    changed = api.patch(f"/roles/{role_id}", {"rights": {"lead": {"move_back": "own"}}}, user=admin)

    assert refused.status_code == 403
    assert changed.json()["rights"]["lead"]["move_back"] == "own"


def test_a_new_role_grants_only_what_it_is_given(api, admin):
    response = api.post(
        "/roles", {"code": "auditor", "name": "Auditor", "rights": {"deal": {"read": "all"}}}, user=admin
    )

    rights = response.json()["rights"]
    assert response.status_code == 201
    assert rights["deal"]["read"] == "all"
    assert rights["lead"]["read"] == "none"
    assert api.delete(f"/roles/{response.json()['id']}", user=admin).status_code == 204
    built_in = api.get("/roles", user=admin).json()["items"][0]["id"]
    assert api.delete(f"/roles/{built_in}", user=admin).json()["error"]["code"] == "role.built_in"


def test_switching_to_simple_mode_converts_the_open_leads(api, admin, manager):
    create_lead(actor=manager, title="Open", phones=["+7 495 109 63 75"])

    refused = api.put("/mode", {"mode": "simple"}, user=manager)
    before = api.get("/mode", user=manager).json()
    switched = api.put("/mode", {"mode": "simple"}, user=admin)

    assert refused.status_code == 403
    assert (before["mode"], before["open_leads"]) == ("classic", 1)
    assert (switched.json()["mode"], switched.json()["converted_leads"], switched.json()["open_leads"]) == (
        "simple",
        1,
        0,
    )
    assert CrmSettings.objects.get().mode == "simple"


def test_finding_duplicates_by_phone_within_the_scope(api, manager, outsider):
    mine = create_lead(actor=manager, title="Mine", phones=["+7 495 109 63 75"])
    create_lead(actor=outsider, title="Theirs", phones=["+7 495 109 63 75"], on_duplicate="create")

    response = api.get("/duplicates", user=manager, params={"phone": "8 (495) 109-63-75"})
    nothing = api.get("/duplicates", user=manager)

    assert [(d["kind"], d["id"]) for d in response.json()["items"]] == [("lead", mine.pk)]
    assert nothing.status_code == 422


def test_the_product_catalogue(api, admin, manager):
    created = api.post("/products", {"name": "Pump", "price": "15000", "tax_rate": 20}, user=admin)
    refused = api.post("/products", {"name": "Valve"}, user=manager)

    assert created.status_code == 201 and created.json()["price"] == "15000.00"
    assert refused.status_code == 403
    assert [p["name"] for p in api.get("/products", user=manager).json()["items"]] == ["Pump"]
    assert api.patch(f"/products/{created.json()['id']}", {"is_active": False}, user=admin).status_code == 200
    assert api.get("/products", user=manager).json()["items"] == []
    assert Product.objects.count() == 1


def test_custom_field_definitions(api, admin, manager):
    from voronka.crm.services.custom_fields import create_field

    create_field(entity="lead", name="Budget", type="number", actor=admin)

    fields = api.get("/custom-fields", user=manager, params={"entity": "lead"}).json()["items"]
    lead = api.post("/leads", {"title": "X", "custom": {"UF_CRM_1": "1 500"}}, user=manager)

    assert [(f["code"], f["type"]) for f in fields] == [("UF_CRM_1", "number")]
    assert lead.json()["custom"] == {"UF_CRM_1": 1500}
