"""What changed between two builds: ids added, removed and changed field by field, CEG included.

Ids are stable and never deleted (a record that should go is marked `withdrawn`), so a removed id is
reported as an error: a release that silently drops a row breaks every analysis that cited it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ptedb.schema.columns import TABLES


class DiffError(Exception):
    """An input could not be read as a build or a git revision."""


@dataclass
class TableDiff:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: dict[str, dict[str, tuple[Any, Any]]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def _keys(table: pa.Table, pk: tuple[str, ...]) -> list[str]:
    columns = [table.column(k).to_pylist() for k in pk]
    if len(pk) == 1:
        return [str(v) for v in columns[0]]
    return ["/".join(str(v) for v in row) for row in zip(*columns, strict=True)]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12)
    return bool(a == b)


def diff_tables(old: dict[str, pa.Table], new: dict[str, pa.Table]) -> dict[str, TableDiff]:
    """Ids added and removed, and for ids on both sides the fields that differ.

    Work is done in Arrow as far as it goes: identical tables are settled at once, ids come from the key
    columns alone, and only a column that differs somewhere is turned into Python values and compared
    row by row (floats to a relative 1e-12, NaN equal to NaN).
    """
    out: dict[str, TableDiff] = {}
    for name, spec in TABLES.items():
        a_table, b_table = old.get(name), new.get(name)
        if a_table is not None and b_table is not None and a_table.equals(b_table):
            out[name] = TableDiff()  # identical: the common case
            continue
        before = _keys(a_table, spec.primary_key) if a_table is not None else []
        after = _keys(b_table, spec.primary_key) if b_table is not None else []
        d = TableDiff(added=sorted(set(after) - set(before)), removed=sorted(set(before) - set(after)))
        if a_table is not None and b_table is not None:
            at = {k: i for i, k in enumerate(before)}
            common = sorted(set(at) & set(after))
            bt = {k: i for i, k in enumerate(after)}
            a_rows = pa.array([at[k] for k in common], pa.int64())
            b_rows = pa.array([bt[k] for k in common], pa.int64())
            for col in b_table.column_names:
                b_col = b_table.column(col).take(b_rows)
                a_col = a_table.column(col).take(a_rows) if col in a_table.column_names else None
                if a_col is not None and a_col.type == b_col.type and a_col.equals(b_col):
                    continue
                a_vals = a_col.to_pylist() if a_col is not None else [None] * len(common)
                for key, x, y in zip(common, a_vals, b_col.to_pylist(), strict=True):
                    if not _same(x, y):
                        d.changed.setdefault(key, {})[col] = (x, y)
            d.changed = dict(sorted(d.changed.items()))
        out[name] = d
    return out


def read_build(path: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """The tables of a built dist/ folder, and its provenance from the Parquet metadata."""
    parquet = path / "parquet"
    if not parquet.is_dir():
        raise DiffError(f"{path} is not a build: it has no parquet/ folder (run 'ptedb build --out {path}')")
    tables = {}
    meta: dict[str, str] = {}
    for name in TABLES:
        file = parquet / f"{name}.parquet"
        # a missing or unreadable table is a damaged build, not an empty table: read as empty, every
        # id in it would be reported removed
        if not file.is_file():
            raise DiffError(f"{path} is not a whole build: {file} is missing (run 'ptedb build --out {path}')")
        try:
            t = pq.read_table(file)
        except (OSError, pa.ArrowException) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DiffError(f"cannot read {file}: {first} (run 'ptedb build --out {path}' to repair it)") from None
        tables[name] = t
        if not meta and t.schema.metadata:
            meta = {k.decode(): v.decode() for k, v in t.schema.metadata.items() if k != b"description"}
    return tables, meta


def removed_ids(diff: dict[str, TableDiff]) -> list[str]:
    return [f"{name}:{key}" for name, d in diff.items() for key in d.removed]


def as_json(diff: dict[str, TableDiff], old_meta: dict[str, str], new_meta: dict[str, str]) -> dict[str, Any]:
    def plain(v: Any) -> Any:
        if isinstance(v, float) and not math.isfinite(v):
            return None
        if hasattr(v, "isoformat"):
            return v.isoformat()
        return v

    return {
        "from": {k: old_meta.get(k) for k in ("dataset_version", "built_from")},
        "to": {k: new_meta.get(k) for k in ("dataset_version", "built_from")},
        "tables": {
            name: {
                "added": d.added,
                "removed": d.removed,
                "changed": {
                    key: {col: {"old": plain(a), "new": plain(b)} for col, (a, b) in cols.items()}
                    for key, cols in d.changed.items()
                },
            }
            for name, d in diff.items()
            if not d.empty
        },
    }


def as_text(diff: dict[str, TableDiff]) -> str:
    lines = []
    for name, d in diff.items():
        if d.empty:
            continue
        lines.append(f"{name}: +{len(d.added)} added, ~{len(d.changed)} changed, -{len(d.removed)} removed")
        lines.extend(f"  + {k}" for k in d.added)
        lines.extend(f"  - {k}" for k in d.removed)
        for key, cols in d.changed.items():
            lines.append(f"  ~ {key}")
            lines.extend(f"      {col}: {a!r} -> {b!r}" for col, (a, b) in cols.items())
    return "\n".join(lines) if lines else "no changes"
