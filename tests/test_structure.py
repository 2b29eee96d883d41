"""The package's shape: no import cycles, the core reaches the engine only through the seams,
and no module over 400 lines."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "neuronal"
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def is_package(name: str) -> bool:
    return MODULES[name].name == "__init__.py"


def resolve(current: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """The package modules an import statement loads."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name in MODULES]
    if node.level:
        base = current.split(".")
        if not is_package(current):
            base = base[:-1]
        base = base[: len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    if target not in MODULES:
        return []
    out = [target]
    for alias in node.names:  # "from . import seams": the submodule itself
        sub = f"{target}.{alias.name}"
        if sub in MODULES:
            out.append(sub)
    return out


def imports(name: str, module_level_only: bool) -> set[str]:
    tree = ast.parse(MODULES[name].read_text())
    found: set[str] = set()

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)) and (top or not
                                                                     module_level_only):
                found.update(resolve(name, child))
            inner = top and not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                   ast.Lambda))
            visit(child, inner)

    visit(tree, True)
    found.discard(name)
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def dfs(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := dfs(node)):
            return cycle
    return None


def test_no_import_cycles():
    graph = {name: imports(name, module_level_only=True) for name in MODULES}
    # a package imports its submodules to offer them; that is not a cycle of the code
    for name in graph:
        graph[name] = {m for m in graph[name] if not (is_package(m) and name.startswith(m))}
    cycle = find_cycle(graph)
    assert cycle is None, " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_core_reaches_the_engine_only_through_the_seams():
    offenders = []
    for name in MODULES:
        if name.startswith("neuronal.engine") or name == "neuronal.seams":
            continue
        engine = {m for m in imports(name, module_level_only=False)
                  if m.startswith("neuronal.engine")}
        if engine:
            offenders.append(f"{name} imports {sorted(engine)}")
    assert not offenders, offenders


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_over_400_lines(name):
    lines = len(MODULES[name].read_text().splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"
