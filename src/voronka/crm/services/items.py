"""What the services of the four item kinds share: rights, field cleaning, change records.

Rules enforced here:
- the actor needs the right for the action on the item (its scope covers the item's responsible);
- text fields fit their length; amounts and currencies are well formed; a responsible is an
  active user; a source is a configured one;
- every change is written to the timeline with the old and new values, and published.
"""

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import can
from voronka.crm import config_cache, events
from voronka.crm.models import Communication, Company, Contact, CustomField, Deal, Lead, Source
from voronka.crm.models.base import ItemKind
from voronka.crm.services import comms, timeline
from voronka.crm.services.custom_fields import clean_values
from voronka.lib import bus
from voronka.lib.errors import Forbidden, Invalid
from voronka.lib.money import to_amount, to_currency
from voronka.lib.text import company_key, search_key

ITEM_MODELS: dict[str, type[models.Model]] = {
    "lead": Lead,
    "deal": Deal,
    "contact": Contact,
    "company": Company,
}

_FORBIDDEN = {
    Action.READ: _("You may not see this item."),
    Action.CREATE: _("You may not create this item."),
    Action.UPDATE: _("You may not change this item."),
    Action.DELETE: _("You may not delete this item."),
    Action.EXPORT: _("You may not export these items."),
    Action.MOVE_BACK: _("You may not move this item back."),
}

# The fields each kind lets a write set, and how their values are cleaned.
TEXT = "text"
AMOUNT = "amount"
CURRENCY = "currency"
SOURCE = "source"
USER = "user"
DATE = "date"
PERCENT = "percent"
CONTACT = "contact"
COMPANY = "company"
DICT = "dict"

COMMON = {"source": SOURCE, "source_description": TEXT, "comments": TEXT, "assigned_to": USER}
PERSON = {"first_name": TEXT, "last_name": TEXT, "second_name": TEXT, "position": TEXT}
FIELDS: dict[str, dict[str, str]] = {
    "lead": {
        **COMMON,
        **PERSON,
        "title": TEXT,
        "company_title": TEXT,
        "amount": AMOUNT,
        "currency": CURRENCY,
        "address": TEXT,
        "utm": DICT,
        "contact": CONTACT,
        "company": COMPANY,
    },
    "deal": {
        **COMMON,
        "title": TEXT,
        "amount": AMOUNT,
        "currency": CURRENCY,
        "close_date": DATE,
        "probability": PERCENT,
        "contact": CONTACT,
        "company": COMPANY,
        "utm": DICT,
    },
    "contact": {**COMMON, **PERSON, "birthdate": DATE, "company": COMPANY, "address": TEXT},
    "company": {
        **COMMON,
        "title": TEXT,
        "industry": TEXT,
        "employees": TEXT,
        "revenue": AMOUNT,
        "currency": CURRENCY,
        "tax_id": TEXT,
        "address": TEXT,
    },
}
TEXT_LIMIT = 10_000


def require(actor: User, action: str, kind: str, *, owner_id: int | None) -> None:
    """Raise Forbidden unless `actor` may do `action` on an item of `kind` owned by `owner_id`."""
    if not can(actor, action, kind, owner_id=owner_id):
        raise Forbidden(f"rights.{action}", _FORBIDDEN[Action(action)])


@dataclass(frozen=True)
class Tables:
    """Sources and users loaded once, so cleaning a batch of rows needs no queries (bulk writes).

    `sources` maps upper-case codes and str(pk) to sources; `users` maps pks to users.
    """

    sources: Mapping[str, Source]
    users: Mapping[int, User]


def clean_fields(kind: str, values: Mapping[str, Any], *, tables: Tables | None = None) -> dict[str, Any]:
    """Validate the plain fields of a write; unknown names and bad values are reported together."""
    spec = FIELDS[kind]
    model = ITEM_MODELS[kind]
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, raw in values.items():
        cleaner = spec.get(name)
        if cleaner is None:
            errors[name] = str(_("Unknown field."))
            continue
        try:
            cleaned[name] = _clean(model, name, cleaner, raw, tables)
        except Invalid as error:
            errors[name] = str(error.message)
    if errors:
        raise Invalid("item.invalid", _("Some fields are wrong."), details=errors)
    return cleaned


