"""Settings: sources of requests, the product catalogue, custom fields."""

from django.conf import settings as django_settings
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from voronka.crm.models import CustomField
from voronka.crm.selectors.pipelines import sources as all_sources
from voronka.crm.selectors.products import catalogue, get_product
from voronka.crm.services import custom_fields
from voronka.crm.services import pipelines as pipeline_services
from voronka.crm.services import products as product_services
from voronka.lib.errors import NotFound
from voronka.lib.money import CURRENCIES
from voronka.web.views.settings import _attempt, _page, admin_only


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
