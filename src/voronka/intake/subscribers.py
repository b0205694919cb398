"""Reactions of the intake app to its own events (registered in IntakeConfig.ready()).

Subscribers run after commit and only enqueue tasks.
"""

import datetime as dt

from django.utils import timezone

from voronka.intake import events, tasks
from voronka.lib import bus


@bus.subscribe(events.RoutingFailed)
def retry_routing(event: events.RoutingFailed) -> None:
    """Queue the next routing attempt of a failed request, later."""
    task = tasks.route_request
    if event.retry_after is None or not task.get_backend().supports_defer:
        # The immediate backend cannot wait: the request stays in the unrouted list instead.
        return
    when = timezone.now() + dt.timedelta(seconds=event.retry_after)
    task.using(run_after=when).enqueue(request_id=event.request_id)


@bus.subscribe(events.ChatReplyQueued)
def send_chat_reply(event: events.ChatReplyQueued) -> None:
    """Queue sending a chat reply."""
    tasks.send_chat_reply.enqueue(message_id=event.message_id)


@bus.subscribe(events.MailboxPollScheduled)
def schedule_mailbox_poll(event: events.MailboxPollScheduled) -> None:
    """Queue the first poll of a mailbox (each poll queues the next one)."""
    task = tasks.poll_mailbox
    if not task.get_backend().supports_defer:
        return  # `voronka intake-poll` polls where the backend cannot schedule
    task.using(run_after=dt.datetime.fromisoformat(event.due)).enqueue(
        channel_id=event.channel_id, due=event.due
    )
