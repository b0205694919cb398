"""Reads for messaging: where an item can be written to, its messages, templates."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from voronka.crm.services import comms
from voronka.messaging.models import Channel, Message, Template


@dataclass(frozen=True)
class Address:
    """An e-mail address or phone number of an item (or of its client), for the compose form."""

    value: str  # normalized: lower-case e-mail or E.164 phone
    label: str
    owner: str  # whose it is: the item itself, or its contact / company


def addresses(item, channel: str) -> list[Address]:
    """Return the e-mails (or phones) the item can be written to: its own, or its client's."""
    wanted = "email" if channel == Channel.EMAIL else "phone"
    sources = [item]
    if item.kind.value == "deal":
        sources = [s for s in (item.contact, item.company) if s is not None]
    elif item.kind.value == "lead" and item.contact_id:
        sources.append(item.contact)
    found: list[Address] = []
    seen: set[str] = set()
    for source in sources:
        for comm in comms.of(source):
            if comm.kind == wanted and comm.normalized not in seen:
                seen.add(comm.normalized)
                found.append(Address(value=comm.normalized, label=comm.label, owner=str(source)))
    return found


def of_item(item, *, limit: int = 100) -> QuerySet[Message]:
    """Return the item's latest messages."""
    return Message.objects.filter(**{item.kind.value: item}).select_related("created_by")[:limit]


def templates(channel: str, kind: str | None = None) -> QuerySet[Template]:
    """Return the active templates of a channel usable for items of `kind`."""
    queryset = Template.objects.filter(channel=channel, is_active=True)
    if kind:
        queryset = queryset.filter(Q(entity="") | Q(entity=kind))
    return queryset


def get_by_public_id(public_id) -> Message | None:
    """Return the message a tracking token names, or None."""
    return Message.objects.filter(public_id=public_id).first()


def get_message(message_id: int) -> Message | None:
    """Return a message by id (the caller checks the user may see its item)."""
    return Message.objects.filter(pk=message_id).first()
