"""Property: the forecast's training histogram, read once for many dates, equals the definitions
computed in plain Python per date, also for entries, stays and wins exactly on a day boundary."""

import datetime as dt
from collections import Counter
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from voronka.accounts.services import create_user
from voronka.analytics.filters import parse_filter
from voronka.analytics.selectors import forecast as forecast_module
from voronka.analytics.selectors.forecast import BUCKETS, DAY, MARKS, TRAIN_DAYS, _batches, _training
from voronka.crm.models import Deal, StageHistory
from voronka.crm.selectors.pipelines import default_deal_pipeline

BASE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
NOW = BASE + dt.timedelta(days=400)
# Whole days and half days, so that entries land exactly on the dates' windows, buckets and marks.
moments = st.integers(min_value=0, max_value=2 * 400).map(
    lambda halves: BASE + dt.timedelta(hours=12 * halves)
)
gaps = st.one_of(
    st.sampled_from([0, 7, 30, 37, 60, 67, 90, 97, 120, 150, 180]).map(lambda days: dt.timedelta(days=days)),
    st.integers(min_value=0, max_value=24 * 200).map(lambda hours: dt.timedelta(hours=hours)),
)
items = st.lists(
    st.tuples(moments, st.lists(st.tuples(st.integers(0, 7), gaps), min_size=1, max_size=5)),
    min_size=1,
    max_size=10,
)


def bucket(seconds: float) -> int:
    return max((index for index, lower in enumerate(BUCKETS) if seconds >= lower * DAY), default=0)


def mark(seconds: float | None) -> int | None:
    if seconds is None:
        return None
    return next((index for index, m in enumerate(MARKS) if seconds <= m * DAY), len(MARKS))


def asof_mark(seconds: float) -> int:
    return next((index for index, m in enumerate(MARKS) if seconds < m * DAY), len(MARKS))


class TrainingHistogram(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = create_user(username="boss", role="administrator", is_superuser=True)
        cls.pipeline = default_deal_pipeline()
        cls.stages = list(cls.pipeline.stages.order_by("sort", "pk"))

    def build(self, drawn) -> list[list[tuple]]:
        walks = []
        for created, walk in drawn:
            at, entries = created, []
            for stage_index, gap in walk:
                entries.append((self.stages[stage_index], at))
                at += gap
            deal = Deal.objects.create(
                title="x",
                pipeline=self.pipeline,
                stage=entries[-1][0],
                amount=Decimal(1),
                currency="RUB",
                assigned_to=self.user,
                created_at=entries[0][1],
                is_closed=entries[-1][0].semantics != "open",
            )
            previous = None
            for stage, moment in entries:
                StageHistory.objects.create(
                    deal=deal, pipeline=self.pipeline, from_stage=previous, to_stage=stage, moved_at=moment
                )
                previous = stage
            walks.append(entries)
        return walks

    def expected(self, walks, as_of: dt.datetime) -> Counter:
        """(stage, top bucket, won mark, lost mark, as_of mark) → entries, from the definitions."""
        counts: Counter = Counter()
        for entries in walks:
            for index, (stage, moved) in enumerate(entries):
                if stage.semantics != "open" or not as_of - dt.timedelta(days=TRAIN_DAYS) <= moved < as_of:
                    continue
                later = entries[index + 1 :]
                following = later[0][1] if later else None
                won = next((m for s, m in later if s.semantics == "won"), None)
                lost = next((m for s, m in later if s.semantics == "lost"), None)
                known = following is not None and following < as_of
                top = bucket(((following if known else as_of) - moved).total_seconds())
                counts[
                    (
                        stage.pk,
                        top,
                        mark((won - moved).total_seconds()) if won is not None and won < as_of else None,
                        mark((lost - moved).total_seconds()) if lost is not None and lost < as_of else None,
                        asof_mark((as_of - moved).total_seconds()),
                    )
                ] += 1
        return counts

    def check(self, walks, dates: list[dt.datetime]) -> None:
        report = parse_filter({"pipeline": self.pipeline.pk}, now=NOW)
        histograms = _training(self.user, report, dates)
        for index, as_of in enumerate(dates):
            found: Counter = Counter()
            for stage_id, top, won, lost, asof, entries in histograms[index]:
                found[(stage_id, int(top), won, lost, int(asof))] += int(entries)
            assert found == self.expected(walks, as_of), as_of

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_dates_whole_days_apart_share_one_pass_and_equal_the_definitions(self, drawn):
        walks = self.build(drawn)
        dates = [NOW, *forecast_module._backtest_dates(parse_filter({}, now=NOW))]
        assert _batches(dates) == [list(range(len(dates)))]
        self.check(walks, dates)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_dates_not_whole_days_apart_run_alone_and_equal_the_definitions(self, drawn):
        walks = self.build(drawn)
        dates = [NOW, NOW - dt.timedelta(days=30, hours=12), NOW - dt.timedelta(days=97)]
        assert _batches(dates) == [[0], [1], [2]]
        self.check(walks, dates)
