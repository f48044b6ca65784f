"""The generated pages: Markdown files whose record-derived content sits in raw HTML blocks.

Why raw HTML inside Markdown: Markdown would interpret `*`, `_`, `[…](…)` or `<tags>` in a record's
description; a raw HTML block is passed through untouched, so HTML escaping is the whole story there.
Headings stay Markdown (escaped with the `md_inline` filter) because mkdocs takes the page title, the
table of contents and the search sections from them.

Links inside raw HTML are not rewritten by mkdocs, so they are written as the final relative URLs of
the built pages (`use_directory_urls` is off: `enhancements/x.md` becomes `enhancements/x.html`); the
link checker in `tests/linkcheck.py` verifies every one of them after a build.

The markup is in Jinja templates, `templates/*.md.j2` (one per kind of page) and `templates/macros.html`
(links, citations, the evaluation table); templating.py sets up their environment and says how escaping
and whitespace work there. This module gathers the data of each page and renders its template.
"""

from __future__ import annotations

import functools
import json
import math
import re
import statistics
from collections import Counter, defaultdict
from typing import Any

import jinja2
from markupsafe import Markup
from ptedb.schema.models import CATEGORY_TEXT

from . import fieldref
from .data import SiteData
from .figures import (
    CATEGORY_ORDER,
    CostAxis,
    Summary,
    caption_id,
    enhancement_scatter,
    headline,
    headline_scatter,
    scaling_chart,
)
from .svg import pow10_label
from .templating import environment, sort_key
from .text import html_path, num, percent_fraction, rel, safe_url, short_name, times

Row = dict[str, Any]


FILE_TEXT = {
    "ptedb.duckdb": "DuckDB database: every table with comments on every column, views and macros",
    "datapackage.json": "Frictionless Data Package descriptor of the CSV files",
    "README.md": "dataset card",
    "changes.json": "what changed since the previous release",
    ".ptedb-build": "build marker: the records and code this release was built from",
}


def category_title(cat: str) -> str:
    return CATEGORY_TEXT.get(cat, (cat, ""))[0]


def category_text(cat: str) -> str:
    return CATEGORY_TEXT.get(cat, (cat, ""))[1]


# --- page paths -----------------------------------------------------------------------------------


def enhancement_md(eid: str) -> str:
    return f"enhancements/{eid}.md"


def benchmark_md(bid: str) -> str:
    return f"benchmarks/{bid}.md"


def category_md(cat: str) -> str:
    return f"categories/{cat}.md"


def eval_anchor(ev: Row) -> str:
    return f"ev-{ev['local_id']}"


def evaluation_md(ev: Row) -> str:
    """The page that holds an evaluation in detail: one page per enhancement and benchmark, so that an
    enhancement's own page stays a summary and a table however many evaluations it has."""
    return f"enhancements/{ev['enhancement_id']}/{ev['benchmark_id']}.md"


def evaluation_href(page: str, ev: Row) -> str:
    """The link from the Markdown page `page` to the evaluation `ev` in detail."""
    return rel(page, html_path(evaluation_md(ev)) + "#" + eval_anchor(ev))


# --- what the templates are given -----------------------------------------------------------------


def _ceg_cell(c: Row) -> dict[str, Any]:
    """The CEG headline for a table cell: the leading figure, then a short note in smaller type."""
    hl = headline(c)
    cross = ", cross-family" if c.get("curve") == "cross-family" else ""
    if hl.kind == "point":
        lo, hi = c.get("ceg_p05"), c.get("ceg_p95")
        note = (f"{times(lo)} – {times(hi)}" if lo is not None and hi is not None else "") + cross
    elif hl.kind == "lower_bound":
        note = "lower bound" + cross
    elif hl.kind == "upper_bound":
        note = "upper bound" + cross
    else:
        note = "no estimate"
    return {"kind": hl.kind, "text": hl.text, "note": note, "sort": sort_key(hl.value), "reason": c.get("reason")}


def _cite_label(s: Row) -> str:
    """'Authors (year)' of a source: one surname, two joined by '&', or the first and 'et al.'."""
    authors = list(s.get("authors") or [])
    who = authors[0].split()[-1] if authors else ""
    if len(authors) == 2:
        who = f"{authors[0].split()[-1]} & {authors[1].split()[-1]}"
    elif len(authors) > 2:
        who += " et al."
    return f"{who} ({s.get('year')})"


def _source_links(s: Row) -> list[tuple[str, str]]:
    """(URL, text) of a source's links: its page, arXiv and DOI."""
    links = []
    if safe_url(s.get("url")):
        links.append((s["url"], "link"))
    if s.get("arxiv"):
        links.append((f"https://arxiv.org/abs/{s['arxiv']}", f"arXiv:{s['arxiv']}"))
    if s.get("doi"):
        links.append((f"https://doi.org/{s['doi']}", f"doi:{s['doi']}"))
    return links


@functools.cache
def env() -> jinja2.Environment:
    """The template environment, made once (its templates are compiled once, on first use)."""
    return environment(
        enhancement_md=enhancement_md,
        benchmark_md=benchmark_md,
        category_md=category_md,
        eval_anchor=eval_anchor,
        evaluation_md=evaluation_md,
        category_title=category_title,
        category_text=category_text,
        ceg_summary=_ceg_cell,
        cite_label=_cite_label,
        source_links=_source_links,
        safe_url=safe_url,
    )


class Site:
    """The data, and the fragments set aside for the hook, page by page."""

    def __init__(self, data: SiteData) -> None:
        self.data = data
        self.frags: dict[str, list[str]] = {}
        self.citation: dict[str, str] | None = None

    def frag(self, page: str, html: str) -> str:
        """Set `html` aside for the hook (hooks.py) and return the placeholder that marks its place."""
        lst = self.frags.setdefault(page, [])
        lst.append(html)
        return f'<div class="ptedb-frag" data-frag="{len(lst) - 1}"></div>'

    def render(self, template: str, page: str, **values: Any) -> str:
        """The page `page` (a Markdown path) from `template`; `site`, `data` and `page` are always given."""
        return env().get_template(template).render(site=self, data=self.data, page=page, **values)


# --- helpers --------------------------------------------------------------------------------------


def _median_ceg(evs: list[Row]) -> tuple[float | None, int]:
    """Median of the point headlines, and how many there are. Bounds are left out: a median over bounds
    is not a median."""
    vals = [ev["ceg"]["ceg"] for ev in evs if ev["ceg"].get("ceg_kind") == "point"]
    return (statistics.median(vals) if vals else None), len(vals)


def _fraction_label(x: float) -> str:
    """Axis label of a fraction of pre-training compute: powers of ten read better than 0.0001%."""
    return pow10_label(round(math.log10(x))) if x > 0 else "0"


def _by_name(evs: list[Row]) -> list[Row]:
    return sorted(evs, key=lambda e: (e["enhancement_name"].lower(), e["evaluation_id"]))


# --- pages ----------------------------------------------------------------------------------------


def _median_interval(values: list[float], seed: str) -> tuple[float, float, float] | None:
    """The median of `values` and a 90% interval for it, by resampling the values themselves (the median
    of a category is uncertain because its evaluations are a sample, whatever each one's own noise)."""
    if not values:
        return None
    import numpy as np

    v = np.array(sorted(values))
    rng = np.random.default_rng(int.from_bytes(seed.encode()[:8].ljust(8, b"\0"), "big"))
    medians = np.median(rng.choice(v, size=(2000, len(v)), replace=True), axis=1)
    lo, hi = np.percentile(medians, [5, 95])
    return float(np.median(v)), float(lo), float(hi)


def findings(d: SiteData) -> dict[str, Any]:
    """The figures the home page leads with: per category, the point headlines' median with its 90%
    interval and count, and the bounds counted apart; and the best-measured enhancements."""
    rows = []
    for cat in CATEGORY_ORDER:
        evs = [ev for ev in d.evaluations if ev["category"] == cat]
        if not evs:
            continue
        points = [ev["ceg"]["ceg"] for ev in evs if ev["ceg"].get("ceg_kind") == "point"]
        lowers = [ev["ceg"]["ceg"] for ev in evs if ev["ceg"].get("ceg_kind") == "lower_bound"]
        uppers = [ev["ceg"]["ceg"] for ev in evs if ev["ceg"].get("ceg_kind") == "upper_bound"]
        rows.append(
            {
                "cat": cat,
                "name": CATEGORY_TEXT.get(cat, (cat, ""))[0],
                "evaluations": len(evs),
                "points": len(points),
                "median": _median_interval(points, cat),
                "lowers": len(lowers),
                "lowers_over_1": sum(1 for v in lowers if v > 1),
                "uppers": len(uppers),
            }
        )
    by_enh: dict[str, list[float]] = {}
    for ev in d.evaluations:
        if ev["ceg"].get("ceg_kind") == "point":
            by_enh.setdefault(ev["enhancement_id"], []).append(ev["ceg"]["ceg"])
    best = sorted(by_enh.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:8]
    enhancements = [
        {"id": eid, "name": d.enhancements[eid]["name"], "points": len(v), "median": _median_interval(v, eid)}
        for eid, v in best
    ]
    gains = [r for r in rows if r["cat"] != "efficiency" and r["median"]]
    all_points = [
        ev["ceg"]["ceg"]
        for ev in d.evaluations
        if ev["category"] != "efficiency" and ev["ceg"].get("ceg_kind") == "point"
    ]
    lowers = [
        ev["ceg"]["ceg"]
        for ev in d.evaluations
        if ev["category"] != "efficiency" and ev["ceg"].get("ceg_kind") == "lower_bound"
    ]
    efficiency = next((r for r in rows if r["cat"] == "efficiency"), None)
    return {
        "rows": rows,
        "lowers_over_1": sum(1 for v in lowers if v > 1),
        "lowers_at_least_5": sum(1 for v in lowers if v >= 5),
        "efficiency": efficiency["median"] if efficiency else None,
        "enhancements": enhancements,
        "overall": _median_interval(all_points, "all"),
        "overall_points": len(all_points),
        "gain_categories": len(gains),
    }


