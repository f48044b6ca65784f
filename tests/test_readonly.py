"""Read-only means read-only (issue 21): the query sandbox, a build that notices damage, no traceback
from any command on broken input, and record text that cannot drive the terminal."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import duckdb
import pytest
from conftest import invoke, run, tree_digest

import ptedb
from ptedb.database import BLOCK_SIZE

ESC_NOTES = "red \x1b[31mALERT\x1b[0m title \x1b]0;pwned\x07 csi \x9b2J end"
"""Colour, a window-title change (OSC ... BEL) and a one-byte C1 CSI clearing the screen."""


def _no_traceback(result: object) -> None:
    exc = getattr(result, "exception", None)
    assert exc is None or isinstance(exc, SystemExit), repr(exc)
    assert "Traceback" not in result.output  # type: ignore[attr-defined]


def _one_line_error(result: object, code: int) -> str:
    _no_traceback(result)
    assert result.exit_code == code, result.output  # type: ignore[attr-defined]
    lines = result.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    return lines[0]


# --- 1. the query sandbox -----------------------------------------------------------------------

HOSTILE_SQL = {
    "read a file": "SELECT * FROM read_text('/etc/passwd')",
    "read a file as CSV": "SELECT * FROM read_csv('/etc/passwd')",
    "list files": "SELECT * FROM glob('/etc/*')",
    "overwrite a release file": "COPY (SELECT 'x' AS id) TO 'dist/parquet/sources.parquet'",
    "write beside the release": "COPY (SELECT 'x' AS id) TO 'dist/evil.csv'",
    "export": "EXPORT DATABASE 'dist/exported'",
    "attach a copy read-write": "ATTACH 'copy.duckdb' AS w (READ_WRITE)",
    "attach the release read-write": "ATTACH 'dist/ptedb.duckdb' AS w (READ_WRITE)",
    "attach in memory": "ATTACH ':memory:' AS m",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "network": "SELECT * FROM read_csv('https://example.com/x.csv')",
    "re-enable external access": "SET enable_external_access = true",
    "reset external access": "RESET enable_external_access",
    "unlock": "SET lock_configuration = false",
    "community extensions": "SET allow_community_extensions = true",
    "temporary folder": "SET temp_directory = 'dist/tmp'",
    "persistent secret": "CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'a', SECRET 'b')",
}


@pytest.mark.parametrize("sql", HOSTILE_SQL.values(), ids=HOSTILE_SQL.keys())
def test_query_cannot_reach_outside_the_release(built: Path, sql: str) -> None:
    shutil.copy(built / "dist" / "ptedb.duckdb", built / "copy.duckdb")
    before, copy_before = tree_digest(built / "dist"), tree_digest(built)
    result = invoke(["query", sql], built)
    _one_line_error(result, 2)
    assert "root:" not in result.stdout
    assert tree_digest(built / "dist") == before  # the release files are byte for byte as built
    assert tree_digest(built) == copy_before  # and nothing was written anywhere else in the project
    assert not (built / "dist" / "evil.csv").exists()


def test_query_sandbox_holds_in_a_real_process(built: Path) -> None:
    """The issue's reproduction as a user runs it, then the release checked with its own SHA256SUMS."""
    before = tree_digest(built / "dist")
    for sql in (HOSTILE_SQL["overwrite a release file"], HOSTILE_SQL["read a file"], HOSTILE_SQL["load"]):
        result = run(["query", sql], built)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert tree_digest(built / "dist") == before
    assert "up to date" in invoke(["build"], built).stderr


def test_query_still_runs_ordinary_sql_views_and_macros(built: Path) -> None:
    sql = (
        "CREATE TEMP VIEW toy AS SELECT id FROM models WHERE id LIKE 'toy-%'; "
        "CREATE TEMP MACRO twice(x) AS 2 * x; "
        "SELECT count(*) AS n, twice(count(*)) AS n2, (SELECT count(*) FROM ceg_by_category) >= 0 AS v FROM toy"
    )
    result = invoke(["query", sql, "--format", "json"], built)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == [{"n": 3, "n2": 6, "v": True}]
    # the release database itself stays readable, including its own bytes
    blob = invoke(["query", "SELECT size > 0 AS ok FROM read_blob('dist/ptedb.duckdb')", "--format", "json"], built)
    assert json.loads(blob.stdout) == [{"ok": True}]


