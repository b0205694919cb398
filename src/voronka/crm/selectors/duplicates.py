"""Duplicate look-ups: who already has this phone, e-mail or company name.

One index look-up on (kind, normalized) communications, plus the company name key.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from voronka.accounts.models import User
from voronka.accounts.rights import owner_ids
from voronka.crm.models import Communication, Company, Contact, Lead
from voronka.lib.emails import try_normalize_email
from voronka.lib.phones import try_normalize_phone
from voronka.lib.text import company_key

MODELS = {"lead": Lead, "contact": Contact, "company": Company}
# What a match shows: the title (a contact's is its name), whether it is closed, its responsible.
_DESCRIBED = {
    "lead": ("title", "is_closed", "assigned_to_id"),
    "contact": ("first_name", "second_name", "last_name", "assigned_to_id"),
    "company": ("title", "assigned_to_id"),
}


@dataclass(frozen=True, slots=True)
class Match:
    """An existing item sharing a phone, e-mail or company name with the input."""

    kind: str
    item_id: int
    title: str
    matched_by: str  # "phone", "email" or "company"
    value: str
    is_closed: bool = False
    assigned_to_id: int | None = None

    def as_dict(self, *, hidden: bool = False) -> dict:
        """Return the match as plain data; `hidden` leaves out which item it is (outside the scope)."""
        return {
            "kind": self.kind,
            "id": None if hidden else self.item_id,
            "title": "" if hidden else self.title,
            "matched_by": self.matched_by,
            "value": self.value,
            "is_closed": self.is_closed,
        }

    def visible_to(self, user: User | None) -> bool:
        """Return True if `user` may read the matched item."""
        allowed = owner_ids(user, self.kind)
        return allowed is None or self.assigned_to_id in allowed


def find_duplicates(
    *,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    company_title: str = "",
    kinds: Iterable[str] = ("lead", "contact", "company"),
    exclude: tuple[str, int] | None = None,
    user: User | None = None,
    limit: int = 20,
) -> list[Match]:
    """Return existing items matching any phone, e-mail or the company name (newest first).

    Values may be raw ("8 (495) ...") or normalized. With `user`, only items in that user's
    read scope are returned.
    """
    kinds = tuple(kinds)
    phone_keys = {p for p in (try_normalize_phone(str(v)) for v in phones if v) if p}
    email_keys = {e for e in (try_normalize_email(str(v)) for v in emails if v) if e}
    found: dict[tuple[str, int], tuple[str, str]] = {}
    condition = Q()
    if phone_keys:
        condition |= Q(kind=Communication.Kind.PHONE, normalized__in=phone_keys)
    if email_keys:
        condition |= Q(kind=Communication.Kind.EMAIL, normalized__in=email_keys)
    if condition:
        rows = (
            Communication.objects.filter(condition)
            .order_by()
            .values_list("kind", "normalized", "lead_id", "contact_id", "company_id")[: limit * 10]
        )
        for kind, normalized, lead_id, contact_id, company_id in rows:
            owner = (
                ("lead", lead_id)
                if lead_id
                else ("contact", contact_id)
                if contact_id
                else ("company", company_id)
            )
            if owner[0] in kinds and owner != exclude:
                found.setdefault(owner, (kind, normalized))
    key = company_key(company_title) if company_title else ""
    if key and "company" in kinds:
        for company_id in Company.objects.filter(title_key=key).values_list("pk", flat=True)[:limit]:
            if ("company", company_id) != exclude:
                found.setdefault(("company", company_id), ("company", company_title))
    return _describe(found, user=user, limit=limit)


def _describe(found: dict[tuple[str, int], tuple[str, str]], *, user: User | None, limit: int) -> list[Match]:
    matches: list[Match] = []
    for kind, model in MODELS.items():
        ids = [item_id for (k, item_id) in found if k == kind]
        if not ids:
            continue
        queryset = model.objects.filter(pk__in=ids).only(*_DESCRIBED[kind])
        if user is not None:
            allowed = owner_ids(user, kind)
            if allowed is not None:
                queryset = queryset.filter(assigned_to_id__in=allowed)
        for item in queryset:
            matched_by, value = found[(kind, item.pk)]
            matches.append(
                Match(
                    kind=kind,
                    item_id=item.pk,
                    title=str(item.title),
                    matched_by=matched_by,
                    value=value,
                    is_closed=getattr(item, "is_closed", False),
                    assigned_to_id=item.assigned_to_id,
                )
            )
    matches.sort(key=lambda m: (m.is_closed, -m.item_id))
    return matches[:limit]
