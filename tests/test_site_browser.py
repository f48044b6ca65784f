"""The built site in a real browser: Debian's Chromium driven by Playwright, headless, offline.

Opens home, explore, an enhancement page and downloads from a local http.server on 127.0.0.1, fails on
any console error or any request to another host, checks that the explore filters narrow the table,
that search finds an enhancement by an alias, that a hostile record stays text, and saves screenshots.

Prerequisites are installed by the test set-up, never downloaded by Playwright: the `playwright` Python
package comes with the `test` extra, Chromium from Debian (`tests/setup-browser.sh`, run by `make test`).
The test skips, saying why, only when no Chromium can be found.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from ptedb.site import build_site, make_server
from ptedb.site import synthetic as syn

from ptedb.build import build

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def find_chromium() -> str | None:
    for candidate in (os.environ.get("PTEDB_CHROMIUM"), shutil.which("chromium"), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Debian's chromium is not installed: run 'bash tests/setup-browser.sh' as root "
    "(apt-get install chromium); Playwright's own browser download is not used",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("browser-site")
    records = syn.write_records(root, 12, hostile=True)
    result = build(records, root / "dist")
    assert not result.diagnostics, [str(d) for d in result.diagnostics]
    return build_site(root / "dist").site_dir


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    server: Any = make_server(site, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package (test extra) is missing")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def screenshots() -> Path:
    d = Path(os.environ.get("PTEDB_SCREENSHOTS") or tempfile.gettempdir()) / "ptedb-site-screenshots"
    d.mkdir(parents=True, exist_ok=True)
    return d


class Watch:
    """Console errors, uncaught exceptions, dialogs and requests to other hosts, for one browser context."""

    def __init__(self, context: Any) -> None:
        self.errors: list[str] = []
        self.foreign: list[str] = []
        self.dialogs: list[str] = []
        context.route("**/*", self._route)

    def _route(self, route: Any) -> None:
        host = urlsplit(route.request.url).hostname
        if host in ("127.0.0.1", None):
            route.continue_()
        else:
            self.foreign.append(route.request.url)
            route.abort()

    def page(self, context: Any) -> Any:
        page = context.new_page()
        page.on("console", lambda m: self.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))

        def on_dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", on_dialog)
        return page


@pytest.fixture
def ctx(browser: Any) -> Iterator[tuple[Any, Watch]]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    watch = Watch(context)
    try:
        yield context, watch
    finally:
        context.close()
    assert watch.foreign == [], "requests to other hosts"
    assert watch.errors == []
    assert watch.dialogs == []


def test_pages_open_without_errors_and_are_screenshotted(
    ctx: tuple[Any, Watch], base_url: str, screenshots: Path
) -> None:
    context, watch = ctx
    page = watch.page(context)
    for name, path, full in (
        ("home", "index.html", True),
        ("explore", "explore.html", False),
        ("enhancement", "enhancements/synthetic-001.html", True),
        ("downloads", "downloads.html", True),
    ):
        response = page.goto(base_url + path, wait_until="load")
        assert response is not None and response.ok, path
        page.wait_for_timeout(300)
        assert page.locator("h1").first.is_visible()
        shot = screenshots / f"{name}.png"
        page.screenshot(path=str(shot), full_page=full)
        assert shot.stat().st_size > 10_000
    page.goto(base_url + "index.html")
    assert (page.locator("svg#chart-ceg-vs-cost title").first.text_content() or "").startswith(
        "Compute-equivalent gain"
    )
    assert page.locator("svg#chart-ceg-vs-cost a").count() > 10
    first_tip = page.locator("svg#chart-ceg-vs-cost a title").first.text_content() or ""
    assert "median CEG" in first_tip or "(the strongest of" in first_tip


def test_explore_filters_narrow_and_sort_the_table(ctx: tuple[Any, Watch], base_url: str, screenshots: Path) -> None:
    context, watch = ctx
    page = watch.page(context)
    page.goto(base_url + "explore.html")
    rows = page.locator("#explore-table tbody tr")
    total = rows.count()
    assert total == 12 * 3 + 1
    assert page.locator("#explore-table tbody tr:visible").count() == total
    page.select_option("select[name=category]", "efficiency")
    visible = page.locator("#explore-table tbody tr:visible")
    n = visible.count()
    assert 0 < n < total
    assert set(visible.evaluate_all("rs => rs.map(r => r.dataset.category)")) == {"efficiency"}
    assert page.locator(".ptedb-status").inner_text() == f"Showing {n} of {total} evaluations"
    assert "category=efficiency" in page.url
    page.fill("input[name=q]", "Synthetic enhancement 5")
    assert page.locator("#explore-table tbody tr:visible").count() == 3
    page.screenshot(path=str(screenshots / "explore-filtered.png"))
    page.click("button.ptedb-reset")
    assert page.locator("#explore-table tbody tr:visible").count() == total
    # sorting by CEG: ascending, empty values last
    header = page.locator("#explore-table thead th", has_text="CEG").first
    header.locator("button").click()
    assert header.get_attribute("aria-sort") == "ascending"
    values = page.locator("#explore-table tbody tr").evaluate_all(
        "rs => rs.map(r => r.cells[5].dataset.sort).filter(v => v !== '').map(Number)"
    )
    assert values == sorted(values) and len(values) > 5
    # the headline says when it is a bound, and when it was read on a cross-family curve
    assert page.locator("#explore-table td.ceg-lower_bound", has_text="≥").count() > 0
    assert page.locator("#explore-table td.ceg-point", has_text="cross-family").count() > 0
    # a filter in the address (as the category pages link) is applied on load
    page.goto(base_url + "explore.html#category=data")
    page.reload()
    assert page.locator("select[name=category]").input_value() == "data"
    assert set(
        page.locator("#explore-table tbody tr:visible").evaluate_all("rs => rs.map(r => r.dataset.category)")
    ) == {"data"}


def test_explore_kind_filter_narrowing_counts_pages_and_address(ctx: tuple[Any, Watch], base_url: str) -> None:
    """The kind-of-estimate filter (the home page links to it), options that count what the other filters
    leave and disable what would leave nothing, pages of rows, and the address applied whenever it changes."""
    context, watch = ctx
    page = watch.page(context)
    page.goto(base_url + "index.html")
    page.locator(".ptedb-stats a", has_text="point estimates").click()
    page.wait_for_load_state()
    assert page.url.endswith("explore.html#kind=point")
    # the rows are data, drawn a page at a time: the expected counts come from the data itself
    data = page.evaluate(
        """() => { const d = window.PTEDB_EXPLORE; const F = {}; d.fields.forEach((f, i) => { F[f] = i; });
        return d.rows.map(r => ({kind: r[F.kind], category: r[F.category]})); }"""
    )
    total = len(data)
    kinds = [r["kind"] for r in data]
    points = kinds.count("point")
    assert 0 < points < total
    assert page.locator("select[name=kind]").input_value() == "point"
    visible = page.locator("#explore-table tbody tr:visible")
    assert set(visible.evaluate_all("rs => rs.map(r => r.dataset.kind)")) == {"point"}
    assert page.locator(".ptedb-status").inner_text() == f"Showing {points} of {total} evaluations"
    # every category option counts the point rows of that category; those with none are disabled
    cats = [r["category"] for r in data if r["kind"] == "point"]
    for opt in page.locator("select[name=category] option").all():
        value = opt.get_attribute("value")
        if not value:
            assert opt.inner_text() == f"all ({points})"
            continue
        n = cats.count(value)
        assert opt.inner_text().endswith(f"({n})"), (value, opt.inner_text())
        assert opt.is_disabled() == (n == 0)
    # and the kind options count within the chosen category
    page.select_option("select[name=category]", cats[0])
    in_cat = [r["kind"] for r in data if r["category"] == cats[0]]
    for opt in page.locator("select[name=kind] option").all():
        value = opt.get_attribute("value")
        if value:
            assert opt.inner_text().endswith(f"({in_cat.count(value)})")
    assert "kind=point" in page.url and f"category={cats[0]}" in page.url
    # pages of rows
    page.click("button.ptedb-reset")
    page.select_option("select[name=rows]", "25")
    assert page.locator("#explore-table tbody tr:visible").count() == 25
    assert page.locator(".ptedb-where").inner_text() == f"rows 1–25 of {total}"
    page.click("button.ptedb-next")
    assert page.locator("#explore-table tbody tr:visible").count() == total - 25
    assert page.locator("#explore-table tbody tr").count() == total - 25  # only the page's rows are drawn
    assert page.locator("button.ptedb-next").is_disabled()
    # a changed address is applied without a reload
    page.evaluate("location.hash = 'category=efficiency'")
    page.wait_for_function("document.querySelector('select[name=category]').value === 'efficiency'")
    assert set(visible.evaluate_all("rs => rs.map(r => r.dataset.category)")) == {"efficiency"}
    assert page.locator("select[name=kind]").input_value() == ""


def test_explore_table_is_readable_without_javascript(browser: Any, base_url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(base_url + "explore.html")
        assert page.locator("#explore-table tbody tr:visible").count() == 12 * 3 + 1
        assert page.locator("select").count() == 0  # controls only appear when they work
        assert page.locator("#explore-table tbody tr").first.locator("td").count() >= 9
    finally:
        context.close()


def search(page: Any, query: str) -> None:
    """Type into material's search box as a person would (its search reacts to key presses)."""
    box = page.locator("input.md-search__input")
    box.fill("")
    box.press_sequentially(query)


