"""What a transport tells the sender about one attempt.

A transport calls `before_handover()` right before the server or gateway gets the message
itself; when it returns False the sender lost its claim and the transport must stop there.
An error before that point means nothing was delivered (safe to retry); an error after it
(the connection dropped while the server was receiving) is DeliveryUncertain: never retried.
"""


class TransportError(Exception):
    """Base of the outcomes of a failed attempt; `code` is the server's code or a short word."""

    def __init__(self, code: str, reason: str):
        self.code = str(code)[:20]
        self.reason = str(reason)[:2000]
        super().__init__(f"{self.code} {self.reason}")


class TemporaryFailure(TransportError):
    """Nothing was delivered and a later attempt may succeed (4xx, connection refused, timeout)."""


class PermanentFailure(TransportError):
    """The server refused the message for good (5xx: unknown mailbox, rejected content) — a bounce."""


class DeliveryUncertain(TransportError):
    """The connection failed while the server was receiving the message: it may have arrived."""


class HandoverRefused(Exception):
    """The sender's claim was taken over (housekeeping decided it stalled); do not send."""


def classify(code: int | str, reason: object) -> TransportError:
    """Return the outcome for an SMTP-style reply code."""
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    if str(code).startswith("5"):
        return PermanentFailure(str(code), text)
    return TemporaryFailure(str(code), text)
