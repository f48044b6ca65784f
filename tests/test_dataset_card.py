"""The dataset card (dist/README.md) is a working Hugging Face dataset: every config it declares loads,
offline, with the rows of its table."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from ptedb.schema.columns import TABLES


def test_every_config_of_the_dataset_card_loads_offline(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import datasets

    dist = built / "dist"
    assert datasets.get_dataset_config_names(str(dist)) == list(TABLES)
    for name in TABLES:
        loaded = datasets.load_dataset(str(dist), name, cache_dir=str(tmp_path / "cache"))["train"]
        assert loaded.num_rows == pq.read_metadata(dist / "parquet" / f"{name}.parquet").num_rows
        assert loaded.column_names == [c.name for c in TABLES[name].columns]
