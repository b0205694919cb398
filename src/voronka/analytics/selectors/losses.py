"""Report 4, losses: which loss reasons (lost stages), where, whose, from which source, and when.

Definitions (docs/analytics.md, "Losses"):
- a loss is an entry into a lost stage of the pipeline made in the period (an item lost,
  re-opened and lost again counts twice);
- "lost at" is the stage the item was in when it was lost (the entry's from_stage);
- "manager" is the responsible recorded on that history row (responsible at the time);
- "source" is the item's source; months are calendar months in the company's time zone;
- a reason with more than 40% of the losses (and at least `MIN_LOSSES` losses in all) is
  flagged with the seed's suggestion for that kind of reason.
"""

from dataclasses import asdict, dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.analytics import names
from voronka.analytics.filters import ReportFilter, local_midnight, month_starts, scoped_items
from voronka.analytics.selectors.reach import money
from voronka.analytics.sql import HISTORY, bucket_case, fetch, in_list, item_subquery, timestamp
from voronka.analytics.stats import rate

DOMINANT_SHARE = 0.40
MIN_LOSSES = 10


@dataclass(frozen=True, slots=True)
class Reason:
    stage_id: int
    code: str
    title: str
    losses: int
    share: float | None
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Breakdown:
    """Losses per (key, reason): key is a stage, a manager, a source or a month."""

    key: int | str | None
    label: str
    losses: int
    by_reason: dict[int, int]  # reason stage id → losses


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: str
    text: str
    suggestion: str
    evidence: dict


@dataclass(frozen=True, slots=True)
class Losses:
    filter: dict
    total: int
    amount: Decimal
    reasons: list[Reason]
    by_stage: list[Breakdown]
    by_manager: list[Breakdown]
    by_source: list[Breakdown]
    by_month: list[Breakdown]
    findings: list[Finding]

    def as_dict(self) -> dict:
        return asdict(self)


def _grouped(
    user: User | None, report: ReportFilter, key_sql: str, key_params: list, extra: str = ""
) -> list:
    item = f"{report.kind}_id"
    lost_sql, lost_params = in_list("h.to_stage_id", [s.pk for s in report.stages.lost])
    items_sql, items_params = item_subquery(scoped_items(user, report), "amount", "source_id")
    sql = f"""
        SELECT {key_sql} AS k, h.to_stage_id, COUNT(*), SUM(i.amount)
        FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND {lost_sql} {extra}
        GROUP BY 1, 2
    """
    params = [
        *key_params,
        *items_params,
        report.pipeline.pk,
        timestamp(report.start),
        timestamp(report.end),
        *lost_params,
    ]
    return fetch(sql, params)


def _breakdown(rows, labels: dict) -> list[Breakdown]:
    keys: dict = {}
    for key, reason, count, _amount in rows:
        keys.setdefault(key, {})[reason] = int(count)
    result = [
        Breakdown(key=key, label=labels.get(key, "—"), losses=sum(counts.values()), by_reason=counts)
        for key, counts in keys.items()
    ]
    return sorted(result, key=lambda b: (-b.losses, str(b.label)))


def losses(user: User | None, report: ReportFilter) -> Losses:
    """Return the loss reasons of the period with their breakdowns and the flagged dominant reason."""
    from voronka.accounts.models import User as UserModel
    from voronka.crm.models import Source

    stages = report.stages
    reason_rows = _grouped(user, report, "0", [])
    totals = {reason: (int(count), money(amount)) for _k, reason, count, amount in reason_rows}
    total = sum(count for count, _a in totals.values())
    reasons = sorted(
        (
            Reason(
                stage_id=stage.pk,
                code=stage.code,
                title=stage.title,
                losses=totals.get(stage.pk, (0, 0))[0],
                share=rate(totals.get(stage.pk, (0, 0))[0], total),
                amount=totals.get(stage.pk, (0, Decimal("0.00")))[1],
            )
            for stage in stages.lost
        ),
        key=lambda r: -r.losses,
    )
    stage_labels = {s.pk: s.title for s in stages.path + stages.lost}
    by_stage = _breakdown(_grouped(user, report, "h.from_stage_id", []), stage_labels)
    manager_rows = _grouped(user, report, "h.assigned_to_id", [])
    managers = {
        u.pk: u.display_name for u in UserModel.objects.filter(pk__in={r[0] for r in manager_rows if r[0]})
    }
    by_manager = _breakdown(manager_rows, managers)
    source_rows = _grouped(user, report, "i.source_id", [])
    sources = {s.pk: s.title for s in Source.objects.filter(pk__in={r[0] for r in source_rows if r[0]})}
    by_source = _breakdown(source_rows, sources)
    months = month_starts(report.start, report.end)
    bounds = [max(report.start, local_midnight(m)) for m in months] + [report.end]
    month_sql, month_params = bucket_case("h.moved_at", bounds)
    month_rows = _grouped(user, report, month_sql, month_params)
    month_labels = {index: m.strftime("%Y-%m") for index, m in enumerate(months)}
    by_month = sorted(_breakdown(month_rows, month_labels), key=lambda b: b.key)
    present = {b.key for b in by_month}
    by_month += [
        Breakdown(key=i, label=month_labels[i], losses=0, by_reason={})
        for i in month_labels
        if i not in present
    ]
    by_month.sort(key=lambda b: b.key)
    return Losses(
        filter=report.as_dict(),
        total=total,
        amount=sum((r.amount for r in reasons), Decimal("0.00")),
        reasons=reasons,
        by_stage=by_stage,
        by_manager=by_manager,
        by_source=by_source,
        by_month=by_month,
        findings=_findings(reasons, total),
    )


def _findings(reasons: list[Reason], total: int) -> list[Finding]:
    findings = []
    if total < MIN_LOSSES:
        return findings
    for reason in reasons:
        if reason.share is None or reason.share <= DOMINANT_SHARE:
            continue
        kind = names.loss_kind(reason.title, reason.code)
        findings.append(
            Finding(
                code=f"losses.dominant_{kind}",
                severity="warning",
                text=_("“%(reason)s” accounts for %(share)s of losses (%(count)s of %(total)s).")
                % {
                    "reason": reason.title,
                    "share": f"{reason.share:.0%}",
                    "count": reason.losses,
                    "total": total,
                },
                suggestion=str(names.LOSS_SUGGESTIONS[kind]),
                evidence={
                    "stage_id": reason.stage_id,
                    "losses": reason.losses,
                    "total": total,
                    "share": reason.share,
                },
            )
        )
    return findings
