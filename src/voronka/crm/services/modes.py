"""The working mode: classic (requests become leads) or simple (a client and a deal at once).

Rules enforced here:
- only administrators switch the mode;
- switching to simple converts every open lead (closed leads stay as they are), so the
  simple mode never has open leads; new leads created in simple mode convert at once;
- switching back to classic converts nothing back.
"""

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.crm import events
from voronka.crm.models import CrmSettings, Lead, Pipeline
from voronka.crm.services.conversion import convert_lead
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.lib import bus
from voronka.lib.errors import Forbidden, Invalid

Mode = CrmSettings.Mode


def crm_settings() -> CrmSettings:
    """Return the settings row, creating it with the defaults when missing."""
    row, _created = CrmSettings.objects.get_or_create(pk=1)
    return row


def current_mode() -> str:
    """Return "classic" or "simple"."""
    row = CrmSettings.objects.filter(pk=1).only("mode").first()
    return row.mode if row else Mode.CLASSIC


@transaction.atomic
def set_mode(mode: str, *, actor: User, pipeline: Pipeline | None = None) -> int:
    """Switch the working mode; return how many open leads were converted."""
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators may switch the working mode."))
    if mode not in Mode.values:
        raise Invalid("mode.unknown", _("Unknown working mode “%(mode)s”.") % {"mode": mode})
    if pipeline is not None and pipeline.kind != Pipeline.Kind.DEAL:
        raise Invalid("mode.bad_pipeline", _("New deals need a deal pipeline."))
    row = CrmSettings.objects.select_for_update().get_or_create(pk=1)[0]
    row.mode = mode
    if pipeline is not None:
        row.simple_mode_pipeline = pipeline
    row.save()
    converted = 0
    if mode == Mode.SIMPLE:
        target = row.simple_mode_pipeline
        for lead in (
            Lead.objects.filter(is_closed=False).select_related("status").order_by("pk").iterator(500)
        ):
            # A known client (same phone or e-mail) is reused rather than copied.
            convert_lead(lead, actor=actor, pipeline=target, on_duplicate=DuplicatePolicy.SKIP)
            converted += 1
    bus.publish(events.ModeChanged(mode=mode, converted_leads=converted, actor_id=actor.pk))
    return converted


def open_lead_count() -> int:
    """Return how many leads a switch to simple mode would convert."""
    return Lead.objects.filter(is_closed=False).count()
