"""The output contract: what `ptedb build` writes, and that it writes all of it or nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from conftest import invoke, tree_digest
from ptedb.schema.columns import TABLES

import ptedb
from ptedb import build as compile_mod
from ptedb import database as duckdb_views
from ptedb import tables as tables_mod

CONTRACT = [
    "enhancements",
    "evaluations",
    "models",
    "benchmarks",
    "baselines",
    "baseline_points",
    "sources",
    "tradeoffs",
    "ceg",
]
CEG_COLUMNS = [
    "evaluation_id",
    "enhancement_id",
    "category",
    "benchmark_id",
    "model_id",
    "baseline_id",
    "base_compute_flop",
    "ceg",
    "ceg_kind",
    "ceg_p05",
    "ceg_p95",
    "curve",
    "lower_bound",
    "upper_bound",
    "ceg_line",
    "ceg_interpolated",
    "equivalent_compute_flop",
    "ceg_low",
    "ceg_high",
    "method",
    "extrapolated",
    "extrapolation_oom",
    "meaningful",
    "reason",
    "reported_ceg",
]


def test_every_contract_table_is_written(built: Path) -> None:
    dist = built / "dist"
    assert list(TABLES) == CONTRACT
    for name in CONTRACT:
        assert (dist / "parquet" / f"{name}.parquet").is_file()
        assert (dist / "csv" / f"{name}.csv").is_file()
    assert (dist / "ptedb.duckdb").is_file()
    assert (dist / "datapackage.json").is_file()
    assert pq.read_table(dist / "parquet" / "ceg.parquet").column_names == CEG_COLUMNS


def test_parquet_carries_descriptions_and_provenance(built: Path) -> None:
    f = pq.ParquetFile(built / "dist" / "parquet" / "evaluations.parquet")
    schema = f.schema_arrow
    meta = {k.decode(): v.decode() for k, v in schema.metadata.items()}
    assert meta["dataset_version"] == "v2026.01.0"
    assert meta["schema_version"] == "1"
    assert meta["built_from"]
    assert len(meta["records_sha256"]) == 64
    for field in schema:
        assert field.metadata and field.metadata[b"description"], field.name
    assert schema.field("base_score").metadata[b"description"].startswith(b"Score without the enhancement")


def test_values_come_through(built: Path) -> None:
    ev = pq.read_table(built / "dist" / "parquet" / "evaluations.parquet").to_pylist()
    first = next(r for r in ev if r["evaluation_id"] == "toy-prompting/toy-1b-toy-bench")
    assert first["base_score"] == 30.0 and first["enhanced_score"] == 45.0
    assert first["one_time_cost_flop"] == 1e18
    assert first["inference_cost_multiplier_value"] == 2.0
    assert first["source_id"] == "doe-2024-toy" and first["source_locator"] == "Table 3"
    enh = pq.read_table(built / "dist" / "parquet" / "enhancements.parquet").to_pylist()
    assert enh[0]["aliases"] == ["TP"]


def test_parquet_is_byte_identical_across_builds(built: Path) -> None:
    first = tree_digest(built / "dist" / "parquet")
    result = invoke(["build", "--force"], built)
    assert result.exit_code == 0
    assert tree_digest(built / "dist" / "parquet") == first
    assert tree_digest(built / "dist" / "csv")


def test_duckdb_comments_meta_views_and_macros(built: Path) -> None:
    con = ptedb.connect(built / "dist" / "ptedb.duckdb")
    tables = {r[0]: r[1] for r in con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall()}
    for name in CONTRACT:
        assert tables[name], name
    missing = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE NOT internal AND "
        "table_name IN (SELECT table_name FROM duckdb_tables()) AND table_name <> '_meta' AND "
        "(comment IS NULL OR comment = '')"
    ).fetchall()
    assert missing == []
    meta = dict(con.execute("SELECT key, value FROM _meta").fetchall())
    assert {"dataset_version", "schema_version", "built_from", "built_at"} <= set(meta)
    views = {r[0] for r in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()}
    assert {"ceg_by_enhancement", "ceg_by_category", "tradeoff_points", "evaluations_ceg"} <= views
    n = con.execute("SELECT count(*) FROM evaluations_ceg").fetchone()[0]
    assert n == 2
    with pytest.raises(duckdb.Error):  # read-only: users cannot alter the release by accident
        con.execute("DELETE FROM models")


def test_sha256sums_verify(built: Path) -> None:
    dist = built / "dist"
    lines = (dist / "SHA256SUMS").read_text().splitlines()
    assert len(lines) >= 2 * len(CONTRACT) + 2
    for line in lines:
        digest, name = line.split("  ", 1)
        assert hashlib.sha256((dist / name).read_bytes()).hexdigest() == digest, name


def test_datapackage_describes_csv(built: Path) -> None:
    pkg = json.loads((built / "dist" / "datapackage.json").read_text())
    assert pkg["version"] == "v2026.01.0"
    names = [r["name"] for r in pkg["resources"]]
    assert names == CONTRACT
    ev = next(r for r in pkg["resources"] if r["name"] == "evaluations")
    fields = {f["name"]: f for f in ev["schema"]["fields"]}
    assert fields["base_score"]["type"] == "number"
    assert fields["evaluation_id"]["constraints"]["required"] is True


def test_ds_layer_failure_writes_nothing(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug that produces an inconsistent ceg row is caught by pandera before anything is written."""
    before = tree_digest(built / "dist")
    original = tables_mod.build_table

    def broken(table, objects, given=None):  # type: ignore[no-untyped-def]
        if table.name == "ceg":
            objects = [dict(row) for row in objects]
            for row in objects:
                if row["ceg_interpolated"] is not None:
                    row["ceg_low"] = row["ceg_interpolated"] * 2
        return original(table, objects, given)

    monkeypatch.setattr(tables_mod, "build_table", broken)
    result = invoke(["build", "--force"], built)
    assert result.exit_code == 1
    assert "DS001" in result.stderr and "ceg_low <= ceg_interpolated <= ceg_high" in result.stderr
    assert tree_digest(built / "dist") == before
    assert not list(built.glob(".dist.tmp-*"))  # the folder written meanwhile is gone


