"""Compute-equivalent gain (CEG): how much more pre-training compute matches a post-training enhancement.

For an un-enhanced model family on one benchmark and setting, with points (Cᵢ, sᵢ), we work in
x = log10 C, find the x* at which the family's curve reaches the enhanced score s*, and report
CEG = 10^(x* − log10 C_b) for the base model of compute C_b (Davidson, Denain, Villalobos & Bas 2023,
arXiv 2312.07413). The rules for the cases the paper leaves open are written down in DESIGN.md and on
the site's methodology page; this module is their single implementation.

Pure Python on purpose: every fit here has two parameters, so the maths needs only `math`, and
`import ptedb.ceg` stays instant for the CLI.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "METHODS",
    "CEGEstimate",
    "LinearFit",
    "LogisticFit",
    "MethodResult",
    "estimate",
    "fit_logistic",
    "fit_loglinear",
]

Method = Literal["interpolate", "loglinear", "logistic"]
METHODS: tuple[str, ...] = ("interpolate", "loglinear", "logistic")

# The logistic fit starts from a straight line through the logits of the normalised scores; scores at
# (or beyond) chance or the ceiling have infinite logits, so they are clipped this far inside (0, 1).
_LOGIT_CLIP = 0.01
_LM_MAX_ITER = 1000


# ---------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class LinearFit:
    """Least-squares line s = intercept + slope·x with x = log10(compute).

    Kept as its own object because the slope doubles as the test of whether scaling helps at all.
    """

    intercept: float
    slope: float
    n: int
    r_squared: float | None

    def x_at(self, score: float) -> float:
        """log10 compute at which the line reaches `score` (the slope must be non-zero)."""
        return (score - self.intercept) / self.slope


@dataclass(frozen=True)
class LogisticFit:
    """s = chance + (ceiling − chance)·σ(a + b·x), x = log10(compute), fitted by least squares on s.

    `x_mean` is stored because the fit is done in centred coordinates (x − x_mean), which keeps the
    normal equations well conditioned when x is about 20–26; `a` is converted back for the reader.
    """

    a: float
    b: float
    chance: float
    ceiling: float
    x_mean: float
    rmse: float
    iterations: int
    converged: bool

    def score_at(self, x: float) -> float:
        return self.chance + (self.ceiling - self.chance) * _sigmoid(self.a + self.b * x)


@dataclass(frozen=True)
class MethodResult:
    """What one method says, so a reader can see why the spread is what it is."""

    method: str
    ceg: float | None
    equivalent_compute: float | None
    extrapolated: bool
    extrapolation_oom: float | None
    meaningful: bool
    reason: str | None


@dataclass(frozen=True)
class CEGEstimate:
    """ptedb's CEG estimate for one evaluation, or the reason there is none.

    `ceg`, `equivalent_compute`, `extrapolated` and `extrapolation_oom` come from the requested
    `method`; `ceg_low`/`ceg_high` span every method that applies and gives a number; `lower_bound`
    needs no fit at all (it is read straight off the family) and is the figure to lead with when the
    point estimate is a long extrapolation. `by_method` holds each method's own answer.
    """

    ceg: float | None
    ceg_low: float | None
    ceg_high: float | None
    equivalent_compute: float | None
    method: str
    extrapolated: bool
    extrapolation_oom: float | None
    lower_bound: float | None
    meaningful: bool
    reason: str | None
    note: str | None = None
    slope_per_oom: float | None = None
    n_points: int = 0
    compute_range: tuple[float, float] | None = None
    by_method: Mapping[str, MethodResult] = field(default_factory=dict, compare=False, hash=False)

    def as_dict(self) -> dict[str, Any]:
        """Flat, JSON-ready fields (without `by_method`), for tables and `ptedb ceg --format json`."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "by_method"}
        if self.compute_range is not None:
            d["compute_range"] = list(self.compute_range)
        return d


# ---------------------------------------------------------------------------------------------- input


