"""Report 8, forecast: the open pipeline weighted by empirical win probabilities, and its backtest.

Definitions (docs/analytics.md, "Forecast"):
- training: the entries into open stages of the pipeline made in the `TRAIN_DAYS` before the
  forecast date (as_of), for the items the user may read under the report's filters;
- age buckets: an entry is "at age L" when the item was still in that stage L days after
  entering it (L = 0, 7, 30, 90 days); for each (stage, bucket) and horizon H (30, 60, 90 days)
  p = won within H days after that moment / entries whose outcome within H is known as of
  as_of (won or lost by then, or the whole window lies before as_of); "eventual" counts won /
  (won or lost) among the decided entries;
- small samples are pulled towards the stage's all-ages rate (and that towards the pipeline's)
  as if `PRIOR_WEIGHT` entries at that rate had been seen (analytics.stats.shrunk_rate);
- the open pipeline: items in an open stage of the pipeline at as_of; an item's age is the time
  since it entered its current stage; expected won amount in H days = Σ p·amount over open items
  (current amounts), its variance Σ p(1 − p)·amount² (Poisson-binomial), the interval the
  normal approximation, cut at zero; the same for counts;
- backtest: for H in 30, 60, 90 the forecast is made as of now − H days using only history
  before that date, and compared with what the items open then actually won in the next H days.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field

from django.db import connection

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.sql import (
    HISTORY,
    case_map,
    count_moments_up_to,
    count_up_to,
    epoch,
    epoch_difference,
    epoch_unit,
    fence,
    fetch,
    in_list,
    item_join,
    item_subquery,
    timestamp,
)
from voronka.analytics.stats import Interval, estimate, rate, shrunk_rate

DAY = 86400
TRAIN_DAYS = 365
BUCKETS = (0, 7, 30, 90)  # lower bounds of the age buckets, days
HORIZONS = (30, 60, 90)
PRIOR_WEIGHT = 10.0
# Every L + H that the (bucket, horizon) pairs need, in days: seconds to the win, the loss and
# as_of are cut at these marks in SQL, and Python adds up the exact counts from the histogram.
MARKS = tuple(sorted({b + h for b in BUCKETS for h in HORIZONS}))


@dataclass(frozen=True, slots=True)
class Probability:
    stage_id: int
    bucket: int  # lower bound, days
    entries: int  # entries at risk at that age
    eventual: float | None
    within: dict[int, float | None]  # horizon → probability
    known: dict[int, int]  # horizon → entries with a known outcome (the sample size); 0 = eventual


@dataclass(frozen=True, slots=True)
class Expected:
    count: float
    count_interval: Interval
    amount: float
    amount_interval: Interval


@dataclass(frozen=True, slots=True)
class StageForecast:
    stage_id: int
    code: str
    title: str
    open_items: int
    open_amount: float
    weighted_amount: float  # Σ p(eventual) · amount
    expected: dict[int, Expected]


@dataclass(frozen=True, slots=True)
class Backtest:
    horizon: int
    as_of: str
    open_items: int
    expected: Expected
    actual_count: int
    actual_amount: float
    error: float  # actual − expected amount
    relative_error: float | None  # error / actual
    within_interval: bool


@dataclass(frozen=True, slots=True)
class Forecast:
    filter: dict
    as_of: str
    open_items: int
    open_amount: float
    weighted_amount: float
    expected: dict[int, Expected]
    stages: list[StageForecast]
    probabilities: list[Probability]
    backtests: list[Backtest] = field(default_factory=list)
    backtest_summary: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _mark_index(column: str, unit: int = 1) -> str:
    """SQL: how many MARKS (in seconds, times `unit`) lie strictly below `column`; NULL stays NULL.
    `column` is a whole number (epoch units), so "strictly below" is "at or below, plus one"."""
    counted = count_up_to(column, [mark * DAY * unit + 1 for mark in MARKS])
    if counted is not None:
        return counted
    cases = " ".join(f"WHEN {column} <= {mark * DAY * unit} THEN {index}" for index, mark in enumerate(MARKS))
    return f"(CASE WHEN {column} IS NULL THEN NULL {cases} ELSE {len(MARKS)} END)"


def _bucket_index(column: str, unit: int = 1) -> str:
    """SQL: the index of the age bucket of `column` (a whole number of epoch units); 0 when NULL."""
    counted = count_up_to(column, [lower * DAY * unit for lower in BUCKETS[1:]])
    if counted is not None:
        return f"COALESCE({counted}, 0)"
    cases = " ".join(
        f"WHEN {column} >= {lower * DAY * unit} THEN {index}"
        for index, lower in reversed(list(enumerate(BUCKETS)))
    )
    return f"(CASE {cases} ELSE 0 END)"


def _dates_sql(dates: list[tuple[dt.datetime, ...]]) -> tuple[str, list]:
    """Return `(VALUES (0, a, b...), (1, ...))` of numbered rows of timestamps, and its parameters."""
    rows, params = [], []
    for index, moments in enumerate(dates):
        rows.append(f"({index}, {', '.join(['%s'] * len(moments))})")
        params += [timestamp(m) for m in moments]
    return f"(VALUES {', '.join(rows)})", params


def _training(user: User | None, report: ReportFilter, dates: list[dt.datetime]) -> dict[int, list[tuple]]:
    """Return, per forecast date (its index in `dates`), (stage, max bucket, won mark, lost mark, as_of mark,
    entries) for the training entries before that date: one pass over the history of all the dates.

    An entry's next row, first won row and first lost row after it are stored on the row
    (crm.stays); as of a date, those at or after the date are unknown (NULL, and the dwell ends
    at the date), which is what a window over the history cut at the date would give.
    """
    result: dict[int, list[tuple]] = {index: [] for index in range(len(dates))}
    for batch in _batches(dates):
        for k, *row in _training_batch(user, report, [dates[index] for index in batch]):
            result[batch[int(k)]].append(tuple(row))
    return result


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC)


def _whole_days(later: dt.datetime, earlier: dt.datetime) -> int | None:
    """The whole number of days from `earlier` to `later` in elapsed time, or None."""
    days, rest = divmod((_utc(later) - _utc(earlier)).total_seconds(), DAY)
    return int(days) if rest == 0 else None


def _batches(dates: list[dt.datetime]) -> list[list[int]]:
    """Dates that can share one pass: each a whole number of days before the latest one, with a
    training window of whole days (all of them but across a daylight-saving change); else one each."""
    latest = max(dates, default=None)
    shared = len(dates) > 1 and all(
        _whole_days(latest, as_of) is not None
        and _whole_days(as_of, as_of - dt.timedelta(days=TRAIN_DAYS)) is not None
        for as_of in dates
    )
    return [list(range(len(dates)))] if shared else [[index] for index in range(len(dates))]


def _gate(column: str, ordered: list[dt.datetime]) -> tuple[str, list]:
    """SQL: how many of the dates (`ordered` ascending) lie after `column` (0 when NULL): the dates as
    of which the moment is known, as `column < as_of` says it."""
    counted = count_moments_up_to(column, ordered)
    if counted is not None:  # the dates after it: all but those at or before it
        sql, params = counted
        return f"COALESCE({len(ordered)} - {sql}, 0)", params
    cases, params = [], []
    for index, moment in enumerate(ordered):
        cases.append(f"WHEN {column} < %s THEN {len(ordered) - index}")
        params.append(timestamp(moment))
    # NULL first: most wins and many losses are NULL, which every comparison would test in turn.
    return f"(CASE WHEN {column} IS NULL THEN 0 {' '.join(cases)} ELSE 0 END)", params


def _training_batch(user: User | None, report: ReportFilter, dates: list[dt.datetime]) -> list[tuple]:
    """The training histograms of `dates` (see `_batches`), as (k, stage, ...) rows.

    Each entry is read once and reduced to what any date can ask of it: its stage, the buckets and
    marks of its stay, its first win and first loss; for each of these three moments how many dates
    lie after it (the moment is known as of those dates); and its age before the latest date R in
    half-days of a kind: t = 2·⌊x/day⌋ + (1 if x is not a whole number of days), x = R − moved_at.
    Every age test of a date d = R − o days (its window of w days, its buckets and marks L) is
    `x > n·day`, `x ≥ n·day`, `x ≤ n·day` with n = o + L, o or o + w, which t answers exactly (t ≥ 2n,
    t > 2n). Entries alike in all of that are counted together, and the counts meet the dates.
    """
    item = f"{report.kind}_id"
    unit = epoch_unit()
    day = DAY * unit
    latest = max(dates)
    ordered = sorted(dates)
    start = min(as_of - dt.timedelta(days=TRAIN_DAYS) for as_of in dates)
    open_ids = [s.pk for s in report.stages.open]
    if not open_ids:
        return []
    open_sql, open_params = in_list("e.to_stage_id", open_ids)
    stage_sql, stage_params = case_map("e.to_stage_id", {pk: index for index, pk in enumerate(open_ids)})
    items_sql, items_params = item_join(scoped_items(user, report), "i", f"e.{item}")
    gates, gate_params = [], []
    for column in ("e.left_at", "e.won_at", "e.lost_at"):
        sql, params = _gate(column, ordered)
        gates.append(sql)
        gate_params += params
    rows, date_params = [], []
    for k, as_of in enumerate(dates):
        rank = sum(1 for other in dates if other > as_of)  # a moment is known as of it: gate > rank
        days = _whole_days(latest, as_of) or 0
        window = _whole_days(as_of, as_of - dt.timedelta(days=TRAIN_DAYS))
        # Alone, a date's window is the WHERE below (also when it is not whole days).
        limit = 2 * (days + window) if len(dates) > 1 and window is not None else None
        rows.append(f"({k}, {rank}, {2 * days}, CAST(%s AS BIGINT))")
        date_params.append(limit)
    # left_at, won_at and lost_at are the item's next row and its first win and loss in the
    # pipeline after this row (crm.stays), all in the index history_stays.
    # Whole epoch units (milliseconds or microseconds), so that a stay of exactly 7 days is 7 days.
    seconds = f"""
        SELECT {stage_sql} AS stage, {gates[0]} AS g_next, {gates[1]} AS g_won, {gates[2]} AS g_lost,
               {epoch("e.moved_at")} AS m, {epoch("e.left_at")} AS l, {epoch("e.won_at")} AS w,
               {epoch("e.lost_at")} AS lo, {epoch("%s")} AS r
        FROM {HISTORY} e {items_sql}
        WHERE e.pipeline_id = %s AND e.moved_at >= %s AND e.moved_at < %s AND {open_sql}{fence()}
    """
    x = epoch_difference("m", "r")
    # An entry's whole key is one integer, its digits (most significant first) the stage's place
    # among the open stages, the bucket of its stay, the marks of its win and loss (NULL: the last
    # value), the three gates and t: grouping by one integer instead of eight columns takes a
    # third of the time (SQLite sorts the entries, PostgreSQL hashes them). t < 2·(span + 1) days.
    null_mark = len(MARKS) + 1
    digits = [
        ("stage", "stage", len(open_ids), False),
        ("b_next", _bucket_index(epoch_difference("m", "l"), unit), len(BUCKETS), False),
        (
            "m_won",
            f"COALESCE({_mark_index(epoch_difference('m', 'w'), unit)}, {null_mark})",
            null_mark + 1,
            True,
        ),
        (
            "m_lost",
            f"COALESCE({_mark_index(epoch_difference('m', 'lo'), unit)}, {null_mark})",
            null_mark + 1,
            True,
        ),
        ("g_next", "g_next", len(dates) + 1, False),
        ("g_won", "g_won", len(dates) + 1, False),
        ("g_lost", "g_lost", len(dates) + 1, False),
        (
            "t",
            f"2 * ({x} / {day}) + CASE WHEN {x} = ({x} / {day}) * {day} THEN 0 ELSE 1 END",
            2 * ((latest - start) // dt.timedelta(days=1) + 2),
            False,
        ),
    ]
    source, source_params = f"({seconds}) s", [*stage_params, *gate_params, timestamp(latest)]
    if connection.vendor == "postgresql":
        digits, source, source_params = _postgresql_digits(
            digits, stage_sql, stage_params, gates, gate_params, latest, start, null_mark
        )
        source = f"{source} {items_sql} WHERE e.pipeline_id = %s AND e.moved_at >= %s AND e.moved_at < %s AND {open_sql}"
    code = "CAST(0 AS BIGINT)"
    weights = []
    weight = 1
    for _name, _sql, radix, _nullable in reversed(digits):
        weights.append(weight)
        weight *= radix
    weights.reverse()
    for _name, sql, radix, _nullable in digits:
        code = f"({code} * {radix} + {sql})"
    unpacked = []
    for (name, _sql, radix, nullable), weight in zip(digits, weights, strict=True):
        digit = (
            f"(code / {weight} - code / {weight * radix} * {radix})"  # the remainder, with no `%` in the SQL
        )
        unpacked.append(f"NULLIF({digit}, {null_mark}) AS {name}" if nullable else f"{digit} AS {name}")
    entries = f"""
        SELECT {", ".join(unpacked)}, n
        FROM (SELECT {code} AS code, COUNT(*) AS n FROM {source} GROUP BY 1) c
    """
    bucket = " ".join(
        f"WHEN e.t >= d.o + {2 * lower} THEN {index}" for index, lower in reversed(list(enumerate(BUCKETS)))
    )
    asof = " ".join(f"WHEN e.t < d.o + {2 * mark} THEN {index}" for index, mark in enumerate(MARKS))
    sql = f"""
        WITH dates (k, r, o, w) AS (VALUES {", ".join(rows)}),
        entries AS MATERIALIZED ({entries})
        SELECT d.k, e.stage,
               CASE WHEN e.g_next > d.r THEN e.b_next ELSE (CASE {bucket} ELSE 0 END) END,
               CASE WHEN e.g_won > d.r THEN e.m_won END,
               CASE WHEN e.g_lost > d.r THEN e.m_lost END,
               (CASE {asof} ELSE {len(MARKS)} END), CAST(SUM(e.n) AS BIGINT)
        FROM entries e JOIN dates d ON d.w IS NULL OR (e.t > d.o AND e.t <= d.w)
        GROUP BY 1, 2, 3, 4, 5, 6
    """
    params = [
        *date_params,
        *source_params,
        *items_params,
        report.pipeline.pk,
        timestamp(start),
        timestamp(latest),
        *open_params,
    ]
    rows = fetch(sql, params, small_sorts=True)  # integers only: the order of the sums cannot move them
    return [(k, open_ids[int(stage)], *rest) for k, stage, *rest in rows]


def _postgresql_digits(digits, stage_sql, stage_params, gates, gate_params, latest, start, null_mark):
    """PostgreSQL: the same digits computed straight from the history row, each column read once, so
    that no fenced subquery has to carry epochs (three `date_part` of four go, and the row is not
    projected twice). The spans are intervals (`left_at - moved_at` is the exact elapsed time, which
    interval comparison counts in microseconds), and t, which counts the marks n·day and n·day + 1 µs
    at or below x = R − moved_at, is how many of the moments R − n·day (+ 1 µs) lie after moved_at.
    Return the digits, the FROM clause (up to its item join) and the parameters of its expressions."""
    micro = dt.timedelta(microseconds=1)

    def spans(days: list[int], plus: int) -> str:
        return "ARRAY[" + ", ".join(f"interval '{n} days {plus} microseconds'" for n in days) + "]"

    span_days = (latest - start) // dt.timedelta(days=1) + 1
    marks = [micro]  # x ≥ 1 µs: t ≥ 1
    for n in range(1, span_days + 1):
        marks += [dt.timedelta(days=n), dt.timedelta(days=n) + micro]
    moments = sorted(_utc(latest) - mark + micro for mark in marks)  # moved_at ≥ R − mark + 1 µs ⟺ x < mark
    t_sql, t_params = count_moments_up_to("e.moved_at", moments)
    sql = {
        "stage": stage_sql,
        "b_next": f"COALESCE(width_bucket(e.left_at - e.moved_at, {spans(list(BUCKETS[1:]), 0)}), 0)",
        "m_won": f"COALESCE(width_bucket(e.won_at - e.moved_at, {spans(list(MARKS), 1)}), {null_mark})",
        "m_lost": f"COALESCE(width_bucket(e.lost_at - e.moved_at, {spans(list(MARKS), 1)}), {null_mark})",
        "g_next": gates[0],
        "g_won": gates[1],
        "g_lost": gates[2],
        "t": f"({len(marks)} - {t_sql})",
    }
    if len(marks) >= digits[-1][2]:  # t's radix
        raise ValueError("t would overflow its digit")
    return (
        [(name, sql[name], radix, nullable) for name, _sql, radix, nullable in digits],
        f"{HISTORY} e",
        [*stage_params, *gate_params, *t_params],
    )


def probabilities(user: User | None, report: ReportFilter, as_of: dt.datetime) -> list[Probability]:
    """Return the empirical win probabilities per (stage, age bucket) from the history before `as_of`."""
    return _probabilities(report, _training(user, report, [as_of])[0])


def _probabilities(report: ReportFilter, histogram: list[tuple]) -> list[Probability]:
    """Return the win probabilities per (stage, age bucket) from a training histogram."""
    counts: dict[
        tuple[int, int, int], list[int]
    ] = {}  # (stage, bucket, horizon or 0) → [wins, known, at risk]
    for stage_id, top_bucket, won, lost, asof, entries in histogram:
        for b in range(int(top_bucket) + 1):
            for horizon in (0, *HORIZONS):
                slot = counts.setdefault((stage_id, b, horizon), [0, 0, 0])
                slot[2] += entries
                if horizon == 0:
                    win, known = won is not None, won is not None or lost is not None
                else:
                    mark = MARKS.index(BUCKETS[b] + horizon)
                    win = won is not None and won <= mark
                    known = win or (lost is not None and lost <= mark) or asof > mark
                slot[0] += entries if win else 0
                slot[1] += entries if known else 0
    result = []
    overall = {h: _sum_rate(counts, None, 0, h) for h in (0, *HORIZONS)}
    for stage in report.stages.open:
        base = {
            h: shrunk_rate(*_counts(counts, stage.pk, 0, h), overall[h] or 0.0, PRIOR_WEIGHT)
            for h in (0, *HORIZONS)
        }
        for b, lower in enumerate(BUCKETS):
            values = {
                h: (shrunk_rate(*_counts(counts, stage.pk, b, h), base[h], PRIOR_WEIGHT) if b else base[h])
                for h in (0, *HORIZONS)
            }
            result.append(
                Probability(
                    stage_id=stage.pk,
                    bucket=lower,
                    entries=counts.get((stage.pk, b, 0), [0, 0, 0])[2],
                    eventual=values[0],
                    within={h: values[h] for h in HORIZONS},
                    known={h: counts.get((stage.pk, b, h), [0, 0, 0])[1] for h in (0, *HORIZONS)},
                )
            )
    return result


def _counts(counts, stage_id, bucket, horizon) -> tuple[int, int]:
    wins, known, _risk = counts.get((stage_id, bucket, horizon), [0, 0, 0])
    return wins, known


def _sum_rate(counts, _stage, bucket, horizon) -> float | None:
    wins = sum(v[0] for (s, b, h), v in counts.items() if b == bucket and h == horizon)
    known = sum(v[1] for (s, b, h), v in counts.items() if b == bucket and h == horizon)
    return rate(wins, known)


def _open_now(user: User | None, report: ReportFilter) -> list[tuple]:
    """(stage, bucket, items, Σ amount, Σ amount²) of the items open in the pipeline now."""
    item = f"{report.kind}_id"
    stage_field = "status_id" if report.kind == "lead" else "stage_id"
    queryset = scoped_items(user, report).filter(**{f"{stage_field}__in": [s.pk for s in report.stages.open]})
    items_sql, items_params = item_subquery(queryset, "amount", stage_field)
    open_sql, open_params = in_list("l.to_stage_id", [s.pk for s in report.stages.open])
    # When the item entered its current stage: the latest of its rows. An item's latest row is the
    # one row of it not left yet (`left_at` is the next row's moved_at in any pipeline, crm.stays), so
    # the open items' entries are one range of history_left (the pipeline's open stages, left_at
    # NULL) met by a hash join, instead of a look-up per item (73,480 on the bench data); an item
    # whose latest row is elsewhere (or that has none) falls back to the look-up.
    latest = f"""
        SELECT l.{item} AS item_id, l.moved_at FROM {HISTORY} l
        WHERE l.pipeline_id = %s AND {open_sql} AND l.left_at IS NULL{fence()}
    """
    entered = f"COALESCE(l.moved_at, (SELECT MAX(h.moved_at) FROM {HISTORY} h WHERE h.{item} = i.id))"
    # Materialised: the bucket's CASE would otherwise look the entry up once per branch.
    sql = f"""
        WITH o AS MATERIALIZED (
            SELECT i.{stage_field} AS stage, i.amount AS amount,
                   {epoch_difference(epoch(entered), epoch("%s"))} AS age
            FROM ({items_sql}) i LEFT JOIN ({latest}) l ON l.item_id = i.id
        )
        SELECT stage, {_bucket_index("age", epoch_unit())}, COUNT(*), SUM(amount), SUM(amount * amount)
        FROM o GROUP BY 1, 2 ORDER BY 1, 2
    """
    return fetch(sql, [timestamp(report.now), *items_params, report.pipeline.pk, *open_params])


def _open_then(user: User | None, report: ReportFilter, dates: list[dt.datetime]) -> dict[int, list[tuple]]:
    """As _open_now, as of past dates from the history, with what those items won within each horizon:
    per date (its index in `dates`), (stage, bucket, items, Σ amount, Σ amount², then won items and won
    amount per horizon). An item is open at a date when its last row before the date is an open stage
    of the pipeline: a row into an open stage entered before the date and left at or after it (or not
    left), since `left_at` is the item's next row in any pipeline (crm.stays). What it won within a
    horizon is its first win in the pipeline after that row, the row's `won_at`: the rows after the
    last one before a date are exactly the item's rows from the date on."""
    item = f"{report.kind}_id"
    open_sql, open_params = in_list("h.to_stage_id", [s.pk for s in report.stages.open])
    items_sql, items_params = item_subquery(scoped_items(user, report), "amount")
    dates_sql, dates_params = _dates_sql(
        [(as_of, *[as_of + dt.timedelta(days=h) for h in HORIZONS]) for as_of in dates]
    )
    ends = ", ".join(f"end{index}" for index in range(len(HORIZONS)))
    first, last = timestamp(min(dates)), timestamp(max(dates))
    # The stays that contain one of the dates: those not left yet and those left on or after the
    # first date, two ranges of the index history_left (pipeline, stage, left_at) per open stage.
    # One scan with `left_at IS NULL OR left_at >= first` read every stay of the pipeline entered
    # before the last date (1.67 million index entries for 352,185 stays on the bench data).
    span = f"""
        SELECT h.{item} AS item_id, h.to_stage_id, h.moved_at, h.left_at, h.won_at FROM {HISTORY} h
        WHERE h.pipeline_id = %s AND {open_sql} AND h.moved_at < %s AND h.left_at
    """
    spans = f"{span} IS NULL UNION ALL {span} >= %s"
    # Most of those stays (349,300 of 352,776 on the bench data) lie between two dates and contain
    # none: each stay is reduced first to the places, among the dates in ascending order, of the
    # first date after its entry (how many dates are at or before moved_at) and of the first one
    # after it was left (how many are at or before left_at; all of them when not left), and only the
    # stays with a date between meet the dates, by place (2,116,656 date tests → 117,235 rows).
    ascending = sorted(range(len(dates)), key=lambda index: dates[index])
    place = {index: rank for rank, index in enumerate(ascending)}
    moments = [dates[index] for index in ascending]
    entered_sql, entered_params = _places("l.moved_at", moments)
    left_sql, left_params = _places("l.left_at", moments)
    places_sql, places_params = case_map("d.k", place)
    sums = []
    for index, _horizon in enumerate(HORIZONS):
        sums.append(f"SUM(CASE WHEN won_at < end{index} THEN 1 ELSE 0 END) AS won{index}")
        sums.append(f"SUM(CASE WHEN won_at < end{index} THEN amount ELSE 0 END) AS amount{index}")
    # The items' amounts. PostgreSQL would hash all the items (1,000,000 deals: a third of the
    # query) to meet the 85,244 items open at a date, as it cannot tell how many distinct items a
    # CTE holds; it looks each of them up instead, in the order of their ids (the table's own order
    # on the bench data, so the look-ups walk the index and the heap forwards). SQLite looks each row
    # up by its rowid already (and has no LATERAL).
    amounts = f"""open_then AS MATERIALIZED (
            SELECT a.*, i.amount AS amount FROM at_date a JOIN ({items_sql}) i ON i.id = a.item_id
        )"""
    if connection.vendor == "postgresql":
        amounts = f"""amounts AS MATERIALIZED (
            SELECT x.item_id, i.amount
            FROM (SELECT DISTINCT item_id FROM at_date ORDER BY item_id) x
            JOIN LATERAL (SELECT i.amount FROM ({items_sql}) i WHERE i.id = x.item_id) i ON TRUE
        ),
        open_then AS MATERIALIZED (
            SELECT a.*, i.amount AS amount FROM at_date a JOIN amounts i ON i.item_id = a.item_id
        )"""
    sql = f"""
        WITH dates (k, as_of, {ends}) AS {dates_sql},
        spans AS MATERIALIZED (
            SELECT * FROM (
                SELECT l.*, {entered_sql} AS first_place, COALESCE({left_sql}, {len(dates)}) AS end_place
                FROM ({spans}) l
            ) l WHERE end_place > first_place
        ),
        at_date AS MATERIALIZED (
            SELECT d.k, d.{ends.replace(", ", ", d.")}, l.item_id, l.to_stage_id AS stage,
                   {epoch_difference(epoch("l.moved_at"), epoch("d.as_of"))} AS age, l.won_at
            FROM spans l JOIN (SELECT dates.*, {places_sql.replace("d.k", "dates.k")} AS place FROM dates) d
                 ON d.place >= l.first_place AND d.place < l.end_place
        ),
        {amounts}
        SELECT k, stage, {_bucket_index("age", epoch_unit())}, COUNT(*), SUM(amount), SUM(amount * amount),
               {", ".join(sums)}
        FROM open_then GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
    """
    params = [
        *dates_params,
        *entered_params,
        *left_params,
        *(report.pipeline.pk, *open_params, last),
        *(report.pipeline.pk, *open_params, last, first),
        *places_params,
        *items_params,
    ]
    result: dict[int, list[tuple]] = {index: [] for index in range(len(dates))}
    for k, *row in fetch(sql, params):
        result[int(k)].append(tuple(row))
    return result


