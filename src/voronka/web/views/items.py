"""Item cards: fields, communications, the stage bar, the timeline, related items, product rows."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.accounts.models import Action
from voronka.accounts.rights import can
from voronka.accounts.selectors import active_users
from voronka.activities import selectors as activity_selectors
from voronka.crm.models import CustomField
from voronka.crm.selectors import history
from voronka.crm.selectors.items import get_visible, visible
from voronka.crm.selectors.pipelines import get_pipeline_stage, stages
from voronka.crm.selectors.products import catalogue
from voronka.crm.services import products, recycle, timeline
from voronka.crm.services import stages as stage_moves
from voronka.lib.errors import Forbidden, Invalid, Refused
from voronka.web import timeline as timeline_view
from voronka.web.cards import card_of
from voronka.web.views.boards import stage_stats
from voronka.web.views.common import SEGMENTS, SINGULAR, TITLES, kind_of

# Refusals the page answers by asking for a reason and trying again.
NEEDS_REASON = {"stage.reason_required", "stage.loss_reason_required"}
TIMELINE_LIMIT = 50
ACTIVITY_LIMIT = 5
CATALOGUE_LIMIT = 500  # names offered while typing a product row


def _custom_values(item, kind: str) -> list[tuple[str, str]]:
    values = item.custom or {}
    shown = []
    users = None
    for field in CustomField.objects.filter(entity=kind).order_by("sort", "pk"):
        value = values.get(field.code)
        if value in (None, "", []):
            continue
        items = value if isinstance(value, list) else [value]
        if field.type == CustomField.Type.ENUM:
            options = {o["id"]: o["value"] for o in field.options}
            items = [options.get(v, v) for v in items]
        elif field.type == CustomField.Type.BOOL:
            items = [_("Yes") if v else _("No") for v in items]
        elif field.type == CustomField.Type.USER:
            users = users or {u.pk: u.display_name for u in active_users()}
            items = [users.get(v, v) for v in items]
        shown.append((field.name, ", ".join(str(v) for v in items)))
    return shown


def _shown(user, kind: str):
    """The items of `kind` the user may see, read with just what the related block prints."""
    joined = {"deal": ("stage",), "lead": ("status",)}.get(kind, ())
    return visible(user, kind).select_related(None).select_related(*joined)


def _related(request, item, kind: str) -> dict:
    user = request.user
    related: dict = {}
    if kind in ("contact", "company"):
        link = {kind: item}
        related["deals"] = list(_shown(user, "deal").filter(**link).order_by("-pk")[:10])
        related["leads"] = list(_shown(user, "lead").filter(**link).order_by("-pk")[:10])
    if kind == "company":
        related["contacts"] = list(_shown(user, "contact").filter(company=item).order_by("-pk")[:10])
    if kind == "lead" and item.converted_at:
        related["deals"] = list(_shown(user, "deal").filter(lead=item).order_by("-pk")[:10])
    for name in ("contact", "company"):
        target_id = getattr(item, f"{name}_id", None)
        if target_id:
            related[name] = _shown(user, name).filter(pk=target_id).first()
    if kind == "deal" and item.lead_id:
        related["lead"] = _shown(user, "lead").filter(pk=item.lead_id).first()
    return related


def card_context(request, kind: str, item) -> dict:
    """Return everything an item card shows."""
    field_names = {
        f.name: f.verbose_name for f in type(item)._meta.get_fields() if hasattr(f, "verbose_name")
    }
    entries = list(history.timeline(item)[:TIMELINE_LIMIT])
    context = {
        "item": item,
        "kind": kind,
        "segment": SEGMENTS[kind],
        "kind_title": SINGULAR[kind],
        "list_title": TITLES[kind],
        "custom_values": _custom_values(item, kind),
        "timeline": timeline_view.describe(entries, field_names),
        "related": _related(request, item, kind),
        "can_update": can(request.user, Action.UPDATE, kind, owner_id=item.assigned_to_id),
        "can_delete": can(request.user, Action.DELETE, kind, owner_id=item.assigned_to_id),
    }
    context["activities"] = list(
        activity_selectors.of_item(item).filter(is_done=False).prefetch_related(None)[:ACTIVITY_LIMIT]
    )
    context["now"] = timezone.now()
    if kind in ("lead", "contact", "company"):
        context["communications"] = list(item.communications.all())
    if kind in ("lead", "deal"):
        current = stage_moves.stage_of(item)
        all_stages = stages(current.pipeline)
        context["stages"] = [
            {
                "stage": s,
                "passed": s.sort < current.sort and not s.closes_items,
                "current": s.pk == current.pk,
            }
            for s in all_stages
        ]
        context["open_stages"] = [s for s in all_stages if not s.closes_items]
        context["closing_stages"] = [s for s in all_stages if s.closes_items]
        context["current_stage"] = current
        context["product_rows"] = list(item.product_rows.all())
        context["catalogue"] = list(catalogue().values_list("name", "price")[:CATALOGUE_LIMIT])
    return context


@login_required
def card(request, kind: str, item_id: int):
    """The item card."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    return render(request, "web/items/card.html", card_context(request, kind, item))


