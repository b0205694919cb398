"""Web form posts: check a submission against its form and turn it into a request payload.

No writes here (the services store and route); every bad field is reported at once, keyed by
the form's field name, so the embedded form can show each message next to its field.
"""

from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from django.utils.translation import gettext_lazy as _

from voronka.lib.emails import normalize_email
from voronka.lib.errors import Invalid
from voronka.lib.phones import normalize_phone

# Form field targets: where a value goes on the lead (or the contact and deal in simple mode).
NAME_TARGETS = ("first_name", "last_name", "second_name", "company_title", "title")
TARGETS = (*NAME_TARGETS, "phone", "email", "message", "messenger")
FIELD_TYPES = ("text", "textarea", "tel", "email", "checkbox", "select", "number", "date", "hidden")
UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
CONSENT_FIELD = "consent"
MAX_VALUE = 5_000
# Names the embed script and browsers add that are not form fields.
SERVICE_FIELDS = {"_page", "_referrer", "csrfmiddlewaretoken", *UTM_KEYS}


def clean_definition(fields: Any) -> list[dict[str, Any]]:
    """Validate a form's field list (the form builder's output); return it normalised."""
    if not isinstance(fields, list) or not fields:
        raise Invalid("form.no_fields", _("A form needs at least one field."))
    cleaned: list[dict[str, Any]] = []
    names: set[str] = set()
    for index, raw in enumerate(fields):
        if not isinstance(raw, Mapping):
            raise Invalid("form.bad_field", _("Field %(n)s is not described.") % {"n": index + 1})
        name = str(raw.get("name") or "").strip()
        target = str(raw.get("target") or "").strip()
        kind = str(raw.get("type") or "text").strip()
        if not name.isidentifier() or name in names or name in SERVICE_FIELDS or name == CONSENT_FIELD:
            raise Invalid("form.bad_field_name", _("Field name “%(name)s” is not usable.") % {"name": name})
        if target not in TARGETS and not (target.startswith("custom:") and len(target) > 7):
            raise Invalid("form.bad_target", _("Field “%(name)s” maps nowhere.") % {"name": name})
        if kind not in FIELD_TYPES:
            raise Invalid("form.bad_type", _("Field “%(name)s” has an unknown type.") % {"name": name})
        names.add(name)
        cleaned.append(
            {
                "name": name,
                "label": str(raw.get("label") or name)[:200],
                "type": kind,
                "target": target,
                "required": bool(raw.get("required")),
                "options": [str(option)[:200] for option in raw.get("options") or []],
            }
        )
    if not any(field["target"] in ("phone", "email", "messenger", *NAME_TARGETS[:3]) for field in cleaned):
        raise Invalid("form.no_contact_field", _("A form needs a name, phone or e-mail field."))
    return cleaned


def build_payload(
    form_fields: list[dict[str, Any]],
    values: Mapping[str, Any],
    *,
    consent_text: str,
    page: str = "",
    referrer: str = "",
) -> dict[str, Any]:
    """Return the request payload of one submission, or raise Invalid with per-field messages."""
    errors: dict[str, str] = {}
    payload: dict[str, Any] = {"phones": [], "emails": [], "messengers": [], "custom": {}, "message": ""}
    shown: dict[str, str] = {}
    for field in form_fields:
        name = field["name"]
        value = _value(values.get(name))
        if field["type"] == "checkbox":
            value = "yes" if value and value.lower() not in ("0", "false", "off", "no") else ""
        if not value:
            if field["required"]:
                errors[name] = str(_("Required."))
            continue
        if len(value) > MAX_VALUE:
            errors[name] = str(_("At most %(limit)d characters.") % {"limit": MAX_VALUE})
            continue
        if field["type"] == "select" and field["options"] and value not in field["options"]:
            errors[name] = str(_("Choose one of the options."))
            continue
        try:
            _put(payload, field["target"], value)
        except Invalid as error:
            errors[name] = str(error.message)
            continue
        shown[str(field["label"])] = value
    if consent_text and not _value(values.get(CONSENT_FIELD)):
        errors[CONSENT_FIELD] = str(_("Please agree to continue."))
    if errors:
        raise Invalid("form.invalid", _("Please correct the marked fields."), details=errors)
    payload["utm"] = utm_of(values, page)
    payload["data"] = {
        "fields": shown,
        "page": page[:1000],
        "referrer": referrer[:1000],
        **({"consent": consent_text[:1000]} if consent_text else {}),
    }
    return payload


def _value(raw: Any) -> str:
    if isinstance(raw, list | tuple):
        raw = ", ".join(str(item) for item in raw if item not in (None, ""))
    if raw is None or isinstance(raw, dict):
        return ""
    if isinstance(raw, bool):
        return "yes" if raw else ""
    return str(raw).strip()


def _put(payload: dict[str, Any], target: str, value: str) -> None:
    if target == "phone":
        normalize_phone(value)
        payload["phones"].append(value)
    elif target == "email":
        normalize_email(value)
        payload["emails"].append(value)
    elif target == "messenger":
        payload["messengers"].append(value)
    elif target == "message":
        payload["message"] = f"{payload['message']}\n{value}".strip()
    elif target.startswith("custom:"):
        payload["custom"][target.removeprefix("custom:")] = value
    else:
        payload[target] = value[:255]


def utm_of(values: Mapping[str, Any], page: str) -> dict[str, str]:
    """Return the UTM tags of a submission: posted ones first, else those of the page's address."""
    tags = {key: _value(values.get(key))[:500] for key in UTM_KEYS if _value(values.get(key))}
    if page:
        for key, value in parse_qsl(urlsplit(page).query):
            if key in UTM_KEYS and key not in tags and value:
                tags[key] = value[:500]
    return tags
