"""The engine's robot half: an item enters a stage → one run per robot → each run executes once.

Rules enforced here:
- entering a stage (creation counts) makes one RobotRun per active robot of the stage, unique per
  (item, stage entry, robot), due at the robot's timing; entering again is a new entry and runs
  again; entering any stage cancels the waiting runs of the item's earlier entries;
- a run executes only while its entry is the item's current one, and only if its condition
  holds then (skipped otherwise, with the evaluation in the log);
- a run is claimed under a row lock with `status = pending`: a retried task, a second worker or
  a task queued twice finds it taken and does nothing. A robot that writes only to the database
  runs inside the claim's transaction (a crash rolls both back: exactly once); a robot that calls
  out (a webhook) runs after its claim commits and is never repeated (at most once);
- robots of one entry run in their order; every outcome is on the item's timeline.
"""

import datetime as dt
import logging
from collections.abc import Iterable

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from voronka.accounts.services import system_user
from voronka.automation import robots
from voronka.automation.calendar import add_working_minutes, working_hours
from voronka.automation.conditions import evaluate, field_value
from voronka.automation.models import Robot, RobotRun
from voronka.crm.models import Deal, Lead, StageHistory
from voronka.crm.services import timeline
from voronka.lib import clock
from voronka.lib.errors import DomainError

logger = logging.getLogger(__name__)

ITEM_MODELS = {"lead": Lead, "deal": Deal}
Status = RobotRun.Status
RELEASE_BATCH = 500


def due_at(robot: Robot, item, entered: dt.datetime) -> dt.datetime:
    """Return when `robot` runs for `item` that entered its stage at `entered`."""
    minutes = robot.delay * {"minutes": 1, "hours": 60, "days": 24 * 60}[robot.delay_unit]
    if robot.timing == Robot.Timing.DATE_FIELD:
        base = field_value(item, robot.date_field)
        if isinstance(base, str):
            base = _parse_moment(base)
        if base is None:
            return entered
        if not isinstance(base, dt.datetime):
            base = timezone.make_aware(dt.datetime.combine(base, working_hours().start))
        return max(entered, base + dt.timedelta(minutes=minutes))
    if robot.timing == Robot.Timing.AT_ONCE:
        minutes = 0
    if robot.in_working_hours:
        if robot.delay_unit == "days":
            minutes = robot.delay * working_hours().day_minutes
        return add_working_minutes(entered, minutes)
    return entered + dt.timedelta(minutes=minutes)


def _parse_moment(text: str) -> dt.datetime | dt.date | None:
    from django.utils.dateparse import parse_date, parse_datetime

    try:
        moment = parse_datetime(text)
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment)
        return parse_date(text)
    except ValueError:
        return None


def load_item(kind: str, item_id: int):
    model = ITEM_MODELS.get(kind)
    if model is None:
        return None
    related = ["source", "assigned_to", "status" if kind == "lead" else "stage"]
    return model.objects.select_related(*related).filter(pk=item_id).first()


def current_entry_id(kind: str, item_id: int) -> int | None:
    return StageHistory.objects.filter(**{kind: item_id}).order_by("-pk").values_list("pk", flat=True).first()


def stages_with_robots(stage_ids: set[int]) -> set[int]:
    """Return those of `stage_ids` that have an active robot (one query)."""
    if not stage_ids:
        return set()
    return set(
        Robot.objects.filter(stage_id__in=sorted(stage_ids), is_active=True)
        .order_by()
        .values_list("stage_id", flat=True)
        .distinct()
    )


