"""ptedb: a database of post-training enhancements of AI models and their compute-equivalent gain.

Kept import-light on purpose: `ptedb --help` and `import ptedb` must not pull in pandas, DuckDB or
pydantic. Heavy modules are imported inside the functions that need them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

__version__ = "0.1.0"

SANDBOX: dict[str, bool | str] = {
    "enable_external_access": False,
    "allow_community_extensions": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_persistent_secrets": False,
    "temp_directory": "",
    "lock_configuration": True,
}
"""DuckDB settings of a sandboxed connection, given at connect time so that no statement runs before them.

Read-only alone protects only the database file: SQL could still read any file the user can
(`read_text('/etc/passwd')`), write anywhere (`COPY ... TO`), attach another database read-write, or
install and load extensions. With external access off DuckDB allows no file or network access beyond
the database itself (its own allow-list), extensions can be neither installed nor loaded, nothing spills
to a temporary folder (which DuckDB would otherwise allow writes into), and `lock_configuration`, set
last, stops any SQL from turning these back on."""


def connect(
    path: str | Path = "dist/ptedb.duckdb", *, read_only: bool = True, sandbox: bool = True
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to a built database: read-only and sandboxed by default.

    The sandbox (see SANDBOX) means a query can read the release database and nothing else: no other
    file, no network, no ATTACH, no extensions, no change of settings. Pass `sandbox=False` (and
    `read_only=False` to write) to get an ordinary DuckDB connection, e.g. to join the release with
    your own files.
    """
    import duckdb

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: run 'ptedb build' first")
    return duckdb.connect(str(path), read_only=read_only, config=dict(SANDBOX) if sandbox else {})


def load(source: str | Path | None = None, *, timeout: float = 60.0) -> dict[str, Any]:
    """Every table of a release as a pandas DataFrame: from a build (default `dist`), a folder of Parquet
    files, or a release's http(s) URL, checked against its SHA256SUMS and cached (see ptedb.readers)."""
    from ptedb.readers import load as _load

    return _load(source, timeout=timeout)


def session(path: str | Path = "dist/ptedb.duckdb") -> Any:
    """A SQLModel session over a release database, read-only, for the typed classes of ptedb.orm."""
    from ptedb.readers import session as _session

    return _session(path)
