"""One writer at a time per output folder: `ptedb build` and `ptedb site` both replace folders under
`--out`, and a second run waits for the first rather than interleaving with it. `filelock` takes the
operating system's own lock (fcntl on POSIX, msvcrt on Windows), which the OS releases when a process
dies, so a killed build never leaves the folder locked."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock

from .cache import BuildError


@contextlib.contextmanager
def build_lock(out: Path) -> Iterator[None]:
    """Serialize writers of the same `out`: a second one waits for the first, then runs."""
    lock = FileLock(out.parent / f".{out.name}.lock")
    try:
        lock.acquire()
    except OSError as exc:
        raise BuildError(f"cannot write to {out.parent}: {exc.strerror}") from None
    try:
        yield
    finally:
        lock.release()
