"""Robot and trigger settings (validation, rights) and what each robot kind does."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from voronka.activities.models import Notification
from voronka.automation.calendar import add_working_minutes, parse
from voronka.automation.conditions import clean_condition, compare, evaluate
from voronka.automation.models import Robot, RobotRun, Trigger
from voronka.automation.services.runs import due_at
from voronka.automation.services.settings import (
    create_robot,
    create_trigger,
    delete_robot,
    reorder_robots,
    update_robot,
)
from voronka.crm.models import Lead
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import Forbidden, Invalid
from voronka.webhooks.signing import verify

pytestmark = pytest.mark.django_db


@pytest.fixture
def new(lead_statuses):
    return lead_statuses.stages.get(code="NEW")


def test_only_administrators_change_automation(manager, new):
    with pytest.raises(Forbidden) as refusal:
        create_robot(stage=new, actor=manager, kind="add_comment", params={"text": "x"})
    assert refusal.value.code == "automation.admin_only"
    with pytest.raises(Forbidden):
        create_trigger(stage=new, actor=manager, kind="email_opened")
    assert not Robot.objects.exists() and not Trigger.objects.exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "teleport"}, "kind"),
        ({"kind": "send_email", "params": {"subject": "", "body": "x"}}, "subject"),
        ({"kind": "send_email", "params": {"template_id": 999}}, "template_id"),
        ({"kind": "change_stage", "params": {"stage_code": "NOPE"}}, "stage_code"),
        ({"kind": "change_stage", "params": {"stage_code": "NEW"}}, "stage_code"),
        ({"kind": "change_stage", "params": {"stage_code": "CONVERTED"}}, "stage_code"),
        ({"kind": "change_responsible", "params": {"user_ids": [424242]}}, "user_ids"),
        ({"kind": "set_field", "params": {"field": "is_closed", "value": "1"}}, "field"),
        ({"kind": "call_webhook", "params": {"url": "ftp://example.com/x"}}, "url"),
        ({"kind": "call_webhook", "params": {"url": "http://127.0.0.1/x"}}, "url"),
        ({"kind": "create_activity", "params": {"activity_kind": "party", "subject": "x"}}, "activity_kind"),
        ({"kind": "add_comment", "params": {"text": "x"}, "timing": "delay", "delay": -5}, "delay"),
        ({"kind": "add_comment", "params": {"text": "x"}, "timing": "soon"}, "timing"),
        (
            {"kind": "add_comment", "params": {"text": "x"}, "timing": "date_field", "date_field": "title"},
            "date_field",
        ),
        (
            {
                "kind": "add_comment",
                "params": {"text": "x"},
                "condition": {"rules": [{"field": "nope", "op": "="}]},
            },
            "rules.0.field",
        ),
        (
            {
                "kind": "add_comment",
                "params": {"text": "x"},
                "condition": {"rules": [{"field": "amount", "op": "~"}]},
            },
            "rules.0.op",
        ),
    ],
)
def test_bad_robot_settings_are_refused_naming_the_setting(admin, new, values, field):
    with pytest.raises(Invalid) as refusal:
        create_robot(stage=new, actor=admin, **values)
    assert field in refusal.value.details
    assert not Robot.objects.exists()


def test_conversion_robots_sit_on_lead_statuses_only(admin, general_pipeline):
    with pytest.raises(Invalid) as refusal:
        create_robot(stage=general_pipeline.stages.first(), actor=admin, kind="convert_lead")
    assert refusal.value.code == "robot.wrong_pipeline"


def test_robots_are_reordered_updated_and_deleted(admin, new):
    first = create_robot(stage=new, actor=admin, kind="add_comment", params={"text": "1"})
    second = create_robot(stage=new, actor=admin, kind="add_comment", params={"text": "2"})
    reorder_robots(new, order=[second.pk, first.pk], actor=admin)
    assert list(new.robots.order_by("sort").values_list("pk", flat=True)) == [second.pk, first.pk]
    update_robot(first, actor=admin, params={"text": "one"}, timing="delay", delay=2, delay_unit="hours")
    first.refresh_from_db()
    assert (first.params, first.timing, first.delay) == ({"text": "one"}, "delay", 2)
    delete_robot(second, actor=admin)
    assert list(new.robots.values_list("pk", flat=True)) == [first.pk]


def test_a_webhook_trigger_has_a_secret_token_and_a_form_trigger_needs_a_real_form(admin, new):
    trigger = create_trigger(stage=new, actor=admin, kind="webhook")
    other = create_trigger(stage=new, actor=admin, kind="webhook")
    assert len(trigger.token) >= 32 and trigger.token != other.token
    with pytest.raises(Invalid):
        create_trigger(stage=new, actor=admin, kind="form_submitted", params={"form_id": 999})
    with pytest.raises(Invalid):
        create_trigger(stage=new, actor=admin, kind="field_condition")


def test_working_hours_delays_skip_nights_and_weekends():
    hours = parse("mon-fri 09:00-18:00")

    def at(day, hour):
        return timezone.make_aware(dt.datetime.combine(dt.date(2026, 11, day), dt.time(hour)))

    friday_17 = at(27, 17)
    assert add_working_minutes(friday_17, 120, hours) == at(30, 10)
    assert add_working_minutes(at(28, 12), 0, hours) == at(30, 9)
    three_days = 3 * hours.day_minutes
    assert add_working_minutes(friday_17, three_days, hours) == timezone.make_aware(
        dt.datetime.combine(dt.date(2026, 12, 2), dt.time(17))
    )


def test_a_robot_timed_by_a_date_field_runs_relative_to_it(admin, manager, general_pipeline):
    from voronka.crm.services.deals import create_deal

    stage = general_pipeline.stages.get(code="NEW")
    robot = create_robot(
        stage=stage,
        actor=admin,
        kind="add_comment",
        params={"text": "x"},
        timing="date_field",
        date_field="close_date",
        delay=-1,
        delay_unit="days",
    )
    deal = create_deal(title="x", pipeline=general_pipeline, actor=manager, close_date="2030-01-10")
    due = timezone.localtime(due_at(robot, deal, timezone.now()))
    assert (due.date(), due.hour) == (dt.date(2030, 1, 9), 9)


@pytest.mark.parametrize(
    ("actual", "op", "value", "holds"),
    [
        (150000, ">", "100000", True),
        (150000, "<=", "100 000", False),
        ("WEB", "=", "web", True),
        ("WEB", "in", "CALL, WEB", True),
        ("", "empty", "", True),
        (None, "!empty", "", False),
        ("Pumps for the plant", "contains", "PUMP", True),
        (dt.date(2030, 1, 1), ">", "2029-12-31", True),
        (True, "=", "yes", True),
    ],
)
def test_condition_operators(actual, op, value, holds):
    assert compare(actual, op, value) is holds


def test_an_or_condition_holds_when_one_rule_holds(manager, lead_statuses):
    lead = create_lead(actor=manager, title="x", amount="10")
    condition = clean_condition(
        {
            "join": "or",
            "rules": [
                {"field": "amount", "op": ">", "value": "100"},
                {"field": "title", "op": "=", "value": "X"},
            ],
        },
        model=Lead,
    )
    assert evaluate(condition, lead).holds


def run_robot(admin, manager, stage, run_callbacks, **robot_values):
    create_robot(stage=stage, actor=admin, **robot_values)
    with run_callbacks():
        lead = create_lead(
            actor=manager, title="Robot test", emails=["anna@romashka.ru"], phones=["+79161112233"]
        )
    return Lead.objects.get(pk=lead.pk), RobotRun.objects.get(item_id=lead.pk)


def test_the_notify_robot_tells_the_responsible(admin, manager, new, immediate_tasks, run_callbacks):
    lead, run = run_robot(
        admin, manager, new, run_callbacks, kind="notify", params={"text": "Call them today"}
    )
    assert run.status == "done"
    [note] = Notification.objects.filter(user=manager)
    assert "Call them today" in note.text and note.item_id == lead.pk


def test_the_responsible_robot_picks_users_in_turn(
    admin, manager, colleague, head, new, immediate_tasks, run_callbacks
):
    create_robot(
        stage=new,
        actor=admin,
        kind="change_responsible",
        params={"user_ids": [colleague.pk, head.pk], "mode": "round_robin"},
    )
    owners = []
    for n in range(3):
        with run_callbacks():
            lead = create_lead(actor=manager, title=f"Lead {n}")
        owners.append(Lead.objects.get(pk=lead.pk).assigned_to)
    assert owners == [colleague, head, colleague]


def test_the_set_field_and_convert_robots(admin, manager, new, immediate_tasks, run_callbacks):
    create_robot(stage=new, actor=admin, kind="set_field", params={"field": "comments", "value": "VIP"})
    create_robot(stage=new, actor=admin, kind="convert_lead")
    with run_callbacks():
        lead = create_lead(actor=manager, title="Convert me", first_name="Anna")
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.comments == "VIP"
    assert lead.status.code == "CONVERTED" and lead.deals.count() == 1


def test_a_failing_robot_is_logged_failed_and_the_next_one_still_runs(
    admin, manager, new, immediate_tasks, run_callbacks
):
    create_robot(stage=new, actor=admin, kind="send_sms", params={"text": "Hi"})
    create_robot(stage=new, actor=admin, kind="add_comment", params={"text": "after"})
    with run_callbacks():
        lead = create_lead(actor=manager, title="No phone")
    sms, comment = RobotRun.objects.filter(item_id=lead.pk).order_by("sort")
    assert sms.status == "failed" and "phone" in sms.error
    assert comment.status == "done"


def test_the_webhook_robot_posts_signed_json_once(
    admin, manager, new, immediate_tasks, run_callbacks, receiver, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    robot = create_robot(
        stage=new, actor=admin, kind="call_webhook", params={"url": receiver.url, "secret": "s3cret"}
    )
    with run_callbacks():
        lead = create_lead(actor=manager, title="Hooked")
    [run] = RobotRun.objects.filter(robot=robot)
    assert run.status == "done"
    [request] = receiver.requests
    body = json.loads(request.body)
    assert body["item"] == {**body["item"], "kind": "lead", "id": lead.pk, "stage": "NEW"}
    assert verify("s3cret", request.headers["X-Voronka-Signature"], request.body)
    assert request.headers["X-Voronka-Delivery"] == f"robot-run-{run.pk}"


def test_the_responsible_robot_takes_turns_inside_a_department(
    admin, manager, head, colleague, sales, new, immediate_tasks, run_callbacks
):
    create_robot(
        stage=new,
        actor=admin,
        kind="change_responsible",
        params={"department_id": sales.pk, "mode": "round_robin"},
    )
    owners = []
    for n in range(3):
        with run_callbacks():
            lead = create_lead(actor=manager, title=f"Lead {n}")
        owners.append(Lead.objects.get(pk=lead.pk).assigned_to)
    in_sales = sorted([head, manager], key=lambda user: user.pk)
    assert owners == [in_sales[0], in_sales[1], in_sales[0]]
