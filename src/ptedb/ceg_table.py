"""The `ceg` table: ptedb's headline CEG for every evaluation, or the reason there is none.

Every evaluation gets a row, so that a query over `ceg` never silently drops the evaluations that lack
a baseline or a compute figure: their `ceg_kind` is `none` and `reason` says why. The headline rules
live in `ptedb.headline`; this module gathers what they read from the records — every score's noise,
each family's curve, and the cross-family reference curves — and the estimates kept for the record.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from ptedb.schema.models import Baseline, Benchmark, CegRow, Enhancement, Evaluation, Model
from ptedb.validation.dataset import Dataset

from .ceg import estimate
from .headline import Curve, CurvePoint, headline, noise_gap, standard_error

DEFAULT_METHOD = "interpolate"
CEG_COLUMNS = tuple(CegRow.model_fields)
"""The keys of a row, in the order of the `ceg` table's columns."""

YEAR_WINDOW = 2
"""A cross-family curve takes models described within this many years of the base model, so that it
does not fold years of algorithmic progress into the CEG."""


def _compute(model: Model | None) -> float | None:
    return model.training_compute.flop if model and model.training_compute else None


def _reported(ev: Evaluation) -> float | None:
    rc = ev.reported_ceg
    if rc is None:
        return None
    return rc.value if rc.value is not None else rc.low if rc.low is not None else rc.high


# --- comparable settings -------------------------------------------------------------------------

_SHOTS = re.compile(r"\b(\d+)[- ]?shots?\b|\b(\d+) (?:in-context )?exemplars\b")
_NAMED_PROMPTS = (
    ("exemplars of wei et al", "wei-2022"),
    ("exemplars written by wei et al", "wei-2022"),
    ("prompt of lewkowycz", "lewkowycz-2022"),
)
_COT = re.compile(r"chain[- ]of[- ]thought|\bcot\b")
_NOT_PRETRAINED = re.compile(
    r"(?<!un-)(?<!un)fine-?tun|\bsft\b|checkpoint|\bdpo\b|instruct|chat template|rlhf|majority vote"
    r"|maj1@(?!1\b)\d+|pass@(?!1\b)|samples per|best-of"
)


_ENHANCED_CLAUSE = re.compile(r"(?<![\w-])enhanced\b[^;]*")
"""From the word 'enhanced' (not 'un-enhanced') to the end of its clause (the next semicolon)."""


@functools.lru_cache(maxsize=4096)
def setting_key(text: str) -> tuple[str, bool] | None:
    """(prompt, chain of thought) of a pre-trained model's evaluation setting, or None when the text
    names neither a number of shots nor a known exemplar set, or describes a post-trained model or
    several samples: only settings that agree on both are pooled into one cross-family curve.

    An evaluation's setting often describes both conditions ("base: 5-shot; enhanced: zero-shot with long
    CoT"); the reference curve stands for the base condition, so the clauses about the enhanced one are
    left out before reading it."""
    t = _ENHANCED_CLAUSE.sub("", text.lower())
    if _NOT_PRETRAINED.search(t):
        return None
    m = _SHOTS.search(t)
    prompt = next((name for phrase, name in _NAMED_PROMPTS if phrase in t), None)
    if prompt is None and m:
        prompt = f"{m.group(1) or m.group(2)}-shot"
    if prompt is None and "zero-shot" in t:
        prompt = "0-shot"
    if prompt is None:
        return None
    return prompt, bool(_COT.search(t))


# --- what the headlines read ---------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    """How to read a benchmark's scores: orientation, range, chance and test-set size."""

    sign: float
    lowest: float
    highest: float
    chance: float | None
    unit: str
    n_items: int | None

    @classmethod
    def of(cls, b: Benchmark) -> Scale:
        return cls(
            1.0 if b.higher_is_better else -1.0,
            b.min,
            b.max,
            b.chance,
            b.unit,
            b.n_items.value if b.n_items else None,
        )

    def se(self, score: float, n_items: int | None = None, reported: float | None = None) -> float | None:
        return standard_error(
            score,
            unit=self.unit,
            lowest=self.lowest,
            highest=self.highest,
            n_items=n_items or self.n_items,
            reported=reported,
        )


