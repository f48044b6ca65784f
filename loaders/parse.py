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
from typing import Any

import yaml
from ptedb.validation.codes import say
from ptedb.validation.dataset import Document, Path_, Position, dotted

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


MAX_DEPTH = 32
"""Records nest four levels deep; deeper input is refused before it can exhaust the stack."""


_NULL = {"~", "null", "Null", "NULL", ""}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = re.compile(r"^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$")


class YamlError(Exception):
    """A problem in the YAML itself: its rule code, its words (from `validation.codes`) and 1-based place."""

    def __init__(self, wording: str, /, line: int = 1, column: int = 1, field: str = "", **facts: object) -> None:
        code, message = say(wording, **facts)
        super().__init__(message)
        self.code = code
        self.message = message
        self.line = line
        self.column = column
        self.field = field


def decode(raw: bytes) -> str:
    """UTF-8 text of a record file, with the BOM removed; errors name the line and column."""
    if len(raw) > MAX_FILE_BYTES:
        raise YamlError("too-large", size=len(raw), limit=MAX_FILE_BYTES)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    elif raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise YamlError("utf-16")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlError("bad-byte", line, column, byte=raw[exc.start]) from None


_NUMERIC_START = frozenset("0123456789+-.")
_MAX_INT_DIGITS = 308  # 10**308 is the largest power of ten a float holds


def show_number(text: str) -> str:
    """A long numeral shortened for a message."""
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"


def _resolve_plain(text: str, pos: Position, path: Path_) -> Any:
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
            raise YamlError("number-too-large", *pos, field=dotted(path), number=show_number(text))
        return int(text)
    if _FLOAT.match(text):
        value = float(text)
        if math.isinf(value):
            raise YamlError("number-too-large", *pos, field=dotted(path), number=show_number(text))
        return value
    if _SPECIAL_FLOAT.match(text):
        raise YamlError("number-special", *pos, field=dotted(path), number=text)
    return text


def _line_col(text: str, position: int) -> Position:
    before = text[:position]
    return before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1


def _mark(event: Any) -> Position:
    return (event.start_mark.line + 1, event.start_mark.column + 1)


def parse(text: str) -> Document:
    """Parse one YAML document under the rules in the module docstring."""
    doc = Document(data=None)
    keys, values = doc.keys, doc.values
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
                    raise YamlError("two-documents", *_mark(event))
                continue
            if kind is yaml.AliasEvent:
                raise YamlError("alias", *_mark(event))
            if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
                stack.pop()
                continue
            pos = _mark(event)
            if event.anchor is not None:
                raise YamlError("anchor", *pos, anchor=event.anchor)
            if event.tag is not None and not (kind is yaml.ScalarEvent and event.tag == "!"):
                raise YamlError("tag", *pos, tag=event.tag)

            # Where does this node go?
            if stack:
                frame = stack[-1]
                container, parent_path, pending = frame
                if isinstance(container, dict) and pending is None:
                    # This node is a key.
                    if kind is not yaml.ScalarEvent:
                        raise YamlError("key-not-text", *pos)
                    key = event.value
                    if key in container:
                        first = keys[(*parent_path, key)]
                        raise YamlError(
                            "duplicate-key", *pos, field=dotted((*parent_path, key)), key=key, first=first[0]
                        )
                    frame[2] = key
                    keys[(*parent_path, key)] = pos
                    container[key] = None
                    continue
                path: Path_ = (*parent_path, pending if isinstance(container, dict) else len(container))
            else:
                if root_set:
                    raise YamlError("two-documents", *pos)
                path = ()

            if len(path) > MAX_DEPTH:
                raise YamlError("too-deep", *pos, depth=MAX_DEPTH)

            if kind is yaml.ScalarEvent:
                if not event.style and event.implicit[0]:  # plain: None (Python parser) or "" (libyaml)
                    value: Any = _resolve_plain(event.value, pos, path)
                else:
                    value = event.value
            elif kind is yaml.MappingStartEvent:
                value = {}
            else:
                value = []
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
        raise YamlError("control-character", line, column, code=code) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or exc.context or "invalid YAML").replace("\n", " ")
        if "maximum nesting depth" in problem:
            # libyaml from 0.2.6 (PyYAML 6.0.4) has a nesting limit of its own, which a flow
            # collection like `[[[[...` meets while libyaml reads ahead, before our depth check sees it.
            raise YamlError("too-deep", line, column, depth=MAX_DEPTH) from None
        index = getattr(mark, "index", None)
        tab = "\\t" in problem or "tab" in problem or (index is not None and text[index : index + 1] == "\t")
        raise YamlError("tab" if tab else "syntax", line, column, problem=problem) from None
    except yaml.YAMLError as exc:
        raise YamlError("syntax", problem=exc) from None
    except RecursionError:  # pragma: no cover - the depth limit stops this first
        raise YamlError("too-deep", depth=MAX_DEPTH) from None
    finally:
        parser.dispose()
    return doc


def load_bytes(raw: bytes) -> Document:
    """Decode and parse a record file's bytes."""
    return parse(decode(raw))
