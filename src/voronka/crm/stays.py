"""What each stay in a stage became: the stage history's `left_at`, `won_at` and `lost_at`.

A history row is an entry into a stage; the stay it starts ends at the item's next entry. Reports
read, per entry: when the item left the stage (`left_at`: the next row's moved_at, NULL while it is
still there), and the first entry after it into a won stage and into a lost stage of the row's own
pipeline (`won_at`, `lost_at`: NULL when there is none). "Next" and "after" follow the history's
order, (moved_at, id), of the item's rows in every pipeline.

Database triggers keep the three columns, on SQLite and PostgreSQL alike, so every path that
writes history rows is seen: the services, `bulk_create`, the bulk API and importers, the bench
generators' COPY and raw INSERTs. An insert sets the previous row's `left_at` and the earlier
rows' `won_at`/`lost_at`, and fills its own when it lands before later rows (a history imported
from the past); a delete (an item's cascade, a pipeline's removal) mends its neighbours; a change
of a stage's semantics recomputes its pipeline's rows of the items that entered it. Rows are
otherwise never updated. `backfill()` computes the same values for every row in one set-based
statement (the LEAD/MIN windows the reports used to run).
"""

from django.db import migrations

TABLE = "crm_stagehistory"
STAGE = "crm_stage"
ITEMS = ("deal_id", "lead_id")


# Every statement finds its rows through the item's own index (history_*_sequence): the unary
# `+` keeps the pipeline column from offering another, which SQLite without statistics (a new
# database) would take, reading a whole pipeline's history per inserted row.


def _after(item: str, row: str, alias: str) -> str:
    """SQL: `alias` is a later row of the item of `row` (NEW or OLD)."""
    return f"{alias}.{item} = {row}.{item} AND ({alias}.moved_at, {alias}.id) > ({row}.moved_at, {row}.id)"


def _before(item: str, row: str, alias: str) -> str:
    return f"{alias}.{item} = {row}.{item} AND ({alias}.moved_at, {alias}.id) < ({row}.moved_at, {row}.id)"


def _first_closing(item: str, row: str, semantics: str) -> str:
    """SQL: the moved_at of the first row after `row` into a `semantics` stage of row's pipeline."""
    return (
        f"(SELECT MIN(n.moved_at) FROM {TABLE} n JOIN {STAGE} s ON s.id = n.to_stage_id "  # noqa: S608 - names from code
        f"WHERE {_after(item, row, 'n')} AND +n.pipeline_id = {row}.pipeline_id AND s.semantics = '{semantics}')"
    )


def _next_at(item: str, row: str) -> str:
    return (
        f"(SELECT n.moved_at FROM {TABLE} n WHERE {_after(item, row, 'n')} "  # noqa: S608 - names from code
        f"ORDER BY n.moved_at, n.id LIMIT 1)"
    )


def _previous_id(item: str, row: str) -> str:
    return (
        f"(SELECT p.id FROM {TABLE} p WHERE {_before(item, row, 'p')} "  # noqa: S608 - names from code
        f"ORDER BY p.moved_at DESC, p.id DESC LIMIT 1)"
    )


def _semantics(row: str) -> str:
    return f"(SELECT s.semantics FROM {STAGE} s WHERE s.id = {row}.to_stage_id)"  # noqa: S608


