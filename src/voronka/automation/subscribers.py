"""Hearing the events of the lower apps (registered in AutomationConfig.ready()).

A stage entry records its robots' runs (a few inserts) and queues one task per due time; every
other event queues a trigger task only when an active trigger of its kind exists. The work
itself happens in tasks.
"""

import logging

from voronka.activities.events import ActivityCompleted
from voronka.automation.models import Trigger
from voronka.automation.services import runs
from voronka.automation.tasks import apply_trigger_event, run_robots
from voronka.crm.events import ItemUpdated, StageChanged
from voronka.intake.events import CallReceived, ChatReceived, FormSubmitted, MailReceived
from voronka.lib import bus, clock
from voronka.messaging.events import MessageClicked, MessageOpened

Kind = Trigger.Kind
logger = logging.getLogger(__name__)


@bus.subscribe(StageChanged, batch=True)
def schedule_stage_robots(events: list[StageChanged]) -> None:
    """Record the runs of the robots of the stages items have just entered, and queue them.

    The stages with active robots are known once per commit (kept per process while the
    configuration stays): a new item entering a stage without robots (most imported items)
    needs nothing more.
    """
    with_robots = runs.stages_with_robots()  # (kept per process while the configuration stays)
    for event in events:
        if event.from_stage_id is None and event.to_stage_id not in with_robots:
            continue  # a new item: no earlier runs to cancel, and no robot to run
        try:
            _schedule(event)
        except Exception:  # as robust on_commit per event: one failure must not skip the rest
            logger.exception("Scheduling the robots of %s failed.", event)


def _schedule(event: StageChanged) -> None:
    due_times = runs.enter_stage(
        kind=event.kind,
        item_id=event.item_id,
        entry_id=event.entry_id,
        stage_id=event.to_stage_id,
        is_creation=event.from_stage_id is None,
    )
    now = clock.now()
    arguments = {"kind": event.kind, "item_id": event.item_id, "entry_id": event.entry_id}
    queued_now = False
    for due, has_task in due_times:
        if not has_task:
            continue  # the backend cannot defer: housekeeping queues it when due
        if due <= now:
            if not queued_now:
                run_robots.enqueue(**arguments)
                queued_now = True
        else:
            run_robots.using(run_after=clock.to_real(due)).enqueue(**arguments)


def _queue(event_kind: str, *, kind: str, item_id: int, data: dict) -> None:
    if not Trigger.objects.filter(kind=event_kind, is_active=True).exists():
        return
    apply_trigger_event.enqueue(event=event_kind, kind=kind, item_id=item_id, data=data)


@bus.subscribe(MessageOpened)
def on_message_opened(event: MessageOpened) -> None:
    _queue(Kind.EMAIL_OPENED, kind=event.kind, item_id=event.item_id, data={"message_id": event.message_id})


@bus.subscribe(MessageClicked)
def on_message_clicked(event: MessageClicked) -> None:
    _queue(
        Kind.LINK_CLICKED,
        kind=event.kind,
        item_id=event.item_id,
        data={"message_id": event.message_id, "url": event.url},
    )


@bus.subscribe(FormSubmitted)
def on_form_submitted(event: FormSubmitted) -> None:
    _queue(Kind.FORM_SUBMITTED, kind=event.kind, item_id=event.item_id, data={"form_id": event.form_id})


@bus.subscribe(CallReceived)
def on_call_received(event: CallReceived) -> None:
    _queue(Kind.CALL_RECEIVED, kind=event.kind, item_id=event.item_id, data={"status": event.status})


@bus.subscribe(MailReceived)
def on_mail_received(event: MailReceived) -> None:
    _queue(Kind.MAIL_RECEIVED, kind=event.kind, item_id=event.item_id, data={"channel_id": event.channel_id})


@bus.subscribe(ChatReceived)
def on_chat_received(event: ChatReceived) -> None:
    _queue(Kind.CHAT_RECEIVED, kind=event.kind, item_id=event.item_id, data={"channel_id": event.channel_id})


@bus.subscribe(ActivityCompleted)
def on_activity_completed(event: ActivityCompleted) -> None:
    _queue(
        Kind.ACTIVITY_COMPLETED,
        kind=event.kind,
        item_id=event.item_id,
        data={"activity_kind": event.activity_kind, "activity_id": event.activity_id},
    )


@bus.subscribe(ItemUpdated)
def on_item_updated(event: ItemUpdated) -> None:
    if event.kind in ("lead", "deal"):
        _queue(
            Kind.FIELD_CONDITION, kind=event.kind, item_id=event.item_id, data={"fields": list(event.fields)}
        )
