"""The REC (within a record) and REF (between records) rules.

Each rule is a small function over the loaded `Dataset` that reports through `Dataset.report`, so every
message is located at the offending value. Rules only see records that passed the SCH layer; a record
that failed it is simply absent, and a reference to it is reported as broken only when the target file
does not exist at all (so one typo does not cascade into a page of errors).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from typing import Any

from ptedb.schema.models import Baseline, Benchmark, Enhancement, Evaluation, Model, Source, SourceRef

from .dataset import Dataset, suggest

REL_TOLERANCE = 0.05
"""Derived figures (6·N·D, cost fractions) must agree with their inputs to 5 %: papers round."""

SCORE_TOLERANCE = 1e-9

DATE_SLACK = dt.timedelta(days=1)
"""A date may be one day past the checking machine's today: a model released today in a time zone ahead of
the CI runner's is not in the future. Dates only recede, so a record valid once stays valid."""


def today() -> dt.date:
    """Today's date, read when the rules run (a module-level constant would go stale in a long process)."""
    return dt.date.today()


def _known(ds: Dataset, folder: str, rid: str) -> bool:
    """A reference resolves when the record loaded, or when its file exists but failed earlier rules."""
    return rid in ds.records[folder] or (folder, rid) in ds.present


def _check_ref(
    ds: Dataset,
    folder: str,
    rid: str,
    path: tuple[str | int, ...],
    value: str,
    target: str,
    code: str,
    noun: str,
) -> bool:
    if _known(ds, target, value):
        return True
    pool = {r for (f, r) in ds.present if f == target}
    ds.report(folder, rid, path, code, f"unknown {noun} '{value}'{suggest(value, pool)}")
    return False


def _check_source(ds: Dataset, folder: str, rid: str, path: tuple[str | int, ...], ref: SourceRef | None) -> None:
    if ref is not None:
        _check_ref(ds, folder, rid, (*path, "ref"), ref.ref, "sources", "REF001", "source")


