"""Template helpers of the web UI: money, phones, navigation, stage colours."""

from decimal import Decimal

from django import template
from django.utils.translation import get_language

from voronka.lib.phones import format_phone
from voronka.web import navigation

register = template.Library()

SYMBOLS = {"RUB": "₽", "USD": "$", "EUR": "€", "GBP": "£", "KZT": "₸", "CNY": "¥", "TRY": "₺", "UAH": "₴"}


@register.filter
def money(amount, currency: str = "") -> str:
    """Format an amount with grouped thousands and the currency sign: 1 234 567 ₽, 12 500,50 ₽ in Russian."""
    if amount in (None, ""):
        return ""
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, _dot, cents = f"{abs(value):.2f}".partition(".")
    text = f"{int(whole):,}".replace(",", "\u202f")
    if cents != "00":
        text += ("," if (get_language() or "en").startswith("ru") else ".") + cents
    sign = SYMBOLS.get(currency or "", currency or "")
    return f"{'-' if value < 0 else ''}{text}\u00a0{sign}".strip()


@register.filter
def phone(value: str) -> str:
    """Return a readable spelling of an E.164 number."""
    return format_phone(value) if value else ""


@register.filter
def initials(user) -> str:
    """Return up to two initials of a user or a name."""
    if user is None:
        return ""
    name = getattr(user, "display_name", None) or str(user)
    parts = [part for part in name.split() if part]
    return "".join(part[0] for part in parts[:2]).upper() or "?"


@register.simple_tag(takes_context=True)
def nav_items(context, which: str = "main"):
    """Return the navigation entries (see voronka.web.navigation) for the current user."""
    entries = navigation.MAIN if which == "main" else navigation.SECONDARY
    return navigation.items_for(context["request"], entries)


@register.filter
def get_item(mapping, key):
    """Return mapping[key] (or None)."""
    if mapping is None:
        return None
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def get_attr(obj, name: str):
    """Return obj.<name> (for columns chosen at run time)."""
    return getattr(obj, name, None)


@register.filter
def stage_of(item):
    """Return a lead's status or a deal's stage."""
    return getattr(item, "status", None) if item.kind == "lead" else getattr(item, "stage", None)
