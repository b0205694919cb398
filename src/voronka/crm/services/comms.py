"""Communications of an item: parse what adapters pass, normalize, and store.

Adapters pass phones, e-mails, messengers and web sites as plain strings, as
{"value": ..., "label": ...} mappings, or as `Comm` values. Every value is
normalized (E.164 phones, lower-case e-mails); all bad values of one write are
reported together in `details`, keyed "phones.0", "emails.1", ...
"""

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from django.utils.translation import gettext_lazy as _

from voronka.crm import bulk_insert
from voronka.crm.models import Communication
from voronka.lib.emails import normalize_email
from voronka.lib.errors import Invalid
from voronka.lib.phones import normalize_phone

Kind = Communication.Kind
Label = Communication.Label

# The keyword argument of the services for each kind, and the label when none is given.
KIND_ARGUMENTS = {
    "phones": Kind.PHONE,
    "emails": Kind.EMAIL,
    "messengers": Kind.MESSENGER,
    "websites": Kind.WEB,
}
DEFAULT_LABEL = {
    Kind.PHONE: Label.WORK,
    Kind.EMAIL: Label.WORK,
    Kind.MESSENGER: Label.TELEGRAM,
    Kind.WEB: Label.WORK,
}


# A named tuple rather than a dataclass: imports send hundreds of thousands of these from their
# parsing worker to the writer, and a tuple unpickles three times faster.
class Comm(NamedTuple):
    """One phone, e-mail, messenger or site, with its normalized form once parsed."""

    kind: str
    value: str
    label: str = ""
    normalized: str = ""


CommInput = str | Mapping[str, Any] | Comm
_DEFAULT_LABEL = {str(kind.value): str(label.value) for kind, label in DEFAULT_LABEL.items()}
# Plain strings: TextChoices members compare through enum descriptors, slow in a 100,000-row import.
_LABELS = frozenset(Label.values)
_PHONE, _EMAIL, _WEB = str(Kind.PHONE.value), str(Kind.EMAIL.value), str(Kind.WEB.value)


def normalize_value(kind: str, value: str) -> str:
    """Return the normalized form of one value of `kind`, or raise Invalid."""
    if kind == _PHONE:
        return normalize_phone(value)
    if kind == _EMAIL:
        return normalize_email(value)
    text = value.strip()
    if not text:
        raise Invalid("communication.empty", _("The value is empty."))
    if kind == _WEB:
        return text.lower().removeprefix("https://").removeprefix("http://").removeprefix("www.").rstrip("/")
    return text.lower().lstrip("@")


def parse(arguments: Mapping[str, Iterable[CommInput] | None]) -> dict[str, list[Comm]] | None:
    """Parse the `phones=`, `emails=`, ... arguments; a kind absent from `arguments` is left out.

    Returns None when no kind was given at all.
    """
    given = {
        name: values for name, values in arguments.items() if name in KIND_ARGUMENTS and values is not None
    }
    if not given:
        return None
    errors: dict[str, str] = {}
    parsed: dict[str, list[Comm]] = {}
    for name, values in given.items():
        kind = str(KIND_ARGUMENTS[name].value)
        if isinstance(values, str | Mapping | Comm):
            values = [values]
        comms: list[Comm] = []
        seen: set[str] = set()
        for index, raw in enumerate(values):
            try:
                comm = _one(kind, raw)
            except Invalid as error:
                errors[f"{name}.{index}"] = str(error.message)
                continue
            if comm is None or comm.normalized in seen:
                continue
            seen.add(comm.normalized)
            comms.append(comm)
        parsed[name] = comms
    if errors:
        raise Invalid("communication.invalid", _("Some contact details are wrong."), details=errors)
    return parsed


def _one(kind: str, raw: CommInput) -> Comm | None:
    if isinstance(raw, Comm):
        value, label = raw.value, raw.label
    elif isinstance(raw, Mapping):
        value, label = str(raw.get("value") or ""), str(raw.get("label") or raw.get("type") or "")
    else:
        value, label = str(raw), ""
    value = value.strip()
    if not value:
        return None
    label = (label or _DEFAULT_LABEL[kind]).lower()
    if label not in _LABELS:
        raise Invalid("communication.bad_label", _("Unknown label “%(label)s”.") % {"label": label})
    if len(value) > 255:
        raise Invalid("communication.too_long", _("The value is longer than 255 characters."))
    return Comm(kind=kind, value=value, label=label, normalized=normalize_value(kind, value))


def replace(item, parsed: dict[str, list[Comm]], *, fresh: bool = False) -> bool:
    """Replace the item's communications of each kind in `parsed`; return True if anything changed.

    `fresh`: the item was created in this transaction and has none yet (nothing to read back).
    """
    owner = {item.kind.value: item}
    if fresh:
        # What the new item's answer shows (crm.selectors.lists.row_of), without reading it back.
        item.fresh_communications = bulk_insert.insert_many(new_rows(item, parsed))
        return any(parsed.values())
    changed = False
    existing = list(item.communications.all())
    for name, comms in parsed.items():
        kind = KIND_ARGUMENTS[name]
        current = [c for c in existing if c.kind == kind]
        if [(c.normalized, c.label, c.value) for c in current] == [
            (c.normalized, c.label, c.value) for c in comms
        ]:
            continue
        changed = True
        Communication.objects.filter(pk__in=[c.pk for c in current]).delete()
        Communication.objects.bulk_create(
            Communication(kind=kind, label=c.label, value=c.value, normalized=c.normalized, sort=i, **owner)
            for i, c in enumerate(comms)
        )
    return changed


def new_rows(item, parsed: dict[str, list[Comm]] | None) -> list[Communication]:
    """The (unsaved) rows of a new item's communications, in the order `replace(fresh=True)` writes them."""
    owner = {item.kind.value: item}
    return [
        bulk_insert.new(
            Communication,
            owner,
            kind=KIND_ARGUMENTS[name],
            label=c.label,
            value=c.value,
            normalized=c.normalized,
            sort=i,
        )
        for name, comms in (parsed or {}).items()
        for i, c in enumerate(comms)
    ]


def add_missing(item, comms: Iterable[Comm]) -> list[Comm]:
    """Add the communications the item does not have yet; return those added."""
    have = set(item.communications.values_list("kind", "normalized"))
    added = [c for c in comms if (c.kind, c.normalized) not in have]
    owner = {item.kind.value: item}
    Communication.objects.bulk_create(
        Communication(
            kind=c.kind, label=c.label, value=c.value, normalized=c.normalized, sort=100 + i, **owner
        )
        for i, c in enumerate(added)
    )
    return added


def of(item) -> list[Comm]:
    """Return the item's communications as Comm values."""
    return [
        Comm(kind=c.kind, value=c.value, label=c.label, normalized=c.normalized)
        for c in item.communications.all()
    ]


def flatten(parsed: dict[str, list[Comm]] | None) -> list[Comm]:
    """Return every Comm of a parse result in one list."""
    return [comm for comms in (parsed or {}).values() for comm in comms]
