"""The static site: strict build, links, no network resources, escaping, charts, downloads, field reference.

One site is built per module from synthetic records (valid by construction, with one enhancement whose
name and description hold markup) and shared by the tests, since a build takes a few seconds.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
import yaml
from linkcheck import check
from ptedb.site import SiteError, build_site
from ptedb.site import synthetic as syn
from ptedb.site.build import contributing_page
from ptedb.site.svg import Axis, Chart, Mark
from ptedb.site.text import md_inline, num

from ptedb.build import build

SITE_PKG = Path(__file__).resolve().parent.parent / "site"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built dist/ (with dist/site/) from 24 synthetic enhancements plus the hostile one."""
    root = tmp_path_factory.mktemp("site")
    records = syn.write_records(root, 24, hostile=True)
    result = build(records, root / "dist")
    assert not result.diagnostics, [str(d) for d in result.diagnostics]
    build_site(root / "dist", keep_docs=root / "mkdocs-project")
    return root


def site_dir(root: Path) -> Path:
    return root / "dist" / "site"


def test_site_lists_its_own_files(built_site: Path) -> None:
    """The site's SHA256SUMS covers every page and the download copy, so the next build notices damage."""
    from ptedb.cache import site_intact

    sums = (site_dir(built_site) / "SHA256SUMS").read_text().splitlines()
    names = {line.split("  ", 1)[1] for line in sums}
    assert {"index.html", "download/ptedb.duckdb", "download/SHA256SUMS"} <= names
    assert site_intact(built_site / "dist")
    page = site_dir(built_site) / "methodology.html"
    original = page.read_bytes()
    page.write_bytes(original.replace(b"</body>", b"<!-- x --></body>"))
    try:
        assert not site_intact(built_site / "dist")
    finally:
        page.write_bytes(original)
    assert site_intact(built_site / "dist")


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside <script> and <title> elements."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.titles: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag in ("script", "title"):
            self._in = tag
            (self.scripts if tag == "script" else self.titles).append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == self._in:
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "title":
            self.titles[-1] += data


def elements(path: Path) -> Elements:
    p = Elements()
    p.feed(path.read_text(encoding="utf-8"))
    return p


# --- the build ------------------------------------------------------------------------------------


def test_site_has_every_page(built_site: Path) -> None:
    site = site_dir(built_site)
    for page in (
        "index.html",
        "explore.html",
        "enhancements/index.html",
        "enhancements/synthetic-000.html",
        f"enhancements/{syn.HOSTILE_ID}.html",
        "benchmarks/index.html",
        "benchmarks/bench0.html",
        "categories/index.html",
        "categories/prompting.html",
        "tradeoffs.html",
        "methodology.html",
        "caveats.html",
        "downloads.html",
        "reference.html",
        "contributing.html",
        "search/search_index.json",
        "assets/ptedb.js",
        "assets/ptedb.css",
    ):
        assert (site / page).is_file(), page


def test_mkdocs_cli_build_strict_passes(built_site: Path, tmp_path: Path) -> None:
    """The generated project builds with the mkdocs command line itself, in strict mode."""
    project = built_site / "mkdocs-project"
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "strict: true" in text
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (tmp_path / "out" / "index.html").is_file()
    assert "WARNING" not in proc.stderr, proc.stderr[-3000:]


def test_generated_markdown_never_lands_in_the_repository(built_site: Path) -> None:
    generated = [p for p in (SITE_PKG / "docs").rglob("*") if p.is_file()]
    names = {p.relative_to(SITE_PKG / "docs").as_posix() for p in generated}
    assert "index.md" not in names and "explore.md" not in names
    assert not any(n.startswith("enhancements/") for n in names)
    assert not (SITE_PKG / "site").exists()


def test_no_broken_internal_links(built_site: Path) -> None:
    report = check(site_dir(built_site))
    assert report.pages > 40
    assert report.links > 1000
    assert report.broken == []


def test_link_checker_finds_broken_links_and_anchors(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<a href="b.html#here">ok</a><a href="b.html#nowhere">bad anchor</a><a href="missing.html">bad</a>'
        '<img src="img/x.png"><a href="https://example.org/">external</a>',
        encoding="utf-8",
    )
    (tmp_path / "b.html").write_text('<h2 id="here">x</h2>', encoding="utf-8")
    report = check(tmp_path)
    assert len(report.broken) == 3, report.broken
    assert report.external == {"https://example.org/"}


