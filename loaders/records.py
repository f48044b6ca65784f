"""records/ → typed records, with every problem in the shape of the files reported, located and worded.

Loading never stops at the first bad file: each file is parsed and checked on its own, good records are
kept, and every problem becomes a `Diagnostic`. Pydantic's error locations (`('evaluations', 2, 'model')`)
are mapped back to the YAML line and column through the positions `parse` kept, and its messages are
reworded (with the words in `validation.codes`) for someone editing a YAML file rather than calling a
Python constructor.
"""

from __future__ import annotations

import os
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ptedb.schema.models import BY_FOLDER, ID_PATTERN, SCHEMA_VERSION, DatasetInfo
from ptedb.validation.codes import EXPECTED, PATTERN_HINTS, say
from ptedb.validation.dataset import Dataset, Diagnostic, Document, dotted, problem, show, suggest
from pydantic import BaseModel, ValidationError

from .parse import YamlError, load_bytes
from .scan import DATASET_FILE, MAX_FILE_BYTES, RECORD_FOLDERS, Entry, Scan, scan

MAX_PROBLEMS_PER_FILE = 50
"""Beyond this, a file is broken wholesale (a pasted dump, a generated mess): more lines help nobody."""

_ID = re.compile(ID_PATTERN)

_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""Characters no text field may hold: C0 and C1 controls other than tab and line feed (ESC recolours a
terminal, NUL truncates C strings, CR overwrites a line) and the bidirectional embeddings, overrides and
isolates (which make text display otherwise than it reads). The YAML reader already refuses most raw
controls in a file; this catches what a double-quoted string's escapes (`"\\e[31m"`, `"\\0"`) decode to,
and the bidirectional characters YAML allows raw."""

_C0_NAMES = (
    "NUL SOH STX ETX EOT ENQ ACK BEL BS HT LF VT FF CR SO SI DLE DC1 DC2 DC3 DC4 NAK SYN ETB CAN EM SUB ESC FS GS RS US"
).split()


def _char_name(code: int) -> str:
    """' (ESC)', ' (RIGHT-TO-LEFT OVERRIDE)': what the character is called, for the message."""
    if code < 0x20:
        return f" ({_C0_NAMES[code]})"
    if code == 0x7F:
        return " (DEL)"
    name = unicodedata.name(chr(code), "")
    return f" ({name})" if name else ""


def display_path(path: Path) -> str:
    """The path as a contributor would type it: relative to the working directory when inside it."""
    if not path.is_absolute() and ".." not in path.parts:
        return str(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


# --- pydantic errors → plain words ---------------------------------------------------------------


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, str):
        return f"text {show(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return show(value)


def _submodel(annotation: Any) -> type[BaseModel] | None:
    """The record-part model inside an annotation such as `list[Evaluation] | None`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _submodel(typing.get_args(annotation)[0])
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _submodel(arg)
            if found:
                return found
    return None