def test_connect_is_sandboxed_by_default_and_can_opt_out(built: Path) -> None:
    db = built / "dist" / "ptedb.duckdb"
    (built / "mine.csv").write_text("a\n1\n")
    con = ptedb.connect(db)
    try:
        assert con.execute("SELECT count(*) FROM models").fetchone() == (3,)
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"SELECT * FROM read_csv('{built / 'mine.csv'}')")
        with pytest.raises(duckdb.Error):
            con.execute("SET enable_external_access = true")
    finally:
        con.close()
    con = ptedb.connect(db, sandbox=False)
    try:
        assert con.execute(f"SELECT a FROM read_csv('{built / 'mine.csv'}')").fetchall() == [(1,)]
        with pytest.raises(duckdb.Error):  # still read-only unless asked
            con.execute("DROP TABLE models")
    finally:
        con.close()


def test_site_download_is_a_copy_not_a_link(built: Path, tmp_path: Path) -> None:
    """A hard link is the release itself: ATTACH ... READ_WRITE on the download would change it."""
    from ptedb.site.build import DOWNLOAD_DIR, publish_release

    out = built / "dist"
    data = SimpleNamespace(files=[SimpleNamespace(path="ptedb.duckdb"), SimpleNamespace(path="csv/models.csv")])
    site_dir = tmp_path / "site"
    publish_release(out, data, site_dir)  # type: ignore[arg-type]
    for name in ("ptedb.duckdb", "csv/models.csv", "SHA256SUMS"):
        src, dest = out / name, site_dir / DOWNLOAD_DIR / name
        assert dest.read_bytes() == src.read_bytes()
        assert not os.path.samefile(src, dest) and os.stat(src).st_nlink == 1
    con = duckdb.connect(str(site_dir / DOWNLOAD_DIR / "ptedb.duckdb"))
    con.execute("DROP TABLE tradeoffs")
    con.close()
    assert "up to date" in invoke(["build"], built).stderr  # the release was not touched


# --- 2. a build that notices damage -------------------------------------------------------------


def _flip(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    at = len(data) // 2 if offset is None else offset
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def _drop_line(path: Path, name: str) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(line for line in lines if not line.endswith(f"  {name}")) + "\n")


DAMAGE = {
    "truncated database": lambda d: os.truncate(d / "ptedb.duckdb", 100),
    "byte flipped in a Parquet file": lambda d: _flip(d / "parquet" / "models.parquet"),
    "deleted CSV": lambda d: (d / "csv" / "models.csv").unlink(),
    "deleted CSV and its line": lambda d: (
        (d / "csv" / "models.csv").unlink(),
        _drop_line(d / "SHA256SUMS", "csv/models.csv"),
    ),
    "byte flipped in SHA256SUMS": lambda d: _flip(d / "SHA256SUMS", 3),
    "byte flipped in the marker": lambda d: _flip(d / ".ptedb-build", (d / ".ptedb-build").stat().st_size - 3),
    "byte flipped in datapackage.json": lambda d: _flip(d / "datapackage.json"),
    "query result written over a release file": lambda d: duckdb.connect().execute(
        f"COPY (SELECT 'x' AS id) TO '{d / 'parquet' / 'sources.parquet'}'"
    ),
    "NUL in a name in SHA256SUMS": lambda d: (d / "SHA256SUMS").write_text(
        (d / "SHA256SUMS").read_text().replace("  README.md", "  READ\x00ME.md")
    ),
    "a name outside the build in SHA256SUMS": lambda d: (d / "SHA256SUMS").write_text(
        (d / "SHA256SUMS").read_text().replace("  README.md", "  ../dist/README.md")
    ),
    "a link in place of a file": lambda d: (
        (d / "README.md").rename(d.parent / "README.md"),
        (d / "README.md").symlink_to(d.parent / "README.md"),
    ),
}


