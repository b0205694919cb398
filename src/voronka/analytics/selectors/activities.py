"""Report 5, activities per result: calls, meetings, e-mails and tasks per won item, per stage, per manager.

Definitions (docs/analytics.md, "Activities per result"):
- only done activities count (`is_done`, at `done_at`), on the pipeline's items (the item the
  activity belongs to; a converted lead's done activities stay with the lead);
- per won item: the items won in the period (an entry into a won stage of the pipeline in
  the period, first one per item) and the activities done on them up to that win, per kind,
  divided by the number of those items;
- per stage: activities done in the period, put in the stage the item was in when it was done
  (its last entry at or before done_at), per kind, with the items that entered the stage in the
  period for scale;
- per manager: activities done in the period by their responsible, per kind, and the items the
  manager won in the period (the item's responsible), with activities per won item.
Without the activities app's Activity model the report says it is not available.
"""

from dataclasses import asdict, dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from voronka.accounts.models import User
from voronka.analytics.activity_source import KINDS, activity_model
from voronka.analytics.filters import ReportFilter, scoped_items
from voronka.analytics.sql import HISTORY, fetch, in_list, item_subquery, timestamp
from voronka.analytics.stats import rate
from voronka.analytics.tables import COUNT, NUMBER, Column, Table


@dataclass(frozen=True, slots=True)
class KindCounts:
    key: int | None
    label: str
    items: int  # won items (per won, per manager) or items that entered the stage (per stage)
    counts: dict[str, int]
    per_item: dict[str, float | None]


@dataclass(frozen=True, slots=True)
class Activities:
    filter: dict
    available: bool
    kinds: list[str]
    won_items: int
    per_won: dict[str, float | None]
    won_counts: dict[str, int]
    by_stage: list[KindCounts] = field(default_factory=list)
    by_manager: list[KindCounts] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


def _counts(rows, key_index: int = 0) -> dict:
    found: dict = {}
    for row in rows:
        found.setdefault(row[key_index], dict.fromkeys(KINDS, 0))[row[key_index + 1]] = int(
            row[key_index + 2]
        )
    return found


