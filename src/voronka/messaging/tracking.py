"""Signed tokens for the open pixel and the click redirects.

A token names a message by its public id (and a link by its index in the message's own list),
signed with SECRET_KEY: nobody can forge an open, and a redirect only ever goes to a link that
was in the message (no open redirect).
"""

import uuid

from django.conf import settings
from django.core import signing
from django.urls import reverse

OPEN_SALT = "voronka.messaging.open"
CLICK_SALT = "voronka.messaging.click"


def open_token(public_id: uuid.UUID) -> str:
    return signing.dumps(public_id.hex, salt=OPEN_SALT, compress=False)


def click_token(public_id: uuid.UUID, index: int) -> str:
    return signing.dumps(f"{public_id.hex}:{index}", salt=CLICK_SALT, compress=False)


def read_open_token(token: str) -> uuid.UUID | None:
    """Return the message's public id, or None for a forged or damaged token."""
    try:
        return uuid.UUID(hex=signing.loads(token, salt=OPEN_SALT))
    except (signing.BadSignature, ValueError, TypeError):
        return None


def read_click_token(token: str) -> tuple[uuid.UUID, int] | None:
    """Return (public id, link index), or None for a forged or damaged token."""
    try:
        public, index = signing.loads(token, salt=CLICK_SALT).split(":")
        return uuid.UUID(hex=public), int(index)
    except (signing.BadSignature, ValueError, TypeError, AttributeError):
        return None


STATUS_SALT = "voronka.messaging.sms_status"


def sms_status_token() -> str:
    """Return the secret path part SMS gateways post delivery reports to."""
    return signing.Signer(salt=STATUS_SALT).sign("sms-status").rpartition(":")[2]


def sms_status_url() -> str:
    return _absolute(reverse("messaging:sms_status", kwargs={"token": sms_status_token()}))


def _absolute(path: str) -> str:
    return settings.PUBLIC_URL.rstrip("/") + path


def pixel_url(public_id: uuid.UUID) -> str:
    return _absolute(reverse("messaging:open", kwargs={"token": open_token(public_id)}))


def redirect_url(public_id: uuid.UUID, index: int) -> str:
    return _absolute(reverse("messaging:click", kwargs={"token": click_token(public_id, index)}))