def test_failed_site_build_keeps_the_previous_site(built_site: Path, tmp_path: Path) -> None:
    with pytest.raises(SiteError, match="run 'ptedb build' first"):
        build_site(tmp_path / "nothing-here")
    # a database that is not ptedb's leaves the existing site alone
    import shutil

    dist = tmp_path / "dist"
    shutil.copytree(built_site / "dist", dist)
    before = (dist / "site" / "index.html").read_bytes()
    (dist / "ptedb.duckdb").write_bytes(b"not a database")
    with pytest.raises(SiteError):
        build_site(dist)
    assert (dist / "site" / "index.html").read_bytes() == before
    assert not list(dist.glob(".site.tmp-*"))


# --- nothing from the network ---------------------------------------------------------------------

LOADING = {
    ("script", "src"),
    ("img", "src"),
    ("iframe", "src"),
    ("source", "src"),
    ("audio", "src"),
    ("video", "src"),
    ("embed", "src"),
    ("object", "data"),
    ("image", "href"),
    ("use", "href"),
}
LINK_RELS_THAT_LOAD = {
    "stylesheet",
    "preload",
    "prefetch",
    "preconnect",
    "dns-prefetch",
    "modulepreload",
    "icon",
    "manifest",
    "shortcut",
}
EXTERNAL = re.compile(r"^(https?:)?//", re.I)

# URLs inside mkdocs-material's own JavaScript, each loaded only by a feature this site does not use.
# The tests below check that those features stay off.
MATERIAL_JS_ALLOWED = (
    "https://unpkg.com/mermaid@",  # only for pages with mermaid diagrams (none: checked below)
    "https://unpkg.com/resize-observer-polyfill",  # only in browsers without ResizeObserver
    "https://api.github.com/",  # repository facts, only with repo_url (not set: checked below)
    "https://${",  # GitLab repository facts, likewise only with repo_url
    "https://clipboardjs.com",  # a licence comment
    "http://lunrjs.com",  # a licence comment
    "http://tartarus.org/",  # a comment in the Porter stemmer
    "https://bit.ly/",  # a comment
)


def test_pages_load_nothing_from_other_hosts(built_site: Path) -> None:
    site = site_dir(built_site)
    problems = []
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "fonts.gstatic" not in text, page
        assert 'class="mermaid"' not in text and "md-source" not in text, page
        for tag, attrs in elements(page).tags:
            for attr in ("src", "href", "data", "xlink:href"):
                value = attrs.get(attr) or ""
                if not EXTERNAL.match(value):
                    continue
                rels = set((attrs.get("rel") or "").lower().split())
                if (
                    (tag, attr) in LOADING
                    or (tag, attr.split(":")[-1]) in LOADING
                    or (tag == "link" and rels & LINK_RELS_THAT_LOAD)
                ):
                    problems.append(f"{page.relative_to(site)}: <{tag} {attr}={value}>")
            if "style" in attrs and re.search(r"url\(\s*['\"]?(https?:)?//", attrs["style"] or ""):
                problems.append(f"{page.relative_to(site)}: <{tag} style> loads {attrs['style']}")
    for css in site.rglob("*.css"):
        for m in re.finditer(r"(@import\s+(url\()?|url\()\s*['\"]?((https?:)?//[^'\")\s]+)", css.read_text("utf-8")):
            problems.append(f"{css.relative_to(site)}: {m.group(3)}")
    # JavaScript that pages run: their <script src> and the search worker named in material's config
    scripts: set[Path] = set()

    def local(page: Path, url: str) -> Path:  # 404.html uses root-absolute URLs
        return (site / url.lstrip("/")).resolve() if url.startswith("/") else (page.parent / url).resolve()

    for page in site.rglob("*.html"):
        parsed = elements(page)
        for tag, attrs in parsed.tags:
            if tag == "script" and attrs.get("src") and not EXTERNAL.match(attrs["src"] or ""):
                scripts.add(local(page, attrs["src"] or ""))
        for s in parsed.scripts:
            for worker in re.findall(r'"search":\s*"([^"]+\.js)"', s):
                scripts.add(local(page, worker))
    assert any("workers/search" in str(s) for s in scripts)
    for js in sorted(scripts):
        assert js.is_file(), js
        text = js.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"https?://[^\s\"'`)]+", text):
            url = m.group(0)
            if not any(url.startswith(prefix) for prefix in MATERIAL_JS_ALLOWED):
                problems.append(f"{js.relative_to(site)}: {url}")
    assert problems == []


