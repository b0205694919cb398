"""The forecast's open items: now (the items' current stage, aged from their latest history row) and at
past dates (the stays that contain a date), on the boundaries the queries decide."""

import datetime as dt
from decimal import Decimal

import pytest

from tests.analytics.conftest import at
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors import forecast as forecast_module
from voronka.crm.models import Deal

pytestmark = pytest.mark.django_db


def counted(rows) -> dict[tuple, tuple[int, Decimal]]:
    """(stage, bucket) → (items, Σ amount) of _open_now / _open_then rows."""
    return {
        (stage, int(bucket)): (int(items), Decimal(str(amount))) for stage, bucket, items, amount, *_ in rows
    }


def test_open_now_ages_items_by_their_latest_row_and_keeps_items_without_history(
    admin, history, general_pipeline
):
    new = general_pipeline.stages.get(code="NEW")
    history.deal(general_pipeline, [("NEW", "2025-05-25 10:00")], amount="1000")  # 7 days old
    history.deal(general_pipeline, [("NEW", "2025-03-01 10:00")], amount="700")  # 92 days old
    Deal.objects.create(  # no history row at all: age unknown, the first bucket
        title="bare",
        pipeline=general_pipeline,
        stage=new,
        amount=Decimal(300),
        currency="RUB",
        assigned_to=admin,
    )
    report = parse_filter({"pipeline": general_pipeline.pk}, now=at("2025-06-01 12:00"))

    assert counted(forecast_module._open_now(admin, report)) == {
        (new.pk, 0): (1, Decimal(300)),
        (new.pk, 1): (1, Decimal(1000)),
        (new.pk, 3): (1, Decimal(700)),
    }


def test_open_then_keeps_the_stays_that_contain_a_date(admin, history, general_pipeline):
    new = general_pipeline.stages.get(code="NEW")
    later, earlier = at("2025-05-01 12:00"), at("2025-04-01 12:00")
    history.deal(general_pipeline, [("NEW", "2025-05-01 11:00")], amount="1")  # open at `later`, 1 hour
    history.deal(general_pipeline, [("NEW", "2025-05-01 12:00")], amount="2")  # entered at `later`: not open
    # left exactly at `later` (into WON): open then, and won within every horizon
    history.deal(general_pipeline, [("NEW", "2025-04-21 12:00"), ("WON", "2025-05-01 12:00")], amount="4")
    history.deal(general_pipeline, [("NEW", "2025-04-21 12:00"), ("LOSE", "2025-05-01 11:59")], amount="8")
    # contains both dates: 1 day old at `earlier`, 31 days at `later`
    history.deal(general_pipeline, [("NEW", "2025-03-31 12:00"), ("LOSE", "2025-05-02 12:00")], amount="16")
    # entered and left between the dates: none
    history.deal(general_pipeline, [("NEW", "2025-04-05 12:00"), ("LOSE", "2025-04-25 12:00")], amount="32")
    report = parse_filter({"pipeline": general_pipeline.pk}, now=at("2025-06-01 12:00"))

    opened = forecast_module._open_then(admin, report, [later, earlier])

    assert counted(opened[0]) == {
        (new.pk, 0): (1, Decimal(1)),
        (new.pk, 1): (1, Decimal(4)),
        (new.pk, 2): (1, Decimal(16)),
    }
    assert counted(opened[1]) == {(new.pk, 0): (1, Decimal(16))}
    won = {
        int(bucket): (int(w0), int(w1), int(w2)) for _s, bucket, *_r, w0, _a0, w1, _a1, w2, _a2 in opened[0]
    }
    assert won == {0: (0, 0, 0), 1: (1, 1, 1), 2: (0, 0, 0)}
    assert later - earlier == dt.timedelta(days=30)