def test_search_finds_an_enhancement_by_alias(ctx: tuple[Any, Watch], base_url: str, screenshots: Path) -> None:
    context, watch = ctx
    page = watch.page(context)
    page.goto(base_url + "index.html")
    search(page, syn.HOSTILE_ALIASES[1])  # 'HMK'
    hit = page.locator(f'.md-search-result__item a[href*="{syn.HOSTILE_ID}"]').first
    hit.wait_for(state="visible", timeout=15_000)
    page.screenshot(path=str(screenshots / "search.png"))
    search(page, "SE7")
    page.locator('.md-search-result__item a[href*="synthetic-007"]').first.wait_for(state="visible", timeout=15_000)


def test_hostile_record_stays_text_in_the_browser(ctx: tuple[Any, Watch], base_url: str, screenshots: Path) -> None:
    context, watch = ctx
    page = watch.page(context)
    page.goto(base_url + f"enhancements/{syn.HOSTILE_ID}.html")
    page.wait_for_timeout(300)
    assert '<script>alert("name")</script>' in page.locator("article h1").inner_text()
    assert page.title().startswith('<script>alert("name")</script>')
    desc = page.locator(".ptedb-desc").inner_text()
    assert "<img src=x onerror=alert(2)>" in desc and "**not bold**" in desc
    assert page.locator("article img").count() == 0
    assert page.locator("article b").count() == 0
    page.screenshot(path=str(screenshots / "hostile.png"), full_page=True)
    page.goto(base_url + "explore.html")
    search(page, "HMK")
    page.locator(".md-search-result__item").first.wait_for(state="visible", timeout=15_000)
    assert watch.dialogs == []