def test_config_disables_google_fonts_and_cdn_features() -> None:
    import yaml

    config = yaml.safe_load((SITE_PKG / "mkdocs.yml").read_text(encoding="utf-8"))
    assert config["theme"]["font"] is False
    assert "repo_url" not in config
    plugins = [p if isinstance(p, str) else next(iter(p)) for p in config["plugins"]]
    assert "offline" not in plugins  # it would add a polyfill from unpkg.com
    assert not any("http" in str(u) for u in config.get("extra_javascript", []) + config.get("extra_css", []))


# --- escaping -------------------------------------------------------------------------------------


def test_hostile_record_renders_as_text(built_site: Path) -> None:
    site = site_dir(built_site)
    page = site / "enhancements" / f"{syn.HOSTILE_ID}.html"
    parsed = elements(page)
    assert not any("alert(" in s for s in parsed.scripts)
    assert not any(k.startswith("on") for _, attrs in parsed.tags for k in attrs)
    assert not any(tag == "img" and attrs.get("src") == "x" for tag, attrs in parsed.tags)
    assert not any(tag == "b" for tag, _ in parsed.tags)
    assert not any(tag == "a" and "javascript:" in (attrs.get("href") or "") for tag, attrs in parsed.tags)
    # the <title> shows the name as typed, neither stripped nor interpreted
    assert parsed.titles[0].startswith(syn.HOSTILE_NAME)
    text = page.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&quot;desc&quot;)&lt;/script&gt;" in text or '&lt;script&gt;alert("desc")' in text
    assert "**not bold**" in text  # Markdown in a description stays literal
    assert "*Bold* [x](javascript:alert(1))" in text  # … and in the heading
    # every page that mentions the record (tables, charts, search) keeps it inert
    for other in site.rglob("*.html"):
        p = elements(other)
        assert not any("alert(" in s for s in p.scripts), other
        assert not any(k.startswith("on") for _, attrs in p.tags for k in attrs), other
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert not any("<script" in d["title"] + d["text"] for d in index["docs"])


def test_md_inline_neutralises_markdown_and_html() -> None:
    import markdown

    text = "<b>x</b> *a* _b_ `c` [d](e) # f | g \\ {#h} & 1."
    html = markdown.markdown(md_inline(text), extensions=["tables", "attr_list"])
    assert "<b>" not in html and "<em>" not in html and "<code>" not in html and "<a " not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html and "&amp;" in html


def test_templates_escape_every_value_as_h_does() -> None:
    from markupsafe import Markup
    from ptedb.site.pages import env

    tpl = env().from_string('<p title="{{ x }}">{{ x }} {{ m }} {{ n }}</p>')
    out = tpl.render(x='<a href="\'&">', m=Markup("<b>kept</b>"), n=None)
    escaped = "&lt;a href=&quot;&#x27;&amp;&quot;&gt;"  # html.escape's entities, not markupsafe's &#34; &#39;
    assert out == f'<p title="{escaped}">{escaped} <b>kept</b> </p>'


def test_oneline_joins_template_lines_but_not_values() -> None:
    from ptedb.site.pages import env

    src = "a\n{% oneline %}\n<ul>\n  {% for v in xs %}\n    <li>{{ v }}</li> \n  {% endfor %}\n</ul>\n"
    src += "{% endoneline %}\nb\n"
    assert env().from_string(src).render(xs=["1", "2\n3"]) == "a\n<ul><li>1</li><li>2\n3</li></ul>b\n"


# --- content --------------------------------------------------------------------------------------


def test_home_has_counts_version_and_both_charts(built_site: Path) -> None:
    site = site_dir(built_site)
    text = (site / "index.html").read_text(encoding="utf-8")
    assert "v2026.01.0" in text
    assert "compute-equivalent gain" in text.lower()
    for chart_id in ("chart-ceg-vs-cost", "chart-ceg-vs-multiplier"):
        m = re.search(rf'<svg [^>]*id="{chart_id}"[^>]*>(.*?)</svg>', text, re.S)
        assert m, chart_id
        body = m.group(1)
        assert f'<title id="{chart_id}-title">' in body and f'<desc id="{chart_id}-desc">' in body
        # one mark per enhancement, linking to its page: the chart grows with enhancements, not evaluations
        links = re.findall(r'<a href="([^"]+)">', body)
        assert 10 < len(links) <= 25 and len(set(links)) == len(links)
        assert all(re.fullmatch(r"enhancements/[^/]+\.html", h) for h in links), links[:3]
        # the caption says how many enhancements the chart shows, of how many
        after = text[m.end() : text.index("</figcaption>", m.end())]
        assert re.search(rf"the {len(links)} of 25 enhancements that have a headline", after), after[:300]
    assert 'aria-labelledby="chart-ceg-vs-cost-title chart-ceg-vs-cost-desc"' in text


