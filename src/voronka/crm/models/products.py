"""The product catalogue and product rows on leads and deals."""

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from voronka.crm.models.owners import OwnedByItem, exactly_one_owner, owner_fk


class Product(models.Model):
    """Something the company sells."""

    name = models.CharField(_("name"), max_length=255)
    code = models.CharField(_("article"), max_length=100, blank=True, db_index=True)
    description = models.TextField(_("description"), blank=True)
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=2, default=Decimal("0"))
    currency = models.CharField(_("currency"), max_length=3)
    tax_rate = models.DecimalField(_("tax rate, %"), max_digits=5, decimal_places=2, null=True, blank=True)
    tax_included = models.BooleanField(_("tax included in price"), default=True)
    measure = models.CharField(_("unit"), max_length=20, default="pcs")
    is_active = models.BooleanField(_("active"), default=True)
    sort = models.PositiveIntegerField(_("sort"), default=100)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sort", "name"]

    def __str__(self) -> str:
        return self.name


class ProductRow(OwnedByItem):
    """A line of a lead's or deal's order; `total` is computed by the services."""

    lead = owner_fk("Lead", "product_rows")
    deal = owner_fk("Deal", "product_rows")
    product = models.ForeignKey(
        Product, verbose_name=_("product"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=255)
    price = models.DecimalField(_("price"), max_digits=18, decimal_places=2)
    quantity = models.DecimalField(_("quantity"), max_digits=18, decimal_places=4, default=Decimal("1"))
    discount_rate = models.DecimalField(
        _("discount, %"), max_digits=5, decimal_places=2, default=Decimal("0")
    )
    tax_rate = models.DecimalField(_("tax rate, %"), max_digits=5, decimal_places=2, null=True, blank=True)
    tax_included = models.BooleanField(_("tax included in price"), default=True)
    measure = models.CharField(_("unit"), max_length=20, default="pcs")
    total = models.DecimalField(_("total"), max_digits=18, decimal_places=2, default=Decimal("0"))
    sort = models.PositiveIntegerField(_("sort"), default=10)

    class Meta:
        verbose_name = _("product row")
        verbose_name_plural = _("product rows")
        ordering = ["sort", "pk"]
        constraints = [
            exactly_one_owner("product_row_one_owner", ("lead", "deal")),
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="product_row_quantity_positive"),
            models.CheckConstraint(
                condition=models.Q(discount_rate__gte=0, discount_rate__lte=100),
                name="product_row_discount_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} × {self.quantity}"
