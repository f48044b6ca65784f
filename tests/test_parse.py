"""The strict YAML layer: what it accepts, what it refuses, and where it says the problem is."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ptedb.loaders.parse import MAX_FILE_BYTES, YamlError, load_bytes, parse


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


# --- any input ---------------------------------------------------------------------------------
# Whatever bytes a contributor saves, the parser either gives plain data or a located YamlError with a
# rule code: never another exception, never a Python object.

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


def _plain(value: object) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, str | int | float | bool)


@settings(max_examples=600, deadline=None)
@given(raw=_documents())
def test_any_document_gives_plain_data_or_a_located_refusal(raw: bytes) -> None:
    try:
        doc = load_bytes(raw)
    except YamlError as err:
        assert err.code.startswith("SCH") and err.line >= 1 and err.column >= 1 and err.message
        return
    assert _plain(doc.data)
