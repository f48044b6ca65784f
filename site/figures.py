"""What the site says about one CEG, and the charts drawn from the database.

`headline()` words the figure a reader sees first for an evaluation, exactly as the build decided it
(the `ceg` table's `ceg` and `ceg_kind`): a point with its 90% interval, a lower bound (≥) or an upper
bound (≤), each saying when it was read on a cross-family curve, or a dash and the reason. The site
never promotes the estimates kept for the record (`ceg_line`, `ceg_interpolated`) to a headline.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

from ptedb.schema.models import CATEGORIES

from .svg import Axis, Chart, Mark, linear_domain, log_domain, pow10_label
from .text import flop, num, one_line, times

Row = dict[str, Any]

CATEGORY_ORDER = CATEGORIES  # in the order the record model lists them
# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and legible on white.
CATEGORY_COLORS = {
    "tool-use": "#E69F00",
    "prompting": "#0072B2",
    "scaffolding": "#009E73",
    "solution-choice": "#CC79A7",
    "data": "#56B4E9",
    "efficiency": "#D55E00",
}
FALLBACK_COLOR = "#777777"

CEG_CAP_LO, CEG_CAP_HI = 1e-3, 1e7
"""Home-chart CEG axis bounds: beyond them, points are drawn as arrows at the edge (see svg.py)."""


@dataclass(frozen=True)
class Headline:
    """The CEG figure to lead with for one evaluation."""

    kind: str  # point | lower_bound | upper_bound | none
    value: float | None
    text: str  # plain text, e.g. '≥ 100×'
    note: str  # plain text shown after it; may be ''


def headline(c: Row) -> Headline:
    value, kind = c.get("ceg"), c.get("ceg_kind") or "none"
    cross = " (cross-family curve)" if c.get("curve") == "cross-family" else ""
    if kind == "point" and value is not None:
        lo, hi = c.get("ceg_p05"), c.get("ceg_p95")
        interval = f"90% interval {times(lo)} – {times(hi)}" if lo is not None and hi is not None else ""
        return Headline("point", value, times(value), (interval + cross).strip())
    if kind == "lower_bound" and value is not None:
        return Headline("lower_bound", value, f"≥ {times(value)}", f"lower bound{cross}: " + (c.get("reason") or ""))
    if kind == "upper_bound" and value is not None:
        return Headline("upper_bound", value, f"≤ {times(value)}", f"upper bound{cross}: " + (c.get("reason") or ""))
    return Headline("none", None, "—", c.get("reason") or "no estimate")


MARKERS = {
    "point": ("circle", True, "point: read where the curve was observed"),
    "lower_bound": ("triangle", True, "lower bound: the CEG is at least this"),
    "upper_bound": ("triangle-down", True, "upper bound: the CEG is at most this"),
}


def _jitter(key: str, width: float) -> float:
    """A deterministic offset in [-width/2, width/2], so identical x values do not hide each other."""
    d = hashlib.sha256(key.encode()).digest()
    return (d[0] / 255 - 0.5) * width


def _legend(categories: list[str], markers: dict[str, tuple[str, bool, str]]) -> list[tuple[str, str, str, bool]]:
    out = [(cat, CATEGORY_COLORS.get(cat, FALLBACK_COLOR), "square", True) for cat in categories]
    out += [(label, "#555555", shape, filled) for shape, filled, label in markers.values()]
    return out


@dataclass(frozen=True)
class CostAxis:
    """The cost a CEG scatter is drawn against: which field, how its axis and its tooltips word it."""

    key: str  # the evaluation's field
    chart_id: str
    label: str  # the axis label
    name: str  # the cost in running text
    tick: Any  # tick label of a value
    value: Any  # a value in a tooltip
    zero_band: bool  # zero (free to adopt) drawn in a band before the log axis

    def usable(self, x: float | None) -> bool:
        return x is not None and (x > 0 or (self.zero_band and x == 0))


@dataclass(frozen=True)
class ScatterItem:
    """One mark of a CEG scatter: an evaluation's headline, or an enhancement's summary of its headlines."""

    key: str  # stable id: seeds the jitter
    category: str
    x: float
    kind: str  # point | lower_bound | upper_bound
    value: float
    lo: float | None  # the interval drawn as a bar, for a point
    hi: float | None
    title: str
    href: str


def _scatter(
    items: list[ScatterItem],
    axis: CostAxis,
    *,
    intervals: str | None,
    what: str,
    skipped: int,
    markers: dict[str, tuple[str, bool, str]],
) -> str:
    """CEG against one cost, coloured by category; `what` names the marks ('evaluations', 'enhancements')."""
    pos_x = [it.x for it in items if it.x > 0] or [1.0]
    x_lo, x_hi = log_domain(pos_x, pad=0.3)
    y_lo, y_hi = log_domain([it.value for it in items], pad=0.3, lo_cap=CEG_CAP_LO, hi_cap=CEG_CAP_HI)
    cats = [c for c in CATEGORY_ORDER if any(it.category == c for it in items)]
    cats += sorted({it.category for it in items} - set(cats), key=str)
    n_zero = sum(1 for it in items if it.x == 0)
    by_kind = {k: sum(1 for it in items if it.kind == k) for k in markers}
    desc = (
        f"Scatter plot of {len(items)} {what}: compute-equivalent gain on a log scale against the {axis.name} "
        f"on a log scale, coloured by category ({', '.join(cats)}). "
        + "; ".join(f"{by_kind[k]} {label}" for k, (_, _, label) in markers.items())
        + "."
        + (f" {n_zero} {what} with zero {axis.name} are drawn in the band marked 0." if axis.zero_band else "")
        + (
            f" {skipped} {what} without a CEG figure or without a {axis.name} on record are not shown."
            if skipped
            else ""
        )
        + f" Marks beyond {pow10_label(round(math.log10(y_hi)))}× or below {pow10_label(round(math.log10(y_lo)))}× "
        "are drawn as arrows at the edge." + (f" {intervals}" if intervals else "")
    )
    chart = Chart(
        chart_id=axis.chart_id,
        title=f"Compute-equivalent gain against {axis.name}",
        desc=desc,
        x=Axis(axis.label, x_lo, x_hi, log=True, zero_band=axis.zero_band, tick_label=axis.tick),
        y=Axis(
            "compute-equivalent gain (×, log scale)",
            y_lo,
            y_hi,
            log=True,
            tick_label=lambda v: pow10_label(round(math.log10(v)), "×"),
        ),
        height=470,
        legend=_legend(cats, markers),
    )
    if y_lo < 1 < y_hi:  # the line CEG = 1: above it the enhancement beats its own family's scaling
        chart.line([(x_lo, 1.0), (x_hi, 1.0)], color="#999999", width=1, dash="4 3")
    # multiplicative jitter of ±2% keeps identical costs apart without visibly moving them
    jittered = {it.key: it.x * 10 ** _jitter(it.key, 0.02) if it.x else it.x for it in items}
    if intervals:
        for it in items:
            if it.kind == "point" and it.lo and it.hi and it.x:
                color = CATEGORY_COLORS.get(it.category, FALLBACK_COLOR)
                chart.line(
                    [(jittered[it.key], max(it.lo, y_lo)), (jittered[it.key], min(it.hi, y_hi))], color=color, width=1.2
                )
    for it in items:
        shape, filled, _ = markers[it.kind]
        color = CATEGORY_COLORS.get(it.category, FALLBACK_COLOR)
        m = Mark(it.x, it.value, shape, color, filled, size=3.6, title=it.title, href=it.href)
        if it.x == 0:
            m.dx = _jitter(it.key, 18)
        else:
            m.x = jittered[it.key]
        chart.mark(m)
    return chart.render()


def headline_scatter(
    evaluations: list[Row],
    axis: CostAxis,
    *,
    href: Any,
    names: dict[str, str],
    intervals: bool = False,
) -> str:
    """CEG (headline figure) against one cost, one mark per evaluation, coloured by category; with
    `intervals`, each point's 90% interval as a vertical bar."""
    items = []
    skipped = 0
    for ev in evaluations:
        hl = headline(ev["ceg"])
        x = ev.get(axis.key)
        if hl.value is None or not axis.usable(x):
            skipped += 1
            continue
        name = names.get(ev["enhancement_id"], ev["enhancement_id"])
        where = f"{ev.get('benchmark_name') or ev['benchmark_id']} · {ev.get('model_name') or ev['model_id']}"
        title = (
            f"{name} — {where}: CEG {hl.text} ({_short_note(ev['ceg'], hl)}); {axis.name} {axis.value(x) if x else '0'}"
        )
        c = ev["ceg"]
        items.append(
            ScatterItem(
                ev["evaluation_id"],
                ev["category"],
                x,
                hl.kind,
                hl.value,
                c.get("ceg_p05"),
                c.get("ceg_p95"),
                title,
                href(ev),
            )
        )
    return _scatter(
        items,
        axis,
        intervals="Vertical bars are the points' 90% intervals." if intervals else None,
        what="evaluations",
        skipped=skipped,
        markers=MARKERS,
    )


