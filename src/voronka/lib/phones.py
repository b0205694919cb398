"""Phone numbers: parse what people type and keep E.164 (+74951096375).

Duplicate detection and "who is calling?" compare the E.164 form, so every
spelling of a number ("8 (495) 109-63-75", "+7 495 109 63 75") must give one result.
"""

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from voronka.lib.errors import Invalid


def normalize_phone(raw: str, *, region: str | None = None) -> str:
    """Return the E.164 form of `raw`, or raise Invalid when it is not a possible number."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("phone.empty", _("The phone number is empty."))
    region = (region or settings.DEFAULT_PHONE_REGION or "RU").upper()
    # Russian habit: a leading 8 is the trunk prefix of +7 (phonenumbers knows it for RU only).
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise Invalid(
            "phone.invalid",
            _("“%(value)s” is not a phone number.") % {"value": text},
            details={"value": text},
        ) from error
    if not phonenumbers.is_possible_number(number):
        raise Invalid(
            "phone.invalid",
            _("“%(value)s” is not a phone number.") % {"value": text},
            details={"value": text},
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str, *, region: str | None = None) -> str | None:
    """Return the E.164 form of `raw`, or None when it is not a phone number."""
    try:
        return normalize_phone(raw, region=region)
    except Invalid:
        return None


def format_phone(e164: str) -> str:
    """Return a readable international spelling of an E.164 number."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