def _places(column: str, ascending: list[dt.datetime]) -> tuple[str, list]:
    """SQL: how many of the moments (ascending) are at or before `column`; NULL when it is NULL."""
    counted = count_moments_up_to(column, ascending)
    if counted is not None:
        return counted
    cases, params = [], []
    for index, moment in reversed(list(enumerate(ascending))):
        cases.append(f"WHEN {column} >= %s THEN {index + 1}")
        params.append(timestamp(moment))
    return f"(CASE WHEN {column} IS NULL THEN NULL {' '.join(cases)} ELSE 0 END)", params


def _expect(groups, chance) -> Expected:
    """Sum p·x over (stage, bucket) groups: groups carry count, Σ amount and Σ amount².

    The queries return the groups ordered, so that these float sums add up in the same order
    whatever the plan (a hash aggregate returns them in any order: the last bits moved)."""
    count_mean = count_var = amount_mean = amount_var = 0.0
    for stage_id, bucket, items, amount, squares, *_rest in groups:
        p = chance(stage_id, int(bucket))
        count_mean += p * int(items)
        count_var += p * (1 - p) * int(items)
        amount_mean += p * float(amount or 0)
        amount_var += p * (1 - p) * float(squares or 0)
    counts, amounts = estimate(count_mean, count_var), estimate(amount_mean, amount_var)
    return Expected(counts.mean, counts.interval, amounts.mean, amounts.interval)


