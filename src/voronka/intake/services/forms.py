"""Web form submissions: spam checks, attachments, storing, and what routing adds for forms.

Rules enforced here:
- an inactive form's channel refuses posts;
- at most `rate_limit` posts per minute from one IP address per form (counted in the database);
- a filled honeypot field marks the post as spam: it is stored as such and never routed;
- every field is checked against the form (required fields, phone and e-mail syntax, options,
  consent) and all bad fields are reported together;
- attachments only when the form allows them: at most `max_attachments` files of at most
  `max_attachment_size` bytes each, of an allowed type recognised from the content (the file
  name and the browser's declared type are not trusted);
- a valid post is stored first (with its files under MEDIA_ROOT), then routed.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import filetype
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext_lazy as _

from voronka.crm.services.inbound import InboundResult
from voronka.intake import events
from voronka.intake.channels import forms as form_channel
from voronka.intake.models import Attachment, IntakeRequest, WebForm
from voronka.intake.services import ratelimit
from voronka.intake.services.inbound import build_inbound
from voronka.intake.services.requests import store_request
from voronka.lib.errors import Invalid, NotFound, Refused

DEFAULT_TYPES = ("application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp")


@dataclass(frozen=True)
class Upload:
    """A file as the adapter received it."""

    name: str
    declared_type: str
    content: bytes


def allowed_types(form: WebForm) -> list[str]:
    return list(form.allowed_types or DEFAULT_TYPES)


def max_body_size(form: WebForm) -> int:
    """Return the largest request body the form's endpoint accepts."""
    files = form.max_attachment_size * form.max_attachments if form.attachments_allowed else 0
    return files + 256 * 1024


def accept_submission(
    form: WebForm,
    *,
    values: Mapping[str, Any],
    files: list[Upload],
    remote_addr: str | None,
    headers: dict[str, str],
    raw: bytes = b"",
) -> IntakeRequest:
    """Check and store one form post; return the stored request (spam is stored as spam)."""
    if not form.channel.is_active:
        raise NotFound("form.not_found", _("This form is not accepting requests."))
    if not ratelimit.hit(f"form:{form.pk}:{remote_addr or '-'}", limit=form.rate_limit):
        raise Refused("form.rate_limited", _("Too many requests. Please try again in a minute."))
    page = str(values.get("_page") or headers.get("Referer") or "")
    referrer = str(values.get("_referrer") or "")
    if str(values.get(form.honeypot_field) or "").strip():
        row, _new = store_request(
            form.channel,
            payload={"values": _plain(values)},
            raw=raw,
            headers=headers,
            remote_addr=remote_addr,
            status=IntakeRequest.Status.SPAM,
            error_code="form.honeypot",
            error="The hidden honeypot field was filled.",
        )
        return row
    payload = form_channel.build_payload(
        form.fields, values, consent_text=form.consent_text, page=page, referrer=referrer
    )
    checked = _check_files(form, files)
    payload["data"]["form_id"] = form.pk
    return _store(form, payload=payload, raw=raw, files=checked, remote_addr=remote_addr, headers=headers)


@transaction.atomic
def _store(
    form: WebForm,
    *,
    payload: dict[str, Any],
    raw: bytes,
    files: list[tuple[Upload, str]],
    remote_addr: str | None,
    headers: dict[str, str],
) -> IntakeRequest:
    row, _new = store_request(
        form.channel, payload=payload, raw=raw, headers=headers, remote_addr=remote_addr
    )
    for upload, content_type in files:
        store_attachment(row, name=upload.name, content_type=content_type, content=upload.content)
    return row


def store_attachment(row: IntakeRequest, *, name: str, content_type: str, content: bytes) -> Attachment:
    """Save a file of a request under MEDIA_ROOT."""
    safe = get_valid_filename(name.replace("/", "_").replace("\\", "_")) or "file"
    attachment = Attachment(request=row, name=name[:255], content_type=content_type[:100], size=len(content))
    attachment.file.save(safe[-100:], ContentFile(content), save=False)
    attachment.save()
    return attachment


def _check_files(form: WebForm, files: list[Upload]) -> list[tuple[Upload, str]]:
    if not files:
        return []
    if not form.attachments_allowed:
        raise Invalid(
            "form.no_attachments", _("This form takes no files."), details={"files": _("Not allowed.")}
        )
    if len(files) > form.max_attachments:
        raise Invalid(
            "form.too_many_files",
            _("At most %(n)d files.") % {"n": form.max_attachments},
            details={"files": _("Too many files.")},
        )
    allowed = allowed_types(form)
    checked = []
    for upload in files:
        if len(upload.content) > form.max_attachment_size:
            raise Invalid(
                "form.file_too_large",
                _("“%(name)s” is larger than %(size)d KB.")
                % {"name": upload.name, "size": form.max_attachment_size // 1024},
                details={"files": upload.name},
            )
        sniffed = sniff_type(upload.content)
        if sniffed not in allowed:
            raise Invalid(
                "form.file_type",
                _("“%(name)s” is not an allowed kind of file.") % {"name": upload.name},
                details={"files": upload.name, "type": sniffed},
            )
        checked.append((upload, sniffed))
    return checked


def sniff_type(content: bytes) -> str:
    """Return the MIME type the content really has (magic numbers; plain text when it reads as text)."""
    kind = filetype.guess(content[:8192])
    if kind is not None:
        return kind.mime
    try:
        content[:65536].decode("utf-8")
    except UnicodeDecodeError:
        return "application/octet-stream"
    return "text/plain" if b"\x00" not in content[:65536] else "application/octet-stream"


def _plain(values: Mapping[str, Any]) -> dict[str, str]:
    return {str(key)[:100]: str(value)[:1000] for key, value in list(values.items())[:50]}


def prepare(row: IntakeRequest):
    """Return the core request of a form post."""
    return build_inbound(row)


def finish(row: IntakeRequest, result: InboundResult) -> events.FormSubmitted:
    """Return form.submitted for the routed post."""
    return events.FormSubmitted(
        form_id=int(row.payload.get("data", {}).get("form_id") or 0),
        channel_id=row.channel_id,
        request_id=row.pk,
        kind=result.item.kind.value,
        item_id=result.item.pk,
        outcome=result.outcome,
    )
