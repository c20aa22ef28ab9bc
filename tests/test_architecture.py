"""The layout: no import circles between modules, and the SimPy internals the model relies on.

Import circles are looked for over every import statement, including the
ones inside functions (a lazy import hides a circle, it does not remove it)
and the ones under ``if TYPE_CHECKING:`` (a type-only import is still a
dependency: two modules that need each other's types share a small protocol
or type module instead). A package's ``__init__`` importing its own modules
(a facade) is not a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import simpy

from sim.model.servers import ServicePoint
from sim.model.world import City
from tests.conftest import tiny

SIM = Path(__file__).resolve().parent.parent / "sim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SIM.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, known: set[str]) -> set[str]:
    found: set[str] = set()

    class Visitor(ast.NodeVisitor):
        def visit_Import(self, node: ast.Import) -> None:
            found.update(a.name for a in node.names)

        def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
            if node.module:
                found.add(node.module)
                found.update(f"{node.module}.{a.name}" for a in node.names)

    Visitor().visit(ast.parse(path.read_text(encoding="utf-8")))
    with_parents = set(found)
    for name in found:  # importing a.b.c runs a/b/__init__.py too
        parts = name.split(".")
        with_parents.update(".".join(parts[:i]) for i in range(1, len(parts)))
    me = _module_name(path)
    return {m for m in with_parents if m in known and m != me and not m.startswith(me + ".")}


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in SIM.rglob("*.py")}
    known = set(files)
    return {name: _imports(path, known) for name, path in files.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circles() -> None:
    graph = import_graph()
    assert "sim.model.registry" in graph["sim.model.world"]  # the graph sees real imports
    assert "sim.model.enterprise" in graph["sim.model.module"]  # and type-only ones
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_results_layer_does_not_import_the_experiment_or_the_cli() -> None:
    graph = import_graph()
    for name, deps in graph.items():
        if name.startswith(("sim.results", "sim.model", "sim.analysis")):
            assert not {d for d in deps if d.startswith(("sim.experiment", "sim.cli", "sim.sweep"))}, name


# -- SimPy internals ------------------------------------------------------------------
# The model uses three things SimPy does not document, for speed: Environment._eid (the
# counter of scheduled events, read once per replication), and, in ServicePoint, setting an
# Event's _ok/_value before scheduling it and putting a callback first in its list. pyproject
# pins simpy below 5; these tests fail if a SimPy release changes any of them.

def test_environment_numbers_scheduled_events_with_eid() -> None:
    env = simpy.Environment()
    start = next(env._eid)  # type: ignore[attr-defined]
    for _ in range(5):
        env.timeout(1)
    assert next(env._eid) == start + 6  # type: ignore[attr-defined]  # five timeouts, one next() above


def test_events_scheduled_counts_the_run() -> None:
    city = City(tiny(), 0)
    before = city.events_scheduled()
    city.run()
    assert city.events_scheduled() > before > 0


def test_a_service_completion_event_carries_the_wait_and_runs_its_own_callback_first() -> None:
    env = simpy.Environment()
    point = ServicePoint(env, "desk", 1)
    order: list[str] = []
    first = point.request(2.0)
    second = point.request(3.0)
    second.callbacks.append(lambda ev: order.append(f"second {ev.value}"))
    first.callbacks.append(lambda ev: order.append(f"first {ev.value}, queue {point.queue_length}"))
    env.run()
    # the second waited 2 days for the first; the point's bookkeeping (the second leaves the queue
    # for the server) ran before the caller's callback
    assert order == ["first 0.0, queue 0", "second 2.0"]
    assert env.now == 5.0
    assert first.ok and first.processed and second.value == 2.0
