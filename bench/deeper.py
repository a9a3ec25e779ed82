"""Speed of the deeper analyses (issue 10 targets), engine calls on ``make_sample`` cohorts.

- bootstrap of the optimal cut, B = 1000 on 1,000 patients: <= 10 s
- spline (+ age, cytogenetic risk) and subgroup forest (ikzf1 quartiles within cyto_risk and
  sex) on 100,000 rows: <= 2 s each

Run with ``python bench/deeper.py`` (also from ``make bench``); never collected by pytest.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cohort_explorer.analysis import analyze  # noqa: E402
from cohort_explorer.sample import make_sample  # noqa: E402
from cohort_explorer.spec import AnalysisSpec  # noqa: E402


def _best(label: str, target: float | None, df, spec: AnalysisSpec, repeat: int = 3) -> None:
    """Best wall time of ``repeat`` runs, with that run's CPU time and the load average (on a
    shared machine the wall time follows the CPU time divided by the share of a core)."""
    runs = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        analyze(df, spec)
        runs.append((time.perf_counter() - start, time.process_time() - cpu))
    wall, cpu = min(runs)
    goal = f"(target <= {target:g} s)" if target is not None else "(no target: measured only)"
    load = os.getloadavg()[0]
    print(f"{label:<58} best {wall:6.2f} s (cpu {cpu:5.2f} s, load {load:4.1f})  {goal}")


def main() -> None:
    base = {"time_col": "pfs_months", "event_col": "pfs_event"}
    small = make_sample(1000, seed=3)
    print("== deeper analyses (whole analyze() call, best of 3) ==")
    _best("bootstrap B=1000 of ikzf1:optimal, 1,000 patients", 10, small,
          AnalysisSpec(**base, group_by="ikzf1:optimal", bootstrap=1000))
    large = make_sample(100_000, seed=3)
    _best("spline of ikzf1 + age, cyto_risk, 100,000 rows", 2, large,
          AnalysisSpec(**base, spline="ikzf1", covariates=("age", "cyto_risk:cat")))
    _best("subgroup forest (cyto_risk, sex), 100,000 rows", 2, large,
          AnalysisSpec(**base, group_by="ikzf1:quartiles", subgroups=("cyto_risk", "sex")))
    _best("  (the plain quartile analysis it builds on, 100,000 rows)", 2, large,
          AnalysisSpec(**base, group_by="ikzf1:quartiles"))
    # competing risks and delayed entry (no speed target in the issue: measured only)
    cause = {"time_col": "pfs_months", "event_col": "pfs_cause", "event_value": "1"}
    _best("CIF + Gray, ikzf1 quartiles, 100,000 rows", None, large,
          AnalysisSpec(**cause, group_by="ikzf1:quartiles", competing="pfs_cause=2"))
    _best("  + Fine-Gray (quartiles + age), 100,000 rows", None, large,
          AnalysisSpec(**cause, group_by="ikzf1:quartiles", competing="pfs_cause=2",
                       covariates=("age",), fine_gray=True))
    entered = large.assign(entry=large["pfs_months"] * 0.3 * (large.index % 7) / 7)
    _best("delayed entry: KM, log-rank, Cox, 100,000 rows", None, entered,
          AnalysisSpec(**base, group_by="ikzf1:quartiles", entry_col="entry"))


if __name__ == "__main__":
    main()
