import datetime as dt

import pytest
from django.utils import timezone
from freezegun import freeze_time

from voronka.activities.selectors import (
    agenda,
    annotate_next_activity,
    counts_for_user,
    counts_per_user,
    no_next_step_count,
    no_next_step_per_user,
    visible_activities,
    week,
    without_next_step,
)
from voronka.activities.services.activities import complete_activity, create_activity
from voronka.crm.selectors.items import visible_deals
from voronka.crm.services.deals import create_deal

pytestmark = pytest.mark.django_db

# A Wednesday noon in Moscow.
NOW = dt.datetime(2030, 5, 8, 12, 0, tzinfo=dt.UTC) - dt.timedelta(hours=3)


def at(days: float, hour: int = 12):
    local = timezone.localtime(NOW) + dt.timedelta(days=days)
    return local.replace(hour=hour, minute=0)


@pytest.fixture
def deals(manager, general_pipeline):
    return [create_deal(title=f"Deal {n}", pipeline=general_pipeline, actor=manager) for n in range(3)]


@freeze_time(NOW)
def test_agenda_splits_open_activities_into_overdue_today_this_week_and_later(deal, manager):
    # given
    plan = {"overdue": at(-1), "today": at(0, 18), "this_week": at(2), "later": at(10)}
    made = {
        name: create_activity(deal, kind="call", subject=name, deadline=when, actor=manager)
        for name, when in plan.items()
    }
    done = create_activity(deal, kind="call", subject="done", deadline=at(-2), actor=manager)
    complete_activity(done, actor=manager)

    # when
    result = agenda(manager, now=NOW)

    # then
    assert [a.subject for a in result.overdue] == ["overdue"]
    assert [a.subject for a in result.today] == ["today"]
    assert [a.subject for a in result.this_week] == ["this_week"]
    assert [a.subject for a in result.later] == ["later"]
    assert result.counts == {"overdue": 1, "today": 1, "this_week": 1, "total": 4}
    assert made


@freeze_time(NOW)
def test_agenda_filters_by_kind_and_includes_activities_the_user_takes_part_in(deal, manager, head):
    meeting = create_activity(
        deal, kind="meeting", deadline=at(0, 15), actor=head, assigned_to=head, participants=[manager]
    )
    create_activity(deal, kind="call", deadline=at(0, 16), actor=manager)

    assert [a.pk for a in agenda(manager, kind="meeting", now=NOW).today] == [meeting.pk]
    assert len(agenda(manager, now=NOW).today) == 2


@freeze_time(NOW)
def test_counts_per_user_come_from_one_query(deal, manager, head, django_assert_num_queries):
    create_activity(deal, kind="call", deadline=at(-1), actor=manager)
    create_activity(deal, kind="call", deadline=at(0, 20), actor=manager)
    create_activity(deal, kind="task", deadline=at(3), actor=head, assigned_to=head)

    with django_assert_num_queries(1):
        counts = counts_per_user([manager.pk, head.pk], now=NOW)

    assert counts[manager.pk] == {"overdue": 1, "today": 1, "total": 2}
    assert counts[head.pk] == {"overdue": 0, "today": 0, "total": 1}
    assert counts_for_user(manager, now=NOW)["overdue"] == 1


@freeze_time(NOW)
@pytest.mark.parametrize("extra", [0, 20])
def test_a_page_of_deals_with_next_activity_and_badges_is_one_query(
    extra, deals, manager, general_pipeline, django_assert_num_queries
):
    # given
    more = [create_deal(title=f"More {n}", pipeline=general_pipeline, actor=manager) for n in range(extra)]
    first, second, idle = deals
    create_activity(first, kind="call", subject="late call", deadline=at(-1), actor=manager)
    create_activity(first, kind="meeting", subject="meeting", deadline=at(1), actor=manager)
    create_activity(second, kind="task", subject="today task", deadline=at(0, 17), actor=manager)
    for deal in more:
        create_activity(deal, kind="task", deadline=at(2), actor=manager)

    # when
    with django_assert_num_queries(1):
        page = {d.pk: d for d in annotate_next_activity(visible_deals(manager), "deal", now=NOW)}

    # then
    assert len(page) == 3 + extra
    assert (
        page[first.pk].next_activity_subject,
        page[first.pk].overdue_count,
        page[first.pk].today_count,
    ) == (
        "late call",
        1,
        0,
    )
    assert (
        page[second.pk].next_activity_kind,
        page[second.pk].overdue_count,
        page[second.pk].today_count,
    ) == (
        "task",
        0,
        1,
    )
    assert page[idle.pk].next_activity_id is None and not page[idle.pk].has_next_step
    assert page[first.pk].has_next_step


def test_items_without_a_next_step_are_flagged_and_counted_per_manager(
    deals, manager, head, general_pipeline
):
    first, second, third = deals
    create_activity(first, kind="call", deadline=timezone.now() + dt.timedelta(days=1), actor=manager)
    done = create_activity(second, kind="call", deadline=timezone.now(), actor=manager)
    complete_activity(done, actor=manager)
    heads_deal = create_deal(title="Head's", pipeline=general_pipeline, actor=head)

    idle = set(without_next_step(visible_deals(head), "deal").values_list("pk", flat=True))

    assert idle == {second.pk, third.pk, heads_deal.pk}
    assert no_next_step_count(manager, "deal") == 3  # the head is in Sales too
    assert no_next_step_per_user(head, "deal") == {manager.pk: 2, head.pk: 1}


def test_a_closed_deal_needs_no_next_step(deal, manager, general_pipeline):
    from voronka.crm.services.stages import move

    assert no_next_step_count(manager, "deal") == 1
    move(deal, to=general_pipeline.stages.get(code="WON"), actor=manager)
    assert no_next_step_count(manager, "deal") == 0


def test_visible_activities_follow_the_activity_read_scope(deal, manager, colleague, outsider, intern, head):
    mine = create_activity(deal, kind="call", deadline=timezone.now(), actor=manager)
    theirs = create_activity(deal, kind="call", deadline=timezone.now(), actor=head, assigned_to=outsider)
    shared = create_activity(
        deal, kind="meeting", deadline=timezone.now(), actor=head, assigned_to=head, participants=[intern]
    )

    assert set(visible_activities(manager)) == {mine, shared}  # department scope: Sales, the head included
    assert set(visible_activities(intern)) == {shared}  # own scope, plus what they take part in
    assert set(visible_activities(head)) == {mine, theirs, shared}
    assert set(visible_activities(outsider)) == {theirs}
    assert colleague


@freeze_time(NOW)
def test_week_groups_the_users_activities_by_local_day(deal, manager):
    monday = timezone.localtime(NOW).date() - dt.timedelta(days=2)
    create_activity(deal, kind="call", subject="Mon late", deadline=at(-2, 23), actor=manager)
    create_activity(deal, kind="call", subject="Sun", deadline=at(4, 9), actor=manager)
    create_activity(deal, kind="call", subject="Next Mon", deadline=at(5, 9), actor=manager)

    days = week(manager, monday=monday)

    assert list(days) == [monday + dt.timedelta(days=n) for n in range(7)]
    assert [a.subject for a in days[monday]] == ["Mon late"]
    assert [a.subject for a in days[monday + dt.timedelta(days=6)]] == ["Sun"]
