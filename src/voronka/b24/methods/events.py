"""event.bind / event.unbind / event.get / events, over the outbound webhooks (voronka.webhooks)."""

from voronka.b24.parsing import param
from voronka.b24.protocol import B24Error, Call, method
from voronka.lib.errors import Forbidden
from voronka.webhooks import bitrix, services
from voronka.webhooks.models import WebhookSubscription
from voronka.webhooks.selectors import subscriptions


def _bound(call: Call):
    try:
        return subscriptions(call.user).filter(format=WebhookSubscription.Format.BITRIX24)
    except Forbidden:
        raise B24Error("ACCESS_DENIED", "Access denied! Administrator access required", status=403) from None


def _event(call: Call) -> str:
    name = str(param(call.params, "event") or "").upper()
    if name not in bitrix.EVENTS:
        raise B24Error("ERROR_EVENT_NOT_FOUND", "Event not found")
    return name


@method("events", scope=None)
def events(call: Call):
    return sorted(bitrix.EVENTS)


@method("event.bind", scope=None)
def bind(call: Call):
    _bound(call)
    name = _event(call)
    handler = str(param(call.params, "handler") or "")
    if not handler:
        raise B24Error("ERROR_ARGUMENT", "Handler is not set")
    if _bound(call).filter(bitrix_event=name, target_url=handler).exists():
        raise B24Error("ERROR_EVENT_ALREADY_BOUND", "Handler already binded")
    services.create_subscription(actor=call.user, target_url=handler, events=[], name=name, bitrix_event=name)
    return True


@method("event.unbind", scope=None)
def unbind(call: Call):
    name = _event(call)
    handler = str(param(call.params, "handler") or "")
    found = _bound(call).filter(bitrix_event=name)
    if handler:
        found = found.filter(target_url=handler)
    count = 0
    for subscription in found:
        services.delete_subscription(subscription, actor=call.user)
        count += 1
    return {"count": count}


@method("event.get", scope=None)
def get(call: Call):
    return [
        {"event": s.bitrix_event, "handler": s.target_url, "auth_type": "0", "offline": 0}
        for s in _bound(call).order_by("pk")
    ]
