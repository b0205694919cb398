"""/api/v1/products — the product catalogue (everybody reads; administrators change it).

The product rows of a lead or deal are at /leads/{id}/products and /deals/{id}/products.
"""

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Path, Query, Router

from voronka.api.routers.items import no_content, respond, service_values
from voronka.api.schemas.common import Id
from voronka.api.schemas.products import ProductIn, ProductList, ProductOut, ProductPatch, product_dict
from voronka.crm.models import Product
from voronka.crm.services import products as services
from voronka.lib.errors import NotFound

router = Router(tags=["products"])


def _product(product_id: int) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise NotFound("product.not_found", _("There is no such product."))
    return product


@router.get("", response=ProductList, summary="List the product catalogue")
def list_products(request: HttpRequest, include_inactive: Query[bool] = False):
    queryset = Product.objects.order_by("sort", "name", "pk")
    if not include_inactive:
        queryset = queryset.filter(is_active=True)
    return respond({"items": [product_dict(p) for p in queryset]})


@router.post("", response={201: ProductOut}, summary="Add a product (administrators)")
def create(request: HttpRequest, payload: ProductIn):
    product = services.create_product(
        actor=request.auth, **service_values(request, payload.model_dump(exclude_unset=True))
    )
    return respond(product_dict(product), status=201)


@router.get("/{product_id}", response=ProductOut, summary="Get a product")
def get(request: HttpRequest, product_id: Path[Id]):
    return respond(product_dict(_product(product_id)))


@router.patch("/{product_id}", response=ProductOut, summary="Change a product (administrators)")
def update(request: HttpRequest, product_id: Path[Id], payload: ProductPatch):
    product = services.update_product(
        _product(product_id), actor=request.auth, **payload.model_dump(exclude_unset=True)
    )
    return respond(product_dict(product))


@router.delete("/{product_id}", response={204: None}, summary="Remove a product (administrators)")
def delete(request: HttpRequest, product_id: Path[Id]):
    services.delete_product(_product(product_id), actor=request.auth)
    return no_content()
