"""The strict YAML layer: what it accepts, what it refuses, and where it says the problem is."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ptedb.loaders import yaml_strict
from ptedb.loaders.yaml_strict import MAX_FILE_BYTES, YamlError, _parse_fast, _Unusual, decode, load_bytes, parse


def test_libyaml_parser_is_used() -> None:
    """The pure-Python fallback is correct but several times slower; the installed PyYAML has libyaml."""
    from ptedb.loaders import yaml_strict

    assert yaml_strict.USING_LIBYAML


def test_scalars_follow_yaml_1_2_core() -> None:
    doc = parse("a: 2.5e24\nb: 1e3\nc: no\nd: ~\ne: true\nf: '12'\ng: 7\nh: -0.5\n")
    assert doc.data == {
        "a": 2.5e24,
        "b": 1000.0,
        "c": "no",
        "d": None,
        "e": True,
        "f": "12",
        "g": 7,
        "h": -0.5,
    }
    assert isinstance(doc.data["g"], int)


def test_positions_of_values_and_keys() -> None:
    doc = parse("top: 1\nlist:\n  - name: x\n    value: [1, 2]\n")
    assert doc.values[("top",)] == (1, 6)
    assert doc.keys[("list", 0, "value")] == (4, 5)
    assert doc.values[("list", 0, "value", 1)] == (4, 16)
    # an unknown path falls back to its nearest located ancestor
    assert doc.position(("list", 0, "missing")) == doc.values[("list", 0)]


REFUSALS = [
    ("a: 1\na: 2\n", "SCH006", 2),
    ("a: &x 1\nb: *x\n", "SCH005", 1),
    ("a: !!python/object/apply:os.system ['true']\n", "SCH004", 1),
    ("a: !custom 1\n", "SCH004", 1),
    ("a: .inf\n", "SCH007", 1),
    ("a: -.Inf\n", "SCH007", 1),
    ("a: .NaN\n", "SCH007", 1),
    ("a: 1e400\n", "SCH007", 1),
    ("a: [1, 2\n", "SCH001", 2),
    ("a:\n\t- 1\n", "SCH001", 2),
    ("---\na: 1\n---\nb: 2\n", "SCH009", 3),
    ("? [a]\n: 1\n", "SCH010", 1),
    ("a: " + "[" * 50 + "]" * 50 + "\n", "SCH008", 1),
]


@pytest.mark.parametrize(("text", "code", "line"), REFUSALS)
def test_refusals(text: str, code: str, line: int) -> None:
    with pytest.raises(YamlError) as info:
        parse(text)
    assert info.value.code == code
    assert info.value.line == line


def test_billion_laughs_is_refused_before_expansion() -> None:
    bomb = 'a: &a ["lol","lol"]\n' + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\n" for i in range(20)
    )
    with pytest.raises(YamlError) as info:
        parse(bomb)
    assert info.value.code == "SCH005"


def test_utf8_bom_is_accepted_and_other_encodings_are_not() -> None:
    assert load_bytes("\ufeffname: Zoë\n".encode()).data == {"name": "Zoë"}
    with pytest.raises(YamlError) as info:
        load_bytes("name: Zoë\n".encode("latin-1"))
    assert (info.value.code, info.value.line, info.value.column) == ("SCH002", 1, 9)
    with pytest.raises(YamlError) as info:
        load_bytes("a: 1\n".encode("utf-16"))
    assert info.value.code == "SCH002"


def test_size_limit() -> None:
    with pytest.raises(YamlError) as info:
        load_bytes(b"a: " + b"x" * MAX_FILE_BYTES + b"\n")
    assert info.value.code == "SCH003"


def test_hostile_text_is_plain_data() -> None:
    text = "<script>alert('x')</script> & ; -- DROP TABLE models; \"quoted\""
    doc = parse(f"a: '{text.replace(chr(39), chr(39) * 2)}'\n")
    assert doc.data["a"] == text


# --- the fast path -------------------------------------------------------------------------------
# `load_bytes(..., positions=False)` first tries a lean loop that gives up on anything unusual. It must
# never change an outcome: the same data for every file `parse` accepts, and for every file `parse`
# refuses, the same refusal.

ROOT = Path(__file__).resolve().parent
CORPUS = sorted(
    p
    for p in [*ROOT.glob("hostile/**/*.yaml"), *ROOT.glob("fixtures/**/*.yaml"), *ROOT.parent.glob("records/**/*.yaml")]
)


LOOPS = pytest.mark.parametrize("loop", ["c", "python"])
"""The fast path runs in C where loaders/_fastyaml.c was built, else in Python: both must agree."""


@contextlib.contextmanager
def _fast_loop(loop: str) -> Iterator[None]:
    if loop == "c" and not yaml_strict.ACCELERATED:
        pytest.skip("the C fast path was not built (no libyaml headers)")
    with pytest.MonkeyPatch.context() as mp:
        if loop == "python":
            mp.setattr(yaml_strict, "_fastyaml", None)
        yield


def test_c_fast_path_is_built_where_libyaml_headers_are() -> None:
    """Where libyaml's headers are installed, `pip install` builds the C loop; if it silently did not,
    every build would be half a second slower."""
    if not Path("/usr/include/yaml.h").exists():
        pytest.skip("no libyaml headers on this machine")
    assert yaml_strict.ACCELERATED


def test_c_fast_path_refuses_bad_arguments() -> None:
    if not yaml_strict.ACCELERATED:
        pytest.skip("the C fast path was not built")
    from ptedb.loaders import _fastyaml

    with pytest.raises(TypeError):
        _fastyaml.parse("text, not bytes", 32, frozenset(), frozenset(), frozenset(), frozenset(), 308, _Unusual)
    with pytest.raises(ValueError, match="max_depth"):
        _fastyaml.parse(b"a: 1", 0, frozenset(), frozenset(), frozenset(), frozenset(), 308, _Unusual)


_NUMBERISH = st.text(alphabet="0123456789+-.eEinfINFaAN_x ", min_size=1, max_size=12)


def _c_scalar(text: str) -> str:
    """What the C loop makes of `text` as a plain scalar in a list (repr, or 'unusual')."""
    try:
        return repr(_parse_fast(b"- " + text.encode() + b"\n"))
    except _Unusual:
        return "unusual"


def _py_scalar(text: str) -> str:
    try:
        return repr(yaml_strict._parse_fast_py(b"- " + text.encode() + b"\n"))
    except _Unusual:
        return "unusual"


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "-0",
        "+7",
        "007",
        "1" * 308,
        "1" * 309,
        "-" + "1" * 308,
        "1.",
        ".5",
        "+.5",
        "-.5e-3",
        "1e3",
        "1.e5",
        "1e",
        "1e+",
        ".e5",
        ".",
        "+",
        "-",
        "1_000",
        "0x1F",
        "0o17",
        "1e400",
        "-1e400",
        "1e-400",
        ".inf",
        "-.Inf",
        "+.INF",
        ".nan",
        "-.nan",
        ".NaN",
        ".NAN",
        ".nAn",
        "..5",
        "1..2",
        "1.2.3",
        "١٢",
    ],
)
def test_c_number_patterns_match_the_python_ones(text: str) -> None:
    if not yaml_strict.ACCELERATED:
        pytest.skip("the C fast path was not built")
    assert _c_scalar(text) == _py_scalar(text)


@settings(max_examples=1500, deadline=None)
@given(text=_NUMBERISH)
def test_c_number_patterns_match_on_generated_scalars(text: str) -> None:
    if not yaml_strict.ACCELERATED:
        pytest.skip("the C fast path was not built")
    assert _c_scalar(text) == _py_scalar(text)


def _outcome(raw: bytes, *, fast: bool) -> tuple[str, str]:
    """('ok', repr of the data) or ('refused', code:line:col); repr tells 1, 1.0 and True apart."""
    try:
        doc = load_bytes(raw, positions=False) if fast else parse(decode(raw), positions=False)
    except YamlError as err:
        return "refused", f"{err.code}:{err.line}:{err.column}"
    return "ok", repr(doc.data)


def test_fast_path_is_taken_for_plain_records() -> None:
    raw = (ROOT.parent / "records" / "dataset.yaml").read_bytes()
    assert _parse_fast(raw) == parse(decode(raw)).data


@LOOPS
@pytest.mark.parametrize("path", CORPUS, ids=lambda p: str(p.relative_to(ROOT.parent)))
def test_fast_path_agrees_on_every_corpus_file(path: Path, loop: str) -> None:
    raw = path.read_bytes()
    with _fast_loop(loop):
        assert _outcome(raw, fast=True) == _outcome(raw, fast=False)


@LOOPS
@pytest.mark.parametrize("text", [case[0] for case in REFUSALS])
def test_fast_path_refuses_what_parse_refuses(text: str, loop: str) -> None:
    with _fast_loop(loop):
        with pytest.raises(_Unusual):
            _parse_fast(text.encode())
        assert _outcome(text.encode(), fast=True) == _outcome(text.encode(), fast=False)


_SCALARS = st.sampled_from(
    [
        "1",
        "-1",
        "+7",
        "0.5",
        ".5",
        "1e3",
        "2.5E+24",
        "1e400",
        "-1e400",
        "1" + "0" * 400,
        ".inf",
        "-.Inf",
        ".NaN",
        "~",
        "null",
        "Null",
        "",
        "true",
        "False",
        "no",
        "yes",
        "0x1F",
        "1_000",
        "'1'",
        '"2"',
        "'text'",
        '"a\\tb"',
        "x: y",
        "&a 1",
        "*a",
        "!!str 5",
        "!t x",
        "! x",
        "[1, 2]",
        "{a: 1}",
        "[",
        "{",
        "|\n  block",
        ">-\n  folded",
        "- item",
        "? k",
        "\t1",
        "é",
        "\ufeff",
        "\x00",
        "\x07",
        "#c",
        "a #c",
        "@x",
        "`x",
        "2024-01-02",
        "0o17",
        "+.5",
        "-.5e-3",
        "1.",
        "--- x",
        "...",
    ]
)
_KEYS = st.sampled_from(["a", "b", "id", "a", "1", "'q'", '"k"', "? [a]", "&k a", "!!str k", "null", "<<"])


@st.composite
def _documents(draw: st.DrawFn) -> bytes:
    lines = []
    for _ in range(draw(st.integers(1, 8))):
        indent = " " * draw(st.sampled_from([0, 0, 0, 2, 4, 1]))
        shape = draw(st.sampled_from(["pair", "pair", "item", "key", "raw"]))
        if shape == "pair":
            lines.append(f"{indent}{draw(_KEYS)}: {draw(_SCALARS)}")
        elif shape == "item":
            lines.append(f"{indent}- {draw(_SCALARS)}")
        elif shape == "key":
            lines.append(f"{indent}{draw(_KEYS)}:")
        else:
            lines.append(indent + draw(_SCALARS))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n---\n", "\n...\n"]))
    prefix = draw(st.sampled_from([b"", b"", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"%YAML 1.1\n---\n"]))
    return prefix + text.encode("utf-8")


@LOOPS
@settings(max_examples=600, deadline=None)
@given(raw=_documents())
def test_fast_path_agrees_on_generated_documents(raw: bytes, loop: str) -> None:
    with _fast_loop(loop):
        assert _outcome(raw, fast=True) == _outcome(raw, fast=False)


@settings(max_examples=300, deadline=None)
@given(raw=_documents())
def test_c_and_python_loops_give_the_same_data(raw: bytes) -> None:
    if not yaml_strict.ACCELERATED:
        pytest.skip("the C fast path was not built")

    def run(fn: Callable[[bytes], object]) -> str:
        try:
            return repr(fn(raw))
        except _Unusual:
            return "unusual"

    assert run(_parse_fast) == run(yaml_strict._parse_fast_py)
