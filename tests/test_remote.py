"""A published build read over HTTP, as a user of the release would: a DuckDB 1.x with httpfs installed
from the package registry (never downloaded at run time) attaches the database read-only from a URL and
reads a Parquet file by URL, from a server that honours range requests, so only the parts needed travel.

The reader lives in its own environment (`.venv-readers`, made by `make test`): httpfs builds on the
registry exist only for DuckDB 1.x, while ptedb itself runs on DuckDB 2.
"""

from __future__ import annotations

import http.server
import json
import re
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

READER = Path(__file__).resolve().parent.parent / ".venv-readers" / "bin" / "python"


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with single byte ranges (RFC 9110): what httpfs needs to read parts of a file."""

    sent = 0
    ranges = 0  # responses that carried a byte range
    whole = 0  # GETs of a whole file

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):  # type: ignore[no-untyped-def]
        path = Path(self.translate_path(self.path))
        m = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        if not path.is_file() or not m:
            if path.is_file() and self.command == "GET":
                type(self).whole += 1
            return super().send_head()
        type(self).ranges += 1
        size = path.stat().st_size
        start, end = int(m.group(1)), int(m.group(2) or size - 1)
        end = min(end, size - 1)
        fh = path.open("rb")
        fh.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        self._remaining = end - start + 1
        return fh

    def copyfile(self, source, outputfile):  # type: ignore[no-untyped-def]
        remaining = getattr(self, "_remaining", None)
        while True:
            chunk = source.read(1 << 16 if remaining is None else min(1 << 16, remaining))
            if not chunk:
                break
            outputfile.write(chunk)
            type(self).sent += len(chunk)
            if remaining is not None:
                remaining -= len(chunk)
                if remaining <= 0:
                    break


@pytest.fixture
def server(built: Path) -> Iterator[str]:
    import functools

    handler = functools.partial(RangeHandler, directory=str(built / "dist"))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    RangeHandler.sent = RangeHandler.ranges = RangeHandler.whole = 0
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()


SCRIPT = """
import json, sys, duckdb
from duckdb_extensions import import_extension
import_extension("httpfs")  # from the duckdb-extension-httpfs package: nothing is downloaded
con = duckdb.connect(config={"autoinstall_known_extensions": False})
con.execute("LOAD httpfs")
base = sys.argv[1]
con.execute(f"ATTACH '{base}/ptedb.duckdb' AS ptedb (READ_ONLY)")
rows = con.sql("SELECT * FROM ptedb.ceg_by_category").fetchall()
n = con.sql(f"SELECT count(*) FROM read_parquet('{base}/parquet/ceg.parquet')").fetchone()[0]
print(json.dumps({"categories": len(rows), "ceg_rows": n, "version": duckdb.__version__}))
"""


@pytest.mark.skipif(not READER.is_file(), reason="no .venv-readers (DuckDB 1.x with httpfs): run 'make test'")
def test_a_served_build_is_attached_and_read_over_http(built: Path, server: str) -> None:
    done = subprocess.run([str(READER), "-c", SCRIPT, server], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["version"].startswith("1.")
    assert out["categories"] > 0 and out["ceg_rows"] > 0
    # Parts of the files travel, in byte ranges, never a whole file. (How many bytes that adds up to depends
    # on DuckDB's block size and the file's size: on a fixture this small the parts can add up to more
    # than the file, since a reader may fetch a block twice.)
    assert RangeHandler.ranges > 0 and RangeHandler.sent > 0
    assert RangeHandler.whole == 0
