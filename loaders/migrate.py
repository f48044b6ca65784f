"""Upgrading records written for an older schema_version.

A migration is a function from a record's data at version N to its data at version N+1, registered in
`MIGRATIONS[N]`. Schema version 1 is the first, so none exist yet; the machinery is here so that the
first breaking change ships with its migration and `ptedb migrate` rather than a wall of SCH errors.
Migrated files are rewritten as plain YAML: comments cannot be carried through a change of shape, so
the command says which files it rewrote, for review in the pull request.

Files are read through the same scan as validate and build (loaders/scan.py), so migrate is no easier
to trick than they are: no link is followed, no FIFO opened, no file read past the size limit, and
--records must name a records folder.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ptedb.schema.models import BY_FOLDER, SCHEMA_VERSION

from .parse import YamlError, load_bytes
from .scan import MAX_FILE_BYTES, RECORD_FOLDERS, Entry, scan

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""from-version → function producing the data at from-version + 1."""


@dataclass
class Outcome:
    path: Path
    old_version: int | None
    status: str  # current | migrated | would-migrate | error
    message: str = ""


def _upgrade(data: dict[str, Any], version: int) -> dict[str, Any]:
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise LookupError(f"no migration from schema_version {version} to {version + 1}")
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:  # the loader refuses anchors, so never write them
        return True


class RecordsFolderError(Exception):
    """--records names no folder, or one that is not a records folder: nothing was read."""


def _write(entry: Entry, text: str) -> None:
    """Replace the file of `entry` with `text`, atomically, through a fresh temporary file beside it.

    The temporary file is created exclusively (never an existing name, never through a link), and the
    rename replaces the directory entry itself: a link planted next to the record cannot redirect it.
    """
    path = Path(entry.path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # a dotfile: never a record
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        with contextlib.suppress(OSError):
            os.chmod(tmp, stat.S_IMODE(os.lstat(path).st_mode))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _files(records: Path) -> Iterator[tuple[Entry, str | None]]:
    """(entry, why it cannot be read or None) of every record file, from the same scan as validate's.

    The scan follows no link, opens no FIFO or device and reads at most MAX_FILE_BYTES + 1 bytes: a
    link to /etc/passwd, a FIFO named x.yaml or a link to /dev/zero is reported, never read.
    """
    walked = scan(records)
    if not walked.exists:
        raise RecordsFolderError(f"{records}: records directory not found")
    if not walked.records_like:
        raise RecordsFolderError(
            f"{records}: not a records folder: it holds neither dataset.yaml nor any of {', '.join(RECORD_FOLDERS)}"
        )
    for folder in BY_FOLDER:
        top = walked.top(folder)
        if top is None:
            continue
        if top.kind != "dir":
            yield top, "not a folder (a link or a file): nothing in it was read"
            continue
        for child in top.children:
            if child.name.startswith(".") or not child.name.endswith(".yaml"):
                continue
            if child.error is not None:
                yield child, f"cannot read: {child.error}"
            elif child.kind == "link":
                yield child, "a link, not a file: it was not followed"
            elif child.kind != "file":
                yield child, f"not a regular file ({child.kind}): it was not read"
            elif child.data is None or len(child.data) > MAX_FILE_BYTES:
                yield child, f"larger than the limit of {MAX_FILE_BYTES:,} bytes: it was not read"
            else:
                yield child, None


def migrate(records: Path, *, write: bool) -> list[Outcome]:
    """Upgrade every record file below `records`; RecordsFolderError when there is no records folder."""
    out: list[Outcome] = []
    for entry, unreadable in _files(records):
        path = Path(entry.path)
        if unreadable is not None:
            out.append(Outcome(path, None, "error", unreadable))
            continue
        try:
            data = load_bytes(entry.data or b"").data
        except YamlError as exc:
            out.append(Outcome(path, None, "error", f"cannot read: {exc}"))
            continue
        version = data.get("schema_version") if isinstance(data, dict) else None
        if not isinstance(version, int) or isinstance(version, bool):
            out.append(Outcome(path, None, "error", "no whole-number schema_version"))
            continue
        if version == SCHEMA_VERSION:
            out.append(Outcome(path, version, "current"))
            continue
        if version > SCHEMA_VERSION:
            out.append(Outcome(path, version, "error", f"newer than this ptedb ({SCHEMA_VERSION}): upgrade ptedb"))
            continue
        try:
            new = _upgrade(data, version)
        except LookupError as exc:
            out.append(Outcome(path, version, "error", str(exc)))
            continue
        if write:
            text = yaml.dump(new, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
            try:
                _write(entry, text)
            except OSError as exc:
                out.append(Outcome(path, version, "error", f"cannot write: {exc.strerror or exc}"))
                continue
        out.append(Outcome(path, version, "migrated" if write else "would-migrate"))
    return out
