"""Records to Arrow tables: the generated row readers give exactly what reading column by column gives."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import GOOD
from ptedb.loaders import records
from ptedb.schema.columns import TABLES, Column

from ptedb import tables as tables_mod

MODEL_TABLES = ["enhancements", "evaluations", "models", "benchmarks", "baselines", "sources", "tradeoffs"]


@pytest.fixture(scope="module")
def dataset() -> records.Dataset:
    ds = records.load(GOOD / "records")
    assert not ds.diagnostics
    return ds


@pytest.mark.parametrize("name", MODEL_TABLES)
def test_row_reader_matches_column_reader(dataset: records.Dataset, name: str) -> None:
    """The fixture has optional nested objects both present and absent (one_time_cost, reported_ceg,
    uncertainty), so every None branch of a generated reader is taken."""
    objects, given = tables_mod._objects(dataset, name)
    read = [c for c in TABLES[name].columns if c.name not in given]
    reader = tables_mod._row_reader(name, tuple(c.name for c in read))
    rows = [reader(o) for o in objects]
    assert rows
    for i, c in enumerate(read):
        assert [r[i] for r in rows] == tables_mod._column(c.path, objects, c.kind == "list"), c.name


def test_row_reader_takes_none_parents(dataset: records.Dataset) -> None:
    evaluations, _ = tables_mod._objects(dataset, "evaluations")
    names = ("one_time_cost_flop", "reported_ceg_source_id", "uncertainty_n_samples")
    reader = tables_mod._row_reader("evaluations", names)
    seen = {tuple(v is None for v in reader(ev)) for ev in evaluations}
    assert (True, True, True) in seen  # every parent absent somewhere
    assert any(not any(flags[:1]) for flags in seen)  # and present somewhere


def test_build_table_of_no_rows_has_the_schema() -> None:
    table = tables_mod.build_table(TABLES["models"], [])
    assert table.num_rows == 0 and table.schema.names == [c.name for c in TABLES["models"].columns]


def test_row_reader_refuses_a_path_that_is_not_identifiers(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reader is generated code: a column path from anywhere but the models' field names would be
    refused, not run."""
    spec = TABLES["models"]
    bad = Column(name="evil", path=("id; import os",), kind="string", nullable=True, description="x")
    monkeypatch.setitem(TABLES, "models", dataclasses.replace(spec, columns=type(spec.columns)([*spec.columns, bad])))
    tables_mod._row_reader.cache_clear()
    try:
        with pytest.raises(ValueError, match="not made of identifiers"):
            tables_mod._row_reader("models", ("evil",))
    finally:
        tables_mod._row_reader.cache_clear()
