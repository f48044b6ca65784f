"""The Jinja environment of the generated pages: escaping, `{% oneline %}`, relative links, fragments.

The pages are written by the templates in `templates/` (see pages.py for what each page shows). How they
are rendered:

- Escaping. Autoescape is on, and every `{{ … }}` goes through `finalize`, which escapes anything that is
  not already markup with `text.h` (`html.escape`, quotes included; None prints as nothing). Only the
  filters that escape themselves (`md_inline`, `paragraphs`, `front_matter_title`), the fragment
  placeholders, macros and what pages.py passes in as `Markup` (the SVG charts, which svg.py escapes) are
  markup. Free text from records therefore cannot reach a page unescaped, whichever template it goes
  through. Jinja's `~` and `join` with a markup operand escape the others with markupsafe, whose entities
  (`&#34;`) are not `h`'s (`&quot;`): still safe, but not the same bytes; the templates avoid that.
- Whitespace. Page templates (`*.md.j2`) are line-oriented Markdown: block tags stand on lines of their
  own, which `trim_blocks`/`lstrip_blocks` remove. HTML is written between `{% oneline %}` and
  `{% endoneline %}` (see `OneLine`), where the template's own line breaks are dropped: a raw HTML block
  must not contain a blank line, and the fragments are single lines. A space wanted in the output is
  written inside a line, never at its end.
- Links. `url(target_md, frag)` is the relative URL from the page being rendered (the `page` variable) to
  the built page of `target_md`; `rel(path)` the relative path to any other file of the site.
- Fragments. `{% filter frag %}…{% endfilter %}` sets its HTML aside for the hook (hooks.py) through the
  `site` variable and leaves the placeholder in the page.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context
from markupsafe import Markup

from .text import flop, h, html_path, md_inline, num, one_line, paragraphs, percent_fraction, rel, size, times

TEMPLATES = Path(__file__).resolve().parent / "templates"

_ONELINE = re.compile(
    r"^[ \t]*\{%-?\s*oneline\s*-?%\}[ \t]*\n(.*?)^[ \t]*\{%-?\s*endoneline\s*-?%\}[ \t]*(?:\n|\Z)", re.S | re.M
)
_TAG = re.compile(r"(\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\})", re.S)
_BREAK = re.compile(r"[ \t]*\n[ \t]*")


def _join_lines(m: re.Match[str]) -> str:
    parts = _TAG.split("\n" + m.group(1))
    # even parts are template text: line breaks and the spaces around them go; odd parts are tags and
    # expressions, where a line break is only a space
    return "".join(_BREAK.sub(" " if i % 2 else "", part) for i, part in enumerate(parts))


class OneLine(Extension):
    """`{% oneline %}` … `{% endoneline %}`, each on a line of its own: the lines between are joined into one.

    The template's line breaks, with the spaces and tabs around them, are dropped before it is compiled,
    so only what is written inside a line reaches the output (the values inserted keep their own line
    breaks). The two marker lines are dropped as well, so the joined line has no line break at its end:
    the page templates keep their macros there and call them on lines of their own.
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return _ONELINE.sub(_join_lines, source)


def finalize(value: object) -> object:
    """Every `{{ … }}` value: markup as it is, anything else escaped with `h` (None prints as nothing)."""
    return value if hasattr(value, "__html__") else Markup(h(value))


@functools.lru_cache(maxsize=1 << 16)
def _relpath(page: str, target: str) -> str:
    """`text.rel`, remembered: a page links to the same few pages many times (posixpath.relpath is slow)."""
    return rel(page, target)


@pass_context
def _url(ctx: Context, target_md: str, frag: str = "") -> str:
    """Relative URL from the page being rendered to the built page of `target_md` (and an anchor in it)."""
    return _relpath(ctx["page"], html_path(target_md)) + (f"#{frag}" if frag else "")


@pass_context
def _rel(ctx: Context, target: str) -> str:
    """Relative path from the page being rendered to a site path (a Markdown link, a download)."""
    return _relpath(ctx["page"], target)


@pass_context
def _frag(ctx: Context, html: str) -> Markup:
    """Set `html` aside for the hook (hooks.py) and return the placeholder that marks its place."""
    return Markup(ctx["site"].frag(ctx["page"], str(html)))


def sort_key(v: float | None) -> str:
    """A data-sort attribute value: the exact number, or empty (sorted last) when there is none."""
    return "" if v is None else repr(v)


def front_matter_title(value: object) -> Markup:
    """A page title for the front matter: HTML-escaped, then JSON (which YAML reads verbatim).

    Escaped because mkdocs-material prints `page.meta.title` into <title> and the header as is. Record pages
    set it for exactly that reason: without it, the theme derives the title from the heading and runs it
    through Jinja's `striptags`, which *unescapes* entities, so a name like `</title><script>…` would be
    written into the page as markup.
    """
    return Markup(json.dumps(str(finalize(value)), ensure_ascii=False))


def environment(**helpers: Callable[..., Any]) -> jinja2.Environment:
    """The environment of `templates/`, with the number filters of text.py and `helpers` as globals."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=[OneLine],
    )
    env.filters.update(
        md_inline=lambda v: Markup(md_inline(v)),
        paragraphs=lambda v: Markup(paragraphs(v)),
        front_matter_title=front_matter_title,
        one_line=one_line,
        num=num,
        times=times,
        flop=flop,
        percent_fraction=percent_fraction,
        size=size,
        sortkey=sort_key,
        repr=repr,
        thousands=lambda n: f"{n:,}",
        frag=_frag,
    )
    env.globals.update(url=_url, rel=_rel, **helpers)
    return env
