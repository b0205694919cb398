"""Settings for administrators: pipelines and stages, sources, custom fields, users, departments,
roles and their rights, the working mode. Every change is a service call; refusals are shown."""

from functools import wraps

from django.conf import settings as django_settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from voronka.accounts import services as accounts
from voronka.accounts.models import Action, Department, Entity, Role, Scope, User
from voronka.accounts.rights import is_administrator
from voronka.accounts.selectors import departments as all_departments
from voronka.accounts.selectors import roles as all_roles
from voronka.crm.models import CustomField, Stage
from voronka.crm.selectors.boards import stage_item_counts
from voronka.crm.selectors.pipelines import deal_pipelines, get_pipeline, get_stage
from voronka.crm.selectors.pipelines import pipelines as all_pipelines
from voronka.crm.selectors.pipelines import sources as all_sources
from voronka.crm.selectors.pipelines import stages as pipeline_stages
from voronka.crm.selectors.products import catalogue, get_product
from voronka.crm.services import custom_fields, modes
from voronka.crm.services import pipelines as pipeline_services
from voronka.crm.services import products as product_services
from voronka.lib.errors import DomainError, Forbidden, NotFound
from voronka.lib.money import CURRENCIES
from voronka.web.middleware import toast_header

# Short labels for the rights table (the full ones do not fit a cell).
SCOPES = [
    (Scope.NONE, _lazy("None")),
    (Scope.OWN, _lazy("Own")),
    (Scope.DEPARTMENT, _lazy("Department")),
    (Scope.ALL, _lazy("All")),
]


def admin_only(view):
    """Let administrators in; others get the 403 page."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_administrator(request.user):
            raise Forbidden("rights.admin_only", _("Only administrators change the settings."))
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, template: str, section: str, **context):
    return render(request, template, {"section": section, **context})


def _attempt(request, action, success: str = "") -> bool:
    """Run a service call; show its refusal as a message. Return True when it succeeded."""
    try:
        action()
    except DomainError as error:
        details = "; ".join(str(v) for v in (error.details or {}).values() if isinstance(v, str))
        messages.error(
            request,
            f"{error.message} {details}".strip()
            if details and details != str(error.message)
            else error.message,
        )
        return False
    if success:
        messages.success(request, success)
    return True


@admin_only
def index(request):
    return redirect("web:settings-pipelines")


# ---- Pipelines and stages ------------------------------------------------------------------------
@admin_only
def pipelines(request):
    """The pipelines, and a form to add one (its stages: one name per line)."""
    if request.method == "POST":
        names = [line.strip() for line in request.POST.get("stages", "").splitlines() if line.strip()]
        stages = [(name, Stage.Semantics.OPEN) for name in names] + [
            (_("Won"), Stage.Semantics.WON),
            (_("Lost"), Stage.Semantics.LOST),
        ]
        created = {}

        def create():
            created["pipeline"] = pipeline_services.create_pipeline(
                name=request.POST.get("name", ""), actor=request.user, stages=stages if names else None
            )

        if _attempt(request, create, _("Pipeline added.")):
            return redirect("web:settings-pipeline", created["pipeline"].pk)
        return redirect("web:settings-pipelines")
    rows = list(all_pipelines())
    return _page(request, "web/settings/pipelines.html", "pipelines", pipelines=rows)


@admin_only
def pipeline(request, pipeline_id: int):
    """One pipeline: rename, add a stage, and its stages (drag to reorder, edit, delete)."""
    current = get_pipeline(pipeline_id)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "rename":
            _attempt(
                request,
                lambda: pipeline_services.rename_pipeline(
                    current, name=request.POST.get("name", ""), actor=request.user
                ),
                _("Saved."),
            )
        elif action == "add_stage":
            _attempt(
                request,
                lambda: pipeline_services.add_stage(
                    current,
                    name=request.POST.get("name", ""),
                    semantics=request.POST.get("semantics", Stage.Semantics.OPEN),
                    color=request.POST.get("color", ""),
                    actor=request.user,
                ),
                _("Stage added."),
            )
        elif action == "delete" and _attempt(
            request, lambda: pipeline_services.delete_pipeline(current, actor=request.user), _("Deleted.")
        ):
            return redirect("web:settings-pipelines")
        return redirect("web:settings-pipeline", current.pk)
    stages = pipeline_stages(current)
    counts = stage_item_counts(current)
    rows = [{"stage": s, "count": counts.get(s.pk, 0)} for s in stages]
    return _page(
        request,
        "web/settings/pipeline.html",
        "pipelines",
        pipeline=current,
        rows=rows,
        semantics=Stage.Semantics.choices,
        pipelines=list(all_pipelines()),
    )


@admin_only
@require_POST
def reorder_stages(request, pipeline_id: int):
    """Save the order of stages after a drag (answers with a toast)."""
    current = get_pipeline(pipeline_id)
    order = [int(pk) for pk in request.POST.getlist("order") if pk.isdigit()]
    response = HttpResponse()
    try:
        pipeline_services.reorder_stages(current, order=order, actor=request.user)
    except DomainError as error:
        response["HX-Trigger"] = toast_header(error.message)
        return response
    response["HX-Trigger"] = toast_header(_("Order saved."), "success")
    return response


@admin_only
@require_POST
def stage(request, stage_id: int):
    """Rename a stage, change its colour or meaning."""
    current = get_stage(stage_id)
    semantics = request.POST.get("semantics") or None
    _attempt(
        request,
        lambda: pipeline_services.update_stage(
            current,
            actor=request.user,
            name=request.POST.get("name"),
            color=request.POST.get("color") or None,
            semantics=semantics,
        ),
        _("Saved."),
    )
    return redirect("web:settings-pipeline", current.pipeline_id)


@admin_only
@require_POST
def delete_stage(request, stage_id: int):
    """Delete a stage with no items (the refusal says how many must be moved first)."""
    current = get_stage(stage_id)
    _attempt(
        request, lambda: pipeline_services.delete_stage(current, actor=request.user), _("Stage deleted.")
    )
    return redirect("web:settings-pipeline", current.pipeline_id)


# ---- Sources -----------------------------------------------------------------------------------------
@admin_only
def sources(request):
    """Sources of requests: add, rename, switch off."""
    if request.method == "POST":
        if request.POST.get("action") == "add":
            _attempt(
                request,
                lambda: pipeline_services.create_source(
                    name=request.POST.get("name", ""), code=request.POST.get("code", ""), actor=request.user
                ),
                _("Source added."),
            )
        else:
            source = next(
                (s for s in all_sources(active_only=False) if str(s.pk) == request.POST.get("source")), None
            )
            if source is None:
                raise NotFound("source.not_found", _("There is no such source."))
            _attempt(
                request,
                lambda: pipeline_services.update_source(
                    source,
                    actor=request.user,
                    name=request.POST.get("name") or None,
                    is_active=request.POST.get("is_active") == "1",
                ),
                _("Saved."),
            )
        return redirect("web:settings-sources")
    return _page(
        request, "web/settings/sources.html", "sources", sources=list(all_sources(active_only=False))
    )


# ---- Product catalogue ----------------------------------------------------------------------------
@admin_only
def products(request):
    """The product catalogue: add, change the price, switch off, delete."""
    if request.method == "POST":
        action = request.POST.get("action")
        values = {
            name: request.POST.get(name, "")
            for name in ("name", "code", "price", "currency", "measure")
            if name in request.POST
        }
        if action == "add":
            _attempt(
                request,
                lambda: product_services.create_product(actor=request.user, **values),
                _("Product added."),
            )
        else:
            product = get_product(request.POST.get("product"))
            if action == "delete":
                _attempt(
                    request,
                    lambda: product_services.delete_product(product, actor=request.user),
                    _("Deleted."),
                )
            else:
                values["is_active"] = request.POST.get("is_active") == "1"
                _attempt(
                    request,
                    lambda: product_services.update_product(product, actor=request.user, **values),
                    _("Saved."),
                )
        return redirect("web:settings-products")
    return _page(
        request,
        "web/settings/products.html",
        "products",
        products=list(catalogue(active_only=False)),
        currencies=CURRENCIES,
        default_currency=django_settings.DEFAULT_CURRENCY,
    )


# ---- Custom fields -----------------------------------------------------------------------------------
@admin_only
def custom_fields_page(request):
    """Custom fields of each entity: add and delete."""
    if request.method == "POST":
        options = [line.strip() for line in request.POST.get("options", "").splitlines() if line.strip()]
        _attempt(
            request,
            lambda: custom_fields.create_field(
                entity=request.POST.get("entity", ""),
                name=request.POST.get("name", ""),
                type=request.POST.get("type", ""),
                is_required=request.POST.get("is_required") == "1",
                is_multiple=request.POST.get("is_multiple") == "1",
                options=options,
                actor=request.user,
            ),
            _("Field added."),
        )
        return redirect("web:settings-fields")
    fields = list(CustomField.objects.order_by("entity", "sort", "pk"))
    return _page(
        request,
        "web/settings/fields.html",
        "fields",
        fields=fields,
        entities=CustomField.Entity.choices,
        types=CustomField.Type.choices,
    )


@admin_only
@require_POST
def delete_field(request, field_id: int):
    field = CustomField.objects.filter(pk=field_id).first()
    if field is None:
        raise NotFound("custom.not_found", _("There is no such field."))
    _attempt(request, lambda: custom_fields.delete_field(field, actor=request.user), _("Field deleted."))
    return redirect("web:settings-fields")


# ---- Users, departments, roles ---------------------------------------------------------------------
@admin_only
def users(request):
    """Users: add one with a role and a department."""
    departments_list = list(all_departments())
    roles_list = list(all_roles())
    if request.method == "POST":
        department = next((d for d in departments_list if str(d.pk) == request.POST.get("department")), None)
        role = next((r for r in roles_list if str(r.pk) == request.POST.get("role")), None)
        _attempt(
            request,
            lambda: accounts.create_user(
                username=request.POST.get("username", ""),
                password=request.POST.get("password") or None,
                first_name=request.POST.get("first_name", "").strip(),
                last_name=request.POST.get("last_name", "").strip(),
                email=request.POST.get("email", "").strip(),
                department=department,
                role=role,
            ),
            _("User added."),
        )
        return redirect("web:settings-users")
    people = (
        User.objects.filter(is_system=False)
        .select_related("department", "role")
        .order_by("last_name", "username")
    )
    return _page(
        request,
        "web/settings/users.html",
        "users",
        people=people,
        departments=departments_list,
        roles=roles_list,
    )


@admin_only
@require_POST
def user(request, user_id: int):
    """Change a user's role, department or whether they may sign in."""
    person = User.objects.filter(pk=user_id, is_system=False).first()
    if person is None:
        raise NotFound("user.not_found", _("User not found."))
    department = Department.objects.filter(pk=request.POST.get("department") or 0).first()
    role = Role.objects.filter(pk=request.POST.get("role") or 0).first()

    def change():
        accounts.update_user(person, department=department, is_active=request.POST.get("is_active") == "1")
        if role is not None and role.pk != person.role_id:
            accounts.assign_role(person, role=role)

    _attempt(request, change, _("Saved."))
    return redirect("web:settings-users")


