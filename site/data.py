"""Read the built database (dist/ptedb.duckdb) into plain Python structures for the page generator.

The site is rendered from the build output, not from records/: what it shows is exactly what the
release ships, including ptedb's own CEG estimates, which only the build computes. The file is opened
read-only, every table is read once, and the rest of the generator works on dictionaries.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Row = dict[str, Any]


class SiteDataError(Exception):
    """The build output is missing or not what the site generator expects."""


@dataclass
class ReleaseFile:
    """One downloadable file of the release, with what the downloads page states about it."""

    path: str  # relative to dist/
    size: int
    sha256: str


@dataclass
class SiteData:
    meta: dict[str, str]
    enhancements: dict[str, Row]
    evaluations: list[Row]
    models: dict[str, Row]
    benchmarks: dict[str, Row]
    baselines: dict[str, Row]
    sources: dict[str, Row]
    tradeoffs: list[Row]
    views: list[tuple[str, str]] = field(default_factory=list)
    macros: list[tuple[str, str]] = field(default_factory=list)
    table_comments: dict[str, str] = field(default_factory=dict)
    files: list[ReleaseFile] = field(default_factory=list)
    by_enhancement: dict[str, list[Row]] = field(default_factory=dict)
    by_benchmark: dict[str, list[Row]] = field(default_factory=dict)
    by_category: dict[str, list[Row]] = field(default_factory=dict)


def _rows(con: Any, sql: str) -> list[Row]:
    cur = con.execute(sql)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def _release_files(out: Path) -> list[ReleaseFile]:
    """Every file listed in SHA256SUMS, with its size; a checksum that no longer matches is an error.

    The checksums are read from the build's own SHA256SUMS (the numbers a downloader will verify
    against) and re-checked here, so the downloads page can never publish a stale hash.
    """
    sums = out / "SHA256SUMS"
    if not sums.is_file():
        raise SiteDataError(f"{sums} not found: run 'ptedb build' first")
    files = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        digest, _, name = line.partition("  ")
        path = out / name
        if not path.is_file():
            raise SiteDataError(f"{path} is listed in SHA256SUMS but missing: rebuild with 'ptedb build'")
        with path.open("rb") as fh:
            actual = hashlib.file_digest(fh, "sha256").hexdigest()
        if actual != digest:
            raise SiteDataError(f"{path} does not match its SHA256SUMS entry: rebuild with 'ptedb build'")
        files.append(ReleaseFile(name, path.stat().st_size, digest))
    return files


def load(out: Path) -> SiteData:
    """Everything the pages need, from `out/ptedb.duckdb` and `out/SHA256SUMS`."""
    import duckdb

    db = out / "ptedb.duckdb"
    if not db.is_file():
        raise SiteDataError(f"{db} not found: run 'ptedb build' first")
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        raise SiteDataError(f"cannot open {db}: {exc}") from None
    try:
        meta = {r["key"]: r["value"] for r in _rows(con, "SELECT key, value FROM _meta")}
        enh = {r["id"]: r for r in _rows(con, "SELECT * FROM enhancements ORDER BY lower(name), id")}
        evals = _rows(con, "SELECT * FROM evaluations ORDER BY evaluation_id")
        ceg = {r["evaluation_id"]: r for r in _rows(con, "SELECT * FROM ceg")}
        models = {r["id"]: r for r in _rows(con, "SELECT * FROM models ORDER BY id")}
        benchmarks = {r["id"]: r for r in _rows(con, "SELECT * FROM benchmarks ORDER BY lower(name), id")}
        baselines = {r["id"]: r for r in _rows(con, "SELECT * FROM baselines ORDER BY id")}
        points = _rows(con, "SELECT * FROM baseline_points ORDER BY baseline_id, position")
        sources = {r["id"]: r for r in _rows(con, "SELECT * FROM sources ORDER BY id")}
        tradeoffs = _rows(con, "SELECT * FROM tradeoffs ORDER BY id")
        views = [
            (r["view_name"], r["comment"] or "")
            for r in _rows(
                con,
                "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal AND schema_name = 'main' "
                "ORDER BY view_name",
            )
        ]
        macros = [
            (r["function_name"], r["comment"] or "")
            for r in _rows(
                con,
                "SELECT DISTINCT function_name, comment FROM duckdb_functions() "
                "WHERE function_type IN ('macro', 'table_macro') AND NOT internal AND schema_name = 'main' "
                "ORDER BY function_name",
            )
        ]
        table_comments = {
            r["table_name"]: r["comment"] or ""
            for r in _rows(con, "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'")
        }
    except duckdb.Error as exc:
        raise SiteDataError(f"{db} is not a ptedb database this site can read: {str(exc).splitlines()[0]}") from None
    finally:
        con.close()

    for b in baselines.values():
        b["points"] = []
    for p in points:
        b = baselines.get(p["baseline_id"])
        if b is not None:
            m = models.get(p["model_id"]) or {}
            b["points"].append({**p, "compute": m.get("training_compute_flop")})
    for ev in evals:
        ev["ceg"] = ceg.get(ev["evaluation_id"], {})
        ev["category"] = (enh.get(ev["enhancement_id"]) or {}).get("category")
        ev["enhancement_name"] = (enh.get(ev["enhancement_id"]) or {}).get("name") or ev["enhancement_id"]
        ev["benchmark_name"] = (benchmarks.get(ev["benchmark_id"]) or {}).get("name") or ev["benchmark_id"]
        ev["model_name"] = (models.get(ev["model_id"]) or {}).get("name") or ev["model_id"]
    data = SiteData(
        meta=meta,
        enhancements=enh,
        evaluations=evals,
        models=models,
        benchmarks=benchmarks,
        baselines=baselines,
        sources=sources,
        tradeoffs=tradeoffs,
        views=views,
        macros=macros,
        table_comments=table_comments,
        files=_release_files(out),
    )
    by_e: dict[str, list[Row]] = defaultdict(list)
    by_b: dict[str, list[Row]] = defaultdict(list)
    by_c: dict[str, list[Row]] = defaultdict(list)
    for ev in evals:
        by_e[ev["enhancement_id"]].append(ev)
        by_b[ev["benchmark_id"]].append(ev)
        by_c[ev["category"]].append(ev)
    data.by_enhancement, data.by_benchmark, data.by_category = dict(by_e), dict(by_b), dict(by_c)
    return data
