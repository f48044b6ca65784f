"""A side of `ptedb diff`: a built folder as it is, or records/ as it was at a git revision, built
into a temporary folder."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pyarrow as pa

from .build import build
from .diff import DiffError, read_build


def build_revision(rev: str, repo: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    """Build records/ as it was at a git revision, in a temporary folder."""
    with tempfile.TemporaryDirectory(prefix="ptedb-diff-") as tmp:
        root = Path(tmp)
        try:
            archive = subprocess.run(
                ["git", "-C", str(repo), "archive", "--format=tar", rev, "records"],
                capture_output=True,
                check=True,
                timeout=120,
            ).stdout
            subprocess.run(["tar", "-x", "-C", str(root)], input=archive, check=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as exc:
            raise DiffError(f"'{rev}' is neither a build folder nor a git revision with records/ ({exc})") from None
        result = build(root / "records", root / "dist")
        if not result.ok:
            raise DiffError(f"records/ at {rev} do not validate ({len(result.diagnostics)} problems)")
        return read_build(root / "dist")


def load_side(spec: str, repo: Path) -> tuple[dict[str, pa.Table], dict[str, str]]:
    path = Path(spec)
    if path.is_dir():
        return read_build(path)
    return build_revision(spec, repo)
