"""Creating many leads, deals, contacts or companies at once (imports, migrations from other CRMs).

The rules are those of create_lead, create_deal, create_contact and create_company, applied to a
batch with a number of queries that does not grow with its size:
- every row is cleaned by the same code (items.clean_fields, comms.parse, custom_fields.clean_values,
  leads.initial_status, deals.place, clients.check_required) against lookup tables loaded once
  (`BulkContext`), so `prepare()` runs no query and may run in another process;
- the actor needs the create right for each row's responsible; links to contacts and companies are
  checked with one query per batch;
- duplicate control (crm.services.duplicates: refuse / skip / merge / attach / create) compares each
  row with the database (one query for every phone and e-mail of the batch) and with the rows
  before it, as if the rows were created one after another; a merge into an existing item goes
  through duplicates.merge_into;
- items, communications, stage-history rows and timeline entries are written with crm.bulk_insert;
  imported items get an `import` timeline entry naming their import job instead of `created`;
- ItemCreated and StageChanged are published per item, as by the single-item services (the events
  catalogue's contract: robots and webhooks cannot tell an imported lead from a typed one);
- in simple mode every new open lead is converted, as create_lead does.
A row that breaks a rule fails alone (`RowResult.error`); the others are written.
"""

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm.models import Company, Contact, CustomField, Pipeline, Source, Stage
from voronka.crm.selectors.duplicates import DuplicateIndex, Match, index_duplicates
from voronka.crm.selectors.pipelines import deal_pipelines, first_stage, lead_pipeline
from voronka.crm.services import bulk_rows, clients, comms, deals, duplicates, items, leads
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib.errors import DomainError, Invalid
from voronka.lib.text import company_key

KINDS = ("lead", "deal", "contact", "company")
_LINKS = {"contact": Contact, "company": Company}
# Rows of the batch not written yet stand in duplicate matches under ids above every real one,
# so that, like the newest items, they come first.
_PENDING = 10**15


class Outcome(StrEnum):
    """What became of one row."""

    CREATED = "created"
    MERGED = "merged"
    SKIPPED = "skipped"
    FAILED = "failed"


@dataclass
class ItemInput:
    """One item to create: the keyword arguments create_<kind> takes, and the row's number."""

    ref: int
    values: dict[str, Any]
    stage: Stage | None = None  # the lead status or deal stage
    pipeline: Pipeline | None = None  # deals
    created_at: dt.datetime | None = None


@dataclass
class RowResult:
    """The outcome of one row; `item_id` is the item created, merged into or skipped for."""

    ref: int
    outcome: Outcome
    item_id: int | None = None
    error: DomainError | None = None


# Plain (not slotted) dataclasses: they cross from the parsing worker to the writer by pickle,
# and a slotted one unpickles through a Python-level __setstate__, twice as slow.
@dataclass
class Prepared:
    """A row that passed cleaning, ready for the batch's checks and writes."""

    ref: int
    cleaned: dict[str, Any]
    parsed: dict[str, list[comms.Comm]] | None
    custom: dict[str, Any]
    raw_custom: Mapping[str, Any] | None
    links: dict[str, Any]
    stage: Stage | None
    pipeline: Pipeline | None
    created_at: dt.datetime | None
    matches: list[Match] = field(default_factory=list)
    # Computed while cleaning (in the worker) when it does not depend on the id; None: at write time.
    search_text: str | None = None
    keys: list[tuple[str, str]] | None = None  # duplicate control's keys (_keys), computed while cleaning


@dataclass
class BulkContext:
    """What cleaning rows of one kind needs, loaded once; picklable, so workers can clean."""

    kind: str
    tables: items.Tables
    custom_fields: list[CustomField]
    user_ids: set[int]
    lead_pipeline: Pipeline | None
    default_pipeline: Pipeline | None
    pipelines: dict[int, Pipeline]
    first_stages: dict[int, Stage | Invalid]


class KeyMemory(Protocol):
    """Phones, e-mails and names of rows planned in earlier batches of a dry run (nothing was written)."""

    def seen(self, keys: list[tuple[str, str]]) -> bool: ...

    def remember(self, keys: list[tuple[str, str]]) -> None: ...


