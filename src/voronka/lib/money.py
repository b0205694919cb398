"""Money: Decimal amounts with two places and ISO 4217 currency codes."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("9999999999999999.99")
CURRENCIES = ("RUB", "USD", "EUR", "KZT", "BYN", "UAH", "CNY", "GBP", "TRY", "AED")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


def to_amount(value: object, *, field: str = "amount") -> Decimal:
    """Return `value` as a Decimal rounded to cents; accept "1 234,50" and "1,234.50" spellings."""
    if value is None or value == "":
        return Decimal("0.00")
    if isinstance(value, bool):
        raise _invalid(value, field)
    if isinstance(value, Decimal | int):
        amount = Decimal(value)
    elif isinstance(value, float):
        amount = Decimal(str(value))
    else:
        amount = _parse_text(str(value), field)
    if not amount.is_finite():
        raise _invalid(value, field)
    if abs(amount) > MAX_AMOUNT:
        raise Invalid("amount.too_large", _("The amount is too large."), details={"field": field})
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _parse_text(text: str, field: str) -> Decimal:
    cleaned = re.sub(r"[\s\u00a0\u202f']", "", text.strip())
    cleaned = re.sub(r"[^\d,.\-+]", "", cleaned) if re.search(r"\d", cleaned) else cleaned
    if "," in cleaned and "." in cleaned:
        # The separator that comes last is the decimal one: "1,234.50" or "1.234,50".
        if cleaned.rfind(",") > cleaned.rfind("."):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        else:
            cleaned = cleaned.replace(",", "")
    elif "," in cleaned:
        head, _sep, tail = cleaned.rpartition(",")
        # "1,234" with exactly three digits after a single comma is a thousands group.
        if cleaned.count(",") > 1 or (len(tail) == 3 and head.lstrip("-+").isdigit() and len(head) <= 3):
            cleaned = cleaned.replace(",", "")
        else:
            cleaned = f"{head.replace(',', '')}.{tail}"
    try:
        return Decimal(cleaned)
    except (InvalidOperation, ValueError):
        raise _invalid(text, field) from None


def _invalid(value: object, field: str) -> Invalid:
    return Invalid(
        "amount.invalid",
        _("“%(value)s” is not an amount.") % {"value": value},
        details={"field": field, "value": str(value)},
    )


def to_currency(value: object, *, default: str) -> str:
    """Return an ISO 4217 code in upper case, or raise Invalid."""
    code = str(value or "").strip().upper() or default
    if not _CURRENCY.match(code):
        raise Invalid(
            "currency.invalid",
            _("“%(value)s” is not a currency code.") % {"value": value},
            details={"field": "currency", "value": str(value)},
        )
    return code
