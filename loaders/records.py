"""records/ → typed records, with every problem in the shape of the files reported, located and worded.

Loading never stops at the first bad file: each file is parsed and checked on its own, good records are
kept, and every problem becomes a `Diagnostic`. Pydantic's error locations (`('evaluations', 2, 'model')`)
are mapped back to the YAML line and column through the positions `yaml_strict` kept, and its messages
are reworded for someone editing a YAML file rather than calling a Python constructor.
"""

from __future__ import annotations

import difflib
import os
import re
import sys
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ptedb.schema.models import BY_FOLDER, ID_PATTERN, SCHEMA_VERSION, DatasetInfo, Record
from ptedb.validation.diagnostics import Diagnostic, show
from pydantic import BaseModel, ValidationError

from .scan import Scan, scan
from .workers import run_forked
from .yaml_strict import ACCELERATED, MAX_FILE_BYTES, Document, YamlError, load_bytes

DATASET_FILE = "dataset.yaml"
_ID = re.compile(ID_PATTERN)


def display_path(path: Path) -> str:
    """The path as a contributor would type it: relative to the working directory when inside it."""
    if not path.is_absolute() and ".." not in path.parts:
        return str(path)
    try:
        rel = os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


@dataclass
class Dataset:
    """Everything read from a records directory, good and bad."""

    root: Path
    info: DatasetInfo | None = None
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {f: {} for f in BY_FOLDER})
    documents: dict[tuple[str, str], Document] = field(default_factory=dict)
    """Positions of the files a diagnostic has pointed into, parsed again on demand: a valid file's
    positions are never needed, so loading does not keep them."""
    paths: dict[tuple[str, str], str] = field(default_factory=dict)
    file_of: dict[tuple[str, str], str] = field(default_factory=dict)
    contents: dict[tuple[str, str], bytes] = field(default_factory=dict)
    """The bytes each record was checked from, where the scan kept them: positions are found in what
    was checked, not in whatever the file holds by the time a rule reports."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    present: set[tuple[str, str]] = field(default_factory=set)
    """(folder, stem) of every record file found, valid or not: a reference to a file that exists but
    failed its own checks is not reported again as a broken reference."""

    def of(self, folder: str) -> dict[str, Any]:
        return self.records[folder]

    def report(
        self,
        folder: str,
        rid: str,
        path: tuple[str | int, ...],
        code: str,
        message: str,
        *,
        key: bool = False,
    ) -> None:
        """Add a diagnostic located at `path` inside record `folder/rid`."""
        doc = self._document(folder, rid)
        line, col = doc.position(path, key=key) if doc else (1, 1)
        self.diagnostics.append(
            Diagnostic(self.paths.get((folder, rid), f"{folder}/{rid}.yaml"), line, col, code, dotted(path), message)
        )

    def _document(self, folder: str, rid: str) -> Document | None:
        key = (folder, rid)
        if key not in self.documents and (key in self.contents or key in self.file_of):
            try:
                if key in self.contents:
                    raw = self.contents[key]
                else:
                    with open(self.file_of[key], "rb") as fh:
                        raw = fh.read()
                self.documents[key] = load_bytes(raw, positions=True)
            except (OSError, YamlError):
                return None
        return self.documents.get(key)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)


def dotted(path: tuple[str | int, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


# --- pydantic errors → plain words ---------------------------------------------------------------

_EXPECTED = {
    "string_type": "text",
    "float_type": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping of fields",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date (YYYY-MM-DD)",
    "int_parsing": "a whole number",
    "float_parsing": "a number",
}

_PATTERN_HINTS = {
    ID_PATTERN: "an id uses lowercase letters, digits and '-', and starts with a letter or digit",
    r"^https?://\S+$": "an address starting with http:// or https://, without spaces",
    r"^\d{4}\.\d{4,5}$": "an arXiv id such as '2201.11903' (no 'arXiv:' prefix, no version)",
    r"^10\.\d{4,9}/\S+$": "a DOI such as '10.48550/arXiv.2201.11903'",
    r"^v\d{4}\.\d{2}\.\d+$": "a calendar version such as 'v2026.11.0'",
}


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


def _schema_diagnostics(ds: Dataset, cls: type[BaseModel], folder: str, rid: str, exc: ValidationError) -> None:
    errors = exc.errors(include_url=False)
    for n, err in enumerate(errors):
        if n == MAX_PROBLEMS_PER_FILE:  # the rest are counted, not worded: wording costs a difflib search each
            ds.report(folder, rid, (), "SCH023", f"… and {len(errors) - n:,} more problems in this file")
            break
        loc = tuple(p for p in err["loc"] if isinstance(p, int | str))
        etype = err["type"]
        value = err.get("input")
        name = str(loc[-1]) if loc else ""
        if etype == "missing":
            ds.report(folder, rid, loc[:-1], "SCH020", f"required field '{name}' is missing")
            # report() names the parent; name the missing field itself.
            d = ds.diagnostics.pop()
            ds.diagnostics.append(Diagnostic(d.path, d.line, d.column, d.code, dotted(loc), d.message))
        elif etype == "extra_forbidden":
            parent = _model_at(cls, loc[:-1])
            hint = suggest(name, parent.model_fields) if parent else ""
            ds.report(folder, rid, loc, "SCH021", f"unknown field '{name}'{hint}", key=True)
        elif etype in _EXPECTED:
            ds.report(folder, rid, loc, "SCH022", f"expected {_EXPECTED[etype]}, got {_describe(value)}")
        elif etype == "string_pattern_mismatch":
            pattern = (err.get("ctx") or {}).get("pattern", "")
            hint = _PATTERN_HINTS.get(pattern, f"it must match {pattern}")
            ds.report(folder, rid, loc, "SCH023", f"{show(value)} is not valid: {hint}")
        elif etype == "literal_error":
            expected = (err.get("ctx") or {}).get("expected", "")
            options = [o.strip(" '") for o in expected.replace(" or ", ", ").split(",")]
            hint = suggest(str(value), options)
            ds.report(folder, rid, loc, "SCH023", f"{show(value)} is not allowed; use one of {expected}{hint}")
        elif etype == "finite_number":
            ds.report(folder, rid, loc, "SCH007", "must be a finite number")
        else:
            msg = err["msg"]
            msg = msg[0].lower() + msg[1:] if msg else etype
            ds.report(folder, rid, loc, "SCH023", f"{msg}, got {_describe(value)}")


# --- reading files -------------------------------------------------------------------------------


def _yaml_error(ds: Dataset, shown: str, err: YamlError) -> None:
    ds.diagnostics.append(Diagnostic(shown, err.line, err.column, err.code, err.field, err.message))


def _read_document(
    ds: Dataset, path: str | Path, shown: str, *, positions: bool = True, raw: bytes | None = None
) -> Document | None:
    """Parse one file; `raw` is its bytes when the scan already read them."""
    try:
        if raw is None or len(raw) > MAX_FILE_BYTES:
            size = os.lstat(path).st_size
            if size > MAX_FILE_BYTES:  # refuse before reading: a record file is never anywhere near this
                ds.diagnostics.append(
                    Diagnostic(shown, 1, 1, "SCH003", "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
                )
                return None
            with open(path, "rb") as fh:
                raw = fh.read()
    except OSError as exc:
        ds.diagnostics.append(Diagnostic(shown, 1, 1, "SCH001", "", f"cannot read file: {exc.strerror}"))
        return None
    try:
        doc = load_bytes(raw, positions=positions)
    except YamlError as err:
        _yaml_error(ds, shown, err)
        return None
    if not isinstance(doc.data, dict):
        what = "is empty" if doc.data is None else f"holds {_describe(doc.data)}"
        ds.diagnostics.append(
            Diagnostic(shown, 1, 1, "SCH009", "", f"the file {what}; it must hold a mapping of fields")
        )
        return None
    return doc


def _shown(root_shown: str, *parts: str) -> str:
    """`display_path` of a path below the records root, without asking the OS again for each file."""
    return os.path.join(*parts) if root_shown == "." else os.path.join(root_shown, *parts)


Task = tuple[str, str, str, "bytes | None", "str | None"]
"""(folder, path, shown, bytes or None, read error or None): one record file to check."""


def _record_files(ds: Dataset, walked: Scan) -> Iterator[Task]:
    """Every record file of the scan; stray entries become SCH026 diagnostics."""
    root_shown = display_path(ds.root)
    for entry in walked.entries:
        if entry.name.startswith(".") or entry.name in (DATASET_FILE, "README.md"):
            continue
        shown = _shown(root_shown, entry.name)
        if entry.kind == "link":
            ds.diagnostics.append(
                Diagnostic(
                    shown,
                    1,
                    1,
                    "SCH026",
                    "",
                    "unexpected link in records/: record folders must be real folders inside the repository",
                )
            )
            continue
        if entry.kind != "dir" or entry.name not in BY_FOLDER:
            known = ", ".join(BY_FOLDER)
            ds.diagnostics.append(
                Diagnostic(
                    shown,
                    1,
                    1,
                    "SCH026",
                    "",
                    f"unexpected {'folder' if entry.kind == 'dir' else 'file'} in records/; "
                    f"records go in one of: {known}{suggest(entry.name, BY_FOLDER)}",
                )
            )
            continue
        for child in entry.children:
            if child.name.startswith("."):
                continue
            shown = _shown(root_shown, entry.name, child.name)
            if not child.name.endswith(".yaml") or child.kind != "file":
                is_dir = child.kind == "dir" or (child.kind == "link" and os.path.isdir(child.path))
                why = "a folder" if is_dir else "a link" if child.kind == "link" else "not a .yaml file"
                ds.diagnostics.append(
                    Diagnostic(
                        shown, 1, 1, "SCH026", "", f"unexpected entry ({why}); each record is one '<id>.yaml' file"
                    )
                )
                continue
            yield entry.name, child.path, shown, child.data, child.error


def _check_record(ds: Dataset, folder: str, stem: str, doc: Document, shown: str) -> None:
    cls = BY_FOLDER[folder]
    data = doc.data
    if not _ID.match(stem):
        ds.diagnostics.append(
            Diagnostic(
                shown,
                1,
                1,
                "SCH024",
                "",
                f"file name {show(stem)} is not a valid id: use lowercase letters, digits and '-'",
            )
        )
        return
    ds.documents[(folder, stem)] = doc
    ds.paths[(folder, stem)] = shown
    version = data.get("schema_version")
    if isinstance(version, int) and not isinstance(version, bool) and version != SCHEMA_VERSION:
        ds.report(
            folder,
            stem,
            ("schema_version",),
            "SCH025",
            f"schema_version {version} is not supported; this ptedb reads version {SCHEMA_VERSION}"
            + (
                " (run 'ptedb migrate' to upgrade the file)"
                if version < SCHEMA_VERSION
                else " (upgrade ptedb to read it)"
            ),
        )
        return
    rid = data.get("id")
    if isinstance(rid, str) and rid != stem:
        ds.report(folder, stem, ("id",), "SCH024", f"id {show(rid)} must equal the file name {show(stem)}")
        return
    try:
        record = cls.model_validate(data)
    except ValidationError as exc:
        _schema_diagnostics(ds, cls, folder, stem, exc)
        return
    ds.records[folder][stem] = record


def _read_info(ds: Dataset, walked: Scan) -> None:
    path = ds.root / DATASET_FILE
    shown = _shown(display_path(ds.root), DATASET_FILE)
    entry = walked.top(DATASET_FILE)
    if entry is not None and entry.kind != "file":
        ds.diagnostics.append(
            Diagnostic(shown, 1, 1, "SCH026", "", "records/dataset.yaml must be a regular file, not a link or device")
        )
        return
    if entry is None:
        ds.diagnostics.append(
            Diagnostic(shown, 1, 1, "SCH020", "", "records/dataset.yaml is missing; it holds dataset_version")
        )
        return
    if entry.error is not None:
        ds.diagnostics.append(Diagnostic(shown, 1, 1, "SCH001", "", f"cannot read file: {entry.error}"))
        return
    doc = _read_document(ds, path, shown, raw=entry.data)
    if doc is None:
        return
    ds.documents[("", "dataset")] = doc
    ds.paths[("", "dataset")] = shown
    try:
        ds.info = DatasetInfo.model_validate(doc.data)
    except ValidationError as exc:
        _schema_diagnostics(ds, DatasetInfo, "", "dataset", exc)


@dataclass
class FileResult:
    """What one record file yields: its record if valid, and its diagnostics. Picklable, so that files
    can be checked in worker processes."""

    folder: str
    path: str
    shown: str
    record: Record | None
    diagnostics: list[Diagnostic]
    named: bool  # the file name is a valid id, so other records may refer to it

    @property
    def stem(self) -> str:
        return os.path.basename(self.path)[: -len(".yaml")]


MAX_PROBLEMS_PER_FILE = 50
"""Beyond this, a file is broken wholesale (a pasted dump, a generated mess): more lines help nobody."""


def _capped(diagnostics: list[Diagnostic], shown: str) -> list[Diagnostic]:
    if len(diagnostics) <= MAX_PROBLEMS_PER_FILE:
        return diagnostics
    more = len(diagnostics) - MAX_PROBLEMS_PER_FILE
    return [
        *diagnostics[:MAX_PROBLEMS_PER_FILE],
        Diagnostic(
            shown, 1, 1, diagnostics[MAX_PROBLEMS_PER_FILE].code, "", f"… and {more:,} more problems in this file"
        ),
    ]


_SCRATCH = Path(".")
"""The root of the one-file datasets `check_file` collects into: they never look at it."""


def check_file(folder: str, path: str, shown: str, raw: bytes | None = None, error: str | None = None) -> FileResult:
    """Parse and check one file (`raw`: its bytes, when already read). The fast path keeps no
    positions; a file with a problem is parsed again with positions so that every message can point at
    its line and column."""
    return _check_file(folder, path, shown, raw, error)[0]


def _check_file(
    folder: str, path: str, shown: str, raw: bytes | None = None, error: str | None = None
) -> tuple[FileResult, Any]:
    """`check_file`, and the parsed data the record was validated from (None without a record)."""
    stem = os.path.basename(path)[: -len(".yaml")]
    named = bool(_ID.match(stem))
    if error is not None:
        problem = Diagnostic(shown, 1, 1, "SCH001", "", f"cannot read file: {error}")
        return FileResult(folder, path, shown, None, [problem], named), None
    for positions in (False, True):
        scratch = Dataset(root=_SCRATCH)
        doc = _read_document(scratch, path, shown, positions=positions, raw=raw)
        if doc is None:
            return FileResult(folder, path, shown, None, scratch.diagnostics, named), None
        _check_record(scratch, folder, stem, doc, shown)
        if not scratch.diagnostics or positions:
            record = scratch.records[folder].get(stem)
            result = FileResult(folder, path, shown, record, _capped(scratch.diagnostics, shown), named)
            return result, doc.data if record is not None else None
    raise AssertionError("unreachable")  # pragma: no cover


Packed = tuple[str, str, str, Any, list[Diagnostic], bool]


def _check_task(task: Task) -> tuple[FileResult, Any]:
    return _check_file(*task)


def _pack(checked: tuple[FileResult, Any]) -> Packed:
    """A worker's result in plain data. A valid record travels as the dicts and lists it was parsed
    into, and is validated again on arrival: pickling pydantic models costs twice as much as pickling
    their data and validating it anew (0.26 s against 0.14 s for 5,000 records), and validation is
    deterministic, so the record that arrives is the record that was checked."""
    res, data = checked
    return res.folder, res.path, res.shown, data, res.diagnostics, res.named


def _unpack(packed: Packed) -> tuple[FileResult, Any]:
    folder, path, shown, data, diagnostics, named = packed
    record = BY_FOLDER[folder].model_validate(data) if data is not None else None
    return FileResult(folder, path, shown, record, diagnostics, named), None


PARALLEL_MIN_FILES = sys.maxsize if ACCELERATED else 256
"""Below this many files, checking them in worker processes costs more than it saves. With the C
fast path, at any size: a file is then parsed and validated in about 25 µs, and receiving its record
from a worker (unpickling the data, validating it again) costs about 22 µs, so `validate --jobs`
runs in one process. (`build --jobs` splits its work differently and does gain: see compile.)"""


def _results(
    tasks: list[Task],
    jobs: int,
    progress: typing.Callable[[int, int], None] | None,
) -> tuple[typing.Iterable[FileResult], bool]:
    """The results, and whether progress was already reported while computing them."""
    if jobs <= 1 or len(tasks) < PARALLEL_MIN_FILES:
        return (check_file(*t) for t in tasks), False
    checked = run_forked(_check_task, tasks, jobs, progress=progress, pack=_pack, unpack=_unpack)
    return (res for res, _ in checked), True


def load(
    root: Path | str,
    progress: typing.Callable[[int, int], None] | None = None,
    *,
    jobs: int = 1,
    walked: Scan | None = None,
) -> Dataset:
    """Read every record under `root`; problems are collected in `Dataset.diagnostics`, never raised.

    `walked` is a scan of `root` already made (for the build key): its bytes are checked rather than
    read again. `jobs` > 1 checks files in that many processes, this one included (results are merged
    in file order, so the outcome is the same as with one).
    """
    ds = Dataset(root=Path(root))
    if walked is None or walked.root != ds.root:
        walked = scan(ds.root)
    if not walked.exists:
        ds.diagnostics.append(Diagnostic(display_path(ds.root), 1, 1, "SCH026", "", "records directory not found"))
        return ds
    _read_info(ds, walked)
    tasks = list(_record_files(ds, walked))
    total = len(tasks)
    results, reported = _results(tasks, jobs, progress)
    for i, res in enumerate(results):
        stem = res.stem
        key = (res.folder, stem)
        ds.files.append(res.path)
        ds.present.add(key)
        if res.named:
            ds.paths[key] = res.shown
            ds.file_of[key] = res.path
            raw = tasks[i][3]
            if raw is not None:
                ds.contents[key] = raw
        if res.record is not None:
            ds.records[res.folder][stem] = res.record
        ds.diagnostics.extend(res.diagnostics)
        if progress is not None and not reported and (i % 100 == 99 or i + 1 == total):
            progress(i + 1, total)
    return ds