COST_AXIS = CostAxis(
    "one_time_cost_fraction_of_pretraining",
    "chart-ceg-vs-cost",
    "one-time cost (fraction of pre-training compute, log scale)",
    "one-time cost",
    _fraction_label,
    percent_fraction,  # the axis says what it is a fraction of
    zero_band=True,
)
MULTIPLIER_AXIS = CostAxis(
    "inference_cost_multiplier_value",
    "chart-ceg-vs-multiplier",
    "inference-cost multiplier (×, log scale)",
    "inference-cost multiplier",
    times,
    times,
    zero_band=False,
)
BASE_COMPUTE_AXIS = CostAxis(
    "base_compute",
    "chart-ceg-vs-base-compute",
    "base model's pre-training compute (FLOP, log scale)",
    "base model's training compute",
    lambda v: pow10_label(round(math.log10(v))),
    lambda v: f"{v:.3g} FLOP",
    zero_band=False,
)


def summaries(d: SiteData, page: str, axis: CostAxis) -> tuple[list[Summary], int]:
    """Each enhancement's headlines summed up against one of its costs, for a home chart, and how many
    enhancements have no headline with that cost on record. Only evaluations with both a headline and the
    cost count. A median is taken over point headlines only (a median over bounds is not a median), at the
    median cost of those evaluations; with no point, the strongest bound stands, a lower bound above 1×
    first, at the cost of the evaluation that proves it."""
    out, skipped = [], 0
    for eid in sorted(d.by_enhancement):
        usable = [
            (ev["ceg"], ev[axis.key])
            for ev in d.by_enhancement[eid]
            if headline(ev["ceg"]).kind != "none" and axis.usable(ev.get(axis.key))
        ]
        if not usable:
            skipped += 1
            continue
        points = [(c["ceg"], x) for c, x in usable if c["ceg_kind"] == "point"]
        lowers = [(c["ceg"], x) for c, x in usable if c["ceg_kind"] == "lower_bound"]
        uppers = [(c["ceg"], x) for c, x in usable if c["ceg_kind"] == "upper_bound"]
        lo = hi = None
        if points:  # the median at the median cost of the evaluations behind it
            kind, n, x = "point", len(points), statistics.median(x for _, x in points)
            median = _median_interval([v for v, _ in points], eid)
            assert median is not None  # there are points
            value, lo, hi = median
            if n < 5:  # as in the tables: too few points for an interval
                lo = hi = None
        elif (lowers and max(lowers)[0] > 1) or not uppers:  # the bound at the cost of the evaluation proving it
            kind, n, (value, x) = "lower_bound", len(lowers), max(lowers)
        else:
            kind, n, (value, x) = "upper_bound", len(uppers), min(uppers)
        e = d.enhancements[eid]
        href = rel(page, html_path(enhancement_md(eid)))
        out.append(Summary(eid, short_name(e["name"]), e["category"], x, kind, value, lo, hi, n, href))
    return out, skipped


