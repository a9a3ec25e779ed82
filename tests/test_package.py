"""Package-level rules: the engine never imports Streamlit; results serialise to strict JSON."""

from __future__ import annotations

import ast
import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cohort_explorer._result import Result

ENGINE = Path(__file__).resolve().parent.parent / "src" / "cohort_explorer"


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the engine (packages as ``__init__``)."""
    out = {}
    for path in sorted(ENGINE.rglob("*.py")):
        parts = ["cohort_explorer", *path.relative_to(ENGINE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def test_engine_imports_without_streamlit():
    names = [m for m in _modules() if m != "cohort_explorer"]
    assert len(names) > 30  # the walk found the sub-packages
    code = (
        "import sys, importlib\n"
        f"for m in {names!r}:\n"
        "    importlib.import_module(m)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_no_engine_module_is_over_500_lines():
    long = {name: n for name, path in _modules().items()
            if (n := len(path.read_text().splitlines())) > 500}
    assert long == {}


def _import_graph() -> dict[str, set[str]]:
    """Module -> engine modules it imports at module level (imports inside functions are lazy)."""
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        edges = set()
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name in modules}
            elif isinstance(node, ast.ImportFrom) and node.module in modules:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    edges.add(sub if sub in modules else node.module)
        graph[name] = edges - {name}
    return graph


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_cycle_finder_finds_a_cycle():
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


def test_engine_has_no_import_cycle():
    graph = _import_graph()
    assert "cohort_explorer.stats.km_core" in graph["cohort_explorer.stats.km"]
    assert _find_cycle(graph) is None


def test_public_namespace_is_lazy_and_complete():
    code = (
        "import sys, cohort_explorer as ce\n"
        "print('numpy' in sys.modules, 'pandas' in sys.modules)\n"
        "missing = [n for n in ce.__all__ if getattr(ce, n, None) is None]\n"
        "print(missing)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["False False", "[]"]


@dataclass(frozen=True)
class _Example(Result):
    x: float
    xs: np.ndarray
    n: np.int64


def test_to_dict_is_strict_json():
    d = _Example(x=math.nan, xs=np.array([1.0, np.inf, 0.5]), n=np.int64(3)).to_dict()
    assert d == {"x": None, "xs": [1.0, None, 0.5], "n": 3}
    json.dumps(d, allow_nan=False)
