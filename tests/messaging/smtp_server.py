"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives and can refuse."""

import email
import socket
import threading
from dataclasses import dataclass, field
from email import policy

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class Recorder:
    """The server's behaviour and what it got; change `refuse_rcpt`/`data_reply` between sends."""

    received: list[Received] = field(default_factory=list)
    refuse_rcpt: dict[str, str] = field(
        default_factory=dict
    )  # address -> reply, e.g. "550 5.1.1 No such user"
    data_reply: str = "250 2.0.0 Queued"
    data_event: threading.Event = field(default_factory=threading.Event)
    data_delay: float = 0.0
    # Stall the n-th RCPT (1-based) for `rcpt_delay` seconds, setting `rcpt_event` first.
    stall_rcpt: int = 0
    rcpt_delay: float = 0.0
    rcpt_event: threading.Event = field(default_factory=threading.Event)
    rcpt_count: int = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        import asyncio

        if address.lower() in self.refuse_rcpt:
            return self.refuse_rcpt[address.lower()]
        self.rcpt_count += 1
        if self.rcpt_count == self.stall_rcpt:
            self.rcpt_event.set()
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio

        if not self.data_reply.startswith("2"):
            return self.data_reply
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        self.data_event.set()
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        return self.data_reply


class SmtpServer:
    def __init__(self, recorder: Recorder | None = None):
        self.recorder = recorder or Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"
