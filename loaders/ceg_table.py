"""The `ceg` table: ptedb's own estimate for every evaluation, or the reason there is none.

Every evaluation gets a row, so that a query over `ceg` never silently drops the evaluations that lack
a baseline or a compute figure: those rows carry `meaningful = false` and a reason in words.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ptedb.schema.models import Baseline, Benchmark, Enhancement, Evaluation, Model

from ptedb.ceg import estimate

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


class _Rows:
    """`estimate_row` for one dataset and method. What every row looks up — the record folders, and
    each baseline's curve points (asked once per evaluation; the answer is per baseline) — is looked up
    once here: at 20,000 evaluations the repeated lookups were a tenth of the table's cost."""

    def __init__(self, ds: Dataset, method: str) -> None:
        self.method = method
        self.models: dict[str, Model] = ds.of("models")
        self.benchmarks: dict[str, Benchmark] = ds.of("benchmarks")
        self.baselines: dict[str, Baseline] = ds.of("baselines")
        self.curves: dict[str, tuple[tuple[tuple[float, float], ...], list[str]]] = {}

    def _curve_points(self, baseline: Baseline) -> tuple[tuple[tuple[float, float], ...], list[str]]:
        found = self.curves.get(baseline.id)
        if found is None:
            points, missing = curve_points(baseline, self.models)
            found = self.curves[baseline.id] = (tuple(points), missing)
        return found

    def row(self, enhancement: Enhancement, ev: Evaluation) -> dict[str, Any]:
        base_compute = _compute(self.models.get(ev.model))
        row: dict[str, Any] = {
            "evaluation_id": f"{enhancement.id}/{ev.id}",
            "enhancement_id": enhancement.id,
            "category": enhancement.category,
            "benchmark_id": ev.benchmark,
            "model_id": ev.model,
            "baseline_id": ev.baseline,
            "base_compute_flop": base_compute,
            "equivalent_compute_flop": None,
            "ceg": None,
            "ceg_low": None,
            "ceg_high": None,
            "method": self.method,
            "extrapolated": False,
            "extrapolation_oom": None,
            "lower_bound": None,
            "meaningful": False,
            "reason": None,
            "reported_ceg": _reported(ev),
        }
        baseline = self.baselines.get(ev.baseline) if ev.baseline else None
        if baseline is None:
            row["reason"] = "no baseline: the source reports no un-enhanced scaling curve for this evaluation"
            return row
        if base_compute is None:
            row["reason"] = f"the base model '{ev.model}' has no training compute on record"
            return row
        points, missing = self._curve_points(baseline)
        if len(points) < 2:
            row["reason"] = f"baseline '{baseline.id}' has fewer than two points with training compute" + (
                f" (no compute for: {', '.join(missing)})" if missing else ""
            )
            return row
        bench = self.benchmarks.get(ev.benchmark)
        higher = bench.higher_is_better if bench else True
        est = estimate(
            points,
            base_compute,
            ev.enhanced_score,
            higher_is_better=higher,
            method=self.method,
            chance=bench.chance if bench else None,
            ceiling=(bench.max if higher else bench.min) if bench else None,
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
    return _Rows(ds, method).row(enhancement, ev)


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
    pairs = [(e, ev) for e in ds.of("enhancements").values() for ev in e.evaluations]
    rows = _Rows(ds, method)
    if jobs <= 1 or len(pairs) < PARALLEL_MIN_EVALUATIONS:
        if meanwhile is not None:
            meanwhile()
        return [rows.row(e, ev) for e, ev in pairs]
    # Each process fits the families it meets, so hand out the evaluations grouped by baseline: a
    # family is then fitted by one process, not by every one. The rows are put back in record order.
    order = sorted(range(len(pairs)), key=lambda i: pairs[i][1].baseline or "")
    computed = run_forked(lambda i: rows.row(*pairs[i]), order, jobs, chunk=256, meanwhile=meanwhile)
    in_order: list[dict[str, Any]] = [{}] * len(pairs)
    for i, row in zip(order, computed, strict=True):
        in_order[i] = row
    return in_order
