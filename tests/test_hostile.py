"""Hostile input: what a careless or malicious contributor can put in records/, and what ptedb must do.

The corpus under hostile/invalid/ holds small overlays onto fixtures/good (like fixtures/bad/, but
other cases: broken syntax, encodings, shapes, keys, tags, numbers, types, ids, file names and
references), each with an expect.json naming the code, file, field, position and words of the
message. Cases too large or too strange to commit (huge files, symlinks, FIFOs, odd file names) are
made at test time below. For every one, `ptedb validate` and `ptedb build` must

* exit 1, with no traceback, in under two seconds (timed in-process: interpreter start-up excluded);
* print the problem as `path:line:col CODE field: message`, every output line in that shape;
* leave an existing dist/ exactly as it was, with no temporary directory behind.

hostile/valid/ holds awkward inputs that are valid — a UTF-8 BOM, CRLF line ends, non-ASCII text, HTML
and SQL metacharacters in every free-text field, every legal YAML style — which must build, with each
text value stored verbatim in Parquet, DuckDB and CSV.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from conftest import GOOD, invoke, run, tree_digest

from ptedb.writers import FORMULA_LEAD

HOSTILE = Path(__file__).parent / "hostile"
INVALID = HOSTILE / "invalid"
VALID = HOSTILE / "valid"
TIME_LIMIT_S = 2.0

LOCATED = re.compile(r"^(?P<path>.+?):(?P<line>\d+):(?P<column>\d+) (?P<code>(?:SCH|REC|REF|DS)\d{3}) (?P<rest>.*)$")
SUMMARY = re.compile(r"^\d+ problems? in \d+ files? \(\d+ files checked\)")

Expect = dict[str, Any]


# --- the shared project: the good fixture with a dist/ built once ----------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("hostile") / "proj"
    shutil.copytree(GOOD, dest)
    result = invoke(["build"], dest)
    assert result.exit_code == 0, result.output
    return dest


@pytest.fixture
def proj(template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the template project, dist/ included."""
    dest = tmp_path / "proj"
    shutil.copytree(template, dest, symlinks=True)
    return dest


# --- checks ---------------------------------------------------------------------------------------


def _timed(args: list[str], project: Path) -> tuple[Any, float]:
    start = time.perf_counter()
    result = invoke(args, project)
    return result, time.perf_counter() - start


def _matches(line: str, exp: Expect) -> bool:
    if exp.get("anywhere"):  # the file name itself holds ':1:1 CODE': look for the code anywhere in the line
        return line.startswith(f"records/{exp['folder']}/") and f" {exp['code']} " in line and exp["message"] in line
    m = LOCATED.match(line)
    if not m or m["code"] != exp["code"] or exp["message"] not in line:
        return False
    if exp.get("file") is not None and m["path"] != f"records/{exp['file']}":
        return False
    if exp.get("folder") is not None and not m["path"].startswith(f"records/{exp['folder']}/"):
        return False
    if exp.get("line") is not None and int(m["line"]) != exp["line"]:
        return False
    if exp.get("column") is not None and int(m["column"]) != exp["column"]:
        return False
    return not exp.get("field") or m["rest"].startswith(f"{exp['field']}: ")


def _well_formed(line: str) -> bool:
    """A located diagnostic about a file under records/, or the closing summary."""
    m = LOCATED.match(line)
    return bool(m and m["path"].startswith("records/")) or bool(SUMMARY.match(line))


def assert_rejected(project: Path, exp: Expect) -> None:
    """validate and build both refuse the records, with the expected located message, quickly."""
    dist = project / "dist"
    before = tree_digest(dist)
    assert before, "the template project has a built dist/"
    for command in ("validate", "build"):
        result, seconds = _timed([command], project)
        output = result.stdout + result.stderr
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{command} raised {result.exception!r}"
        )
        assert "Traceback" not in output
        assert result.exit_code == 1, f"{command} exited {result.exit_code}:\n{output}"
        lines = result.stderr.splitlines()
        assert any(_matches(ln, exp) for ln in lines), f"{command}: expected {exp} in:\n{result.stderr[:3000]}"
        malformed = [ln for ln in lines if not _well_formed(ln)]
        assert not malformed, f"{command}: lines not in 'path:line:col CODE' form: {malformed[:5]}"
        assert seconds < TIME_LIMIT_S, f"{command} took {seconds:.2f} s"
        for secret in exp.get("forbidden", ()):
            assert secret not in output, f"{command} printed {secret!r}"
    assert tree_digest(dist) == before, "dist/ changed"
    assert not list(project.glob(".dist.tmp-*")), "a temporary build directory was left behind"


