"""The compiled tables, projected from the record models.

A table is a list of `Column`s, each derived from a model field: nested parts are flattened with their
parent's name as prefix (`one_time_cost.flop` → `one_time_cost_flop`), a `SourceRef` becomes
`<prefix>_id` and `<prefix>_locator`, and references to other kinds get an `_id` suffix. Arrow types,
Parquet field metadata, DuckDB comments, pandera checks and datapackage.json all read this registry, so
a field is described exactly once: in `models.py`.
"""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import dataclass, field
from typing import Any

from annotated_types import Ge, Gt, Le, Lt, MaxLen
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from . import models as m

_RENAMES = {"benchmark": "benchmark_id", "model": "model_id", "baseline": "baseline_id"}


@dataclass(frozen=True)
class Kind:
    """How a column kind is stored and named in each output; the one map from kind to type."""

    arrow: str
    """pyarrow type factory: `string`, `float64`, ... (`list` is a list of strings)."""
    sql: str
    frictionless: str
    words: str
    """As the site's field reference names it."""


KINDS: dict[str, Kind] = {
    "string": Kind("string", "VARCHAR", "string", "text"),
    "float": Kind("float64", "DOUBLE", "number", "number"),
    "int": Kind("int64", "BIGINT", "integer", "integer"),
    "bool": Kind("bool_", "BOOLEAN", "boolean", "boolean"),
    "date": Kind("date32", "DATE", "date", "date"),
    "list": Kind("list", "VARCHAR[]", "array", "list of text"),
}


@dataclass(frozen=True)
class Column:
    name: str
    path: tuple[str, ...]
    kind: str  # string | float | int | bool | date | list
    description: str
    nullable: bool
    choices: tuple[str, ...] | None = None
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    foreign_keys: tuple[tuple[str, str, str], ...] = field(default=())  # (column, table, column)
    folder: str | None = None
    """The records folder whose files a row comes from, so a problem in a row can name its file."""
    per_record: bool = False
    """One row per record of `folder`, read straight from the record."""

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _unwrap(annotation: Any) -> tuple[Any, bool, list[Any]]:
    """(inner type, nullable, metadata) of an annotation like `Annotated[str, ...] | None`."""
    nullable = False
    meta: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            args = typing.get_args(annotation)
            annotation = args[0]
            meta.extend(args[1:])
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            nullable = nullable or len(args) < len(typing.get_args(annotation))
            annotation = args[0]
        else:
            return annotation, nullable, meta


def _kind(annotation: Any) -> tuple[str, tuple[str, ...] | None]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return "string", tuple(typing.get_args(annotation))
    if origin is list:
        return "list", None
    if annotation is bool:
        return "bool", None
    if annotation is int:
        return "int", None
    if annotation is float:
        return "float", None
    if annotation is dt.date:
        return "date", None
    return "string", None


