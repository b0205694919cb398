"""The secret token of each user's iCalendar feed.

Rules enforced here:
- a user has one feed token, made on first use;
- only the user or an administrator regenerates it, which cuts off every old subscription.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.activities.models import CalendarFeed, new_feed_token
from voronka.lib.errors import Forbidden


@transaction.atomic
def feed_of(user: User) -> CalendarFeed:
    """Return the user's feed, making its token on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


@transaction.atomic
def regenerate_feed_token(user: User, *, actor: User) -> CalendarFeed:
    """Give the user's feed a new secret token; the old address stops working."""
    if actor.pk != user.pk and not is_administrator(actor):
        raise Forbidden("calendar.not_yours", _("Only the owner may renew this calendar address."))
    feed = feed_of(user)
    feed.token = new_feed_token()
    feed.save(update_fields=["token"])
    return feed