def home(site: Site) -> str:
    d = site.data
    page = "index.md"
    kinds = [headline(ev["ceg"]).kind for ev in d.evaluations]
    counts = [
        ("enhancements", len(d.enhancements), "enhancements/index.md"),
        ("evaluations", len(d.evaluations), "explore.md"),
        ("point estimates of CEG", kinds.count("point"), "explore.md#kind=point"),
        ("CEG bounds (≥ or ≤)", kinds.count("lower_bound") + kinds.count("upper_bound"), "caveats.md"),
        ("benchmarks", len(d.benchmarks), "benchmarks/index.md"),
        ("models", len(d.models), None),
        ("scaling curves", len(d.baselines), None),
        ("sources", len(d.sources), None),
    ]
    by_cost = summaries(d, page, COST_AXIS)
    by_mult = summaries(d, page, MULTIPLIER_AXIS)
    cost_chart = enhancement_scatter(*by_cost, COST_AXIS)
    mult_chart = enhancement_scatter(*by_mult, MULTIPLIER_AXIS)
    built_from = d.meta.get("built_from", "unknown")
    return site.render(
        "home.md.j2",
        page,
        counts=counts,
        version=d.meta.get("dataset_version", "unknown"),
        schema_version=d.meta.get("schema_version", "?"),
        built_from=built_from[:12],
        dirty=built_from.endswith("+dirty"),
        cost_chart=Markup(cost_chart),
        mult_chart=Markup(mult_chart),
        shown={"cost": len(by_cost[0]), "mult": len(by_mult[0])},
        n_enhancements=len(d.enhancements),
        findings=findings(d),
    )


KIND_LABELS = {
    "point": "point (read on an observed curve)",
    "lower_bound": "lower bound (≥)",
    "upper_bound": "upper bound (≤)",
    "none": "no estimate",
}
"""The explorer's 'Estimate' filter, in this order; the home page links to it by these keys."""


def explore_order(evs: list[Row]) -> list[Row]:
    """By name, except that evaluations without an estimate come last: a reader looks for figures."""
    return sorted(_by_name(evs), key=lambda ev: headline(ev["ceg"]).kind == "none")


EXPLORE_FIRST = 100
"""Rows of the explorer written into its HTML (what a reader without JavaScript sees); the script draws
every row, a page at a time, from `EXPLORE_DATA`, so that the page stays small however many there are."""

EXPLORE_DATA = "assets/explore-rows.js"

EXPLORE_FIELDS = (
    "enhancement",
    "category",
    "benchmark",
    "model",
    "kind",
    "scores",
    "delta",
    "ceg_text",
    "ceg_note",
    "ceg_sort",
    "reason",
    "cost_text",
    "cost",
    "mult_text",
    "mult",
    "href",
)
"""The fields of one row of `EXPLORE_DATA`, in order (the script reads them by these names)."""


def explore(site: Site) -> str:
    evs = explore_order(site.data.evaluations)
    return site.render(
        "explore.md.j2",
        "explore.md",
        evs=evs[:EXPLORE_FIRST],
        n_evaluations=len(evs),
        kinds=list(KIND_LABELS.items()),
        data_script=EXPLORE_DATA,
    )


def explore_data(site: Site) -> str:
    """Every row of the explorer as data (a script, so that it also loads from the file system): the
    labels and links of what was evaluated once each, and per row the figures as the tables print them."""
    d = site.data
    evs = explore_order(d.evaluations)
    rows = []
    for ev in evs:
        cell = _ceg_cell(ev["ceg"])
        frac = ev.get("one_time_cost_fraction_of_pretraining")
        mult = ev.get("inference_cost_multiplier_value")
        rows.append(
            [
                ev["enhancement_id"],
                ev["category"],
                ev["benchmark_id"],
                ev["model_id"],
                cell["kind"],
                f"{num(ev['base_score'])} → {num(ev['enhanced_score'])}",
                ev["enhanced_score"] - ev["base_score"],
                cell["text"],
                cell["note"],
                ev["ceg"].get("ceg") if cell["kind"] != "none" else None,
                cell["reason"] or "",
                percent_fraction(frac),
                frac,
                times(mult),
                mult,
                evaluation_href("explore.md", ev),
            ]
        )
    # sorted, so that the same data always write the same file (a set's order changes from run to run)
    used = {k: sorted({r[i] for r in rows}) for i, k in enumerate(("enhancement", "category", "benchmark", "model"))}
    labels = {
        "enhancement": {k: d.enhancements[k]["name"] for k in used["enhancement"] if k in d.enhancements},
        "category": {k: category_title(k) for k in used["category"]},
        "benchmark": {k: (d.benchmarks.get(k) or {}).get("name") or k for k in used["benchmark"]},
        "model": {k: (d.models.get(k) or {}).get("name") or k for k in used["model"]},
    }
    links = {
        "enhancement": {k: html_path(enhancement_md(k)) for k in used["enhancement"]},
        "category": {k: html_path(category_md(k)) for k in used["category"]},
        "benchmark": {k: html_path(benchmark_md(k)) for k in used["benchmark"]},
    }
    data = {"fields": EXPLORE_FIELDS, "labels": labels, "links": links, "rows": rows}
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    # inside a <script> nothing may close it early
    return "window.PTEDB_EXPLORE = " + text.replace("</", "<\\/") + ";\n"


