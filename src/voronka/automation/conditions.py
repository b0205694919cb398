"""Conditions on an item's fields: "amount > 100000 AND source = WEB", evaluated with an explanation.

A condition is `{"join": "and" | "or", "rules": [{"field", "op", "value"}, ...]}`; an empty one
always holds. Fields are the item's own (`amount`, `title`, `close_date`...), `source` (its code),
`stage` (the stage code), `assigned_to` (a user id), `email` / `phone` (the first one) and
`custom.<code>` for custom fields. Comparisons are numeric when both sides are numbers,
by date when the field holds a date, and case-insensitive text otherwise.
"""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid

OPERATORS = ("=", "!=", ">", ">=", "<", "<=", "contains", "!contains", "empty", "!empty", "in", "!in")
SPECIAL_FIELDS = ("source", "stage", "email", "phone")
MAX_RULES = 20


@dataclass(frozen=True)
class RuleResult:
    field: str
    op: str
    value: str
    actual: str
    holds: bool

    def __str__(self) -> str:
        verdict = "✓" if self.holds else "✗"
        value = "" if self.op in ("empty", "!empty") else f" {self.value}"
        return f"{verdict} {self.field} {self.op}{value} (is {self.actual or '∅'})"


@dataclass(frozen=True)
class Outcome:
    holds: bool
    join: str
    rules: tuple[RuleResult, ...]

    def explain(self) -> str:
        if not self.rules:
            return str(_("no condition"))
        return f" {self.join.upper()} ".join(str(rule) for rule in self.rules)


def field_names(model) -> set[str]:
    """Return the plain field names a condition may read on items of `model`."""
    names = {f.name for f in model._meta.concrete_fields if f.name not in ("search_text", "custom")}
    return names | set(SPECIAL_FIELDS)


def clean_condition(raw: Any, *, model=None) -> dict:
    """Validate a condition; return it in its stored shape (raise Invalid with per-field details)."""
    if raw in (None, "", {}, []):
        return {}
    if not isinstance(raw, dict):
        raise Invalid("condition.invalid", _("A condition is an object with rules."))
    join = str(raw.get("join", "and")).lower()
    if join not in ("and", "or"):
        raise Invalid("condition.invalid", _("Join rules with AND or OR."), details={"join": join})
    rules = raw.get("rules") or []
    if not isinstance(rules, list) or len(rules) > MAX_RULES:
        raise Invalid("condition.invalid", _("A condition has at most 20 rules."))
    allowed = field_names(model) if model is not None else None
    cleaned = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise Invalid("condition.invalid", _("Each rule names a field, an operator and a value."))
        field = str(rule.get("field", "")).strip()
        op = str(rule.get("op", "=")).strip()
        value = rule.get("value", "")
        if not field:
            continue
        if allowed is not None and not field.startswith("custom.") and field not in allowed:
            raise Invalid(
                "condition.unknown_field",
                _("Unknown field “%(field)s” in the condition.") % {"field": field},
                details={f"rules.{index}.field": field},
            )
        if op not in OPERATORS:
            raise Invalid(
                "condition.unknown_operator",
                _("Unknown operator “%(op)s” in the condition.") % {"op": op},
                details={f"rules.{index}.op": op},
            )
        if isinstance(value, list):
            value = ",".join(str(v) for v in value)
        cleaned.append({"field": field, "op": op, "value": "" if value is None else str(value)[:500]})
    return {"join": join, "rules": cleaned} if cleaned else {}


def field_value(item, field: str) -> Any:
    """Return the value of `field` on `item` as a condition reads it."""
    if field.startswith("custom."):
        return (item.custom or {}).get(field.split(".", 1)[1])
    if field == "source":
        return item.source.code if item.source_id else ""
    if field == "stage":
        stage = item.status if item.kind == "lead" else getattr(item, "stage", None)
        return stage.code if stage is not None else ""
    if field in ("email", "phone"):
        found = item.communications.filter(kind=field).order_by("pk").values_list("value", flat=True).first()
        return found or ""
    if field == "status" and hasattr(item, "status_id"):
        return item.status.code
    concrete = {f.name: f for f in type(item)._meta.concrete_fields}
    if field in concrete and concrete[field].is_relation:
        return getattr(item, f"{field}_id")
    return getattr(item, field, None)


def evaluate(condition: dict | None, item) -> Outcome:
    """Evaluate a condition on an item, rule by rule."""
    if not condition or not condition.get("rules"):
        return Outcome(True, "and", ())
    join = condition.get("join", "and")
    results = []
    for rule in condition["rules"]:
        actual = field_value(item, rule["field"])
        holds = compare(actual, rule["op"], rule.get("value", ""))
        results.append(RuleResult(rule["field"], rule["op"], rule.get("value", ""), _shown(actual), holds))
    verdicts = [r.holds for r in results]
    holds = all(verdicts) if join == "and" else any(verdicts)
    return Outcome(holds, join, tuple(results))


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="minutes")
    return str(value)


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    try:
        return Decimal(str(value).replace(" ", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        return None


def _date(value: Any) -> dt.date | None:
    text = str(value).strip()
    moment = parse_datetime(text)
    if moment is not None:
        return moment.date()
    try:
        return parse_date(text)
    except ValueError:
        return None


def _is_empty(value: Any) -> bool:
    return (
        value is None
        or value == ""
        or value == []
        or value == {}
        or (isinstance(value, Decimal) and not value)
    )


def compare(actual: Any, op: str, value: str) -> bool:
    """Return whether `actual <op> value` holds."""
    if op == "empty":
        return _is_empty(actual)
    if op == "!empty":
        return not _is_empty(actual)
    if op in ("in", "!in"):
        options = {part.strip().lower() for part in str(value).split(",") if part.strip()}
        found = str(_shown(actual)).lower() in options
        return found if op == "in" else not found
    if op in ("contains", "!contains"):
        found = str(value).lower() in str(_shown(actual)).lower()
        return found if op == "contains" else not found
    left, right = _comparable(actual, value)
    if left is None or right is None:
        return op == "!=" and left != right
    try:
        return {
            "=": left == right,
            "!=": left != right,
            ">": left > right,
            ">=": left >= right,
            "<": left < right,
            "<=": left <= right,
        }[op]
    except TypeError:
        return False


def _comparable(actual: Any, value: str) -> tuple[Any, Any]:
    if isinstance(actual, bool):
        return actual, str(value).strip().lower() in ("1", "true", "yes", "y", "да")
    if isinstance(actual, (int, float, Decimal)):
        return _number(actual), _number(value)
    if isinstance(actual, dt.datetime):
        return actual.date(), _date(value)
    if isinstance(actual, dt.date):
        return actual, _date(value)
    if actual is None:
        return "", str(value).strip().lower()
    left_number, right_number = _number(actual), _number(value)
    if left_number is not None and right_number is not None:
        return left_number, right_number
    return str(actual).strip().lower(), str(value).strip().lower()
