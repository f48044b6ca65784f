"""Generate N synthetic but valid record files, shaped like the real dataset, for timing ptedb at scale.

    python -m benchmarks.generate N DIR [--seed S] [--force]

DIR becomes a records directory (`dataset.yaml` plus one folder per kind). About 10 % of the N files
are of each supporting kind — sources, models, benchmarks, baselines, trade-offs — and the other half
are enhancements, each with two to six evaluations that share the models, benchmarks and baselines (so
the reference rules and the CEG engine have real work to do). Models come in families of four sizes;
a baseline is one family's curve on one benchmark, and most evaluations sit on a baseline point, with
`base_score` equal to it, as the REF006 rule requires. Every number is invented.

The output is deterministic for a given N and seed, and every file passes `ptedb validate`.
"""

from __future__ import annotations

import argparse
import math
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ptedb.schema.models import CATEGORIES

SIZES = (1.0e9, 7.0e9, 3.0e10, 1.3e11)
"""Parameters of the four members of every synthetic family."""

SETTINGS = ("0-shot", "5-shot", "8-shot chain-of-thought", "pass@1, temperature 0", "maj@32")
WORDS = (
    "model scaling compute inference training enhancement prompt chain thought tool retrieval search sampling "
    "verifier reward fine-tuning distillation quantization benchmark accuracy gain baseline family evaluation "
    "agent scaffold reasoning program code math science reading answer budget token length data synthetic "
    "curriculum feedback preference policy critique refine vote majority beam tree planner memory context"
).split()
FIRST = ("Ada", "Björn", "Chen", "Dana", "Émile", "Farah", "Gao", "Hiro", "Ines", "Jonas", "Kwame", "Lena", "Mei")
LAST = ("Ng", "Okafor", "Pérez", "Quinn", "Rossi", "Sato", "Tanaka", "Umar", "Vogel", "Wang", "Xu", "Young", "Zhou")


@dataclass(frozen=True)
class Counts:
    sources: int
    models: int
    benchmarks: int
    baselines: int
    tradeoffs: int
    enhancements: int

    @property
    def total(self) -> int:
        return self.sources + self.models + self.benchmarks + self.baselines + self.tradeoffs + self.enhancements


def counts(n: int) -> Counts:
    """About 10 % of the files for each supporting kind (models in whole families), the rest enhancements."""
    if n < 10:
        raise ValueError("N must be at least 10")
    tenth = max(1, round(n / 10))
    families = max(1, round(tenth / len(SIZES)))
    models = families * len(SIZES)
    rest = n - 4 * tenth - models
    return Counts(tenth, models, tenth, tenth, tenth, max(1, rest))


def _words(rng: random.Random, lo: int, hi: int) -> str:
    text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(lo, hi)))
    return text[0].upper() + text[1:] + "."


def _ref(rng: random.Random, n_sources: int, what: str) -> dict[str, str]:
    return {"ref": f"src-{rng.randrange(n_sources):05d}", "locator": f"{what} {rng.randint(1, 12)}"}


def _round(x: float, digits: int = 4) -> float:
    """x to `digits` significant figures, as papers report."""
    if x == 0:
        return 0.0
    return float(f"{x:.{digits}g}")