def load_context(kind: str) -> BulkContext:
    """Load the lookup tables for cleaning rows of `kind`."""
    if kind not in KINDS:
        raise Invalid("bulk.bad_kind", _("Unknown kind of item “%(kind)s”.") % {"kind": kind})
    sources: dict[str, Source] = {}
    for source in Source.objects.all():
        sources[source.code.upper()] = source
        sources[str(source.pk)] = source
    users = {user.pk: user for user in User.objects.select_related("department", "role")}
    pipelines = {
        p.pk: p for p in ([lead_pipeline()] if kind == "lead" else deal_pipelines() if kind == "deal" else [])
    }
    firsts: dict[int, Stage | Invalid] = {}
    for pk, pipeline in pipelines.items():
        try:
            firsts[pk] = first_stage(pipeline)
        except Invalid as error:
            firsts[pk] = error
    return BulkContext(
        kind=kind,
        tables=items.Tables(sources=sources, users=users),
        custom_fields=list(CustomField.objects.filter(entity=kind).order_by("sort", "pk")),
        user_ids={pk for pk, user in users.items() if user.is_active},
        lead_pipeline=next(iter(pipelines.values())) if kind == "lead" else None,
        default_pipeline=(
            min(pipelines.values(), key=lambda p: (not p.is_default, p.sort, p.pk))
            if kind == "deal"
            else None
        ),
        pipelines=pipelines,
        first_stages=firsts,
    )


def prepare(context: BulkContext, rows: Iterable[ItemInput]) -> list[Prepared | RowResult]:
    """Clean rows by the create rules; a failing row becomes a FAILED RowResult. Runs no query."""
    return [_prepare_one(context, row) for row in rows]


def _prepare_one(context: BulkContext, row: ItemInput) -> Prepared | RowResult:
    kind = context.kind
    fields, communications, custom = items.split_arguments(row.values)
    links = {name: fields.pop(name) for name in _LINKS if name in fields and name in items.FIELDS[kind]}
    errors: list[DomainError] = []
    cleaned: dict[str, Any] = {}
    parsed = None
    custom_values: dict[str, Any] = {}
    try:
        cleaned = items.clean_fields(kind, fields, tables=context.tables)
    except Invalid as error:
        errors.append(error)
    try:
        if kind == "deal" and communications:
            raise Invalid(
                "deal.no_communications", _("Phones and e-mails belong to the deal's contact or company.")
            )
        parsed = comms.parse(communications)
    except Invalid as error:
        errors.append(error)
    try:
        custom_values = items.prepare_custom(
            kind,
            custom,
            current=None,
            creating=True,
            definitions=context.custom_fields,
            user_ids=context.user_ids,
        )
    except Invalid as error:
        errors.append(error)
    if errors:
        return RowResult(ref=row.ref, outcome=Outcome.FAILED, error=_combined(errors))
    try:
        stage, pipeline = _place(context, row, cleaned, parsed)
    except DomainError as error:
        return RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)
    prepared = Prepared(
        ref=row.ref,
        cleaned=cleaned,
        parsed=parsed,
        custom=custom_values,
        raw_custom=custom,
        links=links,
        stage=stage,
        pipeline=pipeline,
        created_at=row.created_at,
        search_text=_early_search_text(kind, cleaned, parsed),
    )
    prepared.keys = _keys(kind, prepared)
    return prepared


def _early_search_text(kind: str, cleaned: dict[str, Any], parsed) -> str | None:
    if kind == "deal":
        return None  # a deal without a title is named after its client, known at write time
    values = dict(cleaned)
    if kind == "lead" and not values.get("title"):
        values["title"] = leads.title_from(
            cleaned.get("first_name", ""),
            cleaned.get("last_name", ""),
            cleaned.get("company_title", ""),
            parsed,
        )
    return bulk_rows.search_text_for(kind, values, parsed, pk=None)


def _place(
    context: BulkContext, row: ItemInput, cleaned: dict[str, Any], parsed: dict[str, list[comms.Comm]] | None
) -> tuple[Stage | None, Pipeline | None]:
    if context.kind == "lead":
        pipeline = context.lead_pipeline
        first = None if row.stage is not None else _first(context, pipeline)
        return leads.initial_status(row.stage, pipeline=pipeline, first=first), pipeline
    if context.kind == "deal":
        pipeline = row.pipeline
        if pipeline is None:
            pipeline = context.pipelines.get(row.stage.pipeline_id) if row.stage else context.default_pipeline
        if pipeline is None:
            raise Invalid("deal.bad_stage", _("This stage belongs to another pipeline."))
        first = None if row.stage is not None else _first(context, pipeline)
        pipeline, stage = deals.place(pipeline, row.stage, first=first)
        return stage, pipeline
    clients.check_required(context.kind, cleaned, parsed)
    return None, None


