"""Hot Piccolo queries whose SQL is built once, not on every call (docs/architecture.md, "Prepared queries").

Piccolo rebuilds a query's SQL from its parts on every run (``Select.default_querystrings``,
``QueryString.bundle``, the ``ForeignKey`` attribute copies): about 0.1–0.2 ms of Python per query
here, more than SQLite takes to answer it. A prepared query is declared with Piccolo as usual, with
named parameters where the values go; its SQL is compiled once per engine type (so it stays portable
between SQLite and PostgreSQL) and each call only puts the new values in place. It then runs through
the query's own ``run`` (the engine's ``run_querystring``: transactions, the SQLite pool, query logging;
and Piccolo's result processing: booleans, datetimes, JSON, ``nested``, ``first()``, ``count()``,
``output(as_list=True)``), so the results are the Python values ``.run()`` gives.

Example::

    from engagement.prepared import prepared

    OPINIONS_OF = prepared(lambda p: Opinion.select(Opinion.id, Opinion.content, Opinion.section.heading)
                           .where((Opinion.consultation == p.consultation) & (Opinion.moderation == p.state))
                           .order_by(Opinion.id).output(nested=True))

    rows = await OPINIONS_OF.run(consultation=cid, state="approved")

The function receives a parameter source ``p``: ``p.name`` stands for one value. Limits, checked when
the query is compiled or run:

- a parameter is one value passed to the driver as given: plain values (int, str, bool, float,
  datetime, date, Decimal, UUID, bytes; an Enum gives its ``.value``), not Table instances, lists or dicts;
  a JSON column's value is passed as a JSON string;
- not ``None``: Piccolo writes ``== None`` as ``IS NULL``, a different SQL (declare that query apart);
- ``limit``/``offset`` are written into the SQL by Piccolo, so they are fixed in the declaration,
  and ``is_in`` lists have a fixed length: neither can be a parameter;
- one statement per query (no ``Insert`` of several rows returning per row, no multi-statement DDL).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

from piccolo.query.base import Query
from piccolo.query.proxy import Proxy
from piccolo.querystring import QueryString

PLAIN_VALUES = (int, str, float, datetime, date, Decimal, UUID, bytes, Enum)  # bool is an int


class Parameter:
    """Stands for one value in a declared query; replaced by the call's value in the compiled SQL."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Parameter({self.name!r})"


class _ParameterSource:
    """``p`` in a declaration: each attribute read is a parameter of that name."""

    def __init__(self) -> None:
        self.names: set[str] = set()

    def __getattr__(self, name: str) -> Parameter:
        if name.startswith("_"):
            raise AttributeError(name)
        self.names.add(name)
        return Parameter(name)


class _CompiledQueryString(QueryString):
    """SQL already compiled for one engine; ``str()`` (query logs) reads as Piccolo's own."""

    __slots__ = ("_display",)

    def __init__(self, sql: str, args: list[Any], display: str, query_type: str, table: Any) -> None:
        self.template = display
        self.args = args
        self.columns = []
        self.query_type = query_type
        self.table = table
        self._alias = None
        self._frozen_compiled_strings = (sql, args)

    def __str__(self) -> str:
        return QueryString(self.template, *self.args).__str__()


class _Compiled:
    """One query compiled for one engine type: the SQL, its fixed values and where each parameter goes."""

    __slots__ = ("display", "query", "query_type", "slots", "sql", "table", "values")

    def __init__(self, query: Query | Proxy, names: set[str]) -> None:
        querystrings = query.querystrings
        if len(querystrings) != 1:
            raise ValueError(f"a prepared query must be one SQL statement, not {len(querystrings)}")
        querystring = querystrings[0]
        self.query = query
        self.sql, self.values = querystring.compile_string(engine_type=query.engine_type)
        self.display = _display_template(querystring)
        self.slots = [(index, value.name) for index, value in enumerate(self.values) if isinstance(value, Parameter)]
        unplaced = names - {name for _, name in self.slots}
        if unplaced:
            raise ValueError(f"parameters {sorted(unplaced)} are not values of the SQL (limit, offset, is_in?)")
        self.query_type = querystring.query_type
        self.table = querystring.table

    def querystring(self, values: dict[str, Any]) -> _CompiledQueryString:
        args = list(self.values)
        for index, name in self.slots:
            value = values[name]
            args[index] = value.value if isinstance(value, Enum) else value  # as Piccolo's convert_to_sql_value
        return _CompiledQueryString(self.sql, args, self.display, self.query_type, self.table)


