"""The navigation bar: one list, in one place.

Other apps' pages join the bar by adding a NavItem here (the import wizard, analytics,
"My activities"...). `url` is a URL name; `prefix` marks the item active on every page
below it; `admin_only` hides it from users who may not configure the CRM.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from voronka.accounts.rights import is_administrator


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    prefix: str
    admin_only: bool = False


MAIN = [
    NavItem(_("Leads"), "web:lead-board", "/leads/"),
    NavItem(_("Deals"), "web:deal-board", "/deals/"),
    NavItem(_("Contacts"), "web:contact-list", "/contacts/"),
    NavItem(_("Companies"), "web:company-list", "/companies/"),
    NavItem(_("Activities"), "activities:mine", "/activities/"),
    NavItem(_("Analytics"), "analytics:dashboard", "/analytics/"),
]
SECONDARY = [
    NavItem(_("Imports"), "imports:history", "/imports/"),
    NavItem(_("Recycle bin"), "web:recycle-bin", "/recycle-bin/"),
    NavItem(_("Intake channels"), "web_intake:channels", "/intake/", admin_only=True),
    NavItem(_("Automation"), "web_automation:index", "/automation/", admin_only=True),
    NavItem(_("Settings"), "web:settings", "/settings/", admin_only=True),
]


def items_for(request, entries: list[NavItem]) -> list[dict]:
    """Return the entries `request.user` may see, with their URLs and whether they are active."""
    is_admin = is_administrator(request.user)
    shown = []
    for entry in entries:
        if entry.admin_only and not is_admin:
            continue
        try:
            url = reverse(entry.url)
        except NoReverseMatch:
            continue
        shown.append({"label": entry.label, "url": url, "active": request.path.startswith(entry.prefix)})
    return shown
