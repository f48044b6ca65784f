"""The headline CEG: points only where a curve was observed and rises beyond its noise, bounds otherwise,
the right direction always, and intervals that hold their point."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest
from conftest import invoke
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ptedb.headline import Curve, CurvePoint, Headline, headline, isotonic, standard_error


def se(score: float, n: int = 1000) -> float:
    return standard_error(score, unit="percent", lowest=0, highest=100, n_items=n)  # type: ignore[return-value]


def family(scores: list[float], computes: list[float] | None = None, n: int | None = 1000) -> Curve:
    computes = computes or [10.0 ** (21 + i) for i in range(len(scores))]
    return Curve(
        "family",
        [
            CurvePoint(f"m{i}", "fam", c, s, se(s, n) if n else None)
            for i, (c, s) in enumerate(zip(computes, scores, strict=True))
        ],
        seed=1,
    )


def read(curve: Curve, base_compute: float, base: float, enhanced: float, n: int | None = 1000) -> Headline:
    noise = (lambda s: se(s, n)) if n else (lambda s: None)
    return headline([curve], "fam", base_compute, base, enhanced, noise(base), noise(enhanced), 0.0, 7)


def test_standard_error_is_binomial_and_never_zero() -> None:
    assert se(50.0, 100) == pytest.approx(5.0)
    assert se(0.0, 100) > 0  # a score of 0% is not certainty
    assert standard_error(3.2, unit="perplexity", lowest=0, highest=1e9, n_items=None) == 0.0
    assert standard_error(50.0, unit="percent", lowest=0, highest=100, n_items=None) is None
    assert standard_error(50.0, unit="percent", lowest=0, highest=100, n_items=None, reported=1.5) == 1.5


def test_isotonic_pools_a_dip() -> None:
    assert isotonic([1, 2, 3], [5.2, 4.3, 9.0]) == pytest.approx([4.75, 4.75, 9.0])


def test_a_point_on_a_clean_curve_with_an_interval_around_it() -> None:
    h = read(family([30, 40, 50]), 1e21, 30.0, 45.0)
    assert h.kind == "point" and h.curve == "family"
    assert h.value == pytest.approx(10**1.5)
    assert h.p05 is not None and h.p95 is not None and h.p05 < h.value < h.p95


def test_the_same_inputs_give_the_same_interval() -> None:
    a, b = read(family([30, 40, 50]), 1e21, 30.0, 45.0), read(family([30, 40, 50]), 1e21, 30.0, 45.0)
    assert (a.p05, a.p95) == (b.p05, b.p95)


def test_noise_is_not_scaling() -> None:
    """The issue's examples: coin flip 47.3 / 43.9 / 49.3 and RTE 58.5 / 68.2 / 61.4 are no curves."""
    coin = read(family([47.3, 43.9, 49.3], n=500), 1e21, 47.3, 60.0, n=500)
    rte = read(family([58.5, 68.2, 61.4], n=277), 1e21, 58.5, 70.0, n=277)
    for h in (coin, rte):
        assert h.kind != "point"
        assert h.reason and "no scaling signal" in h.reason


def test_a_long_extrapolation_is_a_bound_not_a_point() -> None:
    h = read(family([30, 40, 50]), 1e21, 30.0, 90.0)  # 4 OOM beyond the largest model
    assert h.kind == "lower_bound"
    assert h.value == pytest.approx(100.0)  # beats the largest model, 100x the base's compute
    assert h.line is not None and h.line > 1e5  # the straight line is kept, for the record only
    assert "orders of magnitude outside" in (h.reason or "")


def test_a_score_near_a_larger_model_is_no_proof() -> None:
    """Beating a bigger model by less than the noise proves nothing."""
    h = read(family([30, 40, 50], n=100), 1e21, 30.0, 52.0, n=100)  # 2 points above, SE about 5
    assert h.lower_bound is None or h.lower_bound < 100


def test_unknown_noise_claims_nothing() -> None:
    h = read(family([30, 40, 50], n=None), 1e21, 30.0, 45.0, n=None)
    assert h.kind == "none" and "test-set size" in (h.reason or "")


def test_a_falling_score_is_worth_at_most_the_base() -> None:
    """The issue's example: GPT-3 350M on MultiArith, 5.2 -> 4.3 on a curve that dips."""
    curve = family([3.3, 5.2, 4.3, 4.7, 8.0, 9.2], n=600)
    h = read(curve, 1e22, 5.2, 4.3, n=600)
    assert h.value is not None and h.value <= 1.0
    assert h.kind in ("point", "upper_bound")


scores = st.lists(st.floats(min_value=1, max_value=99), min_size=2, max_size=6)


@settings(max_examples=300, deadline=None)
@given(curve=scores, base_i=st.integers(0, 5), delta=st.floats(min_value=-30, max_value=30))
def test_direction_is_never_wrong(curve: list[float], base_i: int, delta: float) -> None:
    """On any curve shape: a lower enhanced score never gives a headline above 1, a higher one never a
    point or lower bound below 1 where the base is on the curve."""
    assume(base_i < len(curve))
    base = curve[base_i]
    enhanced = min(max(base + delta, 0.0), 100.0)
    h = read(family(curve), 10.0 ** (21 + base_i), base, enhanced)
    if enhanced < base and h.value is not None:
        assert h.value <= 1.0 + 1e-9
    if h.kind == "point" and h.p05 is not None:
        assert h.p05 <= h.p95  # type: ignore[operator]


