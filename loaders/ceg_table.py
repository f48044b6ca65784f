"""The `ceg` table: ptedb's own estimate for every evaluation, or the reason there is none.

Every evaluation gets a row, so that a query over `ceg` never silently drops the evaluations that lack
a baseline or a compute figure: those rows carry `meaningful = false` and a reason in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ptedb.schema.models import Baseline, Benchmark, Enhancement, Evaluation, Model

from .records import Dataset
from .workers import run_forked

DEFAULT_METHOD = "interpolate"


def _compute(model: Model | None) -> float | None:
    return model.training_compute.flop if model and model.training_compute else None


def _reported(ev: Evaluation) -> float | None:
    rc = ev.reported_ceg
    if rc is None:
        return None
    return rc.value if rc.value is not None else rc.low if rc.low is not None else rc.high


def curve_points(baseline: Baseline, models: dict[str, Model]) -> tuple[list[tuple[float, float]], list[str]]:
    """(compute, score) of every baseline point whose model has a compute figure, and the ids without."""
    points, missing = [], []
    for p in baseline.points:
        c = _compute(models.get(p.model))
        if c is None:
            missing.append(p.model)
        else:
            points.append((c, p.score))
    return points, missing


_CURVES: dict[str, tuple[tuple[tuple[float, float], ...], list[str]]] | None = None
"""curve_points by baseline while `ceg_rows` runs (it asks once per evaluation; the answer is per
baseline); None otherwise, so that no answer outlives the dataset it came from."""


def _curve_points(baseline: Baseline, ds: Dataset) -> tuple[tuple[tuple[float, float], ...], list[str]]:
    if _CURVES is None:
        points, missing = curve_points(baseline, ds.of("models"))
        return tuple(points), missing
    found = _CURVES.get(baseline.id)
    if found is None:
        points, missing = curve_points(baseline, ds.of("models"))
        found = _CURVES[baseline.id] = (tuple(points), missing)
    return found


def estimate_row(
    enhancement: Enhancement, ev: Evaluation, ds: Dataset, *, method: str = DEFAULT_METHOD
) -> dict[str, Any]:
    """One `ceg` row. Pure: reads the dataset, never changes it."""
    from ptedb.ceg import estimate

    models: dict[str, Model] = ds.of("models")
    bench: Benchmark | None = ds.of("benchmarks").get(ev.benchmark)
    row: dict[str, Any] = {
        "evaluation_id": f"{enhancement.id}/{ev.id}",
        "enhancement_id": enhancement.id,
        "category": enhancement.category,
        "benchmark_id": ev.benchmark,
        "model_id": ev.model,
        "baseline_id": ev.baseline,
        "base_compute_flop": _compute(models.get(ev.model)),
        "equivalent_compute_flop": None,
        "ceg": None,
        "ceg_low": None,
        "ceg_high": None,
        "method": method,
        "extrapolated": False,
        "extrapolation_oom": None,
        "lower_bound": None,
        "meaningful": False,
        "reason": None,
        "reported_ceg": _reported(ev),
    }
    baseline: Baseline | None = ds.of("baselines").get(ev.baseline) if ev.baseline else None
    if baseline is None:
        row["reason"] = "no baseline: the source reports no un-enhanced scaling curve for this evaluation"
        return row
    if row["base_compute_flop"] is None:
        row["reason"] = f"the base model '{ev.model}' has no training compute on record"
        return row
    points, missing = _curve_points(baseline, ds)
    if len(points) < 2:
        row["reason"] = f"baseline '{baseline.id}' has fewer than two points with training compute" + (
            f" (no compute for: {', '.join(missing)})" if missing else ""
        )
        return row
    higher = bench.higher_is_better if bench else True
    chance = bench.chance if bench else None
    ceiling = (bench.max if higher else bench.min) if bench else None
    est = estimate(
        points,
        row["base_compute_flop"],
        ev.enhanced_score,
        higher_is_better=higher,
        method=method,
        chance=chance,
        ceiling=ceiling,
    )
    row.update(
        equivalent_compute_flop=est.equivalent_compute,
        ceg=est.ceg,
        ceg_low=est.ceg_low,
        ceg_high=est.ceg_high,
        extrapolated=bool(est.extrapolated),
        extrapolation_oom=est.extrapolation_oom,
        lower_bound=est.lower_bound,
        meaningful=bool(est.meaningful),
        reason=est.reason,
    )
    if missing and row["reason"] is None:
        row["reason"] = f"points without training compute left out: {', '.join(missing)}"
    return row


PARALLEL_MIN_EVALUATIONS = 2_000


def ceg_rows(
    ds: Dataset,
    *,
    method: str = DEFAULT_METHOD,
    jobs: int = 1,
    meanwhile: Callable[[], object] | None = None,
) -> list[dict[str, Any]]:
    """One row per evaluation, in record order. With `jobs` > 1 and many evaluations, the rows are
    computed by this process and forked workers together (the estimates are pure, so the rows are the
    same either way), and `meanwhile` runs here while the workers start."""
    global _CURVES
    pairs = [(e, ev) for e in ds.of("enhancements").values() for ev in e.evaluations]
    _CURVES = {}
    try:
        if jobs <= 1 or len(pairs) < PARALLEL_MIN_EVALUATIONS:
            if meanwhile is not None:
                meanwhile()
            return [estimate_row(e, ev, ds, method=method) for e, ev in pairs]
        # Each process fits the families it meets, so hand out the evaluations grouped by baseline: a
        # family is then fitted by one process, not by every one. The rows are put back in record order.
        order = sorted(range(len(pairs)), key=lambda i: pairs[i][1].baseline or "")
        rows = run_forked(
            lambda i: estimate_row(*pairs[i], ds, method=method), order, jobs, chunk=256, meanwhile=meanwhile
        )
    finally:
        _CURVES = None
    in_order: list[dict[str, Any]] = [{}] * len(pairs)
    for i, row in zip(order, rows, strict=True):
        in_order[i] = row
    return in_order
