"""Property: on random histories the SQL reports equal a plain-Python computation of the same definitions."""

import dataclasses
import datetime as dt
import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from voronka.accounts.services import create_user
from voronka.analytics.filters import parse_filter, scoped_items
from voronka.analytics.selectors import forecast as forecast_module
from voronka.analytics.selectors.forecast import backtests, forecast, probabilities
from voronka.analytics.selectors.funnel import funnel
from voronka.analytics.selectors.time_in_stage import time_in_stage
from voronka.analytics.sql import reads_every_item
from voronka.crm.models import Deal, StageHistory
from voronka.crm.selectors.pipelines import default_deal_pipeline

BASE = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
items = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=60 * 24 * 50),  # creation, minutes after BASE
        st.lists(st.tuples(st.integers(0, 7), st.integers(1, 60 * 24 * 6)), min_size=1, max_size=6),
        st.integers(min_value=1, max_value=900),  # amount
    ),
    min_size=1,
    max_size=14,
)


def reference_percentile(values, percent):
    ordered = sorted(values)
    h = (len(ordered) - 1) * percent / 100
    low, high = math.floor(h), math.ceil(h)
    return ordered[low] + (h - low) * (ordered[high] - ordered[low])


def asdict_list(values):
    return [dataclasses.asdict(value) for value in values]


def assert_close(left, right):
    """Equal structures, floats equal up to rounding."""
    if isinstance(left, dict):
        assert left.keys() == right.keys()
        for key in left:
            assert_close(left[key], right[key])
    elif isinstance(left, list | tuple):
        assert len(left) == len(right)
        for one, other in zip(left, right, strict=True):
            assert_close(one, other)
    elif isinstance(left, float) and isinstance(right, float):
        assert math.isclose(left, right, rel_tol=1e-9, abs_tol=1e-9)
    else:
        assert left == right


