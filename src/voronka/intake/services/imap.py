"""Polling IMAP mailboxes: fetch new messages, store and route them; the schedule that repeats it.

Rules enforced here:
- a poll is claimed by moving the channel's `next_poll_at` forward with a conditional UPDATE
  (WHERE next_poll_at = the due time): of two workers holding the same scheduled run, one polls;
- the mailbox is read-only for the CRM: messages are fetched by UID above the last one seen
  (kept per UIDVALIDITY in the channel's settings), never deleted or flagged;
- every message is stored before it is routed, and a message fetched twice is recognised by
  its Message-ID (mail.accept_mail).
"""

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.utils import timezone
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from voronka.intake.models import Channel
from voronka.intake.services.mail import accept_mail
from voronka.intake.services.routing import route_request

logger = logging.getLogger(__name__)
BATCH = 50
DEFAULT_INTERVAL = 60


def interval_of(channel: Channel) -> dt.timedelta:
    seconds = int((channel.config.get("imap") or {}).get("interval") or DEFAULT_INTERVAL)
    return dt.timedelta(seconds=max(seconds, 10))


def claim_poll(channel_id: int, due: dt.datetime) -> dt.datetime | None:
    """Claim the poll due at `due`; return when the next one is due, or None if it is not ours."""
    channel = Channel.objects.filter(pk=channel_id, kind=Channel.Kind.EMAIL, is_active=True).first()
    if channel is None or not channel.config.get("imap"):
        return None
    following = max(due + interval_of(channel), timezone.now()).replace(microsecond=0)
    claimed = Channel.objects.filter(pk=channel_id, next_poll_at=due).update(next_poll_at=following)
    return following if claimed else None


def poll_mailbox(channel: Channel, *, client_class: Any = IMAPClient) -> int:
    """Fetch the mailbox's new messages, store and route each; return how many were new."""
    settings_ = channel.config.get("imap") or {}
    state = dict(channel.config.get("imap_state") or {})
    new = 0
    try:
        with client_class(
            settings_["host"],
            port=int(settings_.get("port") or 993),
            ssl=bool(settings_.get("ssl", True)),
            timeout=30,
        ) as client:
            client.login(settings_["username"], settings_["password"])
            folder = client.select_folder(settings_.get("folder") or "INBOX", readonly=True)
            validity = int(folder.get(b"UIDVALIDITY", 0))
            last = int(state.get("last_uid", 0)) if state.get("uidvalidity") == validity else 0
            uids = sorted(uid for uid in client.search(["UID", f"{last + 1}:*"]) if uid > last)
            for start in range(0, len(uids), BATCH):
                batch = uids[start : start + BATCH]
                for uid, data in sorted(client.fetch(batch, ["RFC822"]).items()):
                    row, created = accept_mail(
                        channel, bytes(data.get(b"RFC822") or b""), envelope={"imap_uid": uid}
                    )
                    if created:
                        new += 1
                        route_request(row.pk)
                _save_state(channel, uidvalidity=validity, last_uid=batch[-1])
    except (IMAPClientError, OSError, KeyError) as error:
        logger.warning("IMAP poll of channel %s failed: %s", channel.pk, error)
        _save_state(channel, error=f"{type(error).__name__}: {error}")
    return new


@transaction.atomic
def _save_state(channel: Channel, **values: Any) -> None:
    locked = Channel.objects.select_for_update().get(pk=channel.pk)
    state = {**(locked.config.get("imap_state") or {}), "polled_at": timezone.now().isoformat()}
    if "error" not in values:
        state.pop("error", None)
    state.update(values)
    locked.config = {**locked.config, "imap_state": state}
    locked.save(update_fields=["config"])
    channel.config = locked.config


def due_time(channel: Channel) -> dt.datetime:
    """Return when the channel's next poll is due (now, for a mailbox never scheduled)."""
    if channel.next_poll_at is None:
        now = timezone.now().replace(microsecond=0)
        Channel.objects.filter(pk=channel.pk, next_poll_at=None).update(next_poll_at=now)
        channel.next_poll_at = Channel.objects.values_list("next_poll_at", flat=True).get(pk=channel.pk)
    return channel.next_poll_at


def mailboxes() -> list[Channel]:
    """Return the active e-mail channels that poll an IMAP mailbox."""
    return [
        c for c in Channel.objects.filter(kind=Channel.Kind.EMAIL, is_active=True) if c.config.get("imap")
    ]
