"""Imports run one way: the layers of lru_rtrl.testing.imports, read from the source.

Nothing is imported to build the graph (ast only). A failure names the import (file and line)
that runs up or sideways, or the cycle; docs/design.md shows the same layers.
"""

from lru_rtrl.testing import imports
from repo_helpers import REPO, repo_path


def test_no_import_runs_up_or_sideways():
    assert imports.upward(imports.edges(REPO)) == []


def test_no_cycles_between_modules_or_units():
    graph = imports.edges(REPO)
    assert imports.cycles(graph) == []
    assert imports.cycles(graph, key=lambda m: (imports.unit_of(m) or (None, None))[1]) == []


def test_every_unit_is_imported_or_imports():
    # A unit in the table that no longer exists would make the picture lie.
    graph = imports.unit_graph(imports.edges(REPO))
    seen = set(graph) | {unit for targets in graph.values() for unit in targets}
    for units in imports.LAYERS:
        for unit in units:
            assert unit in seen, unit


def test_the_design_document_draws_these_layers():
    with open(repo_path("docs", "design.md"), encoding="utf-8") as handle:
        text = handle.read()
    assert imports.layers_text() in text, (
        "docs/design.md's layer picture differs from lru_rtrl.testing.imports.LAYERS; paste "
        "`python -c 'from lru_rtrl.testing import imports; print(imports.layers_text())'`")