def _apply(case_dir: Path, project: Path) -> Expect:
    shutil.copytree(case_dir / "records", project / "records", dirs_exist_ok=True)
    return json.loads((case_dir / "expect.json").read_text(encoding="utf-8"))


def _params(root: Path) -> Iterator[Any]:
    for case_dir in sorted(p for p in root.iterdir() if p.is_dir()):
        exp = json.loads((case_dir / "expect.json").read_text(encoding="utf-8")) if root == INVALID else {}
        marks = [pytest.mark.xfail(strict=True, reason=exp["xfail"])] if exp.get("xfail") else []
        yield pytest.param(case_dir.name, marks=marks, id=case_dir.name)


# --- the committed corpus -------------------------------------------------------------------------


def test_corpus_is_large_and_distinct_from_the_rule_fixtures() -> None:
    cases = [p for p in INVALID.iterdir() if p.is_dir()]
    assert len(cases) + len(GENERATED) >= 40
    bad = GOOD.parent / "bad"
    rule_fixtures = {  # the overlay's files, expect.json included
        tuple(sorted((f.relative_to(d).as_posix(), f.read_bytes()) for f in d.rglob("*.yaml")))
        for d in bad.iterdir()
        if d.is_dir()
    }
    for case in cases:
        files = tuple(sorted((f.relative_to(case).as_posix(), f.read_bytes()) for f in case.rglob("*") if f.is_file()))
        assert files not in rule_fixtures, f"{case.name} repeats a fixture in fixtures/bad"
        exp = json.loads((case / "expect.json").read_text(encoding="utf-8"))
        assert {"code", "file", "field", "message"} <= set(exp), case.name


@pytest.mark.parametrize("case", list(_params(INVALID)))
def test_invalid_case_is_rejected(case: str, proj: Path) -> None:
    exp = _apply(INVALID / case, proj)
    assert_rejected(proj, exp)


@pytest.mark.parametrize("case", ["sch001-control-character", "sch002-overlong-slash"])
def test_real_process_prints_no_traceback(case: str, proj: Path) -> None:
    """Encoding trouble and the C parser's errors, through a real interpreter and real pipes."""
    exp = _apply(INVALID / case, proj)
    proc = run(["validate"], proj, timeout=60)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert f" {exp['code']} " in proc.stderr


# --- cases made at test time ----------------------------------------------------------------------

RECORDS = "records"
SOURCE = "sources/doe-2024-toy.yaml"
ENHANCEMENT = "enhancements/toy-prompting.yaml"
MODEL = "models/toy-1b.yaml"


def _read(project: Path, rel: str) -> bytes:
    return (project / RECORDS / rel).read_bytes()


def _write(project: Path, rel: str, data: bytes) -> None:
    (project / RECORDS / rel).write_bytes(data)


def huge_description(project: Path) -> Expect:
    text = _read(project, ENHANCEMENT).replace(
        b'description: "A prompt that helps."', b'description: "' + b"x" * 900_000 + b'"'
    )
    _write(project, ENHANCEMENT, text)
    return {"code": "SCH023", "file": ENHANCEMENT, "field": "description", "message": "at most 20000", "line": 5}


def one_byte_over_the_limit(project: Path) -> Expect:
    from ptedb.loaders.parse import MAX_FILE_BYTES

    text = _read(project, SOURCE)
    text += b"#" * (MAX_FILE_BYTES + 1 - len(text) - 1) + b"\n"
    assert len(text) == MAX_FILE_BYTES + 1
    _write(project, SOURCE, text)
    return {"code": "SCH003", "file": SOURCE, "field": "", "message": "limit", "line": 1, "column": 1}


def sparse_300_mb(project: Path) -> Expect:
    with (project / RECORDS / "sources" / "big.yaml").open("wb") as fh:
        fh.truncate(300_000_000)
    return {"code": "SCH003", "file": "sources/big.yaml", "field": "", "message": "300,000,000 bytes"}


