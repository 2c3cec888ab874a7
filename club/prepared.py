"""Statements compiled once and run many times, for the few on a hot path (the turnstile).

Building and compiling a small queryset costs the ORM 0.3–2 ms of CPU on our machines, more
than PostgreSQL takes to run it; on the turnstile's path that was most of a check-in's CPU.
A Prepared query is an ordinary queryset in which the values that change are `Param`
placeholders. It is compiled on first use for each database alias (PostgreSQL and SQLite get
different SQL) and afterwards only executed: the parameters are prepared by their field,
results go through the same converters and come back as the queryset would return them
(model instances with select_related objects and annotations, or value rows).
`insert()` is `Model.objects.create()` for an unsaved instance with the INSERT compiled
once per model; like `bulk_create()` it sends no save signals. `insert_pair()` writes two
rows in one statement, the second naming the first's new key (a visit and its timeline event).

On PostgreSQL these statements are also prepared on the server (per connection, on first
use): planning the memberships read or the class lookup took PostgreSQL three times as long
as running it. Only these are: Django's own cursors keep client-side binding, and psycopg's
automatic preparation stays off. Behind a pooler in transaction mode this needs PgBouncer
1.21 or later (protocol-level prepared statements).
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Choices, Expression, Field, JSONField, Model, QuerySet
from django.db.models.query import get_related_populators
from django.db.models.sql import InsertQuery

_lock = threading.Lock()


class Param(Expression):
    """A named value supplied when a Prepared query runs; `output_field` prepares it."""

    def __init__(self, name: str, output_field: Field):
        super().__init__(output_field=output_field)
        self.name = name

    def as_sql(self, compiler, connection):
        return "%s", [self]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: list  # Param placeholders and constants, in order
    fields: dict[str, Field]  # each Param's name, with the field that prepares its value
    converters: list  # (position, (converters, expression)) as the compiler found them
    model: type[Model] | None  # None for values() querysets: rows are returned as tuples
    init_list: list[str]
    model_columns: slice
    related_populators: list
    annotation_col_map: dict[str, int]


class Prepared:
    """A queryset compiled once per database alias; `fetch(**values)` runs it."""

    def __init__(self, build: Callable[[], QuerySet]):
        self._build = build
        self._compiled: dict[str, _Compiled] = {}

    def fetch(self, *, using: str = DEFAULT_DB_ALIAS, **values: Any) -> list:
        """The queryset's results with these values for its Params: model instances, or
        tuples for a values_list()/values() queryset."""
        compiled = self._compiled.get(using) or self._compile(using)
        connection = connections[using]
        # Each value prepared once, however often its Param occurs (the memberships read of a
        # check-in has the member four times).
        db_values = {
            name: field.get_db_prep_value(values[name], connection)
            for name, field in compiled.fields.items()
        }
        params = [db_values[p.name] if isinstance(p, Param) else p for p in compiled.params]
        with _cursor(connection) as cursor:
            cursor.execute(compiled.sql, params)
            rows = cursor.fetchall()
        if compiled.converters:
            rows = [_convert(row, compiled.converters, connection) for row in rows]
        if compiled.model is None:
            return [tuple(row) for row in rows]
        return [_instance(row, compiled, using) for row in rows]

    def _compile(self, using: str) -> _Compiled:
        queryset = self._build()
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        klass_info = compiler.klass_info
        if klass_info is not None and queryset._fields is None:
            select_fields = klass_info["select_fields"]
            columns = slice(select_fields[0], select_fields[-1] + 1)
            model = klass_info["model"]
            init_list = [f[0].target.attname for f in compiler.select[columns]]
            populators = get_related_populators(klass_info, compiler.select, using)
        else:
            model, init_list, columns, populators = None, [], slice(0), []
        param_fields = {}
        for param in params:
            if isinstance(param, Param):
                field = param_fields.setdefault(param.name, param.output_field)
                if type(field) is not type(param.output_field):
                    raise TypeError(f"Param {param.name!r} is used with different fields.")
        compiled = _Compiled(
            sql=sql,
            params=[_plain(param) for param in params],
            fields=param_fields,
            converters=list(compiler.get_converters(fields).items()),
            model=model,
            init_list=init_list,
            model_columns=columns,
            related_populators=populators,
            annotation_col_map=dict(compiler.annotation_col_map or {}),
        )
        with _lock:
            self._compiled[using] = compiled
        return compiled


def _plain(value):
    """A value as its plain self: a member of Django's choices (a status a query filters
    on, the kind of a new row) as its str or int, which is what psycopg sends for it. It
    finds a value's dumper by its class, and for a choices class, which it does not know,
    searched the class's ancestors on every execution."""
    return value.value if isinstance(value, Choices) else value


