"""voronka b24: inbound webhooks of the Bitrix24 dialect (/rest/<user id>/<code>/<method>)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.services import system_user
from voronka.b24.models import InboundWebhook
from voronka.b24.services import create_webhook, update_webhook
from voronka.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Bitrix24-style inbound webhooks: `b24 webhook create --user U [--scope crm,user] [--name N]` prints "
        "the URL once; `b24 webhook list`; `b24 webhook disable ID`."
    )

    def add_arguments(self, parser):
        kinds = parser.add_subparsers(dest="kind", required=True)
        webhook = kinds.add_parser("webhook", help="inbound webhooks")
        actions = webhook.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a webhook and print its URL (shown only once)")
        create.add_argument("--user", required=True, help="login of the user the webhook acts as")
        create.add_argument("--scope", default="crm,user", help="comma-separated scopes (crm, user)")
        create.add_argument("--name", default="", help="what the webhook is for")
        create.add_argument("--base-url", default=None, help="the public address (default: PUBLIC_URL)")
        create.add_argument("--quiet", action="store_true", help="print the URL alone")
        actions.add_parser("list", help="list webhooks (never their codes)")
        disable = actions.add_parser("disable", help="switch a webhook off")
        disable.add_argument("webhook_id", type=int)

    def handle(self, *args, kind, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise CommandError(str(error.message)) from error

    def _create(self, *, user, scope, name, base_url, quiet, **options):
        owner = User.objects.filter(username=user, is_system=False).first()
        if owner is None:
            raise CommandError(_("There is no user “%(name)s”.") % {"name": user})
        webhook, code = create_webhook(user=owner, actor=system_user(), scopes=scope, name=name)
        url = f"{(base_url or settings.PUBLIC_URL).rstrip('/')}/rest/{owner.pk}/{code}/"
        if quiet:
            self.stdout.write(url)
            return
        self.stdout.write(
            _("Webhook %(id)s for %(user)s (scopes: %(scopes)s), shown only once:")
            % {"id": webhook.pk, "user": owner.username, "scopes": ", ".join(webhook.scopes)}
        )
        self.stdout.write(self.style.SUCCESS(url))

    def _list(self, **options):
        for webhook in InboundWebhook.objects.select_related("user").order_by("pk"):
            state = _("active") if webhook.is_active else _("disabled")
            last = webhook.last_used_at.isoformat(timespec="seconds") if webhook.last_used_at else "-"
            self.stdout.write(
                f"{webhook.pk}\t{webhook.user.username}\t{webhook.prefix}…\t{','.join(webhook.scopes)}\t{state}\t{last}"
                f"\t{webhook.name}"
            )

    def _disable(self, *, webhook_id, **options):
        webhook = InboundWebhook.objects.filter(pk=webhook_id).first()
        if webhook is None:
            raise CommandError(_("There is no webhook %(id)s.") % {"id": webhook_id})
        update_webhook(webhook, actor=system_user(), is_active=False)
        self.stdout.write(self.style.SUCCESS(_("Webhook %(id)s disabled.") % {"id": webhook_id}))
