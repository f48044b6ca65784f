"""Every rule: its stable code, its title, and the words its messages use.

Codes are never reused for a different rule, so contributors, CI annotations and suppression lists can
rely on them. Layers: SCH (one file's syntax and shape), REC (meaning within a record), REF (references
between records), DS (checks on the compiled tables). The reading stages (`loaders.parse`,
`loaders.records`) find SCH problems as they read and word them from `WORDING` here, so that a rule's
wording is changed in one place whichever stage meets it; REC, REF and DS word theirs in
`validation.rules` and `validation.frames`, beside the checks. This module imports nothing: every stage
may use it.
"""

from __future__ import annotations

RULES: dict[str, str] = {
    # SCH — the file and its shape
    "SCH001": "YAML syntax error",
    "SCH002": "file is not UTF-8",
    "SCH003": "file too large",
    "SCH004": "YAML tags are not allowed",
    "SCH005": "YAML anchors and aliases are not allowed",
    "SCH006": "duplicate key",
    "SCH007": "number not finite or out of range",
    "SCH008": "nesting too deep",
    "SCH009": "file must hold one mapping",
    "SCH010": "key must be plain text",
    "SCH020": "required field missing",
    "SCH021": "unknown field",
    "SCH022": "wrong type",
    "SCH023": "value not allowed",
    "SCH024": "id does not match the file name",
    "SCH025": "unsupported schema_version",
    "SCH026": "unexpected file in records/",
    "SCH027": "control or bidirectional-override character in text",
    # REC — within a record
    "REC001": "score outside the benchmark's range",
    "REC002": "benchmark range or chance level inconsistent",
    "REC003": "one-time cost gives neither flop nor fraction",
    "REC004": "one-time cost fraction inconsistent with flop and model compute",
    "REC005": "6·N·D compute inconsistent with parameters and tokens",
    "REC006": "derived compute without its derivation",
    "REC007": "reported CEG incomplete or inverted",
    "REC008": "model listed twice in a baseline",
    "REC009": "evaluation id repeated within an enhancement",
    "REC010": "record supersedes itself",
    "REC011": "curve mixes reported and 6ND training compute",
    "REC012": "status and superseded_by disagree",
    "REC013": "date in the future",
    # REF — between records
    "REF001": "unknown source",
    "REF002": "unknown model",
    "REF003": "unknown benchmark",
    "REF004": "unknown baseline",
    "REF005": "unknown enhancement",
    "REF006": "base score differs from the baseline's point",
    "REF007": "base model has no point in its baseline",
    "REF008": "baseline is for another benchmark",
    "REF009": "baseline point from another family",
    "REF010": "superseded_by forms a cycle",
    # DS — compiled tables
    "DS001": "compiled table fails its schema",
}

