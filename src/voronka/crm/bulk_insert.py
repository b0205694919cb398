"""Insert many rows at once, with their ids allocated first (the writer under crm.services.bulk).

An import writes about six rows per item (the item, its phones and e-mails, a stage-history row,
a timeline entry). Django's bulk_create builds a model instance per row and prepares every field
through the ORM, which alone caps an import at ~3,000 items/s; rows therefore go in as tuples:
COPY on PostgreSQL, multi-row INSERTs on SQLite. Ids are allocated before the insert so the caller can
link rows (communications to their item) and name them in events without reading them back:
from the sequence on PostgreSQL, after the highest id ever used on SQLite (its AUTOINCREMENT
table keeps that number; the caller's transaction holds SQLite's write lock, BEGIN IMMEDIATE).
Only crm.services call this module; values are already cleaned by them.

`insert_one()` writes one new model instance as `save()` would (every field's `pre_save` and
`get_db_prep_save`), with a statement built once per model instead of an ORM query per row:
the item of a create, the stage-history row and the timeline entry every create and move
writes. `insert_many()` writes a few new instances in one such statement (an item's phones and
e-mails), built once per model and row count, and prepared by PostgreSQL (lib.statements).
Neither runs a save() override or a signal: only for models that have neither.
"""

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from functools import cache, lru_cache
from typing import Any, TypeVar

from django.db import DEFAULT_DB_ALIAS, connection, connections, models
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.models import signals
from django.db.models.base import ModelState

from voronka.lib import statements

M = TypeVar("M", bound=models.Model)


def allocate_ids(model: type[models.Model], count: int) -> list[int]:
    """Reserve `count` new primary keys of `model` (inside the caller's transaction)."""
    if count <= 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sequence by its name, looked up once: pg_get_serial_sequence() per row cost
            # the server more than the nextval() itself.
            sequence = _sequence(cursor, table)
            cursor.execute(f"SELECT nextval({sequence}::regclass) FROM generate_series(1, %s)", [count])  # noqa: S608 - a quoted literal
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            sequence = row[0] if row else 0
            cursor.execute(f"SELECT MAX(id) FROM {connection.ops.quote_name(table)}")  # noqa: S608 - a model's table
            highest = max(sequence or 0, cursor.fetchone()[0] or 0)
            return list(range(highest + 1, highest + 1 + count))
    raise NotImplementedError(f"bulk inserts are not written for {connection.vendor}")


_sequences: dict[tuple[str, str], str] = {}


def _sequence(cursor, table: str) -> str:
    """The id sequence of `table` as an SQL string literal, read once per database and table."""
    key = (connection.settings_dict["NAME"], table)
    found = _sequences.get(key)
    if found is None:
        cursor.execute("SELECT quote_literal(pg_get_serial_sequence(%s, 'id'))", [table])
        found = _sequences[key] = cursor.fetchone()[0]
    return found


def insert(model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Insert `rows` (tuples of Python values in the order of the `columns` attnames) into `model`'s table."""
    adapters = _adapters(model, tuple(columns))
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    column_names = tuple(model._meta.get_field(_field_name(model, c)).column for c in columns)
    names = ", ".join(quote(name) for name in column_names)
    prepared = rows if not adapters else (_adapted(row, adapters) for row in rows)
    if connection.vendor == "postgresql":
        types = _column_types(model._meta.db_table, column_names)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            # Binary: the server takes each value as it is stored (a timestamp is 8 bytes) instead
            # of parsing its text.
            copy.set_types(types)
            for row in prepared:
                copy.write_row(row)
        return
    _insert_sqlite(table, names, len(columns), list(prepared))


_types: dict[tuple[str, str, tuple[str, ...]], list[int]] = {}


def _column_types(table: str, columns: tuple[str, ...]) -> list[int]:
    """The type oids of `table`'s `columns`, read once per database and table."""
    key = (connection.settings_dict["NAME"], table, columns)
    found = _types.get(key)
    if found is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0",
                [table],
            )
            types = dict(cursor.fetchall())
        found = _types[key] = [types[name] for name in columns]
    return found


# Rows a multi-row INSERT on SQLite: past a few hundred, longer statements gain nothing.
SQLITE_ROWS = 500


