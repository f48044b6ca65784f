"""Issue 21, deliverables 3 and 7: git never takes a revision for an option; migrate and new go through
the same safe scan as validate and build; the records scan refuses a folder that holds no records;
diff refuses a damaged build; no temporary folder outlives a killed site build or diff; a rebuild does
not carry the previous site in.

Every command that could block (a FIFO, git) runs as a real process with a timeout, so no test can hang.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import invoke, run, tree_digest

GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]


def _git_project(project: Path) -> None:
    subprocess.run([*GIT, "init", "-q", str(project)], check=True, timeout=60)
    subprocess.run([*GIT, "-C", str(project), "add", "records"], check=True, timeout=60)
    subprocess.run([*GIT, "-C", str(project), "commit", "-qm", "one"], check=True, timeout=60)


# --- 1. git: user input never where git parses options ---------------------------------------------


def test_git_is_new_enough_for_end_of_options() -> None:
    out = subprocess.run(["git", "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    major, minor = (int(x) for x in out.split()[2].split(".")[:2])
    assert (major, minor) >= (2, 24), out


def test_diff_revision_cannot_be_a_git_option(built: Path) -> None:
    """`ptedb diff -- --output=victim.txt dist` used to have `git archive` truncate victim.txt."""
    _git_project(built)
    victim = built / "victim.txt"
    victim.write_text("precious\n")
    proc = run(["diff", "--", "--output=victim.txt", "dist"], built, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert victim.read_text() == "precious\n"
    assert "cannot start with '-'" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    assert "Traceback" not in proc.stderr


def test_diff_never_hands_git_a_user_option(built: Path, tmp_path: Path) -> None:
    """A git on PATH that logs its arguments: `--remote=…` never reaches it, and a revision that does
    reach it comes only after `--end-of-options`."""
    _git_project(built)
    real = shutil.which("git")
    assert real
    bindir = tmp_path / "bin"
    bindir.mkdir()
    log = tmp_path / "git.log"
    (bindir / "git").write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    (bindir / "git").chmod(0o755)
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}"}

    def ptedb(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ptedb", *args], cwd=built, env=env, capture_output=True, text=True, timeout=120
        )

    remote = ptedb("diff", "--", "--remote=ssh://git.invalid/x", "dist")
    assert remote.returncode == 2 and "cannot start with '-'" in remote.stderr
    assert "--remote" not in (log.read_text() if log.exists() else "")
    ok = ptedb("diff", "HEAD", "dist")
    assert ok.returncode == 0, ok.stderr
    calls = log.read_text().splitlines()
    resolve = [c for c in calls if " rev-parse --verify" in c]
    archive = [c for c in calls if " archive " in c]
    assert resolve and all("--end-of-options HEAD^{commit}" in c for c in resolve), calls
    assert archive and all(" --end-of-options " in c for c in archive), calls
    assert all("HEAD" not in c for c in archive), "git archive gets the resolved commit id, not the user's text"


def test_diff_unknown_revision_is_a_usage_error(project: Path) -> None:
    _git_project(project)
    bad = run(["diff", "no-such-rev", "HEAD"], project)
    assert bad.returncode == 2 and "neither a build folder nor a git revision" in bad.stderr


# --- 2. migrate and new read and write through the safe scan ---------------------------------------


def _outside_record(tmp_path: Path) -> Path:
    """A valid, current source record outside records/, for links to point at."""
    target = tmp_path / "outside.yaml"
    src = next((Path(__file__).parent / "fixtures" / "good" / "records" / "sources").glob("*.yaml"))
    target.write_bytes(src.read_bytes())
    return target


def test_migrate_does_not_follow_links(project: Path, tmp_path: Path) -> None:
    sources = project / "records" / "sources"
    (sources / "passwd.yaml").symlink_to("/etc/passwd")
    outside = _outside_record(tmp_path)
    (sources / "outside.yaml").symlink_to(outside)
    before = outside.read_bytes()
    proc = run(["migrate", "--write"], project, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "passwd.yaml: error: a link, not a file: it was not followed" in proc.stderr
    assert "outside.yaml: error: a link, not a file" in proc.stderr
    assert "root:" not in proc.stderr and "Traceback" not in proc.stderr
    assert outside.read_bytes() == before and (sources / "outside.yaml").is_symlink()


def test_migrate_does_not_hang_on_a_fifo(project: Path) -> None:
    os.mkfifo(project / "records" / "models" / "x.yaml")
    proc = run(["migrate"], project, timeout=60)  # a hang would raise TimeoutExpired, failing the test
    assert proc.returncode == 1
    assert "x.yaml: error: not a regular file" in proc.stderr and "Traceback" not in proc.stderr


def test_migrate_does_not_read_dev_zero(project: Path) -> None:
    (project / "records" / "models" / "zero.yaml").symlink_to("/dev/zero")
    proc = run(["migrate"], project, timeout=60)
    assert proc.returncode == 1 and "zero.yaml: error: a link" in proc.stderr
    assert "MemoryError" not in proc.stderr and "Traceback" not in proc.stderr


def test_migrate_caps_file_size(project: Path) -> None:
    from ptedb.loaders.scan import MAX_FILE_BYTES

    (project / "records" / "models" / "huge.yaml").write_bytes(b"schema_version: 1\n" + b"#" * MAX_FILE_BYTES)
    proc = run(["migrate"], project, timeout=60)
    assert proc.returncode == 1 and "huge.yaml: error: larger than the limit" in proc.stderr


def test_migrate_needs_a_records_folder(project: Path, tmp_path: Path) -> None:
    missing = invoke(["migrate", "--records", str(tmp_path / "nonexistent")], project)
    assert missing.exit_code == 1 and "records directory not found" in missing.stderr
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "notes.txt").write_text("x")
    plain = invoke(["migrate", "--records", str(tmp_path / "plain")], project)
    assert plain.exit_code == 1 and "not a records folder" in plain.stderr


def test_migrate_write_keeps_mode_and_leaves_no_temporary_file(project: Path) -> None:
    from ptedb.loaders import migrate as migrate_mod

    path = project / "records" / "sources" / "doe-2024-toy.yaml"
    path.write_text(path.read_text().replace("schema_version: 1", "schema_version: 0"))
    path.chmod(0o640)
    old = migrate_mod.MIGRATIONS.copy()
    migrate_mod.MIGRATIONS[0] = lambda data: data
    try:
        done = invoke(["migrate", "--write"], project)
    finally:
        migrate_mod.MIGRATIONS.clear()
        migrate_mod.MIGRATIONS.update(old)
    assert done.exit_code == 0, done.stderr
    assert "schema_version: 1" in path.read_text() and (path.stat().st_mode & 0o777) == 0o640
    assert [p.name for p in path.parent.iterdir() if p.name.startswith(".")] == []


def test_new_does_not_create_a_records_tree(project: Path, tmp_path: Path) -> None:
    target = tmp_path / "nonexistent" / "records"
    result = invoke(["new", "model", "my-model", "--records", str(target)], project)
    assert result.exit_code == 1 and "records directory not found" in result.stderr
    assert not (tmp_path / "nonexistent").exists()
    (tmp_path / "plain").mkdir()
    plain = invoke(["new", "model", "my-model", "--records", str(tmp_path / "plain")], project)
    assert plain.exit_code == 1 and "not a records folder" in plain.stderr
    assert list((tmp_path / "plain").iterdir()) == []


def test_new_creates_a_missing_kind_folder_inside_a_records_folder(project: Path) -> None:
    shutil.rmtree(project / "records" / "tradeoffs")
    result = invoke(["new", "tradeoff", "my-tradeoff"], project)
    assert result.exit_code == 0, result.stderr
    assert (project / "records" / "tradeoffs" / "my-tradeoff.yaml").is_file()


def test_new_does_not_write_through_links(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    models = project / "records" / "models"
    shutil.rmtree(models)
    models.symlink_to(elsewhere)
    linked_folder = invoke(["new", "model", "my-model"], project)
    assert linked_folder.exit_code == 1 and "not a folder" in linked_folder.stderr
    assert list(elsewhere.iterdir()) == []
    models.unlink()
    models.mkdir()
    (models / "my-model.yaml").symlink_to(elsewhere / "planted.yaml")  # dangling
    planted = invoke(["new", "model", "my-model"], project)
    assert planted.exit_code == 1 and "already exists" in planted.stderr
    assert list(elsewhere.iterdir()) == []


# --- 3. the records scan refuses a folder that holds no records -------------------------------------


def test_record_folders_match_the_models() -> None:
    from ptedb.loaders.scan import RECORD_FOLDERS
    from ptedb.schema.models import BY_FOLDER

    assert set(RECORD_FOLDERS) == set(BY_FOLDER)


def _big_plain_folder(root: Path) -> Path:
    for i in range(40):
        sub = root / f"d{i}"
        sub.mkdir(parents=True)
        for j in range(50):
            (sub / f"f{j}.yaml").write_text("x: 1\n")
    return root


def test_scan_does_not_walk_a_folder_without_records(tmp_path: Path) -> None:
    from ptedb.loaders.scan import scan

    walked = scan(_big_plain_folder(tmp_path / "plain"))
    assert walked.exists and not walked.records_like and walked.entries == []


@pytest.mark.parametrize("command", ["validate", "build"])
def test_not_a_records_folder_is_sch026(project: Path, tmp_path: Path, command: str) -> None:
    plain = _big_plain_folder(tmp_path / "plain")
    result = invoke([command, "--records", str(plain), *(["--out", "out"] if command == "build" else [])], project)
    assert result.exit_code == 1
    assert "SCH026 not a records folder" in result.stderr and "0 files checked" in result.stderr
    assert not (project / "out").exists()


def test_usr_share_fails_fast(project: Path) -> None:
    if not Path("/usr/share").is_dir():  # pragma: no cover
        pytest.skip("no /usr/share")
    start = time.perf_counter()
    result = invoke(["validate", "--records", "/usr/share"], project)
    assert result.exit_code == 1 and "not a records folder" in result.stderr
    assert time.perf_counter() - start < 2.0


def test_a_records_folder_with_only_dataset_yaml_is_checked(project: Path) -> None:
    for folder in (project / "records").iterdir():
        if folder.is_dir():
            shutil.rmtree(folder)
    result = invoke(["validate"], project)
    assert "not a records folder" not in result.stderr


# --- 4. diff: a damaged build is an error, not an empty one -----------------------------------------


def test_diff_refuses_a_build_missing_a_table(built: Path) -> None:
    shutil.copytree(built / "dist", built / "old")
    (built / "old" / "parquet" / "evaluations.parquet").unlink()
    result = invoke(["diff", "old", "dist"], built)
    assert result.exit_code == 1
    assert "damaged build" in result.stderr and "evaluations.parquet is missing" in result.stderr
    assert "removed" not in result.output


def test_diff_refuses_a_truncated_table(built: Path) -> None:
    shutil.copytree(built / "dist", built / "old")
    with (built / "old" / "parquet" / "models.parquet").open("r+b") as fh:
        fh.truncate(100)
    result = run(["diff", "old", "dist"], built)
    assert result.returncode == 1 and "damaged build" in result.stderr and "Traceback" not in result.stderr


def test_diff_reads_a_table_an_older_build_never_had_as_absent(built: Path) -> None:
    """An older release, built before a table existed, does not list it in SHA256SUMS: not damage."""
    shutil.copytree(built / "dist", built / "old")
    (built / "old" / "parquet" / "tradeoffs.parquet").unlink()
    sums = built / "old" / "SHA256SUMS"
    sums.write_text("".join(line for line in sums.read_text().splitlines(True) if "tradeoffs.parquet" not in line))
    result = invoke(["diff", "old", "dist"], built)
    assert result.exit_code == 0, result.output
    assert "tradeoffs: +" in result.stdout


# --- 5. temporary folders: none left by a killed site build or diff ---------------------------------


def test_site_removes_leftovers_of_killed_runs(built: Path) -> None:
    from ptedb.site import build_site

    dist = built / "dist"
    for name in (".site.work-dead1", ".site.tmp-dead2", ".site.old-12345"):
        (dist / name / "docs").mkdir(parents=True)
        (dist / name / "docs" / "big.md").write_bytes(b"x" * 100_000)
    build_site(dist)
    assert sorted(p.name for p in dist.iterdir() if p.name.startswith(".site")) == []
    assert (dist / "site" / "index.html").is_file()


def test_killed_site_leaves_nothing_in_the_system_temp_folder(built: Path, tmp_path: Path) -> None:
    """The mkdocs project used to go to $TMPDIR, where a killed run left it for good (about 10 MB each)."""
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    env = {**os.environ, "TMPDIR": str(tmpdir)}
    dist = built / "dist"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptedb", "site"], cwd=built, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            if list(dist.glob(".site.work-*")) or list(tmpdir.iterdir()):
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert [p.name for p in tmpdir.iterdir()] == []
    from ptedb.site import build_site

    build_site(dist)  # and the next run sweeps whatever the killed one left in dist/
    assert [p.name for p in dist.iterdir() if p.name.startswith(".site")] == []


def test_diff_removes_temporary_folders_of_dead_diffs(tmp_path: Path) -> None:
    from ptedb.revisions import TEMP_PREFIX, cleanup_stale

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=60)
    stale = tmp_path / f"{TEMP_PREFIX}{dead.pid}-abc"
    (stale / "records").mkdir(parents=True)
    live = tmp_path / f"{TEMP_PREFIX}{os.getppid()}-abc"  # a process that is running
    live.mkdir()
    other = tmp_path / "ptedb-diffuse"
    other.mkdir()
    cleanup_stale(tmp_path)
    assert not stale.exists() and live.exists() and other.exists()


# --- 6. a rebuild does not carry the previous site in -----------------------------------------------


def test_forced_build_drops_the_previous_site(built: Path) -> None:
    (built / "dist" / "site" / "download").mkdir(parents=True)
    (built / "dist" / "site" / "download" / "ptedb.duckdb").write_bytes(b"the previous database")
    before = tree_digest(built / "records")
    assert invoke(["build", "--force"], built).exit_code == 0
    assert not (built / "dist" / "site").exists()
    assert tree_digest(built / "records") == before
