"""The `ceg` table: ptedb's own estimate for every evaluation, or the reason there is none.

Every evaluation gets a row, so that a query over `ceg` never silently drops the evaluations that lack
a baseline or a compute figure: those rows carry `meaningful = false` and a reason in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ptedb.schema.models import Baseline, CegRow, Enhancement, Evaluation, Model
from ptedb.validation.dataset import Dataset

from .ceg import estimate

DEFAULT_METHOD = "interpolate"
CEG_COLUMNS = tuple(CegRow.model_fields)
"""The keys of a row, in the order of the `ceg` table's columns."""


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


Case = tuple[str, str, str, str, str, str | None, float, float | None]
"""One evaluation as the estimate needs it: evaluation id, enhancement id, category, benchmark id,
model id, baseline id, enhanced score, reported CEG."""


@dataclass(frozen=True)
class Inputs:
    """What the estimates read from the dataset, looked up once per build rather than once per row."""

    method: str
    compute: dict[str, float | None]
    """Training compute (FLOP) by model id."""
    curves: dict[str, tuple[tuple[tuple[float, float], ...], tuple[str, ...]]]
    """Baseline id → its points with training compute, and the models without."""
    benchmarks: dict[str, tuple[bool, float | None, float, float]]
    """Benchmark id → higher_is_better, chance, min, max."""

    @classmethod
    def of(cls, ds: Dataset, method: str) -> Inputs:
        models: dict[str, Model] = ds.of("models")
        curves = {}
        for bid, baseline in ds.of("baselines").items():
            points, missing = curve_points(baseline, models)
            curves[bid] = (tuple(points), tuple(missing))
        return cls(
            method=method,
            compute={mid: _compute(m) for mid, m in models.items()},
            curves=curves,
            benchmarks={bid: (b.higher_is_better, b.chance, b.min, b.max) for bid, b in ds.of("benchmarks").items()},
        )


def case(enhancement: Enhancement, ev: Evaluation) -> Case:
    return (
        f"{enhancement.id}/{ev.id}",
        enhancement.id,
        enhancement.category,
        ev.benchmark,
        ev.model,
        ev.baseline,
        ev.enhanced_score,
        _reported(ev),
    )


def row_of(inputs: Inputs, c: Case) -> dict[str, Any]:
    """One `ceg` row. Pure: the same inputs give the same row, in any process."""
    evaluation_id, enhancement_id, category, benchmark, model, baseline_id, enhanced_score, reported = c
    base_compute = inputs.compute.get(model)
    row: dict[str, Any] = dict.fromkeys(CEG_COLUMNS)
    row.update(
        evaluation_id=evaluation_id,
        enhancement_id=enhancement_id,
        category=category,
        benchmark_id=benchmark,
        model_id=model,
        baseline_id=baseline_id,
        base_compute_flop=base_compute,
        method=inputs.method,
        extrapolated=False,
        meaningful=False,
        reported_ceg=reported,
    )
    curve = inputs.curves.get(baseline_id) if baseline_id else None
    if curve is None:
        row["reason"] = "no baseline: the source reports no un-enhanced scaling curve for this evaluation"
        return row
    if base_compute is None:
        row["reason"] = f"the base model '{model}' has no training compute on record"
        return row
    points, missing = curve
    if len(points) < 2:
        row["reason"] = f"baseline '{baseline_id}' has fewer than two points with training compute" + (
            f" (no compute for: {', '.join(missing)})" if missing else ""
        )
        return row
    bench = inputs.benchmarks.get(benchmark)
    higher, chance, lowest, highest = bench if bench else (True, None, None, None)
    est = estimate(
        points,
        base_compute,
        enhanced_score,
        higher_is_better=higher,
        method=inputs.method,
        chance=chance,
        ceiling=(highest if higher else lowest) if bench else None,
    )
    row["equivalent_compute_flop"] = est.equivalent_compute
    row["ceg"] = est.ceg
    row["ceg_low"] = est.ceg_low
    row["ceg_high"] = est.ceg_high
    row["extrapolated"] = bool(est.extrapolated)
    row["extrapolation_oom"] = est.extrapolation_oom
    row["lower_bound"] = est.lower_bound
    row["meaningful"] = bool(est.meaningful)
    row["reason"] = est.reason
    if missing and est.reason is None:
        row["reason"] = f"points without training compute left out: {', '.join(missing)}"
    return row


def estimate_row(
    enhancement: Enhancement, ev: Evaluation, ds: Dataset, *, method: str = DEFAULT_METHOD
) -> dict[str, Any]:
    """One `ceg` row. Pure: reads the dataset, never changes it."""
    return row_of(Inputs.of(ds, method), case(enhancement, ev))


def ceg_rows(ds: Dataset, *, method: str = DEFAULT_METHOD) -> list[dict[str, Any]]:
    """One row per evaluation, in record order."""
    inputs = Inputs.of(ds, method)
    return [row_of(inputs, case(e, ev)) for e in ds.of("enhancements").values() for ev in e.evaluations]
