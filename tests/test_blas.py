"""blas.py: BLAS on one thread for a command-line run and for large Cox fits."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import numpy as np
import pytest

from cohort_explorer.stats.cox import refit

_PROBE = """
import sys
from cohort_explorer.blas import one_blas_thread_from_start
before = {early}
if not before:
    import numpy
print(one_blas_thread_from_start())
import numpy
from threadpoolctl import threadpool_info
print(max(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"))
"""


def _probe(early: bool, **env) -> list[str]:
    environment = {k: v for k, v in os.environ.items() if not k.endswith("_NUM_THREADS")}
    run = subprocess.run([sys.executable, "-c", _PROBE.format(early=early)], check=True,
                         capture_output=True, text=True, env=environment | env)
    return run.stdout.split()


def test_a_command_line_run_sets_one_blas_thread_before_numpy_loads():
    assert _probe(True) == ["True", "1"]


def test_the_users_own_thread_count_is_kept():
    assert _probe(True, OPENBLAS_NUM_THREADS="2") == ["True", "2"]


def test_too_late_once_numpy_is_loaded():
    assert _probe(False)[0] == "False"


@pytest.mark.parametrize("rows", [1_000, refit.ONE_THREAD_ROWS])
def test_large_cox_fits_run_on_one_blas_thread(monkeypatch, rows):
    entered = []

    @contextlib.contextmanager
    def recording():
        entered.append(rows)
        yield

    monkeypatch.setattr(refit, "one_blas_thread", recording)
    rng = np.random.default_rng(1)
    time = rng.integers(1, 40, rows).astype(float)
    event = (rng.random(rows) < 0.5).astype(float)
    x = rng.normal(size=(rows, 2))
    fit = refit.fit_rows(time, event, x)
    assert fit.converged
    assert entered == ([rows] if rows >= refit.ONE_THREAD_ROWS else [])
