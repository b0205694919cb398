"""A reproducible bulk generator of deals and their stage history for benchmarks.

`generate(deals=1_000_000, history=5_000_000, seed=1)` fills the configured database with
managers, deals of the default deal pipeline (plus a second pipeline) and their stage
history in the shapes the services write (one history row per entry into a stage, the
creation row with no `from_stage`, closing rows into won/lost stages, a few backward moves),
spread over three years before `now`. Rows go in with COPY on PostgreSQL and `executemany`
in large transactions on SQLite, with the indexes in place, so the timing of a run is honest
about index maintenance. The same seed gives the same rows.

Reusable: other benchmarks import `generate()`; it is idempotent per database (it does
nothing when the database already holds at least `deals` deals).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from voronka.crm import stays

# The deal walks: per open stage (advance, lose) probabilities and the mean dwell in hours.
FLOW = [(0.92, 0.06, 30), (0.86, 0.12, 70), (0.72, 0.26, 140), (0.92, 0.06, 180), (0.95, 0.04, 60)]
MANAGERS = 60
SPAN = dt.timedelta(days=3 * 365)
CHUNK = 50_000


@dataclass
class Generated:
    deals: int
    history: int
    seconds: float


def _stages(pipeline_id: int) -> tuple[list[int], int, list[int]]:
    from voronka.crm.models import Stage

    rows = list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("sort", "pk"))
    opens = [s.pk for s in rows if s.semantics == "open"]
    won = next(s.pk for s in rows if s.semantics == "won")
    lost = [s.pk for s in rows if s.semantics == "lost"]
    return opens, won, lost


def _setup() -> tuple[list[int], list[int], list[tuple[int, list[int], int, list[int]]]]:
    from voronka.accounts.models import Department, User
    from voronka.accounts.services import create_user
    from voronka.crm.models import Pipeline, Source, Stage
    from voronka.crm.selectors.pipelines import default_deal_pipeline

    department = Department.objects.get_or_create(name="Bench sales")[0]
    users = []
    for index in range(MANAGERS):
        username = f"bench{index:03d}"
        user = User.objects.filter(username=username).first() or create_user(
            username=username, first_name="Bench", last_name=f"Manager {index}", department=department
        )
        users.append(user.pk)
    sources = list(Source.objects.order_by("pk").values_list("pk", flat=True))
    general = default_deal_pipeline()
    second = Pipeline.objects.filter(kind="deal", name="Bench wholesale").first()
    if second is None:
        second = Pipeline.objects.create(kind="deal", name="Bench wholesale", sort=50)
        names = ["Qualified", "Proposal sent", "Terms agreed", "Contract signed", "Shipped"]
        Stage.objects.bulk_create(
            [Stage(pipeline=second, code=f"S{i}", name=n, sort=(i + 1) * 10) for i, n in enumerate(names)]
            + [
                Stage(pipeline=second, code="WON", name="Paid", sort=100, semantics="won"),
                Stage(pipeline=second, code="PRICE", name="Price", sort=110, semantics="lost"),
                Stage(pipeline=second, code="RIVAL", name="Competitor", sort=120, semantics="lost"),
            ]
        )
    pipelines = [(p.pk, *_stages(p.pk)) for p in (general, second)]
    return users, sources, pipelines


def _walks(
    rng: random.Random, count: int, users, sources, pipelines, now: dt.datetime
) -> Iterator[tuple[tuple, list[tuple]]]:
    """Yield (deal row, history rows) for `count` deals; history rows have no deal id yet."""
    # Scale the dwell so most deals started long ago are closed while recent ones are open.
    for _ in range(count):
        pipeline_id, opens, won, lost = pipelines[0] if rng.random() < 0.75 else pipelines[1]
        user = rng.choice(users)
        created = now - SPAN * rng.random()
        at = created
        rows = [(pipeline_id, None, opens[0], at, user, False)]
        index, stage, closed_at = 0, opens[0], None
        while True:
            advance, lose, hours = FLOW[min(index, len(FLOW) - 1)]
            at = at + dt.timedelta(hours=rng.expovariate(1 / hours) + 0.1)
            if at >= now:
                break
            roll = rng.random()
            if roll < advance:
                if index + 1 >= len(opens):
                    rows.append((pipeline_id, stage, won, at, user, False))
                    stage, closed_at = won, at
                    break
                index += 1
                rows.append((pipeline_id, stage, opens[index], at, user, False))
                stage = opens[index]
                if index >= 2 and rng.random() < 0.04:
                    at = at + dt.timedelta(hours=rng.uniform(1, 20))
                    if at < now:
                        index -= 1
                        rows.append((pipeline_id, stage, opens[index], at, user, True))
                        stage = opens[index]
            elif roll < advance + lose:
                reason = rng.choice(lost)
                rows.append((pipeline_id, stage, reason, at, user, False))
                stage, closed_at = reason, at
                break
        amount = rng.randrange(10, 2000) * 1000
        deal = (pipeline_id, stage, amount, closed_at, rows[-1][3], user, rng.choice(sources), created)
        yield deal, rows


def generate(
    *, deals: int = 1_000_000, history: int = 5_000_000, seed: int = 1, now: dt.datetime | None = None
) -> Generated:
    """Fill the database with `deals` deals and about `history` history rows (idempotent)."""
    from voronka.crm.models import Deal

    started = timezone.now()
    existing = Deal.objects.count()
    if existing >= deals:
        from voronka.crm.models import StageHistory

        return Generated(existing, StageHistory.objects.count(), 0.0)
    now = now or timezone.now().replace(microsecond=0)
    rng = random.Random(seed)
    users, sources, pipelines = _setup()
    next_id = (Deal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    walks = _walks(rng, deals - existing, users, sources, pipelines, now)
    # The history's stay triggers cost an index probe or three per row (5x the COPY's time on
    # PostgreSQL): off while loading, the stays filled in one statement after.
    with connection.cursor() as cursor:
        stays.suspend(cursor, connection.vendor)
    try:
        total_history = _load(walks, next_id)
    finally:
        with connection.cursor() as cursor, transaction.atomic():
            stays.resume(cursor, connection.vendor)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE crm_deal")
            cursor.execute("ANALYZE crm_stagehistory")
        else:
            cursor.execute("ANALYZE")
    return Generated(deals, total_history, (timezone.now() - started).total_seconds())


def _load(walks, next_id: int) -> int:
    total_history = 0
    while True:
        deal_rows, history_rows = [], []
        for deal, rows in walks:
            pipeline_id, stage, amount, closed_at, changed_at, user, source, created = deal
            deal_rows.append(
                (
                    next_id,
                    f"Deal {next_id}",
                    pipeline_id,
                    stage,
                    amount,
                    closed_at is not None,
                    closed_at,
                    changed_at,
                    user,
                    source,
                    created,
                )
            )
            for pipeline, source_stage, to_stage, at, mover, backward in rows:
                history_rows.append((next_id, pipeline, source_stage, to_stage, at, mover, backward))
            next_id += 1
            if len(deal_rows) >= CHUNK:
                break
        if not deal_rows:
            break
        _insert(deal_rows, history_rows)
        total_history += len(history_rows)
    return total_history


DEAL_COLUMNS = (
    "id, title, pipeline_id, stage_id, amount, is_closed, closed_at, stage_changed_at, assigned_to_id, "
    "source_id, created_at, updated_at, created_by_id, currency, source_description, comments, custom, "
    "search_text, is_repeat, utm"
)
HISTORY_COLUMNS = "deal_id, pipeline_id, from_stage_id, to_stage_id, moved_at, moved_by_id, assigned_to_id, is_backward, reason"


def _deal_values(row: tuple) -> tuple:
    pk, title, pipeline, stage, amount, closed, closed_at, changed, user, source, created = row
    return (
        pk,
        title,
        pipeline,
        stage,
        amount,
        closed,
        closed_at,
        changed,
        user,
        source,
        created,
        changed,
        user,
        "RUB",
        "",
        "",
        "{}",
        "",
        False,
        "{}",
    )


def _history_values(row: tuple) -> tuple:
    deal, pipeline, source_stage, to_stage, at, mover, backward = row
    return (
        deal,
        pipeline,
        source_stage,
        to_stage,
        at,
        mover,
        mover,
        backward,
        "moved back" if backward else "",
    )


@transaction.atomic
def _insert(deal_rows: list[tuple], history_rows: list[tuple]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor
            with raw.copy(f"COPY crm_deal ({DEAL_COLUMNS}) FROM STDIN") as copy:
                for row in deal_rows:
                    copy.write_row(_deal_values(row))
            with raw.copy(f"COPY crm_stagehistory ({HISTORY_COLUMNS}) FROM STDIN") as copy:
                for row in history_rows:
                    copy.write_row(_history_values(row))
            return
        ops = connection.ops
        deals = [
            tuple(
                ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v for v in _deal_values(r)
            )
            for r in deal_rows
        ]
        marks = ", ".join(["%s"] * 20)
        cursor.executemany(f"INSERT INTO crm_deal ({DEAL_COLUMNS}) VALUES ({marks})", deals)
        rows = [
            tuple(
                ops.adapt_datetimefield_value(v) if isinstance(v, dt.datetime) else v
                for v in _history_values(r)
            )
            for r in history_rows
        ]
        marks = ", ".join(["%s"] * 9)
        cursor.executemany(f"INSERT INTO crm_stagehistory ({HISTORY_COLUMNS}) VALUES ({marks})", rows)
