"""The SQL the reports share, written once for SQLite and PostgreSQL.

The reports compile the permission-scoped item querysets of `crm.selectors` into
subqueries (so scoping is the CRM's own) and wrap them in window functions and
aggregates. The two databases differ in one expression only, the number of seconds
between two timestamps (`seconds_between`); everything else — ROW_NUMBER, COUNT and LEAD
windows, integer division for the percentile ranks, CASE ladders for calendar months —
is the same text on both.
"""

import datetime as dt
import operator
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import reduce

from django.db import connection, transaction
from django.db.models import QuerySet

from voronka.analytics import stats

HISTORY = "crm_stagehistory"
PERCENTS = (50, 75, 90)


def compiled(queryset: QuerySet) -> tuple[str, tuple]:
    """Return the SQL and parameters of a queryset, for use as a subquery."""
    sql, params = queryset.query.sql_with_params()
    return sql, tuple(params)


def item_subquery(queryset: QuerySet, *columns: str) -> tuple[str, tuple]:
    """Return `SELECT id AS id, <columns>` of a scoped item queryset, unordered."""
    return compiled(queryset.order_by().values("id", *columns))


def reads_every_item(queryset: QuerySet) -> bool:
    """True when a scoped item queryset has no condition at all (a user who reads everything, no filter)."""
    return not queryset.query.where


def item_join(queryset: QuerySet, alias: str, column: str) -> tuple[str, tuple]:
    """Return `JOIN (<items>) alias ON alias.id = column` that keeps the history rows of the scoped items.

    A queryset of every item needs no join: the history's foreign key (cascading deletes) already
    guarantees that each row's item exists, and reading 10⁶ items to confirm it was most of a report's
    time; `column IS NOT NULL` keeps the rows of the report's kind.
    """
    if reads_every_item(queryset):
        return f"JOIN (SELECT 1) {alias} ON {column} IS NOT NULL", ()
    sql, params = item_subquery(queryset)
    return f"JOIN ({sql}) {alias} ON {alias}.id = {column}", params


def timestamp(value: dt.datetime):
    """Return a datetime as the database stores it (raw SQL skips Django's adaptation)."""
    return connection.ops.adapt_datetimefield_value(value)


def seconds_between(earlier: str, later: str) -> str:
    """Return an SQL expression: seconds from `earlier` to `later` (two timestamp expressions)."""
    if connection.vendor == "postgresql":
        # date_part is a double, EXTRACT a numeric (PostgreSQL 14+) that sorts and averages several
        # times slower; whole seconds stay exact in a double, so comparisons with them do not move.
        return f"date_part('epoch', {later} - {earlier})"
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def epoch(column: str) -> str:
    """Return an SQL expression: a timestamp as a whole number, in `epoch_unit()` per second.

    PostgreSQL: microseconds (bigint: exact, and cheaper than numeric); SQLite: milliseconds, the
    precision of its julian day (which it keeps as whole milliseconds: rounding undoes the division).
    PostgreSQL's `date_part('epoch', …)` is the timestamp's whole microseconds divided by 10⁶ in one
    correctly rounded double division; below 2⁵³ µs (the years 1685–2255) the product with 10⁶ lies
    within a quarter of the whole number, so the cast (to the nearest) gives back exactly the
    microseconds that `EXTRACT`'s numeric gave, at a third of its cost.
    """
    if connection.vendor == "postgresql":
        return f"(date_part('epoch', {column}) * 1000000)::bigint"
    return f"CAST(ROUND(julianday({column}) * 86400000.0) AS INTEGER)"


def epoch_unit() -> int:
    """How many units of `epoch()` make a second."""
    return 1_000_000 if connection.vendor == "postgresql" else 1000


def epoch_difference(earlier: str, later: str) -> str:
    """Return an SQL expression: the time between two `epoch()` numbers, in `epoch_unit()` per second."""
    return f"({later} - {earlier})"


def fence() -> str:
    """Return the clause that keeps a subquery in FROM from being merged into its query (so that the
    expressions it computes once per row are not copied into every CASE branch that reads them)."""
    return " OFFSET 0" if connection.vendor == "postgresql" else " LIMIT -1"


def count_up_to(column: str, bounds: Sequence[int]) -> str | None:
    """PostgreSQL: SQL for how many of the integer `bounds` (ascending) are ≤ `column`, NULL when it is;
    None on SQLite (callers keep their CASE ladder there).

    `width_bucket` over a constant array finds the place by binary search with one reference to
    `column`, where a CASE ladder evaluates a comparison per step (and, unless the column is computed
    behind a fence, the column itself per step)."""
    if connection.vendor != "postgresql":
        return None
    return f"width_bucket({column}, ARRAY[{', '.join(str(int(b)) for b in bounds)}]::bigint[])"


