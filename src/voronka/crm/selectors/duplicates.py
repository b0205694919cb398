"""Duplicate look-ups: who already has this phone, e-mail or company name.

One index look-up on (kind, normalized) communications, plus the company name key.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from voronka.accounts.models import User
from voronka.accounts.rights import owner_ids
from voronka.crm.models import Communication, Company, Contact, Lead
from voronka.lib import statements
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
    if phone_keys or email_keys:
        for kind, normalized, lead_id, contact_id, company_id in _communication_rows(
            phone_keys, email_keys, limit * 10
        ):
            owner = _owner(lead_id, contact_id, company_id)
            if owner[0] in kinds and owner != exclude:
                found.setdefault(owner, (kind, normalized))
    key = company_key(company_title) if company_title else ""
    if key and "company" in kinds:
        for company_id in Company.objects.filter(title_key=key).values_list("pk", flat=True)[:limit]:
            if ("company", company_id) != exclude:
                found.setdefault(("company", company_id), ("company", company_title))
    return _describe(found, user=user, limit=limit)


def _communication_rows(phone_keys: set[str], email_keys: set[str], limit: int) -> list[tuple]:
    """(kind, normalized, lead, contact, company) of the communications with these values.

    Every create runs it: one raw statement on the (kind, normalized) index, since building it
    with the ORM costs several times what running it does (prepared: lib.statements).
    """
    conditions, params = [], []
    for kind, keys in ((Communication.Kind.PHONE, phone_keys), (Communication.Kind.EMAIL, email_keys)):
        if keys:
            conditions.append(f"(kind = %s AND normalized IN ({', '.join(['%s'] * len(keys))}))")
            params += [kind.value, *sorted(keys)]
    table = connection.ops.quote_name(Communication._meta.db_table)
    sql = (
        f"SELECT kind, normalized, lead_id, contact_id, company_id FROM {table} "  # noqa: S608 - placeholders only
        f"WHERE {' OR '.join(conditions)} LIMIT %s"
    )
    with statements.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        return cursor.fetchall()


def _owner(lead_id: int | None, contact_id: int | None, company_id: int | None) -> tuple[str, int]:
    """Return the (kind, id) of a communication's item (exactly one of the ids is set)."""
    if lead_id:
        return ("lead", lead_id)
    if contact_id:
        return ("contact", contact_id)
    return ("company", company_id)


def _describe(found: dict[tuple[str, int], tuple[str, str]], *, user: User | None, limit: int) -> list[Match]:
    described = describe(found, user=user)
    matches = [
        Match(
            kind=kind,
            item_id=item_id,
            title=title,
            matched_by=found[(kind, item_id)][0],
            value=found[(kind, item_id)][1],
            is_closed=is_closed,
            assigned_to_id=assigned_to_id,
        )
        for (kind, item_id), (title, is_closed, assigned_to_id) in described.items()
    ]
    matches.sort(key=lambda m: (m.is_closed, -m.item_id))
    return matches[:limit]


def describe(
    keys: Iterable[tuple[str, int]], *, user: User | None = None
) -> dict[tuple[str, int], tuple[str, bool, int | None]]:
    """Return (title, is_closed, responsible id) of the given (kind, id) items, one query per kind."""
    keys = list(keys)
    described: dict[tuple[str, int], tuple[str, bool, int | None]] = {}
    for kind, model in MODELS.items():
        ids = [item_id for (k, item_id) in keys if k == kind]
        if not ids:
            continue
        queryset = model.objects.filter(pk__in=ids).only(*_DESCRIBED[kind])
        if user is not None:
            allowed = owner_ids(user, kind)
            if allowed is not None:
                queryset = queryset.filter(assigned_to_id__in=allowed)
        for item in queryset:
            described[(kind, item.pk)] = (
                str(item.title),
                getattr(item, "is_closed", False),
                item.assigned_to_id,
            )
    return described


