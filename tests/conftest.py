"""Shared fixtures: paths and the golden values computed by R (tests/reference/)."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "reference"
SAMPLE_CSV = ROOT / "sample_data" / "sample_cohort.csv"


def load_reference(name: str) -> dict:
    """Load ``tests/reference/<name>.json`` written by the R script of the same name."""
    return json.loads((REFERENCE / f"{name}.json").read_text())


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


def require_chromium() -> str:
    """Path of the Chromium that browser tests and PNG/SVG export use.

    Missing Chromium fails the test in CI (``CI=true``: browser tests must run there, never skip)
    and skips it elsewhere; ``make test`` installs Debian's chromium when it can.
    """
    from cohort_explorer.present.plots import chromium_path

    path = chromium_path()
    if path is None:
        missing_tool("Chromium not found (set CHROMIUM=/path or run `make chromium`)")
    return path


def in_ci() -> bool:
    """``CI=true``: a test whose tool is missing fails instead of skipping."""
    return os.environ.get("CI", "").lower() == "true"


def missing_tool(message: str):
    """Fail in CI (``make test`` installs the tool there), skip with the message elsewhere."""
    if in_ci():
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


R_PACKAGES_HINT = ("Debian: apt-get install r-base-core r-cran-survival r-cran-maxstat "
                   "r-cran-jsonlite r-cran-cmprsk r-cran-rms; `CI=true make test` installs them")


@functools.cache
def _r_has(packages: tuple[str, ...]) -> bool:
    code = ("ok <- all(vapply(commandArgs(TRUE), requireNamespace, logical(1), quietly = TRUE)); "
            "quit(status = if (ok) 0 else 1)")
    done = subprocess.run(["Rscript", "-e", code, *packages], capture_output=True, timeout=120)
    return done.returncode == 0


def require_r(*packages: str) -> str:
    """Path of ``Rscript`` with the given R packages (fails in CI when missing, skips elsewhere)."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        missing_tool(f"Rscript not found ({R_PACKAGES_HINT})")
    if packages and not _r_has(tuple(packages)):
        missing_tool(f"R packages missing among {', '.join(packages)} ({R_PACKAGES_HINT})")
    return rscript


#: AppTest script-run limits are raised to at least this many seconds (``APPTEST_TIMEOUT``):
#: a limit is not a wait — a fast run returns at once — so a busy 2-core machine must not turn a
#: slow run into a failure. Tests keep their own (lower) numbers; this is the floor for all.
APPTEST_TIMEOUT = float(os.environ.get("APPTEST_TIMEOUT", "180"))


def _generous_apptest_limits() -> None:
    try:
        from streamlit.testing.v1 import AppTest
    except ImportError:  # pragma: no cover - streamlit is a dependency
        return
    original = AppTest._run
    if getattr(original, "_floored", False):
        return

    def _run(self, widget_state=None, timeout=None):
        limit = self.default_timeout if timeout is None else timeout
        return original(self, widget_state, timeout=max(limit, APPTEST_TIMEOUT))

    _run._floored = True
    AppTest._run = _run


_generous_apptest_limits()