def _insert_sqlite(table: str, names: str, width: int, rows: list[Sequence[Any]]) -> None:
    """INSERT ... VALUES of up to SQLITE_ROWS rows a statement, not executemany's one row a statement.

    A row of a table with triggers (the stage history's stays) is a statement of several writes,
    which SQLite runs under a statement journal of its own, copying every page it changes (~10 µs
    a row). Through the driver, as COPY on PostgreSQL: Django would rewrite each "%s" of the
    statement (~8 µs a row at 500 rows of 28 values).
    """
    connection.ensure_connection()
    driver = connection.connection
    size = max(1, min(SQLITE_ROWS, driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // width))
    row = "(" + ", ".join(["?"] * width) + ")"
    start = 0
    for count in _statement_sizes(len(rows), size):
        part = rows[start : start + count]
        start += count
        driver.execute(
            f"INSERT INTO {table} ({names}) VALUES {', '.join([row] * count)}",  # noqa: S608 - a model's table
            [value for item in part for value in item],
        )


def _statement_sizes(total: int, size: int) -> list[int]:
    """Rows a statement: full ones of `size`, then the rest by powers of two.

    The driver keeps every statement it prepared (128 of them), and one of 500 rows is a large
    program: rest sizes varying batch after batch would fill that cache (+60 MB in a 1,000,000-row
    import); by powers of two a table has at most ten shapes.
    """
    sizes = [size] * (total // size)
    rest = total % size
    while rest:
        sizes.append(1 << (rest.bit_length() - 1))
        rest -= sizes[-1]
    return sizes


def new(model: type[M], related: dict[str, models.Model | None], **values: Any) -> M:
    """A new, unsaved `model` row with its foreign keys in `related` (name -> object or None).

    As `model(name=object, ...)` builds it, but each key goes in by its column (`name_id`) and
    the object into the row's cache, as the relation's descriptor would put it there, without
    the descriptor's checks (the row is new and in no other database): a create builds a few.
    """
    return build(model, **related, **values)


def build(model: type[M], **values: Any) -> M:
    """A new, unsaved `model(**values)`: the same attributes, without the constructor's walk.

    Django's constructor visits every field through its descriptors and sends pre_init and
    post_init; a create builds its item, phones, history row and timeline entry this way, at
    about a third of the cost. Related objects given by name go in by their column and into
    the row's cache, as the relation's descriptor puts them, without its checks (the row is new
    and in no other database). Anything else (a property, a model with init signals) goes
    through the constructor.
    """
    layout = _layout(model)
    if layout is None or not values.keys() <= layout[1] or _init_signals(model):
        return model(**values)
    instance = model.__new__(model)
    state = ModelState()
    attributes = instance.__dict__
    attributes["_state"] = state
    cache = state.fields_cache
    for field, name, attname, target_attname in layout[0]:
        if target_attname is not None and name in values:
            target = values[name]
            cache[name] = target
            if target is None:
                attributes[attname] = None
                continue
            attributes[attname] = getattr(target, target_attname)
            if state.db is None:  # as the descriptor's router without routers
                state.db = target._state.db or DEFAULT_DB_ALIAS
        elif attname in values:
            attributes[attname] = values[attname]
        else:
            attributes[attname] = field.get_default()
    return instance


def _init_signals(model: type[models.Model]) -> bool:
    """True when something listens to the model's pre_init or post_init (then the constructor runs)."""
    if not (signals.pre_init.receivers or signals.post_init.receivers):
        return False
    return signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model)


@cache
def _layout(model: type[models.Model]) -> tuple[list[tuple], frozenset[str]] | None:
    """(field, name, attname, the related object's key attname or None) per concrete field, and
    the names `build()` takes; None when the model has a constructor of its own."""
    if model.__init__ is not models.Model.__init__ or model._meta.abstract:
        return None
    layout, names = [], set()
    for field in model._meta.concrete_fields:
        related = field.many_to_one and field.remote_field is not None
        target = field.target_field.attname if related else None
        layout.append((field, field.name, field.attname, target))
        names.update({field.name, field.attname})
    return layout, frozenset(names)


def insert_one(instance: models.Model) -> models.Model:
    """Insert a new `instance` (no save() override, no signals: for plain append-only rows); set its id."""
    insert_many([instance])
    return instance


# A statement per model and row count: a create writes one or a few rows of each model.
MANY_LIMIT = 20


def insert_many(instances: Sequence[models.Model]) -> list[models.Model]:
    """Insert a few new `instances` of one model in one statement, in order; set their ids."""
    if not instances:
        return []
    if len(instances) > MANY_LIMIT:
        return [*insert_many(instances[:MANY_LIMIT]), *insert_many(instances[MANY_LIMIT:])]
    model = type(instances[0])
    database = connections[DEFAULT_DB_ALIAS]  # the connection itself: the proxy costs per use
    sql, fields, pk = _insert_statement(database.vendor, model, len(instances))
    params = [prepare(instance, database) for instance in instances for prepare in fields]
    with statements.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    # Both databases return the rows of a multi-row VALUES in the order given; sorted anyway,
    # as ids are allocated in that order within the statement.
    for instance, pk_value in zip(instances, sorted(ids), strict=True):
        setattr(instance, pk.attname, pk_value)
        instance._state.adding = False
        instance._state.db = database.alias
    return list(instances)


@cache
def _insert_statement(
    vendor: str, model: type[models.Model], count: int
) -> tuple[str, list[Callable[[models.Model, Any], Any]], models.Field]:
    if not connection.features.can_return_columns_from_insert:
        raise NotImplementedError(f"single inserts are not written for {vendor}")
    pk = model._meta.pk
    fields = [field for field in model._meta.concrete_fields if field is not pk]
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    values = ", ".join([row] * count)
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({names}) VALUES {values} RETURNING {quote(pk.column)}"  # noqa: S608 - a model's table
    return sql, [_preparer(field) for field in fields], pk


def rows_at_once() -> bool:
    """True when `insert_with_rows()` writes with one statement (PostgreSQL): a transaction by itself."""
    return connections[DEFAULT_DB_ALIAS].vendor == "postgresql"


def insert_with_rows(parent: models.Model, rows: Sequence[models.Model], *, link: str) -> None:
    """Insert a new `parent` and new `rows` whose foreign key `link` names it; set every id.

    On PostgreSQL it is one statement (each row takes the parent's new id from a data-modifying
    WITH), so a create's item, phones, history row and timeline entry are one round trip instead
    of four; elsewhere the parent first, then the rows of each model in one statement
    (`insert_many`). Rows of one model come together, in the order given.
    """
    groups: list[list[models.Model]] = []
    for row in rows:
        if groups and type(groups[-1][0]) is type(row) and len(groups[-1]) < MANY_LIMIT:
            groups[-1].append(row)
        else:
            groups.append([row])
    database = connections[DEFAULT_DB_ALIAS]
    if database.vendor != "postgresql":
        insert_many([parent])
        for group in groups:
            attname = type(group[0])._meta.get_field(link).attname
            for row in group:
                setattr(row, attname, parent.pk)
            insert_many(group)
        return
    shape = tuple((type(group[0]), len(group)) for group in groups)
    sql, parent_fields, row_fields = _tree_statement(type(parent), shape, link)
    params = [prepare(parent, database) for prepare in parent_fields]
    for group, fields in zip(groups, row_fields, strict=True):
        params += [prepare(row, database) for row in group for prepare in fields]
    with statements.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    ids: list[list[int]] = [[] for _ in range(len(groups) + 1)]
    for index, pk_value in found:
        ids[index].append(pk_value)
    _saved(database, [parent], ids[0])
    for group, group_ids in zip(groups, ids[1:], strict=True):
        attname = type(group[0])._meta.get_field(link).attname
        for row in group:
            setattr(row, attname, parent.pk)
        _saved(database, group, sorted(group_ids))


def _saved(database, instances: Sequence[models.Model], ids: list[int]) -> None:
    for instance, pk_value in zip(instances, ids, strict=True):
        setattr(instance, instance._meta.pk.attname, pk_value)
        instance._state.adding = False
        instance._state.db = database.alias


@cache
def _tree_statement(
    parent: type[models.Model], shape: tuple[tuple[type[models.Model], int], ...], link: str
) -> tuple[str, list, list[list]]:
    """The WITH statement of `insert_with_rows` (PostgreSQL), its parent's and rows' preparers."""
    quote = connection.ops.quote_name

    def columns(model: type[models.Model], skip: str | None) -> tuple[list[models.Field], str, list[str]]:
        fields = [field for field in model._meta.concrete_fields if field is not model._meta.pk]
        values = [
            f"(SELECT {quote(parent._meta.pk.column)} FROM p)" if field.name == skip else "%s"  # noqa: S608
            for field in fields
        ]
        return (
            [field for field in fields if field.name != skip],
            ", ".join(quote(f.column) for f in fields),
            values,
        )

    parent_fields, names, values = columns(parent, None)
    parts = [
        f"p AS (INSERT INTO {quote(parent._meta.db_table)} ({names}) VALUES ({', '.join(values)}) "  # noqa: S608 - a model's table
        f"RETURNING {quote(parent._meta.pk.column)})"
    ]
    selects = [f"SELECT 0, {quote(parent._meta.pk.column)} FROM p"]  # noqa: S608 - names from the models
    row_fields = []
    for index, (model, count) in enumerate(shape, start=1):
        fields, names, values = columns(model, link)
        row = "(" + ", ".join(values) + ")"
        parts.append(
            f"r{index} AS (INSERT INTO {quote(model._meta.db_table)} ({names}) "  # noqa: S608 - a model's table
            f"VALUES {', '.join([row] * count)} RETURNING {quote(model._meta.pk.column)})"
        )
        selects.append(f"SELECT {index}, {quote(model._meta.pk.column)} FROM r{index}")  # noqa: S608
        row_fields.append([_preparer(field) for field in fields])
    sql = "WITH " + ", ".join(parts) + " " + " UNION ALL ".join(selects)
    return sql, [_preparer(field) for field in parent_fields], row_fields


# Fields whose pre_save() reads the attribute and whose get_db_prep_save() returns a value of
# these exact types as it is (what save() sends): their values skip the field's methods.
_TEXT = (models.CharField, models.TextField, models.EmailField, models.SlugField, models.URLField)
_INTEGERS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
)
_AUTO_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _plain_kinds(field: models.Field) -> tuple[type, ...] | None:
    """The types of value `field` sends as they are (None: every value goes through the field)."""
    kind = type(field)
    if kind in _TEXT:
        return (str,)
    if kind is models.BooleanField:
        return (bool,)
    if kind in _INTEGERS and _integers_as_they_are():
        return (int,)
    if kind is models.ForeignKey and type(field.target_field) in _AUTO_KEYS:
        return (int,)  # an auto key's get_db_prep_value() returns the int itself on every database
    return None


def _integers_as_they_are() -> bool:
    # PostgreSQL (psycopg 3) wraps integers in a type of their size; SQLite takes them as they are.
    return type(connection.ops).adapt_integerfield_value is BaseDatabaseOperations.adapt_integerfield_value


def _preparer(field: models.Field) -> Callable[[models.Model, Any], Any]:
    """How `save()` turns the field's value on an instance into a database value, with a short
    way for the plain values most fields hold (anything else goes through the field)."""

    def through_field(instance: models.Model, database) -> Any:
        return field.get_db_prep_save(field.pre_save(instance, True), database)

    kinds = _plain_kinds(field)
    if kinds is None:
        return through_field
    attname = field.attname

    def plain(instance: models.Model, database) -> Any:
        value = instance.__dict__.get(attname, _MISSING)
        if value is None or type(value) in kinds:
            return value
        return through_field(instance, database)

    return plain


_MISSING = object()


def _adapted(row: Sequence[Any], adapters: tuple) -> list[Any]:
    values = list(row)
    for index, adapt in adapters:
        values[index] = adapt(values[index])
    return values


def _field_name(model: type[models.Model], attname: str) -> str:
    for field in model._meta.concrete_fields:
        if field.attname == attname:
            return field.name
    raise LookupError(f"{model.__name__} has no column {attname}")


@cache
def _adapters_for(vendor: str, model: type[models.Model], columns: tuple[str, ...]) -> tuple:
    fields = {field.attname: field for field in model._meta.concrete_fields}
    found = ((index, _adapter(fields[name])) for index, name in enumerate(columns))
    return tuple((index, adapt) for index, adapt in found if adapt is not None)


def _adapters(model: type[models.Model], columns: tuple[str, ...]) -> tuple:
    return _adapters_for(connection.vendor, model, columns)


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """Return how a Python value of `field` becomes a database value (None: passed as it is)."""
    ops = connection.ops
    if isinstance(field, models.DateTimeField):
        # A batch mostly repeats one moment ("now"): adapt each distinct value once.
        return lru_cache(maxsize=256)(
            lambda value: None if value is None else ops.adapt_datetimefield_value(value)
        )
    if isinstance(field, models.DateField):
        return lambda value: None if value is None else ops.adapt_datefield_value(value)
    if isinstance(field, models.DecimalField):
        return lambda value: None if value is None else ops.adapt_decimalfield_value(value)
    if isinstance(field, models.JSONField):
        encoder = field.encoder
        empty = ops.adapt_json_value({}, encoder)  # most custom-field and UTM values of a batch

        def adapt_json(value: Any) -> Any:
            if value is None:
                return None
            return empty if value == {} else ops.adapt_json_value(value, encoder)

        return adapt_json
    return None
