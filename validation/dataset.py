"""What every stage shares: a located problem (`Diagnostic`), a parsed file's positions (`Document`) and
everything read from a records folder (`Dataset`).

A leaf: the reading stages fill these, the rules judge them, the build compiles them, and none of those
modules has to import another stage to do so.
"""

from __future__ import annotations

import difflib
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ptedb.schema.models import BY_FOLDER, DatasetInfo, Record

from .codes import say

Path_ = tuple[str | int, ...]
Position = tuple[int, int]


@dataclass(frozen=True, slots=True, order=True)
class Diagnostic:
    path: str
    line: int
    column: int
    code: str
    field: str
    message: str
    severity: str = "error"

    def text(self) -> str:
        # A file name may hold a newline or an escape sequence: printed raw, it could forge a line of
        # this report (or recolour a terminal), so every part is made printable.
        where = f"{printable(self.path)}:{self.line}:{self.column}"
        field = f" {printable(self.field)}:" if self.field else ""
        return f"{where} {self.code}{field} {printable(self.message)}"


def problem(path: str, wording: str, /, line: int = 1, column: int = 1, field: str = "", **facts: object) -> Diagnostic:
    """A Diagnostic for the SCH problem `wording` (a key of `codes.WORDING`)."""
    code, message = say(wording, **facts)
    return Diagnostic(path, line, column, code, field, message)


def printable(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape", "backslashreplace").decode("ascii")


def show(value: object, limit: int = 60) -> str:
    """A value quoted for a message: short, one line, control characters escaped."""
    text = value if isinstance(value, str) else repr(value)
    text = text.encode("unicode_escape").decode("ascii") if not text.isprintable() else text
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return f"'{text}'" if isinstance(value, str) else text


def dotted(path: Path_) -> str:
    """`evaluations[2].model` for ('evaluations', 2, 'model')."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """' (did you mean 'x'?)' when a close match exists, else ''."""
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


@dataclass(slots=True)
class Document:
    """A parsed file: its data and where each value and key stood."""

    data: Any
    values: dict[Path_, Position] = field(default_factory=dict)
    keys: dict[Path_, Position] = field(default_factory=dict)

    def position(self, path: Path_, *, key: bool = False) -> Position:
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


@dataclass
class Dataset:
    """Everything read from a records directory, good and bad."""

    root: Path
    info: DatasetInfo | None = None
    records: dict[str, dict[str, Record]] = field(default_factory=lambda: {f: {} for f in BY_FOLDER})
    documents: dict[tuple[str, str], Document] = field(default_factory=dict)
    """Each named record file's positions, so that any rule can point into it."""
    paths: dict[tuple[str, str], str] = field(default_factory=dict)
    """(folder, id) → the file as shown in messages."""
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
        path: Path_,
        code: str,
        message: str,
        *,
        key: bool = False,
    ) -> None:
        """Add a diagnostic located at `path` inside record `folder/rid`."""
        doc = self.documents.get((folder, rid))
        line, col = doc.position(path, key=key) if doc else (1, 1)
        shown = self.paths.get((folder, rid), f"{folder}/{rid}.yaml")
        self.diagnostics.append(Diagnostic(shown, line, col, code, dotted(path), message))

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)
