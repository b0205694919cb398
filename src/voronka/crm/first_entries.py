"""When each item first entered each pipeline: the stage history's `first_entry_at`.

Every history row carries the earliest moved_at of its item's rows in the row's pipeline, so a
report that reads a pipeline's rows from a date on knows, from those rows alone, which of their
items also have rows before that date (`first_entry_at` earlier than it): the funnel reads the
period's range of `history_pipeline_moved` and fetches the earlier rows of those few items only,
instead of every row of the pipeline (an item that was in the pipeline before the period and came
back keeps its whole history).

Database triggers keep the column on SQLite and PostgreSQL alike, whatever the path that writes
history rows (the services, `bulk_create`, the bulk API and importers, COPY): an insert takes the
item's earliest moment in the pipeline and, when it lands before the item's earlier first entry
(a history imported from the past), moves the item's other rows there too; a delete of an item's
earliest row gives the remaining rows the next earliest. Rows are otherwise never updated.
`backfill_sql()` computes every row's value in one set-based statement. Independent of the stay
triggers (crm.stays), with which they share only the table.
"""

from django.db import migrations

TABLE = "crm_stagehistory"
ITEMS = ("deal_id", "lead_id")
COLUMN = "first_entry_at"


# The statements find an item's rows through its own index (history_*_sequence); the unary `+`
# keeps the pipeline column from offering another index (see crm.stays).


def _earliest(item: str, row: str) -> str:
    """SQL: the earliest moved_at of the item of `row` (NEW or OLD) in row's pipeline."""
    return (
        f"(SELECT MIN(x.moved_at) FROM {TABLE} x "  # noqa: S608 - names from code
        f"WHERE x.{item} = {row}.{item} AND +x.pipeline_id = {row}.pipeline_id)"
    )


def _same_item(item: str, row: str) -> str:
    return f"{TABLE}.{item} = {row}.{item} AND +{TABLE}.pipeline_id = {row}.pipeline_id"


def _on_insert_after(item: str, *, own_row: bool) -> str:
    """The statement an inserted row NEW runs after the insert: the item's rows whose first entry
    is later than NEW take NEW's moment (and, on SQLite, NEW itself takes the earliest)."""
    own = f"{TABLE}.id = NEW.id OR " if own_row else ""
    return (
        f"UPDATE {TABLE} SET {COLUMN} = {_earliest(item, 'NEW')} "  # noqa: S608
        f"WHERE {_same_item(item, 'NEW')} AND ({own}{TABLE}.{COLUMN} > NEW.moved_at)"
    )


def _on_delete(item: str) -> str:
    """The statement a deleted row OLD runs: when it was its item's earliest in the pipeline, the
    rows that said so take the earliest of the rows left."""
    return (
        f"UPDATE {TABLE} SET {COLUMN} = {_earliest(item, 'OLD')} "  # noqa: S608
        f"WHERE {_same_item(item, 'OLD')} AND {TABLE}.{COLUMN} = OLD.moved_at"
    )


def backfill_sql() -> str:
    """One statement: every row's first_entry_at from the MIN over its item's rows in its pipeline."""
    return f"""
        UPDATE {TABLE} SET {COLUMN} = w.first_entry_at
        FROM (
            SELECT h.id, MIN(h.moved_at) OVER (PARTITION BY h.deal_id, h.lead_id, h.pipeline_id) AS first_entry_at
            FROM {TABLE} h
        ) w
        WHERE {TABLE}.id = w.id AND ({TABLE}.{COLUMN} IS NULL OR {TABLE}.{COLUMN} <> w.first_entry_at)
    """  # noqa: S608 - names from code


_SQLITE_TRIGGERS = [
    *[(f"{TABLE}_first_insert_{item[:4]}", f"AFTER INSERT ON {TABLE}", "NEW", item) for item in ITEMS],
    *[(f"{TABLE}_first_delete_{item[:4]}", f"AFTER DELETE ON {TABLE}", "OLD", item) for item in ITEMS],
]


def _create_sqlite(cursor) -> None:
    """Create the SQLite row triggers (`cursor`: anything with `execute(sql)`)."""
    for name, event, row, item in _SQLITE_TRIGGERS:
        body = _on_insert_after(item, own_row=True) if row == "NEW" else _on_delete(item)
        cursor.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {row}.{item} IS NOT NULL BEGIN {body}; END"
        )


def _drop_sqlite(cursor) -> None:
    for name, *_rest in _SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _branches(statement, row: str) -> str:
    deal, lead = (statement(item) for item in ITEMS)
    return f"IF {row}.deal_id IS NOT NULL THEN {deal}; ELSE {lead}; END IF;"


def _install_postgresql(schema_editor) -> None:
    # PostgreSQL sets the new row's own value before it is written (no second version of the row);
    # the after-trigger only moves the item's other rows when the new row is earlier than they say.
    before = " ".join(
        f"{'IF' if index == 0 else 'ELSIF'} NEW.{item} IS NOT NULL THEN "
        f"NEW.{COLUMN} := LEAST(NEW.moved_at, {_earliest(item, 'NEW')});"
        for index, item in enumerate(ITEMS)
    )
    schema_editor.execute(
        f"CREATE FUNCTION {TABLE}_first_entry() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{before} END IF; RETURN NEW; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_first_entry BEFORE INSERT ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_first_entry()"
    )
    insert = _branches(lambda item: _on_insert_after(item, own_row=False), "NEW")
    delete = _branches(_on_delete, "OLD")
    schema_editor.execute(
        f"CREATE FUNCTION {TABLE}_first_entries() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {insert} ELSE {delete} END IF; RETURN NULL; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_first_entries AFTER INSERT OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_first_entries()"
    )


def _forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _create_sqlite(schema_editor)
    elif vendor == "postgresql":
        _install_postgresql(schema_editor)
    else:
        raise NotImplementedError(
            f"The stage history's triggers are written for SQLite and PostgreSQL, not {vendor}."
        )
    schema_editor.execute(backfill_sql())


def _backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _drop_sqlite(schema_editor)
    else:
        for name in (f"{TABLE}_first_entry", f"{TABLE}_first_entries"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def suspend(cursor, vendor: str) -> None:
    """Stop the row triggers for a bulk load; `resume()` fills every row afterwards (as crm.stays)."""
    if vendor == "sqlite":
        _drop_sqlite(cursor)
    else:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_first_entry")
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_first_entries")


def resume(cursor, vendor: str) -> None:
    """Fill every row's first_entry_at in one statement and start the triggers again."""
    cursor.execute(backfill_sql())
    if vendor == "sqlite":
        _create_sqlite(cursor)
    else:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_first_entry")
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_first_entries")


def install() -> migrations.RunPython:
    """The migration operation: the triggers, then every existing row's value (backfill)."""
    return migrations.RunPython(_forwards, _backwards, elidable=False)