@admin_only
def departments(request):
    """Departments: add, and move under another one."""
    departments_list = list(all_departments())
    if request.method == "POST":
        parent = next((d for d in departments_list if str(d.pk) == request.POST.get("parent")), None)
        if request.POST.get("action") == "move":
            department = next(
                (d for d in departments_list if str(d.pk) == request.POST.get("department")), None
            )
            if department is None:
                raise NotFound("department.not_found", _("There is no such department."))
            _attempt(request, lambda: accounts.set_department_parent(department, parent=parent), _("Saved."))
        else:
            _attempt(
                request,
                lambda: accounts.create_department(name=request.POST.get("name", ""), parent=parent),
                _("Department added."),
            )
        return redirect("web:settings-departments")
    return _page(request, "web/settings/departments.html", "departments", departments=departments_list)


@admin_only
def roles(request):
    """Roles and what each may do."""
    return _page(request, "web/settings/roles.html", "roles", roles=list(all_roles()))


@admin_only
def role(request, role_id: int):
    """The rights of one role: a scope per entity and action."""
    current = next((r for r in all_roles() if r.pk == role_id), None)
    if current is None:
        raise NotFound("role.not_found", _("There is no such role."))
    if request.method == "POST":
        rights = {}
        for entity in Entity.values:
            for action in Action.values:
                value = request.POST.get(f"{entity}:{action}")
                if value is not None and value.isdigit():
                    rights[(entity, action)] = int(value)
        _attempt(request, lambda: accounts.set_role_rights(current, rights), _("Rights saved."))
        return redirect("web:settings-role", current.pk)
    scopes = {(p.entity, p.action): p.scope for p in current.permissions.all()}
    matrix = [
        {
            "entity": label,
            "cells": [
                {"name": f"{entity}:{action}", "value": scopes.get((entity, action), 0)}
                for action in Action.values
            ],
        }
        for entity, label in Entity.choices
    ]
    return _page(
        request,
        "web/settings/role.html",
        "roles",
        role=current,
        matrix=matrix,
        actions=Action.choices,
        scopes=SCOPES,
    )


# ---- Working mode ----------------------------------------------------------------------------------
@admin_only
def mode(request):
    """Classic or simple mode; switching to simple says how many open leads it converts."""
    if request.method == "POST":
        target = request.POST.get("mode", "")
        result = {}

        pipeline_id = request.POST.get("pipeline")
        pipeline = get_pipeline(pipeline_id, kind="deal") if pipeline_id else None

        def switch():
            result["converted"] = modes.set_mode(target, actor=request.user, pipeline=pipeline)

        if _attempt(request, switch):
            messages.success(
                request,
                _("The working mode is switched. Leads converted: %(count)d.")
                % {"count": result["converted"]},
            )
        return redirect("web:settings-mode")
    return _page(
        request,
        "web/settings/mode.html",
        "mode",
        current=modes.current_mode(),
        deal_pipelines=list(deal_pipelines()),
        simple_pipeline_id=modes.crm_settings().simple_mode_pipeline_id,
        open_leads=modes.open_lead_count(),
        modes=modes.Mode.choices,
    )