def test_explore_lists_every_evaluation_with_filter_attributes(built_site: Path) -> None:
    site = site_dir(built_site)
    text = (site / "explore.html").read_text(encoding="utf-8")
    table = text[text.index('id="explore-table"') : text.index("</table>", text.index('id="explore-table"'))]
    assert table.count("<tr>") == 1 + 24 * 3 + 1  # the heading row; the hostile enhancement has one evaluation
    assert 'id="ptedb-filters"' in text and 'data-rows="PTEDB_EXPLORE"' in text and "data-kinds=" in text
    assert "data-sortable" in text and "ptedb.js" in text


def test_how_to_cite_comes_from_citation_cff(built_site: Path, tmp_path: Path) -> None:
    from ptedb.site.build import read_citation
    from ptedb.site.pages import citation

    repo_cff = Path(__file__).resolve().parents[1] / "CITATION.cff"
    cff = read_citation(repo_cff)
    assert cff is not None
    cite = citation(cff, "v2099.01.0")
    assert cite is not None
    assert cite["bibtex"].startswith("@misc{ptedb_v2099.01.0,")
    assert "author  = {{The ptedb contributors}}" in cite["bibtex"]
    assert "version = {v2099.01.0}" in cite["bibtex"] and cff["title"] in cite["bibtex"]
    assert "version v2099.01.0" in cite["text"]
    # no file, or one that is not a citation file: no citation is printed rather than a wrong one
    assert read_citation(None) is None
    broken = tmp_path / "CITATION.cff"
    broken.write_text("title: [unclosed", encoding="utf-8")
    assert read_citation(broken) is None
    assert citation(None, "v1") is None
    for page in ("index.html", "downloads.html"):
        text = (site_dir(built_site) / page).read_text(encoding="utf-8")
        assert 'id="how-to-cite"' in text and "@misc{ptedb_v2026.01.0," in text, page


