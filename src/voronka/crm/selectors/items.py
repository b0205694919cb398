"""Permission-scoped reads of leads, deals, contacts and companies.

Every adapter obtains items here: `visible(user, kind)` is the queryset of what the user may
see (or export, or change), `get_visible(...)` raises NotFound both for a missing item and for
one outside the user's scope, so a user never learns that it exists.
"""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import owner_ids
from voronka.crm.models import Communication, Company, Contact, Deal, Lead
from voronka.lib.errors import NotFound

MODELS = {"lead": Lead, "deal": Deal, "contact": Contact, "company": Company}
_RELATED = {
    "lead": ("status", "assigned_to", "source", "contact", "company"),
    "deal": ("stage", "pipeline", "assigned_to", "source", "contact", "company"),
    "contact": ("assigned_to", "source", "company"),
    "company": ("assigned_to", "source"),
}
_NOT_FOUND = {
    "lead": _("Lead not found."),
    "deal": _("Deal not found."),
    "contact": _("Contact not found."),
    "company": _("Company not found."),
}


def scope_filter(
    queryset: QuerySet, user: User | None, kind: str, action: str = Action.READ, field: str = "assigned_to_id"
) -> QuerySet:
    """Narrow `queryset` to the items whose responsible falls in `user`'s scope for `action`."""
    allowed = owner_ids(user, kind, action)
    if allowed is None:
        return queryset
    if not allowed:
        return queryset.none()
    return queryset.filter(**{f"{field}__in": sorted(allowed)})


def visible(user: User | None, kind: str, action: str = Action.READ) -> QuerySet:
    """Return the items of `kind` that `user` may act on with `action` (read by default)."""
    model = MODELS[kind]
    return scope_filter(model.objects.select_related(*_RELATED[kind]), user, kind, action)


def get_visible(user: User | None, kind: str, item_id: int | str, action: str = Action.READ):
    """Return one item the user may see, or raise NotFound (also when it is outside the scope)."""
    try:
        return visible(user, kind, action).get(pk=int(item_id))
    except (MODELS[kind].DoesNotExist, TypeError, ValueError):
        raise NotFound(f"{kind}.not_found", _NOT_FOUND[kind]) from None


def visible_leads(user: User | None, action: str = Action.READ) -> QuerySet[Lead]:
    """Return the leads `user` may see."""
    return visible(user, "lead", action)


def visible_deals(user: User | None, action: str = Action.READ) -> QuerySet[Deal]:
    """Return the deals `user` may see."""
    return visible(user, "deal", action)


def visible_contacts(user: User | None, action: str = Action.READ) -> QuerySet[Contact]:
    """Return the contacts `user` may see."""
    return visible(user, "contact", action)


def visible_companies(user: User | None, action: str = Action.READ) -> QuerySet[Company]:
    """Return the companies `user` may see."""
    return visible(user, "company", action)


def get_visible_lead(*, user: User | None, lead_id: int) -> Lead:
    """Return a lead the user may see, or raise NotFound."""
    return get_visible(user, "lead", lead_id)


def get_visible_deal(*, user: User | None, deal_id: int) -> Deal:
    """Return a deal the user may see, or raise NotFound."""
    return get_visible(user, "deal", deal_id)


def get_visible_contact(*, user: User | None, contact_id: int) -> Contact:
    """Return a contact the user may see, or raise NotFound."""
    return get_visible(user, "contact", contact_id)


def get_visible_company(*, user: User | None, company_id: int) -> Company:
    """Return a company the user may see, or raise NotFound."""
    return get_visible(user, "company", company_id)


def communications_of(kind: str, item_ids: list[int]) -> dict[int, list[tuple[str, str, str]]]:
    """Return {item id: [(kind, label, value), ...]} for items already obtained through visible()."""
    if kind == "deal" or not item_ids:
        return {}
    column = f"{kind}_id"
    found: dict[int, list[tuple[str, str, str]]] = {}
    rows = (
        Communication.objects.filter(**{f"{column}__in": item_ids})
        .order_by(column, "kind", "sort", "pk")
        .values_list(column, "kind", "label", "value")
    )
    for owner, comm_kind, label, value in rows:
        found.setdefault(owner, []).append((comm_kind, label, value))
    return found
