"""Phone numbers: parse what people type and keep E.164 (+74951096375).

Duplicate detection and "who is calling?" compare the E.164 form, so every
spelling of a number ("8 (495) 109-63-75", "+7 495 109 63 75") must give one result.
"""

import re

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
    if region == "RU" and (quick := _russian(text)):
        return quick
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


# Digits with spaces, brackets, dots and hyphens, an optional leading "+digit": how Russian numbers are
# written. For these the answer of phonenumbers is known (tests/lib/test_phones.py compares the two),
# and computing it directly is 20 times faster, which matters to a 100,000-row import.
_PLAIN = re.compile(r"^(\+\d)?[\d\s().-]*$")
_NATIONAL_START = "34789"  # the RU general pattern: [347-9]\d{9}


def _russian(text: str) -> str | None:
    """Return the E.164 form of a plainly written +7 number, or None to leave it to phonenumbers."""
    if not _PLAIN.match(text):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("+"):
        return f"+{digits}" if len(digits) == 11 and digits[0] == "7" else None
    if len(digits) == 11 and digits[0] in "78" and digits[1] in _NATIONAL_START:
        return f"+7{digits[1:]}"
    # Ten digits without a trunk prefix; not 8..., which may be the start of the 810 international prefix.
    if len(digits) == 10 and digits[0] in "3479":
        return f"+7{digits}"
    return None


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