def _refusal(message, *, needs_reason: bool = False, redirect_to: str = "") -> HttpResponse:
    response = HttpResponse(status=200)
    detail = {"message": str(message), "needsReason": needs_reason}
    if redirect_to:
        detail["redirect"] = redirect_to
    response["HX-Trigger"] = json.dumps({"card-refused": detail})
    return response


@login_required
@require_POST
def move(request, kind: str, item_id: int):
    """Move a lead or deal to a stage (a board drop, the "Move to…" menu, the card's stage bar)."""
    kind = kind_of(kind)
    if kind not in ("lead", "deal"):
        raise Invalid("move.kind", _("Only leads and deals move between stages."))
    item = get_visible(request.user, kind, item_id)
    source = stage_moves.stage_of(item)
    target = get_pipeline_stage(source.pipeline, stage_id=request.POST.get("stage"))
    try:
        item = stage_moves.move(item, to=target, actor=request.user, reason=request.POST.get("reason", ""))
    except (Refused, Forbidden) as refusal:
        convert = reverse("web:convert", args=[item.pk]) if refusal.code == "stage.convert_instead" else ""
        return _refusal(refusal.message, needs_reason=refusal.code in NEEDS_REASON, redirect_to=convert)
    item = card_of(request.user, kind, item.pk)
    context = {"item": item, "kind": kind, "segment": SEGMENTS[kind]}
    response = render(request, "web/boards/board.html#card", context) if item else HttpResponse()
    message = _("Moved to “%(stage)s”.") % {"stage": target.title}
    response["HX-Trigger"] = json.dumps(
        {
            "card-moved": {
                "from": stage_stats(request, kind, source),
                "to": stage_stats(request, kind, target),
                "message": message,
            }
        }
    )
    return response


@login_required
@require_POST
def reopen(request, kind: str, item_id: int):
    """Re-open a closed lead or deal (needs the move-back right and a reason)."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    try:
        stage_moves.reopen(item, actor=request.user, reason=request.POST.get("reason", ""))
    except (Refused, Forbidden) as refusal:
        messages.error(request, refusal.message)
    return redirect("web:card", SEGMENTS[kind], item.pk)


@login_required
@require_POST
def comment(request, kind: str, item_id: int):
    """Add a comment to the item's timeline; answer with the refreshed timeline."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    try:
        timeline.add_comment(item, text=request.POST.get("text", ""), actor=request.user)
    except Invalid as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect("web:card", SEGMENTS[kind], item.pk)
        raise
    if not request.htmx:
        return redirect("web:card", SEGMENTS[kind], item.pk)
    return render(request, "web/items/card.html#timeline", card_context(request, kind, item))


@login_required
@require_POST
def product_rows(request, kind: str, item_id: int):
    """Replace the product rows of a lead or deal."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    names, prices = request.POST.getlist("row_name"), request.POST.getlist("row_price")
    quantities, discounts = request.POST.getlist("row_quantity"), request.POST.getlist("row_discount")
    # A name picked from the catalogue brings its product (and its price when none is typed).
    known = {p.name: p.pk for p in catalogue().filter(name__in=[n.strip() for n in names])}
    rows = [
        {
            "product": known.get(name.strip()),
            "name": name,
            "price": price,
            "quantity": quantity,
            "discount_rate": discount,
        }
        for name, price, quantity, discount in zip(names, prices, quantities, discounts, strict=False)
        if name.strip() or price.strip()
    ]
    try:
        products.set_product_rows(item, rows, actor=request.user)
        messages.success(request, _("Product rows saved."))
    except (Invalid, Forbidden) as error:
        details = "; ".join(str(v) for v in (error.details or {}).values() if isinstance(v, str))
        messages.error(request, f"{error.message} {details}".strip())
    return redirect("web:card", SEGMENTS[kind], item.pk)


@login_required
@require_POST
def delete(request, kind: str, item_id: int):
    """Move the item to the recycle bin."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    recycle.delete_item(item, actor=request.user)
    messages.success(request, _("“%(title)s” moved to the recycle bin.") % {"title": item.title})
    target = {"lead": "web:lead-board", "deal": "web:deal-board"}.get(kind, f"web:{kind}-list")
    return redirect(target)
