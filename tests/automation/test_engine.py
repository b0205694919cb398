"""The engine in-process: robots run once per stage entry, delays wait for the clock, triggers move items."""

import datetime as dt

import pytest
from django.core import mail

from voronka.activities.models import Activity
from voronka.automation.models import RobotRun, TriggerFiring
from voronka.automation.services import runs
from voronka.automation.services.settings import create_robot, create_trigger
from voronka.automation.services.simulate import simulate
from voronka.automation.services.triggers import apply_event
from voronka.crm.models import Lead, Source, StageHistory
from voronka.crm.services.leads import create_lead, update_lead
from voronka.crm.services.stages import move
from voronka.messaging.models import Message

pytestmark = pytest.mark.django_db


def new_lead(manager, run_callbacks, **values):
    values.setdefault("title", "Seminar request")
    values.setdefault("emails", ["anna@romashka.ru"])
    values.setdefault("on_duplicate", "create")
    with run_callbacks():
        lead = create_lead(actor=manager, **values)
    return Lead.objects.get(pk=lead.pk)


def test_every_new_lead_gets_the_certificate_email_and_a_task_for_its_responsible(
    admin, manager, lead_statuses, immediate_tasks, run_callbacks
):
    # given
    new = lead_statuses.stages.get(code="NEW")
    create_robot(
        stage=new,
        actor=admin,
        kind="send_email",
        params={
            "subject": "Your certificate",
            "body": "Hello {{ lead.first_name }}, please send us your certificate.",
        },
    )
    create_robot(
        stage=new,
        actor=admin,
        kind="create_activity",
        params={"activity_kind": "task", "subject": "Wait for the certificate", "deadline_minutes": 2880},
    )

    # when
    lead = new_lead(manager, run_callbacks, first_name="Anna")

    # then
    assert sorted(RobotRun.objects.values_list("status", flat=True)) == ["done", "done"]
    [message] = Message.objects.filter(lead=lead)
    assert message.subject == "Your certificate" and message.to == "anna@romashka.ru"
    assert [m.subject for m in mail.outbox] == ["Your certificate"]
    [task] = Activity.objects.filter(lead=lead)
    assert (task.kind, task.subject, task.assigned_to) == ("task", "Wait for the certificate", manager)
    assert lead.timeline.filter(kind="robot").count() == 2


def test_a_run_executes_once_however_often_its_task_is_delivered(
    admin, manager, lead_statuses, immediate_tasks, run_callbacks
):
    new = lead_statuses.stages.get(code="NEW")
    create_robot(stage=new, actor=admin, kind="add_comment", params={"text": "Welcome"})
    lead = new_lead(manager, run_callbacks)
    [run] = RobotRun.objects.all()

    # when: the same entry's task arrives twice more (a retry, a second worker)
    assert runs.run_due(kind="lead", item_id=lead.pk, entry_id=run.entry_id) == []
    assert runs.execute(run.pk) is None

    # then
    assert lead.timeline.filter(kind="comment").count() == 1


def test_a_condition_that_does_not_hold_skips_the_robot_and_says_why(
    admin, manager, lead_statuses, immediate_tasks, run_callbacks
):
    new = lead_statuses.stages.get(code="NEW")
    create_robot(
        stage=new,
        actor=admin,
        kind="add_comment",
        params={"text": "Big one from the site"},
        condition={
            "join": "and",
            "rules": [
                {"field": "amount", "op": ">", "value": "100000"},
                {"field": "source", "op": "=", "value": "WEB"},
            ],
        },
    )
    web = Source.objects.get(code="WEB")

    small = new_lead(manager, run_callbacks, amount="5000", source=web.pk)
    big = new_lead(manager, run_callbacks, amount="250000", source=web.pk)

    assert RobotRun.objects.get(item_id=small.pk).status == "skipped"
    assert "amount > 100000 (is 5000.00)" in RobotRun.objects.get(item_id=small.pk).result
    assert RobotRun.objects.get(item_id=big.pk).status == "done"
    assert small.timeline.filter(kind="comment").count() == 0
    assert big.timeline.filter(kind="comment").count() == 1