def _model_at(cls: type[BaseModel], loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    current: type[BaseModel] | None = cls
    for part in loc:
        if current is None:
            return None
        if isinstance(part, int):
            continue
        info = current.model_fields.get(part)
        if info is None:
            return None
        current = _submodel(info.annotation)
    return current


def _worded(cls: type[BaseModel], err: Any) -> tuple[tuple[str | int, ...], str, bool]:
    """(where, what: a `codes.WORDING` key with its facts, whether to point at the key) of one error."""
    loc = tuple(p for p in err["loc"] if isinstance(p, int | str))
    etype = err["type"]
    value = err.get("input")
    name = str(loc[-1]) if loc else ""
    ctx = err.get("ctx") or {}
    if etype == "missing":
        return loc, say("missing", name=name)[1], False
    if etype == "extra_forbidden":
        parent = _model_at(cls, loc[:-1])
        return loc, say("unknown-field", name=name, hint=suggest(name, parent.model_fields) if parent else "")[1], True
    if etype in EXPECTED:
        return loc, say("wrong-type", expected=EXPECTED[etype], got=_describe(value))[1], False
    if etype == "string_pattern_mismatch":
        pattern = ctx.get("pattern", "")
        hint = PATTERN_HINTS.get(pattern, f"it must match {pattern}")
        return loc, say("pattern", value=show(value), hint=hint)[1], False
    if etype == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
        return loc, say("choice", value=show(value), expected=expected, hint=suggest(str(value), options))[1], False
    if etype == "finite_number":
        return loc, say("not-finite")[1], False
    msg = err["msg"]
    return loc, say("invalid", problem=msg[0].lower() + msg[1:] if msg else etype, got=_describe(value))[1], False


_CODE_OF = {
    "missing": "SCH020",
    "extra_forbidden": "SCH021",
    "finite_number": "SCH007",
    **{etype: "SCH022" for etype in EXPECTED},
}


def _schema_diagnostics(ds: Dataset, cls: type[BaseModel], folder: str, rid: str, exc: ValidationError) -> None:
    errors = exc.errors(include_url=False)
    for n, err in enumerate(errors):
        if n == MAX_PROBLEMS_PER_FILE:  # the rest are counted, not worded: wording costs a difflib search each
            ds.report(folder, rid, (), *say("more-problems", more=len(errors) - n))
            break
        loc, message, key = _worded(cls, err)
        code = _CODE_OF.get(err["type"], "SCH023")
        if err["type"] == "missing":  # point at the parent that lacks it, name the missing field itself
            ds.report(folder, rid, loc[:-1], code, message)
            d = ds.diagnostics.pop()
            ds.diagnostics.append(Diagnostic(d.path, d.line, d.column, d.code, dotted(loc), d.message))
        else:
            ds.report(folder, rid, loc, code, message, key=key)


# --- reading files -------------------------------------------------------------------------------


def _read_document(ds: Dataset, entry: Entry, shown: str) -> Document | None:
    """Parse one file of the scan; None (with the problem reported) when it cannot be."""
    if entry.error is not None:
        ds.diagnostics.append(problem(shown, "unreadable", reason=entry.error))
        return None
    raw = entry.data or b""
    if len(raw) > MAX_FILE_BYTES:  # the scan reads one byte past the limit, never more
        ds.diagnostics.append(problem(shown, "too-large", size=os.lstat(entry.path).st_size, limit=MAX_FILE_BYTES))
        return None
    try:
        doc = load_bytes(raw)
    except YamlError as err:
        ds.diagnostics.append(Diagnostic(shown, err.line, err.column, err.code, err.field, err.message))
        return None
    if not isinstance(doc.data, dict):
        what = "is empty" if doc.data is None else f"holds {_describe(doc.data)}"
        ds.diagnostics.append(problem(shown, "not-a-mapping", what=what))
        return None
    return doc


def _unsafe_text(doc: Document, shown: str) -> list[Diagnostic]:
    """SCH027 for every string value of `doc` that holds a character of `_UNSAFE`, at the value.

    A walk over the parsed data rather than a rule over the typed records, so that every string of every
    file (records and dataset.yaml, known fields or not) is seen exactly once, before any output sees it.
    """
    hits: list[tuple[tuple[str | int, ...], int]] = []
    search = _UNSAFE.search
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), doc.data)] if isinstance(doc.data, dict | list) else []
    while stack:  # paths are built for containers and hits only: most values are clean leaves
        path, value = stack.pop()
        for key, item in value.items() if isinstance(value, dict) else enumerate(value):
            if isinstance(item, str):
                if not item.isprintable() and (bad := search(item)) is not None:  # every unsafe char is unprintable
                    hits.append(((*path, key), ord(bad.group())))
            elif isinstance(item, dict | list):
                stack.append(((*path, key), item))
    found: list[Diagnostic] = []
    for path, code in hits:
        wording = "bidi-in-text" if code >= 0x202A else "control-in-text"
        line, column = doc.position(path)
        found.append(
            problem(shown, wording, line=line, column=column, field=dotted(path), code=code, name=_char_name(code))
        )
    found.sort(key=lambda d: (d.line, d.column))
    return found


def _shown(root_shown: str, *parts: str) -> str:
    """`display_path` of a path below the records root, without asking the OS again for each file."""
    return os.path.join(*parts) if root_shown == "." else os.path.join(root_shown, *parts)


def _record_files(ds: Dataset, walked: Scan) -> Iterator[tuple[str, Entry, str]]:
    """(folder, entry, shown) of every record file of the scan; stray entries become SCH026."""
    root_shown = display_path(ds.root)
    for entry in walked.entries:
        if entry.name.startswith(".") or entry.name in (DATASET_FILE, "README.md"):
            continue
        shown = _shown(root_shown, entry.name)
        if entry.kind == "link":
            ds.diagnostics.append(problem(shown, "link-in-records"))
            continue
        if entry.kind != "dir" or entry.name not in BY_FOLDER:
            what = "folder" if entry.kind == "dir" else "file"
            hint = suggest(entry.name, BY_FOLDER)
            ds.diagnostics.append(problem(shown, "stray-entry", what=what, known=", ".join(BY_FOLDER), hint=hint))
            continue
        for child in entry.children:
            if child.name.startswith("."):
                continue
            shown = _shown(root_shown, entry.name, child.name)
            if not child.name.endswith(".yaml") or child.kind != "file":
                is_dir = child.kind == "dir" or (child.kind == "link" and os.path.isdir(child.path))
                why = "a folder" if is_dir else "a link" if child.kind == "link" else "not a .yaml file"
                ds.diagnostics.append(problem(shown, "stray-in-folder", why=why))
                continue
            yield entry.name, child, shown


