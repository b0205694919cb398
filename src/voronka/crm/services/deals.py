"""Creating and changing deals.

Rules enforced here:
- the actor needs the create (update) right for the deal's responsible;
- a deal lives in a deal pipeline and starts in its first open stage unless another stage of
  that pipeline is given; it enters the stage history; won and lost stages close it;
- a deal with a known client (contact or company that has other deals) is a repeat deal;
- the amount follows the product rows when there are rows;
- custom fields are validated against their definitions.
Stage changes go through crm.services.stages; deletion through crm.services.recycle.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.crm import locks
from voronka.crm.models import Deal, Lead, Pipeline, Stage
from voronka.crm.selectors.pipelines import default_deal_pipeline, first_stage
from voronka.crm.services import history, items, products
from voronka.lib.errors import Invalid


@transaction.atomic
def create_deal(
    *,
    actor: User,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    lead: Lead | None = None,
    product_rows: Iterable[Mapping[str, Any]] | None = None,
    created_at=None,
    **values: Any,
) -> Deal:
    """Create a deal in a pipeline (the default one unless given)."""
    fields, communications, custom = items.split_arguments(values)
    if communications:
        raise Invalid(
            "deal.no_communications", _("Phones and e-mails belong to the deal's contact or company.")
        )
    cleaned = items.clean_fields("deal", fields)
    custom_values = items.prepare_custom("deal", custom, current=None, creating=True)
    rows = products.clean_rows(product_rows) if product_rows else []
    pipeline, stage = _place(pipeline, stage)
    cleaned["assigned_to"] = items.default_responsible(actor, cleaned.get("assigned_to"))
    owner = cleaned["assigned_to"]
    items.require(actor, Action.CREATE, "deal", owner_id=owner.pk if owner else None)
    now = created_at or timezone.now()
    cleaned.setdefault("currency", settings.DEFAULT_CURRENCY)
    deal = Deal(
        pipeline=pipeline,
        stage=stage,
        lead=lead,
        custom=custom_values,
        created_by=actor,
        created_at=now,
        updated_at=now,
        stage_changed_at=now,
        is_closed=stage.closes_items,
        closed_at=now if stage.closes_items else None,
        **cleaned,
    )
    deal.is_repeat = _is_repeat(deal)
    if not deal.title:
        deal.title = default_title(deal)
    deal.save()
    if not deal.title:
        deal.title = numbered_title(deal.pk)
    if rows:
        deal.amount = products.store_rows(deal, rows)
    items.refresh_search_text(deal)
    deal.save(update_fields=["title", "amount", "search_text"])
    history.enter(deal, to=stage, source=None, actor=actor, at=now)
    items.record_creation(deal, actor=actor, data={"lead_id": lead.pk} if lead else None)
    return deal


def _place(pipeline: Pipeline | None, stage: Stage | None) -> tuple[Pipeline, Stage]:
    if pipeline is None:
        pipeline = stage.pipeline if stage is not None else default_deal_pipeline()
    return place(pipeline, stage, first=first_stage(pipeline) if stage is None else None)


def place(pipeline: Pipeline, stage: Stage | None, *, first: Stage | None) -> tuple[Pipeline, Stage]:
    """Return where a new deal starts: `stage` of `pipeline` if it belongs there, else `first`."""
    if pipeline.kind != Pipeline.Kind.DEAL:
        raise Invalid(
            "deal.bad_pipeline", _("This is not a deal pipeline."), details={"pipeline": _("Unknown.")}
        )
    if stage is None:
        stage = first
    if stage.pipeline_id != pipeline.pk:
        raise Invalid(
            "deal.bad_stage",
            _("This stage belongs to another pipeline."),
            details={"stage": _("Unknown stage.")},
        )
    return pipeline, stage


def default_title(deal: Deal) -> str:
    """Return the title of a deal created without one: its client's name (the id is added later)."""
    client = deal.company or deal.contact
    return str(client) if client else ""


def numbered_title(pk: int) -> str:
    """Return the title of a deal that has nothing better: "Deal #12"."""
    return gettext("Deal #%(id)s") % {"id": pk}


def _is_repeat(deal: Deal) -> bool:
    contacts, companies = clients_with_deals(
        [deal.contact_id] if deal.contact_id else [], [deal.company_id] if deal.company_id else []
    )
    return bool(contacts or companies)


def clients_with_deals(contact_ids: list[int], company_ids: list[int]) -> tuple[set[int], set[int]]:
    """Return which of the contacts and companies already have deals (a new deal of theirs is a repeat deal)."""
    contacts = companies = set()
    if contact_ids:
        contacts = set(Deal.objects.filter(contact_id__in=contact_ids).values_list("contact_id", flat=True))
    if company_ids:
        companies = set(Deal.objects.filter(company_id__in=company_ids).values_list("company_id", flat=True))
    return contacts, companies


@transaction.atomic
def update_deal(deal: Deal, *, actor: User, **values: Any) -> Deal:
    """Change fields or custom fields of a deal (its stage moves through crm.services.stages)."""
    deal = locks.lock(deal)
    items.require(actor, Action.UPDATE, "deal", owner_id=deal.assigned_to_id)
    fields, communications, custom = items.split_arguments(values)
    if communications:
        raise Invalid(
            "deal.no_communications", _("Phones and e-mails belong to the deal's contact or company.")
        )
    if "title" in fields and not str(fields["title"] or "").strip():
        raise Invalid("deal.title_required", _("A deal needs a title."), details={"title": _("Required.")})
    cleaned = items.clean_fields("deal", fields)
    if "amount" in cleaned and deal.product_rows.exists() and cleaned["amount"] != deal.amount:
        raise Invalid(
            "amount.follows_rows", _("The amount follows the product rows; change the rows instead.")
        )
    changes = items.apply_changes(deal, cleaned)
    if custom is not None:
        new_custom = items.prepare_custom("deal", custom, current=deal.custom, creating=False)
        if new_custom != deal.custom:
            changes["custom"] = [deal.custom, new_custom]
            deal.custom = new_custom
    if not changes:
        return deal
    items.record_update(deal, actor=actor, changes=changes, save_fields=[*cleaned, "custom"])
    return deal
