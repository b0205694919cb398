"""Configuring pipelines, stages and sources (administrators only).

Rules enforced here:
- a pipeline has at least one open stage, exactly one won stage and at least one lost stage
  (the lost stages are the loss reasons);
- stages in progress come first, then the won stage, then the lost ones;
- a stage code is unique in its pipeline; a stage with items cannot be deleted (move them
  first) nor change its semantics; a pipeline with deals cannot be deleted;
- there is one lead pipeline; deal pipelines are added freely.
"""

import re
import secrets
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm import defaults
from voronka.crm.models import Deal, Lead, Pipeline, Source, Stage, StageHistory
from voronka.lib.errors import Forbidden, Invalid, Refused

Semantics = Stage.Semantics
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
_CODE = re.compile(r"^[A-Z0-9_:]{1,50}$")
_ORDER = {Semantics.OPEN: 0, Semantics.WON: 1, Semantics.LOST: 2}


def _check_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators may change pipelines."))


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise Invalid("name.required", _("A name is required."), details={"name": _("Required.")})
    if len(name) > 200:
        raise Invalid("name.too_long", _("At most 200 characters."), details={"name": _("Too long.")})
    return name


@transaction.atomic
def create_pipeline(*, name: str, actor: User, stages: Sequence[tuple[str, str]] | None = None) -> Pipeline:
    """Add a deal pipeline; `stages` are (name, semantics) pairs, the General stages by default."""
    _check_admin(actor)
    last = Pipeline.objects.filter(kind=Pipeline.Kind.DEAL).order_by("-sort").first()
    pipeline = Pipeline.objects.create(
        kind=Pipeline.Kind.DEAL,
        name=_name(name),
        sort=(last.sort + 10) if last else 10,
        is_default=not Pipeline.objects.filter(kind=Pipeline.Kind.DEAL, is_default=True).exists(),
    )
    if stages is None:
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                code=code,
                name=title,
                is_system_name=True,
                sort=(i + 1) * 10,
                semantics=semantics,
                color=color,
            )
            for i, (code, title, semantics, color) in enumerate(defaults.DEAL_STAGES)
        )
    else:
        rows = [(_name(title), semantics) for title, semantics in stages]
        _check_shape([semantics for _title, semantics in rows])
        Stage.objects.bulk_create(
            Stage(
                pipeline=pipeline,
                code=_new_code(),
                name=title,
                sort=(i + 1) * 10,
                semantics=semantics,
                color=_palette(i, semantics),
            )
            for i, (title, semantics) in enumerate(rows)
        )
    return pipeline


# Colours of new stages, as Bitrix24 paints a funnel: blues to amber in progress, green, reds.
_OPEN_COLORS = ("#39A8EF", "#2FC6F6", "#55D0E0", "#47E4C2", "#FFA900", "#FFC34D", "#A5B4FC", "#C4B5FD")
_LOST_COLORS = ("#FF5752", "#FF8B8B", "#F7A9A9", "#D9A9A9")


def _palette(index: int, semantics: str) -> str:
    if semantics == Semantics.WON:
        return "#7BD500"
    if semantics == Semantics.LOST:
        return _LOST_COLORS[index % len(_LOST_COLORS)]
    return _OPEN_COLORS[index % len(_OPEN_COLORS)]


def _new_code() -> str:
    return "UC_" + secrets.token_hex(3).upper()


def _check_shape(semantics: Sequence[str]) -> None:
    for value in semantics:
        if value not in Semantics.values:
            raise Invalid("stage.bad_semantics", _("Unknown stage semantics “%(value)s”.") % {"value": value})
    if semantics.count(Semantics.WON) != 1:
        raise Invalid("pipeline.one_won_stage", _("A pipeline has exactly one won stage."))
    if not semantics.count(Semantics.OPEN):
        raise Invalid("pipeline.open_stage_required", _("A pipeline needs at least one stage in progress."))
    if not semantics.count(Semantics.LOST):
        raise Invalid("pipeline.lost_stage_required", _("A pipeline needs at least one lost stage."))
    if list(semantics) != sorted(semantics, key=lambda s: _ORDER[Semantics(s)]):
        raise Invalid(
            "pipeline.stage_order",
            _("Stages in progress come first, then the won stage, then the lost ones."),
        )


@transaction.atomic
def rename_pipeline(pipeline: Pipeline, *, name: str, actor: User) -> Pipeline:
    """Rename a pipeline."""
    _check_admin(actor)
    pipeline.name, pipeline.is_system_name = _name(name), False
    pipeline.save(update_fields=["name", "is_system_name"])
    return pipeline


@transaction.atomic
def delete_pipeline(pipeline: Pipeline, *, actor: User) -> None:
    """Delete an empty deal pipeline."""
    _check_admin(actor)
    if pipeline.kind != Pipeline.Kind.DEAL:
        raise Refused("pipeline.lead_pipeline", _("The lead pipeline cannot be deleted."))
    count = Deal.objects.filter(pipeline=pipeline).count()
    if count:
        raise Refused(
            "pipeline.not_empty",
            _("The pipeline has %(count)d deals; move them first.") % {"count": count},
            details={"count": count},
        )
    was_default = pipeline.is_default
    StageHistory.objects.filter(pipeline=pipeline).delete()
    pipeline.delete()
    if was_default:
        successor = Pipeline.objects.filter(kind=Pipeline.Kind.DEAL).order_by("sort", "pk").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])


