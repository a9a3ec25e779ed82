"""Shared fixtures: paths and the golden values computed by R (tests/reference/)."""

from __future__ import annotations

import json
import os
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
        message = "Chromium not found (set CHROMIUM=/path or run `make chromium`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return path
