"""Report 3, bottlenecks: the stages that convert worst, against the pipeline's past and the team.

Definitions (docs/analytics.md, "Bottlenecks"):
- the cohort is the funnel's "created" cohort of the period;
- a stage's conversion counts only *decided* items: of the items that reached the stage,
  `passed` went further, `failed` ended lost there; items still open there are left out
  (they have not been decided, and counting them would make every recent period look bad);
  conversion = passed / (passed + failed), with a 95% Wilson interval;
- the past is the same cohort rule over the 365 days before the period; a stage is "below its
  past" when the upper end of its interval lies under the past rate;
- per manager (the item's responsible), a manager is "below the team" at a stage when the upper
  end of the manager's interval lies under the team's rate, and the manager has at least
  `MIN_DECIDED` decided items there — so small samples are never flagged;
- the bottleneck is the stage with the lowest conversion among those with `MIN_DECIDED` decided items.
"""

import datetime as dt
from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter
from voronka.analytics.selectors.reach import ReachGroup, reach_groups
from voronka.analytics.stats import Interval, rate, wilson

MIN_DECIDED = 10
PAST_DAYS = 365


@dataclass(frozen=True, slots=True)
class Conversion:
    passed: int
    failed: int
    rate: float | None
    interval: Interval

    @classmethod
    def of(cls, groups: list[ReachGroup], rank: int) -> "Conversion":
        passed = sum(g.items for g in groups if g.reached > rank)
        failed = sum(g.items for g in groups if g.reached == rank and g.ended_lost)
        return cls(passed, failed, rate(passed, passed + failed), wilson(passed, passed + failed))

    @property
    def decided(self) -> int:
        return self.passed + self.failed


@dataclass(frozen=True, slots=True)
class StageConversion:
    stage_id: int
    code: str
    title: str
    next_title: str
    current: Conversion
    past: Conversion
    is_bottleneck: bool
    below_past: bool


@dataclass(frozen=True, slots=True)
class ManagerConversion:
    stage_id: int
    manager_id: int | None
    manager: str
    conversion: Conversion
    team_rate: float | None
    below_team: bool


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    stage_id: int
    manager_id: int | None
    text: str
    suggestion: str
    evidence: dict


@dataclass(frozen=True, slots=True)
class Bottlenecks:
    filter: dict
    past_from: str
    past_to: str
    stages: list[StageConversion]
    managers: list[ManagerConversion]
    findings: list[Finding]

    def as_dict(self) -> dict:
        return asdict(self)


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _interval(interval: Interval) -> str:
    return f"{interval.low:.0%}–{interval.high:.0%}"


def bottlenecks(user: User | None, report: ReportFilter) -> Bottlenecks:
    """Return per-stage and per-manager conversion with the findings worth acting on."""
    groups = reach_groups(
        user, report, cohort="created", start=report.start, end=report.end, cutoff=None, by_responsible=True
    )
    past_to = report.date_from - dt.timedelta(days=1)
    past = report.shifted(date_from=report.date_from - dt.timedelta(days=PAST_DAYS), date_to=past_to)
    past_groups = reach_groups(user, past, cohort="created", start=past.start, end=past.end, cutoff=None)
    path = report.stages.path
    stages: list[StageConversion] = []
    for rank, stage in enumerate(report.stages.open, start=1):
        current, before = Conversion.of(groups, rank), Conversion.of(past_groups, rank)
        below = (
            before.rate is not None
            and before.decided >= MIN_DECIDED
            and current.decided >= MIN_DECIDED
            and current.interval.high < before.rate
        )
        stages.append(
            StageConversion(
                stage_id=stage.pk,
                code=stage.code,
                title=stage.title,
                next_title=path[rank].title if rank < len(path) else "",
                current=current,
                past=before,
                is_bottleneck=False,
                below_past=below,
            )
        )
    eligible = [s for s in stages if s.current.decided >= MIN_DECIDED and s.current.rate is not None]
    if eligible:
        worst = min(eligible, key=lambda s: (s.current.rate, -s.current.failed))
        stages = [
            StageConversion(**{**_fields(s), "is_bottleneck": s.stage_id == worst.stage_id}) for s in stages
        ]
    managers = _managers(groups, report, stages)
    return Bottlenecks(
        filter=report.as_dict(),
        past_from=past.date_from.isoformat(),
        past_to=past.date_to.isoformat(),
        stages=stages,
        managers=managers,
        findings=_findings(stages, managers),
    )


