"""The robot catalogue: per kind, how its settings are validated and what it does.

Each module registers its kinds with `register()`. A kind's `clean(params, stage)` returns the
settings in their stored shape or raises Invalid (details per setting); `run(context)` does the
work through the services of the lower apps and returns a line for the run log.
A kind with `external=True` talks to the outside world (an HTTP call): it runs after its claim
is committed and is never repeated (at most once); every other kind runs inside the claim's
transaction, so a crash rolls the work back and the retry does it once.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid


@dataclass(frozen=True)
class Context:
    """What a robot gets when it runs."""

    item: Any
    robot: Any
    run: Any
    actor: Any  # the system user
    params: dict


@dataclass(frozen=True)
class RobotKind:
    code: str
    clean: Callable[[dict, Any], dict]
    run: Callable[[Context], str]
    external: bool = False
    kinds: tuple[str, ...] = ("lead", "deal")  # the pipelines it may sit in


CATALOGUE: dict[str, RobotKind] = {}


def register(kind: RobotKind) -> RobotKind:
    CATALOGUE[kind.code] = kind
    return kind


def get(code: str) -> RobotKind:
    _load()
    try:
        return CATALOGUE[code]
    except KeyError:
        raise Invalid("robot.unknown_kind", _("Unknown robot kind."), details={"kind": code}) from None


def _load() -> None:
    if CATALOGUE:
        return
    from voronka.automation.robots import activities, items, messages, notify, webhook  # noqa: F401


def require_text(params: dict, name: str, *, limit: int = 10_000, required: bool = True) -> str:
    """Return params[name] as stripped text, or raise Invalid naming the setting."""
    value = str(params.get(name) or "").strip()
    if required and not value:
        raise Invalid("robot.invalid", _("Fill in this setting."), details={name: str(_("Required."))})
    if len(value) > limit:
        raise Invalid(
            "robot.invalid",
            _("At most %(limit)d characters.") % {"limit": limit},
            details={name: str(_("Too long."))},
        )
    return value


def require_int(params: dict, name: str, *, minimum: int = 0, maximum: int = 10**9, default=None) -> int:
    raw = params.get(name, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise Invalid("robot.invalid", _("Enter a whole number."), details={name: str(raw)}) from None
    if not minimum <= value <= maximum:
        raise Invalid(
            "robot.invalid",
            _("Enter a number from %(min)d to %(max)d.") % {"min": minimum, "max": maximum},
            details={name: str(raw)},
        )
    return value


def user_reference(params: dict, name: str, *, default: str = "responsible") -> str | int:
    """Return "responsible" or an active user's id for a setting that names a person."""
    from voronka.accounts.models import User

    raw = params.get(name, default)
    if raw in (None, "", "responsible"):
        return "responsible"
    try:
        user_id = int(raw)
    except (TypeError, ValueError):
        raise Invalid("robot.invalid", _("Choose a user."), details={name: str(raw)}) from None
    if not User.objects.filter(pk=user_id, is_active=True, is_system=False).exists():
        raise Invalid("robot.invalid", _("Choose an active user."), details={name: str(raw)})
    return user_id


def resolve_user(reference: str | int, item):
    """Return the user a setting names: the item's responsible, or the given active user."""
    from voronka.accounts.models import User

    if reference == "responsible":
        return item.assigned_to if item.assigned_to_id else None
    return User.objects.filter(pk=reference, is_active=True).first()