def _constraints(info: FieldInfo, meta: list[Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in [*info.metadata, *meta]:
        if isinstance(c, Ge):
            out["ge"] = c.ge
        elif isinstance(c, Gt):
            out["gt"] = c.gt
        elif isinstance(c, Le):
            out["le"] = c.le
        elif isinstance(c, Lt | MaxLen):
            continue
        elif getattr(c, "pattern", None):
            out["pattern"] = c.pattern
    return out


def flatten(
    model: type[BaseModel],
    *,
    prefix: str = "",
    path: tuple[str, ...] = (),
    parent_nullable: bool = False,
    parent_label: str = "",
    exclude: tuple[str, ...] = (),
) -> list[Column]:
    """Columns for every scalar field of `model`, nested models flattened."""
    cols: list[Column] = []
    for name, info in model.model_fields.items():
        if name in exclude:
            continue
        inner, nullable, meta = _unwrap(info.annotation)
        nullable = nullable or parent_nullable
        desc = info.description or ""
        if isinstance(inner, type) and issubclass(inner, m.SourceRef):
            base = f"{prefix}{name}"
            label = f"{parent_label}{desc}".rstrip(".")
            cols.append(Column(f"{base}_id", (*path, name, "ref"), "string", f"{label}: id of the source.", nullable))
            cols.append(
                Column(
                    f"{base}_locator",
                    (*path, name, "locator"),
                    "string",
                    f"{label}: table, figure or section in the source.",
                    nullable,
                )
            )
            continue
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            cols.extend(
                flatten(
                    inner,
                    prefix=f"{prefix}{name}_",
                    path=(*path, name),
                    parent_nullable=nullable,
                    parent_label=f"{desc.rstrip('.')} — ",
                )
            )
            continue
        kind, choices = _kind(inner)
        col_name = f"{prefix}{_RENAMES.get(name, name) if not prefix else name}"
        cols.append(
            Column(
                col_name,
                (*path, name),
                kind,
                f"{parent_label}{desc}",
                nullable,
                choices,
                **_constraints(info, meta),
            )
        )
    return cols


def _evaluation_columns() -> tuple[Column, ...]:
    head = (
        Column("evaluation_id", ("evaluation_id",), "string", "Global id, '<enhancement>/<evaluation>'.", False),
        Column("enhancement_id", ("enhancement_id",), "string", "Id of the enhancement evaluated.", False),
    )
    own = flatten(m.Evaluation)
    own = [
        Column("local_id", c.path, c.kind, c.description, c.nullable, pattern=c.pattern) if c.name == "id" else c
        for c in own
    ]
    return (*head, *own)


def _ceg_columns() -> tuple[Column, ...]:
    return tuple(flatten(m.CegRow))


def _record_table(
    cls: type[m.Record],
    primary_key: tuple[str, ...],
    foreign_keys: tuple[tuple[str, str, str], ...] = (),
    *,
    exclude: tuple[str, ...] = (),
) -> Table:
    """The table of one record kind: one row per record, named for its folder."""
    columns = tuple(flatten(cls, exclude=("schema_version", *exclude)))
    return Table(cls.folder, cls.__doc__ or "", columns, primary_key, foreign_keys, cls.folder, per_record=True)


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        _record_table(
            m.Enhancement,
            ("id",),
            (("introduced_in", "sources", "id"), ("superseded_by", "enhancements", "id")),
            exclude=("evaluations",),
        ),
        Table(
            "evaluations",
            m.Evaluation.__doc__ or "",
            _evaluation_columns(),
            ("evaluation_id",),
            (
                ("enhancement_id", "enhancements", "id"),
                ("benchmark_id", "benchmarks", "id"),
                ("model_id", "models", "id"),
                ("baseline_id", "baselines", "id"),
                ("source_id", "sources", "id"),
            ),
            m.Enhancement.folder,
        ),
        _record_table(
            m.Model, ("id",), (("source_id", "sources", "id"), ("training_compute_source_id", "sources", "id"))
        ),
        _record_table(m.Benchmark, ("id",), (("source_id", "sources", "id"),)),
        _record_table(
            m.Baseline,
            ("id",),
            (("benchmark_id", "benchmarks", "id"), ("source_id", "sources", "id")),
            exclude=("points",),
        ),
        Table(
            "baseline_points",
            m.BaselinePoint.__doc__ or "",
            (
                Column("baseline_id", ("baseline_id",), "string", "Id of the baseline.", False),
                Column(
                    "position",
                    ("position",),
                    "int",
                    "Order of the point within its baseline (from 0).",
                    False,
                ),
                *flatten(m.BaselinePoint),
            ),
            ("baseline_id", "model_id"),
            (("baseline_id", "baselines", "id"), ("model_id", "models", "id")),
            m.Baseline.folder,
        ),
        _record_table(m.Source, ("id",)),
        _record_table(m.Tradeoff, ("id",), (("source_id", "sources", "id"),)),
        Table(
            "ceg",
            m.CegRow.__doc__ or "",
            _ceg_columns(),
            ("evaluation_id",),
            (("evaluation_id", "evaluations", "evaluation_id"),),
        ),
    )
}
"""Every compiled table, in the order of the output contract."""