def _first(context: BulkContext, pipeline: Pipeline) -> Stage:
    first = context.first_stages.get(pipeline.pk)
    if isinstance(first, Invalid):
        raise first
    if first is None:
        raise Invalid(
            "deal.bad_pipeline", _("This is not a deal pipeline."), details={"pipeline": _("Unknown.")}
        )
    return first


def _combined(errors: list[DomainError]) -> DomainError:
    if len(errors) == 1:
        return errors[0]
    details: dict[str, Any] = {}
    for error in errors:
        details.update(error.details or {error.code: str(error.message)})
    return Invalid("item.invalid", _("Some fields are wrong."), details=details)


def create_bulk(
    kind: str,
    rows: Sequence[ItemInput],
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    import_job_id: int | None = None,
) -> list[RowResult]:
    """Clean and create a batch of items of `kind` in one transaction; return one result per row."""
    return create_prepared(
        kind,
        prepare(load_context(kind), rows),
        actor=actor,
        on_duplicate=on_duplicate,
        import_job_id=import_job_id,
    )


# No savepoint inside a caller's transaction (an import batch): SQLite keeps every page a
# savepoint changed in an in-memory journal, and each row of a table with triggers (the stage
# history) walks that whole journal when its own statement ends, a cost growing with the database
# (the import's writer from ~125 to ~250 µs a lead at 100,000). A failure here fails the
# caller's transaction, as the import's batch wants.
@transaction.atomic(savepoint=False)
def create_prepared(
    kind: str,
    rows: Sequence[Prepared | RowResult],
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    import_job_id: int | None = None,
    dry_run: bool = False,
    memory: KeyMemory | None = None,
) -> list[RowResult]:
    """Check and write a batch of prepared rows of `kind`; return one result per row, in order.

    With `dry_run`, decide every outcome but write nothing (`memory` carries the rows planned
    by earlier batches, which a real run would find in the database).
    """
    staged = stage(
        kind,
        rows,
        actor=actor,
        on_duplicate=on_duplicate,
        import_job_id=import_job_id,
        dry_run=dry_run,
        memory=memory,
    )
    return write_staged(staged)


@dataclass
class Staged:
    """A batch checked against the database and planned (`stage`), to be written by `write_staged`."""

    kind: str
    count: int
    results: dict[int, RowResult]
    positions: dict[int, int]
    plan: "Plan"
    actor: User
    import_job_id: int | None
    dry_run: bool
    built: bulk_rows.Built | None = None

    @property
    def merges_existing(self) -> bool:
        """True when writing the batch changes items that exist already (merges into them)."""
        return bool(self.plan.to_merge)

    def written_index(self) -> DuplicateIndex:
        """What duplicate control will find of this batch's new items once it is written.

        For the next batch, staged before this one commits (`stage(..., written=...)`): as the
        database will hold it (the items' ids, titles and keys), merges into existing items aside.
        """
        owners: dict[tuple[str, str], list[tuple[str, int]]] = {}
        described: dict[tuple[str, int], tuple[str, bool, int | None]] = {}
        built = self.built
        if built is None or self.plan.pending is None:
            return DuplicateIndex(owners=owners, items=described)
        pending = self.plan.pending
        for key, entries in pending.by_key.items():
            for entry in entries:
                if isinstance(entry, Match):
                    continue  # an existing item merged into: the caller waits for that batch instead
                item_id = built.ids[id(pending.rows[entry - _PENDING])]
                owners.setdefault(key, []).append((self.kind, item_id))
                described[(self.kind, item_id)] = built.described[item_id]
        return DuplicateIndex(owners=owners, items=described)


