"""Shared fixtures: paths and the golden values computed by R (tests/reference/)."""

from __future__ import annotations

import json
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
