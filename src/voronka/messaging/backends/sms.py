"""SMS backends: one interface, a console backend for development, a generic HTTP gateway.

The HTTP gateway is configured, not coded (settings.SMS_HTTP, from SMS_HTTP_* variables):
a URL template and an optional body template with {to}, {text}, {sender} and {id}
placeholders (quoted for where they go), a method, basic-auth or bearer credentials, and a
success pattern searched in the answer; its named group `id`, when present, is the gateway's
message id (for delivery reports).
"""

import base64
import http.client
import json
import logging
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings

from voronka.messaging.backends.base import (
    DeliveryUncertain,
    HandoverRefused,
    PermanentFailure,
    TemporaryFailure,
)

logger = logging.getLogger("voronka.sms")


@dataclass(frozen=True)
class SmsReceipt:
    """What the gateway said when it took the message."""

    provider_id: str = ""


class SmsBackend(Protocol):
    def send(
        self, *, to: str, text: str, reference: str, before_handover: Callable[[], bool]
    ) -> SmsReceipt: ...


class ConsoleSmsBackend:
    """Print the message to the worker's log (development)."""

    def send(self, *, to: str, text: str, reference: str, before_handover: Callable[[], bool]) -> SmsReceipt:
        if not before_handover():
            raise HandoverRefused
        logger.warning("SMS to %s: %s", to, text)
        return SmsReceipt(provider_id=f"console-{reference}")


class HttpGatewaySmsBackend:
    """Send through an HTTP gateway described by settings.SMS_HTTP."""

    def __init__(self, config: dict | None = None):
        self.config = config or settings.SMS_HTTP
        if not self.config.get("URL"):
            raise TemporaryFailure("config", "SMS_HTTP_URL is not set")

    def send(self, *, to: str, text: str, reference: str, before_handover: Callable[[], bool]) -> SmsReceipt:
        request = self._request(to=to, text=text, reference=reference)
        if not before_handover():
            raise HandoverRefused
        try:
            with urllib.request.urlopen(request, timeout=self.config.get("TIMEOUT", 15)) as response:  # noqa: S310
                body = response.read(65536).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            detail = error.read(2000).decode("utf-8", "replace")
            if error.code == 429 or error.code >= 500:
                raise TemporaryFailure(str(error.code), detail or error.reason) from error
            raise PermanentFailure(str(error.code), detail or error.reason) from error
        except urllib.error.URLError as error:
            # The request did not get through whole: the gateway has nothing.
            raise TemporaryFailure("connection", str(error.reason)) from error
        except (OSError, http.client.HTTPException) as error:
            raise DeliveryUncertain("connection", str(error) or type(error).__name__) from error
        match = re.search(self.config.get("SUCCESS") or ".", body)
        if match is None:
            raise PermanentFailure("refused", body[:500] or "empty answer")
        provider_id = match.groupdict().get("id") or ""
        return SmsReceipt(provider_id=provider_id[:100])

    def _request(self, *, to: str, text: str, reference: str) -> urllib.request.Request:
        values = {"to": to, "text": text, "sender": self.config.get("SENDER", ""), "id": reference}
        url = self.config["URL"].format_map({k: urllib.parse.quote(v, safe="") for k, v in values.items()})
        if not url.lower().startswith(("http://", "https://")):
            raise PermanentFailure("config", "SMS_HTTP_URL must be an http(s) URL")
        content_type = self.config.get("CONTENT_TYPE") or "application/x-www-form-urlencoded"
        data = None
        if self.config.get("BODY"):
            quote = (
                (lambda v: json.dumps(v)[1:-1])
                if "json" in content_type
                else (lambda v: urllib.parse.quote_plus(v))
            )
            data = self.config["BODY"].format_map({k: quote(v) for k, v in values.items()}).encode()
        request = urllib.request.Request(url, data=data, method=self.config.get("METHOD") or "POST")  # noqa: S310
        if data is not None:
            request.add_header("Content-Type", content_type)
        if self.config.get("USER"):
            pair = f"{self.config['USER']}:{self.config.get('PASSWORD', '')}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(pair).decode())
        elif self.config.get("TOKEN"):
            request.add_header("Authorization", f"Bearer {self.config['TOKEN']}")
        return request


def sms_backend() -> SmsBackend:
    """Return the backend SMS_BACKEND names."""
    if settings.SMS_BACKEND == "http":
        return HttpGatewaySmsBackend()
    return ConsoleSmsBackend()
