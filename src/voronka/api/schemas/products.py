"""The product catalogue."""

from typing import Any

from ninja import Field, Schema

from voronka.api.schemas.common import AmountIn, Input, ShortText, Text, money


class ProductOut(Schema):
    id: int
    name: str
    code: str
    description: str
    price: str
    currency: str
    tax_rate: str | None
    tax_included: bool
    measure: str
    is_active: bool
    sort: int


class ProductList(Schema):
    items: list[ProductOut]


class ProductFields(Input):
    code: ShortText | None = None
    description: Text | None = None
    price: AmountIn | None = None
    currency: ShortText | None = None
    tax_rate: AmountIn | None = None
    tax_included: bool | None = None
    measure: ShortText | None = None
    is_active: bool | None = None
    sort: int | None = Field(None, ge=0, le=1_000_000)


class ProductIn(ProductFields):
    name: ShortText


class ProductPatch(ProductFields):
    name: ShortText | None = None


def product_dict(product) -> dict[str, Any]:
    return {
        "id": product.pk,
        "name": product.name,
        "code": product.code,
        "description": product.description,
        "price": money(product.price),
        "currency": product.currency,
        "tax_rate": money(product.tax_rate),
        "tax_included": product.tax_included,
        "measure": product.measure,
        "is_active": product.is_active,
        "sort": product.sort,
    }
