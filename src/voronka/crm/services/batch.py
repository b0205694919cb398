"""Creating up to 500 items in one request, all or nothing, through the one-item services (the API's bulk create).

Rules enforced here:
- at most 500 items per call;
- every item goes through its kind's create service (normalization, duplicate control, rights,
  history, timeline, events), each in its own savepoint so that every bad item is found;
- if any item is refused, nothing is written and nothing is published: the error lists every
  failed item by its index, with its code, message and details.
"""

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import DomainError, Invalid

MAX_ITEMS = 500
CREATE = {"lead": create_lead, "deal": create_deal, "contact": create_contact, "company": create_company}


@transaction.atomic
def create_many(kind: str, rows: Sequence[Mapping[str, Any]], *, actor: User) -> list:
    """Create one item of `kind` per row of keyword arguments; all of them or none."""
    if kind not in CREATE:
        raise Invalid("bulk.bad_kind", _("Unknown item kind “%(kind)s”.") % {"kind": kind})
    if not rows:
        raise Invalid("bulk.empty", _("Nothing to create."))
    if len(rows) > MAX_ITEMS:
        raise Invalid(
            "bulk.too_many",
            _("At most %(max)d items at once.") % {"max": MAX_ITEMS},
            details={"count": len(rows)},
        )
    create = CREATE[kind]
    created: list = []
    errors: dict[str, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        try:
            # A savepoint per item: a refused item is undone alone, and the next ones are still checked.
            with transaction.atomic():
                created.append(create(actor=actor, **row))
        except DomainError as error:
            errors[str(index)] = {"code": error.code, "message": str(error.message), "details": error.details}
    if errors:
        # Raising inside the atomic block undoes the items that were created, and their events.
        raise Invalid(
            "bulk.rejected",
            _("%(count)d of %(total)d items are refused; nothing was created.")
            % {"count": len(errors), "total": len(rows)},
            details={"errors": errors},
        )
    return created
