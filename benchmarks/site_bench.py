"""Benchmark the site build on 1,000 synthetic enhancements (target: under 90 s for records → site).

Usage:
    .venv/bin/python benchmarks/site_bench.py [--enhancements 1000] [--evaluations 3] [--keep DIR]

Writes valid synthetic records (ptedb.site.synthetic) into a temporary folder, runs `ptedb build` and
then `ptedb site` on them in-process, and prints the time of each step and the size of the site (its
pages, its total and its largest page: what a reader downloads grows with the data too). Exits 1 when
the total time exceeds the target, so it can guard a CI job if wanted. The links of a built site are
checked by the tests (tests/linkcheck.py), not here.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

TARGET_SECONDS = 90.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enhancements", type=int, default=1000)
    parser.add_argument("--evaluations", type=int, default=3, help="evaluations per enhancement")
    parser.add_argument("--keep", type=Path, help="build here and keep the result (default: a temporary folder)")
    args = parser.parse_args()

    from ptedb.site import build_site
    from ptedb.site.synthetic import write_records

    from ptedb.build import build

    with tempfile.TemporaryDirectory(prefix="ptedb-site-bench-") as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        records = write_records(root, args.enhancements, evaluations_per_enhancement=args.evaluations)
        t1 = time.perf_counter()
        result = build(records, root / "dist")
        if result.diagnostics:
            for d in result.diagnostics[:20]:
                print(d, file=sys.stderr)
            print("synthetic records failed validation", file=sys.stderr)
            return 1
        t2 = time.perf_counter()
        site = build_site(root / "dist")
        t3 = time.perf_counter()
        files = [f for f in site.site_dir.rglob("*") if f.is_file()]
        total_bytes = sum(f.stat().st_size for f in files)
        largest = max((f for f in files if f.suffix == ".html"), key=lambda f: f.stat().st_size)
        largest_text = f"{largest.relative_to(site.site_dir)} {largest.stat().st_size / 1e3:.0f} KB"
    n_eval = args.enhancements * args.evaluations
    total = t3 - t1
    print(f"synthetic records: {args.enhancements} enhancements, {n_eval} evaluations (written in {t1 - t0:.1f} s)")
    print(f"ptedb build:       {t2 - t1:6.1f} s")
    print(
        f"ptedb site:        {t3 - t2:6.1f} s  ({site.pages} pages; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in site.timings.items())
        + ")"
    )
    print(f"build + site:      {total:6.1f} s  (target < {TARGET_SECONDS:.0f} s)")
    print(f"site size:         {total_bytes / 1e6:6.1f} MB in {len(files)} files; largest page {largest_text}")
    return 0 if total < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
