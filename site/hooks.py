"""mkdocs hook: put the generated tables and charts into the rendered pages.

The generator writes large HTML (evaluation tables, inline SVG charts) beside the Markdown rather than
inside it, and leaves an empty placeholder `<div class="ptedb-frag" data-frag="N"></div>` in the page.
This hook swaps each placeholder for its fragment once the page has been rendered. Why: Python-Markdown,
mkdocs' anchor scan and the search plugin each parse every raw HTML block with Python's HTMLParser; for
a thousand enhancement pages full of table rows and SVG points that parsing dominated the build (three
parses of megabytes of markup). Injected afterwards, the fragments are parsed by no one, and the search
index holds the prose (names, aliases, descriptions) instead of table cells and chart tooltips.

The fragments are escaped when they are generated (see templating.py); this hook only concatenates.

It also drops the indentation of every page (`trim_indent`): the theme's templates and ours indent their
markup for people reading the templates, and across some 700 pages that indentation is about 2.4 MB of
the site that no browser shows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

PLACEHOLDER = re.compile(r'<div class="ptedb-frag" data-frag="(\d+)"></div>')
FRAGMENTS_DIR = "fragments"
_VERBATIM = re.compile(r"(<(pre|textarea|script|style)\b.*?</\2>)", re.S | re.I)
_INDENT = re.compile(r"\n\s+")


def trim_indent(html: str) -> str:
    """The page with each line break's following whitespace (indentation, blank lines) removed, outside
    the elements whose whitespace is shown or is code. A run of whitespace stays a run of whitespace (a
    line break), so what a browser draws does not change."""
    parts = _VERBATIM.split(html)
    # split() gives text, then per match the whole element (kept as it is) and its tag name (dropped)
    return "".join(_INDENT.sub("\n", part) if i % 3 == 0 else part for i, part in enumerate(parts) if i % 3 != 2)


def fragment_file(root: Path, src_uri: str) -> Path:
    """Where the fragments of the page `src_uri` are stored under the project folder `root`."""
    return root / FRAGMENTS_DIR / (src_uri.replace("/", "__") + ".json")


def on_post_page(output: str, page: Any, config: Any, **_: Any) -> str:
    root = Path(config.config_file_path).parent
    path = fragment_file(root, page.file.src_uri)
    if not path.is_file():
        if PLACEHOLDER.search(output):
            raise PluginError(f"{page.file.src_uri}: placeholders without a fragments file ({path})")
        return trim_indent(output)
    frags: list[str] = json.loads(path.read_text(encoding="utf-8"))
    used: set[int] = set()

    def sub(m: re.Match[str]) -> str:
        i = int(m.group(1))
        if i >= len(frags):
            raise PluginError(f"{page.file.src_uri}: no fragment {i}")
        used.add(i)
        return frags[i]

    output = PLACEHOLDER.sub(sub, output)
    if len(used) != len(frags):
        raise PluginError(f"{page.file.src_uri}: {len(frags) - len(used)} fragments were not placed")
    return trim_indent(output)


def on_post_template(output_content: str, template_name: str, config: Any) -> str:
    """Static templates (the 404 page) go through no page hook; trim them the same way."""
    return trim_indent(output_content)
