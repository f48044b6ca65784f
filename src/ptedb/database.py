"""The DuckDB file: tables with DDL and comments from the column registry, `_meta`, views and macros.

The macros restate the trade-off formulas of `ptedb.tradeoff` in SQL so that people who only have the
DuckDB file (attached read-only from a URL, say) can ask the same questions; a test holds the two to
1e-9 of each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from ptedb.schema.columns import KINDS, TABLES

STORAGE_VERSION = "v1.5.0"
"""The oldest DuckDB whose readers the release database must open."""
BLOCK_SIZE = "16384"


def quote_literal(text: str) -> str:
    """A SQL string literal; the only escape DuckDB needs inside single quotes is doubling them."""
    return "'" + text.replace("'", "''") + "'"


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def ddl(name: str) -> str:
    spec = TABLES[name]
    cols = [f"  {quote_ident(c.name)} {KINDS[c.kind].sql}{'' if c.nullable else ' NOT NULL'}" for c in spec.columns]
    pk = ", ".join(quote_ident(k) for k in spec.primary_key)
    return f"CREATE TABLE {quote_ident(name)} (\n" + ",\n".join([*cols, f"  PRIMARY KEY ({pk})"]) + "\n)"


_HEADLINE_COUNTS = """
               count(*) FILTER (WHERE c.ceg_kind = 'point') AS points,
               median(c.ceg) FILTER (WHERE c.ceg_kind = 'point') AS median_point_ceg,
               quantile_cont(c.ceg, 0.25) FILTER (WHERE c.ceg_kind = 'point') AS p25_point_ceg,
               quantile_cont(c.ceg, 0.75) FILTER (WHERE c.ceg_kind = 'point') AS p75_point_ceg,
               count(*) FILTER (WHERE c.ceg_kind = 'lower_bound') AS lower_bounds,
               max(c.ceg) FILTER (WHERE c.ceg_kind = 'lower_bound') AS largest_lower_bound,
               count(*) FILTER (WHERE c.ceg_kind = 'upper_bound') AS upper_bounds,
               min(c.ceg) FILTER (WHERE c.ceg_kind = 'upper_bound') AS smallest_upper_bound,
               count(*) FILTER (WHERE c.ceg_kind = 'none') AS without_headline"""

VIEWS: dict[str, tuple[str, str]] = {
    "evaluations_ceg": (
        "Every evaluation with its enhancement, benchmark, model, costs and ptedb's headline CEG (a point, a "
        "bound or none, as ceg_kind says).",
        """
        SELECT e.evaluation_id, e.enhancement_id, h.name AS enhancement_name, h.category,
               e.benchmark_id, b.name AS benchmark_name, e.model_id, m.name AS model_name,
               e.setting, e.base_score, e.enhanced_score,
               e.one_time_cost_flop, e.one_time_cost_fraction_of_pretraining,
               e.inference_cost_multiplier_value AS inference_cost_multiplier,
               e.memory_multiplier_value AS memory_multiplier,
               c.base_compute_flop, c.ceg, c.ceg_kind, c.ceg_p05, c.ceg_p95, c.curve,
               c.lower_bound, c.upper_bound, c.reason, c.reported_ceg, e.source_id, e.source_locator
        FROM evaluations e
        JOIN enhancements h ON h.id = e.enhancement_id
        JOIN ceg c ON c.evaluation_id = e.evaluation_id
        LEFT JOIN benchmarks b ON b.id = e.benchmark_id
        LEFT JOIN models m ON m.id = e.model_id
        """,
    ),
    "ceg_by_enhancement": (
        "Per enhancement: point headlines and bounds counted apart (a median over bounds is not a median): the "
        "median and quartiles of the points, the largest lower bound, the smallest upper bound.",
        f"""
        SELECT h.id AS enhancement_id, h.name, h.category, count(c.evaluation_id) AS evaluations,{_HEADLINE_COUNTS}
        FROM enhancements h LEFT JOIN ceg c ON c.enhancement_id = h.id
        GROUP BY ALL ORDER BY h.category, h.id
        """,
    ),
    "ceg_by_category": (
        "Per category: point headlines and bounds counted apart, as in ceg_by_enhancement.",
        f"""
        SELECT c.category, count(*) AS evaluations,{_HEADLINE_COUNTS}
        FROM ceg c GROUP BY ALL ORDER BY c.category
        """,
    ),
    "ceg_by_compute": (
        "Per enhancement and order of magnitude of the base model's pre-training compute: how the headline "
        "changes with scale (an enhancement can hurt small models and help large ones).",
        f"""
        SELECT c.enhancement_id, c.category, floor(log10(c.base_compute_flop))::INTEGER AS log10_base_compute,
               count(*) AS evaluations,{_HEADLINE_COUNTS}
        FROM ceg c WHERE c.base_compute_flop IS NOT NULL
        GROUP BY ALL ORDER BY c.enhancement_id, log10_base_compute
        """,
    ),
    "tradeoff_points": (
        "Orders of magnitude of training compute saved (log10 CEG) against inference compute spent "
        "(log10 of the inference multiplier), one row per evaluation with a point headline.",
        """
        SELECT c.evaluation_id, c.enhancement_id, c.category, c.ceg, c.ceg_p05, c.ceg_p95,
               e.inference_cost_multiplier_value AS inference_cost_multiplier,
               e.one_time_cost_fraction_of_pretraining,
               training_oom_saved(c.ceg) AS training_oom_saved,
               inference_oom_spent(e.inference_cost_multiplier_value) AS inference_oom_spent
        FROM ceg c JOIN evaluations e USING (evaluation_id)
        WHERE c.ceg_kind = 'point'
        """,
    ),
}

# The cases of ptedb.tradeoff's break-even, with its tolerance: two costs within a relative 1e-9 are
# equal (as math.isclose), so that rounding in the last bit cannot turn "equal" into "never".
_SAME_PER_INFERENCE = "abs(multiplier - sqrt(ceg)) <= 1e-9 * greatest(abs(multiplier), abs(sqrt(ceg)))"
_SAME_UP_FRONT = "abs(ceg - (1.0 + one_time_fraction)) <= 1e-9 * greatest(abs(ceg), abs(1.0 + one_time_fraction))"

MACROS: dict[str, tuple[str, str]] = {
    "training_oom_saved": (
        "Orders of magnitude of pre-training compute an enhancement is worth: log10(ceg).",
        "(ceg) AS CASE WHEN ceg > 0 THEN log10(ceg) END",
    ),
    "inference_oom_spent": (
        "Orders of magnitude of extra inference compute: log10(multiplier).",
        "(multiplier) AS CASE WHEN multiplier > 0 THEN log10(multiplier) END",
    ),
    "inference_compute_estimate": (
        "Compute of one inference in FLOP, by the rule of thumb I ≈ sqrt(C) (Villalobos & Atkinson 2023).",
        "(training_compute) AS sqrt(training_compute)",
    ),
    "lifecycle_enhanced": (
        "Lifetime compute (FLOP) of enhancing a model trained with C: C·(1+f) + Q·m·I "
        "(I, FLOP per inference, defaults to sqrt(C)).",
        "(training_compute, one_time_fraction, multiplier, inferences, inference_compute := NULL) AS "
        "training_compute * (1 + one_time_fraction) "
        "+ inferences * multiplier * coalesce(inference_compute, sqrt(training_compute))",
    ),
    "lifecycle_scaled": (
        "Lifetime compute (FLOP) of training a model with CEG·C instead: CEG·C + Q·sqrt(CEG)·I "
        "(I defaults to sqrt(C)).",
        "(training_compute, ceg, inferences, inference_compute := NULL) AS "
        "ceg * training_compute + inferences * sqrt(ceg) * coalesce(inference_compute, sqrt(training_compute))",
    ),
    "break_even_inferences": (
        "Number of inferences Q at which enhancing and scaling cost the same: "
        "C·(CEG − 1 − f) / (I·(m − sqrt(CEG))); 0 when equal up front; NULL when they never cross at Q ≥ 0.",
        "(training_compute, ceg, one_time_fraction, multiplier, inference_compute := NULL) AS "
        f"CASE WHEN {_SAME_PER_INFERENCE} THEN (CASE WHEN {_SAME_UP_FRONT} THEN 0.0 END) "
        f"WHEN {_SAME_UP_FRONT} THEN 0.0 "
        "WHEN training_compute * (ceg - (1.0 + one_time_fraction)) "
        "/ (coalesce(inference_compute, sqrt(training_compute)) * (multiplier - sqrt(ceg))) < 0 THEN NULL "
        "ELSE training_compute * (ceg - (1.0 + one_time_fraction)) "
        "/ (coalesce(inference_compute, sqrt(training_compute)) * (multiplier - sqrt(ceg))) END",
    ),
}


def _insert(con: Any, name: str, table: pa.Table) -> None:
    spec = TABLES[name]
    # The primary key is added after the rows: DuckDB then builds its index in one pass, where
    # inserting into an indexed table costs 3-5x as much (0.15 s for the ceg table at N=10,000).
    create, _ = ddl(name).rsplit(",\n  PRIMARY KEY", 1)
    con.execute(create + "\n)")
    con.register("_incoming", table)
    cols = ", ".join(quote_ident(c.name) for c in spec.columns)
    con.execute(f"INSERT INTO {quote_ident(name)} ({cols}) SELECT {cols} FROM _incoming")
    con.unregister("_incoming")
    pk = ", ".join(quote_ident(k) for k in spec.primary_key)
    con.execute(f"ALTER TABLE {quote_ident(name)} ADD PRIMARY KEY ({pk})")
    con.execute(f"COMMENT ON TABLE {quote_ident(name)} IS {quote_literal(spec.description)}")
    for c in spec.columns:
        con.execute(f"COMMENT ON COLUMN {quote_ident(name)}.{quote_ident(c.name)} IS {quote_literal(c.description)}")


def _finish(con: Any, meta: dict[str, str]) -> None:
    con.execute("CREATE TABLE _meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)")
    con.executemany("INSERT INTO _meta VALUES (?, ?)", sorted(meta.items()))
    con.execute(
        "COMMENT ON TABLE _meta IS 'Build facts: dataset_version, schema_version, built_from (git revision), "
        "records_sha256, built_at, ptedb_version.'"
    )
    for name, (comment, body) in MACROS.items():
        con.execute(f"CREATE MACRO {name}{body}")
        con.execute(f"COMMENT ON MACRO {name} IS {quote_literal(comment)}")
    for name, (comment, body) in VIEWS.items():
        con.execute(f"CREATE VIEW {name} AS {body}")
        con.execute(f"COMMENT ON VIEW {name} IS {quote_literal(comment)}")
    con.execute("CHECKPOINT")


def _connect(path: Path) -> Any:
    import duckdb

    # One thread: the tables are a few thousand rows, too small for more threads to gain anything. The
    # file is written in a storage format DuckDB 1.5 can read, so that readers still on 1.x (the
    # command-line tool, the httpfs builds on the package registry) open the release too. Blocks of 16 KiB
    # rather than 256 KiB: each of the few dozen small tables and columns takes whole blocks, so the default
    # made the file 6.3 MB for 0.5 MB of Parquet; at 16 KiB it is about 1.7 MB, and a reader attaching it
    # over HTTP fetches smaller ranges.
    return duckdb.connect(
        str(path),
        config={"threads": 1, "storage_compatibility_version": STORAGE_VERSION, "default_block_size": BLOCK_SIZE},
    )


def write_database(path: Path, tables: dict[str, pa.Table], meta: dict[str, str]) -> None:
    con = _connect(path)
    try:
        for name, table in tables.items():
            _insert(con, name, table)
        _finish(con, meta)
    finally:
        con.close()