def _reported_ceg(ev: Row) -> str | None:
    """A CEG reported by a source, as text ('≥ 12×', '3× (range 2× – 5×)'), or None."""
    if not ev.get("reported_ceg_kind"):
        return None
    v = ev.get("reported_ceg_value")
    rng = (
        f"{times(ev.get('reported_ceg_low'))} – {times(ev.get('reported_ceg_high'))}"
        if ev.get("reported_ceg_low") is not None or ev.get("reported_ceg_high") is not None
        else ""
    )
    txt = ("≥ " if ev["reported_ceg_kind"] == "lower_bound" else "") + (times(v) if v is not None else rng)
    if v is not None and rng:
        txt += f" (range {rng})"
    return txt


def _by_benchmark(evs: list[Row]) -> dict[str, list[Row]]:
    """An enhancement's evaluations grouped by benchmark, the groups in order of benchmark name."""
    groups: dict[str, list[Row]] = {}
    for ev in sorted(
        evs, key=lambda ev: (str(ev.get("benchmark_name") or ev["benchmark_id"]).lower(), ev["evaluation_id"])
    ):
        groups.setdefault(ev["benchmark_id"], []).append(ev)
    return groups


def _sources(evs: list[Row], first: str | None = None) -> list[str]:
    """The sources cited by `evs` (and `first`, if given), each once, in order of first citation."""
    cited = [first] + [x for ev in evs for x in (ev.get("source_id"), ev.get("reported_ceg_source_id"))]
    return list(dict.fromkeys(sid for sid in cited if sid))


def _tally(evs: list[Row], seed: str) -> dict[str, Any]:
    """What an enhancement's evaluations show: the median point headline with a 90% interval for it, and
    each kind of headline counted (bounds apart from points: a median over bounds is not a median)."""
    kinds = [headline(ev["ceg"]).kind for ev in evs]
    points = [ev["ceg"]["ceg"] for ev, k in zip(evs, kinds, strict=True) if k == "point"]
    return {
        "evaluations": len(evs),
        "points": len(points),
        "median": _median_interval(points, seed),
        "lower": kinds.count("lower_bound"),
        "lower_above_1": sum(
            1 for ev, k in zip(evs, kinds, strict=True) if k == "lower_bound" and ev["ceg"]["ceg"] > 1
        ),
        "upper": kinds.count("upper_bound"),
        "none": kinds.count("none"),
    }


def _costs(evs: list[Row]) -> dict[str, Any]:
    """What the enhancement costs, over its evaluations: the range of one-time costs (as a fraction of
    pre-training) and of inference-compute multipliers that its records state."""
    fracs = [v for ev in evs if (v := ev.get("one_time_cost_fraction_of_pretraining")) is not None]
    mults = [v for ev in evs if (v := ev.get("inference_cost_multiplier_value")) is not None]
    return {
        "frac": (min(fracs), max(fracs)) if fracs else None,
        "n_frac": len(fracs),
        "mult": (min(mults), max(mults)) if mults else None,
        "n_mult": len(mults),
    }


def enhancement(site: Site, e: Row) -> str:
    d = site.data
    page = enhancement_md(e["id"])
    evs = d.by_enhancement.get(e["id"], [])
    tally = _tally(evs, e["id"])
    with_compute = [dict(ev, base_compute=ev["ceg"].get("base_compute_flop")) for ev in evs]
    chart = None
    if tally["none"] < len(evs):
        chart = Markup(
            headline_scatter(
                with_compute,
                BASE_COMPUTE_AXIS,
                href=lambda ev: evaluation_href(page, ev),
                names={e["id"]: e["name"]},
                intervals=True,
            )
        )
    groups = _by_benchmark(evs)
    return site.render(
        "enhancement.md.j2",
        page,
        e=e,
        status=e.get("status") or "active",
        aliases=list(e.get("aliases") or []),
        tags=list(e.get("tags") or []),
        evs=explore_order(evs),
        tally=tally,
        costs=_costs(evs),
        chart=chart,
        groups=[(bid, g[0].get("benchmark_name") or bid, len(g), evaluation_md(g[0])) for bid, g in groups.items()],
        sources=_sources(evs, e.get("introduced_in")),
    )