def deep_flow_nesting(project: Path) -> Expect:
    text = _read(project, SOURCE).replace(b'venue: "Test Proceedings"', b"venue: " + b"[" * 400_000 + b"]" * 400_000)
    _write(project, SOURCE, text)
    return {"code": "SCH008", "file": SOURCE, "field": "", "message": "nesting deeper", "line": 9}


def deep_block_nesting(project: Path) -> Expect:
    lines = [f"{'  ' * i}k{i}:" for i in range(100)]
    text = _read(project, SOURCE) + ("\n".join(lines) + " 1\n").encode()
    _write(project, SOURCE, text)
    return {"code": "SCH008", "file": SOURCE, "field": "", "message": "nesting deeper"}


def long_key_without_colon(project: Path) -> Expect:
    text = _read(project, SOURCE).replace(b'venue: "Test Proceedings"', b"k" * 900_000 + b" 1")
    _write(project, SOURCE, text)
    return {"code": "SCH001", "file": SOURCE, "field": "", "message": "YAML syntax error"}


def many_unknown_keys(project: Path) -> Expect:
    """About 105,000 distinct unknown keys in a file under the size limit: reported fast, or capped."""
    text = _read(project, SOURCE) + b"".join(b"%x: 1\n" % (i + 0x10000) for i in range(105_000))
    _write(project, SOURCE, text)
    return {"code": "SCH021", "file": SOURCE, "field": "", "message": "unknown field"}


def many_broken_references(project: Path) -> Expect:
    """7,000 evaluations, each naming a benchmark that does not exist."""
    ev = (
        b"  - {id: e%d, benchmark: nope, model: toy-1b, setting: s, base_score: 1, enhanced_score: 2,"
        b" source: {ref: doe-2024-toy, locator: t}}\n"
    )
    head = _read(project, ENHANCEMENT).split(b"evaluations:")[0]
    _write(project, ENHANCEMENT, head + b"evaluations:\n" + b"".join(ev % i for i in range(7_000)))
    return {"code": "REF003", "file": ENHANCEMENT, "field": "evaluations[6999].benchmark", "message": "unknown"}


def symlink_to_system_file(project: Path) -> Expect:
    os.symlink("/etc/passwd", project / RECORDS / "sources" / "passwd.yaml")
    return {"code": "SCH026", "file": "sources/passwd.yaml", "field": "", "message": "a link"}


def symlinked_folder(project: Path) -> Expect:
    """A kind's folder linked to a system folder is refused, not listed."""
    shutil.rmtree(project / RECORDS / "tradeoffs")
    os.symlink("/etc", project / RECORDS / "tradeoffs")
    return {"code": "SCH026", "file": "tradeoffs", "field": "", "message": "link", "forbidden": ["passwd"]}


def symlinked_dataset_file(project: Path, tmp: Path) -> Expect:
    """dataset.yaml linked to a file outside the repository: refused, and nothing of it is shown."""
    secret = tmp / "outside" / "secret.env"
    secret.parent.mkdir()
    secret.write_text("API_TOKEN=do-not-print-me\n")
    (project / RECORDS / "dataset.yaml").unlink()
    os.symlink(secret, project / RECORDS / "dataset.yaml")
    return {"code": "SCH026", "file": "dataset.yaml", "field": "", "message": "link", "forbidden": ["do-not-print-me"]}


def fifo_record(project: Path) -> Expect:
    os.mkfifo(project / RECORDS / "sources" / "pipe.yaml")
    return {"code": "SCH026", "file": "sources/pipe.yaml", "field": "", "message": "unexpected entry"}


def fifo_dataset_file(project: Path) -> Expect:
    (project / RECORDS / "dataset.yaml").unlink()
    os.mkfifo(project / RECORDS / "dataset.yaml")
    return {"code": "SCH026", "file": "dataset.yaml", "field": "", "message": "must be a regular file"}


def folder_named_like_a_record(project: Path) -> Expect:
    (project / RECORDS / "models" / "toy-7b.yaml").mkdir()
    return {"code": "SCH026", "file": "models/toy-7b.yaml", "field": "", "message": "a folder"}


