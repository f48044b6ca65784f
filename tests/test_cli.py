"""The command line as a user meets it: version, help, query formats, errors and escaping."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from conftest import invoke

HOSTILE = "<script>alert('x')</script> & \"q\" ; -- [bold]not markup[/bold] DROP TABLE models;"


def test_version() -> None:
    from ptedb import __version__

    result = invoke(["--version"], Path.cwd())
    assert result.exit_code == 0 and result.stdout.strip() == f"ptedb {__version__}"


HEAVY = ("pandas", "duckdb", "pyarrow", "pydantic", "sqlmodel", "numpy", "yaml")
"""Each costs tens of milliseconds to import: commands that do not read records or write tables must
not load them."""


def _heavy_imports(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ptedb", *args], cwd=cwd, capture_output=True, text=True, timeout=60
    )
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert imported, "no -X importtime output"
    return result, sorted(m for m in imported if m.split(".")[0] in HEAVY)


def test_help_does_not_import_heavy_modules() -> None:
    result, heavy = _heavy_imports(["--help"], Path.cwd())
    assert result.returncode == 0 and "build" in result.stdout
    assert heavy == []


def test_no_change_build_imports_no_heavy_module(built: Path) -> None:
    """The no-change build is start-up plus a scan; one heavy import would cost more than the scan.

    typer 0.29 builds pydantic adapters for every option at parse time (about 80 ms), which is why
    pyproject.toml keeps typer below 0.29; this test fails if that comes back.
    """
    result, heavy = _heavy_imports(["build"], built)
    assert result.returncode == 0 and "up to date" in result.stderr, result.stderr
    assert heavy == []


def test_usage_error_exits_2() -> None:
    result = invoke(["validate", "--format", "xml"], Path.cwd())
    assert result.exit_code == 2


def test_query_formats(built: Path) -> None:
    sql = "SELECT id, category FROM enhancements"
    table = invoke(["query", sql], built)
    assert table.exit_code == 0 and "toy-prompting" in table.stdout
    as_csv = invoke(["query", sql, "--format", "csv"], built)
    assert list(csv.reader(io.StringIO(as_csv.stdout))) == [
        ["id", "category"],
        ["toy-prompting", "prompting"],
    ]
    as_json = invoke(["query", sql, "--format", "json"], built)
    assert json.loads(as_json.stdout) == [{"id": "toy-prompting", "category": "prompting"}]


def test_query_errors_exit_2(built: Path) -> None:
    result = invoke(["query", "SELECT * FROM no_such_table"], built)
    assert result.exit_code == 2
    assert "query failed" in result.stderr and "Traceback" not in result.output


def test_query_is_read_only(built: Path) -> None:
    result = invoke(["query", "DROP TABLE models"], built)
    assert result.exit_code == 2
    again = invoke(["query", "SELECT count(*) AS n FROM models", "--format", "json"], built)
    assert json.loads(again.stdout) == [{"n": 3}]


def test_query_without_build(project: Path) -> None:
    result = invoke(["query", "SELECT 1"], project)
    assert result.exit_code == 1 and "run 'ptedb build' first" in result.stderr


def test_hostile_text_is_stored_verbatim_and_printed_as_text(project: Path) -> None:
    path = project / "records" / "enhancements" / "toy-prompting.yaml"
    quoted = HOSTILE.replace("'", "''")
    path.write_text(path.read_text().replace('description: "A prompt that helps."', f"description: '{quoted}'"))
    assert invoke(["build"], project).exit_code == 0
    got = invoke(["query", "SELECT description FROM enhancements", "--format", "json"], project)
    assert json.loads(got.stdout)[0]["description"] == HOSTILE
    table = invoke(["query", "SELECT description FROM enhancements"], project)
    assert "[bold]" in table.stdout  # printed literally, not consumed as rich markup
    as_csv = invoke(["query", "SELECT description FROM enhancements", "--format", "csv"], project)
    assert list(csv.reader(io.StringIO(as_csv.stdout)))[1] == [HOSTILE]
    # a parameterised filter with the hostile text finds the row and harms nothing
    found = invoke(["ceg", "--enhancement", HOSTILE], project)
    assert found.exit_code == 0 and "no evaluations match" in found.stderr


def test_ceg_command_filters(built: Path) -> None:
    result = invoke(["ceg", "--category", "prompting", "--format", "json"], built)
    rows = json.loads(result.stdout)
    assert {r["evaluation_id"] for r in rows} == {
        "toy-prompting/toy-1b-toy-bench",
        "toy-prompting/toy-10b-toy-bench",
    }
    assert invoke(["ceg", "--category", "data", "--format", "json"], built).stdout.strip() == "[]"


def _in_a_terminal(args: list[str], cwd: Path, columns: int) -> str:
    """Run `ptedb ARGS` with its stdout on a pseudo-terminal `columns` wide; what it printed."""
    import os
    import pty

    leader, follower = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "50", "TERM": "dumb", "NO_COLOR": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptedb", *args], cwd=cwd, stdout=follower, stderr=subprocess.PIPE, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 1 << 16)
        except OSError:  # the pseudo-terminal closes when the child exits
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_ceg_at_80_columns_shows_whole_column_names(built: Path) -> None:
    out = _in_a_terminal(["ceg"], built, 80)
    for name in ("evaluation_id", "benchmark_id", "ceg_kind", "ceg_p05", "ceg_p95", "reason"):
        assert name in out, name
    assert max(len(line) for line in out.splitlines()) <= 80


def test_wide_terminal_gets_a_table_and_a_pipe_gets_plain_csv(built: Path) -> None:
    wide = _in_a_terminal(["query", "SELECT id, category FROM enhancements"], built, 200)
    assert "┃" in wide or "|" in wide
    piped = invoke(["query", "SELECT id, category FROM enhancements"], built)
    assert piped.stdout.splitlines()[0] == "id,category" and "┃" not in piped.stdout
    explicit = invoke(["query", "SELECT id, category FROM enhancements", "--format", "table"], built)
    assert "┃" in explicit.stdout