def _chance(table: list[Probability], horizon: int):
    lookup = {(p.stage_id, BUCKETS.index(p.bucket)): p for p in table}

    def chance(stage_id: int, bucket: int) -> float:
        found = lookup.get((stage_id, bucket))
        if found is None:
            return 0.0
        value = found.eventual if horizon == 0 else found.within[horizon]
        return value or 0.0

    return chance


def forecast(user: User | None, report: ReportFilter, *, backtest: bool = True) -> Forecast:
    """Return the expected won amount of the open pipeline for the next 30/60/90 days, with a backtest."""
    dates = [report.now, *(_backtest_dates(report) if backtest else [])]
    histograms = _training(user, report, dates)
    table = _probabilities(report, histograms[0])
    groups = _open_now(user, report)
    tested = _backtests(user, report, dates[1:], histograms) if backtest else []
    stages = []
    for stage in report.stages.open:
        mine = [g for g in groups if g[0] == stage.pk]
        stages.append(
            StageForecast(
                stage_id=stage.pk,
                code=stage.code,
                title=stage.title,
                open_items=sum(int(g[2]) for g in mine),
                open_amount=sum(float(g[3] or 0) for g in mine),
                weighted_amount=_expect(mine, _chance(table, 0)).amount,
                expected={h: _expect(mine, _chance(table, h)) for h in HORIZONS},
            )
        )
    return Forecast(
        filter=report.as_dict(),
        as_of=report.now.isoformat(),
        open_items=sum(s.open_items for s in stages),
        open_amount=sum(s.open_amount for s in stages),
        weighted_amount=_expect(groups, _chance(table, 0)).amount,
        expected={h: _expect(groups, _chance(table, h)) for h in HORIZONS},
        stages=stages,
        probabilities=table,
        backtests=tested,
        backtest_summary=summarize(tested),
    )