SUMMARY_MARKERS = {
    "point": ("circle", True, "median of an enhancement's point headlines (bar: 90% interval)"),
    "lower_bound": ("triangle", True, "bounds only: the strongest lower bound (≥)"),
    "upper_bound": ("triangle-down", True, "bounds only: the strongest upper bound (≤)"),
}


@dataclass(frozen=True)
class Summary:
    """What one enhancement's headlines say, for a home chart: the median of its point headlines with a 90%
    interval for the median, or, with no point, the strongest bound any of its evaluations proves."""

    enhancement_id: str
    name: str
    category: str
    x: float  # the median cost over the evaluations summed up
    kind: str
    value: float
    lo: float | None
    hi: float | None
    n: int  # headlines behind the figure: points for a median, bounds for a bound
    href: str


def enhancement_scatter(summaries: list[Summary], skipped: int, axis: CostAxis) -> str:
    """CEG against one cost, one mark per enhancement: the chart grows with the enhancements, not with
    their evaluations (one mark per evaluation made the home page 11.7 MB at 20,000 evaluations)."""
    items = []
    for s in summaries:
        cost = f"{axis.name} {axis.value(s.x) if s.x else '0'}"  # the caption says it is a median
        if s.kind == "point":
            interval = f", 90% {times(s.lo)}–{times(s.hi)}" if s.lo is not None and s.hi is not None else ""
            fig = f"median CEG {times(s.value)} ({s.n} point{'s' if s.n != 1 else ''}{interval})"
        else:
            sign = "≥" if s.kind == "lower_bound" else "≤"
            fig = f"CEG {sign} {times(s.value)} (the strongest of {s.n} bound{'s' if s.n != 1 else ''}, no point)"
        items.append(
            ScatterItem(
                s.enhancement_id, s.category, s.x, s.kind, s.value, s.lo, s.hi, f"{s.name}: {fig}; {cost}", s.href
            )
        )
    return _scatter(
        items,
        axis,
        intervals="Vertical bars are 90% intervals of the medians.",
        what="enhancements",
        skipped=skipped,
        markers=SUMMARY_MARKERS,
    )


