"""The benchmarks' data: one realistic CRM database, built in bulk, reproducible by seed.

    .venv/bin/python bench/generate.py [--database sqlite|postgres] [--scale 1.0] [--seed 1] [--force]

At scale 1 it holds 50 users in 5 departments, 100,000 companies, 1,000,000 contacts (a phone and
an e-mail each), 1,000,000 leads (phones, e-mails, status history), 1,000,000 deals in 3
pipelines with about 5,000,000 stage-history rows in all (every deal's walk through its
stages: forward moves, a few backward ones, the closing move to a won or lost stage; every
lead's creation and closing) and 2,000,000 activities (done calls, meetings, e-mails in the
past, planned ones ahead). `--scale 0.01` makes a hundredth of every count for a quick run.

Above scale 0.1 a tenth is generated row by row and the rest are copies of it made in SQL
(`copy_up`): each copy gets new ids, its own phones, e-mails, titles and search text where those
carry the item's number, and its times moved a few minutes back, so every walk, mix and
distribution of the generated part holds for the whole. Row by row, scale 1 took 18 minutes on
SQLite; this way it takes a few.

Rows have the shapes the services write: folded `search_text`, E.164 phones and lower-case
e-mails in `normalized`, `stage_changed_at` = the last history row's time, `is_closed` /
`closed_at` from the stage's semantics, history rows whose last `to_stage` is the item's
current stage. They go in through the bulk paths only: COPY on PostgreSQL (psycopg), multi-row
`executemany` on SQLite with its journal and sync off while loading; the secondary indexes are
dropped before the load and built after it, and the history's stay triggers (crm.stays) are
suspended and their columns filled in one statement at the end. Contacts follow bench/intake_data.py's numbering
(phone +79000000000 + i, e-mail bench<i>@example.com) so the intake benchmark finds them.

The database is built once per (database kind, scale, seed) — `bench/data/base-<scale>-<seed>.sqlite3`
or the PostgreSQL database `voronka_bench_base_<scale>_<seed>`, built again when a migration or this
file changes (`fingerprint()`) — and each benchmark takes its own
copy with `clone()` (a file copy, or `CREATE DATABASE … TEMPLATE`), so the benchmarks' writes
never leak into one another and the expensive part is paid once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")

USERS = 50
DEPARTMENTS = ["Sales North", "Sales South", "Key accounts", "Online sales", "Partners"]
FULL = {
    "companies": 100_000,
    "contacts": 1_000_000,
    "leads": 1_000_000,
    "deals": 1_000_000,
    "activities": 2_000_000,
}
SPAN = dt.timedelta(days=3 * 365)
CHUNK = 50_000
GENERATED = 0.1  # the largest share generated row by row; above it, copies (copy_up)
SHIFT = 997  # seconds each copy's times move back from the one before
FIRST = ["Иван", "Пётр", "Анна", "Мария", "Ольга", "Сергей", "Алексей", "Елена", "John", "Emma", "Дмитрий"]
LAST = ["Иванов", "Петров", "Смирнова", "Кузнецова", "Попов", "Соколов", "Новикова", "Miller", "Brown"]
FIRMS = ["Ромашка", "Вектор", "Альфа", "Север", "Техстрой", "АгроПром", "Pumps", "Nordic", "Уралсталь"]
WORDS = ["Насосы", "Клапаны", "Котёл", "Pumps", "Valves", "Монтаж", "Сервис", "Поставка", "Ремонт"]
# Lead statuses: the share of leads in each, by code (most leads of three years are closed).
LEAD_SHARE = {"NEW": 0.08, "IN_PROCESS": 0.10, "PROCESSED": 0.07, "CONVERTED": 0.30, "JUNK": 0.45}
# A deal's walk: per open stage (advance, lose) probabilities and the mean dwell in hours.
FLOW = [(0.62, 0.36, 90), (0.60, 0.38, 210), (0.55, 0.42, 420), (0.85, 0.13, 540), (0.90, 0.08, 180)]
PIPELINES = [
    ("General", None, 0.6),
    ("Wholesale", ["Qualified", "Proposal sent", "Terms agreed", "Contract signed", "Shipped"], 0.25),
    ("Service", ["Request", "Diagnostics", "Estimate sent", "Repair"], 0.15),
]
LOSS = ["Price", "Competitor", "No budget"]


def counts(scale: float) -> dict[str, int]:
    return {name: max(10, round(full * scale)) for name, full in FULL.items()}


def parts(scale: float) -> tuple[float, int]:
    """The scale generated row by row, and how many copies of it make `scale` (itself included)."""
    copies = max(1, round(scale / GENERATED)) if scale > GENERATED else 1
    return scale / copies, copies


def scale_tag(scale: float) -> str:
    return f"{scale:g}".replace(".", "_")


# --- where the base lives, and copies of it ------------------------------------------------
def base_url(vendor: str, scale: float, seed: int) -> str:
    if vendor == "sqlite":
        return f"sqlite:///{DATA / f'base-{scale_tag(scale)}-{seed}.sqlite3'}"
    return f"{PG_SERVER}/voronka_bench_base_{scale_tag(scale)}_{seed}"


def _pg(sql: str, *params, fetch: bool = False):
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql, params or None)
        return cursor.fetchall() if fetch else None


def pg_available() -> str | None:
    """None when the PostgreSQL server answers, else why not."""
    try:
        _pg("SELECT 1")
    except Exception as error:
        return f"{type(error).__name__}: {str(error).strip().splitlines()[0]}"
    return None


def fingerprint() -> str:
    """What the base was built from: the migrations and this generator (a change builds it again)."""
    import hashlib

    digest = hashlib.sha256(Path(__file__).read_bytes())
    for path in sorted((ROOT / "src" / "voronka").glob("*/migrations/*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _stamp(scale: float, seed: int) -> str:
    return f"voronka bench base scale={scale} seed={seed} build={fingerprint()}"


def _ready(vendor: str, url: str, stamp: str) -> bool:
    if vendor == "sqlite":
        ok = Path(url.removeprefix("sqlite:///") + ".ok")
        return ok.exists() and json.loads(ok.read_text() or "{}").get("stamp") == stamp
    name = url.rsplit("/", 1)[1]
    rows = _pg(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", name, fetch=True
    )
    return bool(rows and rows[0][0] == stamp)


def ensure_base(vendor: str, scale: float = 1.0, seed: int = 1, *, force: bool = False) -> str:
    """Build the base database once (in a child process); return its URL."""
    url, stamp = base_url(vendor, scale, seed), _stamp(scale, seed)
    if not force and _ready(vendor, url, stamp):
        return url
    if vendor == "sqlite":
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob(path.name + "*"):
            stale.unlink()
    else:
        name = url.rsplit("/", 1)[1]
        _pg(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        _pg(f'CREATE DATABASE "{name}"')
    command = [sys.executable, __file__, "--here", "--scale", str(scale), "--seed", str(seed)]
    subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, check=True)
    if vendor == "sqlite":
        Path(url.removeprefix("sqlite:///") + ".ok").write_text(json.dumps({"stamp": stamp}))
    else:
        _pg(f"COMMENT ON DATABASE \"{name}\" IS '{stamp}'")
    return url


def clone(vendor: str, name: str, scale: float = 1.0, seed: int = 1) -> str:
    """A fresh copy of the base database for one benchmark; return its URL."""
    base = ensure_base(vendor, scale, seed)
    if vendor == "sqlite":
        source = Path(base.removeprefix("sqlite:///"))
        target = DATA / f"{name}-{scale_tag(scale)}-{seed}.sqlite3"
        for stale in target.parent.glob(target.name + "*"):
            stale.unlink()
        shutil.copyfile(source, target)
        return f"sqlite:///{target}"
    database = f"voronka_bench_{name}_{scale_tag(scale)}_{seed}"
    _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    _pg(f'CREATE DATABASE "{database}" TEMPLATE "{base.rsplit("/", 1)[1]}"')
    return f"{PG_SERVER}/{database}"


def drop(url: str) -> None:
    """Remove a copy made by `clone()`."""
    if url.startswith("sqlite:///"):
        for path in DATA.glob(Path(url.removeprefix("sqlite:///")).name + "*"):
            path.unlink()
    else:
        _pg(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# --- the load (runs inside Django, on DATABASE_URL) ------------------------------------------
class Table:
    """Bulk rows for one model: the given columns per row, every other column at its default."""

    def __init__(self, model, columns: list[str]):
        from django.db import connection

        self.vendor = connection.vendor
        self.table = model._meta.db_table
        fields = list(model._meta.concrete_fields)
        given = set(columns)
        self.rest = [f for f in fields if f.attname not in given and not f.primary_key]
        self.columns = columns + [f.column for f in self.rest]
        tail = []
        for field in self.rest:
            value = field.get_default()
            if field.get_internal_type() == "JSONField":
                value = json.dumps(value) if value is not None else None
            elif value is not None:
                value = field.get_db_prep_save(value, connection)
            tail.append(value)
        self.tail = tuple(tail)
        self.rows: list[tuple] = []
        # SQLite gets datetimes as naive UTC text and durations as microseconds, as Django stores them.
        kinds = {f.attname: f.get_internal_type() for f in fields}
        self.times = [i for i, c in enumerate(columns) if kinds[c] == "DateTimeField"]
        self.durations = [i for i, c in enumerate(columns) if kinds[c] == "DurationField"]

    def add(self, *values) -> None:
        self.rows.append(values)

    def flush(self, cursor) -> int:
        count = len(self.rows)
        if not count:
            return 0
        tail = self.tail
        names = ", ".join(f'"{c}"' for c in self.columns)
        if self.vendor == "postgresql":
            with cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                for row in self.rows:
                    copy.write_row(row + tail)
        else:
            marks = ", ".join("?" * len(self.columns))
            rows = []
            for row in self.rows:
                row = list(row)
                for i in self.times:
                    if row[i] is not None:
                        row[i] = row[i].isoformat(" ")
                for i in self.durations:
                    if row[i] is not None:
                        row[i] = row[i] // MICROSECOND
                rows.append(tuple(row) + tail)
            cursor.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)
        self.rows = []
        return count


MICROSECOND = dt.timedelta(microseconds=1)


def _indexes(cursor, vendor: str, tables: list[str]) -> list[tuple[str, str]]:
    """The secondary (non-unique) indexes of these tables: (name, CREATE statement)."""
    if vendor == "postgresql":
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.indexname "
            "JOIN pg_index x ON x.indexrelid = c.oid WHERE i.tablename = ANY(%s) AND NOT x.indisunique",
            [tables],
        )
        return cursor.fetchall()
    marks = ", ".join("?" * len(tables))
    cursor.execute(
        f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN ({marks})",
        tables,
    )
    return cursor.fetchall()


def copy_up(cursor, n: dict[str, int], copies: int) -> dict[str, int]:
    """Add `copies - 1` copies of the generated rows in SQL; return the rows added per kind.

    Copy k gets ids (and the references between copied rows) moved up by k times the generated
    count, the phones, e-mails, titles and search text that carry an item's number rebuilt for its
    new number, and every time moved back by k x SHIFT seconds (never into the future).
    """
    from django.db import connection

    from voronka.activities.models import Activity
    from voronka.crm.models import Communication, Company, Contact, Deal, Lead, StageHistory

    sqlite = connection.vendor == "sqlite"
    numbered = {Company: "companies", Contact: "contacts", Lead: "leads", Deal: "deals"}
    kinds = {Communication: "communications", StageHistory: "history", Activity: "activities"}

    def pad7(number: str) -> str:  # zero-padded to 7 digits, in both dialects
        return f"substr('0000000' || ({number}), length('0000000' || ({number})) - 6)"

    def shifted(column: str, seconds: int) -> str:
        if sqlite:  # Django's text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; whole seconds keep the fraction
            return f"strftime('%Y-%m-%d %H:%M:%S', {column}, '-{seconds} seconds') || substr({column}, 20)"
        return f"{column} - interval '{seconds} seconds'"

    def overrides(model, off: dict) -> dict[str, str]:
        contact, lead, deal = (
            f"(contact_id + {off[Contact]})",
            f"(lead_id + {off[Lead]})",
            f"(id + {off[Deal]})",
        )
        if model is Contact:
            j = f"(id + {off[Contact]} - 1)"  # bench/intake_data.py's numbering: contact i+1 is client i
            return {
                "first_name": f"'Client' || {j}",
                "search_text": f"'client' || {j} || ' bench +' || (79000000000 + {j}) || ' bench' || {j} "
                "|| '@example.com'",
            }
        if model is Communication:
            value = (
                f"CASE WHEN contact_id IS NOT NULL THEN CASE kind WHEN 'phone' "
                f"THEN '+' || (79000000000 + {contact} - 1) ELSE 'bench' || ({contact} - 1) || '@example.com' END "
                f"ELSE CASE kind WHEN 'phone' THEN '+7916' || {pad7(lead)} "
                f"ELSE 'lead' || {lead} || '@example.ru' END END"
            )
            return {"value": value, "normalized": value}
        if model is Lead:
            new = f"(id + {off[Lead]})"
            return {
                "search_text": f"replace(replace(search_text, '7916' || {pad7('id')}, '7916' || {pad7(new)}), "
                f"'lead' || id || '@', 'lead' || {new} || '@')"
            }
        if model is Deal:
            return {
                column: f"replace({column}, '#' || id, '#' || {deal})" for column in ("title", "search_text")
            }
        return {}

    last = {}
    for model in kinds:
        cursor.execute(f"SELECT max(id) FROM {model._meta.db_table}")
        last[model] = cursor.fetchone()[0] or 0
    added = dict.fromkeys([*numbered.values(), *kinds.values()], 0)
    for k in range(1, copies):
        off = {model: k * n[name] for model, name in numbered.items()}
        for model in [*numbered, *kinds]:
            table, columns, values = model._meta.db_table, [], []
            special = overrides(model, off)
            for field in model._meta.concrete_fields:
                column = field.column
                if field.primary_key:
                    if model not in numbered:
                        continue  # a new id from the sequence
                    expression = f"id + {off[model]}"
                elif column in special:
                    expression = special[column]
                elif field.is_relation and field.related_model in off:
                    expression = f"{column} + {off[field.related_model]}"
                elif field.get_internal_type() == "DateTimeField":
                    expression = shifted(column, k * SHIFT)
                else:
                    expression = column
                columns.append(connection.ops.quote_name(column))
                values.append(expression)
            limit = n[numbered[model]] if model in numbered else last[model]
            cursor.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(values)} FROM {table} "
                f"WHERE id <= {limit}"
            )
            added[numbered.get(model) or kinds[model]] += cursor.rowcount
    return added


def _setup(rng: random.Random):
    """Departments, 50 users, the three deal pipelines; return what the rows refer to."""
    from voronka.accounts.models import Department, User
    from voronka.accounts.services import create_user
    from voronka.crm.models import Pipeline, Source, Stage
    from voronka.crm.selectors.pipelines import default_deal_pipeline, lead_pipeline

    departments = [Department.objects.get_or_create(name=name)[0] for name in DEPARTMENTS]
    users = []
    for index in range(USERS):
        username = f"user{index:02d}"
        user = User.objects.filter(username=username).first()
        if user is None:
            role = "administrator" if index == 0 else ("head_of_sales" if index <= 5 else "manager")
            user = create_user(
                username=username,
                first_name=rng.choice(FIRST),
                last_name=rng.choice(LAST),
                email=f"{username}@voronka.example",
                department=departments[index % len(departments)],
                role=role,
                is_superuser=index == 0,
            )
        users.append(user.pk)
    pipelines = []
    for name, names, share in PIPELINES:
        if names is None:
            pipeline = default_deal_pipeline()
        else:
            pipeline = Pipeline.objects.filter(kind="deal", name=name).first()
            if pipeline is None:
                pipeline = Pipeline.objects.create(kind="deal", name=name, sort=100 + len(pipelines))
                Stage.objects.bulk_create(
                    [
                        Stage(pipeline=pipeline, code=f"S{i}", name=n, sort=(i + 1) * 10)
                        for i, n in enumerate(names)
                    ]
                    + [Stage(pipeline=pipeline, code="WON", name="Won", sort=100, semantics="won")]
                    + [
                        Stage(pipeline=pipeline, code=f"L{i}", name=n, sort=110 + i, semantics="lost")
                        for i, n in enumerate(LOSS)
                    ]
                )
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("sort", "pk"))
        opens = [s.pk for s in stages if s.semantics == "open"]
        won = next(s.pk for s in stages if s.semantics == "won")
        lost = [s.pk for s in stages if s.semantics == "lost"]
        pipelines.append((pipeline.pk, opens, won, lost, share))
    statuses = {s.code: s for s in lead_pipeline().stages.all()}
    sources = list(Source.objects.order_by("pk").values_list("pk", flat=True))
    return users, pipelines, statuses, lead_pipeline().pk, sources


def load(scale: float, seed: int, log=print) -> dict[str, int]:
    """Fill the (migrated, empty) database of DATABASE_URL; return the row counts."""
    from django.db import connection, transaction
    from django.utils import timezone

    from voronka.activities.models import Activity
    from voronka.crm import stays
    from voronka.crm.models import Communication, Company, Contact, Deal, Lead, StageHistory
    from voronka.lib.text import company_key, search_key

    started = time.monotonic()
    rng = random.Random(seed)
    part, copies = parts(scale)
    n = counts(part)
    now = timezone.now().replace(microsecond=0)
    if connection.vendor == "sqlite":
        now = now.replace(tzinfo=None)  # naive UTC, as Django stores it there
    users, pipelines, statuses, lead_pipeline_id, sources = _setup(rng)
    vendor = connection.vendor
    made = dict.fromkeys(
        ["companies", "contacts", "leads", "deals", "history", "communications", "activities"], 0
    )

    company = Table(
        Company,
        ["id", "title", "title_key", "assigned_to_id", "currency", "search_text", "created_at", "updated_at"],
    )
    contact = Table(
        Contact,
        ["id", "first_name", "last_name", "company_id", "assigned_to_id", "source_id", "source_description",
         "search_text", "created_at", "updated_at"],
    )  # fmt: skip
    comm = Table(Communication, ["kind", "label", "value", "normalized", "sort", "lead_id", "contact_id"])
    lead = Table(
        Lead,
        ["id", "title", "first_name", "last_name", "company_title", "status_id", "amount", "currency",
         "is_closed", "closed_at", "stage_changed_at", "converted_at", "assigned_to_id", "created_by_id",
         "source_id", "created_at", "updated_at", "search_text"],
    )  # fmt: skip
    deal = Table(
        Deal,
        ["id", "title", "pipeline_id", "stage_id", "amount", "currency", "is_closed", "closed_at",
         "stage_changed_at", "probability", "assigned_to_id", "created_by_id", "source_id", "company_id",
         "contact_id", "created_at", "updated_at", "search_text"],
    )  # fmt: skip
    history = Table(
        StageHistory,
        ["lead_id", "deal_id", "pipeline_id", "from_stage_id", "to_stage_id", "moved_at", "moved_by_id",
         "assigned_to_id", "is_backward", "reason"],
    )  # fmt: skip
    activity = Table(
        Activity,
        ["lead_id", "deal_id", "kind", "direction", "subject", "deadline", "duration", "assigned_to_id",
         "is_done", "done_at", "done_by_id", "created_by_id", "created_at", "updated_at"],
    )  # fmt: skip
    tables = [company, contact, comm, lead, deal, history, activity]
    names = [t.table for t in tables]

    raw = connection.connection if vendor == "sqlite" else None
    with connection.cursor() as django_cursor:
        cursor = django_cursor.cursor  # the driver's own cursor: no per-statement wrapping
        dropped = _indexes(django_cursor, vendor, names)
        for name, _sql in dropped:
            django_cursor.execute(f'DROP INDEX "{name}"')
        stays.suspend(django_cursor, vendor)  # the history's stay triggers: filled in one pass at the end
        if vendor == "sqlite":
            pragmas = ("foreign_keys=OFF", "synchronous=OFF", "cache_size=-400000", "temp_store=MEMORY")
            for pragma in pragmas if not connection.in_atomic_block else ():  # (tests load in a transaction)
                raw.execute(f"PRAGMA {pragma}")
        else:
            django_cursor.execute("SET session_replication_role = replica")  # no FK triggers while loading
            django_cursor.execute("SET maintenance_work_mem = '1GB'")  # index builds sort in memory

        def flush(*chosen: Table) -> None:
            with transaction.atomic():
                for table in chosen:
                    table.flush(cursor)

        def progress(what: str) -> None:
            log(f"  {what} ({time.monotonic() - started:.0f} s)", flush=True)

        # Companies and contacts (contacts numbered as bench/intake_data.py does).
        for i in range(1, n["companies"] + 1):
            title = f"{rng.choice(FIRMS)} {i}"
            created = now - SPAN * rng.random()
            company.add(
                i, title, company_key(title), rng.choice(users), "RUB", search_key(title), created, created
            )
            if len(company.rows) >= CHUNK:
                made["companies"] += len(company.rows)
                flush(company)
        made["companies"] += len(company.rows)
        flush(company)
        for i in range(n["contacts"]):
            first, last = f"Client{i}", "Bench"
            phone, email = f"+{79_000_000_000 + i}", f"bench{i}@example.com"
            created = now - SPAN * rng.random()
            contact.add(
                i + 1, first, last, rng.randrange(1, n["companies"] + 1) if i % 3 else None, rng.choice(users),
                rng.choice(sources), "bench-intake", search_key(first, last, phone, email), created, created,
            )  # fmt: skip
            comm.add("phone", "work", phone, phone, 0, None, i + 1)
            comm.add("email", "work", email, email, 1, None, i + 1)
            if len(contact.rows) >= CHUNK:
                made["contacts"] += len(contact.rows)
                made["communications"] += len(comm.rows)
                flush(contact, comm)
        made["contacts"] += len(contact.rows)
        made["communications"] += len(comm.rows)
        flush(contact, comm)
        progress(f"{made['companies']:,} companies, {made['contacts']:,} contacts")

        # Leads, their phones and e-mails, their status history (creation, then the last move).
        codes, weights = list(LEAD_SHARE), list(LEAD_SHARE.values())
        first_status = statuses["NEW"].pk
        for i in range(1, n["leads"] + 1):
            first, last, firm = rng.choice(FIRST), rng.choice(LAST), rng.choice(FIRMS)
            status = statuses[rng.choices(codes, weights)[0]]
            created = now - SPAN * rng.random()
            user = rng.choice(users)
            closed = status.semantics != "open"
            changed = min(created + dt.timedelta(hours=rng.expovariate(1 / 50)), now)
            phone = f"+7916{i:07d}"
            email = f"lead{i}@example.ru"
            title = f"{first} {last} ({firm})"
            lead.add(
                i, title, first, last, firm, status.pk, rng.randrange(0, 500) * 1000, "RUB", closed,
                changed if closed else None, changed, changed if status.code == "CONVERTED" else None,
                user, user, rng.choice(sources), created, changed,
                search_key(title, phone, phone.lstrip("+"), email),
            )  # fmt: skip
            comm.add("phone", "mobile", phone, phone, 0, i, None)
            if i % 3:
                comm.add("email", "work", email, email, 1, i, None)
            history.add(i, None, lead_pipeline_id, None, first_status, created, user, user, False, "")
            if status.pk != first_status:
                history.add(
                    i, None, lead_pipeline_id, first_status, status.pk, changed, user, user, False, ""
                )
            if len(lead.rows) >= CHUNK:
                made["leads"] += len(lead.rows)
                made["communications"] += len(comm.rows)
                made["history"] += len(history.rows)
                flush(lead, comm, history)
        made["leads"] += len(lead.rows)
        made["communications"] += len(comm.rows)
        made["history"] += len(history.rows)
        flush(lead, comm, history)
        progress(f"{made['leads']:,} leads")

        # Deals: each walks through its pipeline's stages; the history is the walk.
        shares = [p[4] for p in pipelines]
        for i in range(1, n["deals"] + 1):
            pipeline_id, opens, won, lost, _share = rng.choices(pipelines, shares)[0]
            user = rng.choice(users)
            created = now - SPAN * rng.random() ** 2  # a growing business: more deals lately
            at, index, stage, closed_at, changed = created, 0, opens[0], None, created
            history.add(None, i, pipeline_id, None, stage, at, user, user, False, "")
            while True:
                advance, lose, hours = FLOW[min(index, len(FLOW) - 1)]
                step = at + dt.timedelta(hours=rng.expovariate(1 / hours) + 0.1)
                if step >= now:
                    break
                at, roll = step, rng.random()
                if roll < advance + lose:
                    changed = at
                if roll < advance:
                    if index + 1 >= len(opens):
                        history.add(None, i, pipeline_id, stage, won, at, user, user, False, "")
                        stage, closed_at = won, at
                        break
                    index += 1
                    history.add(None, i, pipeline_id, stage, opens[index], at, user, user, False, "")
                    stage = opens[index]
                    if index >= 2 and rng.random() < 0.04:
                        back = at + dt.timedelta(hours=rng.uniform(1, 20))
                        if back < now:
                            at, changed, index = back, back, index - 1
                            history.add(
                                None, i, pipeline_id, stage, opens[index], at, user, user, True, "moved back"
                            )
                            stage = opens[index]
                elif roll < advance + lose:
                    reason = rng.choice(lost)
                    history.add(None, i, pipeline_id, stage, reason, at, user, user, False, "")
                    stage, closed_at = reason, at
                    break
            word = rng.choice(WORDS)
            title = f"{word} #{i}"
            deal.add(
                i, title, pipeline_id, stage, rng.randrange(10, 2000) * 1000, "RUB", closed_at is not None,
                closed_at, changed, None if closed_at else 10 * (index + 1), user, user, rng.choice(sources),
                rng.randrange(1, n["companies"] + 1), rng.randrange(1, n["contacts"] + 1), created, changed,
                search_key(title),
            )  # fmt: skip
            if len(deal.rows) >= CHUNK:
                made["deals"] += len(deal.rows)
                made["history"] += len(history.rows)
                flush(deal, history)
        made["deals"] += len(deal.rows)
        made["history"] += len(history.rows)
        flush(deal, history)
        progress(f"{made['deals']:,} deals, {made['history']:,} history rows")

        # Activities: done ones in the past, planned ones ahead (some overdue), on deals and leads.
        kinds = [
            ("call", "outgoing"),
            ("call", "incoming"),
            ("meeting", ""),
            ("email", "outgoing"),
            ("task", ""),
        ]
        for i in range(n["activities"]):
            kind, direction = rng.choice(kinds)
            user = rng.choice(users)
            on_deal = rng.random() < 0.7
            owner = rng.randrange(1, (n["deals"] if on_deal else n["leads"]) + 1)
            planned = rng.random() < 0.08
            deadline = (
                now + dt.timedelta(hours=rng.uniform(-72, 24 * 30)) if planned else now - SPAN * rng.random()
            )
            done = not planned
            activity.add(
                None if on_deal else owner, owner if on_deal else None, kind, direction,
                f"{kind.title()} #{i}", deadline, dt.timedelta(minutes=rng.choice((5, 15, 30, 60))), user,
                done, deadline if done else None, user if done else None, user, deadline - dt.timedelta(days=1),
                deadline,
            )  # fmt: skip
            if len(activity.rows) >= CHUNK:
                made["activities"] += len(activity.rows)
                flush(activity)
        made["activities"] += len(activity.rows)
        flush(activity)
        progress(f"{made['activities']:,} activities")

        if copies > 1:
            for key, added in copy_up(django_cursor, n, copies).items():
                made[key] += added
            progress(f"{copies - 1} copies: {made['leads']:,} leads, {made['deals']:,} deals, "
                     f"{made['history']:,} history rows, {made['activities']:,} activities")  # fmt: skip
        stays.resume(django_cursor, vendor)
        progress("stays filled")
        for _name, sql in dropped:
            django_cursor.execute(sql)
        progress(f"{len(dropped)} indexes rebuilt")
        if vendor == "sqlite":
            raw.execute("PRAGMA foreign_keys=ON")
        else:
            django_cursor.execute("SET session_replication_role = DEFAULT")
            from django.core.management.color import no_style

            for sql in connection.ops.sequence_reset_sql(
                no_style(), [Company, Contact, Communication, Lead, Deal, StageHistory, Activity]
            ):
                django_cursor.execute(sql)
        if vendor == "postgresql" and not connection.in_atomic_block:
            # What autovacuum does to a live database after a load: besides the statistics, the
            # visibility map that lets index-only scans skip the table's pages (a base never vacuumed
            # reads the heap for every index entry: reports took 1.2-1.6x the CPU on it).
            django_cursor.execute("VACUUM (ANALYZE)")
        else:
            django_cursor.execute("ANALYZE")
        if vendor == "sqlite" and not connection.in_atomic_block:
            django_cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    made["seconds"] = round(time.monotonic() - started)
    return made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", help="sqlite, postgres or both")
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", 1.0)))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--force", action="store_true", help="build again even when the base exists")
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "voronka.settings")
        os.environ.setdefault("TASKS_BACKEND", "immediate")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        made = load(args.scale, args.seed)
        print("generated: " + ", ".join(f"{v:,} {k}" for k, v in made.items() if k != "seconds")
              + f" in {made['seconds']} s")  # fmt: skip
        return
    vendors = {"sqlite": ["sqlite"], "postgres": ["postgresql"], "postgresql": ["postgresql"]}.get(
        args.database, ["sqlite", "postgresql"]
    )
    for vendor in vendors:
        if vendor == "postgresql" and (reason := pg_available()):
            print(f"PostgreSQL: not reachable ({reason}); skipped")
            continue
        started = time.monotonic()
        url = ensure_base(vendor, args.scale, args.seed, force=args.force)
        print(f"{vendor}: {url} ready in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
