"""One walk over records/: what every entry is, and the bytes of every file, read once.

The build key hashes this walk, and the loader checks the very same bytes. A full build therefore
reads each file once instead of twice, and what is validated and compiled is exactly what was hashed,
even if a contributor saves a file while the build runs.

The walk never follows anything and never reads beyond the size limit: a link contributes its
target's *path*, a FIFO or device only its name and kind, a file at most MAX_FILE_BYTES + 1 bytes. So a
hostile tree (a link to /dev/zero, a FIFO, a 300 MB file) can neither hang the walk nor fill memory;
the loader then reports each of them.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

MAX_FILE_BYTES = 1_000_000
"""No record is anywhere near this; anything larger is a mistake or an attack. Defined here, not in
the parser, so that the no-change build (a scan and a hash) never imports the YAML parser."""


@dataclass(slots=True)
class Entry:
    """One entry of the records tree."""

    name: str
    path: str
    kind: str
    """'file', 'dir', 'link' or 'other' (FIFO, socket, device)."""
    data: bytes | None = None
    """A file's bytes (at most MAX_FILE_BYTES + 1), or None when unreadable. Real record files are a few
    kB each: 10,000 of them keep about 40 MB."""
    error: str | None = None
    """Why the entry could not be read, in the words of the OS."""
    children: list[Entry] = field(default_factory=list)
    """A folder's entries, sorted by name."""


@dataclass
class Scan:
    """records/ as read at one moment, with its SHA-256."""

    root: Path
    entries: list[Entry]
    digest: str
    """SHA-256 over every entry: name, kind and bytes. Every entry counts, stray ones included, since a
    new stray file changes what validation says."""
    exists: bool = True
    records_like: bool = True
    """False when `root` exists but holds neither dataset.yaml nor a record folder: nothing was walked."""

    def top(self, name: str) -> Entry | None:
        return next((e for e in self.entries if e.name == name), None)


DATASET_FILE = "dataset.yaml"
RECORD_FOLDERS = ("sources", "models", "benchmarks", "baselines", "enhancements", "tradeoffs")
"""The folders of schema.models.BY_FOLDER, spelled out here so that the no-change build, which only
scans, never imports pydantic (tests/test_loose_ends.py holds the two equal)."""


def looks_like_records(root: Path | str) -> bool:
    """Whether `root` holds records/dataset.yaml or at least one record folder (not a link).

    Checked from the names at the top of `root` alone, before anything is walked: `--records /usr/share`
    is refused at once instead of reading a whole system folder to find no records in it.
    """
    try:
        with os.scandir(root) as it:
            for d in it:
                if d.name == DATASET_FILE:
                    return True
                if d.name in RECORD_FOLDERS and d.is_dir(follow_symlinks=False):
                    return True
    except OSError:
        return False
    return False


_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def read_capped(path: str, limit: int) -> bytes:
    """At most `limit` bytes of a file, in a buffer of the file's own size: `read(limit)` would allocate
    `limit` bytes (1 MB) for every 4 kB record, which costs more than the read itself. Reads on to the
    end, so a file that grows meanwhile, or reports no size (/proc), is still read whole up to the cap."""
    fd = os.open(path, _OPEN_FLAGS)
    try:
        want = min(os.fstat(fd).st_size + 1, limit)
        parts = []
        got = 0
        while got < limit:
            asked = max(want - got, 1 << 16) if got else want
            chunk = os.read(fd, asked)
            if not chunk:
                break
            parts.append(chunk)
            got += len(chunk)
            if len(chunk) < asked and want > 1:
                # A short read of a regular file is its end: asking again to hear so costs a system
                # call per file (a tenth of a no-change build). Not when the size said 0 (/proc).
                break
        data = parts[0] if len(parts) == 1 else b"".join(parts)  # b"" for an empty file
        return data[:limit]
    finally:
        os.close(fd)


def scan(root: Path | str) -> Scan:
    """Walk `root` once; a missing root, or one that is not a records folder (`looks_like_records`),
    gives an empty scan with an empty digest."""
    root = Path(root)
    if not root.is_dir():
        return Scan(root, [], "", exists=False)
    if not looks_like_records(root):
        return Scan(root, [], "", records_like=False)
    h = hashlib.sha256()
    limit = MAX_FILE_BYTES + 1

    def walk(folder: str, prefix: str) -> list[Entry]:
        try:
            with os.scandir(folder) as it:
                found = sorted(it, key=lambda e: e.name)
        except OSError:
            return []
        out = []
        for d in found:
            rel = prefix + d.name
            name = rel.encode("utf-8", "surrogateescape") + b"\0"
            entry = Entry(d.name, d.path, "other")
            named = False  # whether `name` is in the digest yet
            try:
                if d.is_file(follow_symlinks=False):  # the common case first; a link is not a file here
                    entry.kind = "file"
                    data = read_capped(d.path, limit)
                    h.update(b"".join((name, b"file\0", data, b"\0")))  # one update, the same digest
                    entry.data = data
                    out.append(entry)
                    continue
                h.update(name)
                named = True
                if d.is_symlink():
                    entry.kind = "link"
                    h.update(b"link\0" + os.fsencode(os.readlink(d.path)))
                elif d.is_dir(follow_symlinks=False):
                    entry.kind = "dir"
                    h.update(b"dir\0")
                    entry.children = walk(d.path, rel + "/")
                else:
                    h.update(f"other {stat.S_IFMT(d.stat(follow_symlinks=False).st_mode)}".encode())
            except OSError as exc:
                entry.error = exc.strerror or str(exc)
                if not named:
                    h.update(name)
                h.update(f"unreadable {exc.errno}".encode())
            h.update(b"\0")
            out.append(entry)
        return out

    entries = walk(os.fspath(root), "")
    return Scan(root, entries, h.hexdigest())