BACKTEST_STEP = 30  # days between forecast dates
BACKTEST_ORIGINS = 6  # forecast dates: 30, 60, ... 180 days ago


def _backtest_dates(report: ReportFilter, origins: int = BACKTEST_ORIGINS) -> list[dt.datetime]:
    return [report.now - dt.timedelta(days=BACKTEST_STEP * step) for step in range(1, origins + 1)]


def backtests(user: User | None, report: ReportFilter, origins: int = BACKTEST_ORIGINS) -> list[Backtest]:
    """Forecast as of 30, 60, … days ago from the history before each date, against what was won since.

    A date and a horizon are tested when the whole horizon lies before now.
    """
    dates = _backtest_dates(report, origins)
    histograms = _training(user, report, dates)
    return _backtests(user, report, dates, {index + 1: rows for index, rows in histograms.items()})


def _backtests(
    user: User | None, report: ReportFilter, dates: list[dt.datetime], histograms: dict[int, list[tuple]]
) -> list[Backtest]:
    """The backtests of `dates` (past dates); `histograms[i + 1]` is the training of dates[i]. A date is
    tested for each horizon that ends by now."""
    results = []
    opened = _open_then(user, report, dates) if dates else {}
    for index, as_of in enumerate(dates):
        horizons = [h for h in HORIZONS if as_of + dt.timedelta(days=h) <= report.now]
        table = _probabilities(report, histograms[index + 1])
        groups = opened[index]
        for horizon in horizons:
            position = HORIZONS.index(horizon)
            expected = _expect(groups, _chance(table, horizon))
            actual_count = sum(int(g[5 + 2 * position] or 0) for g in groups)
            actual_amount = sum(float(g[6 + 2 * position] or 0) for g in groups)
            error = actual_amount - expected.amount
            results.append(
                Backtest(
                    horizon=horizon,
                    as_of=as_of.isoformat(),
                    open_items=sum(int(g[2]) for g in groups),
                    expected=expected,
                    actual_count=actual_count,
                    actual_amount=actual_amount,
                    error=error,
                    relative_error=error / actual_amount if actual_amount else None,
                    within_interval=expected.amount_interval.contains(actual_amount),
                )
            )
    return results


