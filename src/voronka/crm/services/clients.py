"""Creating and changing contacts and companies (the clients).

Rules enforced here:
- the actor needs the create (update) right for the client's responsible;
- a contact has a name or at least one phone, e-mail or messenger; a company has a name;
- duplicate control runs on every create with the caller's policy (crm.services.duplicates);
- communications are normalized; custom fields are validated against their definitions.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import locks
from voronka.crm.models import Company, Contact, Lead
from voronka.crm.services import comms, duplicates, items
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib.errors import Invalid


def _create(
    model: type[Contact] | type[Company],
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str,
    lead: Lead | None,
    created_at,
    values: dict[str, Any],
):
    kind = model.kind.value
    fields, communications, custom = items.split_arguments(values)
    cleaned = items.clean_fields(kind, fields)
    parsed = comms.parse(communications)
    custom_values = items.prepare_custom(kind, custom, current=None, creating=True)
    check_required(kind, cleaned, parsed)
    cleaned["assigned_to"] = items.default_responsible(actor, cleaned.get("assigned_to"))
    owner = cleaned["assigned_to"]
    items.require(actor, Action.CREATE, kind, owner_id=owner.pk if owner else None)
    resolution = duplicates.resolve(
        kind, on_duplicate, parsed=parsed, company_title=cleaned.get("title", ""), actor=actor
    )
    if resolution.existing is not None:
        if DuplicatePolicy(on_duplicate) == DuplicatePolicy.MERGE:
            return duplicates.merge_into(
                resolution.existing, actor=actor, fields=cleaned, parsed=parsed, custom=custom
            )
        return resolution.existing
    if model is Contact and resolution.company is not None:
        cleaned.setdefault("company", resolution.company)
    if model is Company:
        cleaned.setdefault("currency", settings.DEFAULT_CURRENCY)
    now = created_at or timezone.now()
    item = model(custom=custom_values, created_by=actor, created_at=now, updated_at=now, lead=lead, **cleaned)
    # The search text (and a company's name key, which duplicate control compares) before the insert.
    items.refresh_search_text(item, comms.flatten(parsed))
    item.save()
    if parsed:
        comms.replace(item, parsed, fresh=True)
    items.record_creation(item, actor=actor, data={"lead_id": lead.pk} if lead else None)
    return item


def check_required(kind: str, cleaned: dict[str, Any], parsed: dict[str, list[comms.Comm]] | None) -> None:
    """Raise Invalid unless a new company has a name, and a new contact a name, phone or e-mail."""
    if kind == "company" and not cleaned.get("title"):
        raise Invalid(
            "company.title_required", _("A company needs a name."), details={"title": _("Required.")}
        )
    if kind == "contact" and not (
        cleaned.get("first_name")
        or cleaned.get("last_name")
        or cleaned.get("second_name")
        or comms.flatten(parsed)
    ):
        raise Invalid(
            "contact.name_required",
            _("A contact needs a name, a phone or an e-mail."),
            details={"last_name": _("Required.")},
        )


@transaction.atomic
def create_contact(
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    lead: Lead | None = None,
    created_at=None,
    **values: Any,
) -> Contact:
    """Create a contact (or, by the duplicate policy, return the existing one)."""
    return _create(
        Contact, actor=actor, on_duplicate=on_duplicate, lead=lead, created_at=created_at, values=values
    )


@transaction.atomic
def create_company(
    *,
    actor: User,
    on_duplicate: DuplicatePolicy | str = DuplicatePolicy.REFUSE,
    lead: Lead | None = None,
    created_at=None,
    **values: Any,
) -> Company:
    """Create a company (or, by the duplicate policy, return the existing one)."""
    return _create(
        Company, actor=actor, on_duplicate=on_duplicate, lead=lead, created_at=created_at, values=values
    )


def _update(item, *, actor: User, values: dict[str, Any]):
    kind = item.kind.value
    item = locks.lock(item)
    items.require(actor, Action.UPDATE, kind, owner_id=item.assigned_to_id)
    fields, communications, custom = items.split_arguments(values)
    if kind == "company" and "title" in fields and not str(fields["title"] or "").strip():
        raise Invalid(
            "company.title_required", _("A company needs a name."), details={"title": _("Required.")}
        )
    cleaned = items.clean_fields(kind, fields)
    parsed = comms.parse(communications)
    changes = items.apply_changes(item, cleaned)
    if custom is not None:
        new_custom = items.prepare_custom(kind, custom, current=item.custom, creating=False)
        if new_custom != item.custom:
            changes["custom"] = [item.custom, new_custom]
            item.custom = new_custom
    if parsed and comms.replace(item, parsed):
        changes["communications"] = [None, [c.value for c in comms.flatten(parsed)]]
    if not changes:
        return item
    items.record_update(item, actor=actor, changes=changes, save_fields=[*cleaned, "custom"])
    return item


@transaction.atomic
def update_contact(contact: Contact, *, actor: User, **values: Any) -> Contact:
    """Change fields, communications or custom fields of a contact."""
    return _update(contact, actor=actor, values=values)


@transaction.atomic
def update_company(company: Company, *, actor: User, **values: Any) -> Company:
    """Change fields, communications or custom fields of a company."""
    return _update(company, actor=actor, values=values)
