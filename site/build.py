"""Build the static site from a finished `ptedb build`: generate pages, run mkdocs, publish `dist/site/`.

The generated Markdown never touches the repository: it is written into a temporary folder inside
`dist/` (never the system's temporary folder, where a killed run would leave it for good; see
`cleanup_stale`) together with a copy of `site/docs/` (the hand-written pages and the assets) and a
filled-in `mkdocs.yml`.
mkdocs builds, with --strict, into a fresh folder inside `dist/`, and only a complete build replaces
`dist/site/`; a failed build leaves the previous site as it was. The whole run holds the same lock as
`ptedb build`, so the database cannot be swapped out while the site is being read from it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ptedb.cache import sums_text

from . import hooks
from .data import SiteData, SiteDataError, load
from .pages import generate

SITE_DIR = Path(__file__).resolve().parent
"""The `site/` folder of the repository (installed as the package `ptedb.site`)."""

DOWNLOAD_DIR = "download"
"""Where, inside the site, the release files are published for the downloads page."""


class SiteError(Exception):
    """The site could not be built; the message says why and what to do."""


@dataclass
class SiteResult:
    site_dir: Path
    pages: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


# --- the contribution guide -----------------------------------------------------------------------

_LINK = re.compile(r"(!?)\[([^\]\n]*)\]\(([^)\s]+)(\s+\"[^\"]*\")?\)")
_REF_DEF = re.compile(r"^( {0,3}\[[^\]]+\]:\s*)(\S+)(.*)$")
_PUBLISHED = {
    "site/docs/methodology.md": "methodology.md",
    "methodology.md": "methodology.md",
}


def _map_target(target: str) -> str | None:
    """A link target of CONTRIBUTING.md as seen from the site, or None when the site has no such page."""
    if re.match(r"^(https?:|mailto:|#)", target):
        return target
    path, _, frag = target.partition("#")
    path = path.removeprefix("./")
    if path in _PUBLISHED:
        return _PUBLISHED[path] + (f"#{frag}" if frag else "")
    return None


def contributing_page(source: Path | None) -> str:
    """The contribution guide for the site: the repository's CONTRIBUTING.md, or a stub pointing to it.

    Links to repository files (records/, schema/ …) have no page on the site; they become the path in
    code type, so that the guide reads the same and the strict build has no broken link.
    """
    if source is None or not source.is_file():
        return (
            "# Contributing\n\n"
            "How to add or fix a record, with commented templates for every kind, is described in "
            "`CONTRIBUTING.md` at the root of the ptedb repository. The fields of every record are listed in the "
            "[field reference](reference.md), and how CEG is computed in the [methodology](methodology.md).\n"
        )
    lines = source.read_text(encoding="utf-8").splitlines()
    out, fence = [], None
    for line in lines:
        stripped = line.lstrip()
        marker = stripped[:3]
        if marker in ("```", "~~~"):
            if fence is None:
                fence = marker
            elif marker == fence:
                fence = None
            out.append(line)
            continue
        if fence is not None:
            out.append(line)
            continue

        def repl(m: re.Match[str]) -> str:
            bang, text, target, title = m.group(1), m.group(2), m.group(3), m.group(4) or ""
            mapped = _map_target(target)
            if mapped is not None:
                return f"{bang}[{text}]({mapped}{title})"
            return f"{text} (`{target}`)" if text and text != target else f"`{target}`"

        ref = _REF_DEF.match(line)
        if ref:
            mapped = _map_target(ref.group(2))
            out.append(f"{ref.group(1)}{mapped}{ref.group(3)}" if mapped else "")
            continue
        out.append(_LINK.sub(repl, line))
    return "\n".join(out) + "\n"


def find_contributing() -> Path | None:
    """CONTRIBUTING.md at the repository root (beside site/), else in the working directory."""
    for candidate in (SITE_DIR.parent / "CONTRIBUTING.md", Path.cwd() / "CONTRIBUTING.md"):
        if candidate.is_file():
            return candidate
    return None


def find_citation() -> Path | None:
    """CITATION.cff at the repository root (beside site/), else in the working directory."""
    for candidate in (SITE_DIR.parent / "CITATION.cff", Path.cwd() / "CITATION.cff"):
        if candidate.is_file():
            return candidate
    return None


def read_citation(path: Path | None) -> dict[str, Any] | None:
    """The citation file's fields, or None when there is none or it cannot be read: the pages then point
    to the repository's CITATION.cff instead of printing a citation that might be wrong."""
    if path is None:
        return None
    try:
        cff = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return None
    return cff if isinstance(cff, dict) and cff.get("title") else None


