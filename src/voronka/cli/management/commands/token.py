"""voronka token: create, list and revoke personal API tokens."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from voronka.accounts.models import User
from voronka.accounts.selectors import get_token, tokens
from voronka.accounts.services import create_token, revoke_token, system_user
from voronka.lib.errors import DomainError


class Command(BaseCommand):
    help = (
        "Personal API tokens: `token create --user U [--read-only] [--name N]` prints a new token once; "
        "`token list [--user U]`; `token revoke PREFIX_OR_ID`."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="create a token and print it (it is shown only once)")
        create.add_argument("--user", required=True, help="login of the token's owner")
        create.add_argument("--name", default="", help="what the token is for")
        create.add_argument("--read-only", action="store_true", help="the token may only read")
        create.add_argument("--quiet", action="store_true", help="print the token alone")
        listing = actions.add_parser("list", help="list tokens (never their text)")
        listing.add_argument("--user", default=None, help="only this user's tokens")
        revoke = actions.add_parser("revoke", help="revoke a token by its prefix or id")
        revoke.add_argument("reference", help="the token's prefix (vrk_…) or id")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except DomainError as error:
            raise CommandError(str(error.message)) from error

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=username, is_system=False).first()
        if user is None:
            raise CommandError(_("There is no user “%(name)s”.") % {"name": username})
        return user

    def _create(self, *, user, name, read_only, quiet, **options):
        token, raw = create_token(user=self._user(user), actor=system_user(), name=name, read_only=read_only)
        if quiet:
            self.stdout.write(raw)
            return
        kind = _("read-only") if token.is_read_only else _("read and write")
        self.stdout.write(
            _("API token for %(user)s (%(kind)s), shown only once:")
            % {"user": token.user.username, "kind": kind}
        )
        self.stdout.write(self.style.SUCCESS(raw))
        self.stdout.write(_("Use it as: Authorization: Bearer %(token)s") % {"token": raw})

    def _list(self, *, user, **options):
        rows = tokens(self._user(user) if user else None).order_by("pk")
        for token in rows:
            state = _("revoked") if token.revoked_at else _("active")
            last = token.last_used_at.isoformat(timespec="seconds") if token.last_used_at else "-"
            mode = "ro" if token.is_read_only else "rw"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}…\t{token.user.username}\t{mode}\t{state}\t{last}\t{token.name}"
            )

    def _revoke(self, *, reference, **options):
        token = revoke_token(get_token(reference), actor=system_user())
        self.stdout.write(self.style.SUCCESS(_("Token %(prefix)s… revoked.") % {"prefix": token.prefix}))
