"""The import graph of the library, read from the source (ast; nothing is imported), and the
layers it must respect.

Layers, from the bottom up; a module may import from its own unit and from units of lower
layers only (docs/design.md draws the same picture):

    errors                                  the user-error family
    registry, choices, paths, progress      name registries, closed sets, parameter names
    compat                                  can these parts run together?
    data                                    tasks (numpy)
    config                                  schema, validation, config files
    cores                                   cells and the diagonal scan
    rules                                   learning rules, surrogates, traces
    model                                   blocks, pooling, losses, the sequence model
    engines                                 parallel, streaming
    training, plugins                       optimizer, steps, loop, checkpoints; plugin loading
    experiment                              the one assembler
    testing, learner                        the oracle and test helpers; learning on a stream
    cli, list_tasks, sweeps, bench          launcher helpers, the task table, sweeps, the bench
    launch, configs                         the scripts and the config files

Plugin loading (lru_rtrl.plugins) sits below every entry point that loads its user's plugins,
so it needs no exception.
"""

from __future__ import annotations

import ast
import dataclasses
import os
from typing import Dict, Iterable, List, Optional, Set, Tuple

LAYERS: Tuple[Tuple[str, ...], ...] = (
    ("lru_rtrl.errors",),
    ("lru_rtrl.registry", "lru_rtrl.choices", "lru_rtrl.paths", "lru_rtrl.progress"),
    ("lru_rtrl.compat",),
    ("lru_rtrl.data",),
    ("lru_rtrl.config",),
    ("lru_rtrl.cores",),
    ("lru_rtrl.rules",),
    ("lru_rtrl.model",),
    ("lru_rtrl.engines",),
    ("lru_rtrl.training", "lru_rtrl.plugins"),
    ("lru_rtrl.experiment",),
    ("lru_rtrl.testing", "lru_rtrl.learner"),
    ("lru_rtrl.cli", "lru_rtrl.list_tasks", "lru_rtrl.sweeps", "lru_rtrl.bench"),
    ("launch", "configs"),
)
SOURCES = ("lru_rtrl", "launch", "configs")


@dataclasses.dataclass(frozen=True)
class Edge:
    """`source` imports `target` at `line`."""
    source: str
    target: str
    line: int


def module_name(root: str, path: str) -> str:
    rel = os.path.relpath(path, root)[:-3].replace(os.sep, ".")
    return rel[:-len(".__init__")] if rel.endswith(".__init__") else rel


def _exists(root: str, module: str) -> bool:
    base = os.path.join(root, *module.split("."))
    return os.path.isfile(base + ".py") or os.path.isdir(base)


def edges(root: str) -> List[Edge]:
    """Every import of a library module by a library module (function-level ones too)."""
    found = []
    for top in SOURCES:
        for directory, _, files in os.walk(os.path.join(root, top)):
            for file in sorted(files):
                if not file.endswith(".py"):
                    continue
                path = os.path.join(directory, file)
                source = module_name(root, path)
                package = source if file == "__init__.py" else source.rpartition(".")[0]
                with open(path, encoding="utf-8") as handle:
                    tree = ast.parse(handle.read(), path)
                for node in ast.walk(tree):
                    for target in _targets(node, package, root):
                        found.append(Edge(source, target, node.lineno))
    return found


def _targets(node: ast.AST, package: str, root: str) -> Iterable[str]:
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.split(".")[0] in SOURCES]
    if not isinstance(node, ast.ImportFrom):
        return []
    if node.level:
        parts = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join(parts + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    if base.split(".")[0] not in SOURCES:
        return []
    # `from pkg import sub` imports the submodule `pkg.sub` when there is one.
    return [f"{base}.{a.name}" if _exists(root, f"{base}.{a.name}") else base
            for a in node.names]


def unit_of(module: str) -> Optional[Tuple[int, str]]:
    """(layer index, unit) of a module, by the longest unit that is a prefix of it."""
    best = None
    for index, units in enumerate(LAYERS):
        for unit in units:
            if module == unit or module.startswith(unit + "."):
                if best is None or len(unit) > len(best[1]):
                    best = (index, unit)
    return best


def upward(all_edges: Iterable[Edge]) -> List[str]:
    """Imports that run up (to a higher layer) or sideways (to another unit of the same
    layer); also modules no layer holds."""
    problems = []
    for edge in all_edges:
        source, target = unit_of(edge.source), unit_of(edge.target)
        if source is None or target is None:
            problems.append(f"{edge.source} -> {edge.target}: a module outside the layers")
            continue
        if source[1] == target[1] or target[0] < source[0]:
            continue
        kind = "sideways" if target[0] == source[0] else "up"
        problems.append(f"{edge.source}:{edge.line} -> {edge.target} runs {kind} "
                        f"({source[1]} -> {target[1]})")
    return problems


def cycles(all_edges: Iterable[Edge], key=lambda module: module) -> List[List[str]]:
    """The cycles of the graph whose nodes are key(module) (modules, or their units)."""
    graph: Dict[str, Set[str]] = {}
    for edge in all_edges:
        a, b = key(edge.source), key(edge.target)
        if a is not None and b is not None and a != b:
            graph.setdefault(a, set()).add(b)
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def unit_graph(all_edges: Iterable[Edge]) -> Dict[str, Set[str]]:
    """{unit: units it imports} (for docs/design.md's picture)."""
    graph: Dict[str, Set[str]] = {}
    for edge in all_edges:
        source, target = unit_of(edge.source), unit_of(edge.target)
        if source and target and source[1] != target[1]:
            graph.setdefault(source[1], set()).add(target[1])
    return graph


def layers_text() -> str:
    """The layers as docs/design.md shows them, top first (one line per layer)."""
    lines = []
    for units in reversed(LAYERS):
        names = [u[len("lru_rtrl."):] if u.startswith("lru_rtrl.") else u + "/" for u in units]
        lines.append("  ".join(names))
    return "\n".join(lines)
