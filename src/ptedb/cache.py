"""Is the build already up to date? Answered without importing pyarrow, pandas or DuckDB.

A build key hashes every file under records/, ptedb's own source, the versions of the libraries that
shape the output, and the git revision stamped into the artifacts. A build whose key matches the one in
`--out`'s marker, and whose files all still match their digests in SHA256SUMS, is not redone: a
no-change rebuild costs a directory walk and hashing the release. The marker also tells `build` which
folders it may replace.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ptedb.loaders.scan import Scan, scan


class BuildError(Exception):
    """The build could not write its output (permissions, disk full, lock held); nothing was changed."""


MARKER = ".ptedb-build"
"""Written into every build: `build` replaces only a folder that holds it (or an empty one), so that a
mistyped --out can never swap away and delete something that is not a ptedb build."""


def check_replaceable(out: Path) -> None:
    """Refuse an --out that exists and is not a previous build: a file, a device, a link, a user's folder."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        kind = "a link" if out.is_symlink() else "not a folder"
        raise BuildError(f"{out} exists and is {kind}; choose another --out")
    if out.is_dir() and not (out / MARKER).is_file() and any(out.iterdir()):
        raise BuildError(
            f"{out} is a folder that ptedb did not build (no {MARKER} in it); refusing to replace it: "
            "choose another --out, or empty the folder"
        )


def installed_versions(names: tuple[str, ...]) -> dict[str, str]:
    """Installed versions, read from the `name-version.dist-info` folder names on sys.path.

    The same answer as importlib.metadata.version, first match on sys.path wins, without importing
    importlib.metadata and its email parser (about 25 ms, a tenth of a no-change build). A distribution
    installed some other way (an egg, a zip) falls back to importlib.metadata.
    """

    def norm(name: str) -> str:
        return re.sub(r"[-_.]+", "_", name).lower()

    wanted = {norm(name): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except OSError:
            continue
        for item in listing:
            if item.endswith(".dist-info"):
                dist, _, version = item[: -len(".dist-info")].partition("-")
                name = wanted.get(norm(dist))
                if name is not None and version and name not in found:
                    found[name] = version
    for name in names:
        if name not in found:
            from importlib import metadata

            found[name] = metadata.version(name)
    return {name: found[name] for name in names}


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 over ptedb's own source and the versions of the libraries that shape the output: any
    change to the code that reads, checks or writes the data invalidates a cached build."""
    import ptedb
    import ptedb.loaders
    import ptedb.schema
    import ptedb.validation

    versions = installed_versions(("pyarrow", "duckdb", "pydantic", "PyYAML"))
    libs = " ".join(f"{name} {version}" for name, version in versions.items())
    h = hashlib.sha256(f"{ptedb.__version__} {libs}".encode())
    for pkg in (ptedb, ptedb.schema, ptedb.loaders, ptedb.validation):
        folder = Path(pkg.__file__).parent
        for path in sorted(folder.glob("*.py")):
            h.update(f"{pkg.__name__}.{path.name}".encode())
            h.update(path.read_bytes())
    return h.hexdigest()


def build_key(records_sha256: str, built_from: str) -> str:
    return hashlib.sha256(f"{records_sha256} {built_from} {code_fingerprint()}".encode()).hexdigest()


def up_to_date(out: Path, key: str) -> dict[str, str] | None:
    """The previous build's facts when `out` holds a whole build made with `key`, else None.

    Matching keys are not enough: a file truncated, edited or deleted after the build would otherwise
    count as up to date until someone passed --force. So every file SHA256SUMS lists is hashed again
    and compared with its recorded digest, and SHA256SUMS must list exactly the files the marker names
    (so a line deleted with its file is noticed too). Hashing the release (a few MB) costs a few
    milliseconds, far less than a build.
    """
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or marker.get("build_key") != key:
        return None
    expected = marker.get("files")
    if not isinstance(expected, list) or not all(isinstance(name, str) for name in expected):
        return None
    if not _matches_sums(out, {*expected, MARKER}) or not site_intact(out):
        return None
    return {k: str(v) for k, v in marker.items() if k != "files"}


def _matches_sums(folder: Path, names: set[str]) -> bool:
    """`folder/SHA256SUMS` lists exactly `names`, well-formed, and every file still has its digest."""
    try:
        listed = (folder / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    except (OSError, ValueError):
        return False
    sums: dict[str, str] = {}
    for line in listed:
        digest, sep, name = line.partition("  ")
        if not sep or not _SHA256.fullmatch(digest) or name in sums or not _inside(name):
            return False
        sums[name] = digest
    return set(sums) == names and all(_digest(folder / name) == digest for name, digest in sums.items())


SITE = "site"
"""The folder of `out` that `ptedb site` writes. It is not part of the release (the build's SHA256SUMS
does not list it), so it keeps a SHA256SUMS of its own: a byte changed in a page or in the site's copy
of the download must make the next build a full one, which replaces `out` without the damaged site."""


def sums_text(folder: Path) -> str:
    """SHA256SUMS for every file below `folder` (but SHA256SUMS itself), in sorted path order: the
    release's (written by `writers`) and the site's (written by `ptedb site`) alike."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p != folder / "SHA256SUMS")
    return "".join(f"{_digest(p)}  {p.relative_to(folder).as_posix()}\n" for p in files)


def site_intact(out: Path) -> bool:
    """No site, or one whose files are exactly those its SHA256SUMS lists, each matching its digest."""
    site = out / SITE
    if not site.exists() and not site.is_symlink():
        return True
    if site.is_symlink() or not site.is_dir():
        return False
    found: set[str] = set()
    for root, dirs, files in os.walk(site):
        here = Path(root)
        if any((here / d).is_symlink() for d in dirs):
            return False
        found.update((here / f).relative_to(site).as_posix() for f in files)
    return _matches_sums(site, found - {"SHA256SUMS"})


_SHA256 = re.compile(r"[0-9a-f]{64}")


def _inside(name: str) -> bool:
    """A relative path below the build folder, as SHA256SUMS writes them: no '..', not absolute."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and all(part not in ("", ".", "..") for part in parts)


def _digest(path: Path) -> str | None:
    """SHA-256 of a regular file (a link or a folder in its place is damage too), or None."""
    try:
        if path.is_symlink() or not path.is_file():
            return None
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (OSError, ValueError):  # ValueError: a name holding NUL, which no build writes
        return None


def git_revision(root: Path) -> str:
    """The git commit the records come from, '+dirty' when they differ from it, or 'unknown'.

    The only user input, the records path, goes to git solely as the value of `-C` and after `--`, where
    git never reads it as an option (`--end-of-options` is not added: plain `rev-parse` would echo it).
    """
    try:
        rev = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{rev}+dirty" if dirty else rev


@dataclass(frozen=True)
class Key:
    records_sha256: str
    built_from: str
    value: str
    scan: Scan | None = field(default=None, compare=False, repr=False)
    """The walk the key was computed from: the build checks these bytes rather than reading again."""


def key_for(records: Path) -> Key:
    walked = scan(records)
    built_from = git_revision(records)
    return Key(walked.digest, built_from, build_key(walked.digest, built_from), walked)
