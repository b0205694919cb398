"""Report 1, the funnel: how many items of a cohort reached each stage, and where they dropped off.

Definitions (docs/analytics.md, "Funnel"):
- cohort "created": items whose entry into the pipeline (creation, or a move in from another
  pipeline) falls in the period; their progress counts up to now;
- cohort "activity": items with any stage entry in the pipeline in the period; their progress
  counts up to the end of the period (history before the period included);
- an item reached a stage when its furthest entry on the path (open stages in order, then won)
  is that stage or a later one: skipping a stage passes it; lost stages are exits, not steps;
- conversion from the previous stage = reached(stage) / reached(previous); overall = reached / cohort;
- dropped = reached(stage) − reached(next); of those, lost here = the item's last entry is into a
  lost stage, open here = still open (or moved to another pipeline);
- won = reached a won stage; won amount = the items' current amounts.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from voronka.accounts.models import User
from voronka.analytics.filters import ReportFilter
from voronka.analytics.selectors.reach import COHORTS, Cohort, reach_groups, stage_reach
from voronka.analytics.stats import rate
from voronka.lib.errors import Invalid


@dataclass(frozen=True, slots=True)
class FunnelStage:
    stage_id: int
    code: str
    title: str
    semantics: str
    color: str
    reached: int
    amount: Decimal
    conversion_from_previous: float | None
    conversion_overall: float | None
    dropped: int
    lost_here: int
    open_here: int


@dataclass(frozen=True, slots=True)
class Funnel:
    filter: dict
    cohort: str
    items: int
    stages: list[FunnelStage]
    won: int
    won_amount: Decimal
    lost: int
    lost_without_entering: int  # created straight into a lost stage: in the cohort, on no step
    conversion: float | None  # won / items

    def as_dict(self) -> dict:
        return asdict(self)


def funnel(user: User | None, report: ReportFilter, *, cohort: Cohort = "created") -> Funnel:
    """Return the funnel of the report's pipeline for the cohort of the period."""
    if cohort not in COHORTS:
        raise Invalid(
            "analytics.bad_cohort", "cohort must be created or activity", details={"cohort": cohort}
        )
    groups = reach_groups(
        user,
        report,
        cohort=cohort,
        start=report.start,
        end=report.end,
        cutoff=None if cohort == "created" else report.end,
    )
    total = sum(g.items for g in groups)
    path = report.stages.path
    rows: list[FunnelStage] = []
    previous_reached: int | None = None
    won_rank = report.stages.won_rank
    for rank, stage in enumerate(path, start=1):
        here = stage_reach(groups, rank)
        next_reached = stage_reach(groups, rank + 1).reached if rank < len(path) else here.reached
        is_won = won_rank is not None and rank >= won_rank
        rows.append(
            FunnelStage(
                stage_id=stage.pk,
                code=stage.code,
                title=stage.title,
                semantics=stage.semantics,
                color=stage.color,
                reached=here.reached,
                amount=here.amount,
                conversion_from_previous=(
                    rate(here.reached, previous_reached) if previous_reached is not None else None
                ),
                conversion_overall=rate(here.reached, total),
                dropped=0 if is_won else here.reached - next_reached,
                lost_here=0 if is_won else here.lost_here,
                open_here=0 if is_won else here.open_here,
            )
        )
        previous_reached = here.reached
    won = stage_reach(groups, won_rank) if won_rank is not None else None
    return Funnel(
        filter=report.as_dict(),
        cohort=cohort,
        items=total,
        stages=rows,
        won=won.reached if won else 0,
        won_amount=won.amount if won else Decimal("0.00"),
        lost=sum(g.items for g in groups if g.ended_lost and (won_rank is None or g.reached < won_rank)),
        lost_without_entering=sum(g.items for g in groups if g.reached == 0),
        conversion=rate(won.reached, total) if won else None,
    )
