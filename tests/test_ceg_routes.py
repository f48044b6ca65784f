"""The Python, SQL and CLI routes to CEG and the trade-off agree to 1e-9 relative on the same inputs."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest
from conftest import invoke
from hypothesis import example, given, settings
from hypothesis import strategies as st

from ptedb import tradeoff
from ptedb.build import build
from ptedb.ceg import estimate

REL = 1e-9


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=REL)


def test_ceg_table_cli_and_python_agree(built: Path) -> None:
    con = duckdb.connect(str(built / "dist" / "ptedb.duckdb"), read_only=True)
    rows = con.execute("SELECT evaluation_id, ceg_interpolated, ceg_low, ceg_high, ceg FROM ceg").fetchall()
    sql = {r[0]: r[1:] for r in rows}
    points = con.execute(
        "SELECT m.training_compute_flop, p.score FROM baseline_points p JOIN models m ON m.id = p.model_id "
        "WHERE p.baseline_id = 'toy-toy-bench-0shot' ORDER BY p.position"
    ).fetchall()
    con.close()
    py = estimate(points, 1e21, 45.0, chance=25.0, ceiling=100.0)
    assert py.meaningful
    assert all(
        close(a, b)
        for a, b in zip(sql["toy-prompting/toy-1b-toy-bench"][:3], (py.ceg, py.ceg_low, py.ceg_high), strict=True)
    )
    assert close(py.ceg, 10**1.5)  # the fixture family is exactly s = 10·log10(C) − 180
    cli = json.loads(invoke(["ceg", "--format", "json"], built).stdout)
    for row in cli:
        assert close(row["ceg"], sql[row["evaluation_id"]][3])


POS = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)


@pytest.fixture(scope="module")
def macros(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    from conftest import GOOD

    out = tmp_path_factory.mktemp("routes") / "dist"
    assert build(GOOD / "records", out).ok
    return duckdb.connect(str(out / "ptedb.duckdb"), read_only=True)


@settings(max_examples=200, deadline=None)
@example(c=1e18, g=1.0, f=5e-324, m=2.0, q=0.0, i=None)  # equal up front only within rounding: 0, not NULL
@given(
    c=st.floats(min_value=1e18, max_value=1e27),
    g=POS,
    f=st.floats(min_value=0, max_value=0.5),
    m=POS,
    q=st.floats(min_value=0, max_value=1e15),
    i=st.one_of(st.none(), st.floats(min_value=1e6, max_value=1e15)),
)
def test_sql_macros_match_python(
    macros: duckdb.DuckDBPyConnection, c: float, g: float, f: float, m: float, q: float, i: float | None
) -> None:
    life = tradeoff.lifecycle(c, g, one_time_fraction=f, inference_multiplier=m, inferences=q, inference_compute=i)
    enh, big, be, saved, spent = macros.execute(
        "SELECT lifecycle_enhanced($c, $f, $m, $q, inference_compute := $i), "
        "lifecycle_scaled($c, $g, $q, inference_compute := $i), "
        "break_even_inferences($c, $g, $f, $m, inference_compute := $i), "
        "training_oom_saved($g), inference_oom_spent($m)",
        {"c": c, "g": g, "f": f, "m": m, "q": q, "i": i},
    ).fetchone()
    assert close(enh, life.enhance_cost)
    assert close(big, life.train_bigger_cost)
    # a break-even is a count of inferences: below a millionth of one, 0 and 8e-31 are the same answer
    if be is None or life.break_even_inferences is None:
        assert be is life.break_even_inferences
    else:
        assert math.isclose(be, life.break_even_inferences, rel_tol=REL, abs_tol=1e-6)
    oom = tradeoff.oom_tradeoff(g, m)
    assert math.isclose(saved, oom.training_oom_saved, rel_tol=REL, abs_tol=1e-15)
    assert math.isclose(spent, oom.inference_oom_spent, rel_tol=REL, abs_tol=1e-15)


def test_tradeoff_cli_matches_python(built: Path) -> None:
    result = invoke(
        [
            "tradeoff",
            "--ceg",
            "10",
            "--training-compute",
            "3e23",
            "--multiplier",
            "40",
            "--inferences",
            "1e9",
            "--one-time-fraction",
            "0.001",
            "--format",
            "json",
        ],
        built,
    )
    assert result.exit_code == 0, result.output
    got = {r["quantity"]: r["value"] for r in json.loads(result.stdout)}
    life = tradeoff.lifecycle(3e23, 10, one_time_fraction=0.001, inference_multiplier=40, inferences=1e9)
    assert close(got["enhance_cost_flop"], life.enhance_cost)
    assert close(got["train_bigger_cost_flop"], life.train_bigger_cost)
    assert close(got["break_even_inferences"], life.break_even_inferences)
    assert got["cheaper"] == life.cheaper


def test_tradeoff_cli_from_an_evaluation(built: Path) -> None:
    result = invoke(["tradeoff", "--evaluation", "toy-prompting/toy-1b-toy-bench", "--format", "json"], built)
    got = {r["quantity"]: r["value"] for r in json.loads(result.stdout)}
    assert close(got["training_oom_saved"], 1.5)
    assert close(got["inference_oom_spent"], math.log10(2.0))


def test_tradeoff_cli_input_errors(built: Path) -> None:
    bad = invoke(["tradeoff", "--ceg", "-1", "--training-compute", "1e23"], built)
    assert bad.exit_code == 2 and "ceg must be positive" in bad.stderr
    missing = invoke(["tradeoff", "--ceg", "3"], built)
    assert missing.exit_code == 2 and "--training-compute" in missing.stderr
    unknown = invoke(["tradeoff", "--evaluation", "nope/nope"], built)
    assert unknown.exit_code == 2 and "no evaluation 'nope/nope'" in unknown.stderr
    no_ceg = invoke(["tradeoff", "--evaluation", "toy-prompting/toy-10b-toy-bench"], built)
    assert no_ceg.exit_code == 1 and "has no CEG estimate" in no_ceg.stderr
