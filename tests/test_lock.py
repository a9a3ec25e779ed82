"""The dependency lock: every import declared in pyproject.toml, every declared package pinned
with hashes in requirements*.txt (written by `make lock` with uv), the same pins in both."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(requirement: str) -> str:
    return _norm(re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0])


def _locked(path) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of a uv/pip-compile lock."""
    text = (ROOT / path).read_text().replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line)
        assert match, f"{path}: not a pinned requirement: {line[:80]}"
        out[_norm(match.group(1))] = (match.group(2), line.count("--hash=sha256:"))
    return out


def test_every_locked_package_is_pinned_with_hashes():
    for path in ("requirements.txt", "requirements-dev.txt"):
        locked = _locked(path)
        assert len(locked) > 40
        unhashed = [name for name, (_, hashes) in locked.items() if hashes == 0]
        assert unhashed == [], f"{path}: no hash for {unhashed}"


def test_declared_dependencies_are_locked_with_the_same_pins():
    runtime, dev = _locked("requirements.txt"), _locked("requirements-dev.txt")
    extras = PYPROJECT["optional-dependencies"]
    assert {_name(r) for r in PYPROJECT["dependencies"] + extras["auth"]} <= set(runtime)
    assert {_name(r) for group in extras.values() for r in group} <= set(dev)
    assert set(runtime) <= set(dev)
    assert {n: runtime[n][0] for n in runtime} == {n: dev[n][0] for n in runtime}


def _imports(paths) -> set[str]:
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found


def test_every_third_party_import_is_declared():
    sources = [*(ROOT / "src").rglob("*.py"), *(ROOT / "pages").glob("*.py"), ROOT / "app.py",
               ROOT / "serve.py"]
    third_party = {m for m in _imports(sources)
                   if m not in sys.stdlib_module_names and m not in ("cohort_explorer", "pages")}
    assert {"numpy", "pandas", "scipy", "streamlit", "lifelines", "kaleido"} <= third_party
    dists = packages_distributions()
    extras = PYPROJECT["optional-dependencies"]
    declared = {_name(r) for r in PYPROJECT["dependencies"] + extras["auth"] + extras["spark"]}
    missing = {m for m in third_party
               if not {_norm(d) for d in dists.get(m, [m])} & declared}
    assert missing == set(), f"imported but not declared in pyproject.toml: {missing}"
