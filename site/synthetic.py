"""Synthetic, valid record sets for the site's tests and its benchmark.

Why synthetic: the site must be tested on records that are valid by construction, that do not change
while other people edit records/, and that can be scaled to a thousand enhancements to measure the
build. Every number here is invented; the one source record says so. The sets follow the rules the
validator enforces (a base score equals its baseline's point, a cost fraction equals FLOP over the
model's compute, scores stay in the benchmark's range).

`hostile=True` adds an enhancement whose name, description and aliases hold markup and Markdown, to
check that the site prints them as text.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import yaml
from ptedb.schema.models import CATEGORIES

SOURCE = "synthetic-2026-site"

HOSTILE_ID = "hostile-markup"
HOSTILE_NAME = '<script>alert("name")</script> *Bold* [x](javascript:alert(1)) & {#id}'
HOSTILE_DESCRIPTION = (
    '<script>alert("desc")</script> <img src=x onerror=alert(2)> **not bold** [link](https://example.org) '
    "`code` | a | table |\n\n# not a heading\n\n</div></table><svg onload=alert(3)>"
)
HOSTILE_ALIASES = ["<b>bold alias</b>", "HMK"]


def _dump(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _ref(locator: str) -> dict[str, str]:
    return {"ref": SOURCE, "locator": locator}


def write_records(
    root: Path,
    n_enhancements: int = 20,
    *,
    families: int = 6,
    sizes: int = 5,
    benchmarks: int = 20,
    evaluations_per_enhancement: int = 3,
    hostile: bool = False,
    seed: int = 0,
) -> Path:
    """Write a complete records/ folder under `root` and return its path."""
    rng = random.Random(seed)
    rec = root / "records"
    _dump(
        rec / "dataset.yaml",
        {"dataset_version": "v2026.01.0", "title": "ptedb synthetic records", "license": "CC-BY-4.0"},
    )
    _dump(
        rec / "sources" / f"{SOURCE}.yaml",
        {
            "schema_version": 1,
            "id": SOURCE,
            "title": "Synthetic records for testing the ptedb site (every number is invented)",
            "authors": ["Test Author", "Second Author", "Third Author"],
            "year": 2026,
            "url": "https://example.org/synthetic",
            "venue": "Test Proceedings",
        },
    )
    computes = [10.0 ** (21 + j) for j in range(sizes)]
    for f in range(families):
        for j, c in enumerate(computes):
            params = 1e9 * 10 ** (j / 2)
            _dump(
                rec / "models" / f"fam{f}-m{j}.yaml",
                {
                    "schema_version": 1,
                    "id": f"fam{f}-m{j}",
                    "name": f"Family {f} size {j}",
                    "family": f"fam{f}",
                    "organization": "Test Org",
                    "parameters": params,
                    "training_tokens": c / (6 * params),
                    "training_compute": {"flop": c, "basis": "reported", "source": _ref("Table 1")},
                    "source": _ref("Table 1"),
                },
            )
    for b in range(benchmarks):
        _dump(
            rec / "benchmarks" / f"bench{b}.yaml",
            {
                "schema_version": 1,
                "id": f"bench{b}",
                "name": f"Benchmark {b}",
                "description": "Four-way multiple choice (synthetic).",
                "metric": "accuracy",
                "unit": "percent",
                "higher_is_better": True,
                "min": 0.0,
                "max": 100.0,
                "chance": 25.0,
                "n_items": {"value": 1000, "split": "test", "source": _ref("Table 1")},
            },
        )
    curves: dict[tuple[int, int], list[float]] = {}
    for f in range(families):
        for b in range(benchmarks):
            start, slope = rng.uniform(26, 45), rng.uniform(3, 11)
            scores = [round(min(95.0, start + slope * j), 1) for j in range(sizes)]
            curves[(f, b)] = scores
            _dump(
                rec / "baselines" / f"fam{f}-bench{b}.yaml",
                {
                    "schema_version": 1,
                    "id": f"fam{f}-bench{b}",
                    "family": f"fam{f}",
                    "benchmark": f"bench{b}",
                    "setting": "0-shot",
                    "points": [{"model": f"fam{f}-m{j}", "score": s} for j, s in enumerate(scores)],
                    "source": _ref("Table 2"),
                },
            )

    def evaluation(k: int, category: str) -> dict[str, Any]:
        f, b, j = rng.randrange(families), rng.randrange(benchmarks), rng.randrange(sizes - 1)
        base = curves[(f, b)][j]
        delta = rng.uniform(-3, 4) if category == "efficiency" else rng.uniform(-1, 25)
        enhanced = round(max(0.0, min(100.0, base + delta)), 1)
        frac = rng.choice([0.0, 0.0, 1e-4, 1e-3]) if category != "prompting" else 0.0
        ev: dict[str, Any] = {
            "id": f"e{k}-fam{f}-m{j}-bench{b}",
            "benchmark": f"bench{b}",
            "model": f"fam{f}-m{j}",
            "baseline": f"fam{f}-bench{b}",
            "setting": "0-shot",
            "base_score": base,
            "enhanced_score": enhanced,
            "one_time_cost": {
                "flop": frac * computes[j],
                "fraction_of_pretraining": frac,
                "basis": "Synthetic: a fixed fraction of pre-training compute.",
            },
            "source": _ref("Table 3"),
        }
        mult = rng.choice([0.25, 0.5]) if category == "efficiency" else rng.choice([1.0, 2.0, 5.0, 40.0])
        ev["inference_cost_multiplier"] = {"value": mult, "basis": "Synthetic: samples drawn per task."}
        return ev

    width = max(3, int(math.log10(max(n_enhancements, 1))) + 1)
    for i in range(n_enhancements):
        category = CATEGORIES[i % len(CATEGORIES)]
        eid = f"synthetic-{i:0{width}d}"
        _dump(
            rec / "enhancements" / f"{eid}.yaml",
            {
                "schema_version": 1,
                "id": eid,
                "name": f"Synthetic enhancement {i}",
                "category": category,
                "description": f"A synthetic {category} enhancement, number {i}, for testing the site.",
                "introduced_in": SOURCE,
                "status": "active",
                "aliases": [f"SE{i}", f"synth alias {i}"],
                "tags": ["synthetic"],
                "evaluations": [evaluation(k, category) for k in range(evaluations_per_enhancement)],
            },
        )
    if hostile:
        ev = evaluation(0, "scaffolding")
        _dump(
            rec / "enhancements" / f"{HOSTILE_ID}.yaml",
            {
                "schema_version": 1,
                "id": HOSTILE_ID,
                "name": HOSTILE_NAME,
                "category": "scaffolding",
                "description": HOSTILE_DESCRIPTION,
                "introduced_in": SOURCE,
                "status": "active",
                "aliases": HOSTILE_ALIASES,
                "tags": ["synthetic"],
                "evaluations": [{**ev, "notes": "<i>note</i> with *markdown*"}],
            },
        )
    _dump(
        rec / "tradeoffs" / "synthetic-sampling.yaml",
        {
            "schema_version": 1,
            "id": "synthetic-sampling",
            "technique": "Synthetic repeated sampling",
            "span_training_oom": 1.0,
            "span_inference_oom": 1.5,
            "approximate": True,
            "effect_of_scale": "None",
            "current_position": "Minimal inference compute",
            "source": _ref("Table 4"),
        },
    )
    return rec
