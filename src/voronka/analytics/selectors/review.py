"""Report 9, funnel review: each pipeline against the seed's five rules and its loss qualification.

The rules (DIGEST.md, "Rules for a funnel") and how they are checked (docs/analytics.md):
1. 5–7 stages: the open stages plus the won one (the seed's examples count the final
   "handed over / rejected" as one step; loss reasons are not steps);
2. order: backward moves are rare exceptions — flagged above `BACKWARD_SHARE` of the moves
   in the period (at least `MIN_BACKWARD` of them), with the most frequent backward steps;
3. merge: a stage whose median dwell is under `QUICK_MEDIAN`, or whose items go on to the next
   stage within `TOGETHER_WITHIN` in at least `TOGETHER_SHARE` of cases (the two are "passed
   together"); and stages whose names say the same thing (analytics.names.similar);
4. no stage per action: a stage named after a call, a letter or a reminder;
5. one naming style: past-tense perfective ("done") and imperative/infinitive ("to do") names
   are not mixed (built-in names, which the admin did not choose, are left out);
and losses qualified: at least two loss reasons, and no more than 40% of the losses in
generic ones ("Lost", «Провал», "Analyse the failure").
Every finding carries its evidence and a suggestion; a pipeline that follows the rules gets none.
"""

from dataclasses import asdict, dataclass

from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.analytics import names
from voronka.analytics.filters import PipelineStages, ReportFilter, scoped_items
from voronka.analytics.selectors.time_in_stage import time_in_stage
from voronka.analytics.sql import HISTORY, fetch, in_list, item_subquery, seconds_between, timestamp
from voronka.analytics.stats import rate

MIN_STAGES, MAX_STAGES = 5, 7
BACKWARD_SHARE, MIN_BACKWARD = 0.05, 5
QUICK_MEDIAN = 3600.0  # seconds
TOGETHER_WITHIN, TOGETHER_SHARE = 3600.0, 0.8
MIN_SAMPLE = 10
GENERIC_SHARE, MIN_LOSSES = 0.40, 10


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    rule: int  # the seed's rule 1–5, or 6 for loss qualification
    severity: str
    stage_ids: list[int]
    text: str
    suggestion: str
    evidence: dict


@dataclass(frozen=True, slots=True)
class PipelineReview:
    pipeline_id: int
    pipeline: str
    kind: str
    stages: list[dict]
    findings: list[Finding]


@dataclass(frozen=True, slots=True)
class Review:
    filter: dict
    pipelines: list[PipelineReview]

    def as_dict(self) -> dict:
        return asdict(self)


def _titles(stages) -> str:
    return ", ".join(f"«{s.title}»" for s in stages)


def review(user: User | None, report: ReportFilter, *, all_pipelines: bool = True) -> Review:
    """Review every pipeline (or only the report's) against the seed's rules, over the report's period."""
    from voronka.crm.selectors.pipelines import pipelines

    chosen = list(pipelines()) if all_pipelines else [report.pipeline]
    reviews = []
    for pipeline in chosen:
        scoped = report if pipeline.pk == report.pipeline.pk else report.with_pipeline(pipeline)
        reviews.append(review_pipeline(user, scoped))
    return Review(filter=report.as_dict(), pipelines=reviews)


def review_pipeline(user: User | None, report: ReportFilter) -> PipelineReview:
    """Return the findings for the report's pipeline."""
    stages = report.stages
    findings = [
        *_stage_count(stages),
        *_backward(user, report),
        *_merge(user, report),
        *_duplicates(stages),
        *_actions(stages),
        *_style(stages),
        *_losses(user, report),
    ]
    return PipelineReview(
        pipeline_id=report.pipeline.pk,
        pipeline=report.pipeline.title,
        kind=report.kind,
        stages=[
            {
                "id": s.pk,
                "code": s.code,
                "title": s.title,
                "semantics": s.semantics,
                "style": names.style(s.name),
            }
            for s in stages.path + stages.lost
        ],
        findings=findings,
    )


def _stage_count(stages: PipelineStages) -> list[Finding]:
    count = len(stages.path)
    if MIN_STAGES <= count <= MAX_STAGES:
        return []
    few = count < MIN_STAGES
    return [
        Finding(
            code="review.too_few_stages" if few else "review.too_many_stages",
            rule=1,
            severity="warning",
            stage_ids=[s.pk for s in stages.path],
            text=_("The pipeline has %(count)s stages (%(stages)s); 5–7 usually work best.")
            % {"count": count, "stages": _titles(stages.path)},
            suggestion=str(
                _("Split a broad stage so that a step you need to measure gets its own stage.")
                if few
                else _("Merge stages that record small steps: too many stages tire the managers.")
            ),
            evidence={"stages": count, "recommended": [MIN_STAGES, MAX_STAGES]},
        )
    ]


