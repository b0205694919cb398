"""Kanban boards of leads and of each deal pipeline.

A board is one grouped query for the column totals and one keyset page of 20 cards per
column; more cards load when the end of a column scrolls into view.
"""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.crm.selectors.boards import board_pages, column_page, column_totals
from voronka.crm.selectors.items import visible
from voronka.crm.selectors.lists import Page, apply_filter
from voronka.crm.selectors.pipelines import (
    deal_pipelines,
    default_deal_pipeline,
    get_pipeline,
    get_stage,
    lead_pipeline,
    stages,
)
from voronka.crm.services.deals import create_deal
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import Invalid
from voronka.web.cards import CARD_VALUES, card_of, cards
from voronka.web.forms.filters import FilterForm
from voronka.web.templatetags.web import money
from voronka.web.totals import board_totals
from voronka.web.views.common import NEW, SEGMENTS, kind_of

PAGE = 20


@login_required
def home(request):
    """The start page: the deal board."""
    return redirect("web:deal-board")


def board_items(request, kind: str, pipeline):
    """Return the scoped, filtered items of a board and the filter form."""
    form = FilterForm(request.GET or None, kind=kind, pipeline=pipeline)
    queryset = apply_filter(visible(request.user, kind), kind, form.spec())
    return form, queryset


def _render_board(request, kind: str, pipeline):
    form, queryset = board_items(request, kind, pipeline)
    columns = stages(pipeline)
    totals = board_totals(queryset, kind, columns)
    pages = board_pages(queryset, kind, columns, values=CARD_VALUES[kind], limit=PAGE)
    every = iter(cards(request.user, kind, [row for page in pages for row in page.items]))
    board = [
        {
            "stage": stage,
            "total": totals[stage.pk],
            "page": Page([next(every) for _row in page.items], page.next_cursor),
        }
        for stage, page in zip(columns, pages, strict=True)
    ]
    context = {
        "kind": kind,
        "segment": SEGMENTS[kind],
        "pipeline": pipeline,
        "pipelines": list(deal_pipelines()) if kind == "deal" else [],
        "columns": board,
        "form": form,
        "query": request.GET.urlencode(),
        "currency": settings.DEFAULT_CURRENCY,
        "new_label": NEW[kind],
    }
    return render(request, "web/boards/board.html", context)


@login_required
def lead_board(request):
    """The board of lead statuses."""
    return _render_board(request, "lead", lead_pipeline())


@login_required
def deal_board(request, pipeline_id: int | None = None):
    """The board of one deal pipeline (the default one unless given)."""
    pipeline = default_deal_pipeline() if pipeline_id is None else get_pipeline(pipeline_id, kind="deal")
    return _render_board(request, "deal", pipeline)


@login_required
def column(request, kind: str, stage_id: int):
    """The next page of cards of one column (requested when the column's end scrolls into view)."""
    kind = kind_of(kind)
    stage = get_stage(stage_id)
    _form, queryset = board_items(request, kind, stage.pipeline)
    page = column_page(
        queryset, kind, stage, cursor=request.GET.get("cursor"), limit=PAGE, values=CARD_VALUES[kind]
    )
    page = Page(cards(request.user, kind, page.items), page.next_cursor)
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "kind": kind,
        "segment": SEGMENTS[kind],
        "stage": stage,
        "page": page,
        "query": query.urlencode(),
    }
    return render(request, "web/boards/board.html#column-cards", context)


def stage_stats(request, kind: str, stage) -> dict:
    """Return the refreshed head of a column, for the page script after a move or an add."""
    _form, queryset = board_items(request, kind, stage.pipeline)
    total = column_totals(queryset, kind, [stage])[stage.pk]
    return {"stage": stage.pk, "count": total.count, "sum": money(total.amount, settings.DEFAULT_CURRENCY)}


@login_required
@require_POST
def quick_add(request, kind: str, stage_id: int):
    """Add a card at the top of the first column: a title and an amount."""
    kind = kind_of(kind)
    stage = get_stage(stage_id)
    values = {"title": request.POST.get("title", "").strip(), "amount": request.POST.get("amount", "")}
    if not values["title"]:
        raise Invalid("item.title_required", _("Give it a title."))
    if kind == "lead":
        item = create_lead(actor=request.user, status=stage, **values)
    elif kind == "deal":
        item = create_deal(actor=request.user, pipeline=stage.pipeline, stage=stage, **values)
    else:
        raise Invalid("board.kind", _("Only leads and deals have boards."))
    item = card_of(request.user, kind, item.pk)
    context = {"item": item, "kind": kind, "segment": SEGMENTS[kind]}
    response = render(request, "web/boards/board.html#card", context)
    if item is None:
        response.content = b""
    response["HX-Trigger"] = json.dumps(
        {
            "card-added": stage_stats(request, kind, stage),
            "toast": {"level": "success", "message": _("Added.")},
        }
    )
    return response
