"""Strict, position-keeping YAML for hand-edited records.

PyYAML's loaders are both too permissive for a curated dataset (tags can build Python objects, aliases
can expand exponentially, a repeated key silently wins, `2.5e24` becomes a string under YAML 1.1) and
too forgetful (a constructed dict no longer knows which line a value came from). So this module drives
libyaml's C parser event by event and builds plain dicts, lists and scalars itself:

* no tags, anchors or aliases; one document; keys are plain strings and never repeat;
* scalars resolved by the YAML 1.2 core schema (so `1e24` is a float and `no` stays a string), with
  NaN, infinities and overflowing numbers refused;
* UTF-8 only (a BOM is allowed), a size limit and a nesting limit;
* every value's and key's line and column kept, keyed by its path, so that any later error — a type
  error from pydantic, a broken reference — can point at the exact place in the file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from .scan import MAX_FILE_BYTES

try:  # libyaml's parser; PyYAML exports it only from its extension module
    from yaml._yaml import CParser as _Parser

    USING_LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML built without libyaml: correct, but about 7x slower
    from yaml.parser import Parser as _BaseParser
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class _Parser(Reader, Scanner, _BaseParser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            _BaseParser.__init__(self)

    USING_LIBYAML = False


try:  # the fast path in C (loaders/_fastyaml.c); optional: built where libyaml's headers are
    from . import _fastyaml
except ImportError:  # pragma: no cover - depends on how the package was installed
    _fastyaml = None

ACCELERATED = _fastyaml is not None
"""True when the fast path runs in C; the same outcome either way, about 0.6 s faster at 10,000 files."""


MAX_DEPTH = 32
"""Records nest four levels deep; deeper input is refused before it can exhaust the stack."""

Path = tuple[str | int, ...]
Position = tuple[int, int]

_NULL = {"~", "null", "Null", "NULL", ""}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")


class YamlError(Exception):
    """A problem in the YAML itself, with a rule code and a 1-based position."""

    def __init__(self, code: str, message: str, line: int = 1, column: int = 1, field: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.field = field


@dataclass(slots=True)
class Document:
    """A parsed file: its data and where each value and key stood."""

    data: Any
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)

    def position(self, path: Path, *, key: bool = False) -> Position:
        """The position of `path`, or of its nearest ancestor that has one."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if p in self.values:
                return self.values[p]
            p = p[:-1]
        return self.values.get((), (1, 1))