def _whole(dist: Path) -> None:
    """Every file SHA256SUMS lists matches its digest (sha256sum -c), and the database opens."""
    import hashlib

    for line in (dist / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split("  ", 1)
        path = dist / name
        assert not path.is_symlink() and hashlib.sha256(path.read_bytes()).hexdigest() == digest, name
    con = ptedb.connect(dist / "ptedb.duckdb")
    assert con.execute("SELECT count(*) FROM models").fetchone() == (3,)
    con.close()


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_damaged_build_is_rebuilt(built: Path, damage: object) -> None:
    dist = built / "dist"
    _whole(dist)
    damage(dist)  # type: ignore[operator]
    result = invoke(["build"], built)
    assert result.exit_code == 0, result.output
    assert "up to date" not in result.stderr and "built" in result.stderr
    _whole(dist)
    assert "up to date" in invoke(["build"], built).stderr


def _site(dist: Path) -> Path:
    """A small site beside the build, with the SHA256SUMS `ptedb site` writes (mkdocs is test_site's)."""
    from ptedb.cache import sums_text

    site = dist / "site"
    (site / "download" / "csv").mkdir(parents=True)
    (site / "index.html").write_text("<h1>ptedb</h1>\n")
    shutil.copy2(dist / "csv" / "models.csv", site / "download" / "csv" / "models.csv")
    (site / "SHA256SUMS").write_text(sums_text(site))
    return site


SITE_DAMAGE = {
    "byte flipped in a page": lambda s: _flip(s / "index.html"),
    "byte flipped in the site's download": lambda s: _flip(s / "download" / "csv" / "models.csv"),
    "page deleted": lambda s: (s / "index.html").unlink(),
    "file added": lambda s: (s / "extra.html").write_text("<script>x</script>"),
    "site SHA256SUMS deleted": lambda s: (s / "SHA256SUMS").unlink(),
    "line dropped from the site's SHA256SUMS": lambda s: _drop_line(s / "SHA256SUMS", "index.html"),
    "a link in place of a page": lambda s: (
        (s / "index.html").unlink(),
        (s / "index.html").symlink_to(s.parent / "README.md"),
    ),
    "a linked folder in the site": lambda s: (s / "more").symlink_to(s.parent / "csv"),
}


def test_whole_site_keeps_the_build_up_to_date(built: Path) -> None:
    site = _site(built / "dist")
    assert "up to date" in invoke(["build"], built).stderr
    assert (site / "index.html").is_file()


@pytest.mark.parametrize("damage", SITE_DAMAGE.values(), ids=SITE_DAMAGE.keys())
def test_damaged_site_is_not_kept(built: Path, damage: object) -> None:
    """A byte flipped anywhere in dist/, the site included, is noticed: the next build is a full one,
    which replaces dist/ without the site (README: run 'ptedb site' again after it)."""
    dist = built / "dist"
    damage(_site(dist))  # type: ignore[operator]
    result = invoke(["build"], built)
    assert result.exit_code == 0, result.output
    assert "up to date" not in result.stderr and "built" in result.stderr
    assert not (dist / "site").exists() and not (dist / "site").is_symlink()
    assert "run 'ptedb site'" in result.stderr
    _whole(dist)
    assert "up to date" in invoke(["build"], built).stderr


def test_up_to_date_accepts_a_whole_build_of_the_same_key_only(built: Path) -> None:
    """The digest check does not refuse a good build (else every build would be a full one), and the
    key still matters. That it needs no DuckDB or pyarrow is test_cli's no-heavy-import test."""
    from ptedb import cache

    key = cache.key_for(built / "records")
    assert cache.up_to_date(built / "dist", key.value) is not None
    assert cache.up_to_date(built / "dist", "0" * 64) is None


# --- 4. no traceback on broken input ------------------------------------------------------------


@pytest.mark.parametrize("sql", ["", "   ", ";", "-- a lone comment", "/* only */ ;"])
def test_query_without_a_statement_is_a_usage_error(built: Path, sql: str) -> None:
    _one_line_error(invoke(["query", "--", sql], built), 2)


def test_query_on_a_missing_table_is_a_usage_error(built: Path) -> None:
    line = _one_line_error(invoke(["query", "SELECT * FROM no_such_table"], built), 2)
    assert "no_such_table" in line


@pytest.mark.parametrize("command", [["query", "SELECT 1"], ["ceg"], ["tradeoff", "--evaluation", "x"]])
@pytest.mark.parametrize("size", [0, 100, 5000])
def test_commands_on_a_truncated_database(built: Path, command: list[str], size: int) -> None:
    os.truncate(built / "dist" / "ptedb.duckdb", size)
    line = _one_line_error(invoke(command, built), 1)
    assert "ptedb build" in line
    proc = run(command, built)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr


def test_query_on_a_corrupt_block_is_exit_1(built: Path) -> None:
    """A byte flipped inside the database (past its header) is noticed only when a query reads that
    block, as a checksum error (a plain duckdb.Error): exit 1 naming the damage, never a traceback and
    not a usage error."""
    db = built / "dist" / "ptedb.duckdb"
    original = db.read_bytes()
    block = int(BLOCK_SIZE)  # one flip per block of the file
    tables = ["ceg", "evaluations", "models", "benchmarks", "baselines", "baseline_points", "sources", "tradeoffs"]
    damaged = 0
    for start in range(block, len(original), block):
        _flip(db, start + 4096)
        for table in tables:
            result = invoke(["query", f"SELECT * FROM {table}", "--format", "csv"], built)
            _no_traceback(result)
            if result.exit_code:
                assert _one_line_error(result, 1).startswith("error: cannot "), result.stderr
                damaged += 1
                break
        db.write_bytes(original)
    assert damaged >= len(tables) // 2


def test_ceg_on_a_database_without_its_table(built: Path) -> None:
    db = built / "dist" / "ptedb.duckdb"
    db.unlink()
    duckdb.connect(str(db)).close()  # a valid database with no tables
    _one_line_error(invoke(["ceg"], built), 2)


def _second_build(built: Path) -> Path:
    other = built / "other"
    shutil.copytree(built / "dist", other)
    return other


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: os.truncate(d / "parquet" / "evaluations.parquet", 100),
        lambda d: (d / "parquet" / "evaluations.parquet").write_bytes(b""),
        lambda d: (d / "parquet" / "evaluations.parquet").unlink(),
    ],
    ids=["truncated", "empty", "missing"],
)
def test_diff_with_a_damaged_build(built: Path, damage: object) -> None:
    other = _second_build(built)
    damage(other)  # type: ignore[operator]
    for args in (["diff", "other", "dist"], ["diff", "dist", "other"]):
        line = _one_line_error(invoke(args, built), 1)  # a damaged build is bad data, as for query and ceg
        assert "evaluations.parquet" in line
        assert "removed" not in line


