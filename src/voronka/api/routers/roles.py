"""/api/v1/roles — roles and the rights they grant (everybody reads; administrators change)."""

from django.http import HttpRequest
from ninja import Path, Router

from voronka.accounts.selectors import get_role_by_id, roles
from voronka.accounts.services import create_role, delete_role, update_role
from voronka.api.routers.items import no_content, respond
from voronka.api.schemas.common import Id
from voronka.api.schemas.roles import RoleIn, RoleList, RoleOut, RolePatch, rights_argument, role_dict

router = Router(tags=["roles"])


@router.get("", response=RoleList, summary="List roles with their rights")
def list_roles(request: HttpRequest):
    return respond({"items": [role_dict(role) for role in roles()]})


@router.post("", response={201: RoleOut}, summary="Add a role (administrators)")
def create(request: HttpRequest, payload: RoleIn):
    role = create_role(
        code=payload.code,
        name=payload.name,
        is_admin=payload.is_admin,
        description=payload.description,
        rights=rights_argument(payload.rights) if payload.rights else None,
        actor=request.auth,
    )
    return respond(role_dict(get_role_by_id(role.pk)), status=201)


@router.get("/{role_id}", response=RoleOut, summary="Get a role")
def get(request: HttpRequest, role_id: Path[Id]):
    return respond(role_dict(get_role_by_id(role_id)))


@router.patch("/{role_id}", response=RoleOut, summary="Change a role and its rights (administrators)")
def update(request: HttpRequest, role_id: Path[Id], payload: RolePatch):
    changes = payload.model_dump(exclude_unset=True, exclude={"rights"})
    rights = rights_argument(payload.rights) if payload.rights else None
    role = update_role(get_role_by_id(role_id), actor=request.auth, rights=rights, **changes)
    return respond(role_dict(get_role_by_id(role.pk)))


@router.delete("/{role_id}", response={204: None}, summary="Delete a role nobody holds (administrators)")
def delete(request: HttpRequest, role_id: Path[Id]):
    delete_role(get_role_by_id(role_id), actor=request.auth)
    return no_content()
