"""Pipelines (the lead statuses and the deal pipelines) and their stages."""

import datetime as dt
from typing import Any, Literal

from ninja import Field, Schema

from voronka.api.schemas.common import Id, Input, ShortText, iso, stage_dict

Semantics = Literal["open", "won", "lost"]


class StageOut(Schema):
    id: int
    pipeline_id: int
    code: str
    name: str
    semantics: Semantics
    sort: int
    color: str


class PipelineOut(Schema):
    id: int
    kind: Literal["lead", "deal"]
    name: str
    sort: int
    is_default: bool
    created_at: dt.datetime
    stages: list[StageOut]


class PipelineList(Schema):
    items: list[PipelineOut]


class StageList(Schema):
    items: list[StageOut]


class StageSpec(Input):
    name: ShortText
    semantics: Semantics = "open"


class PipelineIn(Input):
    name: ShortText
    stages: list[StageSpec] | None = Field(
        None, max_length=100, description="In order; the General pipeline's stages unless given."
    )


class PipelinePatch(Input):
    name: ShortText


class StageIn(Input):
    name: ShortText
    semantics: Semantics = "open"
    color: ShortText = ""
    code: ShortText = ""
    after_stage_id: Id | None = Field(
        None, description="Insert after this stage (by default at the end of its group)."
    )


class StagePatch(Input):
    name: ShortText | None = None
    color: ShortText | None = None
    semantics: Semantics | None = None


class StageOrderIn(Input):
    stage_ids: list[Id] = Field(
        max_length=200, description="Every stage of the pipeline once, in the new order."
    )


def stage_out(stage) -> dict[str, Any]:
    return {**stage_dict(stage), "pipeline_id": stage.pipeline_id, "color": stage.color}


def pipeline_dict(pipeline, stages) -> dict[str, Any]:
    return {
        "id": pipeline.pk,
        "kind": pipeline.kind,
        "name": pipeline.title,
        "sort": pipeline.sort,
        "is_default": pipeline.is_default,
        "created_at": iso(pipeline.created_at),
        "stages": [stage_out(stage) for stage in stages],
    }