def test_ds_layer_catches_a_row_the_table_builder_lost(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Foreign keys across compiled tables: a model row lost by a bug leaves evaluations pointing at
    nothing, and the build stops before writing."""
    before = tree_digest(built / "dist")
    original = tables_mod.build_table

    def broken(table, objects, given=None):  # type: ignore[no-untyped-def]
        if table.name == "models":
            objects = [m for m in objects if m.id != "toy-1b"]
        return original(table, objects, given)

    monkeypatch.setattr(tables_mod, "build_table", broken)
    result = invoke(["build", "--force"], built)
    assert result.exit_code == 1
    assert "DS001 evaluations.model_id: 'toy-1b' has no row in models.id" in result.stderr
    assert "DS001 baseline_points.model_id: 'toy-1b' has no row in models.id" in result.stderr
    assert tree_digest(built / "dist") == before


def test_failure_while_writing_keeps_previous_dist(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = tree_digest(built / "dist")

    def explode(*a, **k):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device", "dist/ptedb.duckdb")

    monkeypatch.setattr(duckdb_views, "write_database", explode)
    result = invoke(["build", "--force"], built)
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr and "left as it was" in result.stderr
    assert tree_digest(built / "dist") == before
    assert not list(built.glob(".dist.tmp-*"))


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_output_location(project: Path) -> None:
    ro = project / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        result = invoke(["build", "--out", "ro/dist"], project)
    finally:
        ro.chmod(0o755)
    assert result.exit_code == 1
    assert "cannot write" in result.stderr


def test_unwritable_output_location_even_for_root(project: Path) -> None:
    result = invoke(["build", "--out", "/proc/ptedb-cannot-write/dist"], project)
    assert result.exit_code == 1
    assert "error: cannot" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("kind", ["fifo", "file", "symlink"])
def test_out_that_is_not_a_folder_is_left_alone(project: Path, kind: str) -> None:
    """A mistyped --out (a device such as /dev/null, a file, a link) must never be swapped away."""
    target = project / "target"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "file":
        target.write_text("precious")
    else:
        (project / "elsewhere").mkdir()
        target.symlink_to(project / "elsewhere")
    result = invoke(["build", "--out", "target"], project)
    assert result.exit_code == 1
    assert "choose another --out" in result.stderr
    if kind == "fifo":
        assert stat.S_ISFIFO(target.lstat().st_mode)
    elif kind == "file":
        assert target.read_text() == "precious"
    else:
        assert target.is_symlink() and not any((project / "elsewhere").iterdir())


def test_out_that_is_someone_elses_folder_is_left_alone(project: Path) -> None:
    (project / "docs").mkdir()
    (project / "docs" / "thesis.tex").write_text("years of work")
    result = invoke(["build", "--out", "docs"], project)
    assert result.exit_code == 1 and "ptedb did not build" in result.stderr
    assert (project / "docs" / "thesis.tex").read_text() == "years of work"
    (project / "empty").mkdir()
    assert invoke(["build", "--out", "empty"], project).exit_code == 0
    assert (project / "empty" / ".ptedb-build").is_file()


def test_output_path_that_is_a_file(project: Path) -> None:
    (project / "blocker").write_text("not a directory")
    result = invoke(["build", "--out", "blocker/dist"], project)
    assert result.exit_code == 1
    assert "error:" in result.stderr and "Traceback" not in result.output


def test_build_into_fresh_location_and_drops_old_site(built: Path) -> None:
    """A rebuild never carries the previous site in: its download would serve the replaced database."""
    (built / "dist" / "site").mkdir()
    (built / "dist" / "site" / "index.html").write_text("<p>site</p>")
    assert invoke(["build", "--force"], built).exit_code == 0
    assert not (built / "dist" / "site").exists()
    shutil.rmtree(built / "dist")
    assert invoke(["build", "--out", "other/place"], built).exit_code == 0
    assert (built / "other" / "place" / "ptedb.duckdb").is_file()


def test_no_change_rebuild_is_skipped_and_any_change_rebuilds(built: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ptedb import cache

    before = tree_digest(built / "dist")
    again = invoke(["build"], built)
    assert again.exit_code == 0 and "is up to date" in again.stderr
    assert tree_digest(built / "dist") == before  # not even built_at changed
    # a new file under records/, even a stray one, invalidates the cache (validation now has news)
    (built / "records" / "sources" / "notes.txt").write_text("x")
    stray = invoke(["build"], built)
    assert stray.exit_code == 1 and "SCH026" in stray.stderr
    (built / "records" / "sources" / "notes.txt").unlink()
    assert "is up to date" in invoke(["build"], built).stderr
    # an edited record rebuilds
    path = built / "records" / "models" / "toy-1b.yaml"
    path.write_text(path.read_text().replace('name: "Toy 1b"', 'name: "Toy One"'))
    edited = invoke(["build"], built)
    assert edited.exit_code == 0 and "built" in edited.stderr
    assert tree_digest(built / "dist") != before
    # a code change (a different fingerprint) rebuilds too
    after_edit = tree_digest(built / "dist")
    monkeypatch.setattr(cache, "code_fingerprint", lambda: "another version of ptedb")
    recoded = invoke(["build"], built)
    assert recoded.exit_code == 0 and "built" in recoded.stderr
    assert tree_digest(built / "dist" / "parquet") == {
        k[len("parquet/") :]: v for k, v in after_edit.items() if k.startswith("parquet/")
    }


def test_library_versions_in_the_fingerprint_match_importlib_metadata(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cache key reads versions from dist-info folder names; it must see what pip installed,
    first match on sys.path first, exactly as importlib.metadata does."""
    from importlib import metadata

    from ptedb.cache import installed_versions

    names = ("pyarrow", "duckdb", "pydantic", "PyYAML", "typing_extensions", "check-jsonschema")
    assert installed_versions(names) == {name: metadata.version(name) for name in names}
    # an upgrade shadowing the installed copy earlier on sys.path changes the answer, as it would the import
    shadow = tmp_path / "PyYAML-99.1.dist-info"
    shadow.mkdir()
    (shadow / "METADATA").write_text("Metadata-Version: 2.1\nName: PyYAML\nVersion: 99.1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert installed_versions(("PyYAML",)) == {"PyYAML": "99.1"} == {"PyYAML": metadata.version("PyYAML")}
    with pytest.raises(metadata.PackageNotFoundError):
        installed_versions(("no-such-distribution-anywhere",))


def test_cached_build_is_redone_when_a_file_is_missing(built: Path) -> None:
    (built / "dist" / "csv" / "models.csv").unlink()
    result = invoke(["build"], built)
    assert result.exit_code == 0 and "built" in result.stderr
    assert (built / "dist" / "csv" / "models.csv").is_file()


def test_build_checks_the_bytes_it_hashed(project: Path) -> None:
    """A file saved between the build key and the loader does not slip in unhashed: the build compiles
    what it hashed, and the next build sees the change."""
    from ptedb import cache

    records = project / "records"
    key = cache.key_for(records)
    path = records / "models" / "toy-1b.yaml"
    original = path.read_text()
    path.write_text(original.replace('name: "Toy 1b"', 'name: "Saved mid-build"'))
    result = compile_mod.build(records, project / "dist", key=key)
    assert result.ok and result.meta["records_sha256"] == key.records_sha256
    names = pq.read_table(project / "dist" / "parquet" / "models.parquet").column("name").to_pylist()
    assert "Toy 1b" in names and "Saved mid-build" not in names
    rebuilt = invoke(["build"], project)
    assert rebuilt.exit_code == 0 and "built" in rebuilt.stderr
    assert (
        "Saved mid-build" in pq.read_table(project / "dist" / "parquet" / "models.parquet").column("name").to_pylist()
    )


@pytest.mark.parametrize("size", [0, 1, 4095, 4096, 70_000])
def test_scan_reads_files_whole_and_caps_them(tmp_path: Path, size: int) -> None:
    from ptedb.loaders.scan import read_capped

    path = tmp_path / "f"
    data = os.urandom(size)
    path.write_bytes(data)
    assert read_capped(str(path), 1_000_001) == data
    assert read_capped(str(path), 100) == data[:100]


def test_scan_reads_a_file_that_reports_no_size() -> None:
    """/proc files report size 0 and still have content: read to the end, up to the cap."""
    from ptedb.loaders.scan import read_capped

    assert read_capped("/proc/self/status", 1_000_001).startswith(b"Name:")
    assert len(read_capped("/proc/self/status", 10)) == 10


def _reference_digest(root: Path) -> str:
    """The scan's digest, spelled out: for every entry in name order, its path, its kind and what it
    holds. The scan computes it in fewer steps; this holds it to the same value, so that a change of
    scheme (which would rebuild every dist/ once) is deliberate."""
    import hashlib
    import stat as stat_mod

    h = hashlib.sha256()

    def walk(folder: Path, prefix: str) -> None:
        for p in sorted(folder.iterdir(), key=lambda p: p.name):
            h.update((prefix + p.name).encode("utf-8", "surrogateescape") + b"\0")
            if p.is_symlink():
                h.update(b"link\0" + os.fsencode(os.readlink(p)))
            elif p.is_file():
                h.update(b"file\0" + p.read_bytes()[:1_000_001])
            elif p.is_dir():
                h.update(b"dir\0")
                walk(p, prefix + p.name + "/")
            else:
                h.update(f"other {stat_mod.S_IFMT(p.lstat().st_mode)}".encode())
            h.update(b"\0")

    walk(root, "")
    return h.hexdigest()


def test_scan_digest_follows_its_scheme(tmp_path: Path) -> None:
    from ptedb.loaders.scan import scan

    root = tmp_path / "records"
    (root / "models").mkdir(parents=True)
    (root / "models" / "a.yaml").write_text("id: a\n")
    (root / "models" / "b.yaml").write_bytes(b"")
    (root / "models" / "big.yaml").write_bytes(b"x" * 1_200_000)
    (root / "dataset.yaml").write_text("title: t\n")
    (root / "link.yaml").symlink_to("models/a.yaml")
    os.mkfifo(root / "fifo.yaml")
    (root / "empty").mkdir()
    assert scan(root).digest == _reference_digest(root)
    (root / "models" / "a.yaml").write_text("id: b\n")
    assert scan(root).digest == _reference_digest(root)
