"""A side of `ptedb diff`: a built folder as it is, or records/ as it was at a git revision, built
into a temporary folder.

A revision comes from the command line, so it never reaches git where git could take it for an
option: one starting with '-' is refused outright (`ptedb diff -- --output=victim.txt` would otherwise
have `git archive` truncate victim.txt, and `--remote=…` would make git connect to a server), and the
rest is resolved to a commit id by `git rev-parse --verify --end-of-options` before `git archive` sees
it, again after `--end-of-options` (git 2.24 or later).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pyarrow as pa

from .build import build
from .diff import DiffError, read_build


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=True, timeout=120)


def resolve_commit(rev: str, repo: Path) -> str:
    """The full commit id `rev` names in `repo`; DiffError (a usage error) when it names none.

    Never passes `rev` where git parses options: it is refused when it starts with '-', and given only
    after `--end-of-options`.
    """
    if rev.startswith("-"):
        raise DiffError(f"'{rev}' is neither a build folder nor a git revision: a revision cannot start with '-'")
    try:
        out = _git(repo, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}").stdout
    except (OSError, subprocess.SubprocessError):
        raise DiffError(f"'{rev}' is neither a build folder nor a git revision of {repo}") from None
    commit = out.decode("ascii", "replace").strip()
    if not commit or commit.startswith("-"):  # pragma: no cover - rev-parse prints a hexadecimal id
        raise DiffError(f"'{rev}' is neither a build folder nor a git revision of {repo}")
    return commit


TEMP_PREFIX = "ptedb-diff-"
"""The temporary folders of `ptedb diff` are named ptedb-diff-<pid>-…: a killed diff leaves its own behind,
and the next one removes every folder whose process is gone."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process (EPERM): alive
        return True
    return True


def cleanup_stale(tmpdir: Path | None = None) -> None:
    """Remove the temporary folders of diffs that were killed: ours (same owner), their process gone."""
    tmpdir = Path(tmpdir or tempfile.gettempdir())
    for stale in tmpdir.glob(f"{TEMP_PREFIX}*-*"):
        pid = stale.name[len(TEMP_PREFIX) :].split("-", 1)[0]
        try:
            mine = stale.lstat().st_uid == os.getuid() and stale.is_dir() and not stale.is_symlink()
        except OSError:
            continue
        if mine and pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def build_revision(rev: str, repo: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Build records/ as it was at a git revision, in a temporary folder."""
    commit = resolve_commit(rev, repo)
    cleanup_stale()
    with tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-") as tmp:
        root = Path(tmp)
        try:
            archive = _git(repo, "archive", "--format=tar", "--end-of-options", commit, "records").stdout
            subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise DiffError(f"'{rev}' is neither a build folder nor a git revision with records/ ({exc})") from None
        result = build(root / "records", root / "dist")
        if not result.ok:
            raise DiffError(f"records/ at {rev} do not validate ({len(result.diagnostics)} problems)", status=1)
        return read_build(root / "dist")


def load_side(spec: str, repo: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    path = Path(spec)
    if path.is_dir():
        return read_build(path)
    return build_revision(spec, repo)