# --- 5. terminal escapes ------------------------------------------------------------------------


def _with_escapes_in_the_database(built: Path) -> None:
    """Put ESC_NOTES into a built database directly (opting out of the sandbox and of read-only), so
    the output is tested whatever validation says about such text in records."""
    con = ptedb.connect(built / "dist" / "ptedb.duckdb", read_only=False, sandbox=False)
    con.execute("UPDATE models SET notes = ?", [ESC_NOTES])
    con.close()


def _assert_escaped(text: str) -> None:
    assert "\x1b" not in text and "\x9b" not in text and "\x07" not in text
    assert "\\x1b[31mALERT" in text and "\\x1b]0;pwned\\x07" in text and "\\x9b2J" in text


def test_query_output_escapes_terminal_controls(built: Path) -> None:
    _with_escapes_in_the_database(built)
    sql = "SELECT id, notes FROM models ORDER BY id"
    table = invoke(["query", sql], built)
    assert table.exit_code == 0
    _assert_escaped(table.stdout)
    as_csv = invoke(["query", sql, "--format", "csv"], built)
    _assert_escaped(as_csv.stdout)
    assert [row[0] for row in csv.reader(io.StringIO(as_csv.stdout))] == ["id", "toy-100b", "toy-10b", "toy-1b"]
    as_json = invoke(["query", sql, "--format", "json"], built)
    assert "\x1b" not in as_json.stdout and "\x9b" not in as_json.stdout
    assert json.loads(as_json.stdout)[0]["notes"] == ESC_NOTES  # JSON escapes keep the value exact
    # a column name and an error message are escaped too
    named = invoke(["query", 'SELECT 1 AS "\x1b[2J"'], built)
    assert "\x1b" not in named.stdout and "\\x1b[2J" in named.stdout
    failed = invoke(["query", "SELECT CAST(notes AS INTEGER) FROM models"], built)
    assert failed.exit_code == 2 and "\x1b" not in failed.stderr


def test_record_with_escapes_prints_escaped(project: Path) -> None:
    """The issue's case: a record whose notes hold ESC sequences, built, then queried."""
    path = project / "records" / "models" / "toy-1b.yaml"
    yaml_text = ESC_NOTES.replace("\x1b", "\\e").replace("\x07", "\\a").replace("\x9b", "\\x9b")
    path.write_text(path.read_text().rstrip("\n") + f'\nnotes: "{yaml_text}"\n')
    built = invoke(["build"], project)
    if built.exit_code != 0:  # validation refuses control characters in record text: also a fix
        assert "notes" in built.output
        return
    for fmt in ("table", "csv"):
        out = invoke(["query", "SELECT notes FROM models WHERE id = 'toy-1b'", "--format", fmt], project)
        assert out.exit_code == 0
        _assert_escaped(out.stdout)
    out = invoke(["ceg", "--format", "csv"], project)
    assert "\x1b" not in out.stdout
