"""The layering of the code: no import cycle among ptedb's modules, and imports that go one way through
the pipeline (scan → parse → records → rules → tables → CEG → write; the site and the CLI on top).

Read from the source with `ast`, so that an import hidden inside a function (done to keep start-up fast)
counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"ptedb": ROOT / "src" / "ptedb"} | {
    f"ptedb.{name}": ROOT / name for name in ("schema", "loaders", "validation", "site")
}


def _modules() -> dict[str, Path]:
    out = {}
    for package, folder in PACKAGES.items():
        for path in sorted(folder.glob("*.py")):
            out[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return out


MODULES = _modules()


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    is_package = MODULES[module].stem == "__init__"
    parts = module.split(".")
    base = parts if is_package else parts[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def imports_of(module: str) -> set[str]:
    """The ptedb modules `module` imports, anywhere in its source (TYPE_CHECKING blocks excepted)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skip: set[int] = set()
    for node in ast.walk(tree):  # `if TYPE_CHECKING:` imports are for annotations only
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            skip.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, node)
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name and name != module and name != "ptedb":
                found.add(name)
    return found


GRAPH = {m: imports_of(m) for m in MODULES}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for n in sorted(GRAPH[m]):
            if state.get(n) == 1:
                return [*stack[stack.index(n) :], n]
            if n not in state and (found := visit(n)):
                return found
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(GRAPH):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_there_is_no_import_cycle() -> None:
    cycle = _cycle()
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check above can fail: a module that imported the CLI back would be caught."""
    monkeypatch.setitem(GRAPH, "ptedb.schema.models", GRAPH["ptedb.schema.models"] | {"ptedb.cli"})
    assert _cycle() is not None


LAYER = {
    "ptedb.schema": 0,
    "ptedb.validation.codes": 1,
    "ptedb.validation.dataset": 2,
    "ptedb.loaders": 3,
    "ptedb.validation": 4,
    "ptedb.ptedb": 5,  # the build stages in src/ptedb (tables, CEG, writers, build, diff, ...)
    "ptedb.site": 6,
    "ptedb.cli": 7,
}


def layer(module: str) -> int:
    key = module if module in LAYER else module.rpartition(".")[0]
    if key == "ptedb":  # a module of src/ptedb itself
        key = "ptedb.ptedb"
    return LAYER[key]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_go_one_way(module: str) -> None:
    """A module imports only from its own layer or those below it: the record models and the rule
    catalogue at the bottom, then reading, judging, building, the site, and the CLI on top."""
    if module in ("ptedb", "ptedb.__main__"):
        return
    upward = sorted(n for n in GRAPH[module] if layer(n) > layer(module))
    assert not upward, f"{module} imports from a layer above it: {upward}"


def test_build_imports_where_there_is_no_fcntl(tmp_path: Path) -> None:
    """fcntl exists only on POSIX; the build, the site and the CLI must import without it (Windows)."""
    code = (
        "import sys; sys.modules['fcntl'] = None\n"
        "import ptedb.build, ptedb.cli, ptedb.lock, ptedb.site.build\n"
        "from pathlib import Path\n"
        "with ptedb.lock.build_lock(Path(sys.argv[1]) / 'dist'):\n"
        "    print('locked')\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "locked"
