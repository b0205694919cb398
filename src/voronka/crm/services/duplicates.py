"""Duplicate control on every create path (manual, API, import, intake).

Rules enforced here:
- matches are found by normalized phone, e-mail and company name (crm.selectors.duplicates);
- with an actor, matches outside the actor's read scope are reported without saying which
  item they are, and are never returned, merged into or linked (a user never learns that an
  item outside the scope exists);
- the caller chooses what happens: REFUSE (raise DuplicateFound listing the matches), SKIP
  (return the existing item, create nothing), MERGE (fill the existing item's empty fields and
  add its missing phones and e-mails), ATTACH (create, linked to the known client: a repeat
  lead or deal), CREATE (create regardless);
- a merge never overwrites a value the existing item has, and is written to its timeline.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import events
from voronka.crm.errors import DuplicateFound
from voronka.crm.models import Company, Contact, Lead
from voronka.crm.selectors.duplicates import Match, find_duplicates
from voronka.crm.services import comms, items, timeline
from voronka.lib import bus


class DuplicatePolicy(StrEnum):
    """What a create does when the input matches existing items."""

    REFUSE = "refuse"
    SKIP = "skip"
    MERGE = "merge"
    ATTACH = "attach"
    CREATE = "create"


@dataclass
class Resolution:
    """What duplicate control decided for one create."""

    matches: list[Match] = field(default_factory=list)
    existing: Any = None  # the item to return instead of creating (SKIP / MERGE)
    contact: Contact | None = None  # the known client to link (ATTACH)
    company: Company | None = None


_MODELS = {"lead": Lead, "contact": Contact, "company": Company}


def resolve(
    kind: str,
    policy: DuplicatePolicy | str,
    *,
    parsed: dict[str, list[comms.Comm]] | None,
    company_title: str = "",
    actor: User | None = None,
) -> Resolution:
    """Look for duplicates of a new item of `kind` and apply the policy; raise DuplicateFound on REFUSE."""
    policy = DuplicatePolicy(policy)
    if policy == DuplicatePolicy.CREATE:
        return Resolution()
    all_comms = comms.flatten(parsed)
    phones = [c.normalized for c in all_comms if c.kind == comms.Kind.PHONE]
    emails = [c.normalized for c in all_comms if c.kind == comms.Kind.EMAIL]
    matches = find_duplicates(
        phones=phones, emails=emails, company_title=company_title, kinds=match_kinds(kind)
    )
    target = choose(kind, policy, matches, actor=actor)
    resolution = Resolution(matches=matches)
    if target is not None:
        resolution.existing = _MODELS[kind].objects.get(pk=target.item_id)
    elif policy == DuplicatePolicy.ATTACH and matches:
        resolution.contact, resolution.company = known_client(reachable_matches(matches, actor))
    return resolution


def match_kinds(kind: str) -> tuple[str, ...]:
    """Return the kinds of items a new item of `kind` is compared with."""
    if kind == "lead":
        return ("lead", "contact", "company")
    if kind == "company":
        return ("company", "contact")
    return ("contact", "company")


def choose(
    kind: str, policy: DuplicatePolicy, matches: list[Match], *, actor: User | None = None
) -> Match | None:
    """Return the match a SKIP or MERGE returns instead of creating; raise DuplicateFound on REFUSE.

    `matches` come newest first, open items before closed ones (find_duplicates' order). A match
    outside the actor's read scope is reported without its id or title, and never returned.
    """
    if not matches or policy == DuplicatePolicy.CREATE:
        return None
    reachable = reachable_matches(matches, actor)
    if policy == DuplicatePolicy.REFUSE:
        first = reachable[0] if reachable else None
        raise DuplicateFound(
            "duplicate.found",
            _("Possible duplicate: %(title)s (%(by)s %(value)s).")
            % {
                "title": first.title if first else _("an item you cannot see"),
                "by": matches[0].matched_by,
                "value": matches[0].value,
            },
            details={"duplicates": [m.as_dict(hidden=m not in reachable) for m in matches]},
        )
    if policy in (DuplicatePolicy.SKIP, DuplicatePolicy.MERGE):
        return next((m for m in reachable if m.kind == kind), None)
    return None


def reachable_matches(matches: list[Match], actor: User | None) -> list[Match]:
    """Return the matches the actor may see (all of them without an actor)."""
    return [m for m in matches if actor is None or m.visible_to(actor)]


def known_client(matches: list[Match]) -> tuple[Contact | None, Company | None]:
    """Return the contact and company among the matches (the newest of each)."""
    contact_id = next((m.item_id for m in matches if m.kind == "contact"), None)
    company_id = next((m.item_id for m in matches if m.kind == "company"), None)
    contact = Contact.objects.filter(pk=contact_id).first() if contact_id else None
    company = Company.objects.filter(pk=company_id).first() if company_id else None
    if contact is not None and company is None and contact.company_id:
        company = contact.company
    return contact, company


def merge_into(
    existing,
    *,
    actor: User,
    fields: Mapping[str, Any],
    parsed: dict[str, list[comms.Comm]] | None,
    custom: Mapping[str, Any] | None = None,
    data: Mapping[str, Any] | None = None,
) -> Any:
    """Merge new data into an existing item: fill its empty fields, add missing communications.

    `data` is added to the timeline entry (an import names its job there).
    """
    items.require(actor, Action.UPDATE, existing.kind, owner_id=existing.assigned_to_id)
    changes = items.apply_changes(existing, fillable(existing, fields))
    new_custom = {code: value for code, value in (custom or {}).items() if code not in existing.custom}
    if new_custom:
        existing.custom = items.prepare_custom(
            existing.kind, new_custom, current=existing.custom, creating=False
        )
        changes["custom"] = [None, new_custom]
    added = comms.add_missing(existing, comms.flatten(parsed)) if hasattr(existing, "communications") else []
    if not changes and not added:
        return existing
    items.refresh_search_text(existing)
    existing.save()
    timeline.record(
        existing,
        kind=timeline.Kind.MERGED,
        actor=actor,
        data={
            "changes": changes,
            "added": [{"kind": c.kind, "value": c.value} for c in added],
            **(data or {}),
        },
    )
    bus.publish(events.ItemsMerged(kind=existing.kind.value, item_id=existing.pk, actor_id=actor.pk))
    return existing


def fillable(existing, fields: Mapping[str, Any]) -> dict[str, Any]:
    """Return the new values a merge may set: those of fields `existing` has empty (it keeps its own)."""
    return {
        name: value
        for name, value in fields.items()
        if value not in (None, "", {}) and not has_value(getattr(existing, name, None), name)
    }


def has_value(value: Any, name: str) -> bool:
    """Return True if a field holds a value a merge must keep (a zero amount counts as empty)."""
    if name == "amount":
        return bool(value)
    return value not in (None, "", {})
