"""Activities for the demo company: a year of calls, meetings and e-mails, and today's plans.

Built in bulk beside `crm.services.demo` (same seed, same clock): done activities spread
over each item's life, more of them the further the item went, and planned ones for open
items — some overdue, some today, some later — with a quarter of open items left without a
next step, as in a real team. Timeline entries match what the services write.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from voronka.activities.models import Activity
from voronka.crm.models import Deal, Lead, TimelineEntry

CALL_RESULTS = [
    "Договорились о встрече",
    "Клиент просит КП",
    "Не дозвонился, перезвонить",
    "Уточнили потребность",
    "Обсудили сроки поставки",
    "Left a voicemail",
    "Agreed on the next step",
]
MEETING_SUBJECTS = [
    "Встреча в офисе клиента",
    "Презентация оборудования",
    "Обсуждение договора",
    "Site visit",
]
EMAIL_SUBJECTS = ["Коммерческое предложение", "Счёт на предоплату", "Договор на согласование", "Follow-up"]
PLANNED = [
    ("call", "Позвонить клиенту"),
    ("call", "Уточнить решение по КП"),
    ("meeting", "Встреча с клиентом"),
    ("email", "Отправить договор"),
    ("task", "Подготовить КП"),
    ("task", "Проверить оплату"),
]


def _timeline(activity: Activity, owner: dict, event: str) -> TimelineEntry:
    return TimelineEntry(
        kind=TimelineEntry.Kind.ACTIVITY,
        actor_id=activity.assigned_to_id,
        created_at=activity.done_at if event == "completed" else activity.created_at,
        text=activity.result if event == "completed" else activity.subject,
        data={
            "event": event,
            "activity_id": activity.pk,
            "activity_kind": activity.kind,
            "subject": activity.subject,
            "deadline": activity.deadline.isoformat(),
            "assigned_to_id": activity.assigned_to_id,
            **({"result": activity.result} if event == "completed" else {}),
        },
        **owner,
    )


@transaction.atomic
def build_demo_activities(*, seed: int = 42, now: dt.datetime | None = None) -> int:
    """Create the demo activities for every demo lead and deal; return how many."""
    rng = random.Random(seed * 7 + 1)
    now = now or timezone.now()
    next_id = (Activity.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    activities: list[Activity] = []
    entries: list[TimelineEntry] = []

    def add(
        owner: dict, user_id, kind: str, subject: str, deadline: dt.datetime, *, done: bool, result: str = ""
    ):
        nonlocal next_id
        created = min(deadline, now) - dt.timedelta(hours=rng.uniform(1, 72))
        activity = Activity(
            pk=next_id,
            kind=kind,
            subject=subject,
            deadline=deadline,
            assigned_to_id=user_id,
            duration=dt.timedelta(minutes=rng.choice([5, 10, 15, 30, 60]))
            if kind in ("call", "meeting")
            else None,
            direction="outgoing" if kind in ("call", "email") else "",
            is_done=done,
            done_at=deadline if done else None,
            done_by_id=user_id if done else None,
            result=result,
            created_by_id=user_id,
            created_at=created,
            updated_at=deadline if done else created,
            **owner,
        )
        next_id += 1
        activities.append(activity)
        entries.append(_timeline(activity, owner, "created"))
        if done:
            entries.append(_timeline(activity, owner, "completed"))

    def history(owner: dict, user_id, start: dt.datetime, end: dt.datetime, depth: int):
        span = max((end - start).total_seconds(), 3600)
        for _ in range(rng.randint(1, 2) + depth * rng.randint(1, 2)):
            at = start + dt.timedelta(seconds=rng.uniform(0, span))
            kind = rng.choices(["call", "email", "meeting"], weights=[6, 3, 1 + depth])[0]
            subject = {
                "call": "Звонок клиенту",
                "email": rng.choice(EMAIL_SUBJECTS),
                "meeting": rng.choice(MEETING_SUBJECTS),
            }[kind]
            add(
                owner,
                user_id,
                kind,
                subject,
                at,
                done=True,
                result=rng.choice(CALL_RESULTS) if kind == "call" else "",
            )

    def plan(owner: dict, user_id):
        if rng.random() < 0.25:
            return  # no next step: the counter managers are measured by
        kind, subject = rng.choice(PLANNED)
        deadline = now + dt.timedelta(hours=rng.uniform(-5 * 24, 10 * 24))
        add(owner, user_id, kind, subject, deadline.replace(minute=0, second=0, microsecond=0), done=False)

    deals = Deal.objects.values_list(
        "pk", "assigned_to_id", "created_at", "closed_at", "is_closed", "stage__sort"
    )
    for pk, user_id, created, closed, is_closed, sort in deals.iterator(2000):
        if user_id is None:
            continue
        owner = {"deal_id": pk}
        history(owner, user_id, created, closed or now, depth=min(sort // 10, 5))
        if not is_closed:
            plan(owner, user_id)
    leads = Lead.objects.values_list("pk", "assigned_to_id", "created_at", "closed_at", "is_closed")
    for pk, user_id, created, closed, is_closed in leads.iterator(2000):
        if user_id is None:
            continue
        owner = {"lead_id": pk}
        history(owner, user_id, created, closed or now, depth=0)
        if not is_closed:
            plan(owner, user_id)
    Activity.objects.bulk_create(activities, batch_size=1000)
    TimelineEntry.objects.bulk_create(entries, batch_size=1000)
    return len(activities)
