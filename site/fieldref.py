"""The field reference page, generated from the record models and the column registry.

Nothing here describes a field: the descriptions, types, constraints and allowed values are read from
`ptedb.schema.models` (through pydantic's JSON Schema, the same projection editors use) and from
`ptedb.schema.columns.TABLES` (the compiled tables). A field added or reworded there shows up here on
the next site build, so the reference cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

from .text import h

Row = tuple[str, str, bool, str, str]  # path, type, required, description, constraints


def _resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = node.get("$ref")
    if ref:
        return defs[ref.rsplit("/", 1)[-1]]
    return node


def _type_and_constraints(node: dict[str, Any], defs: dict[str, Any]) -> tuple[str, list[str], dict[str, Any] | None]:
    """(type text, constraints, nested object schema or None) of a JSON Schema property."""
    if "anyOf" in node:
        kinds, cons, nested = [], [], None
        for alt in node["anyOf"]:
            if alt.get("type") == "null":
                continue
            t, c, n = _type_and_constraints(alt, defs)
            kinds.append(t)
            cons += c
            nested = nested or n
        return " or ".join(kinds), cons, nested
    if "$ref" in node:
        target = _resolve(node, defs)
        return "mapping", [], target
    cons: list[str] = []
    if "enum" in node:
        return "one of", [", ".join(f"`{v}`" for v in node["enum"])], None
    if "const" in node:
        return "constant", [f"`{node['const']}`"], None
    t = node.get("type", "any")
    if t == "array":
        items = node.get("items", {})
        it, ic, nested = _type_and_constraints(items, defs)
        if node.get("minItems"):
            cons.append(f"at least {node['minItems']} item{'s' * (node['minItems'] != 1)}")
        cons += [f"each: {c}" for c in ic]
        return f"list of {it}", cons, nested
    names = {"string": "text", "number": "number", "integer": "whole number", "boolean": "true/false"}
    text = names.get(t, str(t))
    if node.get("format") == "date":
        text = "date (YYYY-MM-DD)"
    for key, word in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in node:
            cons.append(f"{word} {node[key]:g}" if isinstance(node[key], float) else f"{word} {node[key]}")
    if "pattern" in node:
        cons.append(f"matches `{node['pattern']}`")
    if node.get("maxLength"):
        cons.append(f"at most {node['maxLength']:,} characters")
    return text, cons, None


def record_fields(model: type[Any]) -> list[Row]:
    """Every field of a record model, nested parts as dotted paths (`evaluations[].one_time_cost.flop`)."""
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    rows: list[Row] = []

    def walk(obj: dict[str, Any], prefix: str) -> None:
        required = set(obj.get("required", []))
        for name, prop in obj.get("properties", {}).items():
            path = f"{prefix}{name}"
            t, cons, nested = _type_and_constraints(prop, defs)
            if "default" in prop and prop["default"] not in (None, [], {}):
                cons.append(f"default `{prop['default']}`")
            rows.append((path, t, name in required, prop.get("description", ""), "; ".join(cons)))
            if nested is not None:
                sep = "[]." if t.startswith("list of") else "."
                walk(nested, f"{path}{sep}")

    walk(schema, "")
    return rows


def _fields_table(rows: list[Row]) -> str:
    body = "".join(
        f"<tr><td><code>{h(p)}</code></td><td>{h(t)}</td><td>{'yes' if req else 'no'}</td>"
        f"<td>{h(d)}</td><td>{_code(c)}</td></tr>"
        for p, t, req, d, c in rows
    )
    return (
        '<table class="ptedb-ref"><thead><tr><th>field</th><th>type</th><th>required</th>'
        f"<th>description</th><th>constraints</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _code(text: str) -> str:
    """Escape text, rendering `back-quoted` parts as code (the constraints above quote values this way)."""
    parts = text.split("`")
    return "".join(f"<code>{h(p)}</code>" if i % 2 else h(p) for i, p in enumerate(parts))


def page(views: list[tuple[str, str]], macros: list[tuple[str, str]]) -> str:
    """The Markdown of the field reference page."""
    from ptedb.schema import models as m
    from ptedb.schema.columns import KINDS, TABLES

    out = [
        "# Field reference",
        "",
        "Generated from the record models in `schema/models.py` and the column registry in `schema/columns.py` "
        "at every site build: the same definitions produce the JSON Schema files, the DuckDB comments, the Parquet "
        "field metadata and `datapackage.json`.",
        "",
        "## Record files",
        "",
        "One YAML file per record under `records/<folder>/<id>.yaml`. Unknown keys are an error; numbers must "
        'be written as numbers (a quoted `"17.9"` is rejected).',
        "",
    ]
    for model in m.RECORD_TYPES:
        out += [
            f"### {model.__name__} (`records/{model.folder}/`)",
            "",
            f"<p>{h(' '.join((model.__doc__ or '').split()))}</p>",
            "",
            _fields_table(record_fields(model)),
            "",
        ]
    out += [
        "### Dataset (`records/dataset.yaml`)",
        "",
        f"<p>{h(' '.join((m.DatasetInfo.__doc__ or '').split()))}</p>",
        "",
        _fields_table(record_fields(m.DatasetInfo)),
        "",
        "## Tables",
        "",
        "The tables of the release, as Parquet, CSV and DuckDB tables. Nested record fields are flattened with "
        "their parent's name as prefix (`one_time_cost.flop` becomes `one_time_cost_flop`), and a source "
        "reference becomes `<prefix>_id` and `<prefix>_locator`.",
        "",
    ]
    for name, spec in TABLES.items():
        fks = ", ".join(f"{c} → {t}.{tc}" for c, t, tc in spec.foreign_keys)
        rows = "".join(
            f"<tr><td><code>{h(c.name)}</code></td><td>{h(KINDS[c.kind].words)}</td>"
            f"<td>{'yes' if c.nullable else 'no'}</td><td>{h(c.description)}"
            + (f" Allowed: {', '.join(f'<code>{h(v)}</code>' for v in c.choices)}." if c.choices else "")
            + "</td></tr>"
            for c in spec.columns
        )
        out += [
            f"### `{name}`",
            "",
            f"<p>{h(' '.join(spec.description.split()))} Primary key: <code>{h(', '.join(spec.primary_key))}</code>."
            + (f" References: {h(fks)}." if fks else "")
            + "</p>",
            "",
            '<table class="ptedb-ref"><thead><tr><th>column</th><th>type</th><th>nullable</th><th>description</th>'
            f"</tr></thead><tbody>{rows}</tbody></table>",
            "",
        ]
    if views:
        out += ["## Views", "", "In `ptedb.duckdb`, beside the tables.", ""]
        out.append(
            '<table class="ptedb-ref"><thead><tr><th>view</th><th>description</th></tr></thead><tbody>'
            + "".join(f"<tr><td><code>{h(n)}</code></td><td>{h(c)}</td></tr>" for n, c in views)
            + "</tbody></table>"
        )
        out.append("")
    if macros:
        out += [
            "## Macros",
            "",
            "SQL macros in `ptedb.duckdb` that restate the trade-off formulas of the methodology.",
            "",
        ]
        out.append(
            '<table class="ptedb-ref"><thead><tr><th>macro</th><th>description</th></tr></thead><tbody>'
            + "".join(f"<tr><td><code>{h(n)}</code></td><td>{h(c)}</td></tr>" for n, c in macros)
            + "</tbody></table>"
        )
        out.append("")
    return "\n".join(out)