def _convert(row, converters, connection) -> list:
    row = list(row)
    for position, (functions, expression) in converters:
        value = row[position]
        for function in functions:
            value = function(value, expression, connection)
        row[position] = value
    return row


def _instance(row, compiled: _Compiled, using: str) -> Model:
    obj = compiled.model.from_db(using, compiled.init_list, row[compiled.model_columns])
    for populator in compiled.related_populators:
        populator.populate(row, obj)
    for name, position in compiled.annotation_col_map.items():
        setattr(obj, name, row[position])
    return obj


def run(sql: str, params: list, *, using: str = DEFAULT_DB_ALIAS) -> list[tuple]:
    """The rows of a hand-written statement (one with RETURNING, say), prepared on
    PostgreSQL like the compiled ones."""
    with _cursor(connections[using]) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class _CompiledInsert:
    sql: str
    fields: list[Field]
    returning: list[Field]
    returns_rows: bool
    returning_params: list


_inserts: dict[tuple[type[Model], str], _CompiledInsert] = {}


def insert(obj: Model, *, using: str = DEFAULT_DB_ALIAS) -> Model:
    """Insert an unsaved instance as `Model.objects.create()` would, and return it with its
    primary key (and other database-returned fields) set."""
    if obj.pk is not None:
        raise ValueError("insert() writes new rows; the database assigns the primary key.")
    model = type(obj)
    compiled = _inserts.get((model, using)) or _compile_insert(model, obj, using)
    connection = connections[using]
    params = [
        _plain(f.get_db_prep_save(f.pre_save(obj, True), connection)) for f in compiled.fields
    ]
    params += compiled.returning_params
    with _cursor(connection) as cursor:
        cursor.execute(compiled.sql, params)
        if compiled.returns_rows:
            values = cursor.fetchone()
        else:  # a backend without INSERT … RETURNING: only the primary key, by lastrowid
            values = (connection.ops.last_insert_id(cursor, model._meta.db_table, "id"),)
    _saved(obj, compiled.returning, values, using)
    return obj


def _saved(obj: Model, returning: list[Field], values, using: str) -> None:
    """Mark a just-inserted instance saved, with the values the database returned."""
    connection = connections[using]
    for field, value in zip(returning, values, strict=False):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        setattr(obj, field.attname, value)
    obj._state.adding = False
    obj._state.db = using


def _inserted_fields(meta) -> list[Field]:
    """The fields an INSERT gives values: all but the primary key and generated ones."""
    return [f for f in meta.local_concrete_fields if not f.generated and not f.primary_key]


def _compile_insert(model: type[Model], obj: Model, using: str) -> _CompiledInsert:
    meta = model._meta
    fields = _inserted_fields(meta)
    returning = list(meta.db_returning_fields)
    query = InsertQuery(model)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(using=using)
    connection = connections[using]
    returns_rows = connection.features.can_return_columns_from_insert
    compiler.returning_fields = returning if returns_rows else None
    ((sql, _params),) = compiler.as_sql()
    compiled = _CompiledInsert(
        sql=sql,
        fields=fields,
        returning=returning if returns_rows else [meta.pk],
        returns_rows=returns_rows,
        returning_params=list(getattr(compiler, "returning_params", ())),
    )
    with _lock:
        _inserts[(model, using)] = compiled
    return compiled


def insert_pair(
    first: Model, second: Model, *, pk_into: tuple[str, str], using: str = DEFAULT_DB_ALIAS
) -> tuple[Model, Model]:
    """insert() of two unsaved instances, where the second names the first: `first`'s new
    primary key goes into `second`'s JSON field `pk_into[0]` under the key `pk_into[1]` (a
    visit and the timeline event that says which visit).

    On PostgreSQL one statement (a data-modifying WITH), so a check-in spends one round trip on
    its two rows; elsewhere two inserts."""
    field_name, key = pk_into
    connection = connections[using]
    if connection.vendor != "postgresql":
        insert(first, using=using)
        getattr(second, field_name)[key] = first.pk
        return first, insert(second, using=using)
    for obj in (first, second):
        if obj.pk is not None:
            raise ValueError("insert_pair() writes new rows; the database assigns the keys.")
    compiled = _pairs.get((type(first), type(second), pk_into, using)) or _compile_pair(
        first, second, pk_into, using
    )
    params = [
        _plain(f.get_db_prep_save(f.pre_save(obj, True), connection))
        for obj, fields in ((first, compiled.first.fields), (second, compiled.second_fields))
        for f in fields
    ]
    (values,) = run(compiled.sql, params, using=using)
    split = len(compiled.first.returning)
    _saved(first, compiled.first.returning, values[:split], using)
    _saved(second, compiled.second_returning, values[split:], using)
    getattr(second, field_name)[key] = first.pk  # as stored
    return first, second


