"""Rows that belong to exactly one CRM item (a lead, deal, contact or company)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

OWNER_FIELDS = ("lead", "deal", "contact", "company")


def exactly_one_owner(name: str, fields: tuple[str, ...] = OWNER_FIELDS) -> models.CheckConstraint:
    """Return a constraint: exactly one of `fields` is set."""
    options = []
    for chosen in fields:
        condition = models.Q(**{f"{chosen}__isnull": False})
        for other in fields:
            if other != chosen:
                condition &= models.Q(**{f"{other}__isnull": True})
        options.append(condition)
    condition = options[0]
    for option in options[1:]:
        condition |= option
    return models.CheckConstraint(condition=condition, name=name)


def owner_fk(model: str, related_name: str, *, db_index: bool = True) -> models.ForeignKey:
    """Return a nullable foreign key to an item, deleted with it.

    `db_index=False` where a composite index of the model starts with this column, or where the
    model indexes it with `owner_indexes` (its own index would only slow every insert down).
    """
    return models.ForeignKey(
        f"crm.{model}",
        verbose_name=_(model.lower()),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name=related_name,
        db_index=db_index,
    )


def owner_indexes(prefix: str, fields: tuple[str, ...]) -> list[models.Index]:
    """Return one partial index per owner column, on the rows that have that owner.

    A row has exactly one owner, so a full index of each column would hold an entry for the
    NULLs of the others on every insert (two or three of them per row) that no query reads:
    `lead_id = …` and `lead_id IN (…)` (item pages, prefetches, cascading deletes) imply
    `lead_id IS NOT NULL`, so SQLite and PostgreSQL use the partial index for them.
    """
    return [
        models.Index(fields=[name], condition=models.Q(**{f"{name}__isnull": False}), name=f"{prefix}_{name}")
        for name in fields
    ]


class OwnedByItem(models.Model):
    """Mixin: `item` and `item_kind` for rows with one of the owner foreign keys."""

    class Meta:
        abstract = True

    @property
    def item(self) -> models.Model:
        for field in OWNER_FIELDS:
            if getattr(self, f"{field}_id", None):
                return getattr(self, field)
        raise ValueError("row without owner")

    @property
    def item_kind(self) -> str:
        for field in OWNER_FIELDS:
            if getattr(self, f"{field}_id", None):
                return field
        raise ValueError("row without owner")
