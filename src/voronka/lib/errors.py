"""Domain errors: every business refusal is one of these kinds, with a stable dotted code.

Adapters map the kinds to their own vocabulary in one place (HTTP status in the API,
a form error in the web UI, an error row in an import report).
"""

from typing import Any


class DomainError(Exception):
    """A refusal by the domain, with a stable `code` and a translatable `message`."""

    default_code = "error"

    def __init__(self, code: str | None = None, message: Any = "", *, details: dict[str, Any] | None = None):
        self.code = code or self.default_code
        self.message = message or self.code
        self.details = details or {}
        super().__init__(self.code, str(self.message))

    def __str__(self) -> str:
        return str(self.message)


class NotFound(DomainError):
    """The object does not exist, or lies outside what the user may see (the same to them)."""

    default_code = "not_found"


class Invalid(DomainError):
    """The input is malformed or breaks a field rule; `details` maps fields to messages."""

    default_code = "invalid"


class Refused(DomainError):
    """The input is well formed but a business rule forbids the action."""

    default_code = "refused"


class Conflict(DomainError):
    """The action collides with the current state (a duplicate, a concurrent change, a replay)."""

    default_code = "conflict"


class Forbidden(DomainError):
    """The actor may see the object but lacks the right for this action on it."""

    default_code = "forbidden"
