"""Compile validated records into `dist/`: Parquet, CSV, DuckDB, datapackage.json and SHA256SUMS.

The build is all-or-nothing. Everything is written into a fresh sibling directory; only when every
file is complete is it swapped with `dist/` (atomically where the OS allows: `renameat2` with
RENAME_EXCHANGE on Linux), so an interrupted or failed build leaves the previous `dist/` as it was.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import errno
import fcntl
import importlib.abc
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ptedb.schema.models import SCHEMA_VERSION
from ptedb.validation.check import validate
from ptedb.validation.diagnostics import Diagnostic

from ptedb import __version__

from .cache import BuildError, Key, check_replaceable, key_for, up_to_date
from .gc_pause import gc_paused
from .records import Dataset
from .scan import Entry

if TYPE_CHECKING:
    import pyarrow as pa

    from .duckdb_views import DatabaseWriter
    from .workers import Producer

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


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Serialize builds into the same `out`: a second build waits for the first, then runs."""
    lock_path = out.parent / f".{out.name}.lock"
    try:
        fh = lock_path.open("a+")
    except OSError as exc:
        raise BuildError(f"cannot write to {out.parent}: {exc.strerror}") from None
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def cleanup_stale(out: Path) -> None:
    """Remove temporary build directories left by builds that were killed."""
    for stale in out.parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(stale, ignore_errors=True)


