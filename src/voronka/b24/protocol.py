"""The Bitrix24 envelope: success bodies with `time`, error bodies, and the method registry.

A method is a function `(call) -> result` registered with `@method("crm.lead.get", scope="crm")`.
It returns a plain value or a `Page` (a list with `next`/`total`), or raises `B24Error`
or a `DomainError` (which `error_body` turns into Bitrix24's classic 400).
"""

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from voronka.accounts.models import User
from voronka.b24.models import InboundWebhook
from voronka.lib.errors import DomainError, Forbidden, Invalid, NotFound

PAGE = 50


class B24Error(Exception):
    """An error answered as {"error", "error_description"} with an HTTP status."""

    def __init__(self, error: str, description: str, *, status: int = 400):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


def method_not_found() -> B24Error:
    return B24Error("ERROR_METHOD_NOT_FOUND", "Method not found!", status=404)


def bad_argument(description: str) -> B24Error:
    """A classic validation failure: HTTP 400 with an empty error code (as Bitrix24 answers)."""
    return B24Error("", description, status=400)


@dataclass
class Page:
    """A page of a list method: `next` and `total` are lifted to the top of the envelope."""

    result: Any
    total: int | None = None
    next: int | None = None


@dataclass
class Call:
    """One method call: who calls, with which parameters."""

    user: User
    webhook: InboundWebhook | None
    params: dict[str, Any]
    name: str = ""


@dataclass(frozen=True)
class Method:
    name: str
    handler: Callable[[Call], Any]
    scope: str | None
    # crm.item.* and crm.category.* answer errors with codes (NOT_FOUND...); classic ones with "".
    coded_errors: bool = False


METHODS: dict[str, Method] = {}


def method(name: str, *, scope: str | None = "crm", coded_errors: bool = False) -> Callable:
    """Register the decorated function as the Bitrix24 method `name`."""

    def register(handler: Callable[[Call], Any]) -> Callable[[Call], Any]:
        METHODS[name.lower()] = Method(name=name, handler=handler, scope=scope, coded_errors=coded_errors)
        return handler

    return register


def find(name: str) -> Method | None:
    """Return the method called `name` in any letter case, or None."""
    return METHODS.get(name.strip().lower().removesuffix(".json").rstrip("/"))


def iso(moment: dt.datetime | None) -> str:
    """Return a datetime as PHP's date('c'): local time, seconds, with the offset."""
    if moment is None:
        return ""
    return timezone.localtime(moment).isoformat(timespec="seconds")


def time_info(started: float, method_started: float, finished: float) -> dict[str, Any]:
    """Return the `time` block of a successful answer."""
    return {
        "start": started,
        "finish": finished,
        "duration": finished - started,
        "processing": finished - method_started,
        "date_start": iso(dt.datetime.fromtimestamp(started, tz=dt.UTC)),
        "date_finish": iso(dt.datetime.fromtimestamp(finished, tz=dt.UTC)),
    }


@dataclass
class Outcome:
    """What one call produced: either a result (with paging) or an error."""

    result: Any = None
    total: int | None = None
    next: int | None = None
    time: dict[str, Any] = field(default_factory=dict)
    error: B24Error | None = None


_CODED = ((NotFound, "NOT_FOUND"), (Forbidden, "ACCESS_DENIED"), (Invalid, "CRM_FIELD_ERROR_VALUE_NOT_VALID"))


def domain_error(target: Method, error: DomainError) -> B24Error:
    """Translate a refusal of the core into Bitrix24's words."""
    description = str(error.message)
    if error.details:
        description += " " + "; ".join(f"{key}: {value}" for key, value in error.details.items())
    if isinstance(error, Forbidden) and not target.coded_errors:
        description = "Access denied. " + description
    code = ""
    if target.coded_errors:
        code = next((name for kind, name in _CODED if isinstance(error, kind)), "ERROR_CORE")
    return B24Error(code, description, status=400)


def run(target: Method, call: Call, started: float | None = None) -> Outcome:
    """Run one method; never raises for errors of the request or of the core."""
    method_started = time.time()
    started = started or method_started
    try:
        # One call, one transaction: a method that makes two service calls (fields, then a stage
        # move) changes nothing when the second is refused.
        with transaction.atomic():
            value = target.handler(call)
    except B24Error as error:
        return Outcome(error=error)
    except DomainError as error:
        return Outcome(error=domain_error(target, error))
    except (ValueError, TypeError, ArithmeticError) as error:
        # A value of the wrong type deep in a filter or a field ("abc" for an id): the caller's error.
        return Outcome(error=B24Error("ERROR_ARGUMENT", f"Invalid argument: {error}"[:500]))
    outcome = Outcome(result=value)
    if isinstance(value, Page):
        outcome = Outcome(result=value.result, total=value.total, next=value.next)
    outcome.time = time_info(started, method_started, time.time())
    if settings.B24_OPERATING_TIME and call.webhook is not None and target.name != "batch":
        # Bitrix24 cloud's per-method time accounting; off by default, as on a self-hosted portal
        # (fast_bitrix24 with respect_velocity_policy=False fails when these keys are present).
        from voronka.b24.throttle import operating

        spent, reset_at = operating(call.webhook.pk, target.name, outcome.time["processing"])
        outcome.time |= {"operating_reset_at": reset_at, "operating": spent}
    return outcome


def success_body(outcome: Outcome) -> dict[str, Any]:
    body: dict[str, Any] = {"result": outcome.result}
    if outcome.next is not None:
        body["next"] = outcome.next
    if outcome.total is not None:
        body["total"] = outcome.total
    body["time"] = outcome.time
    return body


def error_body(error: B24Error) -> dict[str, Any]:
    return {"error": error.error, "error_description": error.description}