def _on_insert(item: str) -> list[str]:
    """The statements an inserted row NEW runs (one of the item columns)."""
    statements = [
        f"UPDATE {TABLE} SET left_at = NEW.moved_at WHERE id = {_previous_id(item, 'NEW')}",  # noqa: S608
        # Only a row inserted before later rows of its item, or given values of its own (a restore
        # from the recycle bin, a loader), has anything to fill or put right.
        f"UPDATE {TABLE} SET left_at = {_next_at(item, 'NEW')}, "  # noqa: S608
        f"won_at = {_first_closing(item, 'NEW', 'won')}, lost_at = {_first_closing(item, 'NEW', 'lost')} "
        f"WHERE id = NEW.id AND (NEW.left_at IS NOT NULL OR NEW.won_at IS NOT NULL OR NEW.lost_at IS NOT NULL "
        f"OR EXISTS (SELECT 1 FROM {TABLE} n WHERE {_after(item, 'NEW', 'n')}))",
    ]
    for semantics, column in (("won", "won_at"), ("lost", "lost_at")):
        statements.append(
            f"UPDATE {TABLE} SET {column} = NEW.moved_at "  # noqa: S608
            f"WHERE {_semantics('NEW')} = '{semantics}' AND {_before(item, 'NEW', TABLE)} "
            f"AND +{TABLE}.pipeline_id = NEW.pipeline_id "
            f"AND ({TABLE}.{column} IS NULL OR {TABLE}.{column} > NEW.moved_at)"
        )
    return statements


def _on_delete(item: str) -> list[str]:
    """The statements a deleted row OLD runs: its previous row now leaves at the row after it,
    and the earlier rows whose first win or loss it was look for the next one."""
    statements = [
        f"UPDATE {TABLE} SET left_at = {_next_at(item, 'OLD')} WHERE id = {_previous_id(item, 'OLD')}",  # noqa: S608
    ]
    for semantics, column in (("won", "won_at"), ("lost", "lost_at")):
        statements.append(
            f"UPDATE {TABLE} SET {column} = {_first_closing(item, TABLE, semantics)} "  # noqa: S608
            f"WHERE {_before(item, 'OLD', TABLE)} AND +{TABLE}.pipeline_id = OLD.pipeline_id "
            f"AND {TABLE}.{column} = OLD.moved_at"
        )
    return statements


def _on_semantics(item: str) -> str:
    """The statement a stage NEW whose semantics changed runs: its pipeline's rows of the items that
    entered it look for their first win and loss again."""
    return (
        f"UPDATE {TABLE} SET won_at = {_first_closing(item, TABLE, 'won')}, "  # noqa: S608
        f"lost_at = {_first_closing(item, TABLE, 'lost')} "
        f"WHERE {TABLE}.pipeline_id = NEW.pipeline_id AND {TABLE}.{item} IN "
        f"(SELECT x.{item} FROM {TABLE} x WHERE x.to_stage_id = NEW.id AND x.{item} IS NOT NULL)"
    )


def backfill_sql() -> str:
    """One statement: every row's left_at, won_at and lost_at from the windows over its item's rows."""
    item = "h.deal_id, h.lead_id"
    following = "ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING"
    order = "ORDER BY h.moved_at, h.id"
    return f"""
        UPDATE {TABLE} SET left_at = w.left_at, won_at = w.won_at, lost_at = w.lost_at
        FROM (
            SELECT h.id, LEAD(h.moved_at) OVER (PARTITION BY {item} {order}) AS left_at,
                   MIN(CASE WHEN s.semantics = 'won' THEN h.moved_at END)
                       OVER (PARTITION BY {item}, h.pipeline_id {order} {following}) AS won_at,
                   MIN(CASE WHEN s.semantics = 'lost' THEN h.moved_at END)
                       OVER (PARTITION BY {item}, h.pipeline_id {order} {following}) AS lost_at
            FROM {TABLE} h JOIN {STAGE} s ON s.id = h.to_stage_id
        ) w
        WHERE {TABLE}.id = w.id
          AND (w.left_at IS NOT NULL OR w.won_at IS NOT NULL OR w.lost_at IS NOT NULL)
    """  # noqa: S608 - names from code


_SQLITE_TRIGGERS = [
    *[(f"{TABLE}_stays_insert_{item[:4]}", f"AFTER INSERT ON {TABLE}", "NEW", item) for item in ITEMS],
    *[(f"{TABLE}_stays_delete_{item[:4]}", f"AFTER DELETE ON {TABLE}", "OLD", item) for item in ITEMS],
]


def _create_sqlite(cursor) -> None:
    """Create the SQLite row triggers (`cursor`: anything with `execute(sql)`)."""
    for name, event, row, item in _SQLITE_TRIGGERS:
        body = _on_insert(item) if row == "NEW" else _on_delete(item)
        cursor.execute(
            f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {row}.{item} IS NOT NULL "
            f"BEGIN {'; '.join(body)}; END"
        )


