"""Background work of webhooks: fan an event out to its subscriptions, deliver, retry.

Both tasks are safe to run twice: deliveries are unique per (subscription, event id), and a
delivery is claimed with a conditional UPDATE before it is sent (services.attempt_delivery).
"""

import logging

from django_tasks import task

from voronka.webhooks import services

logger = logging.getLogger(__name__)


@task()
def dispatch_event(*, event: str, event_id: str, occurred_at: str, data: dict) -> int:
    """Create the deliveries of one event and queue them; return how many."""
    ids = services.record_deliveries(event=event, event_id=event_id, occurred_at=occurred_at, data=data)
    for delivery_id in ids:
        deliver_webhook.enqueue(delivery_id=delivery_id)
    return len(ids)


@task()
def deliver_webhook(*, delivery_id: int) -> str:
    """Attempt one delivery; queue the next attempt when it failed and may be retried."""
    outcome = services.attempt_delivery(delivery_id)
    if outcome.retry_at is not None:
        if deliver_webhook.get_backend().supports_defer:
            deliver_webhook.using(run_after=outcome.retry_at).enqueue(delivery_id=delivery_id)
        else:
            # The immediate backend cannot wait: the delivery stays "retrying" in the log.
            logger.warning("Webhook delivery %s failed; this task backend cannot retry later.", delivery_id)
    return outcome.status
