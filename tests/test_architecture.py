"""The package's shape: an acyclic import graph, and a public surface that holds what users get."""

from __future__ import annotations

import ast
from pathlib import Path

import classwide

PACKAGE = Path(classwide.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every module of the package and the package modules it imports, at any depth.

    Imports inside functions count (a deferred import hides a dependency, it does not
    remove it), and so do ``from package import module`` forms.
    """
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from classwide import _wording` depends on the module, not on the facade.
                submodules = [
                    f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in modules
                ]
                rest = [a for a in node.names if f"{base}.{a.name}" not in modules]
                targets = submodules + ([base] if rest else [])
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_cycle():
    cycle = _cycle(import_graph())
    assert cycle is None, " -> ".join(cycle)


def test_the_graph_sees_deferred_imports():
    """The walk counts imports inside functions: cli imports the service only when serving."""
    assert "classwide.service" in import_graph()["classwide.cli"] or any(
        dep.startswith("classwide.service") for dep in import_graph()["classwide.cli"]
    )


def test_the_core_does_not_import_its_adapters():
    graph = import_graph()
    core = {
        "classwide._engine",
        "classwide._definitions",
        "classwide._schema",
        "classwide._scaffold",
    }
    adapters = {"classwide.cli", "classwide.batch", "classwide.io", "classwide.service.app"}
    reach: set[str] = set()
    frontier = list(core)
    while frontier:
        for dep in graph[frontier.pop()]:
            if dep not in reach:
                reach.add(dep)
                frontier.append(dep)
    assert not reach & adapters


def test_result_types_users_receive_are_public():
    for name in ("ListedMatch", "NearMiss", "ReviewNote", "Limits", "LimitExceeded", "Substance"):
        assert name in classwide.__all__ and hasattr(classwide, name), name
