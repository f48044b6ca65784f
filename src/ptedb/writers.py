"""The files of a build: Parquet, CSV, the DuckDB database, datapackage.json, the dataset card,
changes.json and SHA256SUMS.

Kept apart from `build` (which decides what to build and swaps it into place) because these need
pyarrow and DuckDB: `build` imports this module only once it has records to write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from ptedb.schema.columns import KINDS, TABLES, Table

from . import database
from .cache import MARKER, sums_text

Progress = Callable[[str, int, int], None]


# --- writers -------------------------------------------------------------------------------------


def _write_parquet(table: pa.Table, spec: Table, path: Path, kv: dict[str, str]) -> None:
    metadata = {b"description": spec.description.encode(), **{k.encode(): v.encode() for k, v in kv.items()}}
    pq.write_table(
        table.replace_schema_metadata(metadata),
        path,
        compression="zstd",
        write_statistics=True,
        use_dictionary=True,
    )


FORMULA_LEAD = r"^'*[=+\-@\t\r]"
"""Text a spreadsheet may run as a formula when it opens a CSV file (`=HYPERLINK(...)`, `+1+cmd|...`,
`@SUM(...)`), with the tab and carriage return that also trigger it (OWASP's CSV injection list). Text
already quoted that way (`'=x`) is matched too, so that removing one ' always restores the record."""

CSV_NOTE = (
    "In this CSV file a text cell that begins with =, +, -, @, a tab or a carriage return (after any ') is "
    "written with one more leading ' so that spreadsheets do not run it as a formula: remove one ' from such "
    "a cell to restore the text; numbers are unchanged, and the Parquet and DuckDB files hold the text as "
    "recorded."
)
"""What the datapackage says about `_neutralised` text, in each CSV resource's description."""


def _neutralised(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A text column with every formula-leading cell prefixed by a single quote (OWASP's advice): the
    spreadsheet shows the text, and removing one ' from a cell matching FORMULA_LEAD restores it exactly."""
    import pyarrow.compute as pc

    leads = pc.match_substring_regex(column, FORMULA_LEAD)
    if not pc.any(leads).as_py():
        return column
    return pc.if_else(leads, pc.binary_join_element_wise("'", column, ""), column)


def _write_csv(table: pa.Table, path: Path) -> None:
    """CSV through Arrow's writer; list columns (aliases, tags, authors) become JSON arrays, which is
    how the datapackage declares them (type array); text cells are `_neutralised` against formulas."""
    import pyarrow.csv as pacsv

    for i, col in enumerate(table.schema):
        if pa.types.is_list(col.type):
            as_json = [None if v is None else json.dumps(v, ensure_ascii=False) for v in table.column(i).to_pylist()]
            table = table.set_column(i, pa.field(col.name, pa.string()), pa.array(as_json, pa.string()))
        elif pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            table = table.set_column(i, col, _neutralised(table.column(i)))
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def datapackage(out: Path, meta: dict[str, str]) -> dict[str, Any]:
    """A Frictionless Data Package (v2) describing the CSV tables, generated from the column registry."""
    resources = []
    for name, spec in TABLES.items():
        path = out / "csv" / f"{name}.csv"
        fields = []
        for c in spec.columns:
            f: dict[str, Any] = {
                "name": c.name,
                "type": KINDS[c.kind].frictionless,
                "description": c.description,
            }
            constraints: dict[str, Any] = {}
            if not c.nullable:
                constraints["required"] = True
            if c.choices:
                constraints["enum"] = list(c.choices)
            if c.ge is not None:
                constraints["minimum"] = c.ge
            if c.kind == "bool":
                f["trueValues"], f["falseValues"] = ["true"], ["false"]
            if constraints:
                f["constraints"] = constraints
            fields.append(f)
        schema: dict[str, Any] = {
            "fields": fields,
            "primaryKey": list(spec.primary_key),
            "missingValues": [""],
        }
        fks = [
            {"fields": [col], "reference": {"resource": tgt, "fields": [tcol]}} for col, tgt, tcol in spec.foreign_keys
        ]
        if fks:
            schema["foreignKeys"] = fks
        resources.append(
            {
                "name": name,
                "type": "table",
                "path": f"csv/{name}.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": f"{spec.description} {CSV_NOTE}",
                "bytes": path.stat().st_size,
                "hash": f"sha256:{sha256(path)}",
                "schema": schema,
            }
        )
    return {
        "$schema": "https://datapackage.org/profiles/2.0/datapackage.json",
        "name": "ptedb",
        "title": meta.get("title", "ptedb"),
        "description": "Post-training enhancements of AI models and their compute-equivalent gain (CEG).",
        "version": meta["dataset_version"],
        "licenses": [{"name": meta.get("license", "CC-BY-4.0")}],
        "created": meta["built_at"],
        "resources": resources,
    }


def dataset_card(tables: dict[str, pa.Table], meta: dict[str, str]) -> str:
    """README.md for dist/, usable as a Hugging Face dataset card: one Parquet config per table."""
    configs = "\n".join(
        f"- config_name: {name}\n  data_files: parquet/{name}.parquet" + ("\n  default: true" if name == "ceg" else "")
        for name in TABLES
    )
    sections = []
    for name, spec in TABLES.items():
        cols = "\n".join(f"| `{c.name}` | {c.kind} | {c.description.replace('|', '/')} |" for c in spec.columns)
        sections.append(
            f"### `{name}` ({tables[name].num_rows} rows)\n\n{spec.description}\n\n"
            f"| column | type | description |\n| --- | --- | --- |\n{cols}\n"
        )
    return (
        "---\n"
        f"license: {meta.get('license', 'CC-BY-4.0').lower()}\n"
        "pretty_name: ptedb — post-training enhancements and their compute-equivalent gain\n"
        "tags:\n- compute-equivalent-gain\n- post-training\n- scaling-laws\n"
        f"configs:\n{configs}\n"
        "---\n\n"
        f"# ptedb {meta['dataset_version']}\n\n"
        "Post-training enhancements (PTEs) of AI models — tool use, prompting, scaffolding, solution choice, data "
        "and efficiency techniques — with their benchmark results, costs and **compute-equivalent gain** (CEG): "
        "how much more pre-training compute would buy the same improvement. Every number carries the source and "
        "the table or section it was read in.\n\n"
        f"Built from records at `{meta['built_from']}` (records SHA-256 `{meta['records_sha256']}`), schema "
        f"version {meta['schema_version']}. Verify files with `sha256sum -c SHA256SUMS`.\n\n"
        '```python\nimport pandas as pd\nceg = pd.read_parquet("parquet/ceg.parquet")\n```\n\n'
        "```sql\nATTACH 'ptedb.duckdb' AS ptedb (READ_ONLY);\nSELECT * FROM ptedb.ceg_by_category;\n```\n\n"
        "## Tables\n\n" + "\n".join(sections) + "\n## Citation\n\nSee `CITATION.cff` in the ptedb repository. "
        "CEG as defined by Davidson, Denain, Villalobos & Bas (2023), arXiv:2312.07413.\n"
    )


def table_meta(meta: dict[str, str]) -> dict[str, str]:
    """The build facts every Parquet file carries: all known before the first table is built."""
    return {k: meta[k] for k in ("dataset_version", "schema_version", "built_from", "records_sha256")}


def write_all(
    tmp: Path, tables: dict[str, pa.Table], meta: dict[str, str], changes: dict[str, Any], progress: Progress | None
) -> None:
    """Every file of the build into `tmp`."""
    (tmp / "parquet").mkdir(exist_ok=True)
    (tmp / "csv").mkdir(exist_ok=True)
    steps = len(tables) + 3
    for step, (name, table) in enumerate(tables.items(), 1):
        _write_parquet(table, TABLES[name], tmp / "parquet" / f"{name}.parquet", table_meta(meta))
        _write_csv(table, tmp / "csv" / f"{name}.csv")
        if progress:
            progress("write", step, steps)
    database.write_database(tmp / "ptedb.duckdb", tables, meta)
    (tmp / "datapackage.json").write_text(
        json.dumps(datapackage(tmp, meta), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (tmp / "changes.json").write_text(json.dumps(changes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (tmp / "README.md").write_text(dataset_card(tables, meta), encoding="utf-8")
    marker: dict[str, Any] = {
        k: meta[k] for k in ("dataset_version", "ptedb_version", "built_from", "records_sha256", "build_key")
    }
    # the files SHA256SUMS must list (besides the marker): a no-change build checks them all (cache.up_to_date)
    marker["files"] = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
    if progress:
        progress("write", steps - 1, steps)
    (tmp / "SHA256SUMS").write_text(sums_text(tmp), encoding="utf-8")
    if progress:
        progress("write", steps, steps)
