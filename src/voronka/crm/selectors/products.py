"""The product catalogue: configuration every user may read."""

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from voronka.crm.models import Product
from voronka.lib.errors import NotFound


def catalogue(*, active_only: bool = True) -> QuerySet[Product]:
    """Return the products in their order."""
    queryset = Product.objects.order_by("sort", "name", "pk")
    return queryset.filter(is_active=True) if active_only else queryset


def get_product(product_id) -> Product:
    """Return a product by id, or raise NotFound."""
    try:
        return Product.objects.get(pk=int(product_id))
    except (Product.DoesNotExist, TypeError, ValueError):
        raise NotFound("product.not_found", _("There is no such product.")) from None