def activities(user: User | None, report: ReportFilter) -> Activities:
    """Return the done activities per won item, per stage and per manager for the period."""
    model = activity_model()
    if model is None:
        return Activities(report.as_dict(), False, list(KINDS), 0, {}, {})
    table = model._meta.db_table
    item = f"{report.kind}_id"
    items_sql, items_params = item_subquery(scoped_items(user, report), "assigned_to_id")
    won_sql, won_params = in_list("h.to_stage_id", [s.pk for s in report.stages.won])
    start, end = timestamp(report.start), timestamp(report.end)
    won = f"""
        SELECT h.{item} AS item_id, MIN(h.moved_at) AS won_at FROM {HISTORY} h
        WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s AND {won_sql} GROUP BY h.{item}
    """
    won_params_all = [report.pipeline.pk, start, end, *won_params]
    won_items = fetch(
        f"SELECT i.assigned_to_id, COUNT(*) FROM ({won}) w JOIN ({items_sql}) i ON i.id = w.item_id GROUP BY 1",
        [*won_params_all, *items_params],
    )
    per_manager_won = {r[0]: int(r[1]) for r in won_items}
    total_won = sum(per_manager_won.values())
    won_activity = fetch(
        f"""SELECT a.kind, COUNT(*) FROM {table} a JOIN ({won}) w ON w.item_id = a.{item}
            JOIN ({items_sql}) i ON i.id = w.item_id
            WHERE a.is_done = %s AND a.done_at <= w.won_at GROUP BY 1""",
        [*won_params_all, *items_params, True],
    )
    won_counts = dict.fromkeys(KINDS, 0) | {k: int(c) for k, c in won_activity}
    stage_at = f"""(SELECT h.to_stage_id FROM {HISTORY} h WHERE h.{item} = a.{item} AND h.moved_at <= a.done_at
                    ORDER BY h.moved_at DESC, h.id DESC LIMIT 1)"""
    done_in_period = "a.is_done = %s AND a.done_at >= %s AND a.done_at < %s"
    pipeline_items = f"(SELECT DISTINCT c.{item} FROM {HISTORY} c WHERE c.pipeline_id = %s)"
    by_stage_rows = fetch(
        f"""SELECT {stage_at}, a.kind, COUNT(*) FROM {table} a JOIN ({items_sql}) i ON i.id = a.{item}
            WHERE {done_in_period} AND a.{item} IN {pipeline_items} GROUP BY 1, 2""",
        [*items_params, True, start, end, report.pipeline.pk],
    )
    entered = fetch(
        f"""SELECT h.to_stage_id, COUNT(DISTINCT h.{item}) FROM {HISTORY} h JOIN ({items_sql}) i ON i.id = h.{item}
            WHERE h.pipeline_id = %s AND h.moved_at >= %s AND h.moved_at < %s GROUP BY 1""",
        [*items_params, report.pipeline.pk, start, end],
    )
    entered_by_stage = {r[0]: int(r[1]) for r in entered}
    by_manager_rows = fetch(
        f"""SELECT a.assigned_to_id, a.kind, COUNT(*) FROM {table} a JOIN ({items_sql}) i ON i.id = a.{item}
            WHERE {done_in_period} AND a.{item} IN {pipeline_items} GROUP BY 1, 2""",
        [*items_params, True, start, end, report.pipeline.pk],
    )
    stage_counts = _counts(by_stage_rows)
    by_stage = [
        _row(stage.pk, stage.title, entered_by_stage.get(stage.pk, 0), stage_counts.get(stage.pk))
        for stage in report.stages.path + report.stages.lost
        if stage.pk in stage_counts or stage in report.stages.open
    ]
    manager_counts = _counts(by_manager_rows)
    people = set(manager_counts) | set(per_manager_won)
    names = {u.pk: u.display_name for u in User.objects.filter(pk__in=[p for p in people if p])}
    by_manager = sorted(
        (_row(p, names.get(p, "—"), per_manager_won.get(p, 0), manager_counts.get(p)) for p in people),
        key=lambda r: r.label,
    )
    return Activities(
        filter=report.as_dict(),
        available=True,
        kinds=list(KINDS),
        won_items=total_won,
        per_won={k: rate(won_counts[k], total_won) for k in KINDS},
        won_counts=won_counts,
        by_stage=by_stage,
        by_manager=by_manager,
    )


def _row(key, label: str, items: int, counts: dict | None) -> KindCounts:
    counts = counts or dict.fromkeys(KINDS, 0)
    return KindCounts(key, label, items, counts, {k: rate(counts[k], items) for k in KINDS})


def activity_tables(report: Activities) -> list[Table]:
    """The report as tables (analytics.tables)."""
    if not report.available:
        table = Table(_("Activities per result"), [Column("")])
        table.notes.append(_("Activities are not available."))
        return [table]
    kind_labels = {
        "call": _("calls"),
        "meeting": _("meetings"),
        "email": _("e-mails"),
        "sms": _("SMS"),
        "task": _("tasks"),
    }
    per_won = Table(
        _("Per won item (%(count)s won)") % {"count": report.won_items},
        [
            Column(pgettext("report column", "activity")),
            Column(_("done"), COUNT),
            Column(_("per won item"), NUMBER),
        ],
    )
    for kind in report.kinds:
        per_won.rows.append([kind_labels[kind], report.won_counts[kind], report.per_won[kind]])
    tables = [per_won]
    for title, rows, scale in (
        (_("Per stage (done while in the stage)"), report.by_stage, _("entered")),
        (_("Per manager"), report.by_manager, _("won")),
    ):
        table = Table(
            title,
            [
                Column(""),
                Column(scale, COUNT),
                *[Column(kind_labels[k], COUNT) for k in report.kinds],
                *[
                    Column(_("%(kind)s per item") % {"kind": kind_labels[k]}, NUMBER)
                    for k in ("call", "meeting")
                ],
            ],
        )
        for row in rows:
            table.rows.append(
                [
                    row.label,
                    row.items,
                    *[row.counts[k] for k in report.kinds],
                    row.per_item["call"],
                    row.per_item["meeting"],
                ]
            )
        tables.append(table)
    return tables