def generate(n: int, seed: int = 0) -> dict[str, dict[str, dict[str, Any]]]:
    """{folder: {id: record}} for N files."""
    rng = random.Random(seed)
    c = counts(n)
    out: dict[str, dict[str, dict[str, Any]]] = {
        k: {} for k in ("sources", "models", "benchmarks", "baselines", "tradeoffs", "enhancements")
    }

    for i in range(c.sources):
        rid = f"src-{i:05d}"
        year = rng.randint(2018, 2026)
        rec: dict[str, Any] = {
            "schema_version": 1,
            "id": rid,
            "title": _words(rng, 6, 14).rstrip("."),
            "authors": [f"{rng.choice(FIRST)} {rng.choice(LAST)}" for _ in range(rng.randint(1, 8))],
            "year": year,
            "url": f"https://example.org/papers/{rid}",
            "arxiv": f"{year % 100:02d}{rng.randint(1, 12):02d}.{rng.randint(0, 99999):05d}",
        }
        if rng.random() < 0.5:
            rec["venue"] = rng.choice(("NeurIPS", "ICML", "ICLR", "ACL", "arXiv preprint", "TMLR"))
        if rng.random() < 0.3:
            rec["doi"] = f"10.48550/arXiv.{rec['arxiv']}"
        out["sources"][rid] = rec

    families = c.models // len(SIZES)
    compute: dict[str, float | None] = {}
    family_models: list[list[str]] = []
    for f in range(families):
        members = []
        scale = rng.uniform(0.7, 1.5)
        for size in SIZES:
            params = _round(size * scale, 3)
            rid = f"fam{f:04d}-{params / 1e9:.3g}b".replace(".", "p")
            tokens = _round(params * rng.uniform(15, 40), 3)
            rec = {
                "schema_version": 1,
                "id": rid,
                "name": f"Family {f} {params / 1e9:.3g}B",
                "family": f"fam{f:04d}",
                "organization": f"Lab {f % 37}",
                "parameters": params,
                "training_tokens": tokens,
            }
            if rng.random() < 0.95:
                rng.random()  # kept, so the rest of the stream is as before
                if f % 2 == 0:  # one compute basis per family (rule REC011)
                    flop = _round(6 * params * tokens * rng.uniform(0.98, 1.02), 3)
                    tc: dict[str, Any] = {"flop": flop, "basis": "reported"}
                else:
                    flop = 6 * params * tokens
                    tc = {
                        "flop": flop,
                        "basis": "6ND",
                        "derivation": f"6 x {params:.4g} parameters x {tokens:.4g} tokens.",
                    }
                tc["source"] = _ref(rng, c.sources, "Table")
                rec["training_compute"] = tc
                compute[rid] = flop
            else:
                compute[rid] = None
            # Drawn as before (the same random stream, so the same data elsewhere), then kept in the past:
            # REC013 refuses a release date after today, and the generated data must not depend on the day.
            year, month, day = rng.randint(2019, 2026), rng.randint(1, 12), rng.randint(1, 28)
            rec["release_date"] = f"{min(year, 2025)}-{month:02d}-{day:02d}"
            rec["source"] = _ref(rng, c.sources, "Table")
            out["models"][rid] = rec
            members.append(rid)
        family_models.append(members)

    for b in range(c.benchmarks):
        rid = f"bench-{b:05d}"
        out["benchmarks"][rid] = {
            "schema_version": 1,
            "id": rid,
            "name": f"Bench {b}",
            "description": _words(rng, 8, 30),
            "metric": rng.choice(("accuracy", "pass@1", "exact match")),
            "unit": "percent",
            "higher_is_better": True,
            "min": 0,
            "max": 100,
            "chance": rng.choice((0, 25, 50)),
            "url": f"https://example.org/benchmarks/{rid}",
            "source": _ref(rng, c.sources, "Section"),
        }

    # A baseline: one family's curve on one benchmark, scores rising with size.
    baselines: list[tuple[str, list[str], list[float], str]] = []
    for k in range(c.baselines):
        rid = f"base-{k:05d}"
        fam = k % families
        bench = f"bench-{(k // families + k) % c.benchmarks:05d}"
        lo, step = rng.uniform(5, 40), rng.uniform(4, 14)
        scores = [round(lo + i * step + rng.uniform(-1, 1), 1) for i in range(len(SIZES))]
        models = family_models[fam]
        setting = rng.choice(SETTINGS)
        out["baselines"][rid] = {
            "schema_version": 1,
            "id": rid,
            "family": f"fam{fam:04d}",
            "benchmark": bench,
            "setting": setting,
            "points": [{"model": m, "score": s} for m, s in zip(models, scores, strict=True)],
            "source": _ref(rng, c.sources, "Figure"),
        }
        baselines.append((rid, models, scores, bench))

    for t in range(c.tradeoffs):
        rid = f"trade-{t:05d}"
        out["tradeoffs"][rid] = {
            "schema_version": 1,
            "id": rid,
            "technique": f"Technique {t}",
            "span_training_oom": round(rng.uniform(0, 3), 2),
            "span_inference_oom": round(rng.uniform(0, 3), 2),
            "approximate": rng.random() < 0.5,
            "effect_of_scale": _words(rng, 5, 15),
            "current_position": _words(rng, 5, 15),
            "source": _ref(rng, c.sources, "Table"),
        }

    all_models = [m for fam in family_models for m in fam]
    for e in range(c.enhancements):
        rid = f"enh-{e:05d}"
        evaluations = []
        for j in range(rng.randint(2, 6)):
            if rng.random() < 0.8:
                base_id, models, scores, bench = rng.choice(baselines)
                i = rng.randrange(len(models) - 1)
                model, base_score = models[i], scores[i]
                ev: dict[str, Any] = {"id": f"{model}-{bench}-{j}", "benchmark": bench, "model": model}
                ev["baseline"] = base_id
            else:
                model, bench = rng.choice(all_models), f"bench-{rng.randrange(c.benchmarks):05d}"
                base_score = round(rng.uniform(5, 80), 1)
                ev = {"id": f"{model}-{bench}-{j}", "benchmark": bench, "model": model}
            ev["setting"] = rng.choice(SETTINGS)
            ev["base_score"] = base_score
            ev["enhanced_score"] = round(min(99.9, base_score + rng.uniform(-2, 25)), 1)
            mc = compute.get(model)
            if rng.random() < 0.4:
                frac = _round(10 ** rng.uniform(-5, -1), 3)
                cost: dict[str, Any] = {}
                if mc is not None:
                    cost["flop"] = _round(frac * mc, 3)
                    cost["fraction_of_pretraining"] = frac
                    cost["basis"] = f"{cost['flop']:.3g} FLOP of fine-tuning over {mc:.3g} FLOP of pre-training."
                else:
                    cost["flop"] = _round(10 ** rng.uniform(17, 22), 3)
                    cost["basis"] = "Fine-tuning compute stated by the authors."
                ev["one_time_cost"] = cost
            if rng.random() < 0.7:
                mult = _round(10 ** rng.uniform(-0.5, 2), 3)
                ev["inference_cost_multiplier"] = {"value": mult, "basis": _words(rng, 4, 12)}
            if rng.random() < 0.2:
                rc: dict[str, Any] = {"kind": rng.choice(("point", "lower_bound"))}
                if rng.random() < 0.5:
                    rc["value"] = _round(10 ** rng.uniform(0, 2), 3)
                else:
                    low = _round(10 ** rng.uniform(0, 1), 3)
                    rc["low"], rc["high"] = low, _round(low * rng.uniform(1, 10), 3)
                rc["source"] = _ref(rng, c.sources, "Table")
                ev["reported_ceg"] = rc
            if rng.random() < 0.2:
                ev["uncertainty"] = {
                    "base_stderr": round(rng.uniform(0.1, 2), 2),
                    "enhanced_stderr": round(rng.uniform(0.1, 2), 2),
                    "n_samples": rng.randint(100, 5000),
                }
            ev["source"] = _ref(rng, c.sources, "Table")
            if rng.random() < 0.1:
                ev["notes"] = _words(rng, 5, 25)
            evaluations.append(ev)
        rec = {
            "schema_version": 1,
            "id": rid,
            "name": f"Enhancement {e}",
            "category": rng.choice(CATEGORIES),
            "description": _words(rng, 15, 60),
            "introduced_in": f"src-{rng.randrange(c.sources):05d}",
            "status": rng.choices(("active", "deprecated", "withdrawn"), (0.9, 0.07, 0.03))[0],
            "aliases": [f"E{e}"] if rng.random() < 0.3 else [],
            "tags": sorted({rng.choice(WORDS) for _ in range(rng.randint(0, 4))}),
            "evaluations": evaluations,
        }
        if rec["status"] != "active" and e > 0 and rng.random() < 0.5:
            rec["superseded_by"] = f"enh-{rng.randrange(e):05d}"  # an earlier id: chains end, never loop
        else:  # REC012: a retired enhancement names its successor, so one without is active
            rec["status"] = "active"
        out["enhancements"][rid] = rec
    assert math.isclose(sum(len(v) for v in out.values()), c.total)
    return out


def write(records: dict[str, dict[str, dict[str, Any]]], root: Path) -> int:
    """Write `records` under `root` (a records directory); returns the number of record files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "dataset.yaml").write_text(
        'dataset_version: v2026.01.0\ntitle: "ptedb synthetic benchmark data"\nlicense: CC-BY-4.0\n',
        encoding="utf-8",
    )
    n = 0
    for folder, items in records.items():
        (root / folder).mkdir(exist_ok=True)
        for rid, rec in items.items():
            text = yaml.dump(rec, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=100)
            (root / folder / f"{rid}.yaml").write_text(text, encoding="utf-8")
            n += 1
    return n


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of record files (at least 10)")
    parser.add_argument("dir", type=Path, help="records directory to create")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--force", action="store_true", help="replace DIR if it exists")
    args = parser.parse_args(argv)
    if args.n < 10:
        parser.error("N must be at least 10")
    if args.dir.exists() and any(args.dir.iterdir()):
        if not args.force:
            parser.error(f"{args.dir} exists and is not empty (use --force to replace it)")
        shutil.rmtree(args.dir)
    n = write(generate(args.n, args.seed), args.dir)
    print(f"wrote {n} record files to {args.dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
