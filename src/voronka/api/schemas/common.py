"""Shapes every resource shares: ids, errors, stage references, communications, list pages.

Output is written by plain functions (`*_dict`) rather than validated through pydantic on
the way out: a 50-row page is built in a fraction of the time. The pydantic classes here
describe the same shapes for the OpenAPI document, and tests/api check that every
function's output validates against its class (schemathesis checks the live responses).
"""

import datetime as dt
from collections.abc import Callable, Iterable
from decimal import Decimal
from operator import itemgetter
from typing import Annotated, Any, Literal

from ninja import Field, Schema
from ninja.schema import DjangoGetter
from pydantic import ConfigDict, ModelWrapValidatorHandler, ValidationInfo, create_model, model_validator

MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Text = Annotated[str, Field(max_length=20_000)]
ShortText = Annotated[str, Field(max_length=1_000)]
# Amounts are accepted as JSON numbers or strings ("1 500,00" too) and returned as strings.
AmountIn = Decimal | Annotated[str, Field(max_length=64)]
DuplicatePolicyName = Literal["refuse", "skip", "merge", "attach", "create"]


class Input(Schema):
    """A request body: an unknown field is an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="wrap")
    @classmethod
    def _run_root_validator(
        cls, values: Any, handler: ModelWrapValidatorHandler, info: ValidationInfo
    ) -> Any:
        # ninja validates an extra="forbid" schema twice: as it is, then read through its
        # DjangoGetter (which turns managers, querysets, callables and files of an ORM object
        # into values). A body parsed from JSON has none of those: once is enough.
        if type(values) is dict:
            return handler(values)
        handler(values)
        return handler(DjangoGetter(values, cls, info.context))


class ErrorBody(Schema):
    code: str = Field(description="Stable dotted code, e.g. `stage.backward_forbidden`.")
    message: str = Field(description="Human-readable, in the request's language.")
    details: dict[str, Any] = Field(description="Per-field messages or other structured details.")


class ErrorOut(Schema):
    """Every error answer has this shape."""

    error: ErrorBody


class StageRef(Schema):
    id: int
    code: str
    name: str
    semantics: Literal["open", "won", "lost"]
    sort: int
    pipeline_id: int


class CommOut(Schema):
    value: str = Field(description="As typed.")
    label: str
    normalized: str = Field(description="E.164 for phones, lower case for e-mails.")


class CommIn(Input):
    value: ShortText
    label: Annotated[str, Field(max_length=20)] | None = None


# A phone or e-mail is a plain string or {"value", "label"}.
CommsIn = list[ShortText | CommIn] | None


class DuplicateOut(Schema):
    kind: Literal["lead", "contact", "company"]
    id: int | None = Field(description="None when the match lies outside your access scope.")
    title: str
    matched_by: str
    value: str
    is_closed: bool


class OkOut(Schema):
    ok: bool


def optional_fields(model: type[Schema], name: str) -> type[Schema]:
    """Return a copy of `model` in which only `id` is required (list items honour `fields=`)."""
    fields: dict[str, Any] = {}
    for field_name, info in model.model_fields.items():
        if field_name == "id":
            fields[field_name] = (info.annotation, info)
        else:
            fields[field_name] = (info.annotation, Field(None, description=info.description))
    return create_model(name, __base__=Schema, __doc__=model.__doc__, **fields)


def page_schema(item: type[Schema], name: str) -> type[Schema]:
    """Return the schema of a keyset page of `item`."""
    return create_model(
        name,
        __base__=Schema,
        items=(list[item], ...),
        next_cursor=(
            str | None,
            Field(description="Pass as `cursor` to get the next page; null on the last page."),
        ),
    )


# --- output helpers -------------------------------------------------------------------------
def iso(value: dt.datetime | dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


_CENT = Decimal("0.01")


def money(value: Decimal | int | None, places: Decimal = _CENT) -> str | None:
    """Return an amount as a string with its decimal places ("0.00", not "0")."""
    return None if value is None else str(Decimal(value).quantize(places))


def stage_dict(stage) -> dict[str, Any]:
    """Return a Stage as the API shows it."""
    return {
        "id": stage.pk,
        "code": stage.code,
        "name": stage.title,
        "semantics": stage.semantics,
        "sort": stage.sort,
        "pipeline_id": stage.pipeline_id,
    }


_COMM_ARGUMENTS = {"phone": "phones", "email": "emails", "messenger": "messengers", "web": "websites"}
_GROUPED = "_comms_by_argument"


def comms_of(row: dict[str, Any], argument: str) -> list[dict[str, str]]:
    """Return a row's phones (emails, ...) from its `communication_rows`."""
    grouped = row.get(_GROUPED)
    if grouped is None:
        grouped = row[_GROUPED] = {name: [] for name in _COMM_ARGUMENTS.values()}
        for kind, label, value, normalized in row.get("communication_rows", ()):
            grouped[_COMM_ARGUMENTS[kind]].append({"value": value, "label": label, "normalized": normalized})
    return grouped[argument]


Getter = Callable[[Any], Any]


class Serializer:
    """Turns list rows (crm.selectors.lists.item_page / row_of) into the dicts of one schema,
    optionally only some of its fields."""

    def __init__(self, getters: dict[str, Getter]):
        self.getters = getters
        self.names = tuple(getters)

    def select(self, fields: Iterable[str] | None) -> list[tuple[str, Getter]]:
        if not fields:
            return list(self.getters.items())
        wanted = {"id", *fields}
        return [(name, getter) for name, getter in self.getters.items() if name in wanted]

    def one(self, obj, fields: Iterable[str] | None = None) -> dict[str, Any]:
        return {name: getter(obj) for name, getter in self.select(fields)}

    def many(self, objs: Iterable, fields: Iterable[str] | None = None) -> list[dict[str, Any]]:
        getters = self.select(fields)
        return [{name: getter(obj) for name, getter in getters} for obj in objs]


def attr(name: str) -> Getter:
    """Return a getter of a column of a list row (crm.selectors.lists)."""
    return itemgetter(name)
