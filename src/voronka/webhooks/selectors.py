"""Reads of subscriptions and their delivery log (administrators only: they hold secrets)."""

from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm import config_cache
from voronka.lib.errors import Forbidden, NotFound
from voronka.webhooks.models import WebhookDelivery, WebhookSubscription


def subscriptions(user: User) -> QuerySet[WebhookSubscription]:
    """Return every subscription; refuse anybody but administrators."""
    if not is_administrator(user):
        raise Forbidden("rights.admin_only", _("Only administrators manage webhooks."))
    return WebhookSubscription.objects.order_by("pk")


def get_subscription(user: User, subscription_id: int) -> WebhookSubscription:
    """Return a subscription, or raise NotFound."""
    queryset = subscriptions(user)
    try:
        return queryset.get(pk=subscription_id)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError):
        raise NotFound("webhook.not_found", _("There is no such webhook subscription.")) from None


def deliveries(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """Return a subscription's delivery log, newest first."""
    return WebhookDelivery.objects.filter(subscription=subscription).order_by("-pk")


_snapshot: ContextVar[dict | None] = ContextVar("webhook_subscriptions_snapshot", default=None)


@contextmanager
def one_read_of_subscriptions():
    """Within this block `is_wanted` reads the subscriptions once, not once per event.

    For bulk writes (an import batch, a bulk API request) that publish thousands of events on
    one commit: wrap the transaction, so its events are checked against the subscriptions as
    they were when the first one was delivered.
    """
    token = _snapshot.set({})
    try:
        yield
    finally:
        _snapshot.reset(token)


def _subscribed_events() -> list[list[str]]:
    # Kept while the configuration stays (crm.config_cache): a write to the subscriptions, from
    # any process, sets a new stamp.
    return config_cache.cached(
        "webhook_events",
        lambda: list(
            WebhookSubscription.objects.filter(is_active=True).order_by().values_list("events", flat=True)
        ),
    )


def is_wanted(event: str) -> bool:
    """Return True if an active subscription wants `event` (one small query, or none in a snapshot)."""
    snapshot = _snapshot.get()
    if snapshot is None:
        subscribed = _subscribed_events()
    else:
        if "events" not in snapshot:
            snapshot["events"] = _subscribed_events()
        subscribed = snapshot["events"]
    return any("*" in names or event in names for names in subscribed)