@settings(max_examples=200, deadline=None)
@given(curve=scores, a=st.floats(min_value=1, max_value=99), b=st.floats(min_value=1, max_value=99))
def test_a_higher_score_never_gives_a_lower_point(curve: list[float], a: float, b: float) -> None:
    lo, hi = sorted((a, b))
    fam = family(curve)
    h_lo, h_hi = read(fam, 1e21, curve[0], lo), read(fam, 1e21, curve[0], hi)
    if h_lo.kind == "point" and h_hi.kind == "point":
        assert h_lo.value <= h_hi.value * (1 + 1e-9)  # type: ignore[operator]


def test_a_cross_family_curve_reads_a_base_whose_family_has_no_curve() -> None:
    """Two families rising 10 points per decade of compute, 5 points apart; the base model's family has
    only the base model itself, which the curve places by its own score."""
    pts = [CurvePoint(f"a{i}", "a", 10.0 ** (21 + i), 30.0 + 10 * i, se(30.0 + 10 * i)) for i in range(4)]
    pts += [CurvePoint(f"b{i}", "b", 10.0 ** (21 + i), 35.0 + 10 * i, se(35.0 + 10 * i)) for i in range(4)]
    base = CurvePoint("c0", "c", 10.0**22, 44.0, se(44.0))
    curve = Curve("cross-family", [*pts, base])
    h = headline([curve], "c", 1e22, 44.0, 54.0, se(44.0), se(54.0), 0.0, 3)
    assert h.kind == "point" and h.curve == "cross-family"
    assert math.log10(h.value) == pytest.approx(1.0, abs=0.05)  # +10 points is one decade here
    assert h.p05 < h.value < h.p95  # type: ignore[operator]


def test_a_flat_cross_family_pool_gives_no_point() -> None:
    pts = [CurvePoint(f"a{i}", "a", 10.0 ** (21 + i), 50.0 + (-1) ** i, se(50.0)) for i in range(4)]
    pts += [CurvePoint("c0", "c", 10.0**22, 50.0, se(50.0)), CurvePoint("b0", "b", 1e23, 49.0, se(49.0))]
    h = headline([Curve("cross-family", pts)], "c", 1e22, 50.0, 60.0, se(50.0), se(60.0), 0.0, 3)
    assert h.kind != "point"


def test_a_pooled_curve_is_not_read_for_a_family_it_does_not_describe() -> None:
    """A base family that barely scales (2 points per decade) beside families rising 10 per decade: reading
    its gain in the pooled slope would claim a compute it would never need, so no point is given."""
    pts = [CurvePoint(f"a{i}", "a", 10.0 ** (21 + i), 30.0 + 10 * i, se(30.0 + 10 * i)) for i in range(4)]
    pts += [CurvePoint(f"b{i}", "b", 10.0 ** (21 + i), 35.0 + 10 * i, se(35.0 + 10 * i)) for i in range(4)]
    flat = [CurvePoint(f"c{i}", "c", 10.0 ** (21 + i), 40.0 + 2 * i, se(40.0 + 2 * i)) for i in range(4)]
    curve = Curve("cross-family", [flat[1], *pts, flat[0], *flat[2:]])
    h = headline([curve], "c", 1e22, 42.0, 60.0, se(42.0), se(60.0), 0.0, 3)
    assert h.kind != "point" and "does not describe the family" in (h.reason or "")


def test_settings_pool_only_when_prompt_and_reasoning_agree() -> None:
    from ptedb.ceg_table import setting_key

    wei = setting_key("standard few-shot prompting, 8 exemplars of Wei et al. (AQuA: 4), greedy decoding")
    assert wei == ("wei-2022", False)
    # the same exemplar set, worded differently by another curator, pools with it
    assert setting_key("few-shot, 8 exemplars written by Wei et al. (AQuA: 4 exemplars), greedy decoding") == wei
    # a bare shot count is its own setting, and chain of thought is a different one
    assert setting_key("8-shot, greedy decoding") == ("8-shot", False)
    assert setting_key("few-shot chain-of-thought prompting with the exemplars of Wei et al.") == ("wei-2022", True)
    # post-trained models and several samples are never pooled into a reference curve
    assert setting_key("5-shot; base = majority vote over 8 samples; enhanced = verifier over 8 samples") is None
    assert setting_key("few-shot, no number and no named exemplars") is None
    # the key is the base condition's: what the enhanced condition adds (CoT, samples, tuning) is not read
    assert setting_key("MMLU; base: 5-shot, perplexity-based; enhanced: zero-shot with long CoT") == ("5-shot", False)
    assert setting_key("CoT exemplars of Wei et al.; base greedy; enhanced = majority vote over 40 paths") == (
        "wei-2022",
        True,
    )
    assert setting_key("5-shot; base = Llama 3 8B SFT; enhanced = the same after DPO") is None
    assert setting_key("un-enhanced models, 5-shot, greedy") == ("5-shot", False)


def test_unknown_noise_says_why_for_its_unit(project: Path) -> None:
    """A judge's score has a test-set size but no binomial error: the reason must not blame the size."""
    bench = project / "records" / "benchmarks" / "toy-bench.yaml"
    text = bench.read_text().replace("unit: percent", "unit: score")
    bench.write_text(text.replace("chance: 25\n", ""))

    assert invoke(["build"], project).exit_code == 0
    con = duckdb.connect(str(project / "dist" / "ptedb.duckdb"), read_only=True)
    reasons = [r for (r,) in con.sql("select reason from ceg where reason like '%noise is unknown%'").fetchall()]
    assert reasons
    assert all("'score' has no binomial standard error" in r for r in reasons)
    assert not any("test-set size" in r for r in reasons)
