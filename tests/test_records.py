"""The project's own data: records/ validates, builds, and every evaluation gets a CEG or a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptedb.build import build

RECORDS = Path(__file__).parent.parent / "records"


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    out = tmp_path_factory.mktemp("real") / "dist"
    res = build(RECORDS, out)
    assert res.ok, "\n".join(d.text() for d in res.diagnostics[:30])
    return res


def test_records_build(result) -> None:  # type: ignore[no-untyped-def]
    assert result.tables["evaluations"].num_rows > 0


def test_every_evaluation_has_a_ceg_or_a_reason(result) -> None:  # type: ignore[no-untyped-def]
    ceg = result.tables["ceg"].to_pylist()
    assert len(ceg) == result.tables["evaluations"].num_rows
    for row in ceg:
        assert (row["meaningful"] and row["ceg"] and row["ceg"] > 0) or row["reason"], row


def test_every_category_is_represented(result) -> None:  # type: ignore[no-untyped-def]
    cats = set(result.tables["enhancements"].column("category").to_pylist())
    assert cats == {"tool-use", "prompting", "scaffolding", "solution-choice", "data", "efficiency"}


def test_numbers_carry_provenance(result) -> None:  # type: ignore[no-untyped-def]
    for row in result.tables["evaluations"].to_pylist():
        assert row["source_id"] and row["source_locator"], row["evaluation_id"]
    for row in result.tables["models"].to_pylist():
        if row["training_compute_flop"] is not None:
            assert row["training_compute_source_id"] and row["training_compute_source_locator"], row["id"]