def test_benchmark_page_sums_up_its_enhancements_and_leaves_the_rows_to_explore(built_site: Path) -> None:
    """One row per enhancement measured on the benchmark, not per evaluation: the page grows with the
    enhancements, and Explore, narrowed to the benchmark, has every evaluation."""
    db = duckdb.connect(str(built_site / "dist" / "ptedb.duckdb"), read_only=True)
    [(bid, n_evals, n_enh)] = db.sql(
        "SELECT benchmark_id, count(*), count(DISTINCT enhancement_id) FROM evaluations"
        " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    ).fetchall()
    text = (site_dir(built_site) / "benchmarks" / f"{bid}.html").read_text(encoding="utf-8")
    assert (
        f'href="../explore.html#benchmark={bid}"' in text and f"{n_evals} evaluations of {n_enh} enhancements" in text
    )
    assert "<tr data-enhancement=" not in text  # no table of every evaluation
    rows = re.findall(r'<tr><td><a href="\.\./enhancements/([^"]+)\.html"', text)
    assert len(rows) == len(set(rows)) == n_enh


def test_category_page_sums_up_its_enhancements_and_leaves_the_rows_to_explore(built_site: Path) -> None:
    text = (site_dir(built_site) / "categories" / "efficiency.html").read_text(encoding="utf-8")
    assert "Median CEG" in text and "90% interval" in text
    assert 'href="../explore.html#category=efficiency"' in text
    assert "<tr data-enhancement=" not in text  # no table of every evaluation on the category page
    rows = re.findall(r'<tr><td><a href="\.\./enhancements/([^"]+)\.html"', text)
    assert rows, "one row per enhancement of the category"


def test_caveats_count_reasons_with_names_set_apart() -> None:
    from ptedb.site.pages import _REASON_NAME
    from ptedb.site.pages import reason_key as key

    a = "the base model 'gpt-4' has no training compute on record"
    b = "the base model 'code-davinci-002' has no training compute on record"
    assert key(a) == key(b) == "the base model … has no training compute on record"
    assert _REASON_NAME.findall(b) == ["code-davinci-002"]
    # an apostrophe in running text is not a name
    c = "family curve: the benchmark's test-set size is not on record, so the enhanced score's noise is unknown"
    assert key(c) == c
    assert key("the curve's rise (1.7) is within 2 standard errors of noise (9.17)") == (
        "the curve's rise (…) is within … standard errors of noise (…)"
    )


def test_chart_tooltips_say_the_figure_briefly() -> None:
    from ptedb.site.figures import _short_note, headline

    point = {"ceg": 2.0, "ceg_kind": "point", "ceg_p05": 1.5, "ceg_p95": 2.7, "curve": "family"}
    assert _short_note(point, headline(point)) == "90% 1.5×–2.7×"
    bound = {"ceg": 4.0, "ceg_kind": "lower_bound", "curve": "cross-family", "reason": "a long reason " * 20}
    assert _short_note(bound, headline(bound)) == "lower bound, cross-family"


def test_explore_rows_are_data_that_no_record_can_break_out_of(built_site: Path) -> None:
    import json

    script = (site_dir(built_site) / "assets" / "explore-rows.js").read_text(encoding="utf-8")
    assert script.startswith("window.PTEDB_EXPLORE = ") and script.endswith(";\n")
    assert "</" not in script  # a record's '</script>' cannot end the script early
    data = json.loads(script[len("window.PTEDB_EXPLORE = ") : -2])
    assert len(data["rows"]) == 24 * 3 + 1 and all(len(r) == len(data["fields"]) for r in data["rows"])
    assert data["labels"]["enhancement"][syn.HOSTILE_ID] == syn.HOSTILE_NAME  # as text, once parsed
    for kind, labels in data["labels"].items():  # written in a fixed order: the same data give the same file
        assert list(labels) == sorted(labels), kind
    html = (site_dir(built_site) / "explore.html").read_text(encoding="utf-8")
    assert '<script src="assets/explore-rows.js"></script>' in html


def test_methodology_is_written_for_readers(built_site: Path) -> None:
    text = (site_dir(built_site) / "methodology.html").read_text(encoding="utf-8")
    article = text[text.index("<article") : text.index("</article>")]
    code_part = article.index('id="where-this-lives-in-the-code"')
    body = article[:code_part]
    assert body.count("<math") >= 8  # the formulas are mathematics, drawn by the browser
    assert "ptedb." not in body and "<pre" not in body  # the code is named once, at the end
    assert "ptedb.headline" in article[code_part:] and "<pre" in article[code_part:]


def test_site_leaves_out_what_it_never_loads(built_site: Path) -> None:
    site = site_dir(built_site)
    assert not list(site.glob("assets/**/*.map"))
    assert not (site / "assets" / "javascripts" / "lunr").exists()
    conf = yaml.safe_load((SITE_PKG / "mkdocs.yml").read_text(encoding="utf-8"))
    assert conf["theme"]["language"] == "en"  # the stemmers left out are those of other languages
    assert (site / "assets" / "javascripts" / "workers").is_dir()  # the search itself stays


def test_pages_carry_no_indentation_but_code_keeps_its_own(built_site: Path) -> None:
    """Indentation is dropped from every page, except inside <pre> (code blocks), <script> and <style>."""
    site = site_dir(built_site)
    verbatim = re.compile(r"<(pre|textarea|script|style)\b.*?</\1>", re.S | re.I)
    for page in site.rglob("*.html"):
        text = verbatim.sub("", page.read_text(encoding="utf-8"))
        assert not re.search(r"\n[ \t]", text), page
    downloads = (site / "downloads.html").read_text(encoding="utf-8")
    blocks = "".join(re.findall(r"<pre\b.*?</pre>", downloads, re.S))
    assert "\n  author  = {" in blocks  # the BibTeX entry keeps its indented fields
    assert re.search(r"\n    <span[^>]*>\.</span><span[^>]*>group_by", blocks)  # and the polars example its own


def test_trim_indent_keeps_a_whitespace_run_where_there_was_one() -> None:
    from ptedb.site.hooks import trim_indent

    page = (
        "<div>\n   <p>a\n\n   b</p>\n<pre>  x\n    y</pre>\n  <script>\n  var a;\n</script>\n <PRE class=q>\n  z</PRE>"
    )
    assert trim_indent(page) == (
        "<div>\n<p>a\nb</p>\n<pre>  x\n    y</pre>\n<script>\n  var a;\n</script>\n<PRE class=q>\n  z</PRE>"
    )


def test_explore_puts_evaluations_without_an_estimate_last() -> None:
    from ptedb.site.pages import explore_order

    def ev(name: str, eid: str, kind: str | None) -> dict[str, object]:
        ceg = {"ceg": 2.0, "ceg_kind": kind} if kind else {"ceg": None, "ceg_kind": "none"}
        return {"enhancement_name": name, "evaluation_id": eid, "ceg": ceg}

    evs = [ev("B", "b/1", None), ev("A", "a/1", None), ev("C", "c/1", "lower_bound"), ev("B", "b/2", "point")]
    assert [e["evaluation_id"] for e in explore_order(evs)] == ["b/2", "c/1", "a/1", "b/1"]


def test_enhancement_page_leads_with_its_figures_and_links_each_evaluation_in_detail(built_site: Path) -> None:
    site = site_dir(built_site)
    text = (site / "enhancements" / "synthetic-001.html").read_text(encoding="utf-8")
    assert "synth alias 1" in text and "SE1" in text
    assert 'id="src-synthetic-2026-site"' in text and 'href="https://example.org/synthetic"' in text
    assert 'href="../categories/' in text
    # the summary (a finding with its interval, the kinds counted apart, the costs) comes before the table
    finding = text.index('class="ptedb-finding"')
    assert "90% interval for the median" in text[finding : finding + 2000]
    assert text.index("Costs:") < text.index("<table")
    # one chart: the headline CEG against the base model's compute, with interval bars, linking to details
    charts = re.findall(r'<svg [^>]*class="ptedb-chart"[^>]*id="([^"]+)"', text)
    assert charts == ["chart-ceg-vs-base-compute"]
    assert "Vertical bars are the points&#x27; 90% intervals." in text
    # each evaluation is in detail on its benchmark's page, with its scaling curve and its sources
    links = set(re.findall(r'href="(synthetic-001/[^"#]+\.html)#(ev-[^"]+)"', text))
    assert len({a for _, a in links}) == 3
    details = ""
    for page, anchor in links:
        detail = (site / "enhancements" / page).read_text(encoding="utf-8")
        assert f'id="{anchor}"' in detail
        assert "training compute (FLOP, log scale)" in detail and "<figcaption id=" in detail
        # each scaling chart is described by its caption, not by a second copy of it inside the chart
        described = re.findall(r'<svg [^>]*aria-describedby="([^"]+)"', detail)
        assert described and "<desc" not in detail
        for caption in described:
            assert re.search(f'<figcaption id="{caption}">[^<]*Un-enhanced', detail), caption
        assert 'id="src-synthetic-2026-site"' in detail
        details += detail
    assert "The family&#x27;s curve, made non-decreasing, reaches" in details


def test_downloads_state_sizes_and_checksums_from_dist(built_site: Path) -> None:
    dist = built_site / "dist"
    site = site_dir(built_site)
    text = (site / "downloads.html").read_text(encoding="utf-8")
    for line in (dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        assert digest in text, name
        published = site / "download" / name
        assert hashlib.sha256(published.read_bytes()).hexdigest() == digest
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))  # code blocks are highlighted: drop the spans
    assert "ATTACH 'ptedb.duckdb' AS ptedb (READ_ONLY);" in plain
    assert 'pd.read_parquet("parquet/ceg.parquet")' in plain and 'pl.read_parquet("parquet/ceg.parquet")' in plain
    assert (site / "download" / "SHA256SUMS").is_file()


