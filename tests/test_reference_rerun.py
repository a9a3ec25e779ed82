"""The R goldens are reproducible: re-running tests/reference/*.R gives the committed files.

Each script is run with ``Rscript`` into a temporary directory (the argument every script
takes) and its JSON compared with the committed one: numbers within 1e-9 relative (the tests
themselves use 1e-6), everything else equal; the input CSVs the scripts write are compared too.
Needs R with survival, maxstat and jsonlite: fails in CI when missing, skips elsewhere.
"""

from __future__ import annotations

import json
import math
import subprocess

import pandas as pd
import pytest

from tests.conftest import REFERENCE, require_r

SCRIPTS = sorted(p for p in REFERENCE.glob("*.R") if p.name != "common.R")  # common: sourced
RTOL = 1e-9
VERSION_KEYS = {"software", "r_version", "R"}  # the R build may differ; the numbers may not


def differences(committed, rerun, path="") -> list[str]:
    """Paths where two JSON documents differ beyond the tolerance."""
    if isinstance(committed, dict) and isinstance(rerun, dict):
        found = [f"{path}/{k}: only on one side" for k in set(committed) ^ set(rerun)]
        for key in set(committed) & set(rerun) - VERSION_KEYS:
            found += differences(committed[key], rerun[key], f"{path}/{key}")
        return found
    if isinstance(committed, list) and isinstance(rerun, list):
        if len(committed) != len(rerun):
            return [f"{path}: length {len(committed)} != {len(rerun)}"]
        return [d for i, (a, b) in enumerate(zip(committed, rerun, strict=True)) for d in differences(a, b, f"{path}[{i}]")]
    numbers = (int, float)
    if isinstance(committed, numbers) and isinstance(rerun, numbers) \
            and not isinstance(committed, bool) and not isinstance(rerun, bool):
        if math.isclose(committed, rerun, rel_tol=RTOL, abs_tol=1e-12):
            return []
        return [f"{path}: {committed!r} != {rerun!r}"]
    return [] if committed == rerun else [f"{path}: {committed!r} != {rerun!r}"]


def test_differences_sees_a_changed_number_and_ignores_rounding():
    assert differences({"a": [1.0, 2.0]}, {"a": [1.0, 2.0 + 1e-13]}) == []
    assert differences({"a": [1.0, 2.0]}, {"a": [1.0, 2.001]}) == ["/a[1]: 2.0 != 2.001"]
    assert differences({"a": None}, {"a": 0.0}) == ["/a: None != 0.0"]
    assert differences({"a": 1}, {"b": 1}) != []


@pytest.fixture(scope="module")
def rerun(tmp_path_factory):
    rscript = require_r("survival", "maxstat", "jsonlite", "exactRankTests", "cmprsk", "rms")
    out = tmp_path_factory.mktemp("reference")
    for script in SCRIPTS:  # alphabetical: cox.R writes the CSVs zph.R reads
        done = subprocess.run([rscript, str(script), str(out)], capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, f"{script.name} failed:\n{done.stderr[-2000:]}"
    return out


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_reference_script_reproduces_its_committed_json(rerun, script):
    committed = json.loads((REFERENCE / f"{script.stem}.json").read_text())
    again = json.loads((rerun / f"{script.stem}.json").read_text())
    assert differences(committed, again) == []


def test_reference_scripts_rewrite_their_input_csvs(rerun):
    written = sorted(p.name for p in (rerun / "data").glob("*.csv"))
    assert len(written) >= 15
    for name in written:
        pd.testing.assert_frame_equal(pd.read_csv(rerun / "data" / name),
                                      pd.read_csv(REFERENCE / "data" / name), rtol=RTOL)
