"""Bulk data for the web benchmarks: a sales team and N deals (1,000,000 by default) in bulk.

Reusable: `ensure_deals(n)` tops the current database up to `n` deals and returns what is
there: up to 100,000 made row by row, the rest copies of those made in SQL (new ids, the
same mix of stages, owners, amounts and dates). Rows have the shapes the services write (stage, pipeline, responsible, amounts,
search text, clients); the history and timeline are written for a small sample only (the
card measured), since the board, the lists and a card do not read the rest.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from voronka.accounts.models import Department, User
from voronka.accounts.services import create_user
from voronka.crm.models import Company, Contact, Deal, Stage, StageHistory, TimelineEntry
from voronka.crm.selectors.pipelines import default_deal_pipeline
from voronka.lib.text import search_key

BATCH = 20_000
SEED_DEALS = 100_000  # generated row by row; the rest are copies of these (_copy_up)
MANAGERS = 20
CLIENTS = 20_000
WORDS = ["pump", "valve", "boiler", "tank", "filter", "station", "service", "delivery", "repair", "install"]
# Share of deals per stage code: a year of work, most deals closed.
STAGE_SHARE = {
    "NEW": 0.02,
    "PREPARATION": 0.02,
    "PREPAYMENT_INVOICE": 0.015,
    "EXECUTING": 0.015,
    "FINAL_INVOICE": 0.01,
    "WON": 0.32,
    "LOSE": 0.45,
    "APOLOGY": 0.15,
}


@dataclass
class Data:
    deals: int
    users: list[User]
    manager: User
    seconds: float


def _team() -> list[User]:
    users = list(User.objects.filter(username__startswith="bench_").order_by("pk"))
    if users:
        return users
    # bench/generate.py's managers, who own its deals (bench/run.py clones that database).
    users = list(User.objects.filter(username__regex=r"^user\d\d$", role__code="manager").order_by("pk"))
    if users:
        return users
    north = Department.objects.create(name="Bench North")
    south = Department.objects.create(name="Bench South")
    return [
        create_user(
            username=f"bench_{i:02d}",
            first_name=f"Manager{i:02d}",
            last_name="Bench",
            department=north if i % 2 else south,
            role="manager",
        )
        for i in range(MANAGERS)
    ]


def _clients(rng: random.Random, users: list[User]) -> tuple[list[int], list[int]]:
    if not Company.objects.exists():
        now = timezone.now()
        for start in range(0, CLIENTS, BATCH):
            count = min(BATCH, CLIENTS - start)
            Company.objects.bulk_create(
                Company(
                    title=f"Company {start + i}",
                    title_key=f"company {start + i}",
                    assigned_to=rng.choice(users),
                    currency="RUB",
                    search_text=f"company {start + i}",
                    created_at=now,
                    updated_at=now,
                )
                for i in range(count)
            )
            Contact.objects.bulk_create(
                Contact(
                    first_name=f"Person{start + i}",
                    last_name="Client",
                    assigned_to=rng.choice(users),
                    search_text=f"person{start + i} client",
                    created_at=now,
                    updated_at=now,
                )
                for i in range(count)
            )
    return list(Company.objects.values_list("pk", flat=True)), list(
        Contact.objects.values_list("pk", flat=True)
    )


def ensure_deals(total: int = 1_000_000, *, seed: int = 7) -> Data:
    """Top the database up to `total` deals in the default pipeline; return the team and timings."""
    started = time.perf_counter()
    rng = random.Random(seed)
    users = _team()
    pipeline = default_deal_pipeline()
    stages = {stage.code: stage for stage in Stage.objects.filter(pipeline=pipeline)}
    codes = [code for code in STAGE_SHARE if code in stages]
    weights = [STAGE_SHARE[code] for code in codes]
    companies, contacts = _clients(rng, users)
    have = Deal.objects.count()
    now = timezone.now()
    year = dt.timedelta(days=365)
    while have < min(total, SEED_DEALS):
        count = min(BATCH, min(total, SEED_DEALS) - have)
        rows = []
        for _i in range(count):
            stage = stages[rng.choices(codes, weights)[0]]
            created = now - year * rng.random()
            word = rng.choice(WORDS)
            title = f"{word.title()} #{have + _i}"
            rows.append(
                Deal(
                    title=title,
                    pipeline=pipeline,
                    stage=stage,
                    amount=Decimal(rng.randrange(1_000, 2_000_000, 100)),
                    currency="RUB",
                    is_closed=stage.closes_items,
                    closed_at=created + dt.timedelta(days=20) if stage.closes_items else None,
                    stage_changed_at=created,
                    assigned_to=rng.choice(users),
                    company_id=rng.choice(companies),
                    contact_id=rng.choice(contacts),
                    created_at=created,
                    updated_at=created,
                    search_text=search_key(title),
                )
            )
        with transaction.atomic():
            Deal.objects.bulk_create(rows, batch_size=2_000)
        have += count
    have = _copy_up(have, total)
    _card_sample(users[0], stages[codes[0]])
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE crm_deal")
    return Data(deals=have, users=users, manager=users[0], seconds=time.perf_counter() - started)


def _copy_up(have: int, total: int) -> int:
    """Grow the deals to `total` by copying the oldest ones (new ids) in SQL; return the count.

    Made one by one in Python, 1,000,000 deals took half an hour; copied in the database,
    a minute. The copies keep the generated mix of stages, owners, amounts and dates.
    """
    columns = [field.column for field in Deal._meta.concrete_fields if not field.primary_key]
    names = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(Deal._meta.db_table)
    while 0 < have < total:
        count = min(have, total - have, 200_000)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT {names} FROM {table} ORDER BY id LIMIT %s", [count]
            )
        have += count
    return have


def _card_sample(user: User, stage: Stage) -> None:
    """Give the newest deal a history and a timeline like a real one."""
    deal = Deal.objects.order_by("-pk").first()
    if deal is None or TimelineEntry.objects.filter(deal=deal).exists():
        return
    StageHistory.objects.create(deal=deal, pipeline_id=deal.pipeline_id, to_stage=deal.stage, moved_by=user)
    TimelineEntry.objects.bulk_create(
        TimelineEntry(deal=deal, kind=TimelineEntry.Kind.COMMENT, actor=user, text=f"Comment {i}")
        for i in range(30)
    )
