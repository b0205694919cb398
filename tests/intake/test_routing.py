"""The routing pipeline: responsible rules (round-robin skipping absent users), failures and retries."""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from voronka.accounts.services import create_user
from voronka.crm.models import Lead
from voronka.crm.services.leads import create_lead
from voronka.intake.events import RoutingFailed
from voronka.intake.models import Channel, IntakeRequest
from voronka.intake.services.channels import create_channel, pick_responsible, update_channel
from voronka.intake.services.requests import store_request
from voronka.intake.services.routing import retry_request, route_request
from voronka.lib.errors import Forbidden, Invalid

pytestmark = pytest.mark.django_db


@pytest.fixture
def queue_users(sales):
    return [create_user(username=f"rr{i}", first_name=f"R{i}", department=sales) for i in range(3)]


@pytest.fixture
def rr_channel(admin, queue_users):
    return create_channel(kind="form", name="Round robin", actor=admin, rule="round_robin", queue=queue_users)


def _route(channel, n):
    row, _new = store_request(channel, payload={"first_name": f"Client {n}", "phones": [f"+7903000000{n}"]})
    return route_request(row.pk)


def test_round_robin_gives_new_leads_in_turn_and_skips_absent_users(rr_channel, queue_users):
    # given
    absent = queue_users[1]
    absent.absent_until = timezone.localdate() + dt.timedelta(days=3)
    absent.save()

    # when
    rows = [_route(rr_channel, n) for n in range(4)]

    # then
    owners = [Lead.objects.get(pk=row.item_id).assigned_to for row in rows]
    assert owners == [queue_users[0], queue_users[2], queue_users[0], queue_users[2]]


def test_round_robin_does_not_advance_for_requests_that_join_an_existing_lead(rr_channel, queue_users):
    first = _route(rr_channel, 1)
    again, _new = store_request(rr_channel, payload={"phones": ["+79030000001"], "message": "me again"})
    route_request(again.pk)
    third = _route(rr_channel, 3)
    assert IntakeRequest.objects.get(pk=again.pk).outcome == "added_to_lead"
    assert Lead.objects.get(pk=first.item_id).assigned_to == queue_users[0]
    assert Lead.objects.get(pk=third.item_id).assigned_to == queue_users[1]


def test_when_everyone_in_the_queue_is_absent_the_channels_fixed_user_gets_it(
    admin, rr_channel, queue_users, manager
):
    update_channel(rr_channel, actor=admin, responsible=manager)
    for user in queue_users:
        user.absent_until = timezone.localdate()
        user.save()
    assert pick_responsible(Channel.objects.get(pk=rr_channel.pk)) == manager


def test_a_known_clients_responsible_gets_the_repeat_lead_rather_than_the_queue(rr_channel, colleague):
    from voronka.crm.services.clients import create_contact

    create_contact(actor=colleague, first_name="Known", phones=["+79035550000"])
    row, _new = store_request(rr_channel, payload={"phones": ["+79035550000"]})
    routed = route_request(row.pk)
    lead = Lead.objects.get(pk=routed.item_id)
    assert routed.outcome == "repeat_lead" and lead.assigned_to == colleague


@pytest.mark.django_db(transaction=True)
def test_concurrent_round_robin_picks_never_share_a_turn(crm_rows, admin, sales):
    if connection.vendor == "sqlite":
        pytest.skip("the in-memory shared-cache test database reports table locks instead of waiting")
    # given
    users = [create_user(username=f"cc{i}", department=sales) for i in range(4)]
    channel = create_channel(kind="chat", name="RR", actor=admin, rule="round_robin", queue=users)
    picked = []

    def worker():
        for _ in range(5):
            picked.append(pick_responsible(Channel.objects.get(pk=channel.pk)).pk)
        connection.close()

    # when
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    channel.refresh_from_db()
    assert channel.rr_counter == 20
    assert sorted(picked.count(user.pk) for user in users) == [5, 5, 5, 5]


def test_a_request_that_cannot_be_routed_is_kept_as_failed_and_retried_by_an_administrator(
    admin, manager, rr_channel, published
):
    # given: no contact data at all
    row, _new = store_request(rr_channel, payload={"message": "hello?"})

    # when
    failed = route_request(row.pk)

    # then
    assert failed.status == "failed" and failed.error_code == "request.no_contact_data"
    assert failed.attempts == 1 and not Lead.objects.exists()
    assert (
        RoutingFailed(request_id=row.pk, channel_id=rr_channel.pk, attempts=1, retry_after=None) in published
    )
    with pytest.raises(Forbidden):
        retry_request(failed, actor=manager)

    # when the data is fixed (here: by hand) and an administrator retries
    IntakeRequest.objects.filter(pk=row.pk).update(payload={"message": "hello?", "phones": ["+79031234567"]})
    retried = retry_request(IntakeRequest.objects.get(pk=row.pk), actor=admin)
    assert retried.status == "routed" and retried.attempts == 2 and Lead.objects.count() == 1


def test_an_unexpected_error_keeps_the_request_and_schedules_a_retry(rr_channel, monkeypatch, published):
    row, _new = store_request(rr_channel, payload={"first_name": "A", "phones": ["+79031234567"]})

    def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")

    monkeypatch.setattr("voronka.intake.services.routing.receive_request", broken)
    failed = route_request(row.pk)
    assert failed.status == "failed" and "disk is on fire" in failed.error
    assert RoutingFailed(request_id=row.pk, channel_id=rr_channel.pk, attempts=1, retry_after=60) in published
    assert not Lead.objects.exists()


def test_a_routed_request_is_not_routed_twice(rr_channel):
    routed = _route(rr_channel, 1)
    again = route_request(routed.pk)
    assert again.status == "routed" and again.attempts == 1
    assert Lead.objects.count() == 1


def test_a_failed_routing_is_queued_for_retry_later(rr_channel, settings):
    from django_tasks_db.models import DBTaskResult

    row, _new = store_request(rr_channel, payload={"first_name": "A", "phones": ["+79031234567"]})
    from voronka.intake import events, subscribers

    subscribers.retry_routing(
        events.RoutingFailed(request_id=row.pk, channel_id=rr_channel.pk, attempts=1, retry_after=60)
    )
    task = DBTaskResult.objects.get()
    assert task.task_path.endswith("route_request") and task.args_kwargs["kwargs"] == {"request_id": row.pk}
    assert task.run_after > timezone.now()


def test_only_administrators_configure_channels(manager):
    with pytest.raises(Forbidden):
        create_channel(kind="form", name="X", actor=manager)


def test_a_fixed_rule_needs_a_user(admin):
    with pytest.raises(Invalid) as error:
        create_channel(kind="chat", name="X", actor=admin, rule="fixed")
    assert error.value.code == "channel.responsible_required"


def test_a_lead_created_by_hand_is_not_touched_by_routing(rr_channel, manager):
    lead = create_lead(actor=manager, first_name="Manual", phones=["+79037770000"])
    row, _new = store_request(rr_channel, payload={"phones": ["+79037770000"], "message": "hi"})
    routed = route_request(row.pk)
    lead.refresh_from_db()
    assert routed.item_id == lead.pk and lead.assigned_to == manager