class PreparedQuery:
    """A Piccolo query declared once with named parameters; ``await run(**values)`` per call."""

    def __init__(self, declare: Callable[[Any], Query | Proxy]) -> None:
        self._declare = declare
        self._compiled: dict[str, _Compiled] = {}
        self._names: frozenset[str] | None = None
        self._table: Any = None

    async def run(self, **values: Any) -> Any:
        compiled = self._compiled_for_current_engine()
        _check_values(values, self._names)
        return await _with_querystring(compiled.query, compiled.querystring(values)).run()

    def _compiled_for_current_engine(self) -> _Compiled:
        engine_type = self._table._meta.db.engine_type if self._table is not None else None
        compiled = self._compiled.get(engine_type)
        if compiled is None:
            compiled = self._compile()
        return compiled

    def _compile(self) -> _Compiled:
        source = _ParameterSource()
        query = self._declare(source)
        compiled = _Compiled(query, source.names)
        self._names = frozenset(source.names)
        self._table = _inner_query(query).table
        self._compiled[query.engine_type] = compiled
        return compiled


def prepared(declare: Callable[[Any], Query | Proxy]) -> PreparedQuery:
    """``declare(p)`` builds the Piccolo query, ``p.name`` standing for the value ``run(name=…)`` gives."""
    return PreparedQuery(declare)


def _check_values(values: dict[str, Any], names: frozenset[str] | None) -> None:
    if values.keys() != names:
        raise TypeError(f"expected the parameters {sorted(names or ())}, got {sorted(values)}")
    for name, value in values.items():
        if not isinstance(value, PLAIN_VALUES):
            raise TypeError(f"parameter {name}: {type(value).__name__} is not a plain value (None, Table, list?)")


def _inner_query(query: Query | Proxy) -> Query:
    while isinstance(query, Proxy):
        query = query.query
    return query


def _with_querystring(query: Query | Proxy, querystring: QueryString) -> Query | Proxy:
    """A shallow copy of the declared query that runs ``querystring`` (Piccolo's own frozen-query slot)."""
    clone = _shallow_copy(query)
    if isinstance(query, Proxy):
        clone.query = _with_querystring(query.query, querystring)
    else:
        clone._frozen_querystrings = (querystring,)
    return clone


def _display_template(querystring: QueryString) -> str:
    _, fragments, _ = querystring.bundle(start_index=1, bundled=[], combined_args=[])
    return "".join(fragment.prefix + ("" if fragment.no_arg else "{}") for fragment in fragments)


def _shallow_copy(instance: Any) -> Any:
    """``copy.copy`` without ``__reduce_ex__``, which a Proxy's ``__getattr__`` turns into endless recursion."""
    clone = object.__new__(type(instance))
    for name in _slot_names(type(instance)):
        try:
            object.__setattr__(clone, name, object.__getattribute__(instance, name))
        except AttributeError:  # a slot never set
            pass
    if hasattr(instance, "__dict__"):
        clone.__dict__.update(instance.__dict__)
    return clone


@functools.cache
def _slot_names(cls: type) -> tuple[str, ...]:
    declared = (getattr(klass, "__slots__", ()) for klass in cls.__mro__)
    names = (name for slots in declared for name in ((slots,) if isinstance(slots, str) else slots))
    return tuple(name for name in names if name not in ("__dict__", "__weakref__"))
