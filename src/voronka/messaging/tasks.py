"""Background work of messaging (Django Tasks API); every task is safe to run twice."""

from django_tasks import task

from voronka.messaging.services import delivery


@task()
def send_message(*, message_id: int) -> str:
    """Hand one queued e-mail or SMS to the server (the claim makes a second run a no-op)."""
    return delivery.deliver(message_id)
