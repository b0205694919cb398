"""Inbound webhooks and the migration id map (the b24 app's own rows).

Rules enforced here:
- a webhook acts as an active, non-system user; an administrator makes one for anybody, a
  user for themselves;
- a webhook's scopes are among SCOPES; the code is random and only its digest is stored;
- a migrated object is recorded once per (portal, entity, source id).
"""

import datetime as dt
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import User
from voronka.accounts.rights import is_administrator
from voronka.b24.models import InboundWebhook, MigratedObject
from voronka.lib.errors import Forbidden, Invalid

SCOPES = ("crm", "user")
TOUCH_EVERY = dt.timedelta(minutes=1)


def code_digest(code: str) -> str:
    """Return the digest under which a webhook code is stored."""
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def clean_scopes(scopes) -> list[str]:
    """Return the scopes as a sorted list, or raise Invalid for an unknown one."""
    if isinstance(scopes, str):
        scopes = scopes.split(",")
    names = sorted({str(s).strip().lower() for s in scopes or SCOPES if str(s).strip()})
    unknown = [name for name in names if name not in SCOPES]
    if unknown or not names:
        raise Invalid(
            "b24.bad_scope",
            _("Scopes are among: %(known)s.") % {"known": ", ".join(SCOPES)},
            details={"scopes": unknown},
        )
    return names


@transaction.atomic
def create_webhook(*, user: User, actor: User, scopes=SCOPES, name: str = "") -> tuple[InboundWebhook, str]:
    """Create an inbound webhook for `user`; return it with its code, which is never shown again."""
    if actor.pk != user.pk and not actor.is_system and not is_administrator(actor):
        raise Forbidden("b24.not_yours", _("Only administrators create webhooks for other people."))
    if user.is_system or not user.is_active:
        raise Invalid("b24.inactive_user", _("%(user)s cannot sign in.") % {"user": user.username})
    code = secrets.token_hex(8)  # 16 characters, as Bitrix24's
    webhook = InboundWebhook.objects.create(
        user=user,
        name=(name or "").strip()[:100],
        code_hash=code_digest(code),
        prefix=code[:4],
        scopes=clean_scopes(scopes),
    )
    return webhook, code


@transaction.atomic
def update_webhook(
    webhook: InboundWebhook, *, actor: User, is_active: bool, scopes=None, name: str | None = None
) -> InboundWebhook:
    """Switch a webhook on or off, or change its scopes or name."""
    if actor.pk != webhook.user_id and not actor.is_system and not is_administrator(actor):
        raise Forbidden("b24.not_yours", _("Only administrators change other people's webhooks."))
    webhook.is_active = is_active
    if scopes is not None:
        webhook.scopes = clean_scopes(scopes)
    if name is not None:
        webhook.name = name.strip()[:100]
    webhook.save(update_fields=["is_active", "scopes", "name"])
    return webhook


def touch(webhook: InboundWebhook) -> None:
    """Record that the webhook was used (at most once a minute)."""
    now = timezone.now()
    if webhook.last_used_at is None or now - webhook.last_used_at > TOUCH_EVERY:
        InboundWebhook.objects.filter(pk=webhook.pk).update(last_used_at=now)
        webhook.last_used_at = now


def remember(*, portal: str, entity: str, source_id, local_id: int) -> None:
    """Record what a migrated object became (a second call for the same object changes nothing)."""
    MigratedObject.objects.get_or_create(
        portal=portal, entity=entity, source_id=str(source_id), defaults={"local_id": local_id}
    )
