"""Reads of subscriptions and their delivery log (administrators only: they hold secrets)."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
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


def is_wanted(event: str) -> bool:
    """Return True if an active subscription wants `event` (one small query)."""
    return any(
        "*" in names or event in names
        for names in WebhookSubscription.objects.filter(is_active=True)
        .order_by()
        .values_list("events", flat=True)
    )
