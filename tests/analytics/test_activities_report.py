"""Activities per result: per won item (up to the win), per stage (when done), per manager."""

import pytest

from tests.analytics.conftest import at
from voronka.analytics.selectors.activities import activities

pytestmark = pytest.mark.django_db


def done(item, kind, when, who):
    from voronka.activities.models import Activity

    return Activity.objects.create(
        deal=item, kind=kind, subject=kind, deadline=at(when), assigned_to=who, is_done=True, done_at=at(when)
    )


def test_activities_per_won_item_per_stage_and_per_manager(admin, march, march_deals, manager):
    d1, d2 = march_deals["d1"], march_deals["d2"]
    done(d1, "call", "2025-03-02 12:00", admin)  # in "New"
    done(d1, "call", "2025-03-04 12:00", admin)  # in "Preparing documents"
    done(d1, "meeting", "2025-03-11 12:00", admin)  # in "In progress"
    done(d1, "task", "2025-03-20 12:00", admin)  # after the win: not "per won"
    done(d2, "call", "2025-03-05 12:00", manager)  # in "New", on a deal that was lost
    from voronka.activities.models import Activity

    Activity.objects.create(
        deal=d2, kind="call", subject="planned", deadline=at("2025-03-07 10:00"), assigned_to=admin
    )

    report = activities(admin, march)

    assert report.available and report.won_items == 1
    assert report.won_counts == {"call": 2, "meeting": 1, "email": 0, "sms": 0, "task": 0}
    assert report.per_won["call"] == 2.0
    stages = {row.label: row for row in report.by_stage}
    assert stages["New"].counts["call"] == 2 and stages["New"].items == 6
    assert stages["Preparing documents"].counts["call"] == 1
    assert stages["In progress"].counts["meeting"] == 1
    assert stages["Won"].counts["task"] == 1
    managers = {row.key: row for row in report.by_manager}
    assert managers[admin.pk].counts == {"call": 2, "meeting": 1, "email": 0, "sms": 0, "task": 1}
    assert managers[admin.pk].items == 1 and managers[admin.pk].per_item["call"] == 2.0
    assert managers[manager.pk].counts["call"] == 1 and managers[manager.pk].items == 0


def test_without_the_activity_model_the_report_says_so(admin, march, monkeypatch):
    monkeypatch.setattr("voronka.analytics.selectors.activities.activity_model", lambda: None)

    report = activities(admin, march)

    assert not report.available and report.by_stage == []
