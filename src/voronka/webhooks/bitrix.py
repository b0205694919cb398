"""The Bitrix24 delivery format: `event.bind` subscriptions receive Bitrix24's form-encoded posts.

ONCRMLEADADD and its kin map onto the catalogue's events filtered by item kind; the body is
`event=ONCRMLEADADD&event_handler_id=…&data[FIELDS][ID]=7&ts=…&auth[application_token]=<secret>…`,
as a Bitrix24 portal sends it (receivers check `auth[application_token]`).
"""

import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings

# Bitrix24 event → (catalogue events, item kind).
EVENTS: dict[str, tuple[tuple[str, ...], str]] = {}
for _kind in ("lead", "deal", "contact", "company"):
    _upper = _kind.upper()
    EVENTS[f"ONCRM{_upper}ADD"] = (("item.created",), _kind)
    EVENTS[f"ONCRM{_upper}UPDATE"] = (("item.updated", "item.stage_changed"), _kind)
    EVENTS[f"ONCRM{_upper}DELETE"] = (("item.deleted",), _kind)
EVENTS["ONCRMTIMELINECOMMENTADD"] = (("timeline.comment_added",), "")


def catalogue_events(bitrix_event: str) -> list[str]:
    """The catalogue events a Bitrix24 event is made of."""
    return list(EVENTS[bitrix_event.upper()][0])


def wants(bitrix_event: str, event: str, data: dict[str, Any]) -> bool:
    """Return True when a catalogue event is the Bitrix24 event a subscription is bound to."""
    names, kind = EVENTS.get(bitrix_event.upper(), ((), ""))
    return event in names and (not kind or data.get("kind") == kind)


def form_body(*, bitrix_event: str, subscription_id: int, secret: str, data: dict[str, Any]) -> bytes:
    """The form-encoded body of one delivery in Bitrix24's shape."""
    fields = {
        "ID": data.get("entry_id")
        if bitrix_event.upper() == "ONCRMTIMELINECOMMENTADD"
        else data.get("item_id")
    }
    public = urlsplit(settings.PUBLIC_URL)
    pairs = [
        ("event", bitrix_event.upper()),
        ("event_handler_id", str(subscription_id)),
        *[(f"data[FIELDS][{key}]", str(value)) for key, value in fields.items()],
        ("ts", str(int(time.time()))),
        ("auth[domain]", public.netloc),
        ("auth[client_endpoint]", f"{settings.PUBLIC_URL}/rest/"),
        ("auth[server_endpoint]", f"{settings.PUBLIC_URL}/rest/"),
        ("auth[member_id]", "voronka"),
        ("auth[application_token]", secret),
    ]
    return urlencode(pairs).encode()
