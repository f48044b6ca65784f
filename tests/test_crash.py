"""Crash safety of `ptedb build`: killed builds, concurrent builds, and output it cannot write.

The promise (README, DESIGN): a failed or interrupted build leaves the previous dist/ as it was. Here a
real `ptedb build` process, compiling a generated dataset, is killed with SIGKILL at random moments —
while validating, while writing its temporary directory, around the swap — and after each kill dist/
must be complete and valid: every file matching SHA256SUMS, the DuckDB file opening with every table,
and either exactly the previous build or exactly the new one. Two builds at once must be serialized by
the lock and both succeed. An output location that is read-only or full must give a clear error, no
traceback, and leave the previous dist/ untouched (a tiny tmpfs is mounted for those when the test
runs as root with the right to mount; otherwise they are skipped).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import GOOD, tree_digest
from ptedb.schema.columns import TABLES

from ptedb.lock import build_lock

ROOT = Path(__file__).resolve().parent.parent
CONTRACT = tuple(TABLES)  # the output contract, as the column registry states it
N_GENERATED = 300
KILLS = 4
SEED = int(os.environ.get("PTEDB_CRASH_SEED", "20261122"))


# --- helpers --------------------------------------------------------------------------------------


def _build_cmd(records: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "ptedb", "build", "--records", str(records), "--out", str(out)]


def build(records: Path, out: Path, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_build_cmd(records, out), cwd=cwd, capture_output=True, text=True, timeout=timeout)


def start_build(records: Path, out: Path, cwd: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        _build_cmd(records, out),
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the kill reaches any child (git) too
    )


def kill(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the build's whole process group."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)


def kill_orphans(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def temp_dirs(out: Path) -> list[Path]:
    return list(out.parent.glob(f".{out.name}.tmp-*"))


def assert_complete(dist: Path) -> int:
    """dist/ is a whole build: checksums hold, every table is in Parquet and DuckDB alike. Returns #sources."""
    sums = (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    listed = set()
    for line in sums:
        digest, name = line.split("  ", 1)
        listed.add(name)
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, f"{name} does not match SHA256SUMS"
    present = {
        p.relative_to(dist).as_posix()
        for p in dist.rglob("*")
        if p.is_file() and p.name != "SHA256SUMS" and "site" not in p.relative_to(dist).parts
    }
    assert present == listed, f"files not in SHA256SUMS: {present - listed}; missing: {listed - present}"
    rows = {name: pq.read_metadata(dist / "parquet" / f"{name}.parquet").num_rows for name in CONTRACT}
    con = duckdb.connect(str(dist / "ptedb.duckdb"), read_only=True)
    try:
        for name in CONTRACT:
            assert con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] == rows[name], name
        assert con.execute("SELECT count(*) FROM _meta").fetchone()[0] > 0
    finally:
        con.close()
    return rows["sources"]


