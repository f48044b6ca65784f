"""The release database opens in the DuckDB versions in use: DuckDB 2 (the Python package) and 1.x (the
command-line tool from the package registry, which reads storage formats up to 1.5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CLI = Path(sys.executable).with_name("duckdb")


@pytest.mark.skipif(not CLI.is_file(), reason="duckdb-cli (the 1.x tool, in the test extra) is not installed")
def test_a_duckdb_1x_reader_opens_the_release(built: Path) -> None:
    version = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, timeout=30).stdout
    assert version.startswith("v1."), version  # the premise: this is a 1.x reader
    sql = (
        "SELECT count(*) FROM ceg_by_category; "
        "SELECT training_oom_saved(100.0); "
        "SELECT comment FROM duckdb_columns() WHERE table_name = 'ceg' AND column_name = 'ceg_kind';"
    )
    done = subprocess.run(
        [str(CLI), "-readonly", "-csv", str(built / "dist" / "ptedb.duckdb"), sql],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "2.0" in lines  # the macro: log10(100)
    assert any("lower_bound" in line for line in lines)  # the column comment
