"""DS: pandera schemas for the compiled tables, generated from the column registry.

The record rules check files; these check what users download. They catch what only shows once the
tables are assembled — a key repeated across files, a foreign key with no row behind it, a CEG range
that does not contain its estimate — and they guard the code as much as the data: a bug in the table
builder fails here, before anything is written.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as pyarrow
import pyarrow.compute as pc
from ptedb.schema.columns import TABLES, Table

from .dataset import Diagnostic


def _ceg_checks() -> list[pa.Check]:
    def ordered(df: pd.DataFrame) -> pd.Series:
        both = df["ceg_interpolated"].notna() & df["ceg_low"].notna() & df["ceg_high"].notna()
        ok = (df["ceg_low"] <= df["ceg_interpolated"] * (1 + 1e-9)) & (
            df["ceg_interpolated"] <= df["ceg_high"] * (1 + 1e-9)
        )
        return ~both | ok

    def interval(df: pd.DataFrame) -> pd.Series:
        both = df["ceg_p05"].notna() & df["ceg_p95"].notna()
        return (~both | (df["ceg_p05"] <= df["ceg_p95"] * (1 + 1e-9))) & (
            df["ceg_p05"].isna() | (df["ceg_kind"] == "point")
        )

    def explained(df: pd.DataFrame) -> pd.Series:
        return (df["ceg_kind"] == "point") | df["reason"].notna()

    def has_value(df: pd.DataFrame) -> pd.Series:
        headline = df["ceg_kind"] != "none"
        return (headline == df["ceg"].notna()) & (~headline | (df["ceg"] > 0)) & (headline == df["meaningful"])

    def on_a_curve(df: pd.DataFrame) -> pd.Series:
        return (df["ceg_kind"] != "point") | df["curve"].notna()

    return [
        pa.Check(ordered, error="ceg_low <= ceg_interpolated <= ceg_high"),
        pa.Check(interval, error="ceg_p05 <= ceg_p95, and only for a point"),
        pa.Check(explained, error="a headline that is not a point states a reason"),
        pa.Check(has_value, error="a headline (point or bound) has a positive ceg, and none has no ceg"),
        pa.Check(on_a_curve, error="a point names the curve it was read on"),
    ]


def schema_for(table: Table) -> pa.DataFrameSchema:
    columns: dict[str, pa.Column] = {}
    for c in table.columns:
        checks: list[pa.Check] = []
        if c.choices:
            checks.append(pa.Check.isin(list(c.choices)))
        if c.ge is not None:
            checks.append(pa.Check.ge(c.ge))
        if c.gt is not None:
            checks.append(pa.Check.gt(c.gt))
        if c.le is not None:
            checks.append(pa.Check.le(c.le))
        if c.pattern is not None and c.kind == "string":
            checks.append(pa.Check.str_matches(c.pattern))
        columns[c.name] = pa.Column(None, checks=checks, nullable=c.nullable, required=True, description=c.description)
    return pa.DataFrameSchema(
        columns,
        name=table.name,
        unique=list(table.primary_key),
        strict=True,
        checks=_ceg_checks() if table.name == "ceg" else None,
    )


SCHEMAS: dict[str, pa.DataFrameSchema] = {}


def _schema(name: str) -> pa.DataFrameSchema:
    if name not in SCHEMAS:
        SCHEMAS[name] = schema_for(TABLES[name])
    return SCHEMAS[name]


def _where(name: str, df: pd.DataFrame, index: Any, paths: dict[tuple[str, str], str]) -> str:
    key = TABLES[name].primary_key[0]
    try:
        rid = str(df.loc[index, key]) if index is not None and index in df.index else ""
    except (KeyError, TypeError):
        rid = ""
    folder = TABLES[name].folder
    if name == "evaluations" and "/" in rid:
        rid = rid.split("/")[0]
    return paths.get((folder or "", rid), f"<{name} table>")


def check_table(name: str, table: pyarrow.Table, paths: dict[tuple[str, str], str]) -> list[Diagnostic]:
    """One compiled table against its pandera schema; an empty list means it is valid."""
    out: list[Diagnostic] = []
    df = table.to_pandas()
    try:
        _schema(name).validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        for _, fc in exc.failure_cases.head(50).iterrows():
            column = fc.get("column") or ""
            index = fc.get("index")
            out.append(
                Diagnostic(
                    _where(name, df, index, paths),
                    1,
                    1,
                    "DS001",
                    f"{name}.{column}".rstrip("."),
                    f"check '{fc.get('check')}' failed for value {fc.get('failure_case')!r}",
                )
            )
    return out


def check_foreign_keys(tables: dict[str, pyarrow.Table], paths: dict[tuple[str, str], str]) -> list[Diagnostic]:
    """Foreign keys across tables: pandera validates one frame at a time. Checked on the Arrow tables,
    where a membership test over 20,000 ids is one C loop (pandas' Arrow strings make it a Python one)."""
    out: list[Diagnostic] = []
    for name, table in TABLES.items():
        for col, target, target_col in table.foreign_keys:
            values = tables[name].column(col)
            known = tables[target].column(target_col).drop_null()
            broken = pc.and_(pc.is_valid(values), pc.invert(pc.is_in(values, value_set=known)))
            indices = pc.indices_nonzero(broken).to_pylist()
            if not indices:
                continue
            df = tables[name].to_pandas()  # only to say which file a broken row came from
            for index in indices:
                out.append(
                    Diagnostic(
                        _where(name, df, index, paths),
                        1,
                        1,
                        "DS001",
                        f"{name}.{col}",
                        f"'{values[index].as_py()}' has no row in {target}.{target_col}",
                    )
                )
    return out


def check_tables(tables: dict[str, pyarrow.Table], paths: dict[tuple[str, str], str]) -> list[Diagnostic]:
    """Run the DS layer; an empty list means every compiled table is valid."""
    out = [d for name, table in tables.items() for d in check_table(name, table, paths)]
    return out + check_foreign_keys(tables, paths)
