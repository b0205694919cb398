"""The client of an imported deal or contact, named in the file: found by name, or created.

A deal's "Company" and "Contact" columns, and a contact's "Company", hold names. Each name is
looked up once per import (company names by the same folded key duplicate control uses, people
by first and last name in either order) among the items the importing user may see; a name not
found is created through the crm services (with duplicate control set to skip). A dry run creates
nothing and leaves such rows without a client.
"""

from collections.abc import Iterable

from django.db.models import Q

from voronka.accounts.models import User
from voronka.crm.selectors.items import visible
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib.errors import DomainError
from voronka.lib.text import company_key, fold

_CHUNK = 200


class Finder:
    """Finds (or creates) the clients named in rows, remembering what it found for the whole import."""

    def __init__(self, *, actor: User, create: bool) -> None:
        self.actor = actor
        self.create = create
        self.companies: dict[str, int | None] = {}
        self.contacts: dict[str, int | None] = {}

    def link(self, entity: str, rows: Iterable) -> list[tuple[object, DomainError]]:
        """Set the company/contact links of pipeline.Ready rows; return the rows whose client cannot be made."""
        rows = [row for row in rows if row.names]
        if entity not in ("deal", "contact") or not rows:
            return []
        failed: list[tuple[object, DomainError]] = []
        self._find_companies({row.names["company"] for row in rows if row.names.get("company")})
        if entity == "deal":
            self._find_contacts({row.names["contact"] for row in rows if row.names.get("contact")})
        for row in rows:
            try:
                for name, table, make in (
                    ("company", self.companies, self._make_company),
                    ("contact", self.contacts, self._make_contact),
                ):
                    text = row.names.get(name)
                    if not text:
                        continue
                    key = _company(text) if name == "company" else _person(text)
                    if key not in table:
                        table[key] = make(text) if self.create else None
                    if table[key] is not None:
                        row.prepared.links[name] = table[key]
            except DomainError as error:
                failed.append((row, error))
        return failed

    def _find_companies(self, names: set[str]) -> None:
        keys = sorted({_company(name) for name in names} - set(self.companies))
        for start in range(0, len(keys), _CHUNK):
            found = visible(self.actor, "company").filter(title_key__in=keys[start : start + _CHUNK])
            for pk, key in found.order_by("pk").values_list("pk", "title_key"):
                self.companies.setdefault(key, pk)

    def _find_contacts(self, names: set[str]) -> None:
        keys = sorted({_person(name) for name in names} - set(self.contacts))
        for start in range(0, len(keys), _CHUNK):
            condition = Q()
            for key in keys[start : start + _CHUNK]:
                first, _space, last = key.partition(" ")
                condition |= Q(first_name__iexact=first, last_name__iexact=last)
                condition |= Q(first_name__iexact=last, last_name__iexact=first)
            found = visible(self.actor, "contact").filter(condition).order_by("pk")
            for pk, first, last in found.values_list("pk", "first_name", "last_name"):
                for key in (_person(f"{first} {last}"), _person(f"{last} {first}")):
                    self.contacts.setdefault(key, pk)

    def _make_company(self, title: str) -> int:
        return create_company(actor=self.actor, title=title, on_duplicate=DuplicatePolicy.SKIP).pk

    def _make_contact(self, name: str) -> int:
        parts = name.split()
        if len(parts) >= 3:  # Russian order: last, first, middle
            values = {"last_name": parts[0], "first_name": parts[1], "second_name": " ".join(parts[2:])}
        else:
            values = dict(zip(("first_name", "last_name"), parts, strict=False))
        return create_contact(actor=self.actor, on_duplicate=DuplicatePolicy.CREATE, **values).pk


def _company(name: str) -> str:
    return company_key(name)


def _person(name: str) -> str:
    parts = fold(name).split()
    return " ".join(parts[:2]) if len(parts) < 3 else f"{parts[1]} {parts[0]}"
