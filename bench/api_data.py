"""Bulk data for the API benchmark: a sales team and N leads (1,000,000 by default) with phones.

Reusable: `ensure_leads(n)` tops the current database up to `n` leads and returns what is
there. Rows have the shapes the services write (status, responsible, source, amounts, folded
search text, E.164 phones and lower-case e-mails); the stage history and the timeline are not
written, since a list page does not read them. Django must be set up before calling.
"""

import datetime as dt
import random
import time
from dataclasses import dataclass

BATCH = 20_000
MANAGERS = 20
FIRST = ["Иван", "Пётр", "Анна", "Мария", "Ольга", "Сергей", "Алексей", "Елена", "John", "Emma"]
LAST = ["Иванов", "Петров", "Смирнова", "Кузнецова", "Попов", "Соколов", "Новикова", "Miller", "Brown"]
COMPANIES = ["Ромашка", "Вектор", "Альфа", "Север", "Техстрой", "АгроПром", "Pumps Ltd", ""]
# Share of leads per status code: most leads of three years are closed.
STATUS_SHARE = {"NEW": 0.08, "IN_PROCESS": 0.10, "PROCESSED": 0.07, "CONVERTED": 0.30, "JUNK": 0.45}


@dataclass
class Dataset:
    leads: int
    managers: list[int]
    head_id: int
    status_ids: dict[str, int]
    seconds: float


def _team():
    from voronka.accounts.models import Department, User
    from voronka.accounts.services import create_user

    head = User.objects.filter(username="bench-head").first()
    generated = User.objects.filter(username__regex=r"^user\d\d$")
    if head is None and generated.filter(role__code="head_of_sales").exists():
        # bench/generate.py's team, who own its leads (bench/run.py clones that database).
        head = generated.filter(role__code="head_of_sales").order_by("pk").first()
        managers = list(generated.filter(role__code="manager").order_by("pk").values_list("pk", flat=True))
        return head.pk, managers
    if head is None:
        sales = Department.objects.create(name="Bench sales")
        head = create_user(username="bench-head", first_name="Olga", department=sales, role="head_of_sales")
        for index in range(MANAGERS):
            create_user(username=f"bench-{index:02d}", department=sales, role="manager")
    managers = list(
        User.objects.filter(username__startswith="bench-").exclude(pk=head.pk).values_list("pk", flat=True)
    )
    return head.pk, managers


def ensure_leads(count: int = 1_000_000, *, seed: int = 7, progress=print) -> Dataset:
    """Top the database up to `count` leads; return the team and the status ids."""
    from django.db import connection, transaction

    from voronka.crm.models import Communication, Lead, Source
    from voronka.crm.selectors.pipelines import lead_pipeline
    from voronka.lib.text import search_key

    started = time.monotonic()
    head_id, managers = _team()
    statuses = {stage.code: stage for stage in lead_pipeline().stages.all()}
    sources = list(Source.objects.values_list("pk", flat=True))
    have = Lead.objects.count()
    rng = random.Random(seed + have)
    now = dt.datetime.now(dt.UTC)
    codes, weights = list(STATUS_SHARE), list(STATUS_SHARE.values())
    while have < count:
        size = min(BATCH, count - have)
        leads, people = [], []
        for offset in range(size):
            number = have + offset
            first, last, company = rng.choice(FIRST), rng.choice(LAST), rng.choice(COMPANIES)
            status = statuses[rng.choices(codes, weights)[0]]
            created = now - dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
            closed = status.semantics != "open"
            phone = f"+7916{number:07d}"
            email = f"lead{number}@example.ru"
            title = f"{first} {last}" + (f" ({company})" if company else "")
            leads.append(
                Lead(
                    title=title,
                    first_name=first,
                    last_name=last,
                    company_title=company,
                    status=status,
                    amount=rng.randrange(0, 500) * 1000,
                    currency="RUB",
                    is_closed=closed,
                    closed_at=created + dt.timedelta(days=3) if closed else None,
                    stage_changed_at=created,
                    converted_at=created + dt.timedelta(days=3) if status.code == "CONVERTED" else None,
                    assigned_to_id=rng.choice(managers),
                    created_by_id=head_id,
                    source_id=rng.choice(sources),
                    created_at=created,
                    updated_at=created,
                    search_text=search_key(title, phone, phone.lstrip("+"), email),
                )
            )
            people.append((phone, email))
        with transaction.atomic():
            Lead.objects.bulk_create(leads, batch_size=2000)
            comms = []
            for lead, (phone, email) in zip(leads, people, strict=True):
                comms.append(
                    Communication(
                        kind="phone", label="mobile", value=phone, normalized=phone, lead_id=lead.pk
                    )
                )
                if lead.pk % 3:
                    comms.append(
                        Communication(
                            kind="email", label="work", value=email, normalized=email, lead_id=lead.pk, sort=1
                        )
                    )
            Communication.objects.bulk_create(comms, batch_size=4000)
        have += size
        progress(f"  {have:,} leads ({time.monotonic() - started:.0f} s)")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return Dataset(
        leads=have,
        managers=managers,
        head_id=head_id,
        status_ids={code: stage.pk for code, stage in statuses.items()},
        seconds=time.monotonic() - started,
    )
