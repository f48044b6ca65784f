"""`validate`: load records and run the SCH, REC and REF layers.

Kept apart from the compile step so that `ptedb validate` — the command contributors run most — never
imports pandas, pandera, pyarrow or DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ptedb.loaders.gc_pause import gc_paused
from ptedb.loaders.records import Dataset, load
from ptedb.loaders.scan import Scan

from . import rules

Progress = Callable[[str, int, int], None]


def validate(
    records: Path | str,
    progress: Progress | None = None,
    *,
    jobs: int = 1,
    walked: Scan | None = None,
) -> Dataset:
    """Load and check every record; problems are in the dataset's diagnostics, never raised."""
    cb = (lambda i, n: progress("validate", i, n)) if progress else None
    with gc_paused():
        ds = load(records, progress=cb, jobs=jobs, walked=walked)
        rules.run(ds)
    return ds
