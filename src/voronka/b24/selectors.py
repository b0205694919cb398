"""Reads on inbound webhooks and the migration id map."""

from voronka.b24.models import InboundWebhook, MigratedObject
from voronka.b24.services import code_digest


def webhook_for(user_id: str, code: str) -> InboundWebhook | None:
    """Return the active webhook of an active user for this URL, or None."""
    if not str(user_id).isdigit() or not code or len(code) > 200:
        return None
    return (
        InboundWebhook.objects.select_related("user")
        .filter(code_hash=code_digest(code), user_id=int(user_id), is_active=True, user__is_active=True)
        .first()
    )


def migrated(portal: str, entity: str) -> dict[str, int]:
    """Return {source id: local id} of the objects of `entity` already migrated from `portal`."""
    rows = MigratedObject.objects.filter(portal=portal, entity=entity).values_list("source_id", "local_id")
    return dict(rows)
