"""The committed JSON Schema files are generated from the record models and must not drift."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from conftest import GOOD
from ptedb.loaders.parse import load_bytes
from ptedb.schema import generate
from ptedb.schema.models import BY_FOLDER

SCHEMA_DIR = Path(__file__).parent.parent / "schema"


@pytest.mark.parametrize("name", sorted(generate.expected_files()))
def test_committed_schema_is_current(name: str) -> None:
    committed = SCHEMA_DIR / name
    assert committed.is_file(), f"{name} missing: run python -m ptedb.schema.generate"
    assert committed.read_text(encoding="utf-8") == generate.expected_files()[name], (
        f"schema/{name} is stale: run python -m ptedb.schema.generate and commit the result"
    )


@pytest.mark.parametrize("folder", sorted(BY_FOLDER))
def test_good_fixture_passes_the_json_schema(folder: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{BY_FOLDER[folder].kind}.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for path in sorted((GOOD / "records" / folder).glob("*.yaml")):
        errors = list(validator.iter_errors(load_bytes(path.read_bytes()).data))
        assert not errors, (path, errors[0].message)


def test_json_schema_rejects_what_the_models_reject() -> None:
    schema = json.loads((SCHEMA_DIR / "enhancement.schema.json").read_text())
    data = load_bytes((GOOD / "records" / "enhancements" / "toy-prompting.yaml").read_bytes()).data
    data["categroy"] = data.pop("category")
    assert list(jsonschema.Draft202012Validator(schema).iter_errors(data))


def _names_after(text: str, label: str) -> list[str]:
    """The `code` names listed after 'Label:' in the README's sentence, up to the next full stop."""
    import re

    start = text.index(f"{label}:") + len(label) + 1
    end = text.index(". ", start)
    return re.findall(r"`([a-z_]+)`", text[start:end])


def test_readme_lists_every_table_view_and_macro() -> None:
    """The README's list of what is in the database is checked against the code that creates it."""
    from ptedb.schema.columns import TABLES

    from ptedb.database import MACROS, VIEWS

    readme = (SCHEMA_DIR.parent / "README.md").read_text(encoding="utf-8")
    assert _names_after(readme, "Tables") == list(TABLES)
    assert _names_after(readme, "Views") == list(VIEWS)
    assert _names_after(readme, "Macros") == list(MACROS)


def test_readme_list_check_notices_a_missing_name() -> None:
    text = "Tables: `a`, `b` and `c` (ok). Views: `v`. Macros: `m`. More."
    assert _names_after(text, "Tables") == ["a", "b", "c"]
    assert _names_after(text, "Views") == ["v"]