def _add_source(records: Path, rid: str) -> None:
    (records / "sources" / f"{rid}.yaml").write_text(
        f'schema_version: 1\nid: {rid}\ntitle: "Added between builds"\nauthors: ["A. Author"]\nyear: 2025\n'
        f"url: https://example.org/{rid}\n",
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A records directory of N_GENERATED synthetic files (benchmarks.generate)."""
    dest = tmp_path_factory.mktemp("crash") / "records"
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", str(N_GENERATED), str(dest)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    return dest


# --- SIGKILL at random moments --------------------------------------------------------------------


def test_sigkill_at_random_points_leaves_a_complete_dist(generated: Path, tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(generated, records)
    out = tmp_path / "dist"
    start = time.perf_counter()
    first = build(records, out, tmp_path)
    full_build_s = time.perf_counter() - start
    assert first.returncode == 0, first.stderr
    n_before = assert_complete(out)
    previous = tree_digest(out)

    _add_source(records, "zz-added-1")  # the builds to be killed would add one row to `sources`
    rng = random.Random(SEED)
    outcomes = []
    for i in range(KILLS):
        proc = start_build(records, out, tmp_path)
        t0 = time.perf_counter()
        if i % 2 == 0:
            # anywhere in the run: start-up, validation, writing, swap
            time.sleep(rng.uniform(0.05, full_build_s))
            when = f"after {time.perf_counter() - t0:.2f} s"
        else:
            # once the temporary directory exists: while Parquet, CSV or DuckDB files are being written
            while not temp_dirs(out) and proc.poll() is None and time.perf_counter() - t0 < 60:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.4))
            when = f"{time.perf_counter() - t0:.2f} s in, temporary directory present"
        finished = proc.poll() is not None
        kill(proc)
        if not out.exists():
            pytest.fail(f"kill {i} ({when}): dist/ is gone")
        n_now = assert_complete(out)
        kill_orphans(proc)
        if n_now == n_before:
            assert tree_digest(out) == previous, f"kill {i} ({when}): dist/ changed but is not the new build"
            outcomes.append("previous")
        else:
            assert n_now == n_before + 1, f"kill {i} ({when}): {n_now} sources"
            outcomes.append("new" + (" (had finished)" if finished else ""))
            previous, n_before = tree_digest(out), n_now
            _add_source(records, f"zz-added-{i + 2}")  # so that the next killed build would differ again

    # the next build cleans up whatever the killed ones left, and succeeds
    last = build(records, out, tmp_path)
    assert last.returncode == 0, last.stderr
    assert "Traceback" not in last.stderr
    assert assert_complete(out) == n_before + 1
    assert not temp_dirs(out), f"temporary directories left: {temp_dirs(out)}"
    print("outcomes of the kills:", outcomes)


# --- two builds at once ---------------------------------------------------------------------------


def test_a_build_waits_for_the_lock(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    shutil.copytree(GOOD, project)
    out = project / "dist"
    with build_lock(out):
        proc = start_build(project / "records", out, project)
        try:
            time.sleep(2.0)  # about what a build of the small fixture needs to reach the lock
            assert proc.poll() is None, "the build finished while another held the lock"
            assert not temp_dirs(out) and not out.exists(), "the build wrote while another held the lock"
        except BaseException:
            kill(proc)
            raise
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err.decode()
    assert_complete(out)


def test_two_builds_at_once_both_succeed(tmp_path: Path) -> None:
    records = tmp_path / "records"
    shutil.copytree(GOOD / "records", records)
    out = tmp_path / "dist"
    procs = [start_build(records, out, tmp_path) for _ in range(2)]
    errors = [p.communicate(timeout=120)[1].decode() for p in procs]
    for p, err in zip(procs, errors, strict=True):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    assert assert_complete(out) == len(list((records / "sources").glob("*.yaml")))
    assert not temp_dirs(out)


# --- output that cannot be written ----------------------------------------------------------------


@contextlib.contextmanager
def tmpfs(path: Path, size: str, *, read_only: bool = False) -> Iterator[Path]:
    """Mount a tmpfs of `size` at `path` for the duration, or skip the test when that is not allowed."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size},mode=0755" + (",ro" if read_only else "")
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs: {proc.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", str(path)], check=False, capture_output=True)
        if os.path.ismount(path):  # pragma: no cover - only if something still holds a file open
            subprocess.run(["umount", "-l", str(path)], check=False, capture_output=True)


def _clear_error(proc: subprocess.CompletedProcess[str], words: str) -> None:
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout, proc.stderr
    assert proc.stderr.startswith("error: "), proc.stderr
    assert words in proc.stderr, proc.stderr
    assert "left as it was" in proc.stderr


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "proj"
    shutil.copytree(GOOD, dest)
    return dest


def test_output_under_proc_is_refused(project: Path) -> None:
    proc = build(project / "records", Path("/proc/ptedb-test-does-not-exist/dist"), project)
    _clear_error(proc, "/proc/ptedb-test-does-not-exist")


def test_read_only_output_is_refused(project: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "1m", read_only=True) as mnt:
        proc = build(project / "records", mnt / "dist", project)
        _clear_error(proc, "Read-only file system")
        assert os.listdir(mnt) == []


def test_full_disk_leaves_previous_dist(project: Path, tmp_path: Path) -> None:
    """The disk fills while the new build's Parquet files are written: the old dist/ stays whole."""
    with tmpfs(tmp_path / "small", "16m") as mnt:
        out = mnt / "dist"
        assert build(project / "records", out, project).returncode == 0
        before = tree_digest(out)
        filler = mnt / "filler"
        with filler.open("wb") as fh:  # fill the disk up to a few kilobytes
            with contextlib.suppress(OSError):
                while True:
                    fh.write(b"\0" * 65536)
                    fh.flush()
        os.truncate(filler, filler.stat().st_size - 4 * 4096)
        _add_source(project / "records", "zz-added")  # so that the build has work to do
        proc = build(project / "records", out, project)
        _clear_error(proc, "No space left on device")
        assert tree_digest(out) == before
        assert not temp_dirs(out)


def test_full_disk_while_writing_duckdb_gives_a_clear_error(project: Path, tmp_path: Path) -> None:
    with tmpfs(tmp_path / "tiny", "400k") as mnt:  # Parquet and CSV fit; the DuckDB file does not
        proc = build(project / "records", mnt / "dist", project)
        assert not temp_dirs(mnt / "dist")
        _clear_error(proc, "No space left on device")


def test_output_that_is_a_file_is_refused(project: Path) -> None:
    target = project / "notes.txt"
    target.write_text("not a build\n", encoding="utf-8")
    proc = build(project / "records", target, project)
    try:
        assert target.is_file() and target.read_text(encoding="utf-8") == "not a build\n"
        _clear_error(proc, str(target.name))
    finally:
        for stray in project.glob(".notes.txt.tmp-*"):
            if stray.is_dir():
                shutil.rmtree(stray)
            else:
                stray.unlink()
