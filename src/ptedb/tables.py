"""Typed records → Arrow tables, one per entry of the column registry.

Rows are sorted by primary key so that the same records always give the same bytes, whatever order
the file system lists them in.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any

import pyarrow as pa
from pydantic import BaseModel

from ptedb.schema.columns import KINDS, TABLES, Table
from ptedb.validation.dataset import Dataset

from .ceg_table import ceg_rows


def arrow_type(kind: str) -> pa.DataType:
    name = KINDS[kind].arrow
    return pa.list_(pa.string()) if name == "list" else getattr(pa, name)()


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a table, every field carrying its description as metadata."""
    return pa.schema(
        [
            pa.field(c.name, arrow_type(c.kind), nullable=c.nullable, metadata={"description": c.description})
            for c in table.columns
        ],
        metadata={"description": table.description},
    )


def _column(
    path: tuple[str, ...], objects: list[Any], is_list: bool, parts: dict[tuple[str, ...], list[Any]] | None = None
) -> list[Any]:
    """One column's values, read a whole column at a time with C-level getters: at 20,000 rows the
    per-cell Python calls were most of the cost. `parts` caches the column of each nested object
    (`one_time_cost` for its `flop`, `fraction_of_pretraining` and `basis`), so it is read once."""
    parts = {} if parts is None else parts
    values = objects
    for depth in range(1, len(path) + 1):
        prefix = path[:depth]
        if prefix in parts:
            values = parts[prefix]
            continue
        name = path[depth - 1]
        present = [v for v in values if v is not None]
        kinds = {type(v) for v in present}
        if len(present) == len(values) and kinds == {dict}:
            values = [v.get(name) for v in values]
        elif len(present) == len(values) and len(kinds) == 1:
            values = list(map(operator.attrgetter(name), values))
        else:  # some parent is missing, or a mix of dicts and models
            values = [None if v is None else v.get(name) if type(v) is dict else getattr(v, name) for v in values]
        if depth < len(path):
            parts[prefix] = values
    if is_list:
        values = [None if v is None else list(v) for v in values]
    return values


def _objects(ds: Dataset, name: str) -> tuple[list[Any], dict[str, list[Any]]]:
    """The objects a table's rows are read from, and any columns given outright rather than read
    (the `ceg` table is computed, by `ceg_rows`)."""
    spec = TABLES[name]
    if spec.per_record and spec.folder is not None:
        return list(ds.of(spec.folder).values()), {}
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
    raise KeyError(name)


def _sorted_dict_columns(table: Table, rows: list[Any]) -> dict[str, Any] | None:
    """The columns of rows that are flat dicts with every column as a key (the `ceg` rows, the
    baseline points), sorted by primary key and transposed in C-level passes; None for other rows."""
    if len(table.columns) < 2 or any(len(c.path) != 1 for c in table.columns):
        return None
    if not rows or not all(type(r) is dict for r in rows):
        return None
    try:
        ordered = sorted(rows, key=operator.itemgetter(*table.primary_key))
        transposed = zip(*map(operator.itemgetter(*(c.path[0] for c in table.columns)), ordered), strict=True)
        return dict(zip((c.name for c in table.columns), transposed, strict=True))
    except KeyError:
        return None


def build_table(table: Table, objects: list[Any], given: dict[str, list[Any]] | None = None) -> pa.Table:
    """An Arrow table with described fields, rows sorted by primary key so that the same records always
    give the same bytes, whatever order the file system lists them in."""
    columns = None if given else _sorted_dict_columns(table, objects)
    if columns is None:
        # The rows are put in order before the columns are read, so that only the objects (and any
        # given columns) are reordered, not every column (0.04 s of 0.2 s for the evaluations).
        given = dict(given or {})
        by_name = {c.name: c for c in table.columns}
        keys = [
            given[k] if k in given else _column(by_name[k].path, objects, by_name[k].kind == "list")
            for k in table.primary_key
        ]
        key = keys[0].__getitem__ if len(keys) == 1 else lambda i: tuple(k[i] for k in keys)
        order = sorted(range(len(objects)), key=key)
        if order != list(range(len(objects))):
            objects = [objects[i] for i in order]
            given = {name: [values[i] for i in order] for name, values in given.items()}
        read = [c for c in table.columns if c.name not in given]
        kinds = {type(o) for o in objects}
        if not objects:
            read_columns: dict[str, list[Any]] = {c.name: [] for c in read}
        elif read and len(kinds) == 1 and issubclass(next(iter(kinds)), BaseModel):
            # Records (pydantic models, never dicts): one generated function reads a whole row, and
            # the rows are transposed in C, a third of the time of reading column by column.
            rows = map(_row_reader(table.name, tuple(c.name for c in read)), objects)
            read_columns = dict(zip((c.name for c in read), map(list, zip(*rows, strict=True)), strict=True))
        else:
            parts: dict[tuple[str, ...], list[Any]] = {}
            read_columns = {c.name: _column(c.path, objects, c.kind == "list", parts) for c in read}
        columns = {c.name: given[c.name] if c.name in given else read_columns[c.name] for c in table.columns}
    return pa.Table.from_pydict(columns, schema=arrow_schema(table))


@functools.cache
def _row_reader(table_name: str, names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function of one record giving the values of the columns `names` of a table, generated from the
    column registry: `row.a.b` for each column path, None where a parent is None, lists copied. The
    attribute names are the models' field names (identifiers, checked), never input."""
    spec = {c.name: c for c in TABLES[table_name].columns}
    lines: list[str] = []
    held: dict[tuple[str, ...], str] = {(): "row"}

    def holder(prefix: tuple[str, ...]) -> str:
        if prefix not in held:
            parent = holder(prefix[:-1])
            var = held[prefix] = f"v{len(held)}"
            get = f"{parent}.{prefix[-1]}"
            guarded = get if parent == "row" else f"None if {parent} is None else {get}"
            lines.append(f"    {var} = {guarded}")
        return held[prefix]

    values = []
    for name in names:
        column = spec[name]
        if not all(part.isidentifier() for part in column.path):
            raise ValueError(f"column {table_name}.{name}: path {column.path} is not made of identifiers")
        value = holder(column.path)
        values.append(f"None if {value} is None else list({value})" if column.kind == "list" else value)
    source = "def read(row):\n" + "\n".join(lines) + f"\n    return ({', '.join(values)},)\n"
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<row reader of {table_name}>", "exec"), namespace)  # names checked above: see the docstring
    return namespace["read"]


def build_tables(ds: Dataset) -> dict[str, pa.Table]:
    """Every table of the output contract, as Arrow tables with described fields."""
    out = {name: build_table(table, *_objects(ds, name)) for name, table in TABLES.items() if name != "ceg"}
    out["ceg"] = build_table(TABLES["ceg"], ceg_rows(ds))
    return {name: out[name] for name in TABLES}