# --- preparing the mkdocs project -----------------------------------------------------------------


def publish_release(out: Path, data: SiteData, site_dir: Path) -> None:
    """Copy the release files into the built site, for the downloads page.

    They are added after mkdocs has run, never through docs/: mkdocs would turn a Markdown file of the
    release (the dataset card) into a page. Always a copy, never a hard link: a link is the same file, so
    anything that opened the site's download for writing (DuckDB's ATTACH ... READ_WRITE, say) would
    change the release itself.
    """
    for name in [*(f.path for f in data.files), "SHA256SUMS"]:
        src, dest = out / name, site_dir / DOWNLOAD_DIR / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest)


def prepare(
    out: Path, workdir: Path, site_dir: Path, *, contributing: Path | None = None, data: SiteData | None = None
) -> tuple[Path, int]:
    """Write docs/ and mkdocs.yml into `workdir`; returns (config path, number of Markdown pages)."""
    data = data or load(out)
    docs = workdir / "docs"
    shutil.copytree(SITE_DIR / "docs", docs, ignore=shutil.ignore_patterns("__pycache__", ".*"))
    pages, frags = generate(data, DOWNLOAD_DIR, cff=read_citation(find_citation()))
    pages["contributing.md"] = contributing_page(contributing)
    for rel_path, text in pages.items():
        path = docs / rel_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (workdir / hooks.FRAGMENTS_DIR).mkdir()
    for rel_path, items in frags.items():
        hooks.fragment_file(workdir, rel_path).write_text(json.dumps(items, ensure_ascii=False), encoding="utf-8")
    config = yaml.safe_load((SITE_DIR / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs)
    config["site_dir"] = str(site_dir)
    config["hooks"] = [str(SITE_DIR / "hooks.py")]
    version = data.meta.get("dataset_version")
    if version:
        config["site_name"] = f"ptedb {version}"
    cfg_path = workdir / "mkdocs.yml"
    cfg_path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    n_md = sum(1 for p in docs.rglob("*.md"))
    return cfg_path, n_md


class _Collect(logging.Handler):
    """Keeps mkdocs' warnings so that a failed strict build can say what was wrong."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path) -> None:
    """`mkdocs build --strict` in-process (a subprocess would pay mkdocs' start-up a second time)."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import Abort, MkDocsException

    logger = logging.getLogger("mkdocs")
    handler = _Collect()
    logger.addHandler(handler)
    old_propagate = logger.propagate
    logger.propagate = False  # warnings are reported once, in the error below, not also on stderr
    try:
        cfg = load_config(str(config_file), strict=True)
        build(cfg)
    except (Abort, MkDocsException, OSError) as exc:
        detail = "; ".join(handler.messages[:10]) or str(exc)
        raise SiteError(f"mkdocs build --strict failed: {detail}") from None
    finally:
        logger.removeHandler(handler)
        logger.propagate = old_propagate
    if handler.messages:  # pragma: no cover - strict mode aborts first
        raise SiteError("mkdocs build reported warnings: " + "; ".join(handler.messages[:10]))


def prune_unused(site_dir: Path) -> None:
    """Remove what the theme ships and the site never loads: source maps (for the theme's own developers,
    fetched only by a browser's developer tools) and the search's stemmers for languages other than
    English, the site's only language (`theme.language` in mkdocs.yml). 1.9 MB of the theme's 2.6 MB."""
    for path in site_dir.glob("assets/**/*.map"):
        path.unlink()
    shutil.rmtree(site_dir / "assets" / "javascripts" / "lunr", ignore_errors=True)


SITE_TEMP = ".site."
"""The prefix of every temporary folder of a site build, all kept inside --out: `.site.work-*` (the
generated mkdocs project, about 10 MB), `.site.tmp-*` (the new site) and `.site.old-*` (the site being
replaced). A killed run leaves them behind; the next `ptedb site` removes them (`cleanup_stale`), and the
next `ptedb build` replaces --out with all of them in it."""


def cleanup_stale(out: Path) -> None:
    """Remove the temporary folders of site builds that were killed. Called under the build lock, so
    no running site build owns them."""
    for kind in ("work", "tmp", "old"):
        for stale in out.glob(f"{SITE_TEMP}{kind}-*"):
            shutil.rmtree(stale, ignore_errors=True)


def _swap(new: Path, dest: Path) -> None:
    """Put `new` in place of `dest`; the old site is removed only once the new one is in place."""
    if not dest.exists():
        new.rename(dest)
        return
    old = dest.with_name(f"{SITE_TEMP}old-{os.getpid()}")
    dest.rename(old)
    new.rename(dest)
    shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """The build lock of `ptedb build`, so a concurrent build waits rather than replacing dist/ under us."""
    from ptedb.cache import BuildError
    from ptedb.lock import build_lock

    try:
        with build_lock(out):
            yield
    except BuildError as exc:
        raise SiteError(str(exc)) from None


def build_site(
    out: Path | str = "dist", *, contributing: Path | None = None, keep_docs: Path | None = None
) -> SiteResult:
    """Build `out/site/` from the database in `out/`. Raises SiteError with a plain message on failure.

    `keep_docs`, when given, receives a copy of the generated mkdocs project (for debugging and for the
    test that runs the mkdocs command line on it).
    """
    out = Path(out).absolute()
    if not (out / "ptedb.duckdb").is_file():
        raise SiteError(f"{out / 'ptedb.duckdb'} not found: run 'ptedb build' first")
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    contributing = contributing if contributing is not None else find_contributing()
    with _lock(out):
        cleanup_stale(out)
        new_site = Path(tempfile.mkdtemp(prefix=f"{SITE_TEMP}tmp-", dir=out))
        try:
            work = Path(tempfile.mkdtemp(prefix=f"{SITE_TEMP}work-", dir=out))
            try:
                try:
                    data = load(out)
                except SiteDataError as exc:
                    raise SiteError(str(exc)) from None
                timings["load"] = time.perf_counter() - t0
                cfg, n_pages = prepare(out, work, new_site, contributing=contributing, data=data)
                timings["generate"] = time.perf_counter() - t0 - timings["load"]
                if keep_docs is not None:
                    shutil.rmtree(keep_docs, ignore_errors=True)
                    shutil.copytree(work, keep_docs)
                    kept = keep_docs / "mkdocs.yml"
                    conf = yaml.safe_load(kept.read_text(encoding="utf-8"))
                    conf["docs_dir"] = str(keep_docs / "docs")
                    conf["site_dir"] = str(keep_docs / "site")
                    kept.write_text(yaml.safe_dump(conf, sort_keys=False, allow_unicode=True), encoding="utf-8")
                t1 = time.perf_counter()
                run_mkdocs(cfg)
                prune_unused(new_site)
                timings["mkdocs"] = time.perf_counter() - t1
                publish_release(out, data, new_site)
                (new_site / "SHA256SUMS").write_text(sums_text(new_site), encoding="utf-8")
            finally:
                shutil.rmtree(work, ignore_errors=True)
            _swap(new_site, out / "site")
        except BaseException:
            shutil.rmtree(new_site, ignore_errors=True)
            raise
    return SiteResult(out / "site", n_pages, time.perf_counter() - t0, timings)


# --- serving --------------------------------------------------------------------------------------


def make_server(site_dir: Path, host: str = "127.0.0.1", port: int = 8000) -> object:
    """A threaded static file server for `site_dir` (port 0 picks a free port)."""
    import functools
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(site_dir))
    return ThreadingHTTPServer((host, port), handler)