def test_home_leads_with_headline_figures_and_intervals(browser: Any, base_url: str) -> None:
    """The finding comes first: a median CEG with its interval, per category, before the counts."""
    page = browser.new_page()
    page.goto(base_url + "index.html")
    finding = page.locator("p.ptedb-finding")
    assert finding.count() == 1 and "×" in finding.inner_text() and "90% interval" in finding.inner_text()
    first_table = page.locator("table.ptedb-evals").first
    assert "Median CEG (90% interval)" in first_table.inner_text()
    finding_top = finding.bounding_box()["y"]
    stats_top = page.locator(".ptedb-stats").bounding_box()["y"]
    assert finding_top < stats_top
    # a category's name is broken between words, never inside one ("Promptin-g"), and the table fits
    broken = page.evaluate(
        """() => [...document.querySelectorAll('table.ptedb-evals td:first-child a')]
             .filter(a => !a.textContent.trim().includes(' ') && a.getClientRects().length > 1)
             .map(a => a.textContent)"""
    )
    assert broken == []
    wrap = first_table.locator("xpath=..")
    assert wrap.evaluate("w => w.scrollWidth <= w.clientWidth + 1")
    page.close()


PHONE_CHECK = """() => {
  const small = [];
  document.querySelectorAll('article svg.ptedb-chart text').forEach(t => {
    const svg = t.ownerSVGElement, vb = svg.viewBox.baseVal;
    const px = parseFloat(getComputedStyle(t).fontSize) * svg.getBoundingClientRect().width / vb.width;
    if (px < 10) small.push(t.textContent + ' ' + px.toFixed(1));
  });
  return {page: document.documentElement.scrollWidth, view: window.innerWidth,
          charts: document.querySelectorAll('article svg.ptedb-chart').length, small: small};
}"""


