"""The filters every report shares: pipeline, period, responsible, department, source.

A period is a range of calendar days in the company's time zone (settings.TIME_ZONE),
both ends included: 1 to 31 January means [1 Jan 00:00, 1 Feb 00:00) local time. The
adapters pass raw strings to `parse_filter()`, which refuses bad input with `Invalid`
(or `NotFound` for an unknown pipeline, user, department or source).
"""

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Department, User
from voronka.accounts.rights import department_subtree_ids
from voronka.crm.models import Pipeline, Source, Stage
from voronka.crm.selectors.items import visible
from voronka.crm.selectors.pipelines import default_deal_pipeline, get_pipeline, lead_pipeline
from voronka.lib.errors import Invalid, NotFound

DEFAULT_DAYS = 365
MAX_DAYS = 366 * 10


@dataclass(frozen=True)
class PipelineStages:
    """A pipeline's stages in funnel order: the path (open stages, then won) and the loss reasons."""

    pipeline: Pipeline
    path: list[Stage]
    lost: list[Stage]

    @classmethod
    def of(cls, pipeline: Pipeline) -> "PipelineStages":
        stages = list(pipeline.stages.order_by("sort", "pk"))
        opens = [s for s in stages if s.semantics == Stage.Semantics.OPEN]
        won = [s for s in stages if s.semantics == Stage.Semantics.WON]
        lost = [s for s in stages if s.semantics == Stage.Semantics.LOST]
        return cls(pipeline=pipeline, path=opens + won, lost=lost)

    @property
    def kind(self) -> str:
        return self.pipeline.kind

    @property
    def open(self) -> list[Stage]:
        return [s for s in self.path if s.semantics == Stage.Semantics.OPEN]

    @property
    def won(self) -> list[Stage]:
        return [s for s in self.path if s.semantics == Stage.Semantics.WON]

    @cached_property
    def rank(self) -> dict[int, int]:
        """Stage id → 1-based place on the path (lost stages are not on it)."""
        return {stage.pk: index for index, stage in enumerate(self.path, start=1)}

    @cached_property
    def won_rank(self) -> int | None:
        """The lowest rank of a won stage: reaching it means the item was won."""
        ranks = [self.rank[s.pk] for s in self.won]
        return min(ranks) if ranks else None

    @property
    def ids(self) -> list[int]:
        return [s.pk for s in self.path] + [s.pk for s in self.lost]

    @cached_property
    def by_id(self) -> dict[int, Stage]:
        return {s.pk: s for s in self.path + self.lost}


@dataclass(frozen=True)
class ReportFilter:
    """What a report covers; `start`/`end` are the period's bounds as aware datetimes, end excluded."""

    pipeline: Pipeline
    date_from: dt.date
    date_to: dt.date
    responsible_id: int | None = None
    department_id: int | None = None
    source_id: int | None = None
    now: dt.datetime = field(default_factory=timezone.now)

    @property
    def kind(self) -> str:
        return self.pipeline.kind

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.date_from)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.date_to + dt.timedelta(days=1))

    @cached_property
    def stages(self) -> PipelineStages:
        return PipelineStages.of(self.pipeline)

    def shifted(self, *, date_from: dt.date, date_to: dt.date) -> "ReportFilter":
        """Return the same filter over another period."""
        return dataclasses.replace(self, date_from=date_from, date_to=date_to)

    def with_pipeline(self, pipeline: Pipeline) -> "ReportFilter":
        """Return the same filter over another pipeline."""
        return dataclasses.replace(self, pipeline=pipeline)

    def as_dict(self) -> dict:
        return {
            "pipeline_id": self.pipeline.pk,
            "pipeline": self.pipeline.title,
            "kind": self.kind,
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
            "responsible_id": self.responsible_id,
            "department_id": self.department_id,
            "source_id": self.source_id,
        }


def local_midnight(day: dt.date) -> dt.datetime:
    """Return the start of `day` in the company's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def local_date(moment: dt.datetime) -> dt.date:
    """Return the calendar day of `moment` in the company's time zone."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date()