@dataclass
class DuplicateIndex:
    """The existing items that share a phone, e-mail or company name with a batch of new items.

    Built with one query per batch (`index_duplicates`), then asked per row (`matches`).
    """

    owners: dict[tuple[str, str], list[tuple[str, int]]]  # ("phone", "+7495...") -> [(kind, id)]
    items: dict[tuple[str, int], tuple[str, bool, int | None]]

    def add(self, other: "DuplicateIndex") -> None:
        """Add the items of `other` (written by another transaction, maybe not committed yet)."""
        for key, found in other.owners.items():
            mine = self.owners.get(key)
            if mine is None:
                self.owners[key] = list(found)
            else:
                mine.extend(owner for owner in found if owner not in mine)
        for owner, described in other.items.items():
            self.items.setdefault(owner, described)

    def matches(
        self,
        *,
        phones: Iterable[str] = (),
        emails: Iterable[str] = (),
        company_title: str = "",
        limit: int = 20,
    ) -> list[Match]:
        """Return the matches of one new item, in find_duplicates' order (open first, newest first)."""
        found: dict[tuple[str, int], tuple[str, str]] = {}
        keys = [("phone", p) for p in phones] + [("email", e) for e in emails]
        if company_title:
            keys.append(("company", company_key(company_title)))
        for matched_by, value in keys:
            for owner in self.owners.get((matched_by, value), ()):
                if owner in self.items:
                    found.setdefault(owner, (matched_by, company_title if matched_by == "company" else value))
        matches = [
            Match(
                kind=kind,
                item_id=item_id,
                title=self.items[(kind, item_id)][0],
                matched_by=by,
                value=value,
                is_closed=self.items[(kind, item_id)][1],
                assigned_to_id=self.items[(kind, item_id)][2],
            )
            for (kind, item_id), (by, value) in found.items()
        ]
        matches.sort(key=lambda m: (m.is_closed, -m.item_id))
        return matches[:limit]


def index_duplicates(
    *,
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    company_titles: Iterable[str] = (),
    kinds: Iterable[str] = ("lead", "contact", "company"),
) -> DuplicateIndex:
    """Find the existing items of `kinds` holding any of the normalized phones and e-mails or company names."""
    kinds = tuple(kinds)
    owners: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for comm_kind, values in (
        (Communication.Kind.PHONE, set(phones)),
        (Communication.Kind.EMAIL, set(emails)),
    ):
        for normalized, lead_id, contact_id, company_id in _owners_of(str(comm_kind), sorted(values)):
            owner = _owner(lead_id, contact_id, company_id)
            if owner[0] in kinds:
                owners.setdefault((str(comm_kind), normalized), []).append(owner)
    keys = sorted({key for key in (company_key(title) for title in company_titles if title) if key})
    if keys and "company" in kinds:
        for start in range(0, len(keys), _CHUNK):
            rows = Company.objects.filter(title_key__in=keys[start : start + _CHUNK]).values_list(
                "pk", "title_key"
            )
            for company_id, key in rows:
                owners.setdefault(("company", key), []).append(("company", company_id))
    items = describe({owner for found in owners.values() for owner in found})
    return DuplicateIndex(owners=owners, items=items)


# Values per IN (...) list: well below SQLite's bound on query parameters.
_CHUNK = 5000


def _owners_of(kind: str, values: list[str]) -> Iterable[tuple[str, int | None, int | None, int | None]]:
    """Yield (normalized, lead, contact, company) of the communications of `kind` with these values."""
    # Plain SQL on the (kind, normalized) index: the ORM prepares each of the thousands of values
    # of a batch's IN list one by one, which costs more than the query.
    table = connection.ops.quote_name(Communication._meta.db_table)
    select = f"SELECT normalized, lead_id, contact_id, company_id FROM {table} WHERE kind = %s AND normalized"  # noqa: S608
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # One array parameter: PostgreSQL parses and plans it far faster than thousands of them.
                cursor.execute(f"{select} = ANY(%s)", [kind, chunk])
            else:
                cursor.execute(f"{select} IN ({', '.join(['%s'] * len(chunk))})", [kind, *chunk])
            yield from cursor.fetchall()
