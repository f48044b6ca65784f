"""Check every internal link and embedded resource of a built site, anchors included.

mkdocs validates the links it writes from Markdown, but most of this site's links sit in raw HTML
(tables, charts) that mkdocs passes through unchecked. This checker reads the built HTML instead:
every href/src that stays on the site must name an existing file, and every #fragment must be an id
(or a name) in the target page. External http(s) links are collected but not fetched: the site must
build and browse without a network.
"""

from __future__ import annotations

import posixpath
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

LINK_ATTRS = {
    ("a", "href"),
    ("link", "href"),
    ("script", "src"),
    ("img", "src"),
    ("source", "src"),
    ("iframe", "src"),
    ("area", "href"),
    ("use", "href"),
    ("image", "href"),
}


@dataclass
class PageLinks:
    ids: set[str] = field(default_factory=set)
    links: list[tuple[str, str, str]] = field(default_factory=list)  # (tag, attr, url)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.result = PageLinks()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (tag == "a" and name == "name"):
                self.result.ids.add(value)
            if (tag, name) in LINK_ATTRS or (name == "xlink:href"):
                self.result.links.append((tag, name, value))

    handle_startendtag = handle_starttag


def parse(path: Path) -> PageLinks:
    p = _Parser()
    p.feed(path.read_text(encoding="utf-8", errors="replace"))
    p.close()
    return p.result


@dataclass
class Report:
    pages: int = 0
    links: int = 0
    broken: list[str] = field(default_factory=list)
    external: set[str] = field(default_factory=set)


def check(site: Path) -> Report:
    """Every internal link of every HTML page under `site`, resolved against the file system."""
    site = site.resolve()
    cache: dict[Path, PageLinks] = {}

    def links_of(p: Path) -> PageLinks:
        if p not in cache:
            cache[p] = parse(p)
        return cache[p]

    report = Report()
    for page in sorted(site.rglob("*.html")):
        if page == site / "404.html":
            # mkdocs writes the 404 page with root-absolute URLs on purpose: a web server shows it for any
            # missing path, at any depth, so relative links could not work there.
            continue
        report.pages += 1
        info = links_of(page)
        rel_page = page.relative_to(site).as_posix()
        for tag, attr, url in info.links:
            report.links += 1
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                report.external.add(url)
                continue
            if parts.scheme:  # mailto:, data:, javascript: …
                if parts.scheme == "javascript":
                    report.broken.append(f"{rel_page}: <{tag} {attr}> uses a javascript: URL")
                continue
            path = unquote(parts.path)
            if path.startswith("/"):
                report.broken.append(
                    f"{rel_page}: <{tag} {attr}={url!r}> is absolute; the site must work in a subfolder"
                )
                continue
            if path:
                target_rel = posixpath.normpath(posixpath.join(posixpath.dirname(rel_page), path))
                if target_rel.startswith(".."):
                    report.broken.append(f"{rel_page}: {url!r} points outside the site")
                    continue
                target = site / target_rel
                if target.is_dir():
                    target = target / "index.html"
            else:
                target = page
            if not target.is_file():
                report.broken.append(f"{rel_page}: {url!r} → missing {target.relative_to(site).as_posix()}")
                continue
            frag = unquote(parts.fragment)
            if frag and target.suffix == ".html" and tag == "a" and "=" not in frag:
                if frag not in links_of(target).ids:
                    report.broken.append(
                        f"{rel_page}: {url!r} → no id {frag!r} in {target.relative_to(site).as_posix()}"
                    )
    return report


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    site = Path(args[0] if args else "dist/site")
    report = check(site)
    for line in report.broken:
        print(line)
    print(f"{report.pages} pages, {report.links} links, {len(report.broken)} broken, {len(report.external)} external")
    return 1 if report.broken else 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
