"""Creating and changing leads.

Rules enforced here:
- the actor needs the create (update) right for the lead's responsible;
- a new lead starts in the first open status unless another one (not the won one) is given,
  enters the stage history, and gets a title from its name, company or contacts when none is given;
- duplicate control runs on every create with the caller's policy (crm.services.duplicates);
  with ATTACH, a lead from a known client is a repeat lead linked to it;
- the amount follows the product rows when there are rows;
- custom fields are validated against their definitions;
- in simple mode a new lead is converted at once (the mode has no open leads).
Status changes go through crm.services.stages; deletion through crm.services.recycle.
"""

from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import bulk_insert, config_cache, locks
from voronka.crm.errors import MoveRefused
from voronka.crm.models import CrmSettings, Lead, Pipeline, Stage
from voronka.crm.selectors.pipelines import first_lead_status, lead_pipeline
from voronka.crm.services import comms, duplicates, history, items, products
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib.errors import Invalid


def create_lead(
    *,
    actor: User,
    status: Stage | None = None,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    product_rows: Iterable[Mapping[str, Any]] | None = None,
    created_at=None,
    convert_in_simple_mode: bool = True,
    **values: Any,
) -> Lead:
    """Create a lead (or, by the duplicate policy, return the existing one).

    What only reads and checks (the fields, the communications, custom fields, product rows,
    the status, the responsible and the right) runs before the transaction: on SQLite, whose
    writers queue for one lock (BEGIN IMMEDIATE), the lock then covers only the duplicate
    look-up and the writes. A refused create fails the same way, having written nothing.
    """
    fields, communications, custom = items.split_arguments(values)
    cleaned = items.clean_fields("lead", fields)
    parsed = comms.parse(communications)
    custom_values = items.prepare_custom("lead", custom, current=None, creating=True)
    rows = products.clean_rows(product_rows) if product_rows else []
    status = _initial_status(status)
    cleaned["assigned_to"] = items.default_responsible(actor, cleaned.get("assigned_to"))
    owner = cleaned["assigned_to"]
    items.require(actor, Action.CREATE, "lead", owner_id=owner.pk if owner else None)
    one_statement = (
        bulk_insert.rows_at_once()
        and DuplicatePolicy(on_duplicate) == DuplicatePolicy.CREATE
        and not rows
        and bool(cleaned.get("title") or _name_title(cleaned, parsed))
        and not (convert_in_simple_mode and _simple_mode())
    )
    # A create that reads nothing first and whose rows go in with one statement (PostgreSQL)
    # is a transaction by itself: no BEGIN and COMMIT round trips; its events are published
    # once that statement has committed, as after any commit.
    with nullcontext() if one_statement else transaction.atomic():
        return _write_lead(
            actor=actor,
            status=status,
            on_duplicate=on_duplicate,
            cleaned=cleaned,
            parsed=parsed,
            custom=custom,
            custom_values=custom_values,
            rows=rows,
            created_at=created_at,
            convert_in_simple_mode=convert_in_simple_mode,
        )


def _write_lead(
    *,
    actor: User,
    status: Stage,
    on_duplicate: DuplicatePolicy | str,
    cleaned: dict[str, Any],
    parsed: dict[str, list[comms.Comm]],
    custom: Any,
    custom_values: dict[str, Any],
    rows: list,
    created_at,
    convert_in_simple_mode: bool,
) -> Lead:
    """The part of create_lead() after its checks: the duplicate policy and the writes (in the
    caller's transaction, or, for a PostgreSQL create that reads nothing first and writes with
    one statement, in that statement's own)."""
    resolution = duplicates.resolve(
        "lead", on_duplicate, parsed=parsed, company_title=cleaned.get("company_title", ""), actor=actor
    )
    if resolution.existing is not None:
        if DuplicatePolicy(on_duplicate) == DuplicatePolicy.MERGE:
            return duplicates.merge_into(
                resolution.existing, actor=actor, fields=cleaned, parsed=parsed, custom=custom
            )
        return resolution.existing
    if resolution.contact or resolution.company:
        cleaned.setdefault("contact", resolution.contact)
        cleaned.setdefault("company", resolution.company)
    now = created_at or timezone.now()
    cleaned.setdefault("currency", settings.DEFAULT_CURRENCY)
    lead = bulk_insert.build(
        Lead,
        status=status,
        custom=custom_values,
        created_by=actor,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        is_closed=status.closes_items,
        closed_at=now if status.closes_items else None,
        **cleaned,
    )
    lead.is_repeat = bool(lead.contact_id or lead.company_id)
    if not lead.title:
        lead.title = default_title(lead, parsed)
    given = comms.flatten(parsed)
    items.refresh_search_text(lead, given)
    data = (
        {"duplicates": [m.as_dict(hidden=not m.visible_to(actor)) for m in resolution.matches]}
        if resolution.matches
        else None
    )
    if lead.title and not rows:
        # Nothing waits for the lead's id: it goes in with its phones, e-mails, history row
        # and creation entry (one statement on PostgreSQL).
        fresh = comms.new_rows(lead, parsed)
        entry = history.new_entry(lead, to=status, source=None, actor=actor, at=now)
        bulk_insert.insert_with_rows(
            lead, [*fresh, entry, items.creation_entry(lead, actor=actor, data=data)], link="lead"
        )
        if parsed:
            lead.fresh_communications = fresh  # what the answer shows (crm.selectors.lists.row_of)
        history.announce(lead, entry)
        items.announce_creation(lead, actor=actor)
    else:
        _write_in_steps(
            lead, actor=actor, status=status, parsed=parsed, given=given, rows=rows, now=now, data=data
        )
    if convert_in_simple_mode and _simple_mode() and not lead.is_closed:
        from voronka.crm.services.conversion import convert_lead  # conversion builds on this module

        convert_lead(lead, actor=actor)
        lead.refresh_from_db()
        lead.__dict__.pop("fresh_communications", None)
    return lead