def finite_number(value: object, what: str) -> float:
    """A finite float, or a ValueError that names the argument (bools are refused: a YAML `yes`)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number, not a boolean ({value!r})")
    try:
        f = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number (got {value!r})") from None
    if not math.isfinite(f):
        raise ValueError(f"{what} must be finite (got {value!r})")
    return f


def _compute(value: object, what: str) -> float:
    c = finite_number(value, what)
    if c <= 0:
        raise ValueError(f"{what} must be a positive number of FLOP (got {value!r})")
    return c


def _points(points: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """Validated (compute, score) pairs, in input order."""
    if points is None:
        raise ValueError("points must be a sequence of (training_compute_flop, score) pairs, not None")
    out: list[tuple[float, float]] = []
    for i, p in enumerate(points):
        try:
            c, s = p
        except (TypeError, ValueError):
            raise ValueError(f"points[{i}] must be a (training_compute_flop, score) pair (got {p!r})") from None
        out.append((_compute(c, f"points[{i}] compute"), finite_number(s, f"points[{i}] score")))
    if not out:
        raise ValueError("points is empty: the un-enhanced family needs at least one (compute, score) point")
    return out


# ---------------------------------------------------------------------------------------------- fits


def _linear(xs: list[float], ss: list[float]) -> LinearFit | None:
    """Least squares; None when all x are equal (no line is determined).

    Scores are shifted by the first one before averaging so that a perfectly flat family gives a slope
    of exactly 0, not ±1e-17 from rounding (the sign of the slope decides whether CEG is meaningful).
    """
    n = len(xs)
    x0, s0 = xs[0], ss[0]
    dx = [x - x0 for x in xs]
    ds = [s - s0 for s in ss]
    mx = math.fsum(dx) / n
    ms = math.fsum(ds) / n
    sxx = math.fsum((a - mx) ** 2 for a in dx)
    if sxx <= 0:
        return None
    sxy = math.fsum((a - mx) * (b - ms) for a, b in zip(dx, ds, strict=True))
    syy = math.fsum((b - ms) ** 2 for b in ds)
    slope = sxy / sxx
    intercept = (s0 + ms) - slope * (x0 + mx)
    r2 = None if syy <= 0 else max(0.0, min(1.0, sxy * sxy / (sxx * syy)))
    return LinearFit(intercept=intercept, slope=slope, n=n, r_squared=r2)


def fit_loglinear(points: Iterable[tuple[float, float]]) -> LinearFit:
    """Least-squares s = a + b·log10(C) over (compute, score) points, scores as given (no re-orientation).

    Raises ValueError on invalid points or when every point has the same compute.
    """
    pts = _points(points)
    fit = _linear([math.log10(c) for c, _ in pts], [s for _, s in pts])
    if fit is None:
        raise ValueError("points need at least two different compute values to fit a line")
    return fit


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def _fit_logistic_oriented(xs: list[float], ss: list[float], chance: float, ceiling: float) -> LogisticFit:
    """The logistic fit, memoised: every evaluation against one baseline fits the same curve, and the
    fit is deterministic, so a build fits each baseline once instead of once per evaluation."""
    return _fit_logistic_cached(tuple(xs), tuple(ss), chance, ceiling)


@functools.lru_cache(maxsize=4096)
def _fit_logistic_cached(xs: tuple[float, ...], ss: tuple[float, ...], chance: float, ceiling: float) -> LogisticFit:
    """Levenberg–Marquardt on the normalised scores y = (s − chance)/(ceiling − chance).

    Least squares on y has the same minimiser as on s (a constant factor), and y keeps the numbers
    near 1. The start is the line through the clipped logits, so the fit is deterministic and, for data
    that really are logistic, starts close to the answer.
    """
    span = ceiling - chance
    n = len(xs)
    xm = math.fsum(xs) / n
    us = [x - xm for x in xs]
    ys = [(s - chance) / span for s in ss]
    zs = [_logit(min(max(y, _LOGIT_CLIP), 1.0 - _LOGIT_CLIP)) for y in ys]
    start = _linear(us, zs)
    if start is None:  # pragma: no cover - callers check for distinct compute first
        raise ValueError("the logistic fit needs at least two different compute values")
    a, b = start.intercept, start.slope  # intercept at u = 0

    def cost_of(a_: float, b_: float) -> float:
        return math.fsum((_sigmoid(a_ + b_ * u) - y) ** 2 for u, y in zip(us, ys, strict=True))

    cost = cost_of(a, b)
    lam = 1e-3
    converged = False
    it = 0
    for it in range(1, _LM_MAX_ITER + 1):  # noqa: B007 - `it` is reported
        g0 = g1 = h00 = h01 = h11 = 0.0
        for u, y in zip(us, ys, strict=True):
            p = _sigmoid(a + b * u)
            d = p * (1.0 - p)
            r = p - y
            g0 += d * r
            g1 += d * u * r
            h00 += d * d
            h01 += d * d * u
            h11 += d * d * u * u
        if max(abs(g0), abs(g1)) < 1e-16:
            converged = True
            break
        improved = False
        while lam < 1e16:
            m00 = h00 * (1.0 + lam) + lam * 1e-12
            m11 = h11 * (1.0 + lam) + lam * 1e-12
            det = m00 * m11 - h01 * h01
            if det > 0 and math.isfinite(det):
                da = -(m11 * g0 - h01 * g1) / det
                db = -(m00 * g1 - h01 * g0) / det
                new_cost = cost_of(a + da, b + db)
                if math.isfinite(new_cost) and new_cost < cost:
                    a, b = a + da, b + db
                    small_step = abs(da) <= 1e-13 * (1 + abs(a)) and abs(db) <= 1e-13 * (1 + abs(b))
                    small_gain = cost - new_cost <= 1e-15 * cost
                    cost = new_cost
                    lam = max(lam / 10.0, 1e-15)
                    improved = True
                    if small_step or small_gain:
                        converged = True
                    break
            lam *= 10.0
        if not improved:
            converged = True  # no step lowers the cost: a (local) minimum to rounding
            break
        if converged:
            break
    return LogisticFit(
        a=a - b * xm,
        b=b,
        chance=chance,
        ceiling=ceiling,
        x_mean=xm,
        rmse=math.sqrt(cost / n) * span,
        iterations=it,
        converged=converged,
    )


def fit_logistic(
    points: Iterable[tuple[float, float]], *, chance: float, ceiling: float, higher_is_better: bool = True
) -> LogisticFit:
    """Least-squares logistic in log10 compute between `chance` and `ceiling` (both in the metric's units).

    For a lower-is-better metric the returned fit is in the oriented (negated) scores, as used inside
    `estimate`; chance and ceiling are reported negated too, so `score_at` gives −score.
    """
    pts = _points(points)
    sign = 1.0 if higher_is_better else -1.0
    lo, hi = _chance_ceiling(chance, ceiling, higher_is_better, required=True)
    assert lo is not None and hi is not None
    xs = [math.log10(c) for c, _ in pts]
    if len(set(xs)) < 2:
        raise ValueError("points need at least two different compute values to fit a logistic")
    return _fit_logistic_oriented(xs, [sign * s for _, s in pts], lo, hi)


def _chance_ceiling(
    chance: float | None, ceiling: float | None, higher_is_better: bool, *, required: bool
) -> tuple[float | None, float | None]:
    """Oriented (chance, ceiling); the ceiling must be the better end of the scale."""
    if chance is None or ceiling is None:
        if required:
            raise ValueError(
                "the logistic method needs both chance and ceiling (the benchmark's chance score and "
                f"its best possible score); got chance={chance!r}, ceiling={ceiling!r}"
            )
        return None, None
    c0 = finite_number(chance, "chance")
    c1 = finite_number(ceiling, "ceiling")
    sign = 1.0 if higher_is_better else -1.0
    if sign * c1 <= sign * c0:
        better = ">" if higher_is_better else "<"
        direction = "higher" if higher_is_better else "lower"
        raise ValueError(
            f"ceiling must be better than chance: for a {direction}-is-better metric ceiling {better} "
            f"chance (got chance={chance!r}, ceiling={ceiling!r})"
        )
    return sign * c0, sign * c1


# ---------------------------------------------------------------------------------------------- methods


@dataclass(frozen=True)
class _Curve:
    """The family in oriented form (higher is better), sorted by compute, duplicates merged by mean."""

    xs: list[float]  # distinct log10 compute, ascending
    ss: list[float]  # mean oriented score at each
    raw_x: list[float]
    raw_s: list[float]
    line: LinearFit | None  # least squares over all raw points
    compute_range: tuple[float, float] = (0.0, 0.0)
    rises: bool = False
    """The least-squares slope is positive and the rise over the range is more than rounding."""
    fits: dict[tuple[float, float], LogisticFit] = field(default_factory=dict, compare=False)
    """Logistic fits by (chance, ceiling), made on first use."""

    def logistic(self, chance: float, ceiling: float) -> LogisticFit:
        fit = self.fits.get((chance, ceiling))
        if fit is None:
            fit = self.fits[(chance, ceiling)] = _fit_logistic_oriented(self.raw_x, self.raw_s, chance, ceiling)
        return fit


def _curve(pts: list[tuple[float, float]], sign: float) -> _Curve:
    groups: dict[float, list[float]] = {}
    for c, s in pts:
        groups.setdefault(math.log10(c), []).append(sign * s)
    xs = sorted(groups)
    ss = [math.fsum(groups[x]) / len(groups[x]) for x in xs]
    raw_x = [math.log10(c) for c, _ in pts]
    raw_s = [sign * s for _, s in pts]
    line = _linear(raw_x, raw_s) if len(xs) >= 2 else None
    rises = False
    if line is not None:
        rise = line.slope * (xs[-1] - xs[0])
        scale = max(abs(s) for s in raw_s)
        rises = line.slope > 0 and rise > 1e-12 * scale
    return _Curve(
        xs=xs,
        ss=ss,
        raw_x=raw_x,
        raw_s=raw_s,
        line=line,
        compute_range=(10.0 ** xs[0], 10.0 ** xs[-1]),
        rises=rises,
    )


@functools.lru_cache(maxsize=4096)
def _family_cached(points: tuple[Any, ...], sign: float) -> tuple[list[tuple[float, float]], _Curve]:
    pts = _points(points)
    return pts, _curve(pts, sign)


def _family(points: Iterable[tuple[float, float]], sign: float) -> tuple[list[tuple[float, float]], _Curve]:
    """Validated points and their curve, remembered: a build asks for the same family once per
    evaluation against it, and both depend on nothing else. Unhashable input (a list of lists) is
    worked out afresh each time, with the same result."""
    if points is None:
        return _family_cached.__wrapped__(points, sign)  # type: ignore[arg-type]  # _points words it
    frozen = tuple(points)
    try:
        hash(frozen)
    except TypeError:
        return _family_cached.__wrapped__(frozen, sign)
    return _family_cached(frozen, sign)


def _outside(curve: _Curve, x: float) -> tuple[bool, float]:
    lo, hi = curve.xs[0], curve.xs[-1]
    if x > hi:
        return True, x - hi
    if x < lo:
        return True, lo - x
    return False, 0.0


def _x_interpolate(curve: _Curve, target: float, slope: float) -> float:
    """The last crossing: the smallest x from which the extended curve stays at or above `target`.

    The extended curve is the piecewise-linear curve through the points, continued beyond both ends by
    rays with the least-squares slope. Taking the last crossing (rather than the first) means a model
    bigger than x* never scores below the target, so the estimate is never below the lower bound, and
    it is non-decreasing in the target. Anchoring the rays at the end points keeps the curve continuous
    at the edge of the observed range.
    """
    xs, ss = curve.xs, curve.ss
    if ss[-1] < target:
        return xs[-1] + (target - ss[-1]) / slope
    last_below = next((i for i in range(len(xs) - 1, -1, -1) if ss[i] < target), None)
    if last_below is None:
        return xs[0] - (ss[0] - target) / slope
    i = last_below
    s_lo, s_hi = ss[i], ss[i + 1]
    return xs[i] + (target - s_lo) / (s_hi - s_lo) * (xs[i + 1] - xs[i])


def _result(method: str, curve: _Curve, x_star: float, x_b: float) -> MethodResult:
    extrapolated, oom = _outside(curve, x_star)
    log_ceg = x_star - x_b
    if abs(log_ceg) > 300 or abs(x_star) > 300:
        return MethodResult(
            method,
            None,
            None,
            extrapolated,
            oom,
            False,
            f"the {method} curve reaches the enhanced score only {oom:.3g} orders of magnitude outside "
            "the observed compute range, beyond any usable number",
        )
    return MethodResult(method, 10.0**log_ceg, 10.0**x_star, extrapolated, oom, True, None)


def _not(method: str, reason: str) -> MethodResult:
    return MethodResult(method, None, None, False, None, False, reason)


def _logistic_result(
    curve: _Curve, target: float, x_b: float, chance: float, ceiling: float, sign: float
) -> MethodResult:
    if len(curve.xs) < 3:
        return _not(
            "logistic",
            "the logistic fit needs at least three models with different training compute "
            f"(this family has {len(curve.xs)})",
        )
    y_star = (target - chance) / (ceiling - chance)
    if y_star >= 1.0:
        return _not(
            "logistic",
            f"the enhanced score ({sign * target:g}) is at or beyond the benchmark's ceiling "
            f"({sign * ceiling:g}), which the logistic curve only approaches: no amount of training "
            "compute matches it",
        )
    if y_star <= 0.0:
        return _not(
            "logistic",
            f"the enhanced score ({sign * target:g}) is at or below chance ({sign * chance:g}), where the "
            "logistic curve needs no compute at all: there is no finite equivalent compute",
        )
    fit = curve.logistic(chance, ceiling)
    if not (math.isfinite(fit.a) and math.isfinite(fit.b)) or not fit.converged:
        return _not("logistic", "the logistic fit did not converge on these points")
    if fit.b <= 0:
        return _not("logistic", "the fitted logistic curve does not rise with training compute")
    x_star = fit.x_mean + (_logit(y_star) - (fit.a + fit.b * fit.x_mean)) / fit.b
    return _result("logistic", curve, x_star, x_b)


def _lower_bound(curve_pts: list[tuple[float, float]], base_compute: float, target: float, sign: float) -> float | None:
    """C_L / C_b for the largest member L bigger than the base model that scores strictly below s*."""
    beaten = [c for c, s in curve_pts if c > base_compute and sign * s < target]
    return max(beaten) / base_compute if beaten else None


# ---------------------------------------------------------------------------------------------- estimate


def estimate(
    points: Iterable[tuple[float, float]],
    base_compute: float,
    enhanced_score: float,
    *,
    higher_is_better: bool = True,
    method: str = "interpolate",
    chance: float | None = None,
    ceiling: float | None = None,
) -> CEGEstimate:
    """CEG of an enhancement, read off the un-enhanced family's scaling curve.

    `points`: (training_compute_flop, score) of the un-enhanced family on one benchmark and setting.
    `base_compute`: training compute of the model the enhancement was applied to.
    `enhanced_score`: that model's score with the enhancement.
    `chance`, `ceiling`: the benchmark's chance score and best possible score, in the metric's own
    units (for a lower-is-better metric the ceiling is the minimum). Only the logistic method needs them.

    Invalid arguments raise ValueError. Inputs that are valid but admit no CEG (flat family, a score
    the curve never reaches…) return `meaningful=False` with the reason in words, never an exception.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose one of {', '.join(METHODS)}")
    if not isinstance(higher_is_better, bool):
        raise ValueError(f"higher_is_better must be True or False (got {higher_is_better!r})")
    sign = 1.0 if higher_is_better else -1.0
    pts, curve = _family(points, sign)
    c_b = _compute(base_compute, "base_compute")
    s_raw = finite_number(enhanced_score, "enhanced_score")
    chance_o, ceiling_o = _chance_ceiling(chance, ceiling, higher_is_better, required=method == "logistic")

    target = sign * s_raw
    x_b = math.log10(c_b)
    common: dict[str, Any] = {"method": method, "n_points": len(pts), "compute_range": curve.compute_range}

    def nothing(reason: str, *, slope: float | None = None, lower_bound: float | None = None) -> CEGEstimate:
        return CEGEstimate(
            ceg=None,
            ceg_low=None,
            ceg_high=None,
            equivalent_compute=None,
            extrapolated=False,
            extrapolation_oom=None,
            lower_bound=lower_bound,
            meaningful=False,
            reason=reason,
            slope_per_oom=slope,
            **common,
        )

    if curve.line is None:
        return nothing(
            "the family has fewer than two models with different training compute, so there is no "
            "scaling curve to read the enhanced score off"
        )
    slope = curve.line.slope
    if not curve.rises:
        return nothing(
            "the family's score does not improve with training compute (least-squares slope "
            f"{sign * slope:.3g} per order of magnitude), so no amount of extra training compute is "
            "equivalent to the enhancement",
            slope=sign * slope,
        )

    results: dict[str, MethodResult] = {
        "interpolate": _result("interpolate", curve, _x_interpolate(curve, target, slope), x_b),
        "loglinear": _result("loglinear", curve, curve.line.x_at(target), x_b),
    }
    if chance_o is not None and ceiling_o is not None:
        results["logistic"] = _logistic_result(curve, target, x_b, chance_o, ceiling_o, sign)

    chosen = results[method]
    lower_bound = _lower_bound(pts, c_b, target, sign)
    if not chosen.meaningful:
        return nothing(chosen.reason or "no estimate", slope=sign * slope, lower_bound=lower_bound)

    values = [r.ceg for r in results.values() if r.meaningful and r.ceg is not None]
    note = _note(chosen, lower_bound)
    return CEGEstimate(
        ceg=chosen.ceg,
        ceg_low=min(values),
        ceg_high=max(values),
        equivalent_compute=chosen.equivalent_compute,
        extrapolated=chosen.extrapolated,
        extrapolation_oom=chosen.extrapolation_oom,
        lower_bound=lower_bound,
        meaningful=True,
        reason=None,
        note=note,
        slope_per_oom=sign * slope,
        by_method=results,
        **common,
    )


def _note(chosen: MethodResult, lower_bound: float | None) -> str | None:
    """A caution for readers, kept apart from `reason` (which only explains a missing estimate)."""
    parts: list[str] = []
    if chosen.extrapolated and chosen.extrapolation_oom:
        parts.append(
            f"extrapolated {chosen.extrapolation_oom:.2g} orders of magnitude outside the family's observed "
            "compute range"
            + (f"; the lower bound ({lower_bound:.3g}x) is the more reliable figure" if lower_bound else "")
        )
    if chosen.ceg is not None and chosen.ceg < 1:
        parts.append("CEG below 1: the enhanced model scores below the family's curve at its compute")
    return "; ".join(parts) or None