def test_field_reference_comes_from_the_models(built_site: Path) -> None:
    from ptedb.schema import models as m
    from ptedb.schema.columns import TABLES

    text = (site_dir(built_site) / "reference.html").read_text(encoding="utf-8")
    assert "evaluations[].one_time_cost.fraction_of_pretraining" in text
    desc = m.OneTimeCost.model_fields["fraction_of_pretraining"].description
    assert desc and desc.replace("'", "&#x27;") in text
    for name, table in TABLES.items():
        assert f"<code>{name}</code>" in text
        for col in table.columns:
            assert f"<code>{col.name}</code>" in text, (name, col.name)


def test_the_headline_is_worded_as_the_build_decided() -> None:
    """The site words the build's headline; it never promotes a long extrapolation kept for the record."""
    from ptedb.site.figures import headline

    bound = headline({"ceg": 1000.0, "ceg_kind": "lower_bound", "ceg_interpolated": 3e5, "reason": "beyond"})
    assert bound.kind == "lower_bound" and bound.text == "≥ 1000×" and "3×10⁵" not in bound.note
    point = headline({"ceg": 200.0, "ceg_kind": "point", "ceg_p05": 150.0, "ceg_p95": 260.0, "curve": "cross-family"})
    assert point.text == "200×" and "150×" in point.note and "cross-family" in point.note
    assert headline({"ceg": 0.5, "ceg_kind": "upper_bound"}).text == "≤ 0.5×"
    assert headline({"ceg_kind": "none", "reason": "no baseline"}).kind == "none"


