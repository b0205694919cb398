"""/api/v1/deals — an adapter: every rule is in crm.services."""

from typing import Any

from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.api.pagination import DealFilters, PageParams
from voronka.api.routers import items
from voronka.api.schemas.common import Id
from voronka.api.schemas.deals import (
    DEAL,
    ChangePipelineIn,
    DealBulkIn,
    DealBulkOut,
    DealCreated,
    DealIn,
    DealOut,
    DealPage,
    DealPatch,
)
from voronka.api.schemas.items import (
    CommentIn,
    HistoryList,
    MoveIn,
    ProductRowList,
    ProductRowsIn,
    ReopenIn,
    TimelineEntryOut,
    TimelinePage,
    row_arguments,
)
from voronka.crm.selectors.pipelines import default_deal_pipeline
from voronka.crm.services import stages
from voronka.crm.services.deals import create_deal, update_deal

router = Router(tags=["deals"])
DealId = Path[Id]


def _place(payload: DealIn) -> dict[str, Any]:
    """The pipeline and stage a new deal goes to: a stage id or code names a stage of the
    pipeline given, or of the default pipeline."""
    pipeline = items.body_pipeline(payload.pipeline_id)
    reference = payload.stage_id if payload.stage_id is not None else payload.stage
    if reference in (None, ""):
        return {"pipeline": pipeline}
    if pipeline is None and payload.stage_id is not None:
        return {"stage": items.any_deal_stage(payload.stage_id)}
    return {
        "pipeline": pipeline,
        "stage": items.optional_stage(pipeline or default_deal_pipeline(), None, str(reference)),
    }


def _prepare(request: HttpRequest, payload: DealIn) -> dict[str, Any]:
    values = payload.model_dump(
        exclude_unset=True, exclude={"pipeline_id", "stage_id", "stage", "product_rows"}
    )
    arguments = items.service_values(request, values)
    arguments.update(_place(payload))
    if payload.product_rows is not None:
        arguments["product_rows"] = row_arguments(payload.product_rows)
    return arguments


@router.get("", response=DealPage, summary="List deals")
def list_deals(request: HttpRequest, filters: Query[DealFilters], page: Query[PageParams]):
    """Deals you may see: `pipeline_id`, `stage`, `assigned_to_id`, amount and date ranges, `q`…"""
    return items.list_items(request, "deal", filters, page, DEAL)


@router.post("", response={201: DealCreated}, summary="Create a deal")
def create(request: HttpRequest, payload: DealIn):
    arguments = _prepare(request, payload)
    deal = create_deal(actor=request.auth, **arguments)
    return items.respond(
        items.created_answer(request, "deal", deal, arguments, DEAL, known=set()), status=201
    )


@router.post("/bulk", response={201: DealBulkOut}, summary="Create up to 500 deals, all or nothing")
def bulk(request: HttpRequest, payload: DealBulkIn):
    """Every deal is created, or none: a 422 answer lists the refused ones by index."""
    return items.bulk_create(request, "deal", payload.items, _prepare, DEAL)


@router.get("/{deal_id}", response=DealOut, summary="Get a deal")
def get(request: HttpRequest, deal_id: DealId):
    return items.show(items.get_item(request, "deal", deal_id), DEAL)


@router.patch("/{deal_id}", response=DealOut, summary="Change a deal")
def patch(request: HttpRequest, deal_id: DealId, payload: DealPatch):
    deal = items.get_item(request, "deal", deal_id)
    update_deal(
        deal, actor=request.auth, **items.service_values(request, payload.model_dump(exclude_unset=True))
    )
    return items.show(items.get_item(request, "deal", deal_id), DEAL)


@router.delete("/{deal_id}", response={204: None}, summary="Delete a deal (to the recycle bin)")
def delete(request: HttpRequest, deal_id: DealId):
    return items.delete_item(request, "deal", deal_id)


@router.post("/{deal_id}/move", response=DealOut, summary="Move a deal to another stage")
def move(request: HttpRequest, deal_id: DealId, payload: MoveIn):
    """Forward moves are free; a move back needs the right and a reason; a lost stage needs a reason."""
    deal = items.get_item(request, "deal", deal_id)
    target = items.required_stage(deal.pipeline, payload.stage_id, payload.stage)
    stages.move(deal, to=target, actor=request.auth, reason=payload.reason)
    return items.show(items.get_item(request, "deal", deal_id), DEAL)


@router.post("/{deal_id}/reopen", response=DealOut, summary="Re-open a closed deal")
def reopen(request: HttpRequest, deal_id: DealId, payload: ReopenIn):
    deal = items.get_item(request, "deal", deal_id)
    target = items.optional_stage(deal.pipeline, payload.stage_id, payload.stage)
    stages.reopen(deal, to=target, actor=request.auth, reason=payload.reason)
    return items.show(items.get_item(request, "deal", deal_id), DEAL)


@router.post("/{deal_id}/pipeline", response=DealOut, summary="Move an open deal to another pipeline")
def change_pipeline(request: HttpRequest, deal_id: DealId, payload: ChangePipelineIn):
    deal = items.get_item(request, "deal", deal_id)
    pipeline = items.body_pipeline(payload.pipeline_id)
    stage = items.optional_stage(pipeline, payload.stage_id, payload.stage)
    stages.change_pipeline(deal, pipeline=pipeline, stage=stage, actor=request.auth)
    return items.show(items.get_item(request, "deal", deal_id), DEAL)


@router.get("/{deal_id}/history", response=HistoryList, summary="A deal's stage history")
def history(request: HttpRequest, deal_id: DealId):
    return items.history_of(request, "deal", deal_id)


@router.get("/{deal_id}/timeline", response=TimelinePage, summary="A deal's timeline, newest first")
def timeline(request: HttpRequest, deal_id: DealId, page: Query[PageParams]):
    return items.timeline_of(request, "deal", deal_id, cursor=page.cursor, limit=page.limit)


@router.post("/{deal_id}/timeline", response={201: TimelineEntryOut}, summary="Comment on a deal")
def comment(request: HttpRequest, deal_id: DealId, payload: CommentIn):
    return items.comment_on(request, "deal", deal_id, payload.text)


@router.get("/{deal_id}/products", response=ProductRowList, summary="A deal's product rows")
def product_rows(request: HttpRequest, deal_id: DealId):
    return items.product_rows_of(request, "deal", deal_id)


@router.put("/{deal_id}/products", response=ProductRowList, summary="Replace a deal's product rows")
def set_rows(request: HttpRequest, deal_id: DealId, payload: ProductRowsIn):
    """The deal's amount follows its rows."""
    return items.replace_product_rows(request, "deal", deal_id, row_arguments(payload.rows))
