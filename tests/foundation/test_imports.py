"""Arrows go one way in the foundation: model below everything, renderers over the model only,
the catalog over the model only, and no import cycle through any module of these areas.

Module-level imports only (what runs at import time); read with ``ast``, nothing imported.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "oci_conform"
MINE = ("oci_conform.model", "oci_conform.report", "oci_conform.catalog", "oci_conform.commands",
        "oci_conform.cli", "oci_conform.orchestrate", "oci_conform.results_file",
        "oci_conform.jsonpos", "oci_conform.suites.base")
# package -> the packages its modules may import at module level
ALLOWED = {
    "oci_conform.model": ("oci_conform.model",),
    "oci_conform.report": ("oci_conform.model", "oci_conform.report"),
    "oci_conform.catalog": ("oci_conform.model", "oci_conform.catalog"),
}


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _top_imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    out: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            out.add(base)
            out.update(f"{base}.{a.name}" for a in node.names)
    return {m for m in out if m in known and m != name}


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {name: _top_imports(name, path, known) for name, path in known.items()}


def _mine(name: str) -> bool:
    return any(name == m or name.startswith(m + ".") for m in MINE)


def test_no_import_cycle_through_the_foundation() -> None:
    graph = _graph()
    cycles = []
    for start in sorted(n for n in graph if _mine(n)):
        stack, seen = [(start, (start,))], set()
        while stack:
            node, path = stack.pop()
            for nxt in graph[node]:
                if nxt == start:
                    cycles.append(" -> ".join((*path, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, (*path, nxt)))
    assert not cycles, cycles[:5]


def test_model_report_and_catalog_import_only_what_lies_below() -> None:
    bad = []
    for name, deps in _graph().items():
        for package, allowed in ALLOWED.items():
            if name == package or name.startswith(package + "."):
                bad += [f"{name} imports {d}" for d in deps
                        if not any(d == a or d.startswith(a + ".") for a in allowed)]
    assert not bad, bad


def test_no_import_cycle_anywhere_in_the_package() -> None:
    """Module-level imports of the whole package form no cycle (strongly connected parts)."""
    graph = _graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = 0
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                part = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    part.append(top)
                    if top == node:
                        break
                if len(part) > 1:
                    cycles.append(sorted(part))
    assert not cycles, cycles


def test_every_dataclass_has_its_own_docstring() -> None:
    """On Python 3.11, ``@dataclass`` on a class without a docstring writes one from
    ``inspect.signature(cls)`` at import: 0.3-1.5 ms a class, paid by every command's
    start-up (the reference runtime's too). A docstring of our own costs nothing."""
    bare = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.ClassDef) and ast.get_docstring(node) is None
                    and any("dataclass" in ast.unparse(d) for d in node.decorator_list)):
                bare.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert not bare, bare