def enhancement_benchmark(site: Site, e: Row, evs: list[Row]) -> str:
    """One enhancement's evaluations on one benchmark, each in detail with its scaling curve."""
    d = site.data
    models = {k: v["name"] for k, v in d.models.items()}
    details = []
    for ev in evs:
        bench = d.benchmarks.get(ev["benchmark_id"])
        baseline = d.baselines.get(ev.get("baseline_id") or "")
        chart = caption = None
        chart_id = f"chart-{ev['local_id']}"
        if baseline is not None:
            svg, caption = scaling_chart(
                ev, baseline, chart_id=chart_id, model_names=models, bench=bench, enh_name=e["name"]
            )
            chart = Markup(svg) if svg else None
        details.append(
            {
                "ev": ev,
                "heading": f"{ev['model_name']}",
                "headline": headline(ev["ceg"]),
                "bench": bench,
                "unit": (bench or {}).get("unit") or "",
                "model": d.models.get(ev["model_id"]) or {},
                "baseline": baseline,
                "reported": _reported_ceg(ev),
                "chart": chart,
                "caption": caption,
                "caption_id": caption_id(chart_id),
            }
        )
    first = evs[0]
    return site.render(
        "enhancement_benchmark.md.j2",
        evaluation_md(first),
        e=e,
        bench_id=first["benchmark_id"],
        bench_name=first.get("benchmark_name") or first["benchmark_id"],
        details=details,
        sources=_sources(evs),
    )


def enhancements_index(site: Site) -> str:
    rows = []
    for e in site.data.enhancements.values():
        evs = site.data.by_enhancement.get(e["id"], [])
        med, n = _median_ceg(evs)
        rows.append({"e": e, "evaluations": len(evs), "median": med, "n_median": n})
    return site.render("enhancements_index.md.j2", "enhancements/index.md", rows=rows)


def benchmark(site: Site, b: Row) -> str:
    d = site.data
    curves = [bl for bl in d.baselines.values() if bl.get("benchmark_id") == b["id"]]
    models = {mid: m["name"] for mid, m in d.models.items()}
    evs = d.by_benchmark.get(b["id"], [])
    # one row per enhancement, not per evaluation: the page grows with the enhancements measured on the
    # benchmark (GSM8K's table of every evaluation was 226 KB, and 700 KB at 1,000 per benchmark)
    by_enh: dict[str, list[Row]] = defaultdict(list)
    for ev in evs:
        by_enh[ev["enhancement_id"]].append(ev)
    enh = [{"id": eid, **_tally(group, f"{eid}/{b['id']}")} for eid, group in by_enh.items()]
    enh.sort(key=lambda x: (-x["points"], -x["evaluations"], x["id"]))
    return site.render(
        "benchmark.md.j2",
        benchmark_md(b["id"]),
        b=b,
        home_page=safe_url(b.get("url")),
        evs=evs,
        enhancements=enh,
        curves=curves,
        models=models,
    )


def benchmarks_index(site: Site) -> str:
    rows = []
    for b in site.data.benchmarks.values():
        n = len(site.data.by_benchmark.get(b["id"], []))
        curves = sum(1 for bl in site.data.baselines.values() if bl.get("benchmark_id") == b["id"])
        rows.append({"b": b, "evaluations": n, "curves": curves})
    return site.render("benchmarks_index.md.j2", "benchmarks/index.md", rows=rows)


def category(site: Site, cat: str) -> str:
    d = site.data
    evs = _by_name(d.by_category.get(cat, []))
    med, n = _median_ceg(evs)
    enh = []
    for e in d.enhancements.values():
        if e["category"] != cat:
            continue
        enh.append({"id": e["id"], **_tally(d.by_enhancement.get(e["id"], []), e["id"])})
    enh.sort(key=lambda x: (-x["points"], -x["evaluations"], x["id"]))
    return site.render("category.md.j2", category_md(cat), cat=cat, enhancements=enh, evs=evs, median=med, n_median=n)


def categories_index(site: Site, cats: list[str]) -> str:
    rows = []
    for cat in cats:
        evs = site.data.by_category.get(cat, [])
        med, n = _median_ceg(evs)
        n_enh = sum(1 for e in site.data.enhancements.values() if e["category"] == cat)
        rows.append({"cat": cat, "enhancements": n_enh, "evaluations": len(evs), "median": med, "n_median": n})
    return site.render("categories_index.md.j2", "categories/index.md", rows=rows)


def tradeoffs(site: Site) -> str:
    return site.render("tradeoffs.md.j2", "tradeoffs.md", tradeoffs=site.data.tradeoffs)


SURVEY = "davidson-2023-ai-capabilities"
"""The survey whose published CEGs the comparison page sets beside ptedb's headlines."""