@dataclass
class Inputs:
    """What the rows read from the dataset, gathered once per build."""

    method: str
    models: dict[str, Model]
    compute: dict[str, float | None]
    year: dict[str, int | None]
    scales: dict[str, Scale]
    baselines: dict[str, Baseline]
    pools: dict[tuple[str, tuple[str, bool]], dict[str, list[float]]]
    """(benchmark, setting key) → model id → its scores in every baseline of that key."""
    family_curves: dict[str, tuple[Curve, list[str]]] = field(default_factory=dict)

    @classmethod
    def of(cls, ds: Dataset, method: str = DEFAULT_METHOD) -> Inputs:
        models: dict[str, Model] = ds.of("models")
        years = {sid: s.year for sid, s in ds.of("sources").items()}

        def year(m: Model) -> int | None:
            if m.release_date is not None:
                return m.release_date.year
            ref = m.source or (m.training_compute.source if m.training_compute else None)
            return years.get(ref.ref) if ref else None

        pools: dict[tuple[str, tuple[str, bool]], dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        baselines: dict[str, Baseline] = ds.of("baselines")
        for bid in sorted(baselines):
            b = baselines[bid]
            key = setting_key(b.setting)
            if key is not None:
                for p in b.points:
                    pools[(b.benchmark, key)][p.model].append(p.score)
        return cls(
            method=method,
            models=models,
            compute={mid: _compute(m) for mid, m in models.items()},
            year={mid: year(m) for mid, m in models.items()},
            scales={bid: Scale.of(b) for bid, b in ds.of("benchmarks").items()},
            baselines=baselines,
            pools=pools,
        )

    def family_curve(self, baseline: Baseline, scale: Scale) -> tuple[Curve, list[str]]:
        """The baseline's curve (made once per build: its fit and resampled draws are shared by every
        evaluation read on it) and the models left out for want of compute."""
        if baseline.id not in self.family_curves:
            self.family_curves[baseline.id] = self._family_curve(baseline, scale)
        return self.family_curves[baseline.id]

    def _family_curve(self, baseline: Baseline, scale: Scale) -> tuple[Curve, list[str]]:
        points, missing = [], []
        for p in baseline.points:
            c = self.compute.get(p.model)
            if c is None:
                missing.append(p.model)
                continue
            points.append(CurvePoint(p.model, baseline.family, c, scale.sign * p.score, scale.se(p.score)))
        return Curve("family", points, seed=_seed(baseline.id), noise_gap=noise_gap(scale.unit)), missing

    def cross_curve(self, benchmark: str, key: tuple[str, bool], ev: Evaluation, scale: Scale) -> Curve | None:
        """Every pre-trained model with known compute on the benchmark and setting, described within
        YEAR_WINDOW years of the base model, and the base model itself at its base score."""
        base = self.models.get(ev.model)
        base_year = self.year.get(ev.model)
        if base is None or base_year is None:
            return None
        points = [
            CurvePoint(
                ev.model,
                base.family,
                self.compute[ev.model] or 0.0,
                scale.sign * ev.base_score,
                scale.se(ev.base_score, _n(ev), _reported_se(ev, "base")),
            )
        ]
        for mid, scores in sorted(self.pools.get((benchmark, key), {}).items()):
            c, y, m = self.compute.get(mid), self.year.get(mid), self.models.get(mid)
            if mid == ev.model or c is None or y is None or m is None or abs(y - base_year) > YEAR_WINDOW:
                continue
            if m.post_trained_from is not None:  # a reference curve is of pre-trained models only
                continue
            s = sum(scores) / len(scores)
            se = scale.se(s)
            if se is None:
                continue
            points.append(CurvePoint(mid, m.family, c, scale.sign * s, se / math.sqrt(len(scores))))
        families = {p.family for p in points}
        if len(points) < 4 or len(families) < 2:
            return None
        return Curve("cross-family", points)


def _n(ev: Evaluation) -> int | None:
    return ev.uncertainty.n_samples if ev.uncertainty else None


def _reported_se(ev: Evaluation, which: str) -> float | None:
    u = ev.uncertainty
    if u is None:
        return None
    return u.base_stderr if which == "base" else u.enhanced_stderr


def _seed(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")


def row_of(inputs: Inputs, enhancement: Enhancement, ev: Evaluation) -> dict[str, Any]:
    """One `ceg` row. Pure: the same inputs give the same row."""
    evaluation_id = f"{enhancement.id}/{ev.id}"
    base_compute = inputs.compute.get(ev.model)
    row: dict[str, Any] = dict.fromkeys(CEG_COLUMNS)
    row.update(
        evaluation_id=evaluation_id,
        enhancement_id=enhancement.id,
        category=enhancement.category,
        benchmark_id=ev.benchmark,
        model_id=ev.model,
        baseline_id=ev.baseline,
        base_compute_flop=base_compute,
        ceg_kind="none",
        method=inputs.method,
        extrapolated=False,
        meaningful=False,
        reported_ceg=_reported(ev),
    )
    if base_compute is None:
        row["reason"] = f"the base model '{ev.model}' has no training compute on record"
        return row
    scale = inputs.scales[ev.benchmark]
    notes: list[str] = []
    curves: list[Curve] = []
    baseline = inputs.baselines.get(ev.baseline) if ev.baseline else None
    if baseline is not None:
        family, missing = inputs.family_curve(baseline, scale)
        if missing:
            notes.append(f"curve points without training compute left out: {', '.join(missing)}")
        if len(family.points) >= 2:
            curves.append(family)
            _interpolated(row, inputs, family, base_compute, ev.enhanced_score, scale)
        else:
            notes.append(f"baseline '{baseline.id}' has fewer than two points with training compute")
    else:
        notes.append("no family curve: the source reports no un-enhanced scaling curve for this evaluation")
    key = setting_key(baseline.setting if baseline is not None else ev.setting)
    cross = inputs.cross_curve(ev.benchmark, key, ev, scale) if key is not None else None
    if cross is not None:
        curves.append(cross)
    if not curves:
        row["reason"] = "; ".join([*notes, "no cross-family curve for this benchmark and setting"])
        return row
    model = inputs.models[ev.model]
    h = headline(
        curves,
        baseline.family if baseline is not None and curves[0].kind == "family" else model.family,
        base_compute,
        scale.sign * ev.base_score,
        scale.sign * ev.enhanced_score,
        scale.se(ev.base_score, _n(ev), _reported_se(ev, "base")),
        scale.se(ev.enhanced_score, _n(ev), _reported_se(ev, "enhanced")),
        scale.sign * scale.chance if scale.chance is not None else None,
        _seed(evaluation_id),  # every row's interval is reproducible on its own, whatever else the build holds
        noise_gap(scale.unit),
    )
    row.update(
        ceg=h.value,
        ceg_kind=h.kind,
        ceg_p05=h.p05,
        ceg_p95=h.p95,
        curve=h.curve,
        lower_bound=h.lower_bound,
        upper_bound=h.upper_bound,
        ceg_line=h.line,
        meaningful=h.kind != "none",
    )
    reason = "; ".join(r for r in [h.reason, *notes] if r)
    row["reason"] = reason or None
    return row


def _interpolated(
    row: dict[str, Any], inputs: Inputs, family: Curve, base_compute: float, enhanced: float, scale: Scale
) -> None:
    """The estimate before headlines (`ptedb.ceg.estimate`), kept for the record."""
    pts = [(p.compute, scale.sign * p.score) for p in family.points]
    higher = scale.sign > 0
    est = estimate(
        pts,
        base_compute,
        enhanced,
        higher_is_better=higher,
        method=inputs.method,
        chance=scale.chance,
        ceiling=scale.highest if higher else scale.lowest,
    )
    row.update(
        ceg_interpolated=est.ceg,
        equivalent_compute_flop=est.equivalent_compute,
        ceg_low=est.ceg_low,
        ceg_high=est.ceg_high,
        extrapolated=bool(est.extrapolated),
        extrapolation_oom=est.extrapolation_oom,
    )


def ceg_rows(ds: Dataset, *, method: str = DEFAULT_METHOD) -> list[dict[str, Any]]:
    """One row per evaluation, in record order."""
    inputs = Inputs.of(ds, method)
    return [row_of(inputs, e, ev) for e in ds.of("enhancements").values() for ev in e.evaluations]
