import datetime as dt

import pytest
from django.core.management import call_command
from django.db.models import Count

from voronka.crm.models import Deal, Lead, StageHistory
from voronka.crm.services.demo import build_demo

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def fingerprint():
    return (
        list(Lead.objects.order_by("pk").values_list("title", "status__code", "assigned_to__username")),
        list(Deal.objects.order_by("pk").values_list("title", "stage__code", "amount")),
        StageHistory.objects.count(),
    )


def test_the_demo_is_believable():
    demo = build_demo(seed=7, leads=400, deals=160, now=NOW)

    assert len(demo.users) == 8
    assert {u.department.name for u in demo.users} == {"Sales Moscow", "Sales Regions"}
    assert Lead.objects.count() == 400 and Deal.objects.count() >= 160
    assert Deal.objects.values("pipeline").distinct().count() == 2
    # one history row per entry, the last one the item's current stage
    for lead in Lead.objects.all()[:50]:
        rows = list(lead.stage_history.order_by("moved_at", "pk"))
        assert rows[0].from_stage is None and rows[-1].to_stage_id == lead.status_id
    # converted leads have their deal, contact and link back
    converted = Lead.objects.filter(status__code="CONVERTED")
    assert converted.exists()
    assert all(Deal.objects.filter(lead=lead).exists() and lead.contact_id for lead in converted)
    # losses have a dominant reason in the wholesale pipeline
    lost = (
        Deal.objects.filter(stage__semantics="lost", pipeline__name="Оптовые продажи")
        .values("stage__code")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    assert lost[0]["stage__code"] == "PRICE"
    assert Lead.objects.filter(created_at__lt=NOW - dt.timedelta(days=300)).exists()
    assert Lead.objects.filter(first_name__regex=r"^[А-Яа-яЁё]").exists()
    assert Lead.objects.filter(first_name__regex=r"^[A-Za-z]").exists()


def test_the_same_seed_gives_the_same_company(django_db_blocker):
    build_demo(seed=3, leads=120, deals=50, now=NOW)
    first = fingerprint()
    Lead.objects.all().delete()
    Deal.objects.all().delete()
    StageHistory.objects.all().delete()
    build_demo(seed=3, leads=120, deals=50, now=NOW)
    assert fingerprint() == first


def test_demo_if_empty_loads_once(capsys):
    call_command("demo", "--leads", "50", "--deals", "20", "--if-empty")
    count = Lead.objects.count()
    call_command("demo", "--if-empty")
    assert Lead.objects.count() == count
    assert "not loaded" in capsys.readouterr().out


def test_demo_activities_give_every_open_item_a_plan_or_a_flag():
    from voronka.activities.models import Activity
    from voronka.activities.services.demo import build_demo_activities

    build_demo(seed=5, leads=200, deals=80, now=NOW)
    count = build_demo_activities(seed=5, now=NOW)

    assert count == Activity.objects.count() > 200
    done = Activity.objects.filter(is_done=True)
    assert done.exists() and all(a.done_at <= NOW for a in done[:100])
    planned = Activity.objects.filter(is_done=False)
    assert planned.filter(deadline__lt=NOW).exists() and planned.filter(deadline__gt=NOW).exists()
    assert not planned.filter(deal__is_closed=True).exists()
    open_deals = Deal.objects.filter(is_closed=False)
    without_plan = open_deals.exclude(activities__is_done=False)
    assert 0 < without_plan.count() < open_deals.count()
    # what the services write: a created entry per activity, a completed one per done activity
    first = done.first()
    assert first.item.timeline.filter(kind="activity", data__activity_id=first.pk).count() == 2