def decode(raw: bytes) -> str:
    """UTF-8 text of a record file, with the BOM removed; errors name the line and column."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlError("SCH003", f"file is {len(raw):,} bytes; the limit is {MAX_FILE_BYTES:,}")
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlError("SCH002", "not UTF-8: the file is UTF-16; save it as UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlError("SCH002", f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded", line, column) from None


_NUMERIC_START = frozenset("0123456789+-.")
_MAX_INT_DIGITS = 308  # 10**308 is the largest power of ten a float holds


def show_number(text: str) -> str:
    """A long numeral shortened for a message."""
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"


def _resolve_plain(text: str, pos: Position, path: Path) -> Any:
    # Most plain scalars are ids and words: a first character that cannot start a number settles it
    # without running the number patterns.
    if not text or text[0] not in _NUMERIC_START:
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    if _INT.match(text):
        if len(text.lstrip("+-")) > _MAX_INT_DIGITS:  # beyond any float; int() itself refuses > 4300 digits
            raise YamlError(
                "SCH007", f"number {show_number(text)} is too large to represent", *pos, field=_dotted(path)
            )
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        if math.isinf(value):
            raise YamlError(
                "SCH007", f"number {show_number(text)} is too large to represent", *pos, field=_dotted(path)
            )
        return value
    if _SPECIAL_FLOAT.match(text):
        raise YamlError("SCH007", f"{text} is not allowed: numbers must be finite", *pos, field=_dotted(path))
    return text


def _line_col(text: str, position: int) -> Position:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _mark(event: Any) -> Position:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


def parse(text: str, *, positions: bool = True) -> Document:
    """Parse one YAML document under the rules in the module docstring.

    With `positions=False` the value and key positions are not kept (errors still carry theirs): the
    fast path for the common case of a valid file, which is re-parsed with positions only if a later
    rule needs to point into it.
    """
    doc = Document(data=None)
    keys = doc.keys if positions else None
    values = doc.values if positions else None
    # Each frame: [container, path, pending_key or None]
    stack: list[list[Any]] = []
    root_set = False
    documents = 0
    parser = _Parser(text)
    get_event = parser.get_event
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is yaml.StreamEndEvent:
                break
            if kind is yaml.StreamStartEvent or kind is yaml.DocumentEndEvent:
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlError("SCH009", "only one YAML document is allowed per file", *_mark(event))
                continue
            if kind is yaml.AliasEvent:
                raise YamlError("SCH005", "aliases (*name) are not allowed", *_mark(event))
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
                continue
            pos = _mark(event)
            if event.anchor is not None:
                raise YamlError("SCH005", f"anchors (&{event.anchor}) are not allowed", *pos)
            if event.tag is not None and not (kind is yaml.ScalarEvent and event.tag == "!"):
                raise YamlError("SCH004", f"tags ({event.tag}) are not allowed", *pos)

            # Where does this node go?
            if stack:
                frame = stack[-1]
                container, parent_path, pending = frame
                if isinstance(container, dict) and pending is None:
                    # This node is a key.
                    if kind is not yaml.ScalarEvent:
                        raise YamlError("SCH010", "keys must be plain text, not lists or mappings", *pos)
                    key = event.value
                    if key in container:
                        if keys is None:  # the fast path keeps no positions: find the first one
                            return parse(text, positions=True)
                        first = keys[(*parent_path, key)]
                        raise YamlError(
                            "SCH006",
                            f"duplicate key '{key}' (first defined at line {first[0]})",
                            *pos,
                            field=_dotted((*parent_path, key)),
                        )
                    frame[2] = key
                    if keys is not None:
                        keys[(*parent_path, key)] = pos
                    container[key] = None
                    continue
                path: Path = (*parent_path, pending if isinstance(container, dict) else len(container))
            else:
                if root_set:
                    raise YamlError("SCH009", "only one YAML document is allowed per file", *pos)
                path = ()

            if len(path) > MAX_DEPTH:
                raise YamlError("SCH008", f"nesting deeper than {MAX_DEPTH} levels", *pos)

            if kind is yaml.ScalarEvent:
                if not event.style and event.implicit[0]:  # plain: None (Python parser) or "" (libyaml)
                    value: Any = _resolve_plain(event.value, pos, path)
                else:
                    value = event.value
            elif kind is yaml.MappingStartEvent:
                value = {}
            else:
                value = []
            if values is not None:
                values[path] = pos

            if stack:
                container, _, pending = stack[-1]
                if isinstance(container, dict):
                    container[pending] = value
                    stack[-1][2] = None
                else:
                    container.append(value)
            else:
                doc.data = value
                root_set = True
            if kind is not yaml.ScalarEvent:
                stack.append([value, path, None])
    except yaml.reader.ReaderError as exc:
        # libyaml refuses control characters (NUL, BEL, ...); its message spans lines and has no mark.
        line, column = _line_col(text, exc.position)
        char = exc.character
        code = char if isinstance(char, int) else ord(str(char)[:1] or "\0")
        raise YamlError(
            "SCH001",
            f"control character U+{code:04X} is not allowed in YAML: remove it, or write it as an escape "
            "in a double-quoted string",
            line,
            column,
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").replace("\n", " ")
        if "maximum nesting depth" in problem:
            # libyaml from 0.2.6 (PyYAML 6.0.4) has a nesting limit of its own, which a flow
            # collection like `[[[[...` meets while libyaml reads ahead, before our depth check sees it.
            raise YamlError("SCH008", f"nesting deeper than {MAX_DEPTH} levels", line, column) from None
        index = getattr(mark, "index", None)
        if "\\t" in problem or "tab" in problem or (index is not None and text[index : index + 1] == "\t"):
            problem += " (indent with spaces, not tabs)"
        raise YamlError("SCH001", f"YAML syntax error: {problem}", line, column) from None
    except yaml.YAMLError as exc:
        raise YamlError("SCH001", f"YAML syntax error: {exc}") from None
    except RecursionError:  # pragma: no cover - the depth limit stops this first
        raise YamlError("SCH008", "nesting too deep") from None
    finally:
        parser.dispose()
    return doc


class _Unusual(Exception):
    """Raised by the fast path for anything it leaves to `parse`: every error, and every feature a valid
    record never uses."""


def _plain_fast(text: str) -> Any:
    """`_resolve_plain` for the fast path: the same values, and `_Unusual` where that would raise."""
    if not text or text[0] not in _NUMERIC_START:
        if text in _NULL:
            return None
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return text
    return _number_fast(text)


def _number_fast(text: str) -> Any:
    """`_plain_fast` for a scalar whose first character may start a number (`number_kind` and
    `number_value` in _fastyaml.c do the same)."""
    if _INT.match(text):
        if len(text) > _MAX_INT_DIGITS:
            raise _Unusual
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        if math.isinf(value):
            raise _Unusual
        return value
    if _SPECIAL_FLOAT.match(text):
        raise _Unusual
    return text


_NULL_WORDS, _TRUE_WORDS, _FALSE_WORDS = frozenset(_NULL), frozenset(_TRUE), frozenset(_FALSE)

_Scalar, _MapStart, _SeqStart = yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent
_MapEnd, _SeqEnd, _StreamEnd = yaml.MappingEndEvent, yaml.SequenceEndEvent, yaml.StreamEndEvent
_DocStart, _Alias = yaml.DocumentStartEvent, yaml.AliasEvent


def _parse_fast(raw: bytes) -> Any:
    """The data of a well-formed record file, or `_Unusual`: `_parse_fast_py`'s loop, run in C where
    the accelerator was built (see `_fastyaml.c`)."""
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # libyaml would read UTF-16; `decode` refuses it
        raise _Unusual
    if _fastyaml is None:
        return _parse_fast_py(raw)
    return _fastyaml.parse(
        raw, MAX_DEPTH, _NULL_WORDS, _TRUE_WORDS, _FALSE_WORDS, _NUMERIC_START, _MAX_INT_DIGITS, _Unusual
    )


def _parse_fast_py(raw: bytes) -> Any:
    """The data of a well-formed record file, or `_Unusual`.

    Most files are valid, and for them `parse` does work they never need: positions, paths, the
    wording of errors. This loop keeps only what the data needs and gives up at the first sign of
    anything else — an error, a tag, an anchor, a repeated key, a second document, deep nesting, a
    number at the edge of range — so that `parse` decides every such file, with its messages. It takes
    the bytes as they are (libyaml reads UTF-8 itself and stops at invalid bytes), which saves decoding
    the text only for it to be encoded again.
    """
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):  # libyaml would read UTF-16; `decode` refuses it
        raise _Unusual
    parser = _Parser(raw)
    get_event = parser.get_event
    stack: list[tuple[Any, bool, Any]] = []
    current: Any = None
    in_map = want_key = False
    key: Any = None
    root: Any = None
    documents = 0
    try:
        while True:
            event = get_event()
            kind = type(event)
            if kind is _Scalar:
                if event.anchor is not None or event.tag is not None:
                    raise _Unusual
                if want_key:
                    key = event.value
                    if key in current:
                        raise _Unusual
                    want_key = False
                    continue
                value = event.value
                if not event.style and event.implicit[0]:
                    value = _plain_fast(value)
                if in_map:
                    current[key] = value
                    want_key = True
                elif current is not None:
                    current.append(value)
                else:  # a document that is a lone scalar
                    raise _Unusual
            elif kind is _MapStart or kind is _SeqStart:
                if want_key or event.anchor is not None or event.tag is not None:
                    raise _Unusual
                new: Any = {} if kind is _MapStart else []
                if in_map:
                    current[key] = new
                elif current is not None:
                    current.append(new)
                elif root is None:
                    root = new
                else:
                    raise _Unusual
                stack.append((current, in_map, key))
                if len(stack) >= MAX_DEPTH:
                    raise _Unusual
                current, in_map = new, kind is _MapStart
                want_key = in_map
            elif kind is _MapEnd or kind is _SeqEnd:
                current, in_map, key = stack.pop()
                want_key = in_map
            elif kind is _StreamEnd:
                break
            elif kind is _DocStart:
                documents += 1
                if documents > 1:
                    raise _Unusual
            elif kind is _Alias:
                raise _Unusual
    except yaml.YAMLError:
        raise _Unusual from None
    finally:
        parser.dispose()
    if root is None:
        raise _Unusual
    return root


def load_bytes(raw: bytes, *, positions: bool = True) -> Document:
    """Decode and parse a record file's bytes.

    Without positions, a well-formed file takes the fast path; anything it refuses is parsed again by
    `parse`, which gives the same data for a valid file and the located error for an invalid one.
    """
    if not positions and len(raw) <= MAX_FILE_BYTES:
        try:
            return Document(_parse_fast(raw))
        except _Unusual:
            pass
    return parse(decode(raw), positions=positions)