def test_a_phone_has_no_sideways_page_and_readable_charts(browser: Any, base_url: str) -> None:
    """At 390 px: no page scrolls sideways (wide tables and charts scroll inside their own box), chart
    labels are at least 10 px, and a wide table keeps its first column in view."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        charts = 0
        for path in ("index.html", "explore.html", "enhancements/synthetic-001.html", "tradeoffs.html"):
            page.goto(base_url + path)
            got = page.evaluate(PHONE_CHECK)
            assert got["page"] <= got["view"], (path, got)
            assert got["small"] == [], (path, got["small"][:5])
            charts += got["charts"]
        assert charts >= 3  # the home page's two charts and the enhancement's scaling curves were measured
        page.goto(base_url + "explore.html")
        first = page.locator("#explore-table tbody tr").first.locator("td").first
        x_before = first.bounding_box()["x"]
        page.evaluate("document.querySelector('.ptedb-scroll').scrollLeft = 300")
        assert abs(first.bounding_box()["x"] - x_before) < 1  # held in place while the table scrolls
    finally:
        context.close()


def test_search_opened_from_the_file_system_says_why_it_cannot_run(browser: Any, site: Path) -> None:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        note = page.locator("article p.ptedb-nosearch")
        assert note.is_visible() and "ptedb site --serve" in note.inner_text()
        # the explorer's filters do work there
        page.goto((site / "explore.html").as_uri())
        assert page.locator("article p.ptedb-nosearch").is_visible()
        page.select_option("select[name=category]", "efficiency")
        assert 0 < page.locator("#explore-table tbody tr:visible").count() < 12 * 3 + 1
        # served over http there is no such note (search works, as the search test shows)
    finally:
        context.close()


def test_served_pages_carry_no_file_system_note(browser: Any, base_url: str) -> None:
    page = browser.new_page()
    page.goto(base_url + "index.html")
    page.wait_for_timeout(200)
    assert page.locator("p.ptedb-nosearch").count() == 0
    page.close()


def test_an_enhancement_page_leads_with_its_figures_and_its_table_fits(browser: Any, base_url: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(base_url + "enhancements/synthetic-001.html")
        finding = page.locator("article p.ptedb-finding").first
        assert "90% interval for the median" in finding.inner_text()
        table = page.locator("article table.ptedb-evals").first
        assert finding.bounding_box()["y"] < table.bounding_box()["y"]
        fits = page.evaluate(
            "() => { const w = document.querySelector('article table.ptedb-evals').parentNode;"
            " return [w.scrollWidth, w.clientWidth, document.querySelector('article').clientWidth]; }"
        )
        assert fits[0] <= fits[1] <= fits[2], fits  # no sideways scroll inside the content column
        # its table sorts in the page (no data script here): by CEG, ascending, empty cells last
        header = page.locator("article table.ptedb-evals thead th", has_text="CEG").first
        header.locator("button").click()
        keys = page.locator("article table.ptedb-evals tbody tr").evaluate_all(
            "rs => rs.map(r => r.querySelector('td.ceg').dataset.sort)"
        )
        filled = [float(k) for k in keys if k]
        assert filled == sorted(filled) and all(not k for k in keys[len(filled) :])
        # every 'details' link lands on its evaluation
        link = page.locator("article table.ptedb-evals a", has_text="details").first
        href = link.get_attribute("href")
        link.click()
        page.wait_for_load_state()
        assert page.locator(f"#{href.split('#')[1]}").count() == 1
    finally:
        page.close()
