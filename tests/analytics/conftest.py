"""Hand-made histories: deals and leads with exact stage entries, written straight into the tables."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from voronka.analytics.filters import parse_filter
from voronka.crm.models import Deal, Lead, StageHistory

MSK = ZoneInfo(settings.TIME_ZONE)


def count_queries(call) -> int:
    """Return how many queries `call()` runs."""
    with CaptureQueriesContext(connection) as context:
        call()
    return len(context)


def at(text: str) -> dt.datetime:
    """Return a company-time moment from "2025-03-02 10:00"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=MSK)


class History:
    """Builds items with given stage entries: path = [("CODE", "2025-03-02 10:00"), ...]."""

    def __init__(self, owner):
        self.owner = owner
        self.count = 0

    def deal(self, pipeline, path, *, assigned_to=None, amount="1000", source=None, lead=None, moves=None):
        stages = {s.code: s for s in pipeline.stages.all()}
        last = stages[path[-1][0]]
        self.count += 1
        created = at(path[0][1])
        deal = Deal.objects.create(
            title=f"Deal {self.count}",
            pipeline=pipeline,
            stage=last,
            amount=Decimal(amount),
            currency="RUB",
            assigned_to=assigned_to or self.owner,
            source=source,
            lead=lead,
            created_at=created,
            updated_at=created,
            is_closed=last.semantics != "open",
            closed_at=at(path[-1][1]) if last.semantics != "open" else None,
            stage_changed_at=at(path[-1][1]),
        )
        self._entries(deal, "deal", pipeline, stages, path, moves)
        return deal

    def lead(self, pipeline, path, *, assigned_to=None, amount="1000", source=None):
        stages = {s.code: s for s in pipeline.stages.all()}
        last = stages[path[-1][0]]
        self.count += 1
        created = at(path[0][1])
        lead = Lead.objects.create(
            title=f"Lead {self.count}",
            status=last,
            amount=Decimal(amount),
            currency="RUB",
            assigned_to=assigned_to or self.owner,
            source=source,
            created_at=created,
            updated_at=created,
            is_closed=last.semantics != "open",
            closed_at=at(path[-1][1]) if last.semantics != "open" else None,
            converted_at=at(path[-1][1]) if last.semantics == "won" else None,
        )
        self._entries(lead, "lead", pipeline, stages, path, None)
        return lead

    def _entries(self, item, kind, pipeline, stages, path, movers):
        previous = None
        for index, (code, when) in enumerate(path):
            stage = stages[code]
            StageHistory.objects.create(
                **{kind: item},
                pipeline=pipeline,
                from_stage=previous,
                to_stage=stage,
                moved_at=at(when),
                moved_by=item.assigned_to,
                assigned_to=(movers or {}).get(index, item.assigned_to),
                is_backward=previous is not None and (stage.sort, stage.pk) < (previous.sort, previous.pk),
                reason="",
            )
            previous = stage


@pytest.fixture
def history(admin):
    return History(admin)


@pytest.fixture
def march(general_pipeline):
    """March 2025 in the General pipeline, as seen on 1 June 2025."""
    return parse_filter(
        {"pipeline": general_pipeline.pk, "date_from": "2025-03-01", "date_to": "2025-03-31"},
        now=at("2025-06-01 12:00"),
    )


@pytest.fixture
def march_deals(history, general_pipeline, outsider):
    g = general_pipeline
    return {
        "d1": history.deal(
            g,
            [
                ("NEW", "2025-03-02 10:00"),
                ("PREPARATION", "2025-03-03 10:00"),
                ("PREPAYMENT_INVOICE", "2025-03-05 10:00"),
                ("EXECUTING", "2025-03-10 10:00"),
                ("FINAL_INVOICE", "2025-03-12 10:00"),
                ("WON", "2025-03-15 10:00"),
            ],
            amount="100",
        ),
        "d2": history.deal(
            g,
            [("NEW", "2025-03-05 10:00"), ("PREPARATION", "2025-03-06 10:00"), ("LOSE", "2025-03-08 10:00")],
            amount="200",
        ),
        # skips "Preparing documents": it passed it
        "d3": history.deal(
            g, [("NEW", "2025-03-10 10:00"), ("PREPAYMENT_INVOICE", "2025-03-11 10:00")], amount="300"
        ),
        "d4": history.deal(g, [("NEW", "2025-03-20 10:00"), ("APOLOGY", "2025-03-21 10:00")], amount="400"),
        # created in the last half hour of March (Moscow time), moved on in April
        "d5": history.deal(
            g, [("NEW", "2025-03-31 23:30"), ("PREPARATION", "2025-04-02 10:00")], amount="500"
        ),
        # created in February, active in March
        "d6": history.deal(
            g,
            [
                ("NEW", "2025-02-28 23:30"),
                ("PREPARATION", "2025-03-02 10:00"),
                ("EXECUTING", "2025-03-04 10:00"),
            ],
            amount="600",
        ),
        # 1 April 00:00 Moscow time is 31 March 21:00 UTC: outside the period
        "d7": history.deal(g, [("NEW", "2025-04-01 00:00")], amount="700"),
        # created straight into a lost stage
        "d8": history.deal(g, [("LOSE", "2025-03-15 10:00")], amount="800"),
        "d9": history.deal(g, [("NEW", "2025-03-03 10:00")], amount="900", assigned_to=outsider),
    }
