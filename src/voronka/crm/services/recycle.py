"""The recycle bin: deleting keeps a snapshot from which an item and its links come back.

Rules enforced here:
- the actor needs the delete right on the item (and the read right on a bin entry to restore it);
- the snapshot holds the item and every row deleted with it (communications, product rows,
  history, timeline, and the rows of other apps that belong to it, such as activities), plus the
  links other items had to it (a deal's contact, a contact's company), found by Django's deletion
  collector so that no app has to be imported here;
- restoring puts every row back under its old id and re-links what still points nowhere;
  a restore is refused when the stage or pipeline it needs is gone;
- purging deletes the snapshot for good (administrators, or the author of the deletion).
"""

import json
from collections import defaultdict
from typing import Any

from django.apps import apps
from django.core import serializers
from django.db import DEFAULT_DB_ALIAS, IntegrityError, models, transaction
from django.db.models.deletion import Collector
from django.utils.translation import gettext_lazy as _

from voronka.accounts.models import Action, User
from voronka.accounts.rights import is_administrator
from voronka.crm import events, locks
from voronka.crm.models import RecycleBinEntry
from voronka.crm.services import items, timeline
from voronka.lib import bus
from voronka.lib.errors import Conflict, Forbidden


def _collect(item) -> tuple[list[models.Model], dict[str, list[int]]]:
    collector = Collector(using=DEFAULT_DB_ALIAS)
    collector.collect([item])
    rows: list[models.Model] = []
    for instances in collector.data.values():
        rows.extend(instances)
    for queryset in collector.fast_deletes:
        rows.extend(queryset)
    links: dict[str, list[int]] = defaultdict(list)
    for (field, _value), batches in collector.field_updates.items():
        label = f"{field.model._meta.label}.{field.name}"
        for batch in batches:
            links[label].extend(obj.pk for obj in batch)
    # The item first, then the others in a stable order (parents before children on restore).
    rows.sort(key=lambda row: (row is not item, row._meta.label, row.pk))
    return rows, dict(links)


@transaction.atomic
def delete_item(item, *, actor: User) -> RecycleBinEntry:
    """Move a lead, deal, contact or company to the recycle bin."""
    item = locks.lock(item)
    kind = item.kind.value
    items.require(actor, Action.DELETE, kind, owner_id=item.assigned_to_id)
    rows, links = _collect(item)
    objects = json.loads(serializers.serialize("json", rows))
    entry, _created = RecycleBinEntry.objects.update_or_create(
        entity=kind,
        object_id=item.pk,
        defaults={
            "title": str(item.title)[:255],
            "snapshot": {"objects": objects, "links": links},
            "deleted_by": actor,
            "assigned_to_id_snapshot": item.assigned_to_id,
        },
    )
    item_id = item.pk
    item.delete()
    bus.publish(events.ItemDeleted(kind=kind, item_id=item_id, actor_id=actor.pk))
    return entry


@transaction.atomic
def restore(entry: RecycleBinEntry, *, actor: User):
    """Put a deleted item back, with its rows and links; return the item."""
    entry = locks.lock(entry)
    items.require(actor, Action.DELETE, entry.entity, owner_id=entry.assigned_to_id_snapshot)
    model = items.ITEM_MODELS[entry.entity]
    if model.objects.filter(pk=entry.object_id).exists():
        raise Conflict("recycle.id_taken", _("An item with this id exists again; it cannot be restored."))
    objects = entry.snapshot["objects"]
    coming_back = {(row["model"], row["pk"]) for row in objects}
    try:
        # Foreign keys are checked at commit, so the order of the rows does not matter.
        with transaction.atomic():
            for wrapped in serializers.deserialize("json", json.dumps(objects)):
                _drop_missing_links(wrapped.object, coming_back)
                wrapped.save()
    except (IntegrityError, serializers.base.DeserializationError) as error:
        raise Conflict(
            "recycle.cannot_restore",
            _("The item cannot be restored: a stage, pipeline or record it needs is gone."),
            details={"reason": str(error)},
        ) from error
    _relink(entry.snapshot.get("links", {}), entry.object_id)
    restored = model.objects.get(pk=entry.object_id)
    timeline.record(
        restored, kind=timeline.Kind.RESTORED, actor=actor, data={"deleted_at": entry.deleted_at.isoformat()}
    )
    entry.delete()
    bus.publish(events.ItemRestored(kind=entry.entity, item_id=restored.pk, actor_id=actor.pk))
    return restored


def _drop_missing_links(obj: models.Model, coming_back: set[tuple[str, Any]]) -> None:
    """Clear nullable foreign keys whose target no longer exists (a deleted user, source...)."""
    for field in obj._meta.concrete_fields:
        if not field.is_relation:
            continue
        value = getattr(obj, field.attname)
        if value is None or (field.related_model._meta.label_lower, value) in coming_back:
            continue
        if field.related_model._default_manager.filter(pk=value).exists():
            continue
        if not field.null:
            raise IntegrityError(f"{field.related_model._meta.label} #{value} is gone")
        setattr(obj, field.attname, None)


def _relink(links: dict[str, Any], item_id: int) -> None:
    for label, ids in links.items():
        model_label, field_name = label.rsplit(".", 1)
        model = apps.get_model(model_label)
        field = model._meta.get_field(field_name)
        model._default_manager.filter(pk__in=ids, **{f"{field.attname}__isnull": True}).update(
            **{field.attname: item_id}
        )


@transaction.atomic
def purge(entry: RecycleBinEntry, *, actor: User) -> None:
    """Delete a recycle bin entry for good."""
    if not (is_administrator(actor) or entry.deleted_by_id == actor.pk):
        raise Forbidden("rights.purge", _("Only administrators may empty the recycle bin."))
    entry.delete()
