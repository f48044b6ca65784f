"""`validate`: read the records (SCH) and run the rules on what was read (REC, REF).

Kept apart from the build so that `ptedb validate` — the command contributors run most — never imports
pandas, pandera, pyarrow or DuckDB.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ptedb.loaders.records import load
from ptedb.loaders.scan import Scan
from ptedb.validation import rules
from ptedb.validation.dataset import Dataset

Progress = Callable[[str, int, int], None]


def validate(records: Path | str, progress: Progress | None = None, *, walked: Scan | None = None) -> Dataset:
    """Load and check every record; problems are in the dataset's diagnostics, never raised."""
    cb = (lambda i, n: progress("validate", i, n)) if progress else None
    ds = load(records, progress=cb, walked=walked)
    rules.run(ds)
    return ds