def file_name_not_utf8(project: Path) -> Expect:
    folder = os.fsencode(project / RECORDS / "models")
    with open(folder + b"/toy-\xff\xfe.yaml", "wb") as fh:
        fh.write(_read(project, MODEL))
    return {"code": "SCH024", "file": None, "folder": "models", "field": "", "message": "not a valid id"}


def newline_in_file_name(project: Path) -> Expect:
    """A file name cannot forge a diagnostic line: the name is shown escaped."""
    name = "x\nforged.yaml:1:1 SCH999 all is well.yaml"
    (project / RECORDS / "models" / name).write_bytes(_read(project, MODEL))
    # One line, the newline shown as \n; a forged second line would fail the well-formedness check.
    return {
        "code": "SCH024",
        "file": None,
        "folder": "models",
        "field": "",
        "message": "not a valid id",
        "anywhere": True,
    }


GENERATED: dict[str, tuple[Callable[..., Expect], str | None]] = {
    "huge-description": (huge_description, None),
    "one-byte-over-the-limit": (one_byte_over_the_limit, None),
    "sparse-300-mb-file": (sparse_300_mb, None),
    "deep-flow-nesting": (deep_flow_nesting, None),
    "deep-block-nesting": (deep_block_nesting, None),
    "long-key-without-colon": (long_key_without_colon, None),
    "many-unknown-keys": (many_unknown_keys, None),
    "many-broken-references": (many_broken_references, None),
    "symlink-to-system-file": (symlink_to_system_file, None),
    "symlinked-folder": (symlinked_folder, None),
    "symlinked-dataset-file": (symlinked_dataset_file, None),
    "fifo-record": (fifo_record, None),
    "fifo-dataset-file": (fifo_dataset_file, None),
    "folder-named-like-a-record": (folder_named_like_a_record, None),
    "file-name-not-utf8": (file_name_not_utf8, None),
    "newline-in-file-name": (newline_in_file_name, None),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=[pytest.mark.xfail(strict=True, reason=why)] if why else [], id=n)
        for n, (_, why) in GENERATED.items()
    ],
)
def test_generated_case_is_rejected(name: str, proj: Path, tmp_path: Path) -> None:
    make, _ = GENERATED[name]
    exp = make(proj, tmp_path) if name == "symlinked-dataset-file" else make(proj)  # type: ignore[call-arg]
    assert_rejected(proj, exp)


# --- links to endless files: run in a real, time- and memory-limited process ----------------------


def _limited_run(args: list[str], cwd: Path, timeout: float) -> tuple[int | None, str, float]:
    """Run the CLI in its own process group, with 1 GiB of address space; None as exit code on timeout."""
    import resource
    import signal
    import subprocess
    import sys

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ptedb", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        preexec_fn=limit,
        start_new_session=True,
    )
    try:
        out, _ = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        code = None
    return code, out.decode("utf-8", "replace"), time.perf_counter() - start


@pytest.mark.parametrize(
    "target",
    [
        pytest.param(
            "/dev/zero",
            id="link-to-dev-zero",
        ),
        pytest.param(
            "fifo",
            id="link-to-fifo",
        ),
    ],
)
def test_link_to_an_endless_file_is_refused(target: str, proj: Path, tmp_path: Path) -> None:
    if target == "fifo":
        os.mkfifo(tmp_path / "fifo")
        target = str(tmp_path / "fifo")
    os.symlink(target, proj / RECORDS / "sources" / "endless.yaml")
    for command in ("validate", "build"):
        code, output, seconds = _limited_run([command], proj, timeout=3)
        assert code is not None, f"{command} still running after 3 s"
        assert "Traceback" not in output, output[-2000:]
        assert code == 1, output
        assert "records/sources/endless.yaml:1:1 SCH026" in output
        assert seconds < TIME_LIMIT_S + 1.5  # start-up of a real interpreter included


# --- valid but awkward: must build, every text stored verbatim ------------------------------------


def _strings(value: Any, key: str = "") -> Iterator[str]:
    if isinstance(value, str):
        if key != "release_date":
            yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)


def _text_values(rows: Iterator[Any]) -> set[str]:
    out: set[str] = set()
    for v in rows:
        if isinstance(v, str):
            out.add(v)
        elif isinstance(v, list):
            out.update(x for x in v if isinstance(x, str))
    return out


def _arrow_strings(table: pa.Table) -> set[str]:
    return _text_values(v for column in table.columns for v in column.to_pylist())