def _backward(user: User | None, report: ReportFilter) -> list[Finding]:
    item = f"{report.kind}_id"
    items_sql, items_params = item_subquery(scoped_items(user, report))
    sql = f"""
        SELECT h.from_stage_id, h.to_stage_id, CASE WHEN h.is_backward THEN 1 ELSE 0 END, COUNT(*)
        FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND h.from_stage_id IS NOT NULL
        GROUP BY 1, 2, 3
    """
    rows = fetch(sql, [*items_params, report.pipeline.pk, timestamp(report.start), timestamp(report.end)])
    moves = sum(int(r[3]) for r in rows)
    backward = sorted((r for r in rows if r[2]), key=lambda r: -int(r[3]))
    count = sum(int(r[3]) for r in backward)
    share = rate(count, moves)
    if share is None or count < MIN_BACKWARD or share <= BACKWARD_SHARE:
        return []
    by_id = report.stages.by_id
    top = [
        {
            "from": by_id[r[0]].title if r[0] in by_id else r[0],
            "to": by_id[r[1]].title if r[1] in by_id else r[1],
            "moves": int(r[3]),
        }
        for r in backward[:3]
    ]
    steps = "; ".join(f"{t['from']} → {t['to']}: {t['moves']}" for t in top)
    return [
        Finding(
            code="review.backward_moves",
            rule=2,
            severity="warning",
            stage_ids=sorted({r[1] for r in backward[:3]}),
            text=_(
                "%(share)s of the moves went back to an earlier stage (%(count)s of %(moves)s; %(steps)s)."
            )
            % {"share": f"{share:.0%}", "count": count, "moves": moves, "steps": steps},
            suggestion=_(
                "Items should not go back: check the order of the stages, and whether a stage is "
                "used for something that happens at any time (it then belongs in an activity)."
            ),
            evidence={"moves": moves, "backward": count, "share": share, "top": top},
        )
    ]


def _transitions(user: User | None, report: ReportFilter) -> dict[tuple[int, int], tuple[int, int]]:
    """(stage, next stage) → (items that went there, of them within TOGETHER_WITHIN), entries in the period."""
    item = f"{report.kind}_id"
    items_sql, items_params = item_subquery(scoped_items(user, report))
    open_sql, open_params = in_list("e.to_stage_id", [s.pk for s in report.stages.open])
    start, end = timestamp(report.start), timestamp(report.end)
    entries = f"""
        SELECT h.{item} AS item_id, h.to_stage_id, h.pipeline_id, h.moved_at,
               LEAD(h.to_stage_id) OVER (PARTITION BY h.{item} ORDER BY h.moved_at, h.id) AS next_stage,
               LEAD(h.moved_at) OVER (PARTITION BY h.{item} ORDER BY h.moved_at, h.id) AS next_at
        FROM {HISTORY} h
        WHERE h.moved_at >= %s AND h.{item} IN (
            SELECT c.{item} FROM {HISTORY} c WHERE c.pipeline_id = %s AND c.moved_at >= %s AND c.moved_at < %s
        )
    """
    sql = f"""
        SELECT e.to_stage_id, e.next_stage, COUNT(*),
               SUM(CASE WHEN {seconds_between("e.moved_at", "e.next_at")} <= {TOGETHER_WITHIN} THEN 1 ELSE 0 END)
        FROM ({entries}) e JOIN ({items_sql}) i ON i.id = e.item_id
        WHERE e.pipeline_id = %s AND e.moved_at < %s AND {open_sql} AND e.next_stage IS NOT NULL
        GROUP BY 1, 2
    """
    params = [start, report.pipeline.pk, start, end, *items_params, report.pipeline.pk, end, *open_params]
    return {(r[0], r[1]): (int(r[2]), int(r[3] or 0)) for r in fetch(sql, params)}


def _merge(user: User | None, report: ReportFilter) -> list[Finding]:
    stages = report.stages
    dwell = {s.stage_id: s.dwell for s in time_in_stage(user, report).stages}
    moves = _transitions(user, report)
    findings = []
    opens = stages.open
    for index, stage in enumerate(opens):
        following = stages.path[index + 1] if index + 1 < len(stages.path) else None
        if following is None or following.semantics != "open":
            continue
        spread = dwell.get(stage.pk)
        left = sum(n for (a, _b), (n, _q) in moves.items() if a == stage.pk)
        together = moves.get((stage.pk, following.pk), (0, 0))[1]
        quick = spread is not None and spread.n >= MIN_SAMPLE and (spread.median or 0) < QUICK_MEDIAN
        paired = left >= MIN_SAMPLE and together / left >= TOGETHER_SHARE
        if not (quick or paired):
            continue
        minutes = round((spread.median or 0) / 60) if spread and spread.n else "—"
        findings.append(
            Finding(
                code="review.merge_stages",
                rule=3,
                severity="warning",
                stage_ids=[stage.pk, following.pk],
                text=_(
                    "«%(a)s» and «%(b)s» are passed almost together: median time in «%(a)s» %(minutes)s min; "
                    "%(together)s of %(left)s items went on to «%(b)s» within an hour."
                )
                % {
                    "a": stage.title,
                    "b": following.title,
                    "minutes": minutes,
                    "together": together,
                    "left": left,
                },
                suggestion=_("Merge the two stages into one: the step between them tells nothing."),
                evidence={
                    "median_seconds": spread.median if spread else None,
                    "entries": spread.n if spread else 0,
                    "left": left,
                    "within_an_hour": together,
                },
            )
        )
    return findings


