"""Signatures of deliveries: HMAC-SHA256 over "<timestamp>.<body>" with the subscription's secret.

The header is `X-Voronka-Signature: t=<unix seconds>,v1=<hex digest>`; a receiver recomputes
the digest, compares in constant time, and refuses old timestamps (replays).
"""

import hashlib
import hmac
import time

HEADER = "X-Voronka-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, body: bytes, timestamp: int) -> str:
    """Return the hex HMAC-SHA256 of "<timestamp>.<body>"."""
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def header_value(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """Return the value of the signature header for `body`."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={signature(secret, body, timestamp)}"


def verify(secret: str, header: str, body: bytes, *, now: float | None = None) -> bool:
    """Return True if `header` signs `body` with `secret` within the tolerance."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    now = time.time() if now is None else now
    if abs(now - timestamp) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(signature(secret, body, timestamp), parts.get("v1", ""))
