"""The rows a batch of new items writes, built as the single-item services build them.

For each item: the item row (title, closing, repeat flag and search text as create_<kind> sets
them), its communications, its stage-history row (leads and deals), one timeline entry, and
the ItemCreated / StageChanged events. Called by crm.services.bulk inside its transaction.
"""

import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models

from voronka.accounts.models import User
from voronka.crm import bulk_insert, events
from voronka.crm.models import Communication, Lead, StageHistory, TimelineEntry
from voronka.crm.services import comms, deals, items, leads
from voronka.lib import bus
from voronka.lib.text import company_key

_FOREIGN = {items.SOURCE, items.USER, items.CONTACT, items.COMPANY}
_PENDING = 10**15


@dataclass
class Built:
    """The rows a batch of new items writes, with their ids allocated: `insert()` writes them."""

    kind: str
    ids: dict[int, int]  # id(row) -> item id
    columns: list[str]
    item_rows: list[tuple]
    comm_rows: list[tuple]
    history_rows: list[tuple]
    timeline_rows: list[tuple]
    published: list[object]
    # (title, is_closed, responsible id) by item id: what duplicate control reads of the item once written.
    described: dict[int, tuple[str, bool, int | None]]


def write(
    kind: str, rows: list, *, actor: User, import_job_id: int | None, now: dt.datetime
) -> dict[int, int]:
    """Insert the items of `rows` (bulk.Prepared) with their rows; return {id(row): item id}."""
    built = build(kind, rows, actor=actor, import_job_id=import_job_id, now=now)
    insert(built)
    return built.ids


def build(kind: str, rows: list, *, actor: User, import_job_id: int | None, now: dt.datetime) -> Built:
    """Allocate the ids of the items of `rows` (bulk.Prepared) and build their rows and events.

    No row is written: on PostgreSQL the ids come from the sequences, so this may run outside
    the transaction that inserts them (an import prepares its next batch meanwhile).
    """
    model = items.ITEM_MODELS[kind]
    columns = [field.attname for field in model._meta.concrete_fields]
    if not rows:
        return Built(kind, {}, columns, [], [], [], [], [], {})
    ids = bulk_insert.allocate_ids(model, len(rows))
    staged = kind in ("lead", "deal")
    history_ids = bulk_insert.allocate_ids(StageHistory, len(rows)) if staged else []
    repeat = _repeat_clients(rows) if kind == "deal" else (set(), set())
    defaults = _defaults(model)
    row_of = operator.itemgetter(*columns)  # a values dict with every column -> the row, in C
    actor_id = actor.pk
    timeline_kind = _timeline_kind(import_job_id)
    item_rows, comm_rows, history_rows, timeline_rows = [], [], [], []
    published: list[object] = []
    described: dict[int, tuple[str, bool, int | None]] = {}
    for number, (row, pk) in enumerate(zip(rows, ids, strict=True)):
        values = _item_values(kind, row, pk, actor_id=actor_id, now=now, repeat=repeat)
        item_rows.append(row_of({**defaults, **values}))
        described[pk] = (
            values.get("title", ""),
            values.get("is_closed", False),
            values.get("assigned_to_id"),
        )
        comm_rows.extend(_communications(kind, row, pk))
        created = values["created_at"]
        if staged:
            entry_id = history_ids[number]
            stage_id = row.stage.pk
            history_rows.append(
                (
                    entry_id,
                    pk,
                    row.pipeline.pk,
                    None,
                    stage_id,
                    created,
                    actor_id,
                    values.get("assigned_to_id"),
                    False,
                    "",
                )
            )
            published.append(
                events.StageChanged(
                    kind=kind,
                    item_id=pk,
                    entry_id=entry_id,
                    from_stage_id=None,
                    to_stage_id=stage_id,
                    actor_id=actor_id,
                )
            )
        timeline_rows.append(
            (
                pk,
                timeline_kind,
                actor_id,
                created,
                "",
                _timeline_data(row, ids, import_job_id),
                False,
            )
        )
        published.append(events.ItemCreated(kind=kind, item_id=pk, actor_id=actor_id))
    return Built(
        kind=kind,
        ids={id(row): pk for row, pk in zip(rows, ids, strict=True)},
        columns=columns,
        item_rows=item_rows,
        comm_rows=comm_rows,
        history_rows=history_rows,
        timeline_rows=timeline_rows,
        published=published,
        described=described,
    )


def insert(built: Built) -> None:
    """Insert the built rows and publish their events (in the caller's transaction)."""
    if not built.item_rows:
        return
    kind = built.kind
    owner = f"{kind}_id"
    bulk_insert.insert(items.ITEM_MODELS[kind], built.columns, built.item_rows)
    if built.comm_rows:
        bulk_insert.insert(
            Communication, ("kind", "label", "value", "normalized", "sort", owner), built.comm_rows
        )
    if built.history_rows:
        bulk_insert.insert(
            StageHistory,
            (
                "id",
                owner,
                "pipeline_id",
                "from_stage_id",
                "to_stage_id",
                "moved_at",
                "moved_by_id",
                "assigned_to_id",
                "is_backward",
                "reason",
            ),
            built.history_rows,
        )
    bulk_insert.insert(
        TimelineEntry,
        (owner, "kind", "actor_id", "created_at", "text", "data", "is_pinned"),
        built.timeline_rows,
    )
    bus.publish_many(built.published)


