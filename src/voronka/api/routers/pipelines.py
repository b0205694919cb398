"""/api/v1/pipelines — the lead statuses and the deal pipelines with their stages.

Everybody reads them; administrators change them (the services refuse everybody else).
"""

from typing import Literal

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Path, Query, Router

from voronka.api.routers.items import no_content, respond
from voronka.api.schemas.common import Id
from voronka.api.schemas.pipelines import (
    PipelineIn,
    PipelineList,
    PipelineOut,
    PipelinePatch,
    StageIn,
    StageList,
    StageOrderIn,
    StageOut,
    StagePatch,
    pipeline_dict,
    stage_out,
)
from voronka.crm.models import Stage
from voronka.crm.selectors.pipelines import get_pipeline, get_pipeline_stage, pipelines, stages
from voronka.crm.services import pipelines as services

router = Router(tags=["pipelines"])
PipelineId = Path[Id]
StageId = Path[Id]


def _answer(pipeline, status: int = 200):
    return respond(pipeline_dict(pipeline, stages(pipeline)), status=status)


@router.get("", response=PipelineList, summary="List pipelines with their stages")
def list_pipelines(request: HttpRequest, kind: Query[Literal["lead", "deal"] | None] = None):
    """The lead pipeline (its stages are the lead statuses) and the deal pipelines, in order."""
    queryset = pipelines().prefetch_related(Prefetch("stages", queryset=Stage.objects.order_by("sort", "pk")))
    if kind:
        queryset = queryset.filter(kind=kind)
    return respond({"items": [pipeline_dict(p, p.stages.all()) for p in queryset]})


@router.post("", response={201: PipelineOut}, summary="Add a deal pipeline (administrators)")
def create(request: HttpRequest, payload: PipelineIn):
    stage_specs = [(s.name, s.semantics) for s in payload.stages] if payload.stages is not None else None
    pipeline = services.create_pipeline(name=payload.name, stages=stage_specs, actor=request.auth)
    return _answer(pipeline, status=201)


@router.get("/{pipeline_id}", response=PipelineOut, summary="Get a pipeline")
def get(request: HttpRequest, pipeline_id: PipelineId):
    return _answer(get_pipeline(pipeline_id))


@router.patch("/{pipeline_id}", response=PipelineOut, summary="Rename a pipeline (administrators)")
def rename(request: HttpRequest, pipeline_id: PipelineId, payload: PipelinePatch):
    pipeline = services.rename_pipeline(get_pipeline(pipeline_id), name=payload.name, actor=request.auth)
    return _answer(pipeline)


@router.delete(
    "/{pipeline_id}", response={204: None}, summary="Delete an empty deal pipeline (administrators)"
)
def delete(request: HttpRequest, pipeline_id: PipelineId):
    services.delete_pipeline(get_pipeline(pipeline_id), actor=request.auth)
    return no_content()


@router.get("/{pipeline_id}/stages", response=StageList, summary="List a pipeline's stages")
def list_stages(request: HttpRequest, pipeline_id: PipelineId):
    return respond({"items": [stage_out(stage) for stage in stages(get_pipeline(pipeline_id))]})


@router.post("/{pipeline_id}/stages", response={201: StageOut}, summary="Add a stage (administrators)")
def add_stage(request: HttpRequest, pipeline_id: PipelineId, payload: StageIn):
    pipeline = get_pipeline(pipeline_id)
    after = get_pipeline_stage(pipeline, stage_id=payload.after_stage_id) if payload.after_stage_id else None
    stage = services.add_stage(
        pipeline,
        name=payload.name,
        semantics=payload.semantics,
        color=payload.color,
        code=payload.code,
        after=after,
        actor=request.auth,
    )
    stage.refresh_from_db()
    return respond(stage_out(stage), status=201)


@router.patch(
    "/{pipeline_id}/stages/{stage_id}", response=StageOut, summary="Change a stage (administrators)"
)
def update_stage(request: HttpRequest, pipeline_id: PipelineId, stage_id: StageId, payload: StagePatch):
    stage = get_pipeline_stage(get_pipeline(pipeline_id), stage_id=stage_id)
    stage = services.update_stage(stage, actor=request.auth, **payload.model_dump(exclude_unset=True))
    stage.refresh_from_db()
    return respond(stage_out(stage))


@router.delete(
    "/{pipeline_id}/stages/{stage_id}", response={204: None}, summary="Delete an empty stage (administrators)"
)
def delete_stage(request: HttpRequest, pipeline_id: PipelineId, stage_id: StageId):
    services.delete_stage(
        get_pipeline_stage(get_pipeline(pipeline_id), stage_id=stage_id), actor=request.auth
    )
    return no_content()


@router.put("/{pipeline_id}/stage-order", response=StageList, summary="Reorder stages (administrators)")
def reorder(request: HttpRequest, pipeline_id: PipelineId, payload: StageOrderIn):
    pipeline = get_pipeline(pipeline_id)
    services.reorder_stages(pipeline, order=payload.stage_ids, actor=request.auth)
    return respond({"items": [stage_out(stage) for stage in stages(pipeline)]})
