"""E-mail transports: SMTP with the hand-over point made explicit, or any other Django backend.

The SMTP transport speaks to the server step by step (MAIL, RCPT, then DATA) so the sender can
record "handed over" between RCPT and DATA: a crash before it means the server has nothing, a
crash after it means the server may have the message (see messaging/README.md).
"""

import smtplib
import ssl
from collections.abc import Callable
from email.utils import parseaddr

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from voronka.messaging.backends.base import (
    DeliveryUncertain,
    HandoverRefused,
    PermanentFailure,
    TemporaryFailure,
    classify,
)


class SmtpTransport:
    """Send through the SMTP server of EMAIL_URL."""

    def send(self, email: EmailMessage, *, before_handover: Callable[[], bool]) -> None:
        connection = self._connect()
        try:
            self._envelope(connection, email)
            if not before_handover():
                connection.rset()
                raise HandoverRefused
            payload = email.message().as_bytes(linesep="\r\n")
            try:
                code, reply = connection.data(payload)
            except smtplib.SMTPDataError as error:
                # The server answered "no" to DATA itself: it did not take the message.
                raise classify(error.smtp_code, error.smtp_error) from error
            except (smtplib.SMTPException, OSError) as error:
                raise DeliveryUncertain("connection", str(error) or type(error).__name__) from error
            if code != 250:
                # "No" after the data: the server refused this message (data() returns, not raises).
                raise classify(code, reply)
        finally:
            try:
                connection.quit()
            except (smtplib.SMTPException, OSError):
                connection.close()

    def _connect(self) -> smtplib.SMTP:
        host, port, timeout = settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT or 30
        try:
            if settings.EMAIL_USE_SSL:
                connection = smtplib.SMTP_SSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                connection = smtplib.SMTP(host, port, timeout=timeout)
            connection.ehlo_or_helo_if_needed()
            if settings.EMAIL_USE_TLS:
                connection.starttls(context=ssl.create_default_context())
                connection.ehlo()
            if settings.EMAIL_HOST_USER:
                connection.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD or "")
        except smtplib.SMTPResponseException as error:
            if error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError):
                raise PermanentFailure(str(error.smtp_code), _text(error.smtp_error)) from error
            raise TemporaryFailure(str(error.smtp_code), _text(error.smtp_error)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TemporaryFailure("connection", str(error) or type(error).__name__) from error
        return connection

    def _envelope(self, connection: smtplib.SMTP, email: EmailMessage) -> None:
        try:
            code, reply = connection.mail(parseaddr(email.from_email)[1])
            if code != 250:
                raise classify(code, reply)
            for recipient in email.recipients():
                code, reply = connection.rcpt(recipient)
                if code not in (250, 251):
                    raise classify(code, reply)
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise TemporaryFailure("connection", str(error) or type(error).__name__) from error


class DjangoTransport:
    """Send through a non-SMTP Django backend (console, file, memory) — development and tests."""

    def send(self, email: EmailMessage, *, before_handover: Callable[[], bool]) -> None:
        if not before_handover():
            raise HandoverRefused
        try:
            get_connection(fail_silently=False).send_messages([email])
        except OSError as error:
            raise DeliveryUncertain("backend", str(error)) from error


def _text(reply: object) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def email_transport() -> SmtpTransport | DjangoTransport:
    """Return the transport EMAIL_URL configures."""
    if settings.EMAIL_BACKEND == "django.core.mail.backends.smtp.EmailBackend":
        return SmtpTransport()
    return DjangoTransport()
