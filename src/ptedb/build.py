"""Compile validated records into `dist/`: Parquet, CSV, DuckDB, datapackage.json and SHA256SUMS.

The build is all-or-nothing. Everything is written into a fresh sibling directory; only when every
file is complete is it swapped with `dist/` (atomically where the OS allows: `renameat2` with
RENAME_EXCHANGE on Linux), so an interrupted or failed build leaves the previous `dist/` as it was.
A build that writes replaces `dist/` whole, the previous `dist/site/` included: run `ptedb site` again.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ptedb import __version__
from ptedb.schema.models import SCHEMA_VERSION
from ptedb.validation.dataset import Dataset, Diagnostic

from .cache import BuildError, Key, check_replaceable, key_for, up_to_date
from .check import validate
from .lock import build_lock

if TYPE_CHECKING:
    import pyarrow as pa

Progress = Callable[[str, int, int], None]


@dataclass
class BuildResult:
    dataset: Dataset | None  # None when the build was up to date and nothing was read
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tables: dict[str, pa.Table] = field(default_factory=dict)
    out: Path | None = None
    meta: dict[str, str] = field(default_factory=dict)
    cached: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    """Wall-clock seconds of each step (validate, tables, check, write), for `ptedb build --timings`."""

    @property
    def ok(self) -> bool:
        return not self.diagnostics


# --- the swap ------------------------------------------------------------------------------------

_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux renameat2); False when the platform cannot."""
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return False
    libc = ctypes.CDLL(libc_name, use_errno=True)
    fn = getattr(libc, "renameat2", None)
    if fn is None:
        return False
    at_fdcwd = -100
    rc = fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE)
    if rc == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(b))


def _replace_dir(new: Path, out: Path) -> None:
    if not out.exists():
        new.rename(out)
        return
    if _exchange(new, out):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous build
        return
    old = out.with_name(f".{out.name}.old-{os.getpid()}")  # pragma: no cover - non-Linux fallback
    out.rename(old)
    new.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def cleanup_stale(out: Path) -> None:
    """Remove temporary build directories left by builds that were killed."""
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def build(
    records: Path | str,
    out: Path | str,
    progress: Progress | None = None,
    *,
    force: bool = False,
    key: Key | None = None,
) -> BuildResult:
    """Validate, compile and write `out` atomically. Invalid data writes nothing.

    When `out` already holds a complete build of the same records by the same code (its build key
    matches), nothing is redone and `result.cached` is True; `force` rebuilds regardless.
    """
    out = Path(out).absolute()
    records = Path(records)
    check_replaceable(out)  # before any work; checked again under the lock
    key = key or key_for(records)
    if not force and key.records_sha256 and (previous := up_to_date(out, key.value)) is not None:
        return BuildResult(None, out=out, meta=previous, cached=True)
    return _build(records, out, progress, key)


def _meta(ds: Dataset, key: Key) -> dict[str, str]:
    info = ds.info
    assert info is not None  # a dataset without dataset.yaml fails validation before anything is built
    return {
        "dataset_version": info.dataset_version,
        "schema_version": str(SCHEMA_VERSION),
        "built_from": key.built_from,
        "records_sha256": key.records_sha256,
        "build_key": key.value,
        "built_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "ptedb_version": __version__,
        "title": info.title,
        "license": info.license,
    }


def _build(records: Path, out: Path, progress: Progress | None, key: Key) -> BuildResult:
    clock = [time.perf_counter()]

    def lap(result: BuildResult, step: str) -> None:
        now = time.perf_counter()
        result.timings[step] = now - clock[0]
        clock[0] = now

    ds = validate(records, progress, walked=key.scan)
    result = BuildResult(ds, diagnostics=list(ds.diagnostics))
    lap(result, "validate")
    if ds.diagnostics:
        return result

    from ptedb.validation import frames

    from . import tables, writers

    result.tables = tables.build_tables(ds)
    lap(result, "tables")
    result.diagnostics = frames.check_tables(result.tables, ds.paths)
    lap(result, "check")
    if result.diagnostics:
        return result
    meta = _meta(ds, key)
    with _output(out) as tmp:
        writers.write_all(tmp, result.tables, meta, _changes(out, result.tables, meta), progress)
        # The previous site is not carried over: it describes, and its download serves, the database
        # this build replaces. Only `ptedb site` puts a site in `out`, from this build.
        _replace_dir(tmp, out)
    result.meta = meta
    result.out = out
    lap(result, "write")
    return result


def _changes(out: Path, tables: dict[str, pa.Table], meta: dict[str, str]) -> dict[str, Any]:
    """changes.json: what this build changes relative to the build it replaces (all added when none)."""
    import pyarrow as pa

    from .diff import DiffError, as_json, diff_tables, read_build

    try:
        old, old_meta = read_build(out) if out.is_dir() else ({}, {})
    except (DiffError, OSError, pa.ArrowException):
        old, old_meta = {}, {}
    return as_json(diff_tables(old, tables), old_meta, meta)


@contextlib.contextmanager
def _output(out: Path) -> Iterator[Path]:
    """Hold the output lock and a fresh temporary folder beside `out`. The body fills the folder and
    swaps it in; whatever is left of it afterwards — after an error, or a build that found problems —
    is removed, and errors of the disk become BuildError."""
    import duckdb

    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BuildError(f"cannot create {out.parent}: {exc.strerror}") from None
    with build_lock(out):
        check_replaceable(out)
        cleanup_stale(out)
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
        except OSError as exc:
            raise BuildError(f"cannot write to {out.parent}: {exc.strerror}") from None
        try:
            yield tmp
        except OSError as exc:
            where = exc.filename or out
            raise BuildError(f"cannot write {where}: {exc.strerror or exc}") from None
        except duckdb.Error as exc:  # DuckDB reports a full disk or an I/O failure as its own error
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BuildError(f"cannot write the DuckDB database: {first}") from None
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # gone already when the build was swapped in