def _rel_diff(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


# --- sources -------------------------------------------------------------------------------------


def check_sources(ds: Dataset) -> None:
    now = today()
    for rid, s in ds.of("sources").items():
        s: Source
        if s.year > (now + DATE_SLACK).year:
            ds.report("sources", rid, ("year",), "REC013", f"{s.year} is in the future (today is {now})")


# --- models --------------------------------------------------------------------------------------


def check_models(ds: Dataset) -> None:
    now = today()
    for rid, m in ds.of("models").items():
        if m.post_trained_from is not None:
            _check_ref(ds, "models", rid, ("post_trained_from",), m.post_trained_from, "models", "REF002", "model")
        m: Model
        _check_source(ds, "models", rid, ("source",), m.source)
        if m.release_date is not None and m.release_date > now + DATE_SLACK:
            ds.report(
                "models",
                rid,
                ("release_date",),
                "REC013",
                f"{m.release_date} is in the future (today is {now})",
            )
        tc = m.training_compute
        if tc is None:
            continue
        _check_source(ds, "models", rid, ("training_compute", "source"), tc.source)
        if tc.basis == "6ND":
            if not tc.derivation:
                ds.report(
                    "models",
                    rid,
                    ("training_compute", "derivation"),
                    "REC006",
                    "basis is 6ND, so 'derivation' must say which parameters and tokens were multiplied",
                )
            if m.parameters and m.training_tokens:
                expected = 6 * m.parameters * m.training_tokens
                if _rel_diff(tc.flop, expected) > REL_TOLERANCE:
                    ds.report(
                        "models",
                        rid,
                        ("training_compute", "flop"),
                        "REC005",
                        f"{tc.flop:.4g} FLOP differs from 6 × parameters × training_tokens = {expected:.4g} "
                        f"by more than {REL_TOLERANCE:.0%}",
                    )


# --- benchmarks ----------------------------------------------------------------------------------


def check_benchmarks(ds: Dataset) -> None:
    for rid, b in ds.of("benchmarks").items():
        b: Benchmark
        _check_source(ds, "benchmarks", rid, ("source",), b.source)
        if b.n_items is not None:
            _check_source(ds, "benchmarks", rid, ("n_items", "source"), b.n_items.source)
        if b.min >= b.max:
            ds.report("benchmarks", rid, ("max",), "REC002", f"max ({b.max:g}) must be greater than min ({b.min:g})")
        elif b.chance is not None and not b.min <= b.chance <= b.max:
            ds.report(
                "benchmarks",
                rid,
                ("chance",),
                "REC002",
                f"chance level {b.chance:g} lies outside the range [{b.min:g}, {b.max:g}]",
            )


def _score_in_range(
    ds: Dataset, folder: str, rid: str, path: tuple[str | int, ...], score: float, bench: Benchmark | None
) -> None:
    if bench is None or bench.min >= bench.max:
        return
    if not bench.min <= score <= bench.max:
        ds.report(
            folder,
            rid,
            path,
            "REC001",
            f"score {score:g} lies outside {bench.id}'s range [{bench.min:g}, {bench.max:g}] ({bench.unit})",
        )


# --- baselines -----------------------------------------------------------------------------------


def check_baselines(ds: Dataset) -> None:
    models: dict[str, Model] = ds.of("models")
    for rid, b in ds.of("baselines").items():
        b: Baseline
        _check_source(ds, "baselines", rid, ("source",), b.source)
        bench_ok = _check_ref(ds, "baselines", rid, ("benchmark",), b.benchmark, "benchmarks", "REF003", "benchmark")
        bench = ds.of("benchmarks").get(b.benchmark) if bench_ok else None
        seen: dict[str, int] = {}
        for i, p in enumerate(b.points):
            if p.model in seen:
                ds.report(
                    "baselines",
                    rid,
                    ("points", i, "model"),
                    "REC008",
                    f"model '{p.model}' already has a point (points[{seen[p.model]}])",
                )
            seen.setdefault(p.model, i)
            if _check_ref(ds, "baselines", rid, ("points", i, "model"), p.model, "models", "REF002", "model"):
                m = models.get(p.model)
                if m is not None and m.family != b.family:
                    ds.report(
                        "baselines",
                        rid,
                        ("points", i, "model"),
                        "REF009",
                        f"model '{p.model}' is of family '{m.family}', not the baseline's '{b.family}'",
                    )
            _score_in_range(ds, "baselines", rid, ("points", i, "score"), p.score, bench)
        bases = {
            pid: m.training_compute.basis
            for pid in dict.fromkeys(p.model for p in b.points)
            if (m := models.get(pid)) is not None and m.training_compute is not None
        }
        if len(set(bases.values())) > 1 and b.mixed_compute_basis is None:
            listed = ", ".join(f"{pid} {basis}" for pid, basis in bases.items())
            ds.report(
                "baselines",
                rid,
                ("points",),
                "REC011",
                f"the curve mixes reported and 6ND training compute ({listed}); use one basis for every point, "
                "or say in 'mixed_compute_basis' why the mix is comparable",
            )


# --- enhancements --------------------------------------------------------------------------------


def _check_evaluation(ds: Dataset, rid: str, i: int, ev: Evaluation) -> None:
    at: Callable[..., tuple[Any, ...]] = lambda *p: ("evaluations", i, *p)  # noqa: E731
    folder = "enhancements"
    _check_source(ds, folder, rid, at("source"), ev.source)
    bench_ok = _check_ref(ds, folder, rid, at("benchmark"), ev.benchmark, "benchmarks", "REF003", "benchmark")
    model_ok = _check_ref(ds, folder, rid, at("model"), ev.model, "models", "REF002", "model")
    bench = ds.of("benchmarks").get(ev.benchmark) if bench_ok else None
    model: Model | None = ds.of("models").get(ev.model) if model_ok else None
    _score_in_range(ds, folder, rid, at("base_score"), ev.base_score, bench)
    _score_in_range(ds, folder, rid, at("enhanced_score"), ev.enhanced_score, bench)

    if ev.baseline is not None and _check_ref(
        ds, folder, rid, at("baseline"), ev.baseline, "baselines", "REF004", "baseline"
    ):
        base: Baseline | None = ds.of("baselines").get(ev.baseline)
        if base is not None:
            if base.benchmark != ev.benchmark:
                ds.report(
                    folder,
                    rid,
                    at("baseline"),
                    "REF008",
                    f"baseline '{base.id}' is for benchmark '{base.benchmark}', not '{ev.benchmark}'",
                )
            point = next((p for p in base.points if p.model == ev.model), None)
            if point is None:
                have = ", ".join(p.model for p in base.points)
                ds.report(
                    folder,
                    rid,
                    at("model"),
                    "REF007",
                    f"model '{ev.model}' has no point in baseline '{base.id}' (it has: {have})",
                )
            elif not math.isclose(point.score, ev.base_score, rel_tol=SCORE_TOLERANCE, abs_tol=SCORE_TOLERANCE):
                ds.report(
                    folder,
                    rid,
                    at("base_score"),
                    "REF006",
                    f"base_score {ev.base_score:g} differs from baseline '{base.id}', "
                    f"which gives {point.score:g} for '{ev.model}'",
                )

    cost = ev.one_time_cost
    if cost is not None:
        if cost.flop is None and cost.fraction_of_pretraining is None:
            ds.report(
                folder,
                rid,
                at("one_time_cost"),
                "REC003",
                "give 'flop', 'fraction_of_pretraining' or both (and say how in 'basis')",
            )
        elif (
            cost.flop is not None
            and cost.fraction_of_pretraining is not None
            and model is not None
            and model.training_compute is not None
            and (cost.flop > 0 or cost.fraction_of_pretraining > 0)
        ):
            implied = cost.flop / model.training_compute.flop
            if _rel_diff(implied, cost.fraction_of_pretraining) > REL_TOLERANCE:
                ds.report(
                    folder,
                    rid,
                    at("one_time_cost", "fraction_of_pretraining"),
                    "REC004",
                    f"{cost.fraction_of_pretraining:.4g} differs from flop / pre-training compute of "
                    f"'{model.id}' = {cost.flop:.4g} / {model.training_compute.flop:.4g} = {implied:.4g}",
                )

    rc = ev.reported_ceg
    if rc is not None:
        _check_source(ds, folder, rid, at("reported_ceg", "source"), rc.source)
        if rc.value is None and rc.low is None and rc.high is None:
            ds.report(folder, rid, at("reported_ceg"), "REC007", "give 'value', or 'low' and/or 'high'")
        elif rc.low is not None and rc.high is not None and rc.low > rc.high:
            ds.report(
                folder,
                rid,
                at("reported_ceg", "low"),
                "REC007",
                f"low ({rc.low:g}) exceeds high ({rc.high:g})",
            )


def _check_status(ds: Dataset, rid: str, e: Enhancement) -> None:
    """REC012: CONTRIBUTING's pair. A retired enhancement (deprecated or withdrawn) names what replaces
    it, so that a reader following an old id lands somewhere; an active one is replaced by nothing."""
    if e.status == "active" and e.superseded_by is not None:
        ds.report(
            "enhancements",
            rid,
            ("superseded_by",),
            "REC012",
            f"status is active, yet superseded_by names '{e.superseded_by}': set status to deprecated or "
            "withdrawn, or remove superseded_by",
        )
    elif e.status != "active" and e.superseded_by is None:
        ds.report(
            "enhancements",
            rid,
            ("status",),
            "REC012",
            f"status is {e.status}, so superseded_by must name the enhancement that replaces this one",
        )


def check_supersede_cycles(ds: Dataset) -> None:
    """REF010: superseded_by chains that loop (a → b → a), which would send a reader, and the site's
    links, round for ever. Each cycle is reported once, at the superseded_by of its first id in sorted
    order, naming the whole loop; a record superseding itself is REC010's."""
    following: dict[str, str] = {
        rid: e.superseded_by
        for rid, e in ds.of("enhancements").items()
        if e.superseded_by is not None and e.superseded_by != rid
    }
    done: set[str] = set()
    for start in sorted(following):
        path: dict[str, int] = {}  # id → its place on this walk: linear however long the chain
        at: str | None = start
        while at is not None and at not in done and at not in path:
            path[at] = len(path)
            at = following.get(at)
        done.update(path)
        if at is None or at not in path:
            continue  # the chain ends, or joins one already walked
        loop = list(path)[path[at] :]
        first = min(loop)
        loop = loop[loop.index(first) :] + loop[: loop.index(first)]
        shown = " → ".join([*loop, first] if len(loop) <= 8 else [*loop[:6], f"… ({len(loop)} in all)", first])
        ds.report(
            "enhancements",
            first,
            ("superseded_by",),
            "REF010",
            f"the superseded_by chain loops: {shown}; the newest enhancement of a chain must not be superseded",
        )


def check_enhancements(ds: Dataset) -> None:
    for rid, e in ds.of("enhancements").items():
        e: Enhancement
        _check_ref(ds, "enhancements", rid, ("introduced_in",), e.introduced_in, "sources", "REF001", "source")
        _check_status(ds, rid, e)
        if e.superseded_by is not None:
            if e.superseded_by == rid:
                ds.report(
                    "enhancements",
                    rid,
                    ("superseded_by",),
                    "REC010",
                    "an enhancement cannot supersede itself",
                )
            else:
                _check_ref(
                    ds,
                    "enhancements",
                    rid,
                    ("superseded_by",),
                    e.superseded_by,
                    "enhancements",
                    "REF005",
                    "enhancement",
                )
        seen: dict[str, int] = {}
        for i, ev in enumerate(e.evaluations):
            if ev.id in seen:
                ds.report(
                    "enhancements",
                    rid,
                    ("evaluations", i, "id"),
                    "REC009",
                    f"evaluation id '{ev.id}' is already used by evaluations[{seen[ev.id]}]",
                )
            seen.setdefault(ev.id, i)
            _check_evaluation(ds, rid, i, ev)


def check_sources_of_tradeoffs(ds: Dataset) -> None:
    for rid, t in ds.of("tradeoffs").items():
        _check_source(ds, "tradeoffs", rid, ("source",), t.source)


RULESETS: tuple[Callable[[Dataset], None], ...] = (
    check_sources,
    check_models,
    check_benchmarks,
    check_baselines,
    check_enhancements,
    check_supersede_cycles,
    check_sources_of_tradeoffs,
)


def run(ds: Dataset) -> None:
    """Apply every REC and REF rule; problems are appended to `ds.diagnostics`."""
    for rule in RULESETS:
        rule(ds)