def enter_stage(
    *, kind: str, item_id: int, entry_id: int, stage_id: int, is_creation: bool = False
) -> list[tuple[dt.datetime, bool]]:
    """Record the runs of the robots of the stage an item has entered; return their due times.

    Each pair is (due time, whether a task is queued for that time now).
    """
    now = clock.now()
    with transaction.atomic():
        if not is_creation:  # a new item has no earlier entries to cancel
            cancel_pending(
                kind=kind, item_id=item_id, except_entry=entry_id, note=gettext("The item left the stage.")
            )
        stage_robots = list(Robot.objects.filter(stage_id=stage_id, is_active=True).order_by("sort", "pk"))
        if not stage_robots:
            return []
        item = load_item(kind, item_id)
        if item is None:
            return []
        from voronka.automation.tasks import run_robots

        defer = run_robots.get_backend().supports_defer
        runs = []
        for robot in stage_robots:
            due = due_at(robot, item, now)
            immediate = due <= now
            runs.append(
                RobotRun(
                    item_kind=kind,
                    item_id=item_id,
                    entry_id=entry_id,
                    robot=robot,
                    robot_name=str(robot)[:200],
                    stage_id=stage_id,
                    sort=robot.sort,
                    scheduled_for=due,
                    # When its task is due to run (None: no task yet; housekeeping queues it when due).
                    enqueued_at=now if immediate else (due if defer else None),
                    created_at=now,
                )
            )
        RobotRun.objects.bulk_create(runs, ignore_conflicts=True)
    return sorted({(run.scheduled_for, run.enqueued_at is not None) for run in runs})


def cancel_pending(*, kind: str, item_id: int, except_entry: int | None, note: str) -> int:
    """Cancel the waiting runs of an item (but those of `except_entry`); return how many."""
    pending = RobotRun.objects.filter(item_kind=kind, item_id=item_id, status=Status.PENDING)
    if except_entry is not None:
        pending = pending.exclude(entry_id=except_entry)
    return pending.update(status=Status.CANCELLED, finished_at=clock.now(), result=note)


def run_due(*, kind: str, item_id: int, entry_id: int) -> list[RobotRun]:
    """Execute the due waiting runs of one stage entry, in the robots' order."""
    done = []
    while True:
        ids = list(
            RobotRun.objects.filter(
                item_kind=kind,
                item_id=item_id,
                entry_id=entry_id,
                status=Status.PENDING,
                scheduled_for__lte=clock.now(),
            )
            .order_by("scheduled_for", "sort", "pk")
            .values_list("pk", flat=True)[:1]
        )
        if not ids:
            return done
        run = execute(ids[0])
        if run is None:
            # Taken by another worker between the read and the claim: it goes on from here.
            return done
        done.append(run)


def execute(run_id: int) -> RobotRun | None:
    """Claim and execute one due run; return it, or None if it was not (or no longer) waiting."""
    external = None
    with transaction.atomic():
        run = (
            RobotRun.objects.select_for_update()
            .filter(pk=run_id, status=Status.PENDING, scheduled_for__lte=clock.now())
            .first()
        )
        if run is None:
            return None
        run.started_at = clock.now()
        robot = Robot.objects.filter(pk=run.robot_id).first()
        item = load_item(run.item_kind, run.item_id)
        problem = _stale(run, robot, item)
        if problem:
            return _finish(run, Status.CANCELLED, item=None, result=problem)
        outcome = evaluate(robot.condition, item)
        if not outcome.holds:
            return _finish(
                run,
                Status.SKIPPED,
                item=item,
                result=gettext("Condition not met: %(why)s") % {"why": outcome.explain()},
            )
        try:
            kind = robots.get(robot.kind)
            context = robots.Context(
                item=item, robot=robot, run=run, actor=system_user(), params=robot.params
            )
        except DomainError as error:
            return _finish(run, Status.FAILED, item=item, error=str(error.message))
        if kind.external:
            run.status = Status.RUNNING
            run.save(update_fields=["status", "started_at"])
            external = (kind, context)
        else:
            return _act(run, kind, context, item)
    return _act_outside(run, *external)


def _stale(run: RobotRun, robot: Robot | None, item) -> str:
    if item is None:
        return gettext("The item was deleted.")
    if robot is None or not robot.is_active:
        return gettext("The robot was deleted or switched off.")
    if current_entry_id(run.item_kind, run.item_id) != run.entry_id:
        return gettext("The item left the stage.")
    return ""


