"""`ptedb.load()`: every table as a DataFrame, from a build, a Parquet folder or a served release."""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from ptedb.schema.columns import TABLES

from ptedb.readers import LoadError, load


@pytest.fixture
def served(built: Path) -> Iterator[str]:
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(built / "dist"))
    handler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


def test_load_a_build_and_a_parquet_folder(built: Path) -> None:
    tables = load(built / "dist")
    assert list(tables) == list(TABLES)
    assert len(tables["evaluations"]) > 0 and "ceg_kind" in tables["ceg"].columns
    again = load(built / "dist" / "parquet")
    assert all(again[n].equals(tables[n]) for n in TABLES)


def test_load_a_served_release_verifies_and_caches(
    built: Path, served: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTEDB_CACHE", str(tmp_path / "cache"))
    remote = load(served)
    local = load(built / "dist")
    assert all(remote[n].equals(local[n]) for n in TABLES)
    assert len(list((tmp_path / "cache").glob("*.parquet"))) == len(TABLES)
    # a damaged release file is refused, and the good cached copy is not replaced by it
    target = built / "dist" / "parquet" / "models.parquet"
    target.write_bytes(target.read_bytes()[:-10] + b"0123456789")
    shutil.rmtree(tmp_path / "cache")
    with pytest.raises(LoadError, match="does not match its SHA256SUMS entry"):
        load(served)


def test_load_errors_are_plain(tmp_path: Path) -> None:
    with pytest.raises(LoadError, match="not a build"):
        load(tmp_path / "nowhere")
    with pytest.raises(LoadError, match="only local folders and http"):
        load("ftp://example.org/dist")


def test_the_package_offers_load_and_session(built: Path) -> None:
    import ptedb

    assert list(ptedb.load(built / "dist")) == list(TABLES)
    with ptedb.session(built / "dist") as s:
        assert s.connection() is not None
