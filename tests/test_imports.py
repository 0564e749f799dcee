"""The package's imports: no cycles between modules, no module importing another module's private names.

Every import counts, also one inside a function or under ``TYPE_CHECKING``: a cycle is a cycle of
dependencies whether or not Python happens to resolve it at run time.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: (importer, module) pairs allowed to share private names, each with the reason
ALLOWED_PRIVATE: set[tuple[str, str]] = set()


def modules(src: Path, package: str = "mrisr") -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` file of ``package`` under ``src``."""
    out = {}
    for f in sorted((src / package).rglob("*.py")):
        name = ".".join(f.relative_to(src).with_suffix("").parts)
        out[name.removesuffix(".__init__")] = f
    return out


def _target(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    """The absolute module an ``from ... import`` names."""
    if not node.level:
        return node.module or ""
    base = name.split(".") if is_package else name.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def import_graph(mods: dict[str, Path]) -> tuple[dict[str, set[str]], list[tuple[str, str, str]]]:
    """``(graph, private)``: module -> modules it imports, and ``(importer, module, name)`` of private names."""
    graph: dict[str, set[str]] = defaultdict(set)
    private = []
    for name, f in mods.items():
        for node in ast.walk(ast.parse(f.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                graph[name].update(a.name for a in node.names if a.name in mods and a.name != name)
            elif isinstance(node, ast.ImportFrom):
                target = _target(node, name, f.name == "__init__.py")
                for a in node.names:
                    dep = f"{target}.{a.name}" if f"{target}.{a.name}" in mods else target
                    if dep in mods and dep != name:
                        graph[name].add(dep)
                    if target in mods and target != name and a.name.startswith("_") and not a.name.startswith("__"):
                        private.append((name, target, a.name))
    return graph, private


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, deps = work[-1]
            w = next(deps, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph.get(w, ())))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_import_cycles():
    graph, _ = import_graph(modules(SRC))
    found = cycles(graph)
    assert not found, f"modules that import each other (directly or around a loop): {found}"


def test_no_private_names_imported_across_modules():
    _, private = import_graph(modules(SRC))
    bad = [f"{m} imports {t}.{n}" for m, t, n in private if (m, t) not in ALLOWED_PRIVATE]
    assert not bad, f"private names imported across modules: {bad}"


def test_the_checks_find_a_cycle_and_a_private_import(tmp_path):
    pkg = tmp_path / "mrisr"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from mrisr.sub import b\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from ..c import _hidden\n")  # a lazy, relative import
    (pkg / "c.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mrisr.a\n_hidden = 1\n")
    (pkg / "d.py").write_text("import mrisr.c\n")
    graph, private = import_graph(modules(tmp_path))
    assert cycles(graph) == [["mrisr.a", "mrisr.c", "mrisr.sub.b"]]
    assert private == [("mrisr.sub.b", "mrisr.c", "_hidden")]