def _clean(model: type[models.Model], name: str, cleaner: str, raw: Any, tables: Tables | None) -> Any:
    if cleaner == TEXT:
        text = "" if raw is None else str(raw).strip()
        limit = getattr(model._meta.get_field(name), "max_length", None) or TEXT_LIMIT
        if len(text) > limit:
            raise Invalid("field.too_long", _("At most %(limit)d characters.") % {"limit": limit})
        return text
    if cleaner == AMOUNT:
        return None if raw in (None, "") and name == "revenue" else to_amount(raw, field=name)
    if cleaner == CURRENCY:
        return to_currency(raw, default=settings.DEFAULT_CURRENCY)
    if cleaner == SOURCE:
        return resolve_source(raw, sources=tables.sources if tables else None)
    if cleaner == USER:
        return resolve_user(raw, users=tables.users if tables else None)
    if cleaner == DATE:
        return _date(raw)
    if cleaner == PERCENT:
        return _percent(raw)
    if cleaner in (CONTACT, COMPANY):
        return _link(Contact if cleaner == CONTACT else Company, raw)
    if cleaner == DICT:
        if raw in (None, ""):
            return {}
        if not isinstance(raw, Mapping):
            raise Invalid("field.not_a_mapping", _("Expected names and values."))
        return {str(k)[:50]: str(v)[:500] for k, v in raw.items()}
    raise AssertionError(cleaner)


def resolve_source(raw: Any, *, sources: Mapping[str, Source] | None = None) -> Source | None:
    """Return the source given as an instance, id or code; None for empty."""
    if raw in (None, ""):
        return None
    if isinstance(raw, Source):
        return raw
    text = str(raw).strip()
    if sources is not None:
        source = sources.get(text.upper())
    else:
        source = _sources_by_code().get(text.upper()) if len(text) <= 50 else None
        if source is None:
            source = Source.objects.filter(code__iexact=text).first()
        if source is None and text.isdigit() and len(text) < 19:
            source = Source.objects.filter(pk=int(text)).first()
    if source is None:
        raise Invalid("source.unknown", _("Unknown source “%(value)s”.") % {"value": text})
    return source


def _sources_by_code() -> dict[str, Source]:
    """Every source by its code (kept while the configuration stays; codes are unique)."""
    return config_cache.cached("sources_by_code", lambda: {s.code: s for s in Source.objects.order_by()})


def resolve_user(raw: Any, *, users: Mapping[int, User] | None = None) -> User | None:
    """Return the active user given as an instance or id; None for empty."""
    if raw in (None, ""):
        return None
    if isinstance(raw, User):
        user = raw
    else:
        try:
            user = User.objects.get(pk=int(raw)) if users is None else users[int(raw)]
        except (User.DoesNotExist, KeyError, TypeError, ValueError):
            raise Invalid("user.unknown", _("Unknown user “%(value)s”.") % {"value": raw}) from None
    if not user.is_active or user.is_system:
        raise Invalid("user.inactive", _("%(user)s cannot be responsible.") % {"user": user})
    return user


def _date(raw: Any) -> dt.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text[:10], pattern).date()  # noqa: DTZ007 - a date only
        except ValueError:
            continue
    raise Invalid("field.not_a_date", _("“%(value)s” is not a date.") % {"value": raw})


def _percent(raw: Any) -> int | None:
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid("field.not_a_number", _("“%(value)s” is not a number.") % {"value": raw}) from None
    if not 0 <= value <= 100:
        raise Invalid("field.percent_range", _("Between 0 and 100."))
    return value


def _link(model: type[models.Model], raw: Any) -> models.Model | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, model):
        return raw
    try:
        return model.objects.get(pk=int(raw))
    except (model.DoesNotExist, TypeError, ValueError):
        raise unknown_link(model, raw) from None


def unknown_link(model: type[models.Model], raw: Any) -> Invalid:
    """Return the error for a link to a contact or company that does not exist."""
    return Invalid(
        "link.unknown", _("There is no %(kind)s #%(id)s.") % {"kind": model._meta.verbose_name, "id": raw}
    )