def _fields(stage: StageConversion) -> dict:
    return {name: getattr(stage, name) for name in StageConversion.__dataclass_fields__}


def _managers(
    groups: list[ReachGroup], report: ReportFilter, stages: list[StageConversion]
) -> list[ManagerConversion]:
    people = sorted({g.responsible_id for g in groups}, key=lambda pk: (pk is None, pk or 0))
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[p for p in people if p])}
    rows = []
    for rank, stage in enumerate(stages, start=1):
        for person in people:
            mine = [g for g in groups if g.responsible_id == person]
            conversion = Conversion.of(mine, rank)
            if conversion.decided == 0:
                continue
            team = stage.current.rate
            rows.append(
                ManagerConversion(
                    stage_id=stage.stage_id,
                    manager_id=person,
                    manager=names.get(person, "—") if person else "—",
                    conversion=conversion,
                    team_rate=team,
                    below_team=team is not None
                    and conversion.decided >= MIN_DECIDED
                    and conversion.interval.high < team,
                )
            )
    return rows


def _findings(stages: list[StageConversion], managers: list[ManagerConversion]) -> list[Finding]:
    findings = []
    by_id = {s.stage_id: s for s in stages}
    for stage in stages:
        step = {"from": stage.title, "to": stage.next_title or "…"}
        if stage.is_bottleneck:
            findings.append(
                Finding(
                    code="bottleneck.lowest_stage",
                    severity="warning",
                    stage_id=stage.stage_id,
                    manager_id=None,
                    text=_(
                        "The bottleneck is %(from)s → %(to)s: %(rate)s pass (95%% CI %(ci)s); %(failed)s lost there."
                    )
                    % {
                        **step,
                        "rate": _percent(stage.current.rate),
                        "ci": _interval(stage.current.interval),
                        "failed": stage.current.failed,
                    },
                    suggestion=_(
                        "Look at why items are lost at this stage (the loss reasons report) and what the "
                        "managers who convert best do differently."
                    ),
                    evidence={"passed": stage.current.passed, "failed": stage.current.failed},
                )
            )
        if stage.below_past:
            findings.append(
                Finding(
                    code="bottleneck.below_past",
                    severity="warning",
                    stage_id=stage.stage_id,
                    manager_id=None,
                    text=_(
                        "%(from)s → %(to)s: %(rate)s (95%% CI %(ci)s), below %(past)s over the previous year."
                    )
                    % {
                        **step,
                        "rate": _percent(stage.current.rate),
                        "ci": _interval(stage.current.interval),
                        "past": _percent(stage.past.rate),
                    },
                    suggestion=_(
                        "Something changed at this stage: check the offer, the leads' quality and the team."
                    ),
                    evidence={
                        "passed": stage.current.passed,
                        "failed": stage.current.failed,
                        "past_passed": stage.past.passed,
                        "past_failed": stage.past.failed,
                    },
                )
            )
    for row in managers:
        if not row.below_team:
            continue
        stage = by_id[row.stage_id]
        findings.append(
            Finding(
                code="bottleneck.below_team",
                severity="info",
                stage_id=row.stage_id,
                manager_id=row.manager_id,
                text=_("%(from)s → %(to)s: %(rate)s (team %(team)s, 95%% CI %(ci)s) for %(manager)s.")
                % {
                    "from": stage.title,
                    "to": stage.next_title or "…",
                    "rate": _percent(row.conversion.rate),
                    "team": _percent(row.team_rate),
                    "ci": _interval(row.conversion.interval),
                    "manager": row.manager,
                },
                suggestion=_(
                    "Coach this manager on this stage, or pair them with a colleague who converts better."
                ),
                evidence={"passed": row.conversion.passed, "failed": row.conversion.failed},
            )
        )
    return findings