def test_a_delayed_robot_waits_for_the_clock(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks, jump
):
    # given: no answer in 3 days moves the lead to "Not read"
    create_robot(
        stage=seminar_statuses["NEW"],
        actor=admin,
        kind="change_stage",
        params={"stage_code": "NOT_READ"},
        timing="delay",
        delay=3,
        delay_unit="days",
    )
    lead = new_lead(manager, run_callbacks)
    [run] = RobotRun.objects.all()
    assert run.status == "pending"

    # when two days pass nothing happens; after three it runs
    jump(dt.timedelta(days=2))
    with run_callbacks():
        assert runs.release_due_runs() == 0
    jump(dt.timedelta(days=1, minutes=1))
    with run_callbacks():
        assert runs.release_due_runs() == 1

    # then
    lead.refresh_from_db()
    assert lead.status.code == "NOT_READ"
    run.refresh_from_db()
    assert run.status == "done"


def test_leaving_the_stage_cancels_its_waiting_robots_and_entering_again_runs_them_again(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks, jump
):
    create_robot(
        stage=seminar_statuses["INFO_SENT"],
        actor=admin,
        kind="add_comment",
        params={"text": "Sent"},
    )
    create_robot(
        stage=seminar_statuses["INFO_SENT"],
        actor=admin,
        kind="change_stage",
        params={"stage_code": "NOT_READ"},
        timing="delay",
        delay=3,
        delay_unit="days",
    )
    lead = new_lead(manager, run_callbacks)
    with run_callbacks():
        move(lead, to=seminar_statuses["INFO_SENT"], actor=manager)
    with run_callbacks():
        move(lead, to=seminar_statuses["READ"], actor=manager)
    with run_callbacks():
        move(lead, to=seminar_statuses["INFO_SENT"], actor=admin, reason="sent again")

    jump(dt.timedelta(days=3, minutes=1))
    with run_callbacks():
        runs.release_due_runs()

    statuses = list(RobotRun.objects.order_by("pk").values_list("robot__kind", "status"))
    assert statuses == [
        ("add_comment", "done"),
        ("change_stage", "cancelled"),
        ("add_comment", "done"),
        ("change_stage", "done"),
    ]
    assert lead.timeline.filter(kind="comment").count() == 2
    lead.refresh_from_db()
    assert lead.status.code == "NOT_READ"


