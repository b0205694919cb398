"""voronka mail-server: receive e-mail over SMTP (aiosmtpd) into the e-mail channels.

Point a mail system's forwarding (or an MX record) at it. A recipient is accepted when an
active e-mail channel lists its address (or "*"); each message is stored first and then routed,
so a message that cannot be parsed is kept and shown as failed, never lost and never a crash.
"""

import asyncio
import signal

from aiosmtpd.controller import Controller
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.management.base import BaseCommand

from voronka.intake.selectors import channel_for_addresses
from voronka.intake.services.mail import accept_mail
from voronka.intake.services.routing import route_request


class IntakeHandler:
    """aiosmtpd handler: accept recipients of known channels, store and route each message."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        channel = await sync_to_async(channel_for_addresses)([address])
        if channel is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        return await sync_to_async(deliver)(
            envelope.rcpt_tos,
            envelope.original_content or envelope.content or b"",
            mail_from=envelope.mail_from or "",
            peer=session.peer[0] if session.peer else None,
        )


def deliver(recipients: list[str], raw: bytes, *, mail_from: str, peer: str | None) -> str:
    """Store and route one received message; return the SMTP answer."""
    channel = channel_for_addresses(recipients)
    if channel is None:
        return "550 5.1.1 No such mailbox here"
    row, created = accept_mail(
        channel,
        bytes(raw),
        remote_addr=peer,
        envelope={"mail_from": mail_from[:255], "rcpt_to": recipients[:20]},
    )
    if created:
        row = route_request(row.pk)
    return f"250 2.0.0 OK: stored as request {row.pk}"


class Command(BaseCommand):
    help = "Receive e-mail over SMTP for the e-mail channels (forward your mail here)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host, port, **options):
        controller = Controller(
            IntakeHandler(),
            hostname=host,
            port=port,
            data_size_limit=settings.INTAKE_MAIL_MAX_SIZE,
            decode_data=False,
            server_hostname="voronka",
        )
        controller.start()
        self.stdout.write(self.style.SUCCESS(f"Receiving mail on {host}:{port} (Ctrl+C stops)."), ending="\n")
        self.stdout.flush()
        stop = asyncio.Event()
        loop = asyncio.new_event_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            loop.run_until_complete(stop.wait())
        finally:
            controller.stop()
            loop.close()
