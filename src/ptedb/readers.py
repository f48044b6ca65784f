"""Readers of a release: `load()`, every table as a pandas DataFrame from a local build, a folder of
Parquet files or a release's URL; and `session()`, typed SQLModel access to a release database.

A URL is read as a published `dist/`: its SHA256SUMS first, then each Parquet file it lists, each checked
against its digest before it is used and kept in a cache folder keyed by that digest, so a second load
reads nothing over the network and a changed release is never mixed with an old cached file.
"""

from __future__ import annotations

import hashlib
import os
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptedb.schema.columns import TABLES

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd


class LoadError(Exception):
    """A release could not be read: missing files, a failed download or a checksum that does not match."""


def cache_dir() -> Path:
    """Where downloaded release files are kept: $PTEDB_CACHE, else the user's cache folder."""
    if os.environ.get("PTEDB_CACHE"):
        return Path(os.environ["PTEDB_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ptedb"


def _sums(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        digest, sep, name = line.partition("  ")
        if sep and len(digest) == 64:
            out[name] = digest
    return out


def _fetch(url: str, timeout: float) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except OSError as exc:
        raise LoadError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None


def _remote(url: str, timeout: float) -> dict[str, Path]:
    """Each table's Parquet file of a published release, downloaded (or found in the cache) and verified."""
    base = url if url.endswith("/") else url + "/"
    sums = _sums(_fetch(urllib.parse.urljoin(base, "SHA256SUMS"), timeout).decode("utf-8", "replace"))
    if not sums:
        raise LoadError(f"{base}SHA256SUMS lists no files: is {url} a ptedb release?")
    folder = cache_dir()
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in TABLES:
        rel = f"parquet/{name}.parquet"
        digest = sums.get(rel)
        if digest is None:
            raise LoadError(f"{base}SHA256SUMS does not list {rel}")
        cached = folder / f"{digest}.parquet"
        if not cached.is_file() or hashlib.sha256(cached.read_bytes()).hexdigest() != digest:
            data = _fetch(urllib.parse.urljoin(base, rel), timeout)
            if hashlib.sha256(data).hexdigest() != digest:
                raise LoadError(f"{base}{rel} does not match its SHA256SUMS entry; nothing was cached")
            tmp = cached.with_suffix(f".part-{os.getpid()}")
            tmp.write_bytes(data)
            tmp.replace(cached)
        out[name] = cached
    return out


def load(source: str | Path | None = None, *, timeout: float = 60.0) -> dict[str, pd.DataFrame]:
    """Every table of the output contract, by name, as a pandas DataFrame.

    `source`: a build folder (default `dist`), a folder of `<table>.parquet` files, or the http(s) URL
    of a published release (the folder holding its SHA256SUMS).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = "dist" if source is None else str(source)
    if text.startswith(("http://", "https://")):
        files = _remote(text, timeout)
    elif "://" in text:
        raise LoadError(f"{text}: only local folders and http(s) URLs can be loaded")
    else:
        path = Path(text)
        folder = path / "parquet" if (path / "parquet").is_dir() else path
        if not folder.is_dir():
            raise LoadError(f"{path} is not a build or a folder of Parquet files: run 'ptedb build' first")
        files = {name: folder / f"{name}.parquet" for name in TABLES}
    tables = {}
    for name, file in files.items():
        if not file.is_file():
            raise LoadError(f"{file} is missing: not a complete ptedb build")
        try:
            tables[name] = pq.read_table(file).to_pandas()
        except (OSError, pa.ArrowException) as exc:
            raise LoadError(f"{file} cannot be read: {exc}") from None
    return tables


def session(path: str | Path = "dist/ptedb.duckdb") -> Any:
    """A SQLModel session over a built release database, opened read-only, for the typed classes in
    `ptedb.orm`: `session.exec(select(Ceg).where(Ceg.category == "prompting")).all()`."""
    from sqlmodel import Session, create_engine

    path = Path(path)
    if path.is_dir():
        path = path / "ptedb.duckdb"
    if not path.is_file():
        raise LoadError(f"{path} not found: run 'ptedb build' first")
    engine = create_engine(f"duckdb:///{path}", connect_args={"read_only": True})
    return Session(engine)