def _stored_strings(dist: Path) -> dict[str, set[str]]:
    """Every text value in the Parquet files, in the DuckDB tables and in the CSV files."""
    parquet: set[str] = set()
    for path in (dist / "parquet").glob("*.parquet"):
        parquet |= _arrow_strings(pq.read_table(path))
    db: set[str] = set()
    con = duckdb.connect(str(dist / "ptedb.duckdb"), read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT internal").fetchall()]
        for name in names:
            db |= _text_values(v for row in con.execute(f'SELECT * FROM "{name}"').fetchall() for v in row)
    finally:
        con.close()
    text: set[str] = set()
    for path in (dist / "csv").glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                for cell in row:
                    # The CSV's one documented change (datapackage.json): a formula-leading cell has one
                    # more leading ', which a reader removes to get the text back.
                    text.add(cell[1:] if re.match(FORMULA_LEAD, cell) else cell)
                    if cell.startswith("["):
                        try:
                            text.update(x for x in json.loads(cell) if isinstance(x, str))
                        except ValueError:
                            pass
    return {"parquet": parquet, "duckdb": db, "csv": text}


class _Yaml12Floats(yaml.SafeLoader):
    """PyYAML's safe loader (independent of ptedb's), reading `1.0e18` as YAML 1.2 does: a number."""


_Yaml12Floats.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"),
    list("-+0123456789."),
)


def _expected_strings(records: Path) -> tuple[set[str], set[str]]:
    """Text values of the overlay's record files and of its dataset.yaml, as an independent parser reads them."""
    values: set[str] = set()
    meta: set[str] = set()
    for path in records.rglob("*.yaml"):
        data = yaml.load(path.read_bytes(), Loader=_Yaml12Floats)  # a SafeLoader subclass
        (meta if path.name == "dataset.yaml" else values).update(_strings(data))
    return values, meta


def assert_builds_verbatim(project: Path, overlay: Path) -> None:
    result = invoke(["build"], project)
    assert result.exit_code == 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    dist = project / "dist"
    values, meta = _expected_strings(overlay)
    assert values or meta
    for where, stored in _stored_strings(dist).items():
        missing = sorted(v for v in values if v not in stored)
        assert not missing, f"not stored verbatim in {where}: {missing}"
    if meta:
        con = duckdb.connect(str(dist / "ptedb.duckdb"), read_only=True)
        try:
            stored_meta = {r[0] for r in con.execute("SELECT value FROM _meta").fetchall()}
        finally:
            con.close()
        assert meta <= stored_meta | {"v2026.01.0"}, meta - stored_meta


@pytest.mark.parametrize("case", list(_params(VALID)))
def test_awkward_but_valid_case_builds(case: str, proj: Path) -> None:
    shutil.copytree(VALID / case / "records", proj / "records", dirs_exist_ok=True)
    result = invoke(["validate"], proj)
    assert result.exit_code == 0, result.stderr
    assert_builds_verbatim(proj, VALID / case / "records")


def test_values_at_their_length_limits_build(proj: Path, tmp_path: Path) -> None:
    """A 100-character id (and file name), a 300-character name, a 20,000-character description."""
    rid = "a" + "-b" * 49 + "c"
    assert len(rid) == 100
    text = (
        _read(proj, ENHANCEMENT)
        .replace(b"id: toy-prompting", b"id: " + rid.encode())
        .replace(b'name: "Toy prompting"', b'name: "' + "N\u00e9".encode() * 150 + b'"')
        .replace(b'description: "A prompt that helps."', b'description: "' + b"d" * 20_000 + b'"')
        .replace(b"- id: toy-1b-toy-bench", b"- id: " + ("e" * 100).encode())
    )
    overlay = tmp_path / "overlay" / "enhancements"
    overlay.mkdir(parents=True)
    (overlay / f"{rid}.yaml").write_bytes(text)
    (proj / RECORDS / ENHANCEMENT).unlink()
    shutil.copy(overlay / f"{rid}.yaml", proj / RECORDS / "enhancements")
    assert_builds_verbatim(proj, overlay.parent)
    ceg = pq.read_table(proj / "dist" / "parquet" / "ceg.parquet").to_pylist()
    assert f"{rid}/{'e' * 100}" in {r["evaluation_id"] for r in ceg}
