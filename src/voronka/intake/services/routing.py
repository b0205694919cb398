"""Routing stored requests through the core's inbound service: one pipeline for every channel.

Rules enforced here:
- a request is routed once: routing locks its row and skips it unless it is received or failed;
- each channel kind prepares the core's request (forms, e-mail, calls, chats) and finishes what
  the channel adds (a call activity, the chat thread, the mail thread); the core does the rest:
  normalisation, duplicate check, classic or simple mode, the responsible, the timeline;
- routing runs in one transaction: a failure leaves no half-routed item behind;
- a failure is recorded on the request (code, reason, attempts) in its own transaction; bad data
  is not retried automatically, anything else is retried with a growing delay (RoutingFailed
  carries when) up to MAX_ATTEMPTS, and an administrator can retry it from the unrouted list;
- the channel's event (form.submitted, mail.received, call.received, chat.received) is published
  with the item the request reached.
"""

import logging

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.accounts.services import system_user
from voronka.crm.services.inbound import receive_request
from voronka.intake import events
from voronka.intake.models import Channel, IntakeRequest
from voronka.intake.services import calls, chats, forms, mail
from voronka.intake.services.inbound import Skip
from voronka.lib import bus
from voronka.lib.errors import DomainError, Forbidden, Invalid

logger = logging.getLogger(__name__)
Status = IntakeRequest.Status
MAX_ATTEMPTS = 6
HANDLERS = {
    Channel.Kind.FORM: forms,
    Channel.Kind.EMAIL: mail,
    Channel.Kind.TELEPHONY: calls,
    Channel.Kind.TELEGRAM: chats,
    Channel.Kind.CHAT: chats,
}


def route_request(request_id: int) -> IntakeRequest:
    """Route one stored request to a lead or deal; record the failure when it cannot be."""
    try:
        with transaction.atomic():
            return _route(request_id)
    except Invalid as error:
        return _record_failure(request_id, error, retry=False)
    except DomainError as error:
        return _record_failure(request_id, error, retry=True)
    except DatabaseError as error:
        return _record_failure(request_id, DomainError("routing.database", str(error)), retry=True)
    except Exception as error:
        # A defect in a channel's code must not lose the request or answer the sender with a
        # 500: the request stays stored, shows in the unrouted list and is retried.
        logger.exception("routing request %s failed", request_id)
        failure = DomainError("routing.error", f"{type(error).__name__}: {error}")
        return _record_failure(request_id, failure, retry=True)


def _route(request_id: int) -> IntakeRequest:
    row = IntakeRequest.objects.select_for_update().select_related("channel").get(pk=request_id)
    if row.status not in (Status.RECEIVED, Status.FAILED):
        return row
    handler = HANDLERS[row.channel.kind]
    prepared = handler.prepare(row)
    row.attempts += 1
    if isinstance(prepared, Skip):
        row.status = prepared.status
        row.error_code, row.error = prepared.code, prepared.reason
        row.payload = {**row.payload, **({"skip": prepared.details} if prepared.details else {})}
        row.save(update_fields=["status", "error_code", "error", "payload", "attempts"])
        return row
    result = receive_request(prepared, actor=system_user())
    event = handler.finish(row, result)
    row.status = Status.ROUTED
    row.outcome = result.outcome
    row.item_kind, row.item_id = result.item.kind.value, result.item.pk
    row.routed_at = timezone.now()
    row.error_code = row.error = ""
    row.save(
        update_fields=[
            "status",
            "outcome",
            "item_kind",
            "item_id",
            "routed_at",
            "error_code",
            "error",
            "attempts",
        ]
    )
    if event is not None:
        bus.publish(event)
    return row


@transaction.atomic
def _record_failure(request_id: int, error: DomainError, *, retry: bool) -> IntakeRequest:
    row = IntakeRequest.objects.select_for_update().get(pk=request_id)
    if row.status == Status.ROUTED:
        return row
    row.attempts += 1
    row.status = Status.FAILED
    row.error_code = error.code[:100]
    row.error = str(error.message)[:5000]
    if error.details:
        row.error = f"{row.error}\n{error.details}"[:5000]
    row.save(update_fields=["status", "error_code", "error", "attempts"])
    delay = 60 * 2 ** (row.attempts - 1) if retry and row.attempts < MAX_ATTEMPTS else None
    bus.publish(
        events.RoutingFailed(
            request_id=row.pk, channel_id=row.channel_id, attempts=row.attempts, retry_after=delay
        )
    )
    return row


def retry_request(row: IntakeRequest, *, actor: User) -> IntakeRequest:
    """Route a failed request again (an administrator's action on the unrouted list)."""
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators retry requests."))
    if row.status != Status.FAILED:
        raise Invalid("request.not_failed", _("Only failed requests are retried."))
    return route_request(row.pk)
