import pytest

from voronka.accounts.models import Role, RolePermission, Scope
from voronka.accounts.rights import scope_for
from voronka.accounts.services import (
    assign_role,
    create_role,
    delete_role,
    set_role_rights,
    update_role,
)
from voronka.lib.errors import Conflict, Forbidden, Invalid, Refused

pytestmark = pytest.mark.django_db


def test_an_administrator_creates_a_role_with_only_the_rights_given(admin):
    role = create_role(code="auditor", name="Auditor", actor=admin, rights={("deal", "read"): Scope.ALL})

    rights = {(p.entity, p.action): p.scope for p in role.permissions.all()}
    assert rights[("deal", "read")] == Scope.ALL
    assert rights[("lead", "read")] == Scope.NONE
    assert len(rights) == 5 * 6


def test_managers_cannot_change_roles(manager):
    role = Role.objects.get(code="manager")

    with pytest.raises(Forbidden):
        set_role_rights(role, {("lead", "read"): Scope.ALL}, actor=manager)
    with pytest.raises(Forbidden):
        create_role(code="x", name="X", actor=manager)
    assert RolePermission.objects.get(role=role, entity="lead", action="read").scope == Scope.DEPARTMENT


def test_changed_rights_apply_to_the_role_holders(admin, manager):
    assert scope_for(manager, "lead", "move_back") == Scope.NONE

    update_role(Role.objects.get(code="manager"), actor=admin, rights={("lead", "move_back"): Scope.OWN})

    manager.refresh_from_db()
    fresh = type(manager).objects.get(pk=manager.pk)
    assert scope_for(fresh, "lead", "move_back") == Scope.OWN


def test_unknown_rights_and_codes_are_refused(admin):
    with pytest.raises(Invalid):
        set_role_rights(Role.objects.get(code="intern"), {("lead", "fly"): 3}, actor=admin)
    with pytest.raises(Invalid):
        create_role(code="Bad Code!", name="X", actor=admin)
    with pytest.raises(Conflict):
        create_role(code="manager", name="Again", actor=admin)


def test_a_role_somebody_holds_or_a_built_in_one_is_not_deleted(admin, manager):
    custom = create_role(code="auditor", name="Auditor", actor=admin)
    assign_role(manager, role=custom, actor=admin)

    with pytest.raises(Refused) as in_use:
        delete_role(custom, actor=admin)
    with pytest.raises(Refused) as built_in:
        delete_role(Role.objects.get(code="intern"), actor=admin)

    assert (in_use.value.code, built_in.value.code) == ("role.in_use", "role.built_in")


def test_the_last_administrating_role_stays_one(admin):
    with pytest.raises(Refused):
        update_role(Role.objects.get(code="administrator"), actor=admin, is_admin=False)
