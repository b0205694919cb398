"""Creating and editing items; the duplicate warning while typing; the contact / company picker."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from voronka.crm.errors import DuplicateFound
from voronka.crm.selectors.duplicates import find_duplicates
from voronka.crm.selectors.items import get_visible, visible
from voronka.crm.selectors.lists import search
from voronka.crm.selectors.pipelines import default_deal_pipeline, get_pipeline
from voronka.crm.services import clients, deals, leads
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib.errors import Forbidden, Invalid
from voronka.web.forms.items import (
    EMAIL_LABELS,
    PHONE_LABELS,
    WITH_COMMUNICATIONS,
    ItemForm,
    communications_from,
)
from voronka.web.views.common import NEW, SEGMENTS, SINGULAR, apply_errors, kind_of

CREATE = {
    "lead": leads.create_lead,
    "deal": deals.create_deal,
    "contact": clients.create_contact,
    "company": clients.create_company,
}
UPDATE = {
    "lead": leads.update_lead,
    "deal": deals.update_deal,
    "contact": clients.update_contact,
    "company": clients.update_company,
}
POLICIES = {DuplicatePolicy.REFUSE, DuplicatePolicy.CREATE, DuplicatePolicy.MERGE, DuplicatePolicy.ATTACH}


def kind_has_comms(item) -> bool:
    return item.kind.value in WITH_COMMUNICATIONS


def _communications(request, item=None) -> dict:
    """Return the phones and e-mails to show in the form (posted, or the item's)."""
    if request.method == "POST":
        return {
            "phones": communications_from(request.POST, "phone", PHONE_LABELS),
            "emails": communications_from(request.POST, "email", EMAIL_LABELS),
        }
    rows = list(item.communications.all()) if item is not None and kind_has_comms(item) else []
    return {
        "phones": [{"value": c.value, "label": c.label} for c in rows if c.kind == "phone"],
        "emails": [{"value": c.value, "label": c.label} for c in rows if c.kind == "email"],
    }


def _pickers(request, kind: str, form) -> dict:
    """Return the contact and company currently chosen in the form, as the user may see them."""
    chosen = {}
    for name in ("contact", "company"):
        if name not in form.fields:
            continue
        value = form.data.get(name) if form.is_bound else form.initial.get(name)
        if value:
            chosen[name] = visible(request.user, name).filter(pk=str(value).strip() or 0).first()
    return chosen


def _with_segments(rows: list[dict] | None) -> list[dict] | None:
    return None if rows is None else [{**row, "segment": SEGMENTS[row["kind"]]} for row in rows]


def _render(request, kind, form, *, item=None, duplicates=None):
    duplicates = _with_segments(duplicates)
    context = {
        "kind": kind,
        "segment": SEGMENTS[kind],
        "form": form,
        "item": item,
        "title": NEW[kind] if item is None else item.title,
        "kind_title": SINGULAR[kind],
        "with_communications": kind in WITH_COMMUNICATIONS,
        "comms": _communications(request, item),
        "phone_labels": PHONE_LABELS,
        "email_labels": EMAIL_LABELS,
        "duplicates": duplicates,
        "pickers": _pickers(request, kind, form),
    }
    template = "web/items/form.html#form" if request.htmx and item is not None else "web/items/form.html"
    return render(request, template, context)


@login_required
def create(request, kind: str):
    """The form of a new item; a possible duplicate is shown with the choices of what to do."""
    kind = kind_of(kind)
    if request.method != "POST":
        initial = {"pipeline": request.GET.get("pipeline", ""), "assigned_to": str(request.user.pk)}
        for name in ("contact", "company"):
            if request.GET.get(name):
                initial[name] = request.GET[name]
        return _render(request, kind, ItemForm(kind=kind, initial=initial))
    form = ItemForm(request.POST, kind=kind)
    if not form.is_valid():
        return _render(request, kind, form)
    values = form.values()
    if kind in WITH_COMMUNICATIONS:
        comms = _communications(request)
        values.update(phones=comms["phones"], emails=comms["emails"])
    if kind == "deal":
        pipeline_id = form.cleaned_data.get("pipeline")
        values["pipeline"] = (
            get_pipeline(pipeline_id, kind="deal") if pipeline_id else default_deal_pipeline()
        )
    else:
        policy = request.POST.get("on_duplicate") or DuplicatePolicy.REFUSE
        values["on_duplicate"] = policy if policy in POLICIES else DuplicatePolicy.REFUSE
    try:
        item = CREATE[kind](actor=request.user, **values)
    except DuplicateFound as found:
        return _render(request, kind, form, duplicates=found.details.get("duplicates", []))
    except (Invalid, Forbidden) as error:
        apply_errors(form, error)
        return _render(request, kind, form)
    messages.success(request, _("Saved."))
    return redirect("web:card", SEGMENTS[item.kind.value], item.pk)


@login_required
def update(request, kind: str, item_id: int):
    """Edit an item: a page of its own, or the card's fields panel swapped in place (htmx)."""
    kind = kind_of(kind)
    item = get_visible(request.user, kind, item_id)
    if request.method != "POST":
        return _render(request, kind, ItemForm(kind=kind, instance=item, creating=False), item=item)
    form = ItemForm(request.POST, kind=kind, instance=item, creating=False)
    if not form.is_valid():
        return _render(request, kind, form, item=item)
    values = form.values()
    if kind in WITH_COMMUNICATIONS:
        comms = _communications(request)
        values.update(phones=comms["phones"], emails=comms["emails"])
    try:
        UPDATE[kind](item, actor=request.user, **values)
    except (Invalid, Forbidden) as error:
        apply_errors(form, error)
        return _render(request, kind, form, item=item)
    messages.success(request, _("Saved."))
    url = reverse("web:card", args=[SEGMENTS[kind], item.pk])
    if request.htmx:
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@login_required
def duplicates(request):
    """The duplicate warning shown while a form is typed: items the user may see with the same phone, e-mail or name."""
    kind = request.GET.get("kind", "lead")
    if kind not in WITH_COMMUNICATIONS:
        return HttpResponse()
    company_title = request.GET.get("company_title", "") or (
        request.GET.get("title", "") if kind == "company" else ""
    )
    matches = find_duplicates(
        phones=request.GET.getlist("phone"),
        emails=request.GET.getlist("email"),
        company_title=company_title,
        kinds=("lead", "contact", "company") if kind == "lead" else ("contact", "company"),
        user=request.user,
        limit=5,
    )
    rows = [
        {"kind": m.kind, "id": m.item_id, "title": m.title, "matched_by": m.matched_by, "value": m.value}
        for m in matches
    ]
    context = {"duplicates": _with_segments(rows), "live": True, "kind": kind}
    return render(request, "web/items/form.html#duplicates", context)


@login_required
def pick(request, kind: str):
    """Suggestions for the contact / company picker of a form."""
    kind = kind_of(kind)
    q = request.GET.get("q", "").strip()
    found = []
    if q and kind in ("contact", "company"):
        found = list(search(visible(request.user, kind), kind, q).order_by("-pk")[:8])
    return render(request, "web/items/form.html#pick-results", {"found": found, "pick_kind": kind})
