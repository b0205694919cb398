"""Inbound e-mail: parse MIME with the standard library, recognise auto-replies and bounces.

No writes here. `parse_mail()` turns raw bytes into a `ParsedMail`, or raises Invalid
("mail.malformed", "mail.no_sender") with a reason a person can read; the service stores the
raw message first, so a message that fails here is kept and shown as failed.
"""

import email
import email.policy
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

import nh3
import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from voronka.lib.emails import try_normalize_email
from voronka.lib.errors import Invalid

MAX_TEXT = 100_000
# Subjects of out-of-office replies in the languages Voronka's users write in.
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|vacation|away from|"
    r"автоответ|автоматический ответ|нет на месте|в отпуске|отпуск)",
    flags=re.IGNORECASE,
)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", flags=re.IGNORECASE)
QUOTE_START = re.compile(r"^(>|On .+ wrote:$|.+ писал\(а\):$|-----\s*Original Message|-----\s*Исходное)")
MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass
class MailAttachment:
    """A file carried by the message."""

    name: str
    content_type: str
    content: bytes


@dataclass
class ParsedMail:
    """What the CRM keeps of one inbound message."""

    message_id: str
    subject: str
    from_name: str
    from_address: str
    to: list[str]
    in_reply_to: list[str]
    references: list[str]
    text: str
    html: str
    attachments: list[MailAttachment] = field(default_factory=list)
    phones: list[str] = field(default_factory=list)
    auto_reply: str = ""  # why it is an auto-reply, "" when written by a person
    bounce: bool = False
    bounced_message_ids: list[str] = field(default_factory=list)

    @property
    def thread_ids(self) -> list[str]:
        """The Message-IDs this message answers, nearest first."""
        return [*self.in_reply_to, *reversed(self.references)]


def parse_mail(raw: bytes) -> ParsedMail:
    """Parse one raw message (RFC 5322 bytes)."""
    try:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        return _parse(message)
    except Invalid:
        raise
    # The standard parser is lenient but some header and charset errors surface on access.
    except (ValueError, LookupError, TypeError, IndexError, AttributeError, UnicodeError) as error:
        raise Invalid(
            "mail.malformed",
            _("The message cannot be read: %(reason)s") % {"reason": f"{type(error).__name__}: {error}"},
        ) from error


def _parse(message: EmailMessage) -> ParsedMail:
    if not raw_has_headers(message):
        raise Invalid("mail.malformed", _("The message has no headers."))
    from_name, from_address = _sender(message)
    bounce = _is_bounce(message, from_address)
    text, html, attachments = _bodies(message)
    if not from_address and not bounce:
        raise Invalid("mail.no_sender", _("The message has no readable From address."))
    own_ids = _ids(message.get("Message-ID"))
    parsed = ParsedMail(
        message_id=own_ids[0] if own_ids else "",
        subject=str(message.get("Subject") or "")[:500],
        from_name=from_name,
        from_address=from_address,
        to=[address for _name, address in getaddresses([str(v) for v in message.get_all("To") or []])],
        in_reply_to=_ids(message.get("In-Reply-To")),
        references=_ids(message.get("References")),
        text=text[:MAX_TEXT],
        html=html,
        attachments=attachments,
        bounce=bounce,
    )
    parsed.auto_reply = "" if bounce else _auto_reply_reason(message, parsed.subject)
    if bounce:
        parsed.bounced_message_ids = _bounced_ids(message)
    else:
        parsed.phones = phones_in(own_text(text))
    return parsed


def raw_has_headers(message: EmailMessage) -> bool:
    return bool(message.keys()) and not any(
        type(defect).__name__ == "MissingHeaderBodySeparatorDefect" for defect in message.defects
    )


def _sender(message: EmailMessage) -> tuple[str, str]:
    header = message.get("From")
    addresses: tuple[Address, ...] = getattr(header, "addresses", ()) if header is not None else ()
    if addresses:
        first = addresses[0]
        address = try_normalize_email(first.addr_spec) or ""
        return str(first.display_name or "")[:200], address
    name, address = parseaddr(str(header or ""))
    return name[:200], try_normalize_email(address) or ""


def _ids(header: object) -> list[str]:
    return MESSAGE_ID.findall(str(header or ""))[:50]


def _bodies(message: EmailMessage) -> tuple[str, str, list[MailAttachment]]:
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    text = _content(text_part) if text_part is not None else ""
    html = nh3.clean(_content(html_part)) if html_part is not None else ""
    if not text and html:
        text = nh3.clean(html, tags=set()).strip()
    attachments = []
    for part in message.iter_attachments():
        content = part.get_payload(decode=True) or b""
        if part.get_content_type() not in ("message/rfc822", "message/delivery-status"):
            attachments.append(
                MailAttachment(
                    name=str(part.get_filename() or "attachment")[:255],
                    content_type=part.get_content_type(),
                    content=content,
                )
            )
    return text.strip(), html, attachments


def _content(part: EmailMessage) -> str:
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):
        # An unknown or lying charset: keep what can be read rather than nothing.
        content = (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")
    return content if isinstance(content, str) else content.decode("utf-8", errors="replace")


def _auto_reply_reason(message: EmailMessage, subject: str) -> str:
    auto = str(message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if message.get(header) is not None and header != "X-Auto-Response-Suppress":
            return header
    precedence = str(message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "auto_reply", "junk", "list"):
        return f"Precedence: {precedence}"
    if AUTO_SUBJECT.match(subject):
        return "subject"
    return ""


def _is_bounce(message: EmailMessage, from_address: str) -> bool:
    if message.get_content_type() == "multipart/report":
        return str(message.get_param("report-type") or "").lower() == "delivery-status"
    return bool(BOUNCE_SENDER.match(from_address)) or (not from_address and bool(message.get("Return-Path")))


def _bounced_ids(message: EmailMessage) -> list[str]:
    ids: list[str] = []
    for part in message.walk():
        if part.get_content_type() in ("message/rfc822", "text/rfc822-headers"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner:
                ids += _ids(inner[0].get("Message-ID"))
            elif isinstance(inner, str):
                found = re.search(r"^Message-ID:\s*(<[^>]+>)", inner, flags=re.IGNORECASE | re.MULTILINE)
                ids += [found.group(1)] if found else []
    return ids or _ids(message.get("In-Reply-To")) + _ids(message.get("References"))


def own_text(text: str) -> str:
    """Return the lines the sender wrote, without the quoted message they answer."""
    lines = []
    for line in text.splitlines():
        if QUOTE_START.match(line.strip()):
            break
        lines.append(line)
    return "\n".join(lines)


def phones_in(text: str, *, limit: int = 2) -> list[str]:
    """Return the phone numbers written in a text (a signature), in E.164."""
    found: list[str] = []
    region = settings.DEFAULT_PHONE_REGION or "RU"
    for match in phonenumbers.PhoneNumberMatcher(text[:5000], region, leniency=phonenumbers.Leniency.VALID):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        if e164 not in found:
            found.append(e164)
        if len(found) >= limit:
            break
    return found