def test_an_opened_email_moves_the_lead_forward_but_not_back(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened")
    lead = new_lead(manager, run_callbacks)

    with run_callbacks():
        assert apply_event("email_opened", kind="lead", item_id=lead.pk, data={}) == 1
    lead.refresh_from_db()
    assert lead.status.code == "READ"

    with run_callbacks():
        move(lead, to=seminar_statuses["NOT_READ"], actor=manager)
        assert apply_event("email_opened", kind="lead", item_id=lead.pk, data={}) == 0
    lead.refresh_from_db()
    assert lead.status.code == "NOT_READ"
    assert TriggerFiring.objects.filter(is_moved=True).count() == 1


def test_a_trigger_that_allows_backward_moves_back(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened", allow_backward=True)
    lead = new_lead(manager, run_callbacks)
    with run_callbacks():
        move(lead, to=seminar_statuses["NOT_READ"], actor=manager)
        apply_event("email_opened", kind="lead", item_id=lead.pk, data={})
    lead.refresh_from_db()
    assert lead.status.code == "READ"
    assert StageHistory.objects.filter(lead=lead, is_backward=True).count() == 1


def test_an_event_on_a_contact_reaches_its_open_deal(
    admin, manager, general_pipeline, immediate_tasks, run_callbacks
):
    from voronka.crm.services.clients import create_contact
    from voronka.crm.services.deals import create_deal

    create_trigger(stage=general_pipeline.stages.get(code="EXECUTING"), actor=admin, kind="call_received")
    with run_callbacks():
        contact = create_contact(actor=manager, first_name="Anna", phones=["+7 916 111 22 33"])
        deal = create_deal(title="Pumps", pipeline=general_pipeline, actor=manager, contact=contact)

    with run_callbacks():
        assert (
            apply_event("call_received", kind="contact", item_id=contact.pk, data={"status": "answered"}) == 1
        )
    deal.refresh_from_db()
    assert deal.stage.code == "EXECUTING"


def test_a_field_condition_trigger_fires_when_the_field_changes_and_holds(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    create_trigger(
        stage=seminar_statuses["READ"],
        actor=admin,
        kind="field_condition",
        condition={"rules": [{"field": "amount", "op": ">=", "value": "1000"}]},
    )
    lead = new_lead(manager, run_callbacks)
    with run_callbacks():
        update_lead(lead, actor=manager, amount="500")
    assert Lead.objects.get(pk=lead.pk).status.code == "NEW"
    with run_callbacks():
        update_lead(lead, actor=manager, amount="1500")
    assert Lead.objects.get(pk=lead.pk).status.code == "READ"


def test_simulate_explains_robots_and_triggers(
    admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    create_robot(
        stage=seminar_statuses["NEW"],
        actor=admin,
        kind="add_comment",
        params={"text": "x"},
        condition={"rules": [{"field": "amount", "op": ">", "value": "100000"}]},
    )
    create_trigger(stage=seminar_statuses["READ"], actor=admin, kind="email_opened")
    lead = new_lead(manager, run_callbacks, amount="10")

    simulation = simulate(lead)

    [robot] = simulation.robots
    assert not robot.would_run and "amount > 100000" in robot.outcome.explain()
    [trigger] = simulation.triggers
    assert trigger.direction == "forward" and trigger.is_eligible


def test_the_inbound_webhook_url_moves_the_target_with_the_right_token_only(
    client, admin, manager, seminar_statuses, immediate_tasks, run_callbacks
):
    from voronka.automation.services.settings import create_trigger as add

    trigger = add(stage=seminar_statuses["READ"], actor=admin, kind="webhook")
    lead = new_lead(manager, run_callbacks)

    wrong = client.post(f"/automation/trigger/{trigger.token}x/?target=lead_{lead.pk}")
    bad_target = client.post(f"/automation/trigger/{trigger.token}/?target=nobody")
    with run_callbacks():
        right = client.post(
            f"/automation/trigger/{trigger.token}/",
            data={"target": f"LEAD_{lead.pk}"},
            content_type="application/json",
        )

    assert (wrong.status_code, bad_target.status_code, right.status_code) == (404, 422, 200)
    assert right.json() == {"ok": True, "moved": True}
    assert Lead.objects.get(pk=lead.pk).status.code == "READ"


def test_a_bulk_batch_runs_the_robots_of_its_items_stages_only(
    admin, manager, lead_statuses, immediate_tasks, run_callbacks
):
    # given: a robot on "In progress" only
    from voronka.crm.services.bulk import ItemInput, create_bulk

    progress = lead_statuses.stages.get(code="IN_PROCESS")
    create_robot(stage=progress, actor=admin, kind="add_comment", params={"text": "Welcome"})

    # when: one batch creates three leads, one of them in "In progress"
    with run_callbacks():
        results = create_bulk(
            "lead",
            [
                ItemInput(ref=1, values={"title": "A"}),
                ItemInput(ref=2, values={"title": "B"}, stage=progress),
                ItemInput(ref=3, values={"title": "C"}),
            ],
            actor=manager,
        )

    # then: the robot ran once, for that lead
    [run] = RobotRun.objects.all()
    assert run.item_id == results[1].item_id and run.status == "done"
    assert Lead.objects.get(pk=results[1].item_id).timeline.filter(kind="comment").count() == 1
