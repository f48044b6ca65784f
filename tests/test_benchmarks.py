"""The benchmark harness: it runs end to end, and its target check reads the medians correctly.

No timing is asserted here (speed is measured by the harness itself, into benchmarks/results.md); these
tests keep the harness working and its verdicts honest.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from benchmarks.harness import Sample, Step, targets

ROOT = Path(__file__).resolve().parent.parent


def _step(name: str, *seconds: float, rss_mb: float = 100) -> Step:
    step = Step(name, lambda: [], ROOT)
    step.samples = [Sample(s, int(rss_mb * 1024), 0) for s in seconds]
    return step


def _verdicts(rows: list[str]) -> dict[str, str]:
    out = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) == 3 and cells[0] not in ("target", "---"):
            out[cells[0]] = cells[2]
    return out


def test_targets_are_judged_on_the_medians() -> None:
    results = {
        "real": [
            _step("libyaml floor", 0.5),
            _step("ptedb build (full)", 1.4, 1.5, 9.0),  # median 1.5 s: met (within)
            _step("ptedb build (no change)", 0.1),  # 6.7 %: met
        ],
        10_000: [
            _step("libyaml floor", 4.0, 4.0, 4.2),
            _step("ptedb validate", 3.0),
            _step("ptedb build (full)", 7.9, 8.0, 20.0),  # median 8.0 = 2x: met (within)
            _step("ptedb build (no change)", 0.9),  # 11.3 % of 8.0: not met
            _step("check-jsonschema", 30.0, rss_mb=2000),  # 10x validate: met; 2000 MiB: not met
        ],
    }
    verdicts = _verdicts(targets(results, _step("ptedb --help", 0.31)))
    assert verdicts == {
        "full build of the real records within 1.5 s": "yes",
        "full build at N = 10,000 within 2× the floor, one process": "yes",
        "no-change build within 10% of a full build (the real records)": "yes",
        "no-change build within 10% of a full build (N = 10,000)": "**no**",
        "validate at least 10× faster than check-jsonschema": "yes",
        "peak memory under 1 GiB": "**no**",
        "ptedb --help under 0.3 s": "**no**",
    }


def test_harness_runs_end_to_end(tmp_path: Path) -> None:
    report = tmp_path / "results.md"
    args = ["--sizes", "real", "10", "--repeat", "1", "--no-jsonschema", "--workdir", str(tmp_path / "work")]
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.harness", *args, "--output", str(report)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    text = report.read_text()
    for step in ("libyaml floor", "ptedb validate", "ptedb build (full)", "ptedb build (no change)"):
        assert f"| {step} |" in text
    assert "| full build of the real records within 1.5 s |" in text
    assert "| full build at N = 10 within 2× the floor, one process |" in text


def test_site_benchmark_runs_end_to_end() -> None:
    """The site benchmark had imported a module that moved (the link checker, now in tests/) and failed
    on start; it runs, and reports the site's size beside its times."""
    proc = subprocess.run(
        [sys.executable, "benchmarks/site_bench.py", "--enhancements", "4", "--evaluations", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "ptedb site:" in proc.stdout and "build + site:" in proc.stdout
    assert "site size:" in proc.stdout and "largest page" in proc.stdout
