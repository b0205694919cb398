"""Lists of leads, deals, contacts and companies: filters, search, sorting, keyset pages, bulk actions."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from voronka.accounts.selectors import active_users, get_user
from voronka.crm.selectors.items import visible
from voronka.crm.selectors.lists import apply_filter, keyset_page, parse_sort
from voronka.crm.selectors.pipelines import get_stage
from voronka.crm.services import recycle, stages
from voronka.crm.services.clients import update_company, update_contact
from voronka.crm.services.deals import update_deal
from voronka.crm.services.leads import update_lead
from voronka.lib.errors import DomainError, Invalid
from voronka.web.columns import COLUMNS, chosen, related, rows
from voronka.web.forms.filters import FilterForm
from voronka.web.views.common import NEW, SEGMENTS, TITLES, card_prefix, kind_of

PAGE = 50
UPDATE = {"lead": update_lead, "deal": update_deal, "contact": update_contact, "company": update_company}


@login_required
def item_list(request, kind: str):
    """A list page with filters, search, sortable columns and keyset pages."""
    pipeline = None
    form = FilterForm(request.GET or None, kind=kind, pipeline=pipeline)
    queryset = apply_filter(visible(request.user, kind), kind, form.spec())
    sort = request.GET.get("sort") or "-id"
    try:
        field, descending = parse_sort(kind, sort)
    except Invalid:
        sort, field, descending = "-id", "id", True
    cursor = request.GET.get("cursor") or None
    columns = chosen(request.session, kind)
    queryset = queryset.select_related(None).select_related(*related(kind, columns))
    page = keyset_page(queryset, kind, sort=sort, cursor=cursor, limit=PAGE, ids_first=True)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "kind": kind,
        "segment": SEGMENTS[kind],
        "title": TITLES[kind],
        "new_label": NEW[kind],
        "form": form,
        "page": page,
        "rows": rows(page.items, kind, columns, card_prefix(kind)),
        "choose_label": _("Choose"),
        "columns": columns,
        "all_columns": COLUMNS[kind],
        "sort_field": field,
        "descending": descending,
        "query": query,
        "is_first_page": not request.GET.get("cursor"),
        "users": active_users(),
        "stages": _bulk_stages(kind, form),
    }
    return render(request, "web/lists/list.html", context)


def _bulk_stages(kind: str, form) -> list:
    if kind not in ("lead", "deal") or "stage" not in form.fields:
        return []
    return form.fields["stage"].choices


def _back(request, kind: str):
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return redirect(f"web:{kind}-list")
    return redirect(target)


@login_required
@require_POST
def bulk(request, kind: str):
    """Assign, move or delete the chosen items, one service call per item (each with its own rules)."""
    kind = kind_of(kind)
    action = request.POST.get("action", "")
    ids = [int(pk) for pk in request.POST.getlist("ids") if pk.isdigit()][:500]
    chosen_items = list(visible(request.user, kind).filter(pk__in=ids).order_by("pk"))
    if not chosen_items:
        messages.error(request, _("Choose some rows first."))
        return _back(request, kind)
    done, errors = 0, []
    if action == "assign":
        target = get_user(request.POST.get("user"))
        run = lambda item: UPDATE[kind](item, actor=request.user, assigned_to=target)  # noqa: E731
    elif action == "move" and kind in ("lead", "deal"):
        stage = get_stage(request.POST.get("stage"))
        reason = request.POST.get("reason", "")
        run = lambda item: stages.move(item, to=stage, actor=request.user, reason=reason)  # noqa: E731
    elif action == "delete":
        run = lambda item: recycle.delete_item(item, actor=request.user)  # noqa: E731
    else:
        messages.error(request, _("Choose an action."))
        return _back(request, kind)
    for item in chosen_items:
        try:
            run(item)
            done += 1
        except DomainError as error:
            errors.append(f"{item.title}: {error.message}")
    if done:
        messages.success(
            request, ngettext("%(count)d item done.", "%(count)d items done.", done) % {"count": done}
        )
    if errors:
        shown = "; ".join(errors[:3]) + ("…" if len(errors) > 3 else "")
        messages.error(request, _("Not done: %(errors)s") % {"errors": shown})
    return _back(request, kind)


@login_required
@require_POST
def choose_columns(request, kind: str):
    """Keep the columns the user chose for a list (in the session)."""
    kind = kind_of(kind)
    keys = [c.key for c in COLUMNS[kind] if c.key in request.POST.getlist("columns")]
    request.session[f"columns:{kind}"] = keys
    return _back(request, kind)
