"""Migrating a Bitrix24 portal into Voronka through the REST dialect.

Order: users (matched by e-mail, never created), sources, lead statuses, deal pipelines and
stages, custom field definitions, companies, contacts, leads, deals (with product rows),
activities, timeline comments, and the stage history of leads and deals (which replaces the
creation row of each imported item, crm.services.history.import_history).
Every object is written through the crm/activities services and recorded in the id map
(MigratedObject) in the same transaction: an interrupted run resumes where it stopped, and
a second run creates nothing twice.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from voronka.accounts.models import User
from voronka.accounts.selectors import active_users
from voronka.activities.services.activities import create_activity
from voronka.b24 import mapping, services
from voronka.b24.methods.activities import DIRECTION_OF, KIND_OF
from voronka.b24.portal import Portal
from voronka.b24.selectors import migrated
from voronka.crm.models import Pipeline
from voronka.crm.selectors.items import get_visible
from voronka.crm.selectors.pipelines import deal_pipelines, default_deal_pipeline, lead_pipeline, sources
from voronka.crm.services import history, timeline
from voronka.crm.services import pipelines as pipeline_services
from voronka.crm.services.clients import create_company, create_contact
from voronka.crm.services.custom_fields import create_field, definitions
from voronka.crm.services.deals import create_deal
from voronka.crm.services.duplicates import DuplicatePolicy
from voronka.crm.services.leads import create_lead
from voronka.lib.errors import DomainError

ENTITIES = (
    "users",
    "sources",
    "statuses",
    "pipelines",
    "custom fields",
    "companies",
    "contacts",
    "leads",
    "deals",
    "product rows",
    "activities",
    "comments",
    "stage history",
)
KINDS = ("company", "contact", "lead", "deal")
UF_TYPES = {
    "string": "string",
    "double": "number",
    "integer": "number",
    "date": "date",
    "datetime": "date",
    "boolean": "bool",
    "enumeration": "enum",
    "employee": "user",
}
SEMANTICS = {None: "open", "": "open", "S": "won", "F": "lost"}
_PREFIX = re.compile(r"^C\d+:")


@dataclass
class Tally:
    """Counts of one entity: in the portal, mapped here (before and after this run)."""

    source: int = 0
    imported: int = 0
    created: int = 0
    skipped: int = 0
    notes: list[str] = field(default_factory=list)


class Migration:
    """One run; `progress(entity, total)` returns a callable advanced once per object."""

    def __init__(
        self,
        portal: Portal,
        *,
        actor: User,
        dry_run: bool = False,
        progress: Callable[[str, int], Callable[[], None]] | None = None,
    ):
        self.portal = portal
        self.actor = actor
        self.dry_run = dry_run
        self.progress = progress or (lambda entity, total: lambda: None)
        self.tally = {entity: Tally() for entity in ENTITIES}
        self.users: dict[str, User] = {}
        self.stages: dict[str, dict[str, Any]] = {}

    # --- bookkeeping ---------------------------------------------------------------------

    def _map(self, entity: str) -> dict[str, int]:
        return migrated(self.portal.key, entity)

    def _each(self, entity: str, rows: list[dict], key: str, make: Callable[[dict], int | None]) -> None:
        """Import `rows` not mapped yet; each one and its map row in one transaction."""
        tally = self.tally[entity]
        tally.source = len(rows)
        done = self._map(key)
        advance = self.progress(entity, len(rows))
        for row in rows:
            source_id = str(row.get("ID") or row.get("id"))
            if source_id in done:
                tally.skipped += 1
            elif not self.dry_run:
                with transaction.atomic():
                    local_id = make(row)
                    if local_id is not None:
                        services.remember(
                            portal=self.portal.key, entity=key, source_id=source_id, local_id=local_id
                        )
                        done[source_id] = local_id
                        tally.created += 1
            advance()
        tally.imported = len(self._map(key)) if not self.dry_run else tally.skipped

    def user(self, raw: Any) -> User | None:
        return self.users.get(str(raw)) if raw not in (None, "", "0") else None

    # --- steps ---------------------------------------------------------------------------

    def run(self) -> dict[str, Tally]:
        self.match_users()
        self.import_sources()
        self.import_statuses()
        self.import_pipelines()
        self.import_custom_fields()
        for kind in KINDS:
            self.import_items(kind)
        self.import_product_rows()
        self.import_activities()
        self.import_comments()
        self.import_history()
        return self.tally

    def match_users(self) -> None:
        rows = list(self.portal.rows("user.get"))
        local = {u.email.lower(): u for u in active_users() if u.email}
        tally = self.tally["users"]
        tally.source = len(rows)
        for row in rows:
            found = local.get(str(row.get("EMAIL") or "").lower())
            if found is not None:
                self.users[str(row["ID"])] = found
        tally.imported = len(self.users)
        unmatched = tally.source - tally.imported
        if unmatched:
            tally.notes.append(
                f"{unmatched} without a user of the same e-mail here: their items keep no responsible"
            )

    def import_sources(self) -> None:
        rows = self.portal.result("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}})
        have = {s.code for s in sources(active_only=False)}
        tally = self.tally["sources"]
        tally.source = len(rows)
        for row in rows:
            if row["STATUS_ID"] not in have and not self.dry_run:
                pipeline_services.create_source(name=row["NAME"], code=row["STATUS_ID"], actor=self.actor)
                tally.created += 1
        tally.imported = len({s.code for s in sources(active_only=False)} & {r["STATUS_ID"] for r in rows})

    def _stages(self, pipeline: Pipeline, rows: list[dict], tally: Tally) -> dict[str, Any]:
        codes = {s.code: s for s in pipeline.stages.all()}
        found = {}
        for row in sorted(rows, key=lambda r: int(r.get("SORT") or 0)):
            code = _PREFIX.sub("", row["STATUS_ID"])
            stage = codes.get(code)
            if stage is None and not self.dry_run:
                semantics = SEMANTICS.get(row.get("SEMANTICS"), "open")
                stage = pipeline_services.add_stage(
                    pipeline,
                    name=row["NAME"],
                    actor=self.actor,
                    semantics=semantics,
                    code=code,
                    color=row.get("COLOR") or "",
                )
                tally.created += 1
            if stage is not None:
                found[row["STATUS_ID"]] = stage
        return found

    def import_statuses(self) -> None:
        rows = self.portal.result("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}})
        tally = self.tally["statuses"]
        tally.source = len(rows)
        self.stages["lead"] = self._stages(lead_pipeline(), rows, tally)
        tally.imported = len(self.stages["lead"])

    def import_pipelines(self) -> None:
        categories = self.portal.result("crm.category.list", {"entityTypeId": 2})["categories"]
        tally = self.tally["pipelines"]
        tally.source = len(categories)
        done = self._map("pipeline")
        self.stages["deal"] = {}
        for category in categories:
            source_id = str(category["id"])
            if int(category["id"]) == 0:
                pipeline = default_deal_pipeline()
            elif source_id in done:
                pipeline = deal_pipelines().get(pk=done[source_id])
            elif self.dry_run:
                continue
            else:
                with transaction.atomic():
                    pipeline = pipeline_services.create_pipeline(name=category["name"], actor=self.actor)
                    services.remember(
                        portal=self.portal.key, entity="pipeline", source_id=source_id, local_id=pipeline.pk
                    )
                tally.created += 1
            entity = "DEAL_STAGE" if int(category["id"]) == 0 else f"DEAL_STAGE_{category['id']}"
            rows = self.portal.result("crm.status.list", {"filter": {"ENTITY_ID": entity}})
            self.stages["deal"][source_id] = (pipeline, self._stages(pipeline, rows, self.tally["statuses"]))
            self.tally["statuses"].source += len(rows)
            self.tally["statuses"].imported += len(self.stages["deal"][source_id][1])
            tally.imported += 1

    def import_custom_fields(self) -> None:
        tally = self.tally["custom fields"]
        for kind in KINDS:
            have = {f.code for f in definitions(kind)}
            described = self.portal.result(f"crm.{kind}.fields")
            for code, spec in described.items():
                if not code.startswith("UF_CRM_"):
                    continue
                tally.source += 1
                if code in have:
                    tally.imported += 1
                    continue
                if self.dry_run:
                    continue
                field_type = UF_TYPES.get(spec.get("type"), "string")
                options = [{"id": int(o["ID"]), "value": o["VALUE"]} for o in spec.get("items") or []]
                create_field(
                    entity=kind,
                    name=spec.get("listLabel") or spec.get("title") or code,
                    type=field_type,
                    code=code,
                    actor=self.actor,
                    is_multiple=bool(spec.get("isMultiple")),
                    is_required=bool(spec.get("isRequired")),
                    options=options or None,
                )
                tally.created += 1
                tally.imported += 1

    # --- items ---------------------------------------------------------------------------

    def import_items(self, kind: str) -> None:
        select = ["*", "UF_*"] + ([] if kind == "deal" else ["PHONE", "EMAIL", "WEB", "IM"])
        rows = list(self.portal.rows(f"crm.{kind}.list", {"select": select}))
        entity = {"company": "companies", "contact": "contacts", "lead": "leads", "deal": "deals"}[kind]
        self._each(entity, rows, kind, lambda row: self._create(kind, row))

    def _values(self, kind: str, row: dict) -> dict[str, Any]:
        fields = {k: v for k, v in row.items() if k not in ("ID", "STATUS_ID", "STAGE_ID", "CATEGORY_ID")}
        for link, entity in (("COMPANY_ID", "company"), ("CONTACT_ID", "contact")):
            if fields.get(link) not in (None, "", "0"):
                fields[link] = self._map(entity).get(str(fields[link]))
        fields.pop("CONTACT_IDS", None)
        fields["ASSIGNED_BY_ID"] = self.user(row.get("ASSIGNED_BY_ID"))
        fields["SOURCE_ID"] = row.get("SOURCE_ID") or None
        values, _special = mapping.arguments(kind, fields)
        if values.get("assigned_to") is not None:
            values["assigned_to"] = values["assigned_to"].pk
        values["created_at"] = (
            mapping.parse_moment(row.get("DATE_CREATE")) if row.get("DATE_CREATE") else None
        )
        return values

    def _create(self, kind: str, row: dict) -> int:
        values = self._values(kind, row)
        if kind == "company":
            return create_company(actor=self.actor, on_duplicate=DuplicatePolicy.CREATE, **values).pk
        if kind == "contact":
            return create_contact(actor=self.actor, on_duplicate=DuplicatePolicy.CREATE, **values).pk
        if kind == "lead":
            stage = self.stages["lead"].get(row.get("STATUS_ID"))
            if stage is not None and stage.is_won:
                # A converted lead: its deal and client come as their own rows; it stays "converted" there.
                self.tally["leads"].notes.append(
                    f"lead {row['ID']} was converted: imported in its first status"
                )
                stage = None
            return create_lead(
                actor=self.actor,
                status=stage,
                on_duplicate=DuplicatePolicy.CREATE,
                convert_in_simple_mode=False,
                **values,
            ).pk
        pipeline, stages = self.stages["deal"].get(str(row.get("CATEGORY_ID") or 0), (None, {}))
        lead_id = self._map("lead").get(str(row.get("LEAD_ID") or ""))
        lead = get_visible(self.actor, "lead", lead_id) if lead_id else None
        return create_deal(
            actor=self.actor, pipeline=pipeline, stage=stages.get(row.get("STAGE_ID")), lead=lead, **values
        ).pk

    def import_product_rows(self) -> None:
        tally = self.tally["product rows"]
        for kind in ("lead", "deal"):
            items = self._map(kind)
            done = self._map(f"{kind} rows")
            answers = self.portal.batch({sid: (f"crm.{kind}.productrows.get", {"id": sid}) for sid in items})
            for source_id, rows in answers.items():
                tally.source += len(rows)
                if source_id in done:
                    tally.skipped += len(rows)
                    continue
                if not rows or self.dry_run:
                    continue
                item = get_visible(self.actor, kind, items[source_id])
                with transaction.atomic():
                    from voronka.crm.services.products import set_product_rows

                    set_product_rows(item, [_row(r) for r in rows], actor=self.actor)
                    services.remember(
                        portal=self.portal.key, entity=f"{kind} rows", source_id=source_id, local_id=item.pk
                    )
                tally.created += len(rows)
            tally.imported = tally.created + tally.skipped

    def import_activities(self) -> None:
        rows = list(self.portal.rows("crm.activity.list"))
        maps = {mapping.ENTITY_TYPE_IDS[k]: self._map(k) for k in KINDS}

        def make(row: dict) -> int | None:
            owner = maps.get(int(row.get("OWNER_TYPE_ID") or 0), {}).get(str(row.get("OWNER_ID")))
            kind = mapping.KIND_OF_TYPE.get(int(row.get("OWNER_TYPE_ID") or 0))
            if owner is None or kind is None:
                self.tally["activities"].notes.append(f"activity {row['ID']}: its item was not imported")
                return None
            item = get_visible(self.actor, kind, owner)
            responsible = self.user(row.get("RESPONSIBLE_ID"))
            return create_activity(
                item,
                kind=KIND_OF.get(int(row.get("TYPE_ID") or 3), "task"),
                actor=self.actor,
                deadline=mapping.parse_moment(
                    row.get("DEADLINE") or row.get("END_TIME") or row.get("START_TIME")
                ),
                subject=row.get("SUBJECT") or "",
                description=row.get("DESCRIPTION") or "",
                assigned_to=responsible or item.assigned_to or None,
                direction=DIRECTION_OF.get(int(row.get("DIRECTION") or 0), ""),
                priority=int(row.get("PRIORITY") or 2),
                is_done=row.get("COMPLETED") == "Y",
            ).pk

        self._each("activities", rows, "activity", make)

    def import_comments(self) -> None:
        commands = {}
        for kind in KINDS:
            for source_id in self._map(kind):
                commands[f"{kind}_{source_id}"] = (
                    "crm.timeline.comment.list",
                    {"filter": {"ENTITY_ID": source_id, "ENTITY_TYPE": kind}},
                )
        answers = self.portal.batch(commands)
        rows = []
        for key, comments in answers.items():
            kind, _sep, owner = key.partition("_")
            rows += [{**c, "_kind": kind, "_owner": owner} for c in comments]

        def make(row: dict) -> int:
            item = get_visible(self.actor, row["_kind"], self._map(row["_kind"])[row["_owner"]])
            author = self.user(row.get("AUTHOR_ID")) or self.actor
            return timeline.add_comment(item, text=row.get("COMMENT") or "-", actor=author).pk

        self._each("comments", rows, "comment", make)

    def import_history(self) -> None:
        """Give each imported lead and deal the stage history it had in the portal."""
        tally = self.tally["stage history"]
        for kind, type_id in (("lead", 1), ("deal", 2)):
            rows = list(self.portal.rows("crm.stagehistory.list", {"entityTypeId": type_id}, wrap="items"))
            tally.source += len(rows)
            by_owner: dict[str, list[dict]] = {}
            for row in rows:
                by_owner.setdefault(str(row["OWNER_ID"]), []).append(row)
            items_map, done = self._map(kind), self._map(f"{kind} history")
            for owner, entries in by_owner.items():
                if owner in done:
                    tally.imported += len(entries)
                    tally.skipped += len(entries)
                    continue
                if owner not in items_map or self.dry_run:
                    continue
                item = get_visible(self.actor, kind, items_map[owner])
                stages = [self._history_stage(kind, e) for e in entries]
                if any(stage is None for stage in stages):
                    tally.notes.append(f"{kind} {owner}: a stage of its history is unknown here")
                    continue
                try:
                    with transaction.atomic():
                        history.import_history(
                            item,
                            [
                                (
                                    stage,
                                    mapping.parse_moment(e["CREATED_TIME"]),
                                    self.user(e.get("MOVED_BY_ID")),
                                )
                                for stage, e in zip(stages, entries, strict=True)
                            ],
                            actor=self.actor,
                        )
                        services.remember(
                            portal=self.portal.key,
                            entity=f"{kind} history",
                            source_id=owner,
                            local_id=item.pk,
                        )
                except DomainError as refusal:
                    tally.notes.append(f"{kind} {owner}: {refusal.message}")
                    continue
                tally.created += len(entries)
                tally.imported += len(entries)

    def _history_stage(self, kind: str, entry: dict):
        if kind == "lead":
            return self.stages["lead"].get(entry.get("STATUS_ID"))
        _pipeline, stages = self.stages["deal"].get(str(entry.get("CATEGORY_ID") or 0), (None, {}))
        return stages.get(entry.get("STAGE_ID"))


def _row(raw: dict) -> dict[str, Any]:
    return {
        "name": raw.get("PRODUCT_NAME") or "",
        "price": Decimal(
            str(raw.get("PRICE_NETTO") if raw.get("PRICE_NETTO") is not None else raw.get("PRICE") or 0)
        ),
        "quantity": raw.get("QUANTITY") or 1,
        "discount_rate": raw.get("DISCOUNT_RATE") or 0,
        "tax_rate": raw.get("TAX_RATE"),
        "tax_included": raw.get("TAX_INCLUDED") != "N",
        "measure": raw.get("MEASURE_NAME") or "",
        "sort": raw.get("SORT"),
    }


def reconciliation(tally: dict[str, Tally]) -> Iterable[tuple[str, int, int, int, int, str]]:
    """Rows of the report: entity, in the portal, here, created now, already there, notes."""
    for entity, counts in tally.items():
        notes = "; ".join(dict.fromkeys(counts.notes))
        yield entity, counts.source, counts.imported, counts.created, counts.skipped, notes