WORDING: dict[str, tuple[str, str]] = {
    # key: (code, message template); str.format fields are filled by `say`
    "unreadable": ("SCH001", "cannot read file: {reason}"),
    "syntax": ("SCH001", "YAML syntax error: {problem}"),
    "tab": ("SCH001", "YAML syntax error: {problem} (indent with spaces, not tabs)"),
    "control-character": (
        "SCH001",
        "control character U+{code:04X} is not allowed in YAML: remove it, or write it as an escape in a "
        "double-quoted string",
    ),
    "utf-16": ("SCH002", "not UTF-8: the file is UTF-16; save it as UTF-8"),
    "bad-byte": ("SCH002", "not UTF-8: byte 0x{byte:02x} cannot be decoded"),
    "too-large": ("SCH003", "file is {size:,} bytes; the limit is {limit:,}"),
    "tag": ("SCH004", "tags ({tag}) are not allowed"),
    "alias": ("SCH005", "aliases (*name) are not allowed"),
    "anchor": ("SCH005", "anchors (&{anchor}) are not allowed"),
    "duplicate-key": ("SCH006", "duplicate key '{key}' (first defined at line {first})"),
    "number-too-large": ("SCH007", "number {number} is too large to represent"),
    "number-special": ("SCH007", "{number} is not allowed: numbers must be finite"),
    "not-finite": ("SCH007", "must be a finite number"),
    "too-deep": ("SCH008", "nesting deeper than {depth} levels"),
    "two-documents": ("SCH009", "only one YAML document is allowed per file"),
    "not-a-mapping": ("SCH009", "the file {what}; it must hold a mapping of fields"),
    "key-not-text": ("SCH010", "keys must be plain text, not lists or mappings"),
    "missing": ("SCH020", "required field '{name}' is missing"),
    "no-dataset-file": ("SCH020", "records/dataset.yaml is missing; it holds dataset_version"),
    "unknown-field": ("SCH021", "unknown field '{name}'{hint}"),
    "wrong-type": ("SCH022", "expected {expected}, got {got}"),
    "pattern": ("SCH023", "{value} is not valid: {hint}"),
    "choice": ("SCH023", "{value} is not allowed; use one of {expected}{hint}"),
    "invalid": ("SCH023", "{problem}, got {got}"),
    "more-problems": ("SCH023", "… and {more:,} more problems in this file"),
    "bad-file-name": ("SCH024", "file name {name} is not a valid id: use lowercase letters, digits and '-'"),
    "id-mismatch": ("SCH024", "id {id} must equal the file name {stem}"),
    "old-version": (
        "SCH025",
        "schema_version {version} is not supported; this ptedb reads version {current} (run 'ptedb migrate' "
        "to upgrade the file)",
    ),
    "new-version": (
        "SCH025",
        "schema_version {version} is not supported; this ptedb reads version {current} (upgrade ptedb to read it)",
    ),
    "no-records-folder": ("SCH026", "records directory not found"),
    "not-records-folder": ("SCH026", "not a records folder: it holds neither dataset.yaml nor any of {known}"),
    "link-in-records": (
        "SCH026",
        "unexpected link in records/: record folders must be real folders inside the repository",
    ),
    "stray-entry": ("SCH026", "unexpected {what} in records/; records go in one of: {known}{hint}"),
    "stray-in-folder": ("SCH026", "unexpected entry ({why}); each record is one '<id>.yaml' file"),
    "dataset-file-kind": ("SCH026", "records/dataset.yaml must be a regular file, not a link or device"),
    "control-in-text": (
        "SCH027",
        "control character U+{code:04X}{name} is not allowed in text (only tab and line break are): remove it",
    ),
    "bidi-in-text": (
        "SCH027",
        "bidirectional formatting character U+{code:04X}{name} is not allowed in text: it makes text display "
        "otherwise than it reads; remove it",
    ),
}
"""SCH messages by what went wrong: each names its rule's code and its words."""

EXPECTED: dict[str, str] = {
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
"""SCH022: what a pydantic type error expected, in the words of someone editing YAML."""

PATTERN_HINTS: dict[str, str] = {
    r"^[a-z0-9][a-z0-9-]*$": "an id uses lowercase letters, digits and '-', and starts with a letter or digit",
    r"^https?://[A-Za-z0-9\-._~:/?#\[\]@!$&()*+,;=%]+$": (
        "an address starting with http:// or https:// in plain ASCII, without spaces, quotes, angle brackets, "
        "backslashes or control characters (percent-encode any other character: %20 for a space, %27 for ')"
    ),
    r"^\d{4}\.\d{4,5}$": "an arXiv id such as '2201.11903' (no 'arXiv:' prefix, no version)",
    r"^10\.\d{4,9}/\S+$": "a DOI such as '10.48550/arXiv.2201.11903'",
    r"^v\d{4}\.\d{2}\.\d+$": "a calendar version such as 'v2026.11.0'",
}
"""SCH023: what a text field's pattern asks for, by pattern (tests hold these to the models' patterns)."""


def say(wording: str, /, **fields: object) -> tuple[str, str]:
    """(code, message) of the SCH problem `wording` (a key of WORDING), its template filled with `fields`."""
    code, template = WORDING[wording]
    return code, template.format(**fields)
