"""The timeline of an item: every service writes what happened here.

Rules enforced here:
- a comment is not empty and at most 10,000 characters;
- only the author or an administrator edits or deletes a comment; other entries are never edited.
"""

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm import bulk_insert, events
from voronka.crm.models import TimelineEntry
from voronka.lib import bus
from voronka.lib.errors import Forbidden, Invalid

Kind = TimelineEntry.Kind


def record(
    item, *, kind: str, actor: User | None, text: str = "", data: dict[str, Any] | None = None, at=None
) -> TimelineEntry:
    """Append an entry to the item's timeline."""
    return bulk_insert.insert_one(new_entry(item, kind=kind, actor=actor, text=text, data=data, at=at))


def new_entry(
    item, *, kind: str, actor: User | None, text: str = "", data: dict[str, Any] | None = None, at=None
) -> TimelineEntry:
    """The (unsaved) entry `record()` writes, for a caller that inserts it with other rows."""
    return bulk_insert.new(
        TimelineEntry,
        {item.kind.value: item, "actor": actor},
        kind=kind,
        text=text,
        data=data or {},
        created_at=at or timezone.now(),
    )


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise Invalid("comment.empty", _("Write something first."), details={"text": _("Required.")})
    if len(text) > 10_000:
        raise Invalid("comment.too_long", _("A comment is at most 10,000 characters."))
    return text


@transaction.atomic
def add_comment(item, *, text: str, actor: User, files: list[dict[str, Any]] | None = None) -> TimelineEntry:
    """Add a comment to the item's timeline."""
    entry = record(item, kind=Kind.COMMENT, actor=actor, text=_clean_text(text), data={"files": files or []})
    bus.publish(
        events.CommentAdded(kind=item.kind.value, item_id=item.pk, entry_id=entry.pk, actor_id=actor.pk)
    )
    return entry


def _check_author(entry: TimelineEntry, actor: User) -> None:
    if entry.kind != Kind.COMMENT:
        raise Forbidden("comment.not_a_comment", _("Only comments can be changed."))
    if entry.actor_id != actor.pk and not is_administrator(actor):
        raise Forbidden("comment.not_author", _("Only the author may change this comment."))


@transaction.atomic
def update_comment(entry: TimelineEntry, *, text: str, actor: User) -> TimelineEntry:
    """Change the text of a comment."""
    _check_author(entry, actor)
    entry.text = _clean_text(text)
    entry.data = {**entry.data, "edited_at": timezone.now().isoformat()}
    entry.save(update_fields=["text", "data"])
    return entry


@transaction.atomic
def delete_comment(entry: TimelineEntry, *, actor: User) -> None:
    """Delete a comment."""
    _check_author(entry, actor)
    entry.delete()


@transaction.atomic
def pin(entry: TimelineEntry, *, pinned: bool, actor: User) -> TimelineEntry:
    """Pin an entry to the top of the timeline, or unpin it."""
    entry.is_pinned = pinned
    entry.save(update_fields=["is_pinned"])
    return entry