def count_moments_up_to(column: str, moments: Sequence[dt.datetime]) -> tuple[str, list] | None:
    """PostgreSQL: as `count_up_to` for a timestamp column and ascending moments; None on SQLite."""
    if connection.vendor != "postgresql":
        return None
    marks = ", ".join(["%s"] * len(moments))
    return f"width_bucket({column}, ARRAY[{marks}]::timestamptz[])", [timestamp(m) for m in moments]


def in_list(column: str, values: Iterable[int]) -> tuple[str, list[int]]:
    """Return `column IN (...)` and its parameters; an empty list matches nothing."""
    values = list(values)
    if not values:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", values


def case_map(column: str, mapping: dict[int, int], default: int = 0) -> tuple[str, list[int]]:
    """Return `CASE column WHEN k THEN v ... ELSE default END` and its parameters."""
    if not mapping:
        return str(int(default)), []
    parts, params = [], []
    for key, value in mapping.items():
        parts.append("WHEN %s THEN %s")
        params += [key, value]
    return f"(CASE {column} {' '.join(parts)} ELSE {int(default)} END)", params


def bucket_case(column: str, bounds: Sequence[dt.datetime]) -> tuple[str, list]:
    """Return a CASE giving the index i of the range [bounds[i], bounds[i+1]) holding `column`, else -1."""
    parts, params = [], []
    for index in range(len(bounds) - 1):
        parts.append(f"WHEN {column} >= %s AND {column} < %s THEN {index}")
        params += [timestamp(bounds[index]), timestamp(bounds[index + 1])]
    if not parts:
        return "-1", []
    return f"(CASE {' '.join(parts)} ELSE -1 END)", params