def _defaults(model: type[models.Model]) -> dict[str, Any]:
    return {field.attname: field.get_default() for field in model._meta.concrete_fields}


def _item_values(kind: str, row, pk: int, *, actor_id: int, now: dt.datetime, repeat) -> dict[str, Any]:
    foreign = _foreign_columns(kind)
    values: dict[str, Any] = {"id": pk}
    for name, value in row.cleaned.items():
        column = foreign.get(name)
        if column is None:
            values[name] = value
        else:
            values[column] = value.pk if value is not None else None
    created = row.created_at or now
    values.update(custom=row.custom, created_by_id=actor_id, created_at=created, updated_at=created)
    if kind in ("lead", "deal", "company"):
        values.setdefault("currency", settings.DEFAULT_CURRENCY)
    if kind in ("lead", "deal"):
        closes = row.stage.closes_items
        values.update(is_closed=closes, closed_at=created if closes else None, stage_changed_at=created)
    cleaned = row.cleaned
    if kind == "lead":
        values["status_id"] = row.stage.pk
        values["is_repeat"] = bool(cleaned.get("contact") or cleaned.get("company"))
        values["title"] = cleaned.get("title") or (
            leads.title_from(
                cleaned.get("first_name", ""),
                cleaned.get("last_name", ""),
                cleaned.get("company_title", ""),
                row.parsed,
            )
            or leads.numbered_title(pk)
        )
    elif kind == "deal":
        contact, company = cleaned.get("contact"), cleaned.get("company")
        contacts, companies = repeat
        values.update(pipeline_id=row.pipeline.pk, stage_id=row.stage.pk)
        values["is_repeat"] = bool(
            (contact and contact.pk in contacts) or (company and company.pk in companies)
        )
        if contact:
            contacts.add(contact.pk)
        if company:
            companies.add(company.pk)
        values["title"] = (
            cleaned.get("title") or deals.default_title(_Client(cleaned)) or deals.numbered_title(pk)
        )
    elif kind == "company":
        values["title_key"] = company_key(values.get("title", ""))
    if row.search_text is None:
        row.search_text = search_text_for(kind, values, row.parsed, pk=pk)
    values["search_text"] = row.search_text
    return values


@functools.cache
def _foreign_columns(kind: str) -> dict[str, str]:
    """The fields of `kind` that name another row, and their columns (source -> source_id)."""
    return {name: f"{name}_id" for name, spec in items.FIELDS[kind].items() if spec in _FOREIGN}


def search_text_for(kind: str, values: dict[str, Any], parsed, *, pk: int | None) -> str | None:
    """Return the search text refresh_search_text would give; None if it needs the id (not known yet)."""
    title = values.get("title", "")
    if kind == "contact":
        names = (values.get(n, "") for n in ("first_name", "second_name", "last_name"))
        title = " ".join(p for p in names if p) or (f"#{pk}" if pk is not None else "")
    if not title and pk is None:
        return None
    names = [title, *(values.get(name, "") for name in items.SEARCHED_FIELDS[1:])]
    # In the order create_lead gives them to refresh_search_text.
    found = [(c.kind, c.normalized, c.value) for c in comms.flatten(parsed)]
    return items.search_text_of(names, found)


class _Client:
    """The deal's client as deals.default_title reads it (.company, .contact)."""

    def __init__(self, cleaned: dict[str, Any]) -> None:
        self.company = cleaned.get("company")
        self.contact = cleaned.get("contact")


def _repeat_clients(rows: list) -> tuple[set[int], set[int]]:
    contact_ids = sorted({row.cleaned["contact"].pk for row in rows if row.cleaned.get("contact")})
    company_ids = sorted({row.cleaned["company"].pk for row in rows if row.cleaned.get("company")})
    return deals.clients_with_deals(contact_ids, company_ids)


def _communications(kind: str, row, pk: int) -> list[tuple]:
    found = []
    for values in (row.parsed or {}).values():
        for sort, comm in enumerate(values):
            found.append((comm.kind, comm.label, comm.value, comm.normalized, sort, pk))
    return found


def _timeline_kind(import_job_id: int | None) -> str:
    return TimelineEntry.Kind.IMPORT if import_job_id else TimelineEntry.Kind.CREATED


def _timeline_data(row, ids: list[int], import_job_id: int | None) -> dict[str, Any]:
    data: dict[str, Any] = {"import_job": import_job_id, "row": row.ref} if import_job_id else {}
    if row.matches:
        data["duplicates"] = [
            {
                **match.as_dict(),
                "id": ids[match.item_id - _PENDING] if match.item_id >= _PENDING else match.item_id,
            }
            for match in row.matches
        ]
    return data


def convert_in_simple_mode(lead_ids: list[int], *, actor: User) -> None:
    """Convert new open leads when the CRM works in simple mode, as create_lead does."""
    if not lead_ids or not leads.simple_mode():
        return
    from voronka.crm.services.conversion import convert_lead  # conversion builds on the lead services

    for lead in Lead.objects.filter(pk__in=lead_ids).order_by("pk"):
        convert_lead(lead, actor=actor)
