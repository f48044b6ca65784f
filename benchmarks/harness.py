"""Time ptedb against the libyaml floor and against check-jsonschema, at several dataset sizes.

    python -m benchmarks.harness --sizes 100 1000 10000 --repeat 3 [--jobs 2] [--no-pin-one-core]

For each size N, a synthetic records directory is generated (`benchmarks.generate`, untimed), then every
step below runs as its own process, `--repeat` times, the repeats interleaved so that drift in the
machine's speed spreads over all steps alike:

* floor: `yaml.load(..., CSafeLoader)` over every file (`python -m benchmarks.floor`);
* `ptedb validate`;
* `ptedb build` into an output folder that does not exist yet (a full build);
* `ptedb build` again on unchanged input (the no-change rebuild);
* `ptedb validate --jobs J` and the two builds with `--jobs J`, when `ptedb validate --help` and
  `ptedb build --help` list a `--jobs` option;
* `check-jsonschema` with the committed `schema/*.schema.json`, one invocation per record kind (as a
  pre-commit hook would run it), times summed;

and `ptedb --help` once per repeat, for start-up time. Every figure is wall-clock time of whole processes
(interpreter start-up included, for the floor too). Peak memory is the largest resident set of the
step's processes, read from `wait4`. The report — medians, minimums, ratios to the floor and peak
memory, as Markdown — is printed and written to benchmarks/results.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from benchmarks.generate import counts, generate, write

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SCHEMA_OF_FOLDER = {
    "enhancements": "enhancement",
    "models": "model",
    "benchmarks": "benchmark",
    "baselines": "baseline",
    "sources": "source",
    "tradeoffs": "tradeoff",
}


@dataclass
class Sample:
    seconds: float
    max_rss_kb: int
    rc: int
    stderr: str = ""


@dataclass
class Step:
    name: str
    commands: Callable[[], list[list[str]]]
    cwd: Path
    prepare: Callable[[], None] | None = None
    pin: bool = False
    samples: list[Sample] = field(default_factory=list)

    @property
    def failed(self) -> Sample | None:
        return next((s for s in self.samples if s.rc != 0), None)

    @property
    def median(self) -> float:
        return statistics.median(s.seconds for s in self.samples)

    @property
    def minimum(self) -> float:
        return min(s.seconds for s in self.samples)

    @property
    def peak_mb(self) -> float:
        return max(s.max_rss_kb for s in self.samples) / 1024


def _tool(name: str) -> str | None:
    candidate = BIN / name
    if candidate.exists():
        return str(candidate)
    return shutil.which(name)


def run_process(cmd: list[str], cwd: Path, *, pin: bool = False) -> Sample:
    """Run one process; wall time and the peak RSS of it (and of any children it waited for)."""
    cpu = min(os.sched_getaffinity(0))

    def preexec() -> None:
        if pin:
            os.sched_setaffinity(0, {cpu})

    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, preexec_fn=preexec)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read()[-2000:].decode("utf-8", "replace")
    return Sample(seconds, usage.ru_maxrss, proc.returncode, tail)


def run_step(step: Step) -> None:
    if step.prepare:
        step.prepare()
    total, peak, rc, tail = 0.0, 0, 0, ""
    for cmd in step.commands():
        s = run_process(cmd, step.cwd, pin=step.pin)
        total += s.seconds
        peak = max(peak, s.max_rss_kb)
        if s.rc != 0 and rc == 0:
            rc, tail = s.rc, f"$ {' '.join(cmd[:4])} ...\n{s.stderr}"
    step.samples.append(Sample(total, peak, rc, tail))


def supports_jobs(ptedb: str, command: str) -> bool:
    """True when `ptedb COMMAND --help` lists a --jobs option."""
    proc = subprocess.run(
        [ptedb, command, "--help"], capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}
    )
    return "--jobs" in proc.stdout


def _rmtree(path: Path) -> Callable[[], None]:
    def go() -> None:
        shutil.rmtree(path, ignore_errors=True)
        lock = path.parent / f".{path.name}.lock"
        lock.unlink(missing_ok=True)

    return go


def _jsonschema_commands(tool: str, records: Path) -> Callable[[], list[list[str]]]:
    def commands() -> list[list[str]]:
        cmds = [[tool, "--schemafile", str(ROOT / "schema" / "dataset.schema.json"), str(records / "dataset.yaml")]]
        for folder, kind in SCHEMA_OF_FOLDER.items():
            files = sorted(str(p) for p in (records / folder).glob("*.yaml"))
            if files:
                cmds.append([tool, "--schemafile", str(ROOT / "schema" / f"{kind}.schema.json"), *files])
        return cmds

    return commands


def prepare_records(workdir: Path, n: int, seed: int) -> Path:
    """Generate (or reuse) the records directory for size N."""
    records = workdir / f"n{n}" / "records"
    stamp = records / ".generated"
    want = f"{n} {seed}\n"
    if stamp.is_file() and stamp.read_text() == want:
        return records
    shutil.rmtree(records, ignore_errors=True)
    write(generate(n, seed), records)
    stamp.write_text(want)
    return records


def steps_for(
    records: Path, ptedb: str, jobs: list[int], validate_jobs: list[int], jsonschema: str | None, pin: bool
) -> list[Step]:
    base = records.parent
    out = base / "dist"
    py = sys.executable
    steps = [
        Step("libyaml floor", lambda: [[py, "-m", "benchmarks.floor", str(records)]], ROOT, pin=pin),
        Step("ptedb validate", lambda: [[ptedb, "validate", "--records", str(records)]], base, pin=pin),
        Step(
            "ptedb build (full)",
            lambda: [[ptedb, "build", "--records", str(records), "--out", str(out)]],
            base,
            prepare=_rmtree(out),
            pin=pin,
        ),
        Step(
            "ptedb build (no change)",
            lambda: [[ptedb, "build", "--records", str(records), "--out", str(out)]],
            base,
            pin=pin,
        ),
    ]
    for j in validate_jobs:
        cmd = [ptedb, "validate", "--records", str(records), "--jobs", str(j)]
        steps.append(Step(f"ptedb validate --jobs {j}", lambda cmd=cmd: [cmd], base))
    for j in jobs:
        out_j = base / f"dist-j{j}"
        cmd = [ptedb, "build", "--records", str(records), "--out", str(out_j), "--jobs", str(j)]
        steps.append(Step(f"ptedb build --jobs {j} (full)", lambda cmd=cmd: [cmd], base, prepare=_rmtree(out_j)))
        steps.append(Step(f"ptedb build --jobs {j} (no change)", lambda cmd=cmd: [cmd], base))
    if jsonschema:
        steps.append(Step("check-jsonschema", _jsonschema_commands(jsonschema, records), base, pin=pin))
    return steps


# --- report --------------------------------------------------------------------------------------


def _fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.2f}" if x < 100 else f"{x:.1f}"


def targets(results: dict[int, list[Step]], help_step: Step) -> list[str]:
    """The issue's targets, checked against the medians at the largest N measured."""
    n = max(results)
    by = {s.name: s for s in results[n]}
    floor = by["libyaml floor"].median
    rows: list[tuple[str, str, bool]] = []

    def ratio(name: str, limit: float, strict: bool, what: str) -> None:
        if name in by and not by[name].failed:
            r = by[name].median / floor
            rows.append((what, f"{r:.2f}× the floor", r < limit if strict else r <= limit))

    ratio("ptedb build (full)", 1.5, False, "full build within 1.5× the floor, one core")
    jobs_full = [name for name in by if name.startswith("ptedb build --jobs") and name.endswith("(full)")]
    for name in jobs_full:
        ratio(name, 1.0, True, f"{name.removeprefix('ptedb ').removesuffix(' (full)')}: full build below the floor")
    for full in ["ptedb build (full)", *jobs_full]:
        same = full.replace("(full)", "(no change)")
        if full in by and same in by:
            share = by[same].median / by[full].median
            rows.append((f"{same.removeprefix('ptedb ')} within 10% of a full build", f"{share:.1%}", share <= 0.10))
    if "check-jsonschema" in by and "ptedb validate" in by:
        speedup = by["check-jsonschema"].median / by["ptedb validate"].median
        rows.append(("validate at least 10× faster than check-jsonschema", f"{speedup:.1f}×", speedup >= 10))
    peak = max(s.peak_mb for s in results[n])
    rows.append(("peak memory under 1 GiB", f"{peak:.0f} MiB", peak < 1024))
    rows.append(("ptedb --help under 0.3 s", f"{help_step.median:.3f} s", help_step.median < 0.3))
    out = [f"## Targets at N = {n:,}", "", "| target | measured | met |", "| --- | ---: | :---: |"]
    out += [f"| {what} | {value} | {'yes' if ok else '**no**'} |" for what, value, ok in rows]
    return out