@contextmanager
def session() -> Iterator[None]:
    """Run a report query without holding up writers.

    PostgreSQL: in a transaction of its own, with room to sort in memory and no JIT (compiling
    expressions costs more than it saves on sub-second queries); its snapshot blocks no writer.
    SQLite: in autocommit, outside any transaction of ours. The settings start every transaction
    with BEGIN IMMEDIATE (writers queue for the lock instead of failing), so an atomic block here
    would hold the write lock for the seconds a report takes and stall every write; a statement
    run alone is its own read transaction — one consistent snapshot, no write lock (WAL lets
    writers commit meanwhile). Inside a caller's atomic block the caller's transaction is used.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        yield


def fetch(sql: str, params: Sequence, *, small_sorts: bool = False) -> list[tuple]:
    """Run a query and return its rows; `small_sorts`: see `small_sorts_on()`."""
    with session(), small_sorts_on(small_sorts), connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


# SQLite's defaults (the settings raise both for the pages of the web requests).
SORT_PRAGMAS = {"cache_size": -2000, "temp_store": 0}


@contextmanager
def small_sorts_on(enabled: bool = True) -> Iterator[None]:
    """SQLite: run a query that sorts or groups about a million rows with SQLite's default page cache
    (2 MB) and temporary store (a file) instead of the connection's 64 MB and memory.

    The sorter keeps up to the page cache's size in memory before it writes a sorted run out and
    merges the runs; one 64 MB run in memory sorts cache-unfriendly and costs more than 2 MB runs
    through a temporary file the OS keeps in its cache: the forecast's training (770,000 entries
    grouped) 1.75 → 1.05 s of CPU on the full-size copy, each of the two settings about half of
    it. Outside a transaction only (SQLite refuses to change the temporary store inside one); the
    settings are put back after the query (a smaller page cache drops the pages above its size).
    """
    if not enabled or connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        saved = {}
        for name, value in SORT_PRAGMAS.items():
            cursor.execute(f"PRAGMA {name}")
            saved[name] = cursor.fetchone()[0]
            cursor.execute(f"PRAGMA {name} = {int(value)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for name, value in saved.items():
                cursor.execute(f"PRAGMA {name} = {int(value)}")


def percentile_sql(
    inner: str,
    keys: Sequence[str],
    levels: Sequence[Sequence[str]],
    percents: Sequence[int] = PERCENTS,
    null_counts: Sequence[str] | None = None,
) -> str:
    """Wrap `inner` (columns: *keys, v) into n, mean and the two ranks of each percentile per group.

    Each level is a subset of `keys` to group by (an empty level is the whole set); a row
    of the result carries every key, -1 for the keys its level does not group by. The
    ranks are ROW_NUMBER over the group ordered by v, and integer division gives the floor
    and ceiling of (n − 1)·p/100 on both databases, so the SQL and `stats.positions` pick
    the same rows. `inner` is computed once (a materialised CTE) for all levels.
    With `null_counts`, one more group of rows counts the observations whose v is NULL
    per those keys, marked with -2 in the keys not grouped by.

    One sort per level: n and the mean are windows over the whole group in the ranks' own order
    (one pass), and only the rows at a wanted rank reach the GROUP BY, a handful per group.
    """
    whole = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"
    selects = []
    for level in levels:
        partition = f"PARTITION BY {', '.join(level)} " if level else ""
        window = f"({partition}ORDER BY v {whole})"
        ranked = (
            f"SELECT {', '.join([*level, 'v'])}, ROW_NUMBER() OVER ({partition}ORDER BY v) - 1 AS r, "
            f"COUNT(*) OVER {window} AS n, AVG(v) OVER {window} AS mean "
            f"FROM observations WHERE v IS NOT NULL"
        )
        wanted = " OR ".join(
            f"r = ((n - 1) * {int(p)}) / 100 OR r = ((n - 1) * {int(p)} + 99) / 100" for p in percents
        )
        columns = [key if key in level else "-1" for key in keys]
        picks = []
        for p in percents:
            picks.append(f"MAX(CASE WHEN r = ((n - 1) * {int(p)}) / 100 THEN v END)")
            picks.append(f"MAX(CASE WHEN r = ((n - 1) * {int(p)} + 99) / 100 THEN v END)")
        group_by = f" GROUP BY {', '.join(level)}" if level else ""
        selects.append(
            f"SELECT {', '.join([*columns, 'MAX(n)', 'MAX(mean)', *picks])} "
            f"FROM ({ranked}) ranked WHERE {wanted}{group_by}"
        )
    if null_counts is not None:
        columns = [key if key in null_counts else "-2" for key in keys]
        empty = ", ".join(["NULL"] * (1 + 2 * len(percents)))
        group_by = f" GROUP BY {', '.join(null_counts)}" if null_counts else ""
        selects.append(
            f"SELECT {', '.join(columns)}, COUNT(*), {empty} FROM observations WHERE v IS NULL{group_by}"
        )
    return f"WITH observations AS MATERIALIZED ({inner}) " + " UNION ALL ".join(selects)


def distributions(
    rows: Iterable[Sequence], width: int, levels: Sequence[Sequence[int]], percents: Sequence[int] = PERCENTS
) -> tuple[dict[tuple, "Distribution"], dict[tuple, int]]:
    """`percentile_sql` computed here from the observations themselves: rows of (*keys, v), `width` keys.

    Returns the Distribution per group of each level (a level: the positions of the keys it groups by;
    the key tuple carries -1 in the others) and the count of the rows whose v is NULL per whole key.
    Sorting a few hundred thousand doubles here costs less than the database's window sorts (which
    carried every row's keys through two sorts, a ROW_NUMBER, a COUNT and an AVG window per level),
    and the figures are the same: the same ranks, the same interpolation, the mean summed in order.
    """
    groups: defaultdict[tuple, list[float]] = defaultdict(list)
    missing: Counter[tuple] = Counter()
    for row in rows:
        value = row[width]
        if value is None:
            missing[row[:width]] += 1
        else:
            groups[row[:width]].append(value)
    for values in groups.values():
        values.sort()
    result: dict[tuple, Distribution] = {}
    for level in levels:
        merged: dict[tuple, list[float]] = {}
        for key, values in groups.items():
            merged.setdefault(tuple(k if i in level else -1 for i, k in enumerate(key)), []).extend(values)
        for key, values in merged.items():
            if len(level) < width:
                values.sort()  # runs already in order: a merge
            result[key] = Distribution.from_sorted(values, percents)
    return result, dict(missing)


@dataclass(frozen=True, slots=True)
class Distribution:
    """How many observations, their mean, and the percentiles (seconds, or whatever was measured)."""

    n: int
    mean: float | None
    median: float | None
    p75: float | None
    p90: float | None

    @classmethod
    def empty(cls) -> "Distribution":
        return cls(0, None, None, None, None)

    @classmethod
    def from_sorted(cls, values: Sequence[float], percents: Sequence[int] = PERCENTS) -> "Distribution":
        """Build from the observations in ascending order, as `percentile_sql` computes it: the mean is
        their sum in that order (the SQL's AVG window over the ranks' order adds them so), divided by n."""
        n = len(values)
        if n == 0:
            return cls.empty()
        picks = []
        for percent in percents:
            low, high, fraction = stats.positions(n, percent)
            picks.append(stats.interpolate(values[low], values[high], fraction))
        return cls(n, reduce(operator.add, values, 0.0) / n, *picks)

    @classmethod
    def from_row(cls, row: Sequence, percents: Sequence[int] = PERCENTS) -> "Distribution":
        """Build from (n, mean, low₁, high₁, low₂, high₂, ...) as `percentile_sql` returns them."""
        n = int(row[0] or 0)
        if n == 0:
            return cls.empty()
        values = []
        for index, percent in enumerate(percents):
            low, high = row[2 + 2 * index], row[3 + 2 * index]
            _lo, _hi, fraction = stats.positions(n, percent)
            values.append(stats.interpolate(float(low), float(high), fraction))
        return cls(n, float(row[1]), *values)

    def as_dict(self) -> dict:
        return {"n": self.n, "mean": self.mean, "median": self.median, "p75": self.p75, "p90": self.p90}
