"""The robot that calls a webhook: a signed JSON POST with the item, through the webhooks transport.

The body is signed like outbound webhooks (`X-Voronka-Signature`, voronka.webhooks.signing)
with the robot's own secret, and carries `X-Voronka-Delivery: robot-run-<id>`. The call is made
once (at most once): a worker that dies during the call leaves the run failed, not repeated.
"""

import json
import secrets

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from urllib3.exceptions import HTTPError

from voronka.automation.robots import Context, RobotKind, register, require_text
from voronka.crm.models import Lead
from voronka.lib.errors import Invalid
from voronka.webhooks import signing, transport


def clean(params: dict, stage) -> dict:
    url = require_text(params, "url", limit=2000)
    try:
        _scheme, host, _port, _path = transport.check_url(url)
        transport.check_host_now(host)
    except transport.TargetRefused as refusal:
        raise Invalid(
            "robot.invalid",
            _("This URL cannot be called: %(reason)s.") % {"reason": refusal},
            details={"url": url},
        ) from None
    secret = str(params.get("secret") or "").strip() or secrets.token_urlsafe(32)
    return {"url": url, "secret": secret[:200]}


def payload(context: Context) -> dict:
    item = context.item
    stage = item.status if isinstance(item, Lead) else item.stage
    return {
        "event": "robot.webhook",
        "robot": {"id": context.robot.pk, "name": str(context.robot)},
        "run_id": context.run.pk,
        "item": {
            "kind": item.kind.value,
            "id": item.pk,
            "title": item.title,
            "stage": stage.code,
            "amount": str(item.amount),
            "currency": item.currency,
            "assigned_to": item.assigned_to_id,
            "source": item.source.code if item.source_id else None,
            "custom": item.custom,
        },
    }


def run(context: Context) -> str:
    body = json.dumps(payload(context), cls=DjangoJSONEncoder, ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Voronka-Robot/1",
        "X-Voronka-Delivery": f"robot-run-{context.run.pk}",
        signing.HEADER: signing.header_value(context.params["secret"], body),
    }
    try:
        answer = transport.post(
            context.params["url"], body, headers, timeout=settings.WEBHOOKS_TIMEOUT_SECONDS
        )
    except transport.TargetRefused as refusal:
        raise Invalid("robot.webhook_refused", str(refusal)) from None
    except HTTPError as error:
        raise Invalid("robot.webhook_failed", f"{type(error).__name__}: {error}") from None
    if not 200 <= answer.status < 300:
        raise Invalid(
            "robot.webhook_failed", gettext("The receiver answered %(status)s") % {"status": answer.status}
        )
    return gettext("Webhook answered %(status)s") % {"status": answer.status}


register(RobotKind("call_webhook", clean, run, external=True))
