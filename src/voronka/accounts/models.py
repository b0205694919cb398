"""Users (with their profile), departments, roles, the rights each role grants, and API tokens."""

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from voronka.lib.text import person_name


class Entity(models.TextChoices):
    """The kinds of CRM items a right is granted on."""

    LEAD = "lead", _("Leads")
    DEAL = "deal", _("Deals")
    CONTACT = "contact", _("Contacts")
    COMPANY = "company", _("Companies")
    ACTIVITY = "activity", _("Activities")


class Action(models.TextChoices):
    """What a right allows on an entity."""

    READ = "read", _("Read")
    CREATE = "create", _("Create")
    UPDATE = "update", _("Update")
    DELETE = "delete", _("Delete")
    EXPORT = "export", _("Export")
    MOVE_BACK = "move_back", _("Move back")  # move a lead or deal to an earlier stage


class Scope(models.IntegerChoices):
    """Whose items a right covers; larger values include the smaller ones."""

    NONE = 0, _("None")
    OWN = 1, _("Own")
    DEPARTMENT = 2, _("Own department and sub-departments")
    ALL = 3, _("All")


class Department(models.Model):
    """A unit of the company; departments form a tree."""

    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    head = models.ForeignKey(
        "accounts.User",
        verbose_name=_("head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class Role(models.Model):
    """A named set of rights; every user holds one role."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # Built-in roles keep their English name as a message id and show it translated.
    is_system_name = models.BooleanField(_("built-in name"), default=False, editable=False)
    is_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Administrators configure pipelines, fields, users and automation."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["pk"]

    def __str__(self) -> str:
        return gettext(self.name) if self.is_system_name else self.name


class RolePermission(models.Model):
    """The scope a role grants for one action on one entity."""

    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="permissions"
    )
    entity = models.CharField(_("entity"), max_length=20, choices=Entity.choices)
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    scope = models.PositiveSmallIntegerField(_("scope"), choices=Scope.choices, default=Scope.NONE)

    class Meta:
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [
            models.UniqueConstraint(fields=["role", "entity", "action"], name="role_permission_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.get_entity_display()} / {self.get_action_display()} = {self.get_scope_display()}"


class User(AbstractUser):
    """A person who signs in, with the profile the CRM needs (department, role, signature)."""

    middle_name = models.CharField(_("middle name"), max_length=150, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    phone = models.CharField(_("work phone"), max_length=50, blank=True)
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("role"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    signature = models.TextField(_("e-mail signature"), blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("en", "English"), ("ru", "Русский")]
    )
    absent_until = models.DateField(
        _("absent until"),
        null=True,
        blank=True,
        help_text=_("While absent, the user receives no new requests by round-robin."),
    )
    # The actor of robots, imports and migrations; it cannot sign in.
    is_system = models.BooleanField(_("system user"), default=False, editable=False)

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.name_of(self.first_name, self.last_name, self.username)

    @staticmethod
    def name_of(first_name: str, last_name: str, username: str) -> str:
        """Return how a user is shown, from the columns alone (for rows read as values)."""
        return person_name(first_name, last_name) or username

    @property
    def is_absent(self) -> bool:
        return self.absent_until is not None and self.absent_until >= timezone.localdate()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 digest is kept, the token itself is shown once."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    # The first characters of the token, kept in clear so people can tell their tokens apart.
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    token_hash = models.CharField(_("SHA-256 of the token"), max_length=64, unique=True, editable=False)
    is_read_only = models.BooleanField(
        _("read only"), default=False, help_text=_("A read-only token may only read (GET requests).")
    )
    created_by = models.ForeignKey(
        User,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Updated at most once a minute, so that reading does not turn every request into a write.
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name or self.user})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