def test_contributing_page_rewrites_repository_links(tmp_path: Path) -> None:
    src = tmp_path / "CONTRIBUTING.md"
    src.write_text(
        "# Contributing\n\nSee [the method](site/docs/methodology.md#extrapolation) and "
        "[records](records/enhancements/) and [web](https://example.org).\n\n```\n[keep](this/as/is)\n```\n",
        encoding="utf-8",
    )
    page = contributing_page(src)
    assert "[the method](methodology.md#extrapolation)" in page
    assert "records (`records/enhancements/`)" in page
    assert "[web](https://example.org)" in page
    assert "[keep](this/as/is)" in page
    assert "CONTRIBUTING.md" in contributing_page(None)


def test_svg_chart_escapes_and_clamps() -> None:
    chart = Chart("c1", "t <x>", "d & e", Axis("x", 1, 100, log=True), Axis("y", 0, 10))
    chart.mark(Mark(10, 50, "circle", "#000", title="<script>"))
    svg = chart.render()
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "t &lt;x&gt;" in svg and "d &amp; e" in svg
    assert "<path" in svg  # an out-of-range point is drawn as an arrow at the edge


def test_number_format() -> None:
    assert num(199.526) == "200"
    assert num(3.1e23) == "3.1×10²³"
    assert num(1e21) == "10²¹"
    assert num(0.000123) == "1.23×10⁻⁴"
    assert num(None) == "—"