def split_arguments(values: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """Split write arguments into plain fields, communications and custom values."""
    fields = {k: v for k, v in values.items() if k not in comms.KIND_ARGUMENTS and k != "custom"}
    communications = {k: v for k, v in values.items() if k in comms.KIND_ARGUMENTS}
    return fields, communications, values.get("custom")


def prepare_custom(
    kind: str,
    custom: Any,
    *,
    current: dict[str, Any] | None,
    creating: bool,
    definitions: list[CustomField] | None = None,
    user_ids: set[int] | None = None,
) -> dict[str, Any]:
    """Validate custom field values against the definitions of `kind` (given, or read)."""
    if custom is not None and not isinstance(custom, Mapping):
        raise Invalid("custom.not_a_mapping", _("Custom fields are given as code → value."))
    return clean_values(
        kind, custom, current=current, creating=creating, known_fields=definitions, user_ids=user_ids
    )


SEARCHED_FIELDS = ("title", "first_name", "second_name", "last_name", "company_title")


def refresh_search_text(item, communications: list[comms.Comm] | None = None) -> None:
    """Recompute the folded text the list search matches against.

    `communications` are the item's phones, e-mails... when the caller has them (a new item):
    then they are not read back from the database.
    """
    if communications is not None:
        values = [(c.kind, c.normalized, c.value) for c in communications]
    elif item.kind != "deal" and item.pk is not None:
        values = list(item.communications.values_list("kind", "normalized", "value"))
    else:
        values = []
    item.search_text = search_text_of([getattr(item, name, "") for name in SEARCHED_FIELDS], values)
    if isinstance(item, Company):
        item.title_key = company_key(item.title)


def search_text_of(names: Iterable[str], communications: Iterable[tuple[str, str, str]]) -> str:
    """Return the search text of an item: its names, and its (kind, normalized, value) communications."""
    parts = list(names)
    for kind, normalized, value in communications:
        parts.append(
            normalized if kind != Communication.Kind.PHONE else f"{normalized} {normalized.lstrip('+')}"
        )
        if kind == Communication.Kind.WEB:
            parts.append(value)
    return search_key(*parts)


def snapshot(item, names) -> dict[str, Any]:
    """Return the current values of `names` in a JSON-friendly form, for change records."""
    return {name: _plain(getattr(item, name)) for name in names}


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | dict | list):
        return value
    return str(value)


def apply_changes(item, cleaned: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Set the cleaned fields on `item`; return {field: [old, new]} for those that really changed."""
    changes: dict[str, list[Any]] = {}
    for name, value in cleaned.items():
        old = getattr(item, name)
        if _plain(old) != _plain(value):
            changes[name] = [_plain(old), _plain(value)]
            setattr(item, name, value)
    return changes


def record_update(item, *, actor: User, changes: dict[str, list[Any]], save_fields: list[str]) -> None:
    """Save a changed item, write the timeline and publish ItemUpdated."""
    item.updated_at = timezone.now()
    refresh_search_text(item)
    extra = ["updated_at", "search_text"] + (["title_key"] if isinstance(item, Company) else [])
    item.save(update_fields=sorted(set(save_fields) | set(extra)))
    timeline.record(item, kind=timeline.Kind.FIELDS_CHANGED, actor=actor, data={"changes": changes})
    bus.publish(
        events.ItemUpdated(
            kind=item.kind.value, item_id=item.pk, fields=tuple(sorted(changes)), actor_id=actor.pk
        )
    )


def record_creation(item, *, actor: User, data: dict[str, Any] | None = None) -> None:
    """Write the creation entry and publish ItemCreated."""
    timeline.record(item, kind=timeline.Kind.CREATED, actor=actor, data=data or {}, at=item.created_at)
    announce_creation(item, actor=actor)


def creation_entry(item, *, actor: User, data: dict[str, Any] | None = None):
    """The (unsaved) creation entry `record_creation()` writes, for a caller that inserts it with
    other rows; once it is inserted, the caller calls `announce_creation()`."""
    return timeline.new_entry(
        item, kind=timeline.Kind.CREATED, actor=actor, data=data or {}, at=item.created_at
    )


def announce_creation(item, *, actor: User) -> None:
    """Publish ItemCreated (after commit)."""
    bus.publish(events.ItemCreated(kind=item.kind.value, item_id=item.pk, actor_id=actor.pk))


def default_responsible(actor: User, given: User | None) -> User | None:
    """Return the responsible for a new item: the one given, else the actor (unless it is the system)."""
    if given is not None:
        return given
    return None if actor.is_system else actor


def kind_of(item) -> ItemKind:
    """Return the kind of a CRM item."""
    return item.kind