def _install_sqlite(schema_editor) -> None:
    _create_sqlite(schema_editor)
    statements = "; ".join(_on_semantics(item) for item in ITEMS)
    schema_editor.execute(
        f"CREATE TRIGGER {STAGE}_stays_semantics AFTER UPDATE OF semantics ON {STAGE} FOR EACH ROW "
        f"WHEN OLD.semantics IS NOT NEW.semantics BEGIN {statements}; END"
    )


def _plpgsql_branches(statements) -> str:
    deal, lead = (" ".join(f"{s};" for s in statements(item)) for item in ITEMS)
    return f"IF {{row}}.deal_id IS NOT NULL THEN {deal} ELSE {lead} END IF;"


def _install_postgresql(schema_editor) -> None:
    insert = _plpgsql_branches(_on_insert).format(row="NEW")
    delete = _plpgsql_branches(_on_delete).format(row="OLD")
    schema_editor.execute(
        f"CREATE FUNCTION {TABLE}_stays() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {insert} ELSE {delete} END IF; RETURN NULL; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TABLE}_stays AFTER INSERT OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_stays()"
    )
    statements = " ".join(f"{_on_semantics(item)};" for item in ITEMS)
    schema_editor.execute(
        f"CREATE FUNCTION {STAGE}_stays() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{statements} RETURN NULL; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {STAGE}_stays AFTER UPDATE OF semantics ON {STAGE} FOR EACH ROW "
        f"WHEN (OLD.semantics IS DISTINCT FROM NEW.semantics) EXECUTE FUNCTION {STAGE}_stays()"
    )


def _forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _install_sqlite(schema_editor)
    elif vendor == "postgresql":
        _install_postgresql(schema_editor)
    else:
        raise NotImplementedError(
            f"The stage history's triggers are written for SQLite and PostgreSQL, not {vendor}."
        )
    schema_editor.execute(backfill_sql())


def _drop_sqlite(cursor) -> None:
    for name, *_rest in _SQLITE_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name}")


def _backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _drop_sqlite(schema_editor)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {STAGE}_stays_semantics")
    else:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_stays ON {TABLE}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_stays()")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {STAGE}_stays ON {STAGE}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {STAGE}_stays()")


def suspend(cursor, vendor: str) -> None:
    """Stop the row triggers for a bulk load; `resume()` fills every row's stay afterwards.

    For loaders that own the database while they run (the bench generators): a trigger per row
    costs a few index probes, and a table scan per row where the loader dropped the indexes.
    """
    if vendor == "sqlite":
        _drop_sqlite(cursor)
    else:
        cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TABLE}_stays")


def resume(cursor, vendor: str) -> None:
    """Fill every row's left_at, won_at and lost_at in one statement and start the triggers again."""
    cursor.execute(backfill_sql())
    if vendor == "sqlite":
        _create_sqlite(cursor)
    else:
        cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {TABLE}_stays")


def install() -> migrations.RunPython:
    """The migration operation: the triggers, then every existing row's values (backfill)."""
    return migrations.RunPython(_forwards, _backwards, elidable=False)


def _analyze(apps, schema_editor) -> None:
    # SQLite plans with the statistics it was given, forever: a database analyzed before (the
    # bench data, an operator's ANALYZE) needs the new index's rows too, or the planner takes it
    # for the cheapest and stops using the item indexes; one never analyzed stays so.
    connection = schema_editor.connection
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")
            analyzed = cursor.fetchone() is not None
            if analyzed:
                cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = %s LIMIT 1", [TABLE])
                analyzed = cursor.fetchone() is not None
        if not analyzed:
            return
    schema_editor.execute(f"ANALYZE {TABLE}")


def analyze() -> migrations.RunPython:
    """The migration operation after the new index: statistics for it, where the table has them."""
    return migrations.RunPython(_analyze, migrations.RunPython.noop, elidable=False)
