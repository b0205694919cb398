"""Webhook subscriptions and the delivery of events to them.

Rules enforced here:
- only administrators create, change or delete subscriptions;
- a target is an http(s) URL with a host and no credentials, not on a private network unless
  WEBHOOKS_ALLOW_PRIVATE (checked again, with DNS, before every delivery: transport.py);
- a subscription names events of the catalogue (or "*" for all) and signs with its secret
  (random unless given; at least 16 characters);
- an event wanted by active subscriptions becomes one delivery per subscription, once per
  event id (a dispatch run twice adds nothing);
- a delivery is claimed with a conditional UPDATE before it is sent, so two workers or a task
  run twice never send it at the same time, and a delivery answered with a 2xx is never sent
  again (at most one success);
- a failed attempt (not 2xx, timeout, connection error) is retried with exponential back-off
  (WEBHOOKS_RETRY_SECONDS × 2^(attempt−1), at most six hours) until WEBHOOKS_MAX_ATTEMPTS,
  then the delivery has failed; a target refused as private fails at once.
"""

import datetime as dt
import json
import random
import secrets
from dataclasses import dataclass
from typing import Any

import urllib3
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.lib.errors import Forbidden, Invalid
from voronka.webhooks import bitrix, catalogue, signing, transport
from voronka.webhooks.models import WebhookDelivery, WebhookSubscription

Status = WebhookDelivery.Status
MAX_BACKOFF = dt.timedelta(hours=6)
USER_AGENT = "Voronka-Webhooks/1"


def _check_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators manage webhooks."))


def clean_target(url: str) -> str:
    url = (url or "").strip()
    if len(url) > 2000:
        raise Invalid(
            "webhook.url_too_long", _("At most 2000 characters."), details={"target_url": _("Too long.")}
        )
    try:
        _scheme, host, _port, _path = transport.check_url(url)
        transport.check_host_now(host)
    except transport.TargetRefused as refusal:
        raise Invalid(
            "webhook.bad_target",
            _("Deliveries cannot go to this URL: %(reason)s.") % {"reason": refusal},
            details={"target_url": str(refusal)},
        ) from None
    return url


def clean_events(names: list[str]) -> list[str]:
    names = [str(name).strip() for name in names or []]
    if not names:
        raise Invalid(
            "webhook.no_events", _("Choose at least one event."), details={"events": _("Required.")}
        )
    unknown = [name for name in names if name != "*" and name not in catalogue.EVENTS]
    if unknown:
        raise Invalid(
            "webhook.unknown_event",
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)},
            details={"events": unknown},
        )
    return sorted(set(names))


def _secret(secret: str | None) -> str:
    if not secret:
        return secrets.token_urlsafe(32)
    secret = secret.strip()
    if not 16 <= len(secret) <= 200:
        raise Invalid(
            "webhook.bad_secret",
            _("A secret is 16 to 200 characters long."),
            details={"secret": _("Invalid.")},
        )
    return secret


@transaction.atomic
def create_subscription(
    *,
    actor: User,
    target_url: str,
    events: list[str],
    name: str = "",
    secret: str | None = None,
    is_active: bool = True,
    bitrix_event: str = "",
) -> WebhookSubscription:
    """Subscribe a URL to events (or, with `bitrix_event`, to one Bitrix24 event in its format)."""
    _check_admin(actor)
    if bitrix_event:
        if bitrix_event.upper() not in bitrix.EVENTS:
            raise Invalid("webhook.unknown_event", _("Unknown event %(name)s.") % {"name": bitrix_event})
        events = bitrix.catalogue_events(bitrix_event)
    return WebhookSubscription.objects.create(
        format=WebhookSubscription.Format.BITRIX24 if bitrix_event else WebhookSubscription.Format.VORONKA,
        bitrix_event=bitrix_event.upper(),
        name=(name or "").strip()[:200],
        target_url=clean_target(target_url),
        events=clean_events(events),
        secret=_secret(secret),
        is_active=is_active,
        created_by=actor,
    )


@transaction.atomic
def update_subscription(
    subscription: WebhookSubscription, *, actor: User, **changes: Any
) -> WebhookSubscription:
    """Change a subscription's URL, events, name, secret or whether it is active."""
    _check_admin(actor)
    subscription = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    cleaners = {
        "target_url": clean_target,
        "events": clean_events,
        "secret": lambda value: _secret(value or None) if value else subscription.secret,
        "name": lambda value: (value or "").strip()[:200],
        "is_active": bool,
    }
    unknown = set(changes) - set(cleaners)
    if unknown:
        raise Invalid(
            "webhook.unknown_field", _("Unknown fields."), details=dict.fromkeys(unknown, _("Unknown."))
        )
    for field, value in changes.items():
        setattr(subscription, field, cleaners[field](value))
    subscription.updated_at = timezone.now()
    subscription.save()
    return subscription


