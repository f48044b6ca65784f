"""Write the JSON Schema files beside this module from the record models.

The files are committed so that editors (via `# yaml-language-server: $schema=`) and people without
Python can check records; a test fails when they differ from what the models generate, so they cannot
drift. Regenerate with `python -m ptedb.schema.generate`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import RECORD_TYPES, SCHEMA_VERSION, DatasetInfo, Record

HERE = Path(__file__).parent
BASE_URL = "https://raw.githubusercontent.com/ptedb/ptedb/main/schema"


def schema_of(cls: type[Record] | type[DatasetInfo], name: str) -> dict[str, Any]:
    schema = cls.model_json_schema(mode="validation")
    # pydantic titles every property after its name; the descriptions say more and read better.
    for prop in schema.get("properties", {}).values():
        prop.pop("title", None)
    for sub in schema.get("$defs", {}).values():
        for prop in sub.get("properties", {}).values():
            prop.pop("title", None)
    if "schema_version" in schema.get("properties", {}):
        schema["properties"]["schema_version"]["const"] = SCHEMA_VERSION
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{BASE_URL}/{name}.schema.json",
        **schema,
    }


def expected_files() -> dict[str, str]:
    """File name → content, for every schema file this code generates."""
    out = {}
    for cls in RECORD_TYPES:
        out[f"{cls.kind}.schema.json"] = json.dumps(schema_of(cls, cls.kind), indent=2, ensure_ascii=False) + "\n"
    out["dataset.schema.json"] = json.dumps(schema_of(DatasetInfo, "dataset"), indent=2, ensure_ascii=False) + "\n"
    return out


CONTRIBUTING = HERE.parent / "CONTRIBUTING.md"
START, END = "<!-- templates:start -->", "<!-- templates:end -->"


def contributing_templates() -> str:
    """The templates section of CONTRIBUTING.md, one fenced block per kind."""
    from .templates import KINDS, template

    blocks = []
    for kind in (cls.kind for cls in RECORD_TYPES):
        assert kind in KINDS
        blocks.append(f"### {kind}\n\n```yaml\n{template(kind, f'my-{kind}')}```\n")
    return "\n".join(blocks)


def contributing_text(current: str) -> str:
    head, _, rest = current.partition(START)
    _, _, tail = rest.partition(END)
    return f"{head}{START}\n{contributing_templates()}{END}{tail}"


def write(directory: Path = HERE) -> list[Path]:
    written = []
    if CONTRIBUTING.is_file():
        text = CONTRIBUTING.read_text(encoding="utf-8")
        new = contributing_text(text)
        if new != text:
            CONTRIBUTING.write_text(new, encoding="utf-8")
            written.append(CONTRIBUTING)
    for name, content in expected_files().items():
        path = directory / name
        if not path.exists() or path.read_text(encoding="utf-8") != content:
            path.write_text(content, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for p in write():
        print(f"wrote {p}")