@dataclass(frozen=True, slots=True)
class BacktestSummary:
    horizon: int
    forecasts: int
    mean_absolute_error: float
    mean_absolute_percentage_error: float | None  # over forecasts whose actual was not zero
    weighted_absolute_percentage_error: float | None  # Σ |actual − expected| / Σ actual
    bias: float  # mean of actual − expected
    coverage: float | None  # share of actuals inside the 95% interval


def summarize(results: list[Backtest]) -> list[BacktestSummary]:
    """Return the error of the backtests per horizon."""
    summary = []
    for horizon in HORIZONS:
        mine = [r for r in results if r.horizon == horizon]
        if not mine:
            continue
        relative = [abs(r.relative_error) for r in mine if r.relative_error is not None]
        summary.append(
            BacktestSummary(
                horizon=horizon,
                forecasts=len(mine),
                mean_absolute_error=sum(abs(r.error) for r in mine) / len(mine),
                mean_absolute_percentage_error=sum(relative) / len(relative) if relative else None,
                weighted_absolute_percentage_error=rate(
                    sum(abs(r.error) for r in mine), sum(r.actual_amount for r in mine)
                ),
                bias=sum(r.error for r in mine) / len(mine),
                coverage=rate(sum(1 for r in mine if r.within_interval), len(mine)),
            )
        )
    return summary