@dataclass(frozen=True)
class _CompiledPair:
    sql: str
    first: _CompiledInsert
    second_fields: list[Field]
    second_returning: list[Field]


_pairs: dict[tuple, _CompiledPair] = {}


def _compile_pair(first: Model, second: Model, pk_into: tuple[str, str], using: str):
    connection = connections[using]
    quote = connection.ops.quote_name
    field_name, key = pk_into
    if not key.isidentifier():  # written into the statement as a literal
        raise ValueError(f"pk_into key {key!r} must be a plain name.")
    first_insert = _inserts.get((type(first), using)) or _compile_insert(type(first), first, using)
    if first_insert.returning_params or not first_insert.returns_rows:
        raise ValueError("insert_pair() needs INSERT … RETURNING without parameters.")
    meta = second._meta
    if not isinstance(meta.get_field(field_name), JSONField):
        raise ValueError(f"pk_into names {field_name!r}, not a JSON field of {meta.label}.")
    fields = _inserted_fields(meta)
    returning = list(meta.db_returning_fields)
    first_pk = f'"first".{quote(type(first)._meta.pk.column)}'
    values = [
        f"(%s || jsonb_build_object('{key}', {first_pk}))" if f.name == field_name else "%s"
        for f in fields
    ]
    sql = (
        f'WITH "first" AS ({first_insert.sql}), '
        f'"second" AS (INSERT INTO {quote(meta.db_table)} '
        f"({', '.join(quote(f.column) for f in fields)}) "
        f'SELECT {", ".join(values)} FROM "first" '
        f"RETURNING {', '.join(quote(f.column) for f in returning)}) "
        "SELECT "
        + ", ".join(
            [f'"first".{quote(f.column)}' for f in first_insert.returning]
            + [f'"second".{quote(f.column)}' for f in returning]
        )
        + ' FROM "first", "second"'
    )
    compiled = _CompiledPair(sql, first_insert, fields, returning)
    with _lock:
        _pairs[(type(first), type(second), pk_into, using)] = compiled
    return compiled


# psycopg prepares a statement after this many executions; Django turns that off (None),
# which also ignores an explicit prepare=True. This high a threshold prepares only the
# statements that ask for it.
_ONLY_WHEN_ASKED = 2**31 - 1


@contextlib.contextmanager
def _cursor(connection):
    """A cursor of `connection` (wrapped as connection.cursor() wraps it, so queries are
    logged and counted) that prepares what it executes, on PostgreSQL.

    One psycopg cursor per connection, reused by every statement here: setting one up (its
    adapters, the time zone's loader) cost a third as much CPU as the driver's share of a
    statement. A statement here reads all its rows at once, so none is left for the next."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    raw = connection.connection
    cursor = getattr(connection, "_prepared_statements_cursor", None)
    if cursor is None or cursor.closed or cursor.connection is not raw:
        cursor = connection._prepared_statements_cursor = _new_cursor(connection, raw)
    if connection.queries_logged:
        yield connection.make_debug_cursor(cursor)
    else:
        yield connection.make_cursor(cursor)


def _new_cursor(connection, raw):
    from django.db.backends.postgresql import base

    if raw.prepare_threshold is None:
        raw.prepare_threshold = _ONLY_WHEN_ASKED
    cursor = _preparing_cursor_class()(raw)
    # As Django's create_cursor(): timestamps in the connection's time zone.
    loader = raw.adapters.get_loader(base.TIMESTAMPTZ_OID, base.Format.TEXT)
    if connection.timezone != loader.timezone:
        base.register_tzloader(connection.timezone, cursor)
    return cursor


@functools.cache
def _preparing_cursor_class():
    import psycopg

    class PreparingCursor(psycopg.Cursor):
        """Server-side binding, and every statement prepared on first execution."""

        def execute(self, query, params=None, *, prepare=True, binary=None):
            return super().execute(query, params, prepare=prepare, binary=binary)

        def _convert_query(self, query, params=None):
            # Kept as a client-binding cursor keeps it: Django's debug cursor (query logging,
            # assertNumQueries) reads the statement's text from it.
            self._query = super()._convert_query(query, params)
            return self._query

    return PreparingCursor
