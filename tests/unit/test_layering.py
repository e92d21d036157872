"""The package's house rules, checked on its source: no two modules import each other (not even
through imports inside functions), no module over about 450 lines, each module opens with a
docstring, and tests and benchmarks import nothing from scripts/ (which holds entry points)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# The source, also where the tests run against an installed wheel (tests/release).
PACKAGE = REPO / "provider" / "pulumi_onence"
EMULATOR = REPO / "emulator" / "onence_emulator"
MAX_LINES = 460


def _modules(root: Path, package: str) -> dict[str, Path]:
    found = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def _imports(module: str, path: Path, known: set[str]) -> Iterator[str]:
    """Every module of ``known`` that ``module`` imports, at any depth of its code."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                target = ".".join([*base, *([node.module] if node.module else [])])
            else:
                target = node.module or ""
            names = [f"{target}.{alias.name}" for alias in node.names]
            candidates = [target, *names]
        elif isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            continue
        for candidate in candidates:
            if candidate in known and candidate != module:
                yield candidate


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph``, if it has any (depth-first search, iterative)."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph[child]))))
                path.append(child)
                on_path.add(child)
    return None


def test_no_two_modules_of_the_package_import_each_other() -> None:
    modules = _modules(PACKAGE, "pulumi_onence")
    assert {"pulumi_onence._lifecycle", "pulumi_onence.cli._shell"} <= set(modules)
    known = set(modules)
    graph = {
        # A package's __init__ that only re-exports its own submodules is not a back edge.
        name: {
            imported
            for imported in _imports(name, path, known)
            if not name.startswith(f"{imported}.")
        }
        for name, path in modules.items()
    }
    assert _cycle(graph) is None, f"import cycle: {' -> '.join(_cycle(graph) or [])}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_module_of_the_provider_or_the_emulator_is_over_about_450_lines() -> None:
    sizes = {
        str(path.relative_to(REPO)): len(path.read_text().splitlines())
        for root in (PACKAGE, EMULATOR)
        for path in root.rglob("*.py")
    }
    assert sizes
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_every_module_opens_with_a_short_docstring_of_its_one_concept() -> None:
    paths = [p for root in (PACKAGE, EMULATOR) for p in root.rglob("*.py")]
    assert paths
    for path in paths:
        docstring = ast.get_docstring(ast.parse(path.read_text()))
        assert docstring, f"{path} has no module docstring"
        assert len(docstring.splitlines()) <= 24, f"{path}: a docstring of one concept is short"


def test_tests_and_benchmarks_import_nothing_from_scripts() -> None:
    offenders = []
    read = 0
    for root in (REPO / "tests", REPO / "bench", REPO / "devtools"):
        for path in root.rglob("*.py"):
            read += 1
            for node in ast.walk(ast.parse(path.read_text())):
                names = []
                if isinstance(node, ast.ImportFrom) and not node.level:
                    names = [node.module or ""]
                elif isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                offenders += [f"{path}: {n}" for n in names if n.split(".")[0] == "scripts"]
    assert read > 50  # the tests, the benchmark and the development package were all read
    assert offenders == []
