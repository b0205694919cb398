"""/api/v1/robots, /api/v1/triggers and /api/v1/automation: CRUD for administrators, export and import."""

import pytest

from tests.automation import conftest as automation
from voronka.automation.models import Robot, Trigger
from voronka.automation.services.settings import create_robot, create_trigger
from voronka.crm.services.leads import create_lead
from voronka.messaging.models import Template

pytestmark = pytest.mark.django_db

immediate_tasks = automation.immediate_tasks
run_callbacks = automation.run_callbacks
seminar_statuses = automation.seminar_statuses


def test_administrators_manage_robots_and_everybody_reads_them(api, admin, manager, seminar_statuses):
    stage = seminar_statuses["INFO_SENT"]
    body = {
        "stage_id": stage.pk,
        "kind": "change_stage",
        "params": {"stage_code": "NOT_READ"},
        "timing": "delay",
        "delay": 3,
        "delay_unit": "days",
        "condition": {"join": "and", "rules": [{"field": "amount", "op": ">", "value": "100000"}]},
    }

    refused = api.post("/robots", body, user=manager)
    created = api.post("/robots", body, user=admin)

    assert refused.status_code == 403 and refused.json()["error"]["code"] == "automation.admin_only"
    assert created.status_code == 201
    robot = created.json()
    assert (robot["stage_code"], robot["delay"], robot["condition"]["rules"][0]["field"]) == (
        "INFO_SENT",
        3,
        "amount",
    )
    listed = api.get("/robots", user=manager, params={"pipeline_id": stage.pipeline_id}).json()["items"]
    assert [r["id"] for r in listed] == [robot["id"]]
    patched = api.patch(f"/robots/{robot['id']}", {"delay": 2, "name": "Two days"}, user=admin).json()
    assert (patched["delay"], patched["name"], patched["params"]) == (
        2,
        "Two days",
        {"stage_code": "NOT_READ"},
    )
    assert api.patch(f"/robots/{robot['id']}", {"delay": 9}, user=manager).status_code == 403
    assert api.delete(f"/robots/{robot['id']}", user=admin).status_code == 204
    assert not Robot.objects.exists()


def test_bad_robot_settings_answer_422_with_details(api, admin, seminar_statuses):
    response = api.post(
        "/robots",
        {"stage_id": seminar_statuses["NEW"].pk, "kind": "change_stage", "params": {"stage_code": "NOPE"}},
        user=admin,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"] == {"stage_code": "NOPE"}
    assert api.get("/robots/999999", user=admin).status_code == 404


def test_robots_are_reordered(api, admin, seminar_statuses):
    stage = seminar_statuses["NEW"]
    first = create_robot(stage=stage, actor=admin, kind="add_comment", params={"text": "1"})
    second = create_robot(stage=stage, actor=admin, kind="add_comment", params={"text": "2"})
    response = api.post("/robots/reorder", {"stage_id": stage.pk, "order": [second.pk, first.pk]}, user=admin)
    assert [r["id"] for r in response.json()["items"]] == [second.pk, first.pk]


def test_triggers_are_managed_and_a_webhook_trigger_shows_its_url_to_administrators(
    api, admin, manager, seminar_statuses
):
    created = api.post(
        "/triggers",
        {"stage_id": seminar_statuses["READ"].pk, "kind": "webhook", "allow_backward": True},
        user=admin,
    ).json()
    assert created["webhook_url"].endswith(f"/automation/trigger/{Trigger.objects.get().token}/")
    assert api.get(f"/triggers/{created['id']}", user=manager).json()["webhook_url"] is None
    assert (
        api.post(
            "/triggers", {"stage_id": seminar_statuses["READ"].pk, "kind": "webhook"}, user=manager
        ).status_code
        == 403
    )
    assert (
        api.patch(f"/triggers/{created['id']}", {"is_active": False}, user=admin).json()["is_active"] is False
    )
    assert api.delete(f"/triggers/{created['id']}", user=admin).status_code == 204


def test_export_then_import_copies_a_funnels_automation_by_stage_codes(api, admin, manager, seminar_statuses):
    # given
    template = Template.objects.create(name="Seminar", subject="Seminar", body="<p>Come</p>")
    create_robot(
        stage=seminar_statuses["INFO_SENT"],
        actor=admin,
        kind="send_email",
        params={"template_id": template.pk},
    )
    create_robot(
        stage=seminar_statuses["NOT_READ"],
        actor=admin,
        kind="create_activity",
        params={"activity_kind": "call", "subject": "Call them", "responsible": manager.pk},
    )
    create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened")
    pipeline_id = seminar_statuses["NEW"].pipeline_id

    # when
    document = api.get(f"/automation/pipelines/{pipeline_id}/export", user=admin).json()
    Robot.objects.all().delete()
    Trigger.objects.all().delete()
    imported = api.post(f"/automation/pipelines/{pipeline_id}/import", {"document": document}, user=admin)

    # then
    assert document["stages"]["INFO_SENT"]["robots"][0]["params"] == {"template": "Seminar"}
    assert document["stages"]["NOT_READ"]["robots"][0]["params"]["responsible"] == "ivanov"
    assert imported.json() == {"robots": 2, "triggers": 1}
    assert Robot.objects.get(kind="send_email").params == {"template_id": template.pk}
    assert Robot.objects.get(kind="create_activity").params["responsible"] == manager.pk
    assert api.get(f"/automation/pipelines/{pipeline_id}/export", user=manager).status_code == 403


def test_an_import_with_an_unknown_stage_changes_nothing(api, admin, seminar_statuses):
    create_robot(stage=seminar_statuses["NEW"], actor=admin, kind="add_comment", params={"text": "keep me"})
    document = {"format": "voronka.automation/1", "stages": {"NOWHERE": {"robots": [], "triggers": []}}}
    response = api.post(
        f"/automation/pipelines/{seminar_statuses['NEW'].pipeline_id}/import",
        {"document": document},
        user=admin,
    )
    assert response.status_code == 422 and response.json()["error"]["details"] == {"stages": ["NOWHERE"]}
    assert Robot.objects.get().params == {"text": "keep me"}


def test_an_items_runs_and_simulation_over_the_api(
    api, admin, manager, outsider, seminar_statuses, immediate_tasks, run_callbacks
):
    create_robot(stage=seminar_statuses["NEW"], actor=admin, kind="add_comment", params={"text": "hi"})
    with run_callbacks():
        lead = create_lead(actor=manager, title="API")
    runs = api.get("/automation/runs", user=manager, params={"kind": "lead", "item_id": lead.pk}).json()[
        "items"
    ]
    assert [r["status"] for r in runs] == ["done"]
    simulation = api.get(
        "/automation/simulate", user=manager, params={"kind": "lead", "item_id": lead.pk}
    ).json()
    assert simulation["stage_code"] == "NEW" and simulation["robots"][0]["would_run"] is True
    assert (
        api.get("/automation/runs", user=outsider, params={"kind": "lead", "item_id": lead.pk}).status_code
        == 404
    )