class RandomHistories(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.user = create_user(username="boss", role="administrator", is_superuser=True)
        cls.pipeline = default_deal_pipeline()
        stages = list(cls.pipeline.stages.order_by("sort", "pk"))
        cls.stages = stages
        path = [s for s in stages if s.semantics == "open"] + [s for s in stages if s.semantics == "won"]
        cls.rank = {s.pk: i for i, s in enumerate(path, start=1)}
        cls.path = path

    def build(self, drawn):
        made = []
        for created_minutes, walk, amount in drawn:
            at = BASE + dt.timedelta(minutes=created_minutes)
            entries = []
            for index, (stage_index, gap) in enumerate(walk):
                entries.append((self.stages[stage_index], at))
                if index + 1 < len(walk):
                    at += dt.timedelta(minutes=gap)
            last = entries[-1][0]
            deal = Deal.objects.create(
                title="x",
                pipeline=self.pipeline,
                stage=last,
                amount=Decimal(amount),
                currency="RUB",
                assigned_to=self.user,
                created_at=entries[0][1],
                is_closed=last.semantics != "open",
            )
            previous = None
            for stage, moment in entries:
                StageHistory.objects.create(
                    deal=deal, pipeline=self.pipeline, from_stage=previous, to_stage=stage, moved_at=moment
                )
                previous = stage
            made.append((deal, entries, Decimal(amount)))
        return made

    def report_filter(self):
        return parse_filter(
            {"pipeline": self.pipeline.pk, "date_from": "2025-01-11", "date_to": "2025-02-09"},
            now=BASE + dt.timedelta(days=120),
        )

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_funnel_equals_a_python_count(self, drawn):
        made = self.build(drawn)
        report_filter = self.report_filter()
        start, end = report_filter.start, report_filter.end

        cohort = [(entries, amount) for _d, entries, amount in made if start <= entries[0][1] < end]
        reached = [max(self.rank.get(s.pk, 0) for s, _at in entries) for entries, _a in cohort]
        ended_lost = [entries[-1][0].semantics == "lost" for entries, _a in cohort]
        result = funnel(self.user, report_filter)

        assert result.items == len(cohort)
        for rank, row in enumerate(result.stages, start=1):
            assert row.reached == sum(1 for r in reached if r >= rank)
            assert row.amount == sum(
                (a for (_e, a), r in zip(cohort, reached, strict=True) if r >= rank), Decimal(0)
            )
            if row.semantics == "open":
                here = [lost for r, lost in zip(reached, ended_lost, strict=True) if r == rank]
                assert row.lost_here == sum(here)
                assert row.open_here == len(here) - sum(here)

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_time_in_stage_equals_a_python_computation(self, drawn):
        made = self.build(drawn)
        report_filter = self.report_filter()
        start, end = report_filter.start, report_filter.end

        dwell: dict[int, list[float]] = {}
        still: dict[int, int] = {}
        for _deal, entries, _amount in made:
            for index, (stage, moment) in enumerate(entries):
                if stage.semantics != "open" or not start <= moment < end:
                    continue
                if index + 1 < len(entries):
                    dwell.setdefault(stage.pk, []).append((entries[index + 1][1] - moment).total_seconds())
                else:
                    still[stage.pk] = still.get(stage.pk, 0) + 1
        result = time_in_stage(self.user, report_filter)

        for row in result.stages:
            values = dwell.get(row.stage_id, [])
            assert row.dwell.n == len(values)
            assert row.still_in_stage == still.get(row.stage_id, 0)
            if values:
                assert row.dwell.median == reference_percentile(values, 50) or math.isclose(
                    row.dwell.median, reference_percentile(values, 50), abs_tol=1e-3
                )
                assert math.isclose(row.dwell.p75, reference_percentile(values, 75), abs_tol=1e-3)
                assert math.isclose(row.dwell.p90, reference_percentile(values, 90), abs_tol=1e-3)
                assert math.isclose(row.dwell.mean, sum(values) / len(values), abs_tol=1e-3)

    @settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_forecast_backtest_in_one_pass_equals_date_by_date(self, drawn):
        """The backtest computes the training of all its dates and the items open at them in one pass
        each: the same as each date alone, and the items open at a date are those a plain walk finds."""
        made = self.build(drawn)
        report_filter = self.report_filter()
        together = backtests(self.user, report_filter)
        dates = sorted({dt.datetime.fromisoformat(b.as_of) for b in together}, reverse=True)
        assert len(dates) == 6

        alone = []
        for as_of in dates:
            alone += forecast_module._backtests(
                self.user,
                report_filter,
                [as_of],
                {1: forecast_module._training(self.user, report_filter, [as_of])[0]},
            )
        # The same figures (sums of floats may add up in another order).
        assert_close(asdict_list(together), asdict_list(alone))

        by_date = {}
        for result in together:
            by_date.setdefault(result.as_of, []).append(result)
        for as_of in dates:
            open_then = []
            for _deal, entries, amount in made:
                before = [(stage, moment) for stage, moment in entries if moment < as_of]
                if before and before[-1][0].semantics == "open":
                    open_then.append((entries, amount))
            for result in by_date[as_of.isoformat()]:
                assert result.open_items == len(open_then)
                end = as_of + dt.timedelta(days=result.horizon)
                won = [
                    amount
                    for entries, amount in open_then
                    if any(s.semantics == "won" and as_of <= moment < end for s, moment in entries)
                ]
                assert result.actual_count == len(won)
                assert math.isclose(result.actual_amount, float(sum(won, Decimal(0))))

        now = forecast(self.user, report_filter)
        assert_close(
            asdict_list(now.probabilities),
            asdict_list(probabilities(self.user, report_filter, report_filter.now)),
        )

    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=items)
    def test_a_user_who_reads_everything_gets_what_the_scoped_path_gives(self, drawn):
        """Without a condition on the items the reports skip the join with them: the same figures as
        through the join (every deal is the user's, so narrowing to them keeps them all)."""
        self.build(drawn)
        everything = self.report_filter()
        narrowed = dataclasses.replace(everything, responsible_id=self.user.pk)
        assert reads_every_item(scoped_items(self.user, everything))
        assert not reads_every_item(scoped_items(self.user, narrowed))
        for report in (funnel, time_in_stage, forecast):
            left, right = report(self.user, everything).as_dict(), report(self.user, narrowed).as_dict()
            left.pop("filter")
            right.pop("filter")
            assert_close(left, right)
