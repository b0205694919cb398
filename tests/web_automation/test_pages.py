"""The automation pages: the stages side by side, the htmx editors, an item's log and simulation."""

import pytest

from voronka.automation.models import Robot, RobotRun, Trigger
from voronka.automation.services.settings import create_robot, create_trigger
from voronka.crm.services.leads import create_lead

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def test_the_board_shows_every_stage_with_its_robots_and_triggers(admin_client, admin, seminar_statuses):
    create_robot(
        stage=seminar_statuses["INFO_SENT"],
        actor=admin,
        kind="add_comment",
        params={"text": "x"},
        name="Seminar info",
        timing="delay",
        delay=3,
        delay_unit="days",
    )
    create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened", name="Opened the info")
    response = admin_client.get("/automation/", follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    for text in ("Information sent", "Read", "Not read", "Seminar info", "after 3 days", "Opened the info"):
        assert text in page


def test_managers_may_not_open_automation_settings(client, manager, seminar_statuses):
    client.force_login(manager)
    stage = seminar_statuses["NEW"]
    assert client.get(f"/automation/pipelines/{stage.pipeline_id}/").status_code == 403
    assert (
        client.post(f"/automation/stages/{stage.pk}/robots/new/", {"kind": "add_comment"}).status_code == 403
    )
    assert not Robot.objects.exists()


def test_a_robot_is_added_through_the_editor_and_the_board_comes_back(admin_client, seminar_statuses):
    stage = seminar_statuses["INFO_SENT"]
    editor = admin_client.get(f"/automation/stages/{stage.pk}/robots/new/?kind=change_stage", **HTMX)
    assert editor.status_code == 200 and 'name="p_stage_code"' in editor.content.decode()

    response = admin_client.post(
        f"/automation/stages/{stage.pk}/robots/new/",
        {
            "kind": "change_stage",
            "name": "Not read in 3 days",
            "timing": "delay",
            "delay": "3",
            "delay_unit": "days",
            "p_stage_code": "NOT_READ",
            "is_active": "on",
            "join": "and",
            "condition": "amount >= 0",
        },
        **HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Retarget"] == "#automation-board"
    robot = Robot.objects.get()
    assert (robot.kind, robot.params, robot.delay, robot.delay_unit) == (
        "change_stage",
        {"stage_code": "NOT_READ"},
        3,
        "days",
    )
    assert robot.condition == {"join": "and", "rules": [{"field": "amount", "op": ">=", "value": "0"}]}
    assert "Not read in 3 days" in response.content.decode()


def test_a_bad_robot_comes_back_with_the_error_next_to_its_setting(admin_client, seminar_statuses):
    stage = seminar_statuses["INFO_SENT"]
    response = admin_client.post(
        f"/automation/stages/{stage.pk}/robots/new/",
        {
            "kind": "add_comment",
            "timing": "at_once",
            "delay_unit": "minutes",
            "p_text": "x",
            "join": "and",
            "condition": "nonsense > 1",
        },
        **HTMX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#automation-editor"
    assert "Unknown field" in response.content.decode()
    assert not Robot.objects.exists()


def test_robots_are_reordered_and_deleted_and_triggers_edited(admin_client, admin, seminar_statuses):
    stage = seminar_statuses["NEW"]
    first = create_robot(stage=stage, actor=admin, kind="add_comment", params={"text": "1"})
    second = create_robot(stage=stage, actor=admin, kind="add_comment", params={"text": "2"})
    trigger = create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened")

    admin_client.post(f"/automation/robots/{second.pk}/move/up/", **HTMX)
    assert list(stage.robots.order_by("sort").values_list("pk", flat=True)) == [second.pk, first.pk]
    admin_client.post(f"/automation/robots/{first.pk}/delete/", **HTMX)
    assert list(stage.robots.values_list("pk", flat=True)) == [second.pk]
    admin_client.post(
        f"/automation/triggers/{trigger.pk}/",
        {"kind": "email_opened", "name": "Read it", "allow_backward": "on", "is_active": "on", "join": "and"},
        **HTMX,
    )
    trigger.refresh_from_db()
    assert (trigger.name, trigger.allow_backward) == ("Read it", True)
    admin_client.post(f"/automation/triggers/{trigger.pk}/delete/", **HTMX)
    assert not Trigger.objects.exists()


def test_the_item_card_shows_the_run_log_and_simulates(
    admin_client, admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    create_robot(
        stage=seminar_statuses["NEW"], actor=admin, kind="add_comment", params={"text": "hi"}, name="Greeter"
    )
    create_robot(
        stage=seminar_statuses["NEW"],
        actor=admin,
        kind="add_comment",
        params={"text": "big"},
        name="Big only",
        condition={"rules": [{"field": "amount", "op": ">", "value": "100000"}]},
    )
    with run_callbacks():
        lead = create_lead(actor=manager, title="Card", amount="10")
    assert RobotRun.objects.filter(status="done").count() == 1

    card = admin_client.get(f"/leads/{lead.pk}/")
    assert f"/automation/items/lead/{lead.pk}/" in card.content.decode()
    log = admin_client.get(f"/automation/items/lead/{lead.pk}/", **HTMX).content.decode()
    assert "Greeter" in log and "Big only" in log and "Skipped" in log
    simulation = admin_client.get(f"/automation/items/lead/{lead.pk}/simulate/", **HTMX).content.decode()
    assert "would be skipped" in simulation and "amount &gt; 100000" in simulation


def test_an_item_outside_the_users_scope_has_no_automation_log(client, outsider, manager, lead_statuses):
    lead = create_lead(actor=manager, title="Hidden")
    client.force_login(outsider)
    assert client.get(f"/automation/items/lead/{lead.pk}/").status_code == 404
