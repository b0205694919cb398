"""Board cards: the few columns a card shows, read as plain rows, and its face formatted once.

A board shows 160 cards. Read as model instances with their responsible, contact and company
(four objects a card, every column converted), and printed through the template's filters and
related-object lookups, they cost more Python time than every query of the page together. So a
card's row is a `values()` row of just what it prints (`CARD_VALUES`), its face is formatted here
in one pass, and the card template only prints strings.

The next activity and the overdue badge come from
`voronka.activities.selectors.annotate_next_activity`, asked once for every card on the page
(one query keyed by the cards' ids) rather than as an annotation of each column's query: eight
columns would build and compile the seven subqueries eight times.
"""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.activities.selectors import annotate_next_activity
from voronka.crm.selectors.items import visible
from voronka.lib.text import person_name
from voronka.web.templatetags.web import initials, money
from voronka.web.views.common import card_prefix

EXTRAS = ("next_activity_id", "next_activity_deadline", "next_activity_subject", "overdue_count")
_COMMON = ("id", "title", "amount", "currency", "is_closed", "created_at")
_USER = ("assigned_to__first_name", "assigned_to__last_name", "assigned_to__username")
CARD_VALUES = {
    "lead": (*_COMMON, *_USER, "first_name", "second_name", "last_name", "company_title"),
    "deal": (
        *_COMMON,
        *_USER,
        "contact__first_name",
        "contact__second_name",
        "contact__last_name",
        "company__title",
    ),
}


@dataclass(frozen=True, slots=True)
class CardLabels:
    """The fixed words of a card, translated once per page rather than once per card."""

    move: str
    overdue: str
    no_activity: str

    @classmethod
    def now(cls) -> "CardLabels":
        return cls(move=_("Move to…"), overdue=_("Overdue"), no_activity=_("No activity planned"))


@dataclass(frozen=True, slots=True)
class CardFace:
    """The strings a board card prints besides its title."""

    amount: str
    meta: tuple[str, ...]
    show_activity: bool
    activity: str
    overdue: int
    who: str
    initials: str
    created: str
    labels: CardLabels


@dataclass(frozen=True, slots=True)
class Card:
    """One board card: the item's id, title, card URL and element id, and its face."""

    pk: int
    title: str
    face: CardFace
    url: str
    dom_id: str


def cards(user, kind: str, rows: list[dict]) -> list[Card]:
    """Return the cards of `rows` (dicts of CARD_VALUES[kind]), their next activities read in one query."""
    if not rows:
        return []
    extras = annotate_next_activity(visible(user, kind).filter(pk__in=[row["id"] for row in rows]), kind)
    found = {row[0]: row[1:] for row in extras.order_by().values_list("pk", *EXTRAS)}
    labels = CardLabels.now()
    prefix = card_prefix(kind)
    return [
        Card(
            pk=row["id"],
            title=row["title"],
            face=card_face(row, kind, found.get(row["id"]), labels),
            url=f"{prefix}{row['id']}/",
            dom_id=f"{kind}-{row['id']}",
        )
        for row in rows
    ]


def card_of(user, kind: str, item_id: int) -> Card | None:
    """Return the card of one item `user` may see, or None."""
    rows = list(visible(user, kind).filter(pk=item_id).values(*CARD_VALUES[kind]))
    return cards(user, kind, rows)[0] if rows else None


def card_face(row: dict, kind: str, extras: tuple | None, labels: CardLabels) -> CardFace:
    """Return what the card of `row` prints; `extras` are its EXTRAS values (None: no activity)."""
    activity_id, deadline, subject, overdue = extras or (None, None, None, 0)
    title = row["title"] or ""
    if kind == "deal":
        company = row["company__title"] or ""
        contact = person_name(
            row["contact__first_name"], row["contact__second_name"], row["contact__last_name"]
        )
        meta = ([company] if company and company not in title else []) + ([contact] if contact else [])
    else:
        person = person_name(row["first_name"], row["second_name"], row["last_name"])
        meta = [text for text in (person, row["company_title"]) if text and text not in title]
    activity = ""
    if activity_id:
        when = timezone.localtime(deadline).strftime("%d.%m %H:%M") if deadline else ""
        activity = f"{Truncator(subject or _('Activity')).chars(40)} · {when}"
    username = row["assigned_to__username"]
    who = (
        User.name_of(row["assigned_to__first_name"], row["assigned_to__last_name"], username)
        if username
        else ""
    )
    created = row["created_at"]
    return CardFace(
        amount=money(row["amount"], row["currency"]) if row["amount"] else "",
        meta=tuple(meta),
        show_activity=bool(activity_id or not row["is_closed"]),
        activity=activity,
        overdue=overdue or 0,
        who=who,
        initials=initials(who) if who else "",
        created=timezone.localtime(created).strftime("%d.%m.%Y") if created else "",
        labels=labels,
    )
