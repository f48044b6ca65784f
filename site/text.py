"""Escaping and number formatting for generated pages.

Every string that comes from a record passes through one of these functions before it is written into a
page. The pages are Markdown files whose record-derived content sits mostly in raw HTML blocks (which
Markdown leaves alone), so `h()` (HTML escaping) is enough there; the few places where record text
lands in Markdown proper (headings, which feed the page title, the table of contents and search) use
`md_inline()`, which also neutralises Markdown syntax so that a name like `*Foo* [x](y)` stays literal.
"""

from __future__ import annotations

import html
import math
import posixpath
import re

SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")

# Python-Markdown's backslash-escapable characters (with the tables extension's '|'), except '>', which
# HTML escaping turns into an entity anyway. A backslash before any other character is printed as is, so
# only these are escaped.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def h(value: object) -> str:
    """HTML-escape any value for element content or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def short_name(name: str) -> str:
    """An enhancement's name up to its first explanation (": …" or " (…)"), for a chart's tooltip, where
    the full name repeated on each of hundreds of marks made up a fifth of the home page."""
    cut = min((i for i in (name.find(": "), name.find(" (")) if i > 0), default=len(name))
    return name[:cut]


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def md_inline(value: object) -> str:
    """Record text for a Markdown context (a heading): one line, HTML-escaped, Markdown syntax escaped.

    Backslash escapes are applied first and HTML escaping second, so '<' and '&' become entities (which
    Markdown leaves alone) and every character Markdown would act on is preceded by a backslash.
    """
    text = one_line("" if value is None else str(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return html.escape(text, quote=False)


def paragraphs(text: str | None) -> str:
    """Free text as escaped HTML paragraphs: blank lines separate paragraphs, other newlines are spaces.

    Newlines are folded so that no blank line can end the surrounding raw HTML block early.
    """
    if not text:
        return ""
    paras = [one_line(p) for p in re.split(r"\n\s*\n", str(text)) if p.strip()]
    return "".join(f"<p>{h(p)}</p>" for p in paras)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) (records are validated, but the site does not rely on that), else None."""
    if not url:
        return None
    u = str(url).strip()
    return u if re.match(r"^https?://[^\s\"'<>]+$", u) else None


def rel(from_page: str, target: str) -> str:
    """Relative URL from the built page of `from_page` (a .md path) to `target` (a site path)."""
    start = posixpath.dirname(from_page) or "."
    path, _, frag = target.partition("#")
    out = posixpath.relpath(path, start) if path else ""
    return out + (f"#{frag}" if frag else "")


def html_path(md_path: str) -> str:
    """Site path of a page's HTML, given its Markdown path (use_directory_urls is off)."""
    return md_path[:-3] + ".html" if md_path.endswith(".md") else md_path


# --- numbers --------------------------------------------------------------------------------------


def _sig(x: float, sig: int) -> str:
    a = abs(x)
    digits = sig - 1 - math.floor(math.log10(a))
    r = round(x, digits)
    if digits > 0:
        return f"{r:.{digits}f}".rstrip("0").rstrip(".")
    return f"{int(r)}"


def num(x: float | None, sig: int = 3) -> str:
    """A number for people: 3 significant digits, ×10ⁿ notation outside 0.01 … 99,999."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    if x == 0:
        return "0"
    if not math.isfinite(x):
        return "∞" if x > 0 else "−∞"
    a = abs(x)
    if 0.01 <= a < 100_000:
        out = _sig(x, sig)
        return out.replace("-", "−")
    e = math.floor(math.log10(a))
    m = x / 10**e
    m_txt = _sig(m, sig)
    if m_txt in ("10", "−10", "-10"):
        e += 1
        m_txt = "1" if m > 0 else "-1"
    exp = f"10{str(e).translate(SUPERSCRIPT)}"
    if m_txt == "1":
        return exp
    if m_txt == "-1":
        return f"−{exp}"
    return f"{m_txt}×{exp}".replace("-", "−")


def times(x: float | None) -> str:
    """A multiplier: '200×'."""
    return "—" if x is None else f"{num(x)}×"


def flop(x: float | None) -> str:
    return "—" if x is None else f"{num(x)} FLOP"


def percent_fraction(x: float | None) -> str:
    """A fraction of pre-training compute as a percentage: 0.001 → '0.1%'."""
    if x is None:
        return "—"
    if x == 0:
        return "0"
    return f"{num(x * 100)}%"


def size(n: int) -> str:
    """Bytes for people: '5.6 MB'."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover
