"""Message templates.

Rules enforced here:
- a template has a name, a channel, a body; an e-mail template a subject;
- subject and body must render (a syntax error is reported when saving, not when sending);
- `entity` is empty (any item) or one of lead, deal, contact, company;
- only administrators change templates.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.lib.errors import Forbidden, Invalid
from voronka.messaging import rendering
from voronka.messaging.models import Channel, Template

FIELDS = ("channel", "name", "entity", "subject", "body", "is_active")


def validate(values: dict) -> dict:
    """Return the cleaned fields of a template, or raise Invalid with every problem."""
    errors = {}
    channel = values.get("channel") or Channel.EMAIL
    if channel not in Channel.values:
        errors["channel"] = str(_("E-mail or SMS."))
    if not str(values.get("name") or "").strip():
        errors["name"] = str(_("Required."))
    if (values.get("entity") or "") not in ("", "lead", "deal", "contact", "company"):
        errors["entity"] = str(_("Lead, deal, contact, company or empty."))
    if channel == Channel.EMAIL and not str(values.get("subject") or "").strip():
        errors["subject"] = str(_("Required."))
    if not str(values.get("body") or "").strip():
        errors["body"] = str(_("Required."))
    for field in ("subject", "body"):
        try:
            rendering.render_text(values.get(field) or "", {}, field=field)
        except Invalid as error:
            errors[field] = str(error.message)
    if errors:
        raise Invalid("template.invalid", _("Some fields are wrong."), details=errors)
    return {name: values[name] for name in FIELDS if name in values} | {"channel": channel}


def _require_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("template.admin_only", _("Only administrators change templates."))


@transaction.atomic
def create_template(*, actor: User, **values) -> Template:
    """Create a message template."""
    _require_admin(actor)
    return Template.objects.create(**validate(values), created_by=actor)


@transaction.atomic
def update_template(template: Template, *, actor: User, **values) -> Template:
    """Change a message template."""
    _require_admin(actor)
    current = {name: getattr(template, name) for name in FIELDS}
    for name, value in validate({**current, **values}).items():
        setattr(template, name, value)
    template.updated_at = timezone.now()
    template.save()
    return template