def _survey_verdict(ev: Row) -> tuple[str, str]:
    """(agree | consistent | differ | no figure, words) for one evaluation the survey states a CEG for."""
    c = ev["ceg"]
    lo = ev.get("reported_ceg_low") if ev.get("reported_ceg_value") is None else ev.get("reported_ceg_value")
    hi = ev.get("reported_ceg_high") if ev.get("reported_ceg_value") is None else ev.get("reported_ceg_value")
    lo = lo if lo is not None else hi
    hi = hi if hi is not None else lo
    at_least = ev.get("reported_ceg_kind") == "lower_bound"
    kind, v = c.get("ceg_kind"), c.get("ceg")
    if kind == "none" or v is None or lo is None:
        return "no figure", "ptedb states no figure: " + (c.get("reason") or "see the record")
    if kind == "point":
        p05, p95 = c.get("ceg_p05") or v, c.get("ceg_p95") or v
        if at_least:
            ok = p95 >= lo
        else:
            ok = p05 <= hi and lo <= p95
        if ok:
            return "agree", "the survey's figure lies within ptedb's 90% interval"
        return "differ", f"ptedb's point and its 90% interval ({times(p05)} – {times(p95)}) miss the survey's figure"
    if kind == "lower_bound":
        if hi >= v or at_least:
            return "consistent", f"ptedb proves only CEG ≥ {times(v)}; " + (c.get("reason") or "")
        return "differ", f"ptedb proves CEG ≥ {times(v)}, above the survey's figure"
    if lo <= v:
        return "consistent", f"ptedb proves only CEG ≤ {times(v)}; " + (c.get("reason") or "")
    return "differ", f"ptedb proves CEG ≤ {times(v)}, below the survey's figure: " + (c.get("reason") or "")


def survey(site: Site) -> str:
    d = site.data
    rows = []
    for ev in _by_name([ev for ev in d.evaluations if ev.get("reported_ceg_source_id") == SURVEY]):
        verdict, why = _survey_verdict(ev)
        rows.append({"ev": ev, "verdict": verdict, "why": why, "survey": _reported_ceg(ev)})
    counts = {k: sum(1 for r in rows if r["verdict"] == k) for k in ("agree", "consistent", "differ", "no figure")}
    # the survey's five categories (efficiency is ptedb's addition), for its abstract's statement
    cegs = [ev["ceg"] for ev in d.evaluations if ev["category"] != "efficiency"]
    points = [c["ceg"] for c in cegs if c.get("ceg_kind") == "point"]
    lowers = [c["ceg"] for c in cegs if c.get("ceg_kind") == "lower_bound"]
    stats = {
        "evaluations": len(cegs),
        "points": len(points),
        "points_over_5": sum(1 for v in points if v > 5),
        "points_over_20": sum(1 for v in points if v > 20),
        "median_point": statistics.median(points) if points else None,
        "lowers": len(lowers),
        "lowers_at_least_5": sum(1 for v in lowers if v >= 5),
        "lowers_at_least_20": sum(1 for v in lowers if v >= 20),
    }
    return site.render("survey.md.j2", "survey.md", rows=rows, counts=counts, stats=stats, source=d.sources.get(SURVEY))


CAVEATS_ROWS = 50
"""The caveats page lists the evaluations extrapolated farthest, not all of them: the list grows with the
data (369 rows made the page 250 KB), and the query beside it gives every one."""


