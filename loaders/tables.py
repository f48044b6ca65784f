"""Typed records → Arrow tables, one per entry of the column registry.

Rows are sorted by primary key so that the same records always give the same bytes, whatever order
the file system lists them in.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from ptedb.schema.columns import TABLES, Table

from .ceg_table import ceg_rows
from .records import Dataset

ARROW_TYPES = {
    "string": pa.string(),
    "float": pa.float64(),
    "int": pa.int64(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "list": pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table, every field carrying its description as metadata."""
    return pa.schema(
        [
            pa.field(c.name, ARROW_TYPES[c.kind], nullable=c.nullable, metadata={"description": c.description})
            for c in table.columns
        ],
        metadata={"description": table.description},
    )


def _getter(path: tuple[str, ...]) -> Callable[[Any], Any]:
    """A function reading `path` from a record (model or dict), None as soon as a part is missing."""

    def get(obj: Any) -> Any:
        for part in path:
            if obj is None:
                return None
            obj = obj.get(part) if type(obj) is dict else getattr(obj, part)
        return obj

    return get


def _column(path: tuple[str, ...], objects: list[Any], is_list: bool) -> list[Any]:
    """One column's values. A top-level field is read with a C-level getter over the whole column —
    the common case, and the one that decides the time at 20,000 rows — anything nested cell by cell."""
    kinds = {type(o) for o in objects}
    if len(path) == 1 and len(kinds) == 1:
        name = path[0]
        values = [o.get(name) for o in objects] if kinds == {dict} else list(map(operator.attrgetter(name), objects))
    else:
        get = _getter(path)
        values = [get(o) for o in objects]
    if is_list:
        values = [None if v is None else list(v) for v in values]
    return values


def _objects(ds: Dataset, name: str, jobs: int = 1) -> tuple[list[Any], dict[str, list[Any]]]:
    """The objects a table's rows are read from, and any columns given outright rather than read."""
    if name in ("enhancements", "models", "benchmarks", "baselines", "sources", "tradeoffs"):
        return list(ds.of(name).values()), {}
    if name == "evaluations":
        pairs = [(eid, ev) for eid, e in ds.of("enhancements").items() for ev in e.evaluations]
        given = {
            "evaluation_id": [f"{eid}/{ev.id}" for eid, ev in pairs],
            "enhancement_id": [eid for eid, _ in pairs],
        }
        return [ev for _, ev in pairs], given
    if name == "baseline_points":
        return [
            {"baseline_id": bid, "position": i, "model": p.model, "score": p.score}
            for bid, b in ds.of("baselines").items()
            for i, p in enumerate(b.points)
        ], {}
    if name == "ceg":
        return ceg_rows(ds, jobs=jobs), {}
    raise KeyError(name)


def build_table(table: Table, objects: list[Any], given: dict[str, list[Any]] | None = None) -> pa.Table:
    """An Arrow table with described fields, rows sorted by primary key so that the same records always
    give the same bytes, whatever order the file system lists them in."""
    given = given or {}
    columns = {
        c.name: given[c.name] if c.name in given else _column(c.path, objects, c.kind == "list") for c in table.columns
    }
    keys = [columns[k] for k in table.primary_key]
    order = sorted(range(len(objects)), key=lambda i: tuple(k[i] for k in keys))
    if order != list(range(len(objects))):
        columns = {name: [values[i] for i in order] for name, values in columns.items()}
    return pa.Table.from_pydict(columns, schema=arrow_schema(table))


def build_tables(ds: Dataset, *, jobs: int = 1) -> dict[str, pa.Table]:
    """Every table of the output contract, as Arrow tables with described fields."""
    return {name: build_table(table, *_objects(ds, name, jobs)) for name, table in TABLES.items()}