def _short_note(c: Row, hl: Headline) -> str:
    """What a chart mark's tooltip says of its figure: the interval of a point, the kind of a bound (the
    reason is on the evaluation's page, one click away), and whether a cross-family curve gave it."""
    cross = ", cross-family" if c.get("curve") == "cross-family" else ""
    if hl.kind == "point":
        lo, hi = c.get("ceg_p05"), c.get("ceg_p95")
        return (f"90% {times(lo)}–{times(hi)}" if lo is not None and hi is not None else "point") + cross
    return hl.kind.replace("_", " ") + cross


def _merged(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Points sorted by compute, duplicates merged by their mean score (as the CEG engine does)."""
    groups: dict[float, list[float]] = {}
    for c, s in points:
        groups.setdefault(c, []).append(s)
    return [(c, sum(v) / len(v)) for c, v in sorted(groups.items())]


def caption_id(chart_id: str) -> str:
    """The id of the figcaption that describes the scaling chart `chart_id` (the template sets it)."""
    return f"{chart_id}-caption"


def scaling_chart(
    ev: Row, baseline: Row, *, chart_id: str, model_names: dict[str, str], bench: Row | None, enh_name: str
) -> tuple[str | None, str]:
    """The family's scaling curve with the base and enhanced scores and the equivalent compute read off.

    Returns (svg or None, a caption in plain text). No chart is drawn when fewer than one point of the
    curve has a training-compute figure; the caption then says why.
    """
    from ptedb.ceg import fit_loglinear

    c = ev["ceg"]
    pts_all = [(p["compute"], p["score"], p["model_id"]) for p in baseline["points"]]
    pts = [(cp, s, m) for cp, s, m in pts_all if cp]
    missing = [m for cp, _, m in pts_all if not cp]
    if not pts:
        return None, "No chart: none of the baseline's models has a training-compute figure on record."
    curve = _merged([(cp, s) for cp, s, _ in pts])
    xb = c.get("base_compute_flop")
    # the equivalent compute is drawn only for a point read on this family's curve: a bound, or a point
    # read on a cross-family curve, is not a reading of this chart
    on_this_curve = c.get("ceg_kind") == "point" and c.get("curve") == "family" and c.get("ceg") and xb
    xstar = c["ceg"] * xb if on_this_curve else None
    s_base, s_enh = ev["base_score"], ev["enhanced_score"]
    unit = (bench or {}).get("unit") or ""
    bname = (bench or {}).get("name") or ev["benchmark_id"]

    xs = [cp for cp, _ in curve] + ([xb] if xb else [])
    x_max_obs = curve[-1][0]
    x_min_obs = curve[0][0]
    beyond = False
    if xstar:
        if math.log10(xstar) - math.log10(x_max_obs) > 5 or math.log10(x_min_obs) - math.log10(xstar) > 5:
            beyond = True
        else:
            xs.append(xstar)
    x_lo, x_hi = log_domain(xs, pad=0.3)
    if beyond and xstar and xstar > x_max_obs:
        x_hi = 10 ** (math.ceil(math.log10(x_max_obs)) + 5)
    elif beyond and xstar:
        x_lo = 10 ** (math.floor(math.log10(x_min_obs)) - 5)
    ys = [s for _, s in curve] + [s_base, s_enh]
    y_lo, y_hi = linear_domain(ys)
    if bench and bench.get("min") is not None and bench.get("max") is not None:
        y_lo, y_hi = max(y_lo, bench["min"]), min(y_hi, bench["max"])
        if y_hi <= y_lo:
            y_lo, y_hi = linear_domain(ys)

    family = baseline.get("family") or ""
    chart = Chart(
        chart_id=chart_id,
        title=f"Scaling curve of the {family} family on {bname} ({one_line(baseline.get('setting') or '')})",
        desc="",
        x=Axis("training compute (FLOP, log scale)", x_lo, x_hi, log=True),
        y=Axis(f"{bname} score" + (f" ({unit})" if unit else ""), y_lo, y_hi),
        width=680,
        height=380,
        margin=(20, 24, 56, 72),
    )
    chart.line(curve, color="#555555", width=2)
    slope = None
    if len(curve) >= 2:
        try:
            slope = fit_loglinear([(cp, s) for cp, s, _ in pts]).slope
        except ValueError:
            slope = None
    if xstar and slope:
        lx = math.log10(xstar)
        if xstar > x_max_obs:
            end_x = min(lx, math.log10(x_hi))
            s_end = curve[-1][1] + slope * (end_x - math.log10(x_max_obs))
            chart.line([curve[-1], (10**end_x, s_end)], color="#555555", width=1.5, dash="6 4")
        elif xstar < x_min_obs:
            end_x = max(lx, math.log10(x_lo))
            s_end = curve[0][1] + slope * (end_x - math.log10(x_min_obs))
            chart.line([(10**end_x, s_end), curve[0]], color="#555555", width=1.5, dash="6 4")
    lb = c.get("lower_bound")
    beaten = None
    if lb is not None and xb:  # the family member behind the lower bound: compute = lower bound × base compute
        target = math.log10(lb * xb)
        beaten = min(pts, key=lambda p: abs(math.log10(p[0]) - target))
        if abs(math.log10(beaten[0]) - target) > 1e-6:
            beaten = None
    for cp, s, m in pts:
        chart.mark(Mark(cp, s, "circle", "#555555", True, 4, title=f"{model_names.get(m, m)}: {num(s)} at {flop(cp)}"))
    if beaten is not None:
        chart.mark(
            Mark(
                beaten[0],
                beaten[1],
                "ring",
                "#8a4b00",
                False,
                8,
                title=f"{model_names.get(beaten[2], beaten[2])}: the largest un-enhanced family member that the "
                f"enhanced model beats beyond noise; CEG ≥ {times(lb)}",
            )
        )
        # above and to the left of the ring, where a rising curve leaves room; below the ring the label met
        # the equivalent compute's label on the axis. Right of it only when the ring is near the left edge.
        room = chart.px(beaten[0])[0] - chart.px(x_lo)[0]
        if room > 150:
            chart.text(beaten[0], beaten[1], f"beaten: CEG ≥ {times(lb)}", anchor="end", dx=-12, dy=-10)
        else:
            chart.text(beaten[0], beaten[1], f"beaten: CEG ≥ {times(lb)}", dx=12, dy=18)
    if xb and xstar:
        x_read = min(max(xstar, x_lo), x_hi)
        chart.line([(xb, s_enh), (x_read, s_enh)], color="#0072B2", width=1.5, dash="3 3")
        chart.line([(x_read, s_enh), (x_read, y_lo)], color="#0072B2", width=1.5, dash="3 3")
        label = f"≈ {flop(xstar)}" + (" (beyond the chart)" if beyond else "")
        anchor = "end" if math.log10(x_read) > (math.log10(x_lo) + math.log10(x_hi)) / 2 else "start"
        chart.text(x_read, y_lo, label, anchor=anchor, dx=-6 if anchor == "end" else 6, dy=-8)
    if xb:
        chart.mark(
            Mark(
                xb,
                s_base,
                "square",
                "#333333",
                True,
                5,
                title=f"base model without the enhancement: {num(s_base)}",
                label="base",
                label_below=s_enh >= s_base,  # the lower of the two marks is labelled below it
            )
        )
        chart.mark(
            Mark(
                xb,
                s_enh,
                "star",
                "#0072B2",
                True,
                5,
                title=f"with {enh_name}: {num(s_enh)}",
                label="enhanced",
                label_below=s_enh < s_base,
            )
        )

    pts_txt = "; ".join(f"{model_names.get(m, m)} {num(s)} at {flop(cp)}" for cp, s, m in pts)
    parts = [f"Un-enhanced {family} scores on {bname}: {pts_txt}."]
    if missing:
        parts.append(f"Not drawn, no training compute on record: {', '.join(model_names.get(m, m) for m in missing)}.")
    base_name = model_names.get(ev["model_id"], ev["model_id"])
    if xb:
        parts.append(
            f"The base model {base_name} ({flop(xb)}) scores {num(s_base)}; with {enh_name} it scores {num(s_enh)}."
        )
    else:
        parts.append(
            f"The base model {base_name} has no training compute on record, so it cannot be placed on the curve."
        )
    hl = headline(c)
    if xstar:
        parts.append(
            f"The family's curve, made non-decreasing, reaches {num(s_enh)} at ≈ {flop(xstar)}: CEG {hl.text}"
            + (f" ({hl.note})" if hl.note else "")
            + "."
        )
    elif hl.kind in ("lower_bound", "upper_bound", "point"):
        parts.append(f"Headline: CEG {hl.text}, {hl.note}.")
    else:
        parts.append(f"No headline: {c.get('reason') or 'see the methodology'}.")
    if beaten is not None and beaten[2] == ev["model_id"]:
        parts.append(f"The enhanced model beats its own base model beyond noise (ringed): CEG ≥ {times(lb)}.")
    elif c.get("lower_bound") is not None:
        size = "bigger" if beaten is not None and xb and beaten[0] > xb else "smaller"
        who = f"a {size} un-enhanced family member (ringed)" if beaten is not None else "an un-enhanced model"
        parts.append(f"Lower bound from beating {who}: CEG ≥ {times(c['lower_bound'])}.")
    caption = " ".join(parts)
    chart.desc = caption
    chart.described_by = caption_id(chart_id)
    return chart.render(), caption