@transaction.atomic
def delete_subscription(subscription: WebhookSubscription, *, actor: User) -> None:
    """Delete a subscription and its delivery log."""
    _check_admin(actor)
    subscription.delete()


@transaction.atomic
def record_deliveries(*, event: str, event_id: str, occurred_at: str, data: dict[str, Any]) -> list[int]:
    """Create the deliveries of one published event; return the ids of those still to send."""
    payload = {"id": event_id, "event": event, "occurred_at": occurred_at, "data": data}
    wanted = [s for s in WebhookSubscription.objects.filter(is_active=True) if s.wants(event, data)]
    WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(subscription=s, event=event, event_id=event_id, payload=payload) for s in wanted],
        ignore_conflicts=True,  # the (subscription, event id) constraint: a second dispatch adds nothing
    )
    return list(
        WebhookDelivery.objects.filter(event_id=event_id, status=Status.PENDING).values_list("pk", flat=True)
    )


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one attempt did: `retry_at` is when the next attempt is due (None: no more)."""

    status: str
    retry_at: dt.datetime | None = None


def attempt_delivery(delivery_id: int) -> Outcome:
    """Send a due delivery once; return what happened (it is skipped unless it can be claimed)."""
    now = timezone.now()
    claimed = (
        WebhookDelivery.objects.filter(pk=delivery_id, status__in=[Status.PENDING, Status.RETRYING])
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .update(status=Status.DELIVERING, attempts=F("attempts") + 1, last_attempt_at=now)
    )
    if not claimed:
        return Outcome(status="skipped")
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.is_active:
        return _finish(delivery, Status.FAILED, error="The subscription is switched off.")
    body = json.dumps(delivery.payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    content_type = "application/json"
    if subscription.format == WebhookSubscription.Format.BITRIX24:
        body = bitrix.form_body(
            bitrix_event=subscription.bitrix_event,
            subscription_id=subscription.pk,
            secret=subscription.secret,
            data=delivery.payload.get("data", {}),
        )
        content_type = "application/x-www-form-urlencoded"
    headers = {
        "Content-Type": content_type,
        "User-Agent": USER_AGENT,
        "X-Voronka-Event": delivery.event,
        "X-Voronka-Delivery": str(delivery.delivery_id),
        "X-Voronka-Attempt": str(delivery.attempts),
        signing.HEADER: signing.header_value(subscription.secret, body),
    }
    try:
        answer = transport.post(
            subscription.target_url, body, headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS
        )
    except transport.TargetRefused as refusal:
        return _failed(delivery, error=f"Refused target: {refusal}", final=refusal.permanent)
    except (urllib3.exceptions.HTTPError, OSError) as error:
        return _failed(delivery, error=f"{type(error).__name__}: {error}"[:2000])
    if 200 <= answer.status < 300:
        return _finish(delivery, Status.SUCCEEDED, response_status=answer.status, response_body=answer.body)
    return _failed(delivery, error="", response_status=answer.status, response_body=answer.body)


def _failed(delivery: WebhookDelivery, *, error: str, final: bool = False, **response: Any) -> Outcome:
    if final or delivery.attempts >= settings.WEBHOOKS_MAX_ATTEMPTS:
        return _finish(delivery, Status.FAILED, error=error, **response)
    return _finish(
        delivery,
        Status.RETRYING,
        error=error,
        retry_at=timezone.now() + backoff(delivery.attempts),
        **response,
    )


def backoff(attempts: int) -> dt.timedelta:
    """Return the wait before the next attempt after `attempts` failed ones (±10 % jitter)."""
    seconds = settings.WEBHOOKS_RETRY_SECONDS * 2 ** max(0, attempts - 1)
    seconds = min(seconds, MAX_BACKOFF.total_seconds()) * random.uniform(0.9, 1.1)  # noqa: S311 - jitter
    return dt.timedelta(seconds=seconds)


def _finish(
    delivery: WebhookDelivery,
    status: str,
    *,
    error: str = "",
    response_status: int | None = None,
    response_body: str = "",
    retry_at: dt.datetime | None = None,
) -> Outcome:
    changes = {
        "status": status,
        "error": error,
        "response_status": response_status,
        "response_body": response_body[: transport.RESPONSE_EXCERPT],
        "next_attempt_at": retry_at,
    }
    if status == Status.SUCCEEDED:
        changes["delivered_at"] = timezone.now()
    # Only the attempt that claimed the delivery records its outcome.
    WebhookDelivery.objects.filter(pk=delivery.pk, status=Status.DELIVERING).update(**changes)
    return Outcome(status=status, retry_at=retry_at)
