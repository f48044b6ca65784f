"""Upgrading records written for an older schema_version.

A migration is a function from a record's data at version N to its data at version N+1, registered in
`MIGRATIONS[N]`. Schema version 1 is the first, so none exist yet; the machinery is here so that the
first breaking change ships with its migration and `ptedb migrate` rather than a wall of SCH errors.
Migrated files are rewritten as plain YAML: comments cannot be carried through a change of shape, so
the command says which files it rewrote, for review in the pull request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from ptedb.schema.models import BY_FOLDER, SCHEMA_VERSION

from .parse import YamlError, load_bytes

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""from-version → function producing the data at from-version + 1."""


@dataclass
class Outcome:
    path: Path
    old_version: int | None
    status: str  # current | migrated | would-migrate | error
    message: str = ""


def _upgrade(data: dict[str, Any], version: int) -> dict[str, Any]:
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise LookupError(f"no migration from schema_version {version} to {version + 1}")
        data = step(dict(data))
        version += 1
        data["schema_version"] = version
    return data


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: object) -> bool:  # the loader refuses anchors, so never write them
        return True


def migrate(records: Path, *, write: bool) -> list[Outcome]:
    out: list[Outcome] = []
    for folder in BY_FOLDER:
        for path in sorted((records / folder).glob("*.yaml")):
            try:
                data = load_bytes(path.read_bytes()).data
            except (OSError, YamlError) as exc:
                out.append(Outcome(path, None, "error", f"cannot read: {exc}"))
                continue
            version = data.get("schema_version") if isinstance(data, dict) else None
            if not isinstance(version, int) or isinstance(version, bool):
                out.append(Outcome(path, None, "error", "no whole-number schema_version"))
                continue
            if version == SCHEMA_VERSION:
                out.append(Outcome(path, version, "current"))
                continue
            if version > SCHEMA_VERSION:
                out.append(Outcome(path, version, "error", f"newer than this ptedb ({SCHEMA_VERSION}): upgrade ptedb"))
                continue
            try:
                new = _upgrade(data, version)
            except LookupError as exc:
                out.append(Outcome(path, version, "error", str(exc)))
                continue
            if write:
                text = yaml.dump(new, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=110)
                tmp = path.with_name(f".{path.name}.tmp")  # a dotfile: never read as a record
                tmp.write_text(text, encoding="utf-8")
                tmp.replace(path)
            out.append(Outcome(path, version, "migrated" if write else "would-migrate"))
    return out
