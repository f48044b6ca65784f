"""The three ways of printing a list of diagnostics: text for people, JSON for machines, GitHub
workflow annotations for pull requests. Every rule reports through `Diagnostic`, so a contributor sees
the same shape whatever layer found the problem: `path:line:col CODE field: message`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict

from .codes import RULES
from .dataset import Diagnostic


def _github(d: Diagnostic) -> str:
    # Workflow commands treat %, CR and LF specially in the message and also ',' and ':' in properties.
    def prop(v: str) -> str:
        return v.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(",", "%2C").replace(":", "%3A")

    msg = d.text().replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    title = prop(f"{d.code} {RULES.get(d.code, '')}".strip())
    return f"::{d.severity} file={prop(d.path)},line={d.line},col={d.column},title={title}::{msg}"


def render(diagnostics: Iterable[Diagnostic], fmt: str) -> str:
    items = sorted(diagnostics)
    if fmt == "json":
        return json.dumps(
            {
                "valid": not any(d.severity == "error" for d in items),
                "count": len(items),
                "problems": [asdict(d) | {"rule": RULES.get(d.code, "")} for d in items],
            },
            indent=2,
            ensure_ascii=False,
        )
    if fmt == "github":
        return "\n".join(_github(d) for d in items)
    return "\n".join(d.text() for d in items)