def stage(
    kind: str,
    rows: Sequence[Prepared | RowResult],
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    import_job_id: int | None = None,
    dry_run: bool = False,
    memory: KeyMemory | None = None,
    build: bool = False,
    written: DuplicateIndex | None = None,
) -> Staged:
    """Check a batch against the rules and the database and plan its writes; write nothing.

    With `build`, also allocate the new items' ids and build their rows (PostgreSQL: the ids come
    from sequences, outside any transaction), so that `write_staged` may run on another
    connection while the next batch is staged; `written` is what duplicate control must see of
    the batch written meanwhile (`Staged.written_index`), not committed yet.
    """
    policy = DuplicatePolicy(on_duplicate)
    results: dict[int, RowResult] = {}
    live: list[Prepared] = []
    refusals: dict[int | None, DomainError | None] = {}  # by responsible: the same answer for each row
    for position, row in enumerate(rows):
        if isinstance(row, RowResult):
            results[position] = row
            continue
        error = _check_rights(kind, row, actor, refusals)
        if error is not None:
            results[position] = RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)
            continue
        live.append(row)
    positions = {id(row): position for position, row in enumerate(rows)}
    live = _resolve_links(kind, live, results, positions)
    plan = duplicates_plan(kind, policy, live, actor=actor, memory=memory, written=written)
    for row, outcome in plan.decided:
        results[positions[id(row)]] = outcome
    staged = Staged(
        kind=kind,
        count=len(rows),
        results=results,
        positions=positions,
        plan=plan,
        actor=actor,
        import_job_id=import_job_id,
        dry_run=dry_run,
    )
    if build and not dry_run:
        staged.built = bulk_rows.build(
            kind, plan.created, actor=actor, import_job_id=import_job_id, now=timezone.now()
        )
    return staged


@transaction.atomic(savepoint=False)
def write_staged(staged: Staged) -> list[RowResult]:
    """Write a staged batch in the current transaction; return one result per row, in order."""
    kind, plan, results, positions = staged.kind, staged.plan, staged.results, staged.positions
    actor, import_job_id = staged.actor, staged.import_job_id
    if not staged.dry_run:
        built = staged.built
        if built is None:
            built = bulk_rows.build(
                kind, plan.created, actor=actor, import_job_id=import_job_id, now=timezone.now()
            )
        bulk_rows.insert(built)
        written = built.ids
        for row in plan.created:
            results[positions[id(row)]] = RowResult(
                ref=row.ref, outcome=Outcome.CREATED, item_id=written[id(row)]
            )
        for row, target in plan.pending_targets:
            result = results[positions[id(row)]]
            result.item_id = written[id(target)]
        _merge_existing(kind, plan.to_merge, results, positions, actor=actor, import_job_id=import_job_id)
        if kind == "lead":
            bulk_rows.convert_in_simple_mode(
                [written[id(row)] for row in plan.created if not row.stage.closes_items], actor=actor
            )
    else:
        for row in plan.created:
            results[positions[id(row)]] = RowResult(ref=row.ref, outcome=Outcome.CREATED)
        for row, target_id in plan.to_merge:
            results[positions[id(row)]] = RowResult(ref=row.ref, outcome=Outcome.MERGED, item_id=target_id)
    return [results[position] for position in range(staged.count)]


def _check_rights(
    kind: str, row: Prepared, actor: User, refusals: dict[int | None, DomainError | None]
) -> DomainError | None:
    row.cleaned["assigned_to"] = items.default_responsible(actor, row.cleaned.get("assigned_to"))
    owner = row.cleaned["assigned_to"]
    owner_id = owner.pk if owner else None
    if owner_id not in refusals:
        try:
            items.require(actor, Action.CREATE, kind, owner_id=owner_id)
            refusals[owner_id] = None
        except DomainError as error:
            refusals[owner_id] = error
    return refusals[owner_id]


def _resolve_links(
    kind: str, rows: list[Prepared], results: dict[int, RowResult], positions: dict[int, int]
) -> list[Prepared]:
    """Turn contact and company ids into instances with one query per model; fail rows with unknown ones."""
    if not any(row.links for row in rows):
        return list(rows)  # an import of leads mostly names neither
    found: dict[str, dict[int, Any]] = {}
    for name, model in _LINKS.items():
        ids = {_as_id(row.links[name]) for row in rows if row.links.get(name) not in (None, "")}
        ids.discard(None)
        found[name] = model.objects.in_bulk(sorted(ids)) if ids else {}
    kept: list[Prepared] = []
    for row in rows:
        error = None
        for name, model in _LINKS.items():
            raw = row.links.get(name)
            if raw in (None, ""):
                continue
            instance = raw if isinstance(raw, model) else found[name].get(_as_id(raw))
            if instance is None:
                error = items.unknown_link(model, raw)
                break
            row.cleaned[name] = instance
        if error is None:
            kept.append(row)
        else:
            results[positions[id(row)]] = RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)
    return kept