def _write_in_steps(lead: Lead, *, actor: User, status: Stage, parsed, given, rows: list, now, data) -> None:
    """Insert a new lead whose title or amount needs its id or its product rows first."""
    bulk_insert.insert_one(lead)
    if parsed:
        comms.replace(lead, parsed, fresh=True)
    changed = []
    if not lead.title:
        lead.title = numbered_title(lead.pk)
        items.refresh_search_text(lead, given)
        changed += ["title", "search_text"]
    if rows:
        lead.amount = products.store_rows(lead, rows)
        changed.append("amount")
    if changed:
        lead.save(update_fields=changed)
    history.enter(lead, to=status, source=None, actor=actor, at=now)
    items.record_creation(lead, actor=actor, data=data)


def _initial_status(status: Stage | None) -> Stage:
    if status is None:
        return first_lead_status()
    return initial_status(status, pipeline=lead_pipeline(), first=None)


def initial_status(status: Stage | None, *, pipeline: Pipeline, first: Stage | None) -> Stage:
    """Return the status a new lead starts in: `status` if allowed, else the pipeline's `first` one."""
    if status is None:
        return first
    if status.pipeline_id != pipeline.pk:
        raise Invalid(
            "lead.bad_status", _("This is not a lead status."), details={"status": _("Unknown status.")}
        )
    if status.is_won:
        raise MoveRefused("stage.convert_instead", _("A lead reaches this status by conversion. Convert it."))
    return status


def _name_title(cleaned: Mapping[str, Any], parsed: dict[str, list[comms.Comm]] | None) -> str:
    """The title `default_title()` gives a new lead with these cleaned fields."""
    return title_from(
        cleaned.get("first_name") or "",
        cleaned.get("last_name") or "",
        cleaned.get("company_title") or "",
        parsed,
    )


def default_title(item, parsed: dict[str, list[comms.Comm]] | None) -> str:
    """Return a title made of the person's name, the company, or the first phone or e-mail."""
    return title_from(
        getattr(item, "first_name", ""),
        getattr(item, "last_name", ""),
        getattr(item, "company_title", ""),
        parsed,
    )


def title_from(
    first_name: str, last_name: str, company: str, parsed: dict[str, list[comms.Comm]] | None
) -> str:
    """Return a title made of a name, a company, or the first phone or e-mail."""
    name = " ".join(p for p in (first_name, last_name) if p)
    if name and company:
        return f"{name} ({company})"[:255]
    if name or company:
        return (name or company)[:255]
    first = next(iter(comms.flatten(parsed)), None)
    return first.value[:255] if first else ""


def simple_mode() -> bool:
    """Return True when the CRM works in simple mode (new leads convert at once)."""
    return _simple_mode()


def numbered_title(pk: int) -> str:
    """Return the title of a lead that has nothing better: "Lead #12"."""
    return gettext("Lead #%(id)s") % {"id": pk}


def _simple_mode() -> bool:
    return config_cache.cached("simple_mode", _read_simple_mode)


def _read_simple_mode() -> bool:
    settings_row = CrmSettings.objects.filter(pk=1).first()
    return settings_row is not None and settings_row.mode == CrmSettings.Mode.SIMPLE


@transaction.atomic
def update_lead(lead: Lead, *, actor: User, **values: Any) -> Lead:
    """Change fields, communications or custom fields of a lead."""
    lead = locks.lock(lead)
    items.require(actor, Action.UPDATE, "lead", owner_id=lead.assigned_to_id)
    fields, communications, custom = items.split_arguments(values)
    if "title" in fields and not str(fields["title"] or "").strip():
        raise Invalid("lead.title_required", _("A lead needs a title."), details={"title": _("Required.")})
    cleaned = items.clean_fields("lead", fields)
    parsed = comms.parse(communications)
    if "amount" in cleaned and lead.product_rows.exists() and cleaned["amount"] != lead.amount:
        raise Invalid(
            "amount.follows_rows", _("The amount follows the product rows; change the rows instead.")
        )
    changes = items.apply_changes(lead, cleaned)
    if custom is not None:
        new_custom = items.prepare_custom("lead", custom, current=lead.custom, creating=False)
        if new_custom != lead.custom:
            changes["custom"] = [lead.custom, new_custom]
            lead.custom = new_custom
    if "contact" in changes or "company" in changes:
        lead.is_repeat = bool(lead.contact_id or lead.company_id) and not lead.converted_at
        changes.setdefault("is_repeat", [None, lead.is_repeat])
    if parsed and comms.replace(lead, parsed):
        changes["communications"] = [None, [c.value for c in comms.flatten(parsed)]]
    if not changes:
        return lead
    items.record_update(lead, actor=actor, changes=changes, save_fields=[*cleaned, "custom", "is_repeat"])
    return lead