def build(
    records: Path | str,
    out: Path | str,
    progress: Progress | None = None,
    *,
    jobs: int = 1,
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
    with gc_paused():
        return _build(records, out, progress, jobs, key)


def prepare_writers() -> None:
    """Import what compiling, checking and writing need (pyarrow, pandas, pandera, DuckDB: about 0.5 s)
    and let pandera register its backends. With `--jobs`, this runs while the producer validates."""
    import duckdb  # noqa: F401
    from ptedb.validation import frames

    from . import tables, writers  # noqa: F401

    frames.warm_up()


def _check_tables(tables: dict[str, pa.Table], paths: dict[tuple[str, str], str]) -> list[Diagnostic]:
    from ptedb.validation import frames  # pandas and pandera: imported where the check runs

    return frames.check_tables(tables, paths)


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


def _build(records: Path, out: Path, progress: Progress | None, jobs: int, key: Key) -> BuildResult:
    clock = [time.perf_counter()]

    def lap(result: BuildResult, step: str) -> None:
        now = time.perf_counter()
        result.timings[step] = now - clock[0]
        clock[0] = now

    if jobs <= 1:
        from . import tables as tables_mod

        ds = validate(records, progress, walked=key.scan)
        result = BuildResult(ds, diagnostics=list(ds.diagnostics))
        lap(result, "validate")
        if ds.diagnostics:
            return result
        result.tables = tables_mod.build_tables(ds)
        lap(result, "tables")
        result.diagnostics = _check_tables(result.tables, ds.paths)
        lap(result, "check")
        if result.diagnostics:
            return result
        with _output(out) as tmp:
            _write(tmp, out, key, _meta(ds, key), progress, result, None, frozenset())
        lap(result, "write")
        return result

    if key.scan is not None and _count(key.scan.entries) < PIPELINE_MIN_FILES:
        return _build(records, out, progress, 1, key)  # forking costs more than it saves
    return _build_pipelined(records, out, progress, key, lap)


PIPELINE_MIN_FILES = 256
"""Below this many entries in records/, a build with --jobs runs in one process."""


def _count(entries: list[Entry]) -> int:
    return sum(1 + _count(e.children) for e in entries)


# With --jobs, the build is a pipeline of two processes. A producer, forked first (while this process
# is small), does what a one-process build does up to the Arrow tables: it validates the records (with
# the same code, so the same diagnostics) and builds the tables, its own helper process computing CEG
# estimates beside it; it sends each table as soon as it is built. Meanwhile this process imports the
# writers (pandas, pandera, pyarrow, DuckDB: half a second), then takes the output lock and, table by
# table as they arrive, hands each to the DuckDB writer, checks it against its pandera schema and
# writes its Parquet and CSV. Only tables and diagnostics travel between the processes, never the
# records: the earlier design, which parsed the files in both processes, spent a fifth of its time
# sending records back and validating them again. `lap` times the steps as this process sees them.


class _NoPandas(importlib.abc.MetaPathFinder):
    """pyarrow imports pandas, if it can, the first time it converts a Python list (0.15 s), only to
    ask whether the list is a pandas object; it takes an ImportError as "no pandas". The producer never
    needs pandas (the pandera checks run in the other process), and there the import would delay the
    first table, so the producer refuses it."""

    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("the build's producer process does not use pandas")
        return None


def _produce(fd: int, records: Path, key: Key) -> int:  # pragma: no cover - runs in the producer
    """The producer's part; frames: ("progress", step, i, n), ("validated", diagnostics, files, paths,
    info), ("table", name, table) for each table, then ("end",), or ("error", traceback)."""
    import sys
    import traceback

    from .workers import Helper, send_frame

    if "pandas" not in sys.modules:
        sys.meta_path.insert(0, _NoPandas())
    try:
        with Helper() as helper:  # forked while the producer is small: see workers.Helper

            def report(step: str, i: int, n: int) -> None:
                send_frame(fd, ("progress", step, i, n))

            ds = validate(records, report, walked=key.scan)
            send_frame(fd, ("validated", ds.diagnostics, ds.files, ds.paths, ds.info))
            if not ds.diagnostics:
                from . import tables as tables_mod

                def built(name: str, table: pa.Table) -> None:
                    send_frame(fd, ("table", name, table))

                tables_mod.build_tables(ds, built=built, helper=helper)
        send_frame(fd, ("end",))
        return 0
    except BaseException:
        try:
            send_frame(fd, ("error", traceback.format_exc()))
        except OSError:  # the build is gone: nobody to tell
            pass
        return 1


def _build_pipelined(
    records: Path, out: Path, progress: Progress | None, key: Key, lap: Callable[[BuildResult, str], None]
) -> BuildResult:
    from .workers import Producer, WorkerError

    try:
        with Producer(lambda fd: _produce(fd, records, key)) as producer:
            return _consume(records, out, progress, key, lap, producer)
    except WorkerError as exc:
        raise BuildError(f"the build failed in a worker process: {exc}") from None


def _consume(
    records: Path,
    out: Path,
    progress: Progress | None,
    key: Key,
    lap: Callable[[BuildResult, str], None],
    producer: Producer,
) -> BuildResult:
    prepare_writers()  # while the producer validates
    frames = producer.frames()
    for frame in frames:
        if frame[0] == "progress":
            if progress is not None:
                progress(*frame[1:])
        elif frame[0] == "validated":
            break
    _, diagnostics, files, paths, info = frame
    ds = Dataset(root=records, info=info, paths=paths, files=files, diagnostics=diagnostics)
    result = BuildResult(ds, diagnostics=list(diagnostics))
    lap(result, "validate")
    if result.diagnostics:
        return result

    from ptedb.validation import frames as checks

    from . import writers
    from .duckdb_views import DatabaseWriter

    meta = _meta(ds, key)
    written: set[str] = set()
    with _output(out) as tmp:
        database = DatabaseWriter(tmp / "ptedb.duckdb")
        try:
            for frame in frames:
                if frame[0] == "end":
                    break
                _, name, table = frame
                result.tables[name] = table
                database.add(name, table)
                result.diagnostics += checks.check_table(name, table, ds.paths)
                if not result.diagnostics:  # files of a build that fails are never needed
                    writers.write_table_files(tmp, name, table, meta)
                    written.add(name)
            lap(result, "tables")
            result.diagnostics += checks.check_foreign_keys(result.tables, ds.paths)
            lap(result, "check")
            if result.diagnostics:
                return result  # the folder is discarded by _output
            _write(tmp, out, key, meta, progress, result, database, frozenset(written))
        finally:
            database.abort()  # the writer's thread has ended, or ends now, before the folder goes
    lap(result, "write")
    return result


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


def _write(
    tmp: Path,
    out: Path,
    key: Key,
    meta: dict[str, str],
    progress: Progress | None,
    result: BuildResult,
    database: DatabaseWriter | None,
    written: frozenset[str],
) -> None:
    """Write every file into `tmp` (those of the tables in `written` are there already) and swap it
    with `out`."""
    from . import writers

    tables = result.tables
    changes = writers.changes(out, tables, meta)
    writers.write_all(tmp, tables, meta, progress, changes, database, written)
    site = out / "site"
    if site.is_dir():  # the site is rebuilt by `ptedb site`; keep the last one meanwhile
        shutil.copytree(site, tmp / "site")
    _replace_dir(tmp, out)
    result.meta = meta
    result.out = out