def _as_id(raw: Any) -> int | None:
    if hasattr(raw, "pk"):
        return raw.pk
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@dataclass
class Plan:
    """The batch's duplicate decisions: rows to create, rows decided already, merges into existing items."""

    created: list[Prepared] = field(default_factory=list)
    decided: list[tuple[Prepared, RowResult]] = field(default_factory=list)
    to_merge: list[tuple[Prepared, int]] = field(default_factory=list)
    pending_targets: list[tuple[Prepared, Prepared]] = field(default_factory=list)
    pending: "_Pending | None" = None  # the rows planned for creation, by key (none: no duplicate control)


def duplicates_plan(
    kind: str,
    policy: DuplicatePolicy,
    rows: list[Prepared],
    *,
    actor: User,
    memory: KeyMemory | None = None,
    written: DuplicateIndex | None = None,
) -> Plan:
    """Apply duplicate control to the rows in order: against the database, and against the rows before.

    `written`: items of an earlier batch being written meanwhile, found as if they were in the database.
    """
    plan = Plan()
    if kind == "deal" or policy == DuplicatePolicy.CREATE:
        plan.created = list(rows)
        return plan
    keys_of = [row.keys if row.keys is not None else _keys(kind, row) for row in rows]
    index = index_duplicates(
        phones={k for keys in keys_of for by, k in keys if by == "phone"},
        emails={k for keys in keys_of for by, k in keys if by == "email"},
        company_titles={_company_title(kind, row) for row in rows} - {""},
        kinds=duplicates.match_kinds(kind),
    )
    if written is not None:
        index.add(written)
    pending = plan.pending = _Pending(kind)
    for row, keys in zip(rows, keys_of, strict=True):
        if memory is None and not pending.hit(keys) and not any(key in index.owners for key in keys):
            # The common case, a new client: nothing in the database or the batch shares a key.
            pending.add(row, keys)
            plan.created.append(row)
            continue
        matches = index.matches(
            phones=[k for by, k in keys if by == "phone"],
            emails=[k for by, k in keys if by == "email"],
            company_title=_company_title(kind, row),
        )
        matches = sorted(pending.matches(keys) + matches, key=lambda m: (m.is_closed, -m.item_id))[:20]
        try:
            target = duplicates.choose(kind, policy, matches, actor=actor)
        except DomainError as error:
            plan.decided.append((row, RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)))
            continue
        if target is None and memory is not None and policy != DuplicatePolicy.ATTACH and memory.seen(keys):
            outcome = Outcome.SKIPPED if policy == DuplicatePolicy.SKIP else Outcome.MERGED
            if policy == DuplicatePolicy.REFUSE:
                error = Invalid("duplicate.found", _("Possible duplicate of an earlier row."))
                plan.decided.append((row, RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)))
            else:
                plan.decided.append((row, RowResult(ref=row.ref, outcome=outcome)))
            continue
        if target is not None:
            _decide_duplicate(kind, policy, row, target, pending, plan, actor=actor)
            continue
        if policy == DuplicatePolicy.ATTACH:
            stored = [m for m in matches if m.item_id < _PENDING]
            if stored:
                contact, company = duplicates.known_client(stored)
                row.cleaned.setdefault("contact", contact)
                row.cleaned.setdefault("company", company)
        row.matches = matches
        pending.add(row, keys)
        plan.created.append(row)
        if memory is not None:
            memory.remember(keys)
    return plan


def _decide_duplicate(
    kind: str,
    policy: DuplicatePolicy,
    row: Prepared,
    target: Match,
    pending: "_Pending",
    plan: Plan,
    *,
    actor: User,
) -> None:
    outcome = Outcome.SKIPPED if policy == DuplicatePolicy.SKIP else Outcome.MERGED
    if target.item_id >= _PENDING:
        into = pending.rows[target.item_id - _PENDING]
        if outcome == Outcome.MERGED:
            owner = into.cleaned.get("assigned_to")
            try:
                items.require(actor, Action.UPDATE, kind, owner_id=owner.pk if owner else None)
            except DomainError as error:
                plan.decided.append((row, RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)))
                return
            _merge_pending(into, row)
            pending.add(into, _keys(kind, row))
        result = RowResult(ref=row.ref, outcome=outcome)
        plan.decided.append((row, result))
        plan.pending_targets.append((row, into))
        return
    if outcome == Outcome.SKIPPED:
        plan.decided.append((row, RowResult(ref=row.ref, outcome=outcome, item_id=target.item_id)))
        return
    plan.to_merge.append((row, target.item_id))
    pending.add_existing(target, _keys(kind, row))


