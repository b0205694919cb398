"""The built-in roles and their rights (created by a migration; editable afterwards)."""

from django.utils.translation import gettext_noop

ENTITIES = ("lead", "deal", "contact", "company", "activity")
ACTIONS = ("read", "create", "update", "delete", "export", "move_back")
NONE, OWN, DEPARTMENT, ALL = 0, 1, 2, 3

# code: (name, is_admin, {action: scope} for every entity)
BUILT_IN = {
    "administrator": (gettext_noop("Administrator"), True, dict.fromkeys(ACTIONS, ALL)),
    "head_of_sales": (gettext_noop("Head of sales"), False, dict.fromkeys(ACTIONS, ALL)),
    "manager": (
        gettext_noop("Manager"),
        False,
        {
            "read": DEPARTMENT,
            "create": OWN,
            "update": OWN,
            "delete": OWN,
            "export": DEPARTMENT,
            "move_back": NONE,
        },
    ),
    "intern": (
        gettext_noop("Intern"),
        False,
        {"read": OWN, "create": OWN, "update": OWN, "delete": NONE, "export": NONE, "move_back": NONE},
    ),
}


def create_built_in_roles(apps) -> None:
    """Create the built-in roles with their rights, leaving existing ones as they are."""
    Role = apps.get_model("accounts", "Role")
    RolePermission = apps.get_model("accounts", "RolePermission")
    for code, (name, is_admin, rights) in BUILT_IN.items():
        role, created = Role.objects.get_or_create(
            code=code, defaults={"name": name, "is_system_name": True, "is_admin": is_admin}
        )
        if created:
            RolePermission.objects.bulk_create(
                RolePermission(role=role, entity=entity, action=action, scope=scope)
                for entity in ENTITIES
                for action, scope in rights.items()
            )
