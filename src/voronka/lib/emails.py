"""E-mail addresses: validate syntax (no DNS look-ups) and keep one lower-case form."""

from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email

from voronka.lib.errors import Invalid


def normalize_email(raw: str) -> str:
    """Return the lower-cased address, or raise Invalid when its syntax is wrong."""
    text = (raw or "").strip()
    if not text:
        raise Invalid("email.empty", _("The e-mail address is empty."))
    try:
        result = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as error:
        raise Invalid(
            "email.invalid",
            _("“%(value)s” is not an e-mail address.") % {"value": text},
            details={"value": text, "reason": str(error)},
        ) from error
    return result.normalized.lower()


def try_normalize_email(raw: str) -> str | None:
    """Return the normalized address, or None when it is not one."""
    try:
        return normalize_email(raw)
    except Invalid:
        return None
