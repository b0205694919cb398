"""Pipelines, stages and sources: configuration every user may read."""

import copy

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.crm import config_cache
from voronka.crm.models import Pipeline, Source, Stage
from voronka.lib.errors import Invalid, NotFound


def lead_pipeline() -> Pipeline:
    """Return the pipeline of lead statuses."""
    pipeline = Pipeline.objects.filter(kind=Pipeline.Kind.LEAD).order_by("-is_default", "pk").first()
    if pipeline is None:
        raise NotFound("pipeline.no_lead_pipeline", _("The lead pipeline is missing."))
    return pipeline


def default_deal_pipeline() -> Pipeline:
    """Return the default deal pipeline."""
    pipeline = Pipeline.objects.filter(kind=Pipeline.Kind.DEAL).order_by("-is_default", "sort", "pk").first()
    if pipeline is None:
        raise NotFound("pipeline.no_deal_pipeline", _("There is no deal pipeline."))
    return pipeline


def deal_pipelines() -> QuerySet[Pipeline]:
    """Return the deal pipelines in their order."""
    return Pipeline.objects.filter(kind=Pipeline.Kind.DEAL).order_by("sort", "pk")


def pipelines() -> QuerySet[Pipeline]:
    """Return every pipeline, lead pipeline first."""
    return Pipeline.objects.order_by("kind", "sort", "pk")


def get_pipeline(pipeline_id: int, *, kind: str | None = None) -> Pipeline:
    """Return a pipeline by id, or raise NotFound."""
    queryset = Pipeline.objects.all() if kind is None else Pipeline.objects.filter(kind=kind)
    try:
        return queryset.get(pk=pipeline_id)
    except (Pipeline.DoesNotExist, ValueError, TypeError):
        raise NotFound("pipeline.not_found", _("There is no such pipeline.")) from None


def stages(pipeline: Pipeline) -> list[Stage]:
    """Return the stages of `pipeline` in order."""
    return list(pipeline.stages.order_by("sort", "pk"))


def first_stage(pipeline: Pipeline) -> Stage:
    """Return the first open stage of `pipeline`."""
    stage = pipeline.stages.filter(semantics=Stage.Semantics.OPEN).order_by("sort", "pk").first()
    if stage is None:
        raise Invalid("pipeline.no_open_stage", _("The pipeline has no open stage."))
    return stage


def first_lead_status() -> Stage:
    """Return the first open status of the lead pipeline (kept while the configuration stays)."""
    stage = config_cache.cached("first_lead_status", _first_lead_status)
    stage = copy.copy(stage) if stage is not None else None
    if stage is None:
        raise Invalid("pipeline.no_open_stage", _("The pipeline has no open stage."))
    return stage


def _first_lead_status() -> Stage | None:
    return (
        Stage.objects.filter(pipeline__kind=Pipeline.Kind.LEAD, semantics=Stage.Semantics.OPEN)
        .select_related("pipeline")
        .order_by("-pipeline__is_default", "pipeline_id", "sort", "pk")
        .first()
    )


def won_stage(pipeline: Pipeline) -> Stage:
    """Return the won stage of `pipeline`."""
    stage = pipeline.stages.filter(semantics=Stage.Semantics.WON).order_by("sort", "pk").first()
    if stage is None:
        raise Invalid("pipeline.no_won_stage", _("The pipeline has no won stage."))
    return stage


def get_pipeline_stage(pipeline: Pipeline, *, stage_id: int | None = None, code: str | None = None) -> Stage:
    """Return a stage of `pipeline` by id or code, or raise NotFound."""
    try:
        if stage_id is not None:
            return pipeline.stages.get(pk=stage_id)
        return pipeline.stages.get(code__iexact=(code or "").strip())
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise NotFound("stage.not_found", _("This pipeline has no such stage.")) from None


def get_stage(stage_id: int) -> Stage:
    """Return a stage by id, or raise NotFound."""
    try:
        return Stage.objects.select_related("pipeline").get(pk=stage_id)
    except (Stage.DoesNotExist, ValueError, TypeError):
        raise NotFound("stage.not_found", _("There is no such stage.")) from None


def sources(*, active_only: bool = True) -> QuerySet[Source]:
    """Return the configured sources in order."""
    queryset = Source.objects.order_by("sort", "pk")
    return queryset.filter(is_active=True) if active_only else queryset


def stage_ids(kind: str, references: list[str], *, pipeline_id: int | None = None) -> list[int]:
    """Return the ids of the stages named by id or code in the lead pipeline or the deal pipelines.

    A code names a stage in every deal pipeline that has it unless `pipeline_id` narrows it.
    Raises Invalid naming the references that match nothing.
    """
    stages = Stage.objects.filter(pipeline__kind=kind)
    if pipeline_id is not None:
        stages = stages.filter(pipeline_id=pipeline_id)
    known = list(stages.values_list("pk", "code"))
    found: list[int] = []
    unknown: list[str] = []
    for reference in references:
        text = str(reference).strip()
        matches = [pk for pk, code in known if code.upper() == text.upper() or str(pk) == text]
        if not matches:
            unknown.append(text)
        found.extend(matches)
    if unknown:
        raise Invalid(
            "stage.unknown",
            _("Unknown stage: %(stages)s.") % {"stages": ", ".join(unknown)},
            details={"stage": unknown},
        )
    return sorted(set(found))


def source_ids(references: list[str]) -> list[int]:
    """Return the ids of the sources named by id or code; raise Invalid naming unknown ones."""
    known = list(Source.objects.values_list("pk", "code"))
    found: list[int] = []
    unknown: list[str] = []
    for reference in references:
        text = str(reference).strip()
        matches = [pk for pk, code in known if code.upper() == text.upper() or str(pk) == text]
        if not matches:
            unknown.append(text)
        found.extend(matches)
    if unknown:
        raise Invalid(
            "source.unknown",
            _("Unknown source: %(sources)s.") % {"sources": ", ".join(unknown)},
            details={"source": unknown},
        )
    return sorted(set(found))


def resolve_stage(pipeline: Pipeline, reference: str | int) -> Stage:
    """Return the stage of `pipeline` given by id or code, or raise Invalid (for request bodies)."""
    text = str(reference).strip()
    stage = pipeline.stages.filter(code__iexact=text).first()
    if stage is None and text.isdigit() and len(text) < 19:
        stage = pipeline.stages.filter(pk=int(text)).first()
    if stage is None:
        raise Invalid(
            "stage.unknown",
            _("The pipeline has no stage “%(stage)s”.") % {"stage": text},
            details={"stage": _("Unknown stage.")},
        )
    return stage