def _check_record(ds: Dataset, folder: str, stem: str, doc: Document) -> None:
    """Type one parsed record file (SCH024, SCH025, and pydantic's checks as SCH020–023)."""
    data = doc.data
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        what = "old-version" if version < SCHEMA_VERSION else "new-version"
        ds.report(folder, stem, ("schema_version",), *say(what, version=version, current=SCHEMA_VERSION))
        return
    rid = data.get("id")
    if isinstance(rid, str) and rid != stem:
        ds.report(folder, stem, ("id",), *say("id-mismatch", id=show(rid), stem=show(stem)))
        return
    cls = BY_FOLDER[folder]
    try:
        ds.records[folder][stem] = cls.model_validate(data)
    except ValidationError as exc:
        _schema_diagnostics(ds, cls, folder, stem, exc)


def _capped(diagnostics: list[Diagnostic], start: int, shown: str) -> None:
    """Keep at most MAX_PROBLEMS_PER_FILE of the diagnostics one file added from `start` on."""
    found = len(diagnostics) - start
    if found <= MAX_PROBLEMS_PER_FILE:
        return
    first_dropped = diagnostics[start + MAX_PROBLEMS_PER_FILE]
    del diagnostics[start + MAX_PROBLEMS_PER_FILE :]
    more = found - MAX_PROBLEMS_PER_FILE
    diagnostics.append(Diagnostic(shown, 1, 1, first_dropped.code, "", say("more-problems", more=more)[1]))


def _read_info(ds: Dataset, walked: Scan) -> None:
    shown = _shown(display_path(ds.root), DATASET_FILE)
    entry = walked.top(DATASET_FILE)
    if entry is None:
        ds.diagnostics.append(problem(shown, "no-dataset-file"))
        return
    if entry.kind != "file":
        ds.diagnostics.append(problem(shown, "dataset-file-kind"))
        return
    doc = _read_document(ds, entry, shown)
    if doc is None:
        return
    ds.documents[("", "dataset")] = doc
    ds.paths[("", "dataset")] = shown
    unsafe = _unsafe_text(doc, shown)
    ds.diagnostics.extend(unsafe)
    try:
        info = DatasetInfo.model_validate(doc.data)
    except ValidationError as exc:
        _schema_diagnostics(ds, DatasetInfo, "", "dataset", exc)
    else:
        ds.info = None if unsafe else info


def load(
    root: Path | str, progress: Callable[[int, int], None] | None = None, *, walked: Scan | None = None
) -> Dataset:
    """Read every record under `root`; problems are collected in `Dataset.diagnostics`, never raised.

    `walked` is a scan of `root` already made (for the build key): its bytes are checked rather than
    read again, so what is validated is exactly what was hashed.
    """
    ds = Dataset(root=Path(root))
    if walked is None or walked.root != ds.root:
        walked = scan(ds.root)
    if not walked.exists:
        ds.diagnostics.append(problem(display_path(ds.root), "no-records-folder"))
        return ds
    if not walked.records_like:
        known = ", ".join(RECORD_FOLDERS)
        ds.diagnostics.append(problem(display_path(ds.root), "not-records-folder", known=known))
        return ds
    _read_info(ds, walked)
    files = list(_record_files(ds, walked))
    for i, (folder, entry, shown) in enumerate(files):
        stem = entry.name[: -len(".yaml")]
        ds.files.append(entry.path)
        ds.present.add((folder, stem))
        start = len(ds.diagnostics)
        named = bool(_ID.match(stem))
        if named:
            ds.paths[(folder, stem)] = shown
        doc = _read_document(ds, entry, shown)
        if doc is not None and not named:
            ds.diagnostics.append(problem(shown, "bad-file-name", name=show(stem)))
        elif doc is not None:
            ds.documents[(folder, stem)] = doc
            unsafe = _unsafe_text(doc, shown)
            ds.diagnostics.extend(unsafe)
            _check_record(ds, folder, stem, doc)
            if unsafe:  # reported, and kept from the rules: they see only records that passed every SCH rule
                ds.records[folder].pop(stem, None)
        _capped(ds.diagnostics, start, shown)
        if progress is not None and (i % 100 == 99 or i + 1 == len(files)):
            progress(i + 1, len(files))
    return ds