def month_starts(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    """Return the first days of the calendar months the range [start, end) touches (company time)."""
    first = local_date(start).replace(day=1)
    last = local_date(end - dt.timedelta(microseconds=1))
    months = []
    while first <= last:
        months.append(first)
        first = (first + dt.timedelta(days=32)).replace(day=1)
    return months


def scoped_items(user: User | None, report: ReportFilter, kind: str | None = None) -> QuerySet:
    """Return the items of the report's kind the user may read, narrowed by responsible, department, source."""
    queryset = visible(user, kind or report.kind).order_by()
    if report.responsible_id is not None:
        queryset = queryset.filter(assigned_to_id=report.responsible_id)
    if report.department_id is not None:
        queryset = queryset.filter(
            assigned_to__department_id__in=sorted(department_subtree_ids([report.department_id]))
        )
    if report.source_id is not None:
        queryset = queryset.filter(source_id=report.source_id)
    return queryset


def _parse_date(value, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise Invalid(
            "analytics.bad_date",
            _("Dates are written as YYYY-MM-DD."),
            details={name: _("Not a date: %(value)s") % {"value": value}},
        ) from None


def _pipeline(value) -> Pipeline:
    if value in (None, ""):
        return default_deal_pipeline()
    if isinstance(value, Pipeline):
        return value
    text = str(value).strip()
    if text.lower() in {"lead", "leads"}:
        return lead_pipeline()
    if text.isdigit():
        return get_pipeline(int(text))
    found = Pipeline.objects.filter(name__iexact=text).order_by("pk").first()
    if found is None:
        raise NotFound("pipeline.not_found", _("There is no such pipeline."))
    return found


def _user(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = (
        User.objects.filter(pk=int(text)) if text.isdigit() else User.objects.filter(username__iexact=text)
    )
    pk = query.values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("user.not_found", _("User not found."))
    return pk


def _department(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = (
        Department.objects.filter(pk=int(text))
        if text.isdigit()
        else Department.objects.filter(name__iexact=text)
    )
    pk = query.values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("department.not_found", _("There is no such department."))
    return pk


def _source(value) -> int | None:
    if value in (None, ""):
        return None
    text = str(value).strip()
    query = (
        Source.objects.filter(pk=int(text)) if text.isdigit() else Source.objects.filter(code__iexact=text)
    )
    pk = query.values_list("pk", flat=True).first()
    if pk is None:
        raise NotFound("source.not_found", _("There is no such source."))
    return pk


def parse_filter(params: Mapping[str, object], *, now: dt.datetime | None = None) -> ReportFilter:
    """Build a ReportFilter from raw values (ids, codes, usernames, ISO dates); refuse bad ones."""
    now = now or timezone.now()
    today = local_date(now)
    date_to = _parse_date(params.get("date_to"), "date_to") or today
    date_from = _parse_date(params.get("date_from"), "date_from") or (
        date_to - dt.timedelta(days=DEFAULT_DAYS - 1)
    )
    if date_from > date_to:
        raise Invalid(
            "analytics.bad_period",
            _("The period starts after it ends."),
            details={"date_from": _("Must not be after the end of the period.")},
        )
    if (date_to - date_from).days > MAX_DAYS:
        raise Invalid(
            "analytics.period_too_long",
            _("The period is longer than ten years."),
            details={"date_from": _("Too early.")},
        )
    return ReportFilter(
        pipeline=_pipeline(params.get("pipeline")),
        date_from=date_from,
        date_to=date_to,
        responsible_id=_user(params.get("responsible")),
        department_id=_department(params.get("department")),
        source_id=_source(params.get("source")),
        now=now,
    )


__all__ = [
    "DEFAULT_DAYS",
    "PipelineStages",
    "ReportFilter",
    "local_date",
    "local_midnight",
    "month_starts",
    "parse_filter",
    "scoped_items",
]
