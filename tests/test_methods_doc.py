"""docs/methods.md: the project's methods in its own repository, each rule pinned by a real test."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
METHODS = ROOT / "docs" / "methods.md"
LINK = re.compile(r"\[`?([^\]`]+)`?\]\(([^)]+)\)")


def _links():
    return LINK.findall(METHODS.read_text(encoding="utf-8"))


def test_every_linked_test_exists_in_the_linked_file():
    checked = 0
    for name, target in _links():
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (METHODS.parent / target).resolve()
        assert path.exists(), f"docs/methods.md links a missing file: {target}"
        if name.startswith("test_"):
            source = path.read_text(encoding="utf-8")
            assert re.search(rf"^\s*def {re.escape(name)}\(", source, re.M), \
                f"docs/methods.md names {name}, which is not a test in {target}"
            checked += 1
    assert checked >= 40, "methods.md should pin its conventions to tests"


def test_nothing_cites_a_file_outside_the_repository():
    tracked = [p for pattern in ("*.py", "*.md", "*.R", "*.toml", "Makefile", "Dockerfile")
               for p in ROOT.rglob(pattern)
               if not any(part.startswith(".") for part in p.relative_to(ROOT).parts)
               and "node_modules" not in p.parts]
    assert len(tracked) > 50
    offenders = []
    for path in tracked:
        if path == Path(__file__).resolve():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if "statistics.md" in text or "/work/shared" in text or "../shared" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