def render(results: dict[int, list[Step]], help_step: Step, meta: dict[str, str]) -> str:
    lines = ["# ptedb benchmark results", ""]
    lines += [f"- {k}: {v}" for k, v in meta.items()]
    lines += [
        "",
        "Wall-clock seconds of whole processes (interpreter start-up included), median of the repeats;",
        "× floor is the median over the libyaml floor's median at the same N; peak RSS is the largest",
        "resident set of the step's processes over all repeats.",
        "",
    ]

    sizes = list(results)
    names = [s.name for s in results[sizes[0]]]
    lines += ["## Side by side (median seconds, × floor)", ""]
    lines.append("| step | " + " | ".join(f"N = {n:,}" for n in sizes) + " |")
    lines.append("| --- | " + " | ".join("---:" for _ in sizes) + " |")
    for i, name in enumerate(names):
        cells = []
        for n in sizes:
            step = results[n][i]
            floor = results[n][0].median
            if step.failed:
                cells.append(f"failed (exit {step.failed.rc})")
            elif i == 0:
                cells.append(f"{_fmt_s(step.median)} (1.00×)")
            else:
                cells.append(f"{_fmt_s(step.median)} ({step.median / floor:.2f}×)")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append(
        f"| ptedb --help (start-up) | {_fmt_s(help_step.median)} s, median of {len(help_step.samples)} |"
        + " |" * (len(sizes) - 1)
    )
    lines.append("")

    lines += ["## Detail", ""]
    lines.append("| N | files | step | median s | min s | × floor | peak RSS MiB | runs |")
    lines.append("| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n, steps in results.items():
        floor = steps[0].median
        for step in steps:
            if step.failed:
                lines.append(f"| {n:,} | {counts(n).total + 1:,} | {step.name} | failed | | | | |")
                continue
            lines.append(
                f"| {n:,} | {counts(n).total + 1:,} | {step.name} | {_fmt_s(step.median)} | {_fmt_s(step.minimum)} "
                f"| {step.median / floor:.2f} | {step.peak_mb:.0f} | {len(step.samples)} |"
            )
    lines.append(
        f"| — | — | ptedb --help | {_fmt_s(help_step.median)} | {_fmt_s(help_step.minimum)} | | "
        f"{help_step.peak_mb:.0f} | {len(help_step.samples)} |"
    )

    lines += ["", *targets(results, help_step)]

    failures = [(n, s) for n, steps in results.items() for s in steps if s.failed]
    if failures:
        lines += ["", "## Failures", ""]
        for n, s in failures:
            assert s.failed is not None
            lines += [f"N = {n}, {s.name}:", "", "```", s.failed.stderr.strip(), "```", ""]
    return "\n".join(lines) + "\n"


SOURCE_DIRS = ("src", "loaders", "validation", "schema", "site", "benchmarks")


def compile_bytecode() -> str:
    """Compile ptedb's modules to bytecode before timing anything.

    Python caches bytecode beside the sources on first import, unless PYTHONDONTWRITEBYTECODE is set
    (as in some sandboxes and CI images): then every run of an editable install compiles ptedb's
    5,000 lines anew, about 0.1 s that no installed copy pays. compileall writes the cache either
    way; sources changed later are recompiled as usual."""
    import compileall

    ok = all(compileall.compile_dir(ROOT / d, quiet=1) for d in SOURCE_DIRS if (ROOT / d).is_dir())
    setting = os.environ.get("PYTHONDONTWRITEBYTECODE") or "unset"
    return f"compiled before timing ({'ok' if ok else 'with errors'}); PYTHONDONTWRITEBYTECODE {setting}"


def _meta(
    args: argparse.Namespace, ptedb: str, jobs: list[int], jsonschema: str | None, bytecode: str
) -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True)
    version = subprocess.run([ptedb, "--version"], capture_output=True, text=True).stdout.strip()
    js_version = (
        subprocess.run([jsonschema, "--version"], capture_output=True, text=True).stdout.strip()
        if jsonschema
        else "not installed"
    )
    return {
        "date": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "machine": f"{cpu}, {len(os.sched_getaffinity(0))} CPUs available",
        "python": f"{platform.python_version()} ({sys.executable})",
        "ptedb": f"{version}, git {rev.stdout.strip() or 'unknown'}{' (dirty tree)' if dirty.stdout.strip() else ''}",
        "libyaml": f"{yaml.__version__} (C loader {'available' if yaml.__with_libyaml__ else 'MISSING'})",
        "ptedb's YAML fast path": _fast_path(ptedb),
        "check-jsonschema": js_version,
        "repeats": str(args.repeat),
        "pinned to one CPU": "yes (sched_setaffinity; --jobs steps excepted)" if args.pin_one_core else "no",
        "--jobs steps": ", ".join(map(str, jobs)) if jobs else "none (ptedb build has no --jobs option)",
        "seed": str(args.seed),
        "bytecode": bytecode,
    }


