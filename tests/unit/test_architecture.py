"""The house's shape, checked: layers import only downwards, no import circles, files a reader
can hold in mind. Each check names the modules that break it."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("kiosk", "display", "printer")
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module, module: str, is_package: bool) -> Iterator[str]:
    """Modules imported when ``module`` is imported: statements at module level, outside
    ``if TYPE_CHECKING:`` (function-local imports run later and are not counted)."""
    body = list(tree.body)
    while body:
        node = body.pop(0)
        if isinstance(node, ast.If) and not _is_type_checking(node):
            body.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            body.extend(node.body + node.orelse + node.finalbody)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            yield target
            for alias in node.names:  # ``from kiosk import views`` imports kiosk.views
                if f"{target}.{alias.name}" in MODULES:
                    yield f"{target}.{alias.name}"


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        targets = set()
        for name in _top_level_imports(tree, module, path.name == "__init__.py"):
            # Importing a.b.c runs a, a.b and a.b.c.
            parts = name.split(".")
            targets.update(
                ".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i])
            )
        graph[module] = {t for t in targets if t in MODULES and t != module}
    return graph


GRAPH = _graph()


def _imports_of(prefix: str) -> Iterator[tuple[str, str]]:
    for module, path in MODULES.items():
        if module != prefix and not module.startswith(prefix + "."):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from ((module, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                yield module, node.module


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        # The domain takes a session, a configuration and a clock: no web framework, no engine,
        # no driver or dialect (kiosk.storage holds what differs per database), no composition
        # root, no transport.
        (
            "kiosk.domain",
            (
                "sqlalchemy.dialects",
                "sqlalchemy.engine",
                "sqlalchemy.pool",
                "sqlite3",
                "psycopg",
                "flask",
                "flask_socketio",
                "werkzeug",
                "kiosk.db",
                "kiosk.services",
                "kiosk.web",
                "kiosk.views",
                "kiosk.api",
                "kiosk.realtime",
                "kiosk.auth",
                "kiosk.printing",
                "display",
                "printer",
            ),
        ),
        # Storage sits under the domain: statements, not rules.
        ("kiosk.storage", ("kiosk.domain", "kiosk.db", "kiosk.services", "flask")),
        # The printer library stands alone: layout, ESC/POS bytes, transports.
        ("printer", ("kiosk", "display", "flask", "sqlalchemy")),
        # A migration carries its own frozen SQL: later edits of the models change nothing it did.
        ("kiosk.migrations.versions", ("kiosk",)),
        # The catalogue is data and search over it.
        ("kiosk.catalogue", ("flask", "kiosk.db", "kiosk.services", "kiosk.views", "kiosk.api")),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, name in _imports_of(layer)
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    )
    assert not wrong, "\n".join(wrong)


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components over module-level imports (a package importing
    its own submodules in ``__init__`` is the usual re-export, not a circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    counter = 0

    def edges(module: str) -> set[str]:
        return {
            t
            for t in GRAPH[module]
            if not (MODULES[module].name == "__init__.py" and t.startswith(module + "."))
        }

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges(v):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(GRAPH):
        if module not in index:
            visit(module)
    assert not circles, circles


def test_modules_stay_readable() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in MODULES.values()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not long, f"split these (more than {MAX_LINES} lines): {long}"


def test_environment_is_read_by_the_settings_module() -> None:
    """``MOTCUA_*`` variables are deploy facts read in one place (the logging level before
    settings exist, and the stand-alone printer library and agent, are the documented
    exceptions)."""
    allowed = {"kiosk/settings.py", "kiosk/logs.py", "printer/fonts.py", "printer/agent.py"}
    reads = re.compile(r"""(environ\.get\(|environ\[|getenv\()\s*["']MOTCUA_""")
    readers = sorted(
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if reads.search(path.read_text(encoding="utf-8"))
        and str(path.relative_to(ROOT)) not in allowed
    )
    assert not readers, readers
