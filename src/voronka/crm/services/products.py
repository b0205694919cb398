"""The product catalogue and product rows on leads and deals.

Rules enforced here:
- a row has a name (or a product to take it from), a price ≥ 0, a quantity > 0, a discount
  0–100 % and a tax rate 0–100 %;
- a row's total is price × (1 − discount) × quantity, plus tax when the price excludes it;
- an item's amount follows its rows whenever it has rows (and stays as set when it has none);
- only administrators edit the catalogue.
"""

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import is_administrator
from voronka.crm import events, locks
from voronka.crm.models import Deal, Lead, Product, ProductRow
from voronka.crm.services import items, timeline
from voronka.lib import bus
from voronka.lib.errors import Forbidden, Invalid
from voronka.lib.money import CENT, to_amount, to_currency

HUNDRED = Decimal(100)


def row_total(
    *, price: Decimal, quantity: Decimal, discount_rate: Decimal, tax_rate: Decimal | None, tax_included: bool
) -> Decimal:
    """Return a row's total."""
    total = price * (1 - discount_rate / HUNDRED) * quantity
    if tax_rate and not tax_included:
        total = total * (1 + tax_rate / HUNDRED)
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(raw: Any, *, field: str, default: Decimal | None = None) -> Decimal | None:
    if raw in (None, ""):
        return default
    try:
        value = Decimal(str(raw).replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Invalid("row.not_a_number", _("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise Invalid("row.not_a_number", _("“%(value)s” is not a number.") % {"value": raw})
    return value


def clean_rows(rows: Iterable[Mapping[str, Any]]) -> list[ProductRow]:
    """Validate product rows given as mappings; return unsaved ProductRow objects."""
    cleaned: list[ProductRow] = []
    errors: dict[str, str] = {}
    for index, raw in enumerate(rows):
        try:
            cleaned.append(_clean_row(raw, index))
        except Invalid as error:
            errors[f"product_rows.{index}"] = str(error.message)
    if errors:
        raise Invalid("row.invalid", _("Some product rows are wrong."), details=errors)
    return cleaned


def _clean_row(raw: Mapping[str, Any], index: int) -> ProductRow:
    if not isinstance(raw, Mapping):
        raise Invalid("row.invalid", _("A product row is a set of fields."))
    product = raw.get("product")
    if product not in (None, "") and not isinstance(product, Product):
        product = Product.objects.filter(pk=int(product) if str(product).isdigit() else None).first()
        if product is None:
            raise Invalid(
                "row.unknown_product", _("Unknown product “%(value)s”.") % {"value": raw.get("product")}
            )
    name = str(raw.get("name") or (product.name if product else "")).strip()
    if not name:
        raise Invalid("row.name_required", _("A row needs a product or a name."))
    price = to_amount(
        raw["price"] if raw.get("price") not in (None, "") else (product.price if product else 0)
    )
    quantity = _decimal(raw.get("quantity"), field="quantity", default=Decimal(1))
    discount = _decimal(raw.get("discount_rate"), field="discount_rate", default=Decimal(0))
    default_tax = product.tax_rate if product else None
    tax_rate = _decimal(raw.get("tax_rate"), field="tax_rate", default=default_tax)
    tax_included = raw.get("tax_included")
    tax_included = (product.tax_included if product else True) if tax_included is None else bool(tax_included)
    if price < 0:
        raise Invalid("row.negative_price", _("The price cannot be negative."))
    if quantity is None or quantity <= 0:
        raise Invalid("row.quantity", _("The quantity must be more than zero."))
    if discount is None or not 0 <= discount <= HUNDRED:
        raise Invalid("row.discount", _("The discount is between 0 and 100 %."))
    if tax_rate is not None and not 0 <= tax_rate <= HUNDRED:
        raise Invalid("row.tax", _("The tax rate is between 0 and 100 %."))
    quantity = quantity.quantize(Decimal("0.0001"))
    return ProductRow(
        product=product,
        name=name[:255],
        price=price,
        quantity=quantity,
        discount_rate=discount,
        tax_rate=tax_rate,
        tax_included=tax_included,
        measure=str(raw.get("measure") or (product.measure if product else "pcs"))[:20],
        total=row_total(
            price=price,
            quantity=quantity,
            discount_rate=discount,
            tax_rate=tax_rate,
            tax_included=tax_included,
        ),
        sort=int(raw.get("sort") or (index + 1) * 10),
    )


def store_rows(item: Lead | Deal, rows: list[ProductRow]) -> Decimal | None:
    """Replace the item's rows with `rows` (unsaved); return the new amount, or None when there are none."""
    ProductRow.objects.filter(**{item.kind.value: item}).delete()
    for row in rows:
        setattr(row, item.kind.value, item)
    ProductRow.objects.bulk_create(rows)
    if not rows:
        return None
    return sum((row.total for row in rows), Decimal("0.00"))


@transaction.atomic
def set_product_rows(item: Lead | Deal, rows: Iterable[Mapping[str, Any]], *, actor: User) -> Lead | Deal:
    """Replace the product rows of a lead or deal; its amount follows the rows."""
    item = locks.lock(item)
    items.require(actor, Action.UPDATE, item.kind, owner_id=item.assigned_to_id)
    cleaned = clean_rows(rows)
    old_amount = item.amount
    amount = store_rows(item, cleaned)
    if amount is not None:
        item.amount = amount
    item.updated_at = timezone.now()
    item.save(update_fields=["amount", "updated_at"])
    changes = {"product_rows": [None, len(cleaned)]}
    if item.amount != old_amount:
        changes["amount"] = [str(old_amount), str(item.amount)]
    timeline.record(item, kind=timeline.Kind.FIELDS_CHANGED, actor=actor, data={"changes": changes})
    bus.publish(
        events.ItemUpdated(kind=item.kind.value, item_id=item.pk, fields=tuple(changes), actor_id=actor.pk)
    )
    return item


def _check_admin(actor: User) -> None:
    if not is_administrator(actor):
        raise Forbidden("rights.admin_only", _("Only administrators may change the product catalogue."))


def _clean_product(values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    cleaned: dict[str, Any] = {}
    if "name" in values or creating:
        name = str(values.get("name") or "").strip()
        if not name:
            raise Invalid(
                "product.name_required", _("A product needs a name."), details={"name": _("Required.")}
            )
        cleaned["name"] = name[:255]
    for name in ("code", "description", "measure"):
        if name in values:
            cleaned[name] = str(values[name] or "").strip()
    if "price" in values:
        cleaned["price"] = to_amount(values["price"], field="price")
        if cleaned["price"] < 0:
            raise Invalid("product.negative_price", _("The price cannot be negative."))
    if "currency" in values or creating:
        cleaned["currency"] = to_currency(values.get("currency"), default=settings.DEFAULT_CURRENCY)
    if "tax_rate" in values:
        cleaned["tax_rate"] = _decimal(values["tax_rate"], field="tax_rate")
    for name in ("tax_included", "is_active"):
        if name in values:
            cleaned[name] = bool(values[name])
    if "sort" in values:
        cleaned["sort"] = int(values["sort"] or 100)
    return cleaned


@transaction.atomic
def create_product(*, actor: User, **values: Any) -> Product:
    """Add a product to the catalogue."""
    _check_admin(actor)
    return Product.objects.create(**_clean_product(values, creating=True))


@transaction.atomic
def update_product(product: Product, *, actor: User, **values: Any) -> Product:
    """Change a product of the catalogue (rows already on items keep their prices)."""
    _check_admin(actor)
    for name, value in _clean_product(values, creating=False).items():
        setattr(product, name, value)
    product.save()
    return product


@transaction.atomic
def delete_product(product: Product, *, actor: User) -> None:
    """Remove a product from the catalogue; rows on items keep their name and price."""
    _check_admin(actor)
    product.delete()