def _keys(kind: str, row: Prepared) -> list[tuple[str, str]]:
    keys = [(c.kind, c.normalized) for name in ("phones", "emails") for c in (row.parsed or {}).get(name, ())]
    title = _company_title(kind, row)
    if title:
        keys.append(("company", company_key(title)))
    return keys


def _company_title(kind: str, row: Prepared) -> str:
    if kind == "lead":
        return row.cleaned.get("company_title") or ""
    if kind == "company":
        return row.cleaned.get("title") or ""
    return ""


class _Pending:
    """Rows of this batch planned for creation (and items merged into), by phone, e-mail and name key."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.rows: list[Prepared] = []
        self.numbers: dict[int, int] = {}
        self.by_key: dict[tuple[str, str], list[int | Match]] = {}

    def hit(self, keys: list[tuple[str, str]]) -> bool:
        by_key = self.by_key
        return any(key in by_key for key in keys)

    def add(self, row: Prepared, keys: list[tuple[str, str]]) -> None:
        number = self.numbers.get(id(row))
        if number is None:
            number = self.numbers[id(row)] = _PENDING + len(self.rows)
            self.rows.append(row)
        for key in keys:
            # A lead's company name finds companies, never other leads (duplicates.match_kinds).
            if key[0] != "company" or self.kind == "company":
                self._put(key, number)

    def add_existing(self, target: Match, keys: list[tuple[str, str]]) -> None:
        for key in keys:
            self._put(key, target)

    def _put(self, key: tuple[str, str], entry: int | Match) -> None:
        found = self.by_key.get(key)
        if found is None:
            self.by_key[key] = [entry]
        elif entry not in found:
            found.append(entry)

    def matches(self, keys: list[tuple[str, str]]) -> list[Match]:
        seen: dict[int, Match] = {}
        for key in keys:
            for entry in self.by_key.get(key, ()):
                match = entry if isinstance(entry, Match) else self._match(entry, key)
                seen.setdefault(match.item_id, match)
        return list(seen.values())

    def _match(self, number: int, key: tuple[str, str]) -> Match:
        row = self.rows[number - _PENDING]
        return Match(
            kind=self.kind,
            item_id=number,
            title=row.cleaned.get("title") or "",
            matched_by=key[0],
            value=key[1],
            is_closed=bool(row.stage and row.stage.closes_items),
            assigned_to_id=getattr(row.cleaned.get("assigned_to"), "pk", None),
        )


def _merge_pending(into: Prepared, row: Prepared) -> None:
    """Merge a row into a row of the same batch not written yet, as merge_into would after it was written."""
    into.search_text = None  # names or phones may change: computed again when written
    into.keys = None
    current = _Fields(into.cleaned)
    into.cleaned.update(duplicates.fillable(current, row.cleaned))
    have = {(c.kind, c.normalized) for c in comms.flatten(into.parsed)}
    for name, values in (row.parsed or {}).items():
        for comm in values:
            if (comm.kind, comm.normalized) not in have:
                into.parsed = into.parsed or {}
                into.parsed.setdefault(name, []).append(comm)
                have.add((comm.kind, comm.normalized))
    for code, value in row.custom.items():
        into.custom.setdefault(code, value)


class _Fields:
    """Attribute access to a cleaned dict, for duplicates.fillable."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _merge_existing(
    kind: str,
    merges: list[tuple[Prepared, int]],
    results: dict[int, RowResult],
    positions: dict[int, int],
    *,
    actor: User,
    import_job_id: int | None,
) -> None:
    if not merges:
        return
    model = items.ITEM_MODELS[kind]
    existing = model.objects.in_bulk(sorted({item_id for _row, item_id in merges}))
    data = {"import_job": import_job_id} if import_job_id else None
    for row, item_id in merges:
        try:
            with transaction.atomic():
                duplicates.merge_into(
                    existing[item_id],
                    actor=actor,
                    fields=row.cleaned,
                    parsed=row.parsed,
                    custom=row.custom,
                    data=data,
                )
        except DomainError as error:
            results[positions[id(row)]] = RowResult(ref=row.ref, outcome=Outcome.FAILED, error=error)
            continue
        results[positions[id(row)]] = RowResult(ref=row.ref, outcome=Outcome.MERGED, item_id=item_id)
