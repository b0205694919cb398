"""The CRM's refusals, each a DomainError kind with a stable code."""

from voronka.lib.errors import Conflict, Forbidden, Invalid, NotFound, Refused

__all__ = ["AlreadyConverted", "DuplicateFound", "Forbidden", "Invalid", "MoveRefused", "NotFound", "Refused"]


class MoveRefused(Refused):
    """A stage move breaks a pipeline rule."""


class AlreadyConverted(Refused):
    """A lead was converted before."""


class DuplicateFound(Conflict):
    """The new item matches existing ones; `details["duplicates"]` lists them."""