def caveats(site: Site) -> str:
    d = site.data
    extrap = sorted(
        (ev for ev in d.evaluations if ev["ceg"].get("ceg_kind") != "point" and ev["ceg"].get("extrapolated")),
        key=lambda ev: -(ev["ceg"].get("extrapolation_oom") or 0),
    )
    none = [ev for ev in d.evaluations if ev["ceg"].get("ceg_kind") == "none"]
    by_reason: Counter[str] = Counter()
    names: dict[str, Counter[str]] = defaultdict(Counter)
    for ev in none:
        for part in (ev["ceg"].get("reason") or "no reason recorded").split("; "):
            key = reason_key(part)
            by_reason[key] += 1
            names[key].update(_REASON_NAME.findall(part))
    reasons = [
        (reason, n, sorted(names[reason].items(), key=lambda kv: (-kv[1], kv[0]))[:8])
        for reason, n in sorted(by_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return site.render(
        "caveats.md.j2",
        "caveats.md",
        extrapolated=extrap[:CAVEATS_ROWS],
        n_extrapolated=len(extrap),
        no_ceg=none,
        reasons=reasons,
    )


_REASON_NAME = re.compile(r"'([a-z0-9][a-z0-9._-]*)'")
_REASON_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")


def reason_key(part: str) -> str:
    """One reason with its names (quoted ids) and figures left out, so that reasons that differ only in
    them are counted together on the caveats page."""
    return _REASON_NUMBER.sub("…", _REASON_NAME.sub("…", part))


def downloads(site: Site, download_dir: str) -> str:
    d = site.data
    groups: list[tuple[str, list[Any]]] = [
        ("DuckDB", [f for f in d.files if f.path == "ptedb.duckdb"]),
        ("Parquet", [f for f in d.files if f.path.startswith("parquet/")]),
        ("CSV and Data Package", [f for f in d.files if f.path.startswith("csv/") or f.path == "datapackage.json"]),
    ]
    listed = {f.path for _, fs in groups for f in fs}
    groups.append(("About this release", [f for f in d.files if f.path not in listed]))
    rows = [
        (
            title,
            [
                {
                    "file": f,
                    "href": f"{download_dir}/{f.path}",
                    "text": FILE_TEXT.get(f.path),
                    "table": f.path.split("/")[-1].rsplit(".", 1)[0] if "/" in f.path else None,
                }
                for f in files
            ],
        )
        for title, files in groups
        if files
    ]
    return site.render(
        "downloads.md.j2",
        "downloads.md",
        version=d.meta.get("dataset_version", ""),
        license=d.meta.get("license", "CC-BY-4.0"),
        groups=rows,
        sums_href=f"{download_dir}/SHA256SUMS",
    )


def field_reference(site: Site) -> str:
    return fieldref.page(site.data.views, site.data.macros)


def citation(cff: dict[str, Any] | None, version: str) -> dict[str, str] | None:
    """How to cite the dataset, from CITATION.cff: a sentence and a BibTeX entry for the release `version`
    (the build's own version, which a test holds equal to the file's)."""
    if not cff:
        return None
    authors = [
        a.get("name") or " ".join(p for p in (a.get("given-names"), a.get("family-names")) if p)
        for a in cff.get("authors") or []
        if isinstance(a, dict)
    ]
    authors = [a for a in authors if a] or ["The ptedb contributors"]
    year = str(cff.get("date-released") or "")[:4]
    title = str(cff["title"])
    url = cff.get("url") or cff.get("repository-code") or ""
    text = f"{' and '.join(authors)} ({year}). {title}. Dataset, version {version}. License {cff.get('license', '')}."
    if url:
        text += f" {url}"
    fields = [
        ("author", "{" + " and ".join("{" + a + "}" for a in authors) + "}"),  # {{...}}: a name BibTeX must not split
        ("title", "{" + title + "}"),
        ("year", "{" + year + "}"),
        ("version", "{" + version + "}"),
        ("note", "{Dataset, license " + str(cff.get("license", "")) + "}"),
    ]
    if url:
        fields.append(("url", "{" + url + "}"))
    key = f"ptedb_{version}"
    bibtex = "@misc{" + key + ",\n" + ",\n".join(f"  {k:<7} = {v}" for k, v in fields) + "\n}"
    return {"text": text, "bibtex": bibtex, "message": str(cff.get("message") or "")}


def generate(
    data: SiteData, download_dir: str = "download", *, cff: dict[str, Any] | None = None
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """Every generated page, as {Markdown path: text}, and the HTML fragments set aside for hooks.py.
    `cff` is the parsed CITATION.cff, for the "How to cite" blocks."""
    site = Site(data)
    site.citation = citation(cff, data.meta.get("dataset_version", ""))
    cats = [
        c
        for c in CATEGORY_ORDER
        if c in data.by_category or any(e["category"] == c for e in data.enhancements.values())
    ]
    cats += sorted({e["category"] for e in data.enhancements.values()} - set(cats))
    pages: dict[str, str] = {
        "index.md": home(site),
        "explore.md": explore(site),
        EXPLORE_DATA: explore_data(site),
        "enhancements/index.md": enhancements_index(site),
        "benchmarks/index.md": benchmarks_index(site),
        "categories/index.md": categories_index(site, cats),
        "tradeoffs.md": tradeoffs(site),
        "caveats.md": caveats(site),
        "survey.md": survey(site),
        "downloads.md": downloads(site, download_dir),
        "reference.md": field_reference(site),
    }
    for e in data.enhancements.values():
        pages[enhancement_md(e["id"])] = enhancement(site, e)
        for group in _by_benchmark(data.by_enhancement.get(e["id"], [])).values():
            pages[evaluation_md(group[0])] = enhancement_benchmark(site, e, group)
    for b in data.benchmarks.values():
        pages[benchmark_md(b["id"])] = benchmark(site, b)
    for cat in cats:
        pages[category_md(cat)] = category(site, cat)
    return pages, site.frags
