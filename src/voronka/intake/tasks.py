"""Background work of the intake app (Django Tasks API); each task is safe to run twice."""

import datetime as dt

from django_tasks import task

from voronka.intake.models import Channel
from voronka.intake.services import chats, imap, routing


@task()
def route_request(*, request_id: int) -> str:
    """Route a stored request again (a retry after a failure); a routed one is left alone."""
    return routing.route_request(request_id).status


@task()
def send_chat_reply(*, message_id: int) -> str:
    """Send a queued chat reply through the chat's API (claimed: sent at most once)."""
    message = chats.send_reply(message_id)
    return message.status if message else "skipped"


@task()
def poll_mailbox(*, channel_id: int, due: str) -> int:
    """Poll an IMAP mailbox at its scheduled time, then schedule the next poll (claimed: one worker polls)."""
    following = imap.claim_poll(channel_id, dt.datetime.fromisoformat(due))
    if following is None:
        return 0
    channel = Channel.objects.get(pk=channel_id)
    count = imap.poll_mailbox(channel)
    backend = poll_mailbox.get_backend()
    if backend.supports_defer:
        # django-tasks has no scheduler: the task re-enqueues itself for the time it claimed.
        poll_mailbox.using(run_after=following).enqueue(channel_id=channel_id, due=following.isoformat())
    return count
