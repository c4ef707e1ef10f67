"""The project's modules import one another without a circle: models know nothing above them, reads
never need writes, and tasks import services, never the other way round. Imports inside functions
count too, since they are how a circle hides."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("issues", "demo", "bench", "creation_tracker")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
            if "migrations" not in p.parts}


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports, at any depth of its code."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            candidates = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for candidate in candidates:
            # the module itself, or the nearest package it lives in
            while candidate and candidate not in known:
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                found.add(candidate)
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
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
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def graph_of(modules: dict[str, Path]) -> dict[str, set[str]]:
    known = set(modules)
    # a package's own __init__ importing its submodules (issues.models) is how re-exports work, not a circle:
    # an import of the package reaches what it re-exports
    return {name: imports_of(name, path, known) - {name} for name, path in modules.items()}


def test_no_module_of_the_project_imports_itself_through_others():
    graph = graph_of(project_modules())
    assert len(graph) > 60
    assert circles(graph) == []


def test_the_check_finds_a_circle_through_an_import_inside_a_function(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from b import f\n")
    b.write_text("def f():\n    from a import g\n")
    graph = {"a": imports_of("a", a, {"a", "b"}), "b": imports_of("b", b, {"a", "b"})}
    assert circles(graph) == [["a", "b"]]


def test_models_import_nothing_above_them():
    modules = project_modules()
    graph = graph_of(modules)
    for name in modules:
        if name.startswith("issues.models"):
            assert all(m.startswith("issues.models") for m in graph[name]), (name, graph[name])