def test_cli_site_command(built_site: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "ptedb", "site", "--out", str(built_site / "dist")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "built" in proc.stderr and "pages" in proc.stderr
    missing = subprocess.run(
        [sys.executable, "-m", "ptedb", "site", "--out", str(built_site / "nope")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert missing.returncode == 1
    assert "run 'ptedb build' first" in missing.stderr and "Traceback" not in missing.stderr


def _curve_chart(lower_bound: float, base: float, enhanced: float) -> tuple[str, str]:
    from ptedb.site.figures import scaling_chart

    points = [{"compute": 10.0**k, "score": s, "model_id": f"m{k}"} for k, s in ((21, 10.0), (22, 20.0), (23, 30.0))]
    ev = {
        "model_id": "m22",
        "benchmark_id": "b",
        "base_score": base,
        "enhanced_score": enhanced,
        "ceg": {"ceg_kind": "lower_bound", "ceg": lower_bound, "lower_bound": lower_bound, "base_compute_flop": 1e22},
    }
    svg, caption = scaling_chart(
        ev, {"points": points, "family": "f", "setting": "s"}, chart_id="c", model_names={}, bench=None, enh_name="E"
    )
    assert svg is not None
    return svg, caption


def test_scaling_chart_says_which_model_was_beaten() -> None:
    _, own = _curve_chart(1.0, 20.0, 25.0)
    assert "beats its own base model beyond noise (ringed): CEG ≥ 1×" in own and "bigger" not in own
    _, bigger = _curve_chart(10.0, 20.0, 35.0)
    assert "beating a bigger un-enhanced family member (ringed): CEG ≥ 10×" in bigger


def test_scaling_chart_labels_base_and_enhanced_apart() -> None:
    """The lower of the two marks is labelled below it, so close scores do not print one label on the other."""
    svg, _ = _curve_chart(1.0, 20.0, 20.5)
    ys = {label: float(y) for y, label in re.findall(r'<text x="[^"]+" y="([^"]+)" class="lbl">(base|enhanced)<', svg)}
    assert ys["base"] - ys["enhanced"] > 20  # base below, enhanced above


def test_chart_tooltips_name_an_enhancement_by_its_short_name() -> None:
    from ptedb.site.text import short_name

    assert short_name("Alpaca: supervised fine-tuning of LLaMA on self-instruct demonstrations") == "Alpaca"
    assert short_name("Týr-the-Pruner (global sparsity-distribution search)") == "Týr-the-Pruner"
    assert short_name("Chain of Draft (CoD) prompting: minimal drafts") == "Chain of Draft"
    assert short_name("Self-consistency") == "Self-consistency"
    assert short_name("(odd) name") == "(odd) name"  # nothing before the explanation: the whole name


def _extrapolated_rows(caveats: str) -> list[str]:
    table = caveats.split('id="extrapolated-estimates', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>", table)


def test_caveats_list_the_farthest_extrapolations_and_give_the_query_for_all(
    built_site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list grows with the data: past CAVEATS_ROWS the page lists the farthest and gives the query."""
    import shutil

    from ptedb.site import pages

    whole = (site_dir(built_site) / "caveats.html").read_text(encoding="utf-8")
    n = int(re.search(r"Extrapolated estimates \((\d+)\)", whole).group(1))  # type: ignore[union-attr]
    assert n > 3 and len(_extrapolated_rows(whole)) == n  # all of them, under the cap
    monkeypatch.setattr(pages, "CAVEATS_ROWS", 3)
    dist = tmp_path / "dist"
    shutil.copytree(built_site / "dist", dist)
    build_site(dist)
    capped = (dist / "site" / "caveats.html").read_text(encoding="utf-8")
    assert f"Extrapolated estimates ({n})" in capped and len(_extrapolated_rows(capped)) == 3
    assert f"The 3 that lie farthest beyond the observed compute are listed; the query below gives all {n}" in capped
    assert "FROM ceg WHERE extrapolated AND ceg_kind" in re.sub(r"<[^>]+>", "", capped)


def test_home_chart_sums_up_each_enhancement_points_apart_from_bounds() -> None:
    from types import SimpleNamespace

    from ptedb.site.figures import CostAxis
    from ptedb.site.pages import summaries

    def ev(eid: str, kind: str, ceg: float | None, cost: float | None) -> dict[str, object]:
        return {"enhancement_id": eid, "cost": cost, "ceg": {"ceg": ceg, "ceg_kind": kind}}

    evs = [
        *(ev("p", "point", v, c) for v, c in ((1.0, 0.1), (2.0, 0.2), (4.0, 0.3), (8.0, 0.4), (16.0, 0.5))),
        ev("p", "lower_bound", 1000.0, 0.1),  # a bound never enters a median
        ev("b", "lower_bound", 0.5, 0.1),
        ev("b", "lower_bound", 3.0, 0.2),
        ev("b", "upper_bound", 0.1, 0.3),
        ev("u", "upper_bound", 0.2, 0.0),
        ev("u", "upper_bound", 0.4, 0.0),
        ev("u", "point", 9.0, None),  # no cost on record: not summed up on a cost chart
        ev("n", "none", None, 0.1),
    ]
    names = {k: {"name": f"{k.upper()}: long", "category": "data"} for k in "pbun"}
    by_enhancement: dict[str, list[dict[str, object]]] = {}
    for e in evs:
        by_enhancement.setdefault(str(e["enhancement_id"]), []).append(e)
    d = SimpleNamespace(by_enhancement=by_enhancement, enhancements=names)
    axis = CostAxis("cost", "c", "cost", "cost", str, str, zero_band=True)
    out, skipped = summaries(d, "index.md", axis)  # type: ignore[arg-type]
    by = {s.enhancement_id: s for s in out}
    assert skipped == 1 and set(by) == {"p", "b", "u"}  # 'n' has no headline
    p, b, u = by["p"], by["b"], by["u"]
    assert (p.kind, p.value, p.n, p.x) == ("point", 4.0, 5, 0.3)  # the points' median cost
    assert p.lo is not None and p.hi is not None and p.lo <= 4.0 <= p.hi
    assert (b.kind, b.value, b.n, b.x) == ("lower_bound", 3.0, 2, 0.2)  # above 1x first, at its own cost
    assert (u.kind, u.value, u.n, u.x) == ("upper_bound", 0.2, 2, 0.0)
    assert p.name == "P" and p.href == "enhancements/p.html"