def _act(run: RobotRun, kind: robots.RobotKind, context: robots.Context, item) -> RobotRun:
    try:
        # A savepoint: a failed robot leaves nothing half-done, and the failure is still logged.
        with transaction.atomic():
            result = kind.run(context)
    except DomainError as error:
        return _finish(run, Status.FAILED, item=item, error=str(error.message))
    except (OperationalError, InterfaceError):
        # The database is unavailable or locked: the claim rolls back with it and housekeeping
        # queues the run again after the lease. Other errors (an integrity error too) fail the run.
        raise
    except Exception as error:
        # A bug in one robot must not stall the entry's other robots forever: log it as failed.
        logger.exception("robot run %s failed", run.pk)
        return _finish(run, Status.FAILED, item=item, error=f"{type(error).__name__}: {error}")
    return _finish(run, Status.DONE, item=item, result=result)


def _act_outside(run: RobotRun, kind: robots.RobotKind, context: robots.Context) -> RobotRun:
    try:
        result = kind.run(context)
    except DomainError as error:
        status, result, error_text = Status.FAILED, "", str(error.message)
    except Exception as error:
        logger.exception("robot run %s failed", run.pk)
        status, result, error_text = Status.FAILED, "", f"{type(error).__name__}: {error}"
    else:
        status, error_text = Status.DONE, ""
    with transaction.atomic():
        updated = RobotRun.objects.filter(pk=run.pk, status=Status.RUNNING).update(
            status=status, result=result, error=error_text, finished_at=clock.now()
        )
        run.refresh_from_db()
        if updated:
            _log(run, context.item)
    return run


def _finish(run: RobotRun, status: str, *, item, result: str = "", error: str = "") -> RobotRun:
    run.status = status
    run.result = str(result)[:5000]
    run.error = str(error)[:5000]
    run.finished_at = clock.now()
    run.save(update_fields=["status", "result", "error", "started_at", "finished_at"])
    if item is not None:
        _log(run, item)
    return run


def _log(run: RobotRun, item) -> None:
    timeline.record(
        item,
        kind=timeline.Kind.ROBOT,
        actor=None,
        text=run.result or run.error,
        data={
            "robot_id": run.robot_id,
            "robot": run.robot_name,
            "run_id": run.pk,
            "status": run.status,
        },
    )


def queue_due(pairs: Iterable[tuple[str, int, int]]) -> int:
    """Queue a task for each (kind, item id, entry id); return how many."""
    from voronka.automation.tasks import run_robots

    count = 0
    for kind, item_id, entry_id in pairs:
        run_robots.enqueue(kind=kind, item_id=item_id, entry_id=entry_id)
        count += 1
    return count


def release_due_runs() -> int:
    """Queue the due waiting runs whose task is missing (housekeeping): delayed runs when the
    task backend cannot defer or the clock jumped, and runs of a worker that was killed."""
    now = clock.now()
    lease = dt.timedelta(seconds=settings.AUTOMATION_RUN_LEASE)
    _fail_stuck_external(now - lease)
    due = (
        RobotRun.objects.filter(status=Status.PENDING, scheduled_for__lte=now)
        .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lte=now - lease))
        .order_by("scheduled_for", "pk")
    )
    entries = list(dict.fromkeys(due.values_list("item_kind", "item_id", "entry_id")[:RELEASE_BATCH]))
    if not entries:
        return 0
    with transaction.atomic():
        for kind, item_id, entry_id in entries:
            RobotRun.objects.filter(
                item_kind=kind,
                item_id=item_id,
                entry_id=entry_id,
                status=Status.PENDING,
                scheduled_for__lte=now,
            ).update(enqueued_at=now)
    return queue_due(entries)


def _fail_stuck_external(before: dt.datetime) -> int:
    stuck = RobotRun.objects.filter(status=Status.RUNNING, started_at__lt=before)
    return stuck.update(
        status=Status.FAILED,
        finished_at=clock.now(),
        error=gettext("The worker stopped during the call; it is not repeated (at most once)."),
    )
