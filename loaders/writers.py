"""The files of a build: Parquet, CSV, datapackage.json, the dataset card, changes.json and SHA256SUMS,
with the DuckDB database written alongside in a second thread.

Kept apart from `compile` (which decides what to build and swaps it into place) because these need
pyarrow and DuckDB: `compile` imports this module only once it has records to write, and with
`--jobs` it does so while the workers are still parsing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from ptedb.schema.columns import TABLES, Table

from . import duckdb_views
from .cache import MARKER

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


def _write_csv(table: pa.Table, path: Path) -> None:
    """CSV through Arrow's writer; list columns (aliases, tags, authors) become JSON arrays, which is
    how the datapackage declares them (type array)."""
    import pyarrow.csv as pacsv

    for i, col in enumerate(table.schema):
        if pa.types.is_list(col.type):
            as_json = [None if v is None else json.dumps(v, ensure_ascii=False) for v in table.column(i).to_pylist()]
            table = table.set_column(i, pa.field(col.name, pa.string()), pa.array(as_json, pa.string()))
    pacsv.write_csv(table, path, pacsv.WriteOptions(quoting_style="needed"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


_FRICTIONLESS_TYPES = {
    "string": "string",
    "float": "number",
    "int": "integer",
    "bool": "boolean",
    "date": "date",
    "list": "array",
}


def datapackage(out: Path, meta: dict[str, str]) -> dict[str, Any]:
    """A Frictionless Data Package (v2) describing the CSV tables, generated from the column registry."""
    resources = []
    for name, spec in TABLES.items():
        path = out / "csv" / f"{name}.csv"
        fields = []
        for c in spec.columns:
            f: dict[str, Any] = {
                "name": c.name,
                "type": _FRICTIONLESS_TYPES[c.kind],
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
                "description": spec.description,
                "bytes": path.stat().st_size,
                "hash": f"sha256:{_sha256(path)}",
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


def write_table_files(tmp: Path, name: str, table: pa.Table, meta: dict[str, str]) -> None:
    """The Parquet and CSV files of one table. With --jobs the record tables are written as soon as
    they are built, while the helper is still on the CEG estimates."""
    (tmp / "parquet").mkdir(exist_ok=True)
    (tmp / "csv").mkdir(exist_ok=True)
    _write_parquet(table, TABLES[name], tmp / "parquet" / f"{name}.parquet", table_meta(meta))
    _write_csv(table, tmp / "csv" / f"{name}.csv")


def write_all(
    tmp: Path,
    tables: dict[str, pa.Table],
    meta: dict[str, str],
    progress: Progress | None,
    changes: dict[str, Any],
    database: duckdb_views.DatabaseWriter | None = None,
    written: frozenset[str] = frozenset(),
) -> None:
    """Every file of the build into `tmp`. `database`: a DuckDB writer already running, which has been
    handed every table (with --jobs); otherwise the database is written here, in a second thread.
    `written`: tables whose Parquet and CSV files are in `tmp` already."""
    (tmp / "parquet").mkdir(exist_ok=True)
    (tmp / "csv").mkdir(exist_ok=True)
    steps = len(tables) + 3
    step = 0

    def tick() -> None:
        nonlocal step
        step += 1
        if progress:
            progress("write", step, steps)

    # DuckDB, Parquet and CSV writers all release the GIL: the database is written in a second thread
    # while this one writes the other files, which on two cores hides most of one behind the other.
    # The database is waited for only before SHA256SUMS, the one file that needs it.
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = None
        if database is None:
            running = pool.submit(duckdb_views.write_database, tmp / "ptedb.duckdb", tables, meta)
        for name, table in tables.items():
            if name not in written:
                write_table_files(tmp, name, table, meta)
            tick()
        (tmp / "datapackage.json").write_text(
            json.dumps(datapackage(tmp, meta), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        tick()
        (tmp / "changes.json").write_text(json.dumps(changes, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        (tmp / "README.md").write_text(dataset_card(tables, meta), encoding="utf-8")
        marker = {k: meta[k] for k in ("dataset_version", "ptedb_version", "built_from", "records_sha256", "build_key")}
        (tmp / MARKER).write_text(json.dumps(marker, indent=1) + "\n", encoding="utf-8")
        if running is not None:
            running.result()  # re-raises the writer's error, if any, here
        else:
            assert database is not None
            database.finish(meta)
    tick()
    sums = []
    for path in sorted(p for p in tmp.rglob("*") if p.is_file()):
        sums.append(f"{_sha256(path)}  {path.relative_to(tmp).as_posix()}")
    (tmp / "SHA256SUMS").write_text("\n".join(sums) + "\n", encoding="utf-8")
    tick()


def changes(out: Path, tables: dict[str, pa.Table], meta: dict[str, str]) -> dict[str, Any]:
    """changes.json: what this build changes relative to the build it replaces (all added when none)."""
    from .diff import DiffError, as_json, diff_tables, read_build

    try:
        old, old_meta = read_build(out) if out.is_dir() else ({}, {})
    except (DiffError, OSError, pa.ArrowException):
        old, old_meta = {}, {}
    return as_json(diff_tables(old, tables), old_meta, meta)
