"""The Python twins of the report SQL give exactly what the SQL gives, on SQLite and PostgreSQL.

- `distributions()` (time in stage's percentiles computed from the fetched observations) against
  `percentile_sql()` (the window method it replaced): the same n, the same percentiles and the same
  mean to the last bit, also with ties, NULLs and groups of one;
- `epoch()` on PostgreSQL is `date_part` times 10⁶, a double: the whole microseconds between two
  moments it gives must equal the exact ones over the years it is documented for.
"""

import datetime as dt

from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from voronka.analytics.sql import Distribution, distributions, epoch, epoch_unit, fetch, percentile_sql

# A handful of distinct values makes ties; wide floats make rounding in the mean.
values = st.one_of(
    st.none(),
    st.sampled_from([0.0, 1.5, 86400.0, 3600.25]),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
)
rows = st.lists(
    st.tuples(st.integers(0, 2), st.integers(0, 3), values),
    min_size=1,
    max_size=80,
)


def _sql_distributions(drawn):
    placeholders = ", ".join(["(%s, %s, %s)"] * len(drawn))
    inner = (
        "SELECT k, m, CAST(v AS DOUBLE PRECISION) AS v FROM "  # noqa: S608 - placeholders only
        f"(SELECT column1 AS k, column2 AS m, column3 AS v FROM (VALUES {placeholders}) t) x"
    )
    sql = percentile_sql(inner, ["k", "m"], [["k"], ["k", "m"]], null_counts=["k"])
    found, missing = {}, {}
    for row in fetch(sql, [value for observation in drawn for value in observation]):
        key = (int(row[0]), int(row[1]))
        if key[1] == -2:
            missing[key[0]] = int(row[2])
        else:
            found[key] = Distribution.from_row(row[2:])
    return found, missing


class TestDistributions(TestCase):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(drawn=rows)
    def test_equal_the_window_sql_to_the_last_bit(self, drawn):
        expected, expected_missing = _sql_distributions(drawn)

        found, missing = distributions(drawn, 2, [[0], [0, 1]])

        assert found == expected  # dataclass equality: every float bit for bit
        per_k: dict[int, int] = {}
        for (k, _m), count in missing.items():
            per_k[k] = per_k.get(k, 0) + count
        assert per_k == expected_missing


moments = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),  # noqa: DTZ001 - made aware below
    max_value=dt.datetime(2100, 12, 31),  # noqa: DTZ001
)


class TestEpoch(TestCase):
    @settings(max_examples=40, deadline=None)
    @given(drawn=st.lists(moments, min_size=1, max_size=50))
    def test_whole_units_are_exact(self, drawn):
        unit = epoch_unit()
        if connection.vendor != "postgresql":
            # SQLite's julian day keeps milliseconds: only those are asked of it.
            drawn = [m.replace(microsecond=m.microsecond // 1000 * 1000) for m in drawn]
        aware = [m.replace(tzinfo=dt.UTC) for m in drawn]
        origin = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        expected = [(m - origin) // dt.timedelta(microseconds=1_000_000 // unit) for m in aware]
        select = " UNION ALL ".join(
            f"SELECT {index}, {epoch('CAST(%s AS TIMESTAMP WITH TIME ZONE)' if connection.vendor == 'postgresql' else '%s')}"
            for index in range(len(aware))
        )
        params = [connection.ops.adapt_datetimefield_value(m) for m in aware]

        found = [int(value) for _index, value in sorted(fetch(select, params))]

        # Only differences of epochs are read (SQLite counts from the julian day's origin).
        assert [value - found[0] for value in found] == [value - expected[0] for value in expected]
