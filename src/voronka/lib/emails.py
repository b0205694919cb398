"""E-mail addresses: validate syntax (no DNS look-ups) and keep one lower-case form."""

import re

from django.utils.translation import gettext_lazy as _
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email

from voronka.lib.errors import Invalid


def normalize_email(raw: str) -> str:
    """Return the lower-cased address, or raise Invalid when its syntax is wrong."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("email.empty", _("The e-mail address is empty."))
    if quick := _plain(text):
        return quick
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise Invalid(
            "email.invalid",
            _("“%(value)s” is not an e-mail address.") % {"value": text},
            details={"value": text, "reason": str(error)},
        ) from error
    return result.normalized.lower()


# A plain ASCII address (letters, digits, "._+-" before the @, ordinary domain labels): what
# email-validator would accept and lower-case; computed directly, 20 times faster (an import checks
# 100,000 of them). tests/lib/test_emails.py compares the two. Anything else goes to email-validator.
_PLAIN = re.compile(
    r"^(?=.{1,254}$)(?=[^@]{1,64}@)[a-z0-9_+-]+(\.[a-z0-9_+-]+)*@"
    r"([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$",
    re.IGNORECASE,
)


def _plain(text: str) -> str | None:
    if not _PLAIN.match(text) or "--" in text.rpartition("@")[2]:
        return None
    lowered = text.lower()
    domain = lowered.rpartition("@")[2]
    if any(domain == name or domain.endswith(f".{name}") for name in SPECIAL_USE_DOMAIN_NAMES):
        return None
    return lowered


def try_normalize_email(raw: str) -> str | None:
    """Return the normalized address, or None when it is not one."""
    try:
        return normalize_email(raw)
    except Invalid:
        return None
