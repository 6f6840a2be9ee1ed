"""The floors of docs/architecture.md, checked on the source: no import circle anywhere
(function-level imports included), and no lower floor importing an upper one.

The graph is read with ``ast`` from every module of ``hotline``, ``workflows`` and
``classifier``; an import names the module it loads (``from a.b import c`` is ``a.b.c`` when
that is a module, else ``a.b``), not the packages above it.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hotline", "workflows", "classifier")
LOWER = ("hotline.services", "hotline.models", "hotline.channels", "hotline.gateways",
         "hotline.reporting", "hotline.quality", "hotline.geo", "classifier")
UPPER = ("hotline.blueprints", "workflows", "hotline.presenters", "hotline.web",
         "hotline.webutil", "hotline.app", "hotline.cli")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts:
                continue
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _within(name: str, floors: tuple[str, ...]) -> bool:
    return any(name == floor or name.startswith(floor + ".") for floor in floors)


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports, at any level of the file."""
    is_package = path.name == "__init__.py"
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor[:len(anchor) - node.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base
                       for alias in node.names]
        else:
            continue
        out.update(t for t in targets if t in known and t != name)
    return out


def import_graph() -> dict[str, set[str]]:
    """Module name -> the project modules it imports."""
    modules = _modules()
    return {name: _imports(name, path, set(modules)) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """(lower module, upper module) for every import that goes up the floors."""
    return sorted((source, target) for source, targets in graph.items()
                  if _within(source, LOWER) for target in targets if _within(target, UPPER))


def test_the_checker_sees_a_circle_and_an_upward_import():
    graph = {"hotline.services.a": {"hotline.services.b"},
             "hotline.services.b": {"hotline.presenters.x"},
             "hotline.presenters.x": {"hotline.services.a"}}
    assert cycles(graph) == [["hotline.presenters.x", "hotline.services.a",
                              "hotline.services.b"]]
    assert upward_imports(graph) == [("hotline.services.b", "hotline.presenters.x")]
    graph = import_graph()
    assert "hotline.services.kpi" in graph["hotline.services.rollup"]  # a real edge is seen
    assert "hotline.unit_of_work" in graph["workflows.stats"]


ENTRY_POINTS = ("hotline.cli", "workflows.worker")
LONGEST_ROOM = 650


def test_no_import_circle():
    assert cycles(import_graph()) == []


def test_no_lower_floor_imports_an_upper_one():
    assert upward_imports(import_graph()) == []


def test_only_the_entry_points_build_the_app():
    graph = import_graph()
    builders = sorted(name for name, targets in graph.items() if "hotline.app" in targets)
    assert set(builders) <= set(ENTRY_POINTS), builders


def test_no_service_commits_or_rolls_back():
    """Services join the caller's unit of work (hotline/unit_of_work.py): none commits or
    rolls back (a day's case-number sequence is created in the driver's autocommit)."""
    offenders = []
    for name, path in _modules().items():
        if not _within(name, ("hotline.services",)):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            if "session.commit()" in code or "session.rollback()" in code:
                offenders.append(f"{path.relative_to(ROOT)}:{number}")
    assert offenders == []


def longest_rooms(limit: int = 10) -> list[tuple[int, str]]:
    """The longest source files outside migrations, longest first."""
    sizes = [(len(path.read_text(encoding="utf-8").splitlines()), str(path.relative_to(ROOT)))
             for path in _modules().values()]
    return sorted(sizes, reverse=True)[:limit]


def test_no_room_is_over_the_limit():
    assert [room for room in longest_rooms(50) if room[0] > LONGEST_ROOM] == []


def main() -> None:
    """``python -m tests.test_architecture``: print the graph's circles, upward imports and
    the longest rooms, so anyone can see the house without a test runner."""
    graph = import_graph()
    print(f"{len(graph)} modules, {sum(map(len, graph.values()))} imports")
    print("circles:", cycles(graph) or "none")
    print("upward imports:", upward_imports(graph) or "none")
    for lines, path in longest_rooms():
        print(f"{lines:5d}  {path}")


if __name__ == "__main__":
    main()


def test_the_oversight_services_import_no_presenter_and_no_translation():
    graph = import_graph()
    for name in ("hotline.services.kpi", "hotline.services.periods", "hotline.services.rollup",
                 "hotline.services.stats", "hotline.services.hotspots"):
        assert not any(_within(t, (*UPPER, "hotline.i18n")) for t in graph[name]), name
