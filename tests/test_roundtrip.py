"""Property: every value of a valid generated dataset comes out equal in Parquet and in DuckDB.

Text is drawn from all of Unicode (less lone surrogates, which UTF-8 cannot carry), so quotes, `<`, `&`,
`;`, `--`, newlines and non-ASCII names are all exercised; numbers from the whole finite range.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ptedb.loaders.parse import _FLOAT, _INT

from ptedb.build import build

TEXT = st.text(
    # Cc (controls) and the bidirectional embeddings, overrides and isolates are refused by SCH027; tab and
    # line feed, the whitespace it allows, are drawn too.
    st.characters(
        exclude_categories=("Cs", "Cc"),
        include_characters="\t\n",
        exclude_characters="".join(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])),
    ),
    min_size=1,
    max_size=40,
)
SCORE = st.floats(min_value=0, max_value=100, allow_nan=False, allow_infinity=False)
POSITIVE = st.floats(min_value=1e-300, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def datasets(draw: st.DrawFn) -> dict:
    n = draw(st.integers(min_value=2, max_value=4))
    computes = sorted(draw(st.lists(POSITIVE, min_size=n, max_size=n, unique=True)))
    scores = draw(st.lists(SCORE, min_size=n, max_size=n))
    enhanced = draw(st.lists(SCORE, min_size=n, max_size=n))
    return {
        "source_title": draw(TEXT),
        "authors": draw(st.lists(TEXT, min_size=1, max_size=3)),
        "model_names": draw(st.lists(TEXT, min_size=n, max_size=n)),
        "computes": computes,
        "scores": scores,
        "enhanced": enhanced,
        "description": draw(TEXT),
        "setting": draw(TEXT),
        "aliases": draw(st.lists(TEXT, max_size=3)),
        "notes": draw(st.one_of(st.none(), TEXT)),
        "multiplier": draw(st.one_of(st.none(), POSITIVE)),
    }


class _NoAliases(yaml.SafeDumper):
    """Contributors write no anchors (the loader refuses them), so neither may the generator. PyYAML
    quotes the strings that YAML 1.1 would read as something else; ptedb reads YAML 1.2's core schema, where
    `0E0` or `1e5` is a number too, so those strings are quoted as a contributor would have to."""

    def ignore_aliases(self, data: object) -> bool:
        return True

    def represent_str(self, data: str) -> yaml.ScalarNode:
        if _FLOAT.match(data) or _INT.match(data):
            return self.represent_scalar("tag:yaml.org,2002:str", data, style="'")
        return super().represent_str(data)


_NoAliases.add_representer(str, _NoAliases.represent_str)


def _write(root: Path, kind: str, rid: str, data: dict) -> None:
    path = root / "records" / kind / f"{rid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    # allow_unicode=False: the emitter then escapes NEL and U+2028/9, which YAML would otherwise read as
    # line breaks and fold; a contributor typing such a character raw gets YAML's folding, as in any tool.
    text = yaml.dump({"schema_version": 1, "id": rid, **data}, Dumper=_NoAliases, allow_unicode=False)
    path.write_text(text, encoding="utf-8")


def _materialize(root: Path, d: dict) -> None:
    (root / "records").mkdir(parents=True)
    (root / "records" / "dataset.yaml").write_text("dataset_version: v2026.01.0\ntitle: t\nlicense: CC-BY-4.0\n")
    ref = {"ref": "src", "locator": "Table 1"}
    _write(
        root,
        "sources",
        "src",
        {"title": d["source_title"], "authors": d["authors"], "year": 2024, "url": "https://example.org"},
    )
    for i, (name, c) in enumerate(zip(d["model_names"], d["computes"], strict=True)):
        _write(
            root,
            "models",
            f"m{i}",
            {
                "name": name,
                "family": "fam",
                "training_compute": {"flop": c, "basis": "reported", "source": ref},
            },
        )
    _write(
        root,
        "benchmarks",
        "b",
        {
            "name": "B",
            "metric": "accuracy",
            "unit": "percent",
            "higher_is_better": True,
            "min": 0.0,
            "max": 100.0,
            "chance": 0.0,
        },
    )
    _write(
        root,
        "baselines",
        "bl",
        {
            "family": "fam",
            "benchmark": "b",
            "setting": d["setting"],
            "source": ref,
            "points": [{"model": f"m{i}", "score": s} for i, s in enumerate(d["scores"])],
        },
    )
    evals = []
    for i, (s, e) in enumerate(zip(d["scores"], d["enhanced"], strict=True)):
        ev = {
            "id": f"e{i}",
            "benchmark": "b",
            "model": f"m{i}",
            "baseline": "bl",
            "setting": d["setting"],
            "base_score": s,
            "enhanced_score": e,
            "source": ref,
        }
        if d["notes"] is not None:
            ev["notes"] = d["notes"]
        if d["multiplier"] is not None:
            ev["inference_cost_multiplier"] = {"value": d["multiplier"], "basis": d["description"]}
        evals.append(ev)
    _write(
        root,
        "enhancements",
        "enh",
        {
            "name": "E",
            "category": "data",
            "description": d["description"],
            "introduced_in": "src",
            "aliases": d["aliases"],
            "evaluations": evals,
        },
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(datasets())
def test_values_round_trip(d: dict) -> None:
    root = Path(tempfile.mkdtemp())
    try:
        _materialize(root, d)
        result = build(root / "records", root / "dist")
        assert result.ok, [x.text() for x in result.diagnostics]
        pq_ev = pq.read_table(root / "dist" / "parquet" / "evaluations.parquet").to_pylist()
        con = duckdb.connect(str(root / "dist" / "ptedb.duckdb"), read_only=True)
        db_ev = con.execute(
            "SELECT local_id, base_score, enhanced_score, setting, notes, inference_cost_multiplier_value "
            "FROM evaluations ORDER BY evaluation_id"
        ).fetchall()
        for (lid, base, enh, setting, notes, mult), row in zip(db_ev, pq_ev, strict=True):
            i = int(lid[1:])
            assert row["local_id"] == lid
            assert base == row["base_score"] == d["scores"][i]
            assert enh == row["enhanced_score"] == d["enhanced"][i]
            assert setting == row["setting"] == d["setting"]
            assert notes == row["notes"] == d["notes"]
            assert mult == row["inference_cost_multiplier_value"] == d["multiplier"]
        enh_db = con.execute("SELECT description, aliases FROM enhancements").fetchone()
        enh_pq = pq.read_table(root / "dist" / "parquet" / "enhancements.parquet").to_pylist()[0]
        assert enh_db[0] == enh_pq["description"] == d["description"]
        assert list(enh_db[1]) == enh_pq["aliases"] == d["aliases"]
        src = con.execute("SELECT title, authors FROM sources").fetchone()
        assert src[0] == d["source_title"] and list(src[1]) == d["authors"]
        computes = [r[0] for r in con.execute("SELECT training_compute_flop FROM models ORDER BY id").fetchall()]
        assert computes == d["computes"]
        names = [r["name"] for r in pq.read_table(root / "dist" / "parquet" / "models.parquet").to_pylist()]
        assert names == d["model_names"]
        con.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)