@transaction.atomic
def add_stage(
    pipeline: Pipeline,
    *,
    name: str,
    actor: User,
    semantics: str = Semantics.OPEN,
    color: str = "",
    code: str = "",
    after: Stage | None = None,
) -> Stage:
    """Add a stage to a pipeline (after `after`, or at the end of its semantics group)."""
    _check_admin(actor)
    current = list(pipeline.stages.order_by("sort", "pk"))
    code = (code or "").strip().upper() or _new_code()
    if not _CODE.match(code):
        raise Invalid("stage.bad_code", _("A code is made of capital letters, digits and _."))
    if any(stage.code == code for stage in current):
        raise Invalid("stage.code_taken", _("The code %(code)s is taken in this pipeline.") % {"code": code})
    stage = Stage(
        pipeline=pipeline, name=_name(name), code=code, semantics=semantics, color=_color(color or "#39A8EF")
    )
    if after is not None and after.pipeline_id == pipeline.pk:
        position = next(i for i, s in enumerate(current) if s.pk == after.pk) + 1
    else:
        group = _ORDER.get(semantics)
        if group is None:
            raise Invalid(
                "stage.bad_semantics", _("Unknown stage semantics “%(value)s”.") % {"value": semantics}
            )
        position = sum(1 for s in current if _ORDER[Semantics(s.semantics)] <= group)
    ordered = [*current[:position], stage, *current[position:]]
    _check_shape([s.semantics for s in ordered])
    stage.sort = 0
    stage.save()
    _renumber(ordered)
    return stage


def _color(value: str) -> str:
    if not _COLOR.match(value or ""):
        raise Invalid("stage.bad_color", _("A colour is written #RRGGBB."), details={"color": _("Invalid.")})
    return value.upper()


def _renumber(ordered: list[Stage]) -> None:
    for index, stage in enumerate(ordered):
        stage.sort = (index + 1) * 10
    Stage.objects.bulk_update(ordered, ["sort"])


def _item_count(stage: Stage) -> int:
    return Lead.objects.filter(status=stage).count() + Deal.objects.filter(stage=stage).count()


@transaction.atomic
def update_stage(
    stage: Stage,
    *,
    actor: User,
    name: str | None = None,
    color: str | None = None,
    semantics: str | None = None,
) -> Stage:
    """Rename a stage, change its colour, or (when it has no items) its semantics."""
    _check_admin(actor)
    if name is not None:
        stage.name, stage.is_system_name = _name(name), False
    if color is not None:
        stage.color = _color(color)
    if semantics is not None and semantics != stage.semantics:
        if _item_count(stage):
            raise Refused(
                "stage.has_items", _("Move the items out of this stage before changing its meaning.")
            )
        stage.semantics = semantics
        siblings = list(stage.pipeline.stages.exclude(pk=stage.pk).order_by("sort", "pk"))
        ordered = sorted([*siblings, stage], key=lambda s: (_ORDER[Semantics(s.semantics)], s.sort, s.pk))
        _check_shape([s.semantics for s in ordered])
        stage.save()
        _renumber(ordered)
        return stage
    stage.save()
    return stage


@transaction.atomic
def reorder_stages(pipeline: Pipeline, *, order: Sequence[int], actor: User) -> list[Stage]:
    """Put the stages of a pipeline in the given order of ids."""
    _check_admin(actor)
    stages = {stage.pk: stage for stage in pipeline.stages.all()}
    if sorted(order) != sorted(stages):
        raise Invalid(
            "pipeline.order_mismatch", _("The new order must list every stage of the pipeline once.")
        )
    ordered = [stages[pk] for pk in order]
    _check_shape([s.semantics for s in ordered])
    _renumber(ordered)
    return ordered


@transaction.atomic
def delete_stage(stage: Stage, *, actor: User) -> None:
    """Delete a stage that has no items."""
    _check_admin(actor)
    count = _item_count(stage)
    if count:
        raise Refused(
            "stage.not_empty",
            _("The stage has %(count)d items; move them first.") % {"count": count},
            details={"count": count},
        )
    remaining = list(stage.pipeline.stages.exclude(pk=stage.pk).order_by("sort", "pk"))
    _check_shape([s.semantics for s in remaining])
    # Entries into the stage go with it; moves out of it keep their row with an unknown origin.
    stage.delete()


@transaction.atomic
def create_source(*, name: str, actor: User, code: str = "") -> Source:
    """Add a source of requests."""
    _check_admin(actor)
    code = (code or "").strip().upper() or _new_code()
    if not _CODE.match(code):
        raise Invalid("source.bad_code", _("A code is made of capital letters, digits and _."))
    if Source.objects.filter(code=code).exists():
        raise Invalid("source.code_taken", _("The code %(code)s is taken.") % {"code": code})
    last = Source.objects.order_by("-sort").first()
    return Source.objects.create(code=code, name=_name(name), sort=(last.sort + 10) if last else 10)


@transaction.atomic
def update_source(
    source: Source, *, actor: User, name: str | None = None, is_active: bool | None = None
) -> Source:
    """Rename a source or switch it off."""
    _check_admin(actor)
    if name is not None:
        source.name, source.is_system_name = _name(name), False
    if is_active is not None:
        source.is_active = is_active
    source.save()
    return source