def _fast_path(ptedb: str) -> str:
    """Whether the ptedb being timed reads records with its C loop (loaders/_fastyaml.c) or in Python."""
    python = str(Path(ptedb).with_name("python"))
    probe = "from ptedb.loaders import yaml_strict as y; print(y.ACCELERATED)"
    done = subprocess.run([python, "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        return "unknown"
    return "C (loaders/_fastyaml.c)" if done.stdout.strip() == "True" else "Python (loaders/_fastyaml.c not built)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.harness", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--jobs", type=int, nargs="*", default=[2], help="--jobs values to time, when supported")
    parser.add_argument(
        "--pin-one-core",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the floor and the single-process steps on one CPU, as the one-core targets mean "
        "(default; --no-pin-one-core lets them use every CPU)",
    )
    parser.add_argument("--workdir", type=Path, help="keep generated records and outputs here (reused)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-jsonschema", action="store_true", help="skip check-jsonschema")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "results.md")
    args = parser.parse_args(argv)
    if args.repeat < 1 or any(n < 10 for n in args.sizes):
        parser.error("--repeat must be >= 1 and every size >= 10")

    ptedb = _tool("ptedb")
    if ptedb is None:
        parser.error("the ptedb command is not installed (pip install -e .)")
    jobs = args.jobs if supports_jobs(ptedb, "build") else []
    validate_jobs = args.jobs if supports_jobs(ptedb, "validate") else []
    jsonschema = None if args.no_jsonschema else _tool("check-jsonschema")
    if jsonschema is None and not args.no_jsonschema:
        print("check-jsonschema not installed: that step is skipped (pip install check-jsonschema)", file=sys.stderr)

    bytecode = compile_bytecode()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ptedb-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        results: dict[int, list[Step]] = {}
        for n in args.sizes:
            print(f"N = {n:,}: generating records ...", file=sys.stderr)
            records = prepare_records(workdir, n, args.seed)
            results[n] = steps_for(records, ptedb, jobs, validate_jobs, jsonschema, args.pin_one_core)
        help_step = Step("ptedb --help", lambda: [[ptedb, "--help"]], workdir)
        for r in range(args.repeat):
            run_step(help_step)
            for n, steps in results.items():
                for step in steps:
                    print(f"  repeat {r + 1}/{args.repeat}, N = {n:,}: {step.name} ...", file=sys.stderr, end="")
                    run_step(step)
                    s = step.samples[-1]
                    print(f" {s.seconds:.2f} s{'' if s.rc == 0 else f' FAILED (exit {s.rc})'}", file=sys.stderr)
        report = render(results, help_step, _meta(args, ptedb, jobs, jsonschema, bytecode))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print(report)
    args.output.write_text(report, encoding="utf-8")
    return 1 if any(s.failed for steps in results.values() for s in steps) else 0


if __name__ == "__main__":
    raise SystemExit(main())
