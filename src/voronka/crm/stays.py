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
otherwise never updated. `backfill_sql()` computes the same values for every row in one set-based
statement (the LEAD/MIN windows the reports used to run).

A row alone for its item (a new item's creation row: every create, bulk create and import) has
nothing to set and costs one look-up (crm 0011): on SQLite in the row trigger's WHEN, on
PostgreSQL in a trigger per statement that reads the statement's rows from its transition table,
so a COPY of new items' rows is one query; the rows with neighbours run the row statements.
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


def _given(row: str) -> str:
    """SQL: the inserted row `row` came with values of its own (a restore from the recycle bin, a loader)."""
    return f"({row}.left_at IS NOT NULL OR {row}.won_at IS NOT NULL OR {row}.lost_at IS NOT NULL)"


def _own(item: str, row: str, next_at: str) -> str:
    """SQL: the inserted row `row` takes its own values (`next_at`: SQL of its next row's moved_at)."""
    return (
        f"UPDATE {TABLE} SET left_at = {next_at}, "  # noqa: S608 - names from code
        f"won_at = {_first_closing(item, row, 'won')}, lost_at = {_first_closing(item, row, 'lost')} "
        f"WHERE id = {row}.id"
    )


def _closing(item: str, row: str, column: str, condition: str = "") -> str:
    """SQL: the inserted row `row`, an entry into a won (`won_at`) or lost (`lost_at`) stage, is the
    first such entry after the earlier rows of its item in its pipeline that had none before it
    (`condition`: SQL that must hold too, followed by AND)."""
    return (
        f"UPDATE {TABLE} SET {column} = {row}.moved_at "  # noqa: S608 - names from code
        f"WHERE {condition}{_before(item, row, TABLE)} AND +{TABLE}.pipeline_id = {row}.pipeline_id "
        f"AND ({TABLE}.{column} IS NULL OR {TABLE}.{column} > {row}.moved_at)"
    )


def _on_insert(item: str) -> list[str]:
    """The statements an inserted row NEW runs (one of the item columns)."""
    row = "NEW"
    statements = [
        f"UPDATE {TABLE} SET left_at = {row}.moved_at WHERE id = {_previous_id(item, row)}",  # noqa: S608
        # Only a row inserted before later rows of its item, or given values of its own (a restore
        # from the recycle bin, a loader), has anything to fill or put right.
        f"{_own(item, row, _next_at(item, row))} AND ({_given(row)[1:-1]} "  # noqa: S608 - names from code
        f"OR EXISTS (SELECT 1 FROM {TABLE} n WHERE {_after(item, row, 'n')}))",
    ]
    for semantics, column in (("won", "won_at"), ("lost", "lost_at")):
        statements.append(_closing(item, row, column, f"{_semantics(row)} = '{semantics}' AND "))
    return statements


def _mend_closings(item: str, row: str) -> list[str]:
    """The statements for a deleted row `row`: the earlier rows whose first win or loss it was look
    for the next one."""
    return [
        f"UPDATE {TABLE} SET {column} = {_first_closing(item, TABLE, semantics)} "  # noqa: S608
        f"WHERE {_before(item, row, TABLE)} AND +{TABLE}.pipeline_id = {row}.pipeline_id "
        f"AND {TABLE}.{column} = {row}.moved_at"
        for semantics, column in (("won", "won_at"), ("lost", "lost_at"))
    ]


def _on_delete(item: str) -> list[str]:
    """The statements a deleted row OLD runs: its previous row now leaves at the row after it,
    and the earlier rows whose first win or loss it was look for the next one."""
    return [
        f"UPDATE {TABLE} SET left_at = {_next_at(item, 'OLD')} WHERE id = {_previous_id(item, 'OLD')}",  # noqa: S608
        *_mend_closings(item, "OLD"),
    ]


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


def _not_alone(item: str, row: str) -> str:
    """SQL: the inserted row `row` has anything to do: its item has other rows, or it came with values
    of its own. A new item's creation row (every create, bulk create and import) has not, and then
    every statement of `_on_insert` would change nothing: no earlier row to leave or to close, no
    later one to fill its own values from."""
    return (
        f"({_given(row)[1:-1]} OR EXISTS "  # noqa: S608 - names from code
        f"(SELECT 1 FROM {TABLE} o WHERE o.{item} = {row}.{item} AND o.id <> {row}.id))"
    )


def _create_sqlite(cursor, *, skip_alone: bool = True) -> None:
    """Create the SQLite row triggers (`cursor`: anything with `execute(sql)`).

    `skip_alone` (since crm 0011; 0008 ran every row): an inserted row alone for its item, without
    values of its own, runs nothing past the trigger's WHEN (one probe of the item's index).
    """
    for name, event, row, item in _SQLITE_TRIGGERS:
        body = _on_insert(item) if row == "NEW" else _on_delete(item)
        when = f"{row}.{item} IS NOT NULL"
        if row == "NEW" and skip_alone:
            when = f"{when} AND {_not_alone(item, row)}"
        cursor.execute(f"CREATE TRIGGER {name} {event} FOR EACH ROW WHEN {when} BEGIN {'; '.join(body)}; END")


def _install_sqlite(schema_editor) -> None:
    _create_sqlite(schema_editor, skip_alone=False)
    statements = "; ".join(_on_semantics(item) for item in ITEMS)
    schema_editor.execute(
        f"CREATE TRIGGER {STAGE}_stays_semantics AFTER UPDATE OF semantics ON {STAGE} FOR EACH ROW "
        f"WHEN OLD.semantics IS NOT NEW.semantics BEGIN {statements}; END"
    )


def _plpgsql_branches(statements) -> str:
    deal, lead = (" ".join(f"{s};" for s in statements(item)) for item in ITEMS)
    return f"IF {{row}}.deal_id IS NOT NULL THEN {deal} ELSE {lead} END IF;"


def _create_postgresql_rows(cursor) -> None:
    """The row trigger of crm 0008 (each row runs its statements; replaced by 0011)."""
    insert = _plpgsql_branches(_on_insert).format(row="NEW")
    delete = _plpgsql_branches(_on_delete).format(row="OLD")
    cursor.execute(
        f"CREATE FUNCTION {TABLE}_stays() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {insert} ELSE {delete} END IF; RETURN NULL; END $$"
    )
    cursor.execute(
        f"CREATE TRIGGER {TABLE}_stays AFTER INSERT OR DELETE ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_stays()"
    )


def _drop_postgresql_rows(cursor) -> None:
    cursor.execute(f"DROP TRIGGER IF EXISTS {TABLE}_stays ON {TABLE}")
    cursor.execute(f"DROP FUNCTION IF EXISTS {TABLE}_stays()")


def _install_postgresql(schema_editor) -> None:
    _create_postgresql_rows(schema_editor)
    statements = " ".join(f"{_on_semantics(item)};" for item in ITEMS)
    schema_editor.execute(
        f"CREATE FUNCTION {STAGE}_stays() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{statements} RETURN NULL; END $$"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {STAGE}_stays AFTER UPDATE OF semantics ON {STAGE} FOR EACH ROW "
        f"WHEN (OLD.semantics IS DISTINCT FROM NEW.semantics) EXECUTE FUNCTION {STAGE}_stays()"
    )


# PostgreSQL since crm 0011: one trigger per statement, which reads the statement's rows from its
# transition table. A COPY of 2,000 new items' creation rows is one query (two index probes a row,
# finding no neighbours) instead of 2,000 calls of five statements each; only the rows that have
# neighbours (a move, a history loaded from the past, values of their own, a delete in the middle
# of an item's rows) run statements of their own, the row trigger's, in the history's order. The
# trigger fires when the statement's rows are all in place, as the row trigger did (PostgreSQL runs
# AFTER row triggers at the statement's end), so each row sees the same neighbours it saw.
#
# Each statement of the functions finds its rows through an index, the item's for the neighbours.
# Their plans are made once per session and kept: on a small table (a new database) PostgreSQL
# would plan to read the whole table and sort it, and keep doing so as the table grows, for every
# row of every statement. The functions therefore plan without sequential scans.
_PLANS = "SET enable_seqscan = off"
_INSERTED = f"{TABLE}_stays_added"
_DELETED = f"{TABLE}_stays_removed"


def _either_item(row: str, sql) -> str:
    """SQL: `sql(item, row)` for the item column of `row` that is set."""
    return f"CASE WHEN {row}.deal_id IS NOT NULL THEN {sql('deal_id', row)} ELSE {sql('lead_id', row)} END"


def _with_neighbours(transition: str, columns: str) -> str:
    """SQL: the rows of `transition` with `columns`, their previous row's id and next row's moved_at."""
    return (
        f"SELECT {columns}, {_either_item('t', _previous_id)} AS previous_id, "  # noqa: S608 - names from code
        f"{_either_item('t', _next_at)} AS next_at FROM {transition} t OFFSET 0"  # OFFSET 0: each sub-query once
    )


def _branches(row: str, statements) -> str:
    deal, lead = (" ".join(f"{s};" for s in statements(item)) for item in ITEMS)
    return f"IF {row}.deal_id IS NOT NULL THEN {deal} ELSE {lead} END IF;"


def _postgresql_insert_function() -> str:
    row = "added"
    neighbours = _with_neighbours(
        _INSERTED,
        f"t.id, t.deal_id, t.lead_id, t.pipeline_id, t.to_stage_id, t.moved_at, {_given('t')} AS given",
    )
    closing = {
        semantics: _branches(row, lambda item, column=column: [_closing(item, row, column)])
        for semantics, column in (("won", "won_at"), ("lost", "lost_at"))
    }
    own = _branches(row, lambda item: [_own(item, row, f"{row}.next_at")])
    return f"""
        CREATE FUNCTION {TABLE}_stays_insert() RETURNS trigger LANGUAGE plpgsql {_PLANS} AS $$
        DECLARE {row} record;
        BEGIN
            FOR {row} IN
                SELECT c.*, {_semantics("c")} AS semantics FROM ({neighbours}) c
                WHERE c.previous_id IS NOT NULL OR c.next_at IS NOT NULL OR c.given
                ORDER BY c.moved_at, c.id
            LOOP
                IF {row}.previous_id IS NOT NULL THEN
                    UPDATE {TABLE} SET left_at = {row}.moved_at WHERE id = {row}.previous_id;
                    IF {row}.semantics = 'won' THEN {closing["won"]}
                    ELSIF {row}.semantics = 'lost' THEN {closing["lost"]}
                    END IF;
                END IF;
                IF {row}.next_at IS NOT NULL OR {row}.given THEN {own} END IF;
            END LOOP;
            RETURN NULL;
        END $$
    """  # noqa: S608 - names from code


def _postgresql_delete_function() -> str:
    row = "removed"
    neighbours = _with_neighbours(_DELETED, "t.id, t.deal_id, t.lead_id, t.pipeline_id, t.moved_at")
    mend = _branches(row, lambda item: _mend_closings(item, row))
    return f"""
        CREATE FUNCTION {TABLE}_stays_delete() RETURNS trigger LANGUAGE plpgsql {_PLANS} AS $$
        DECLARE {row} record;
        BEGIN
            FOR {row} IN
                SELECT c.* FROM ({neighbours}) c WHERE c.previous_id IS NOT NULL ORDER BY c.moved_at, c.id
            LOOP
                UPDATE {TABLE} SET left_at = {row}.next_at WHERE id = {row}.previous_id;
                {mend}
            END LOOP;
            RETURN NULL;
        END $$
    """  # noqa: S608 - names from code


_POSTGRESQL_TRIGGERS = (f"{TABLE}_stays_insert", f"{TABLE}_stays_delete")


def _create_postgresql_statements(cursor) -> None:
    """The statement triggers of crm 0011 (`cursor`: anything with `execute(sql)`)."""
    cursor.execute(_postgresql_insert_function())
    cursor.execute(_postgresql_delete_function())
    cursor.execute(
        f"CREATE TRIGGER {TABLE}_stays_insert AFTER INSERT ON {TABLE} REFERENCING NEW TABLE AS {_INSERTED} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_stays_insert()"
    )
    cursor.execute(
        f"CREATE TRIGGER {TABLE}_stays_delete AFTER DELETE ON {TABLE} REFERENCING OLD TABLE AS {_DELETED} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {TABLE}_stays_delete()"
    )


def _drop_postgresql_statements(cursor) -> None:
    for name in _POSTGRESQL_TRIGGERS:
        cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {TABLE}")
        cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


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
        _drop_postgresql_rows(schema_editor)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {STAGE}_stays ON {STAGE}")
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {STAGE}_stays()")


def _cheap_forwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _drop_sqlite(schema_editor)
        _create_sqlite(schema_editor)
    else:
        _drop_postgresql_rows(schema_editor)
        _create_postgresql_statements(schema_editor)


def _cheap_backwards(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "sqlite":
        _drop_sqlite(schema_editor)
        _create_sqlite(schema_editor, skip_alone=False)
    else:
        _drop_postgresql_statements(schema_editor)
        _create_postgresql_rows(schema_editor)


def suspend(cursor, vendor: str) -> None:
    """Stop the history's triggers for a bulk load; `resume()` fills every row's stay afterwards.

    For loaders that own the database while they run (the bench generators): the triggers cost a
    few index probes a row, and a table scan a row where the loader dropped the indexes.
    """
    if vendor == "sqlite":
        _drop_sqlite(cursor)
    else:
        for name in _POSTGRESQL_TRIGGERS:
            cursor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {name}")


def resume(cursor, vendor: str) -> None:
    """Fill every row's left_at, won_at and lost_at in one statement and start the triggers again."""
    cursor.execute(backfill_sql())
    if vendor == "sqlite":
        _create_sqlite(cursor)
    else:
        for name in _POSTGRESQL_TRIGGERS:
            cursor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {name}")


def install() -> migrations.RunPython:
    """The migration operation (crm 0008): the triggers, then every existing row's values (backfill)."""
    return migrations.RunPython(_forwards, _backwards, elidable=False)


def cheap_inserts() -> migrations.RunPython:
    """The migration operation (crm 0011): the triggers that skip rows with nothing to do, PostgreSQL's
    per statement. The values they keep are the same, so nothing is filled again."""
    return migrations.RunPython(_cheap_forwards, _cheap_backwards, elidable=False)


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