def _duplicates(stages: PipelineStages) -> list[Finding]:
    findings = []
    for group in (stages.path, stages.lost):
        for i, a in enumerate(group):
            for b in group[i + 1 :]:
                if names.similar(a.title, b.title) or names.similar(a.name, b.name):
                    findings.append(
                        Finding(
                            code="review.duplicate_stages",
                            rule=3,
                            severity="warning",
                            stage_ids=[a.pk, b.pk],
                            text=_("«%(a)s» and «%(b)s» say the same thing.") % {"a": a.title, "b": b.title},
                            suggestion=_("Keep one of them: duplicate stages split the same items in two."),
                            evidence={"names": [a.title, b.title]},
                        )
                    )
    return findings


def _actions(stages: PipelineStages) -> list[Finding]:
    found = [s for s in stages.open if names.is_action(s.name) or names.is_action(s.title)]
    if not found:
        return []
    return [
        Finding(
            code="review.action_stages",
            rule=4,
            severity="warning",
            stage_ids=[s.pk for s in found],
            text=_("%(stages)s record single actions, not steps of the sale.") % {"stages": _titles(found)},
            suggestion=_(
                "Calls, letters and reminders are activities: plan them on the item and keep one stage "
                "such as «In progress» for the whole step."
            ),
            evidence={"stages": [s.title for s in found]},
        )
    ]


def _style(stages: PipelineStages) -> list[Finding]:
    styled = {"done": [], "todo": []}
    for stage in stages.path:
        if stage.is_system_name:
            continue
        kind = names.style(stage.name)
        if kind:
            styled[kind].append(stage)
    if not (styled["done"] and styled["todo"]):
        return []
    return [
        Finding(
            code="review.mixed_naming",
            rule=5,
            severity="info",
            stage_ids=[s.pk for s in styled["done"] + styled["todo"]],
            text=_("Names mix two styles: what has been done (%(done)s) and what to do (%(todo)s).")
            % {"done": _titles(styled["done"]), "todo": _titles(styled["todo"])},
            suggestion=_(
                "Pick one style for the whole pipeline: «Proposal sent», «Contract agreed»… or «Send a "
                "proposal», «Agree the contract»…"
            ),
            evidence={"done": [s.title for s in styled["done"]], "todo": [s.title for s in styled["todo"]]},
        )
    ]


def _losses(user: User | None, report: ReportFilter) -> list[Finding]:
    stages = report.stages
    findings = []
    if len(stages.lost) < 2:
        findings.append(
            Finding(
                code="review.too_few_loss_reasons",
                rule=6,
                severity="warning",
                stage_ids=[s.pk for s in stages.lost],
                text=_("The pipeline has %(count)s loss stage(s): losses cannot be told apart.")
                % {"count": len(stages.lost)},
                suggestion=_(
                    "Add a lost stage per reason (price did not fit, timing, chose a competitor…) so "
                    "that the losses can be analysed."
                ),
                evidence={"loss_stages": [s.title for s in stages.lost]},
            )
        )
    generic = [s for s in stages.lost if names.is_generic_loss(s.name) or names.is_generic_loss(s.title)]
    if not generic or len(stages.lost) < 2:
        return findings
    counts = _loss_counts(user, report)
    total = sum(counts.values())
    in_generic = sum(counts.get(s.pk, 0) for s in generic)
    share = rate(in_generic, total)
    all_generic = len(generic) == len(stages.lost)
    if all_generic or (total >= MIN_LOSSES and share is not None and share > GENERIC_SHARE):
        findings.append(
            Finding(
                code="review.generic_losses",
                rule=6,
                severity="warning",
                stage_ids=[s.pk for s in generic],
                text=_(
                    "%(stages)s say nothing about why; they hold %(count)s of %(total)s losses in the period."
                )
                % {"stages": _titles(generic), "count": in_generic, "total": total},
                suggestion=str(names.LOSS_SUGGESTIONS["generic"]),
                evidence={"losses": total, "in_generic": in_generic, "share": share},
            )
        )
    return findings


def _loss_counts(user: User | None, report: ReportFilter) -> dict[int, int]:
    item = f"{report.kind}_id"
    items_sql, items_params = item_subquery(scoped_items(user, report))
    lost_sql, lost_params = in_list("h.to_stage_id", [s.pk for s in report.stages.lost])
    sql = f"""
        SELECT h.to_stage_id, COUNT(*) FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND {lost_sql} GROUP BY 1
    """
    params = [*items_params, report.pipeline.pk, timestamp(report.start), timestamp(report.end), *lost_params]
    return {r[0]: int(r[1]) for r in fetch(sql, params)}
