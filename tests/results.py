"""Real engine results for presentation tests (figures, tables, report): never stand-ins.

A stand-in object can carry numbers the engine would never produce and hides changes to the
result types; these helpers run :func:`~cohort_explorer.analysis.analyze` on small synthetic
data instead, so a presentation test exercises the real result objects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort_explorer.analysis import AnalysisResult, analyze
from cohort_explorer.spec import AnalysisSpec


def grouped_data(labels=("Q1", "Q2-Q4"), *, seed: int = 1, column: str = "ikzf1",
                 n: int = 25) -> pd.DataFrame:
    """``n`` patients per group: exponential times (rounded, with ties), about half events."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, label in enumerate(labels):
        parts.append(pd.DataFrame({
            column: [label] * n,
            "time": np.round(rng.exponential(30 / (1 + 0.5 * i), n), 1) + 0.1,
            "event": rng.integers(0, 2, n),
            "age": np.round(rng.normal(60, 8, n)),
        }))
    return pd.concat(parts, ignore_index=True)


def grouped_result(labels=("Q1", "Q2-Q4"), *, seed: int = 1, column: str = "ikzf1",
                   **spec) -> tuple[AnalysisResult, pd.DataFrame]:
    """``analyze`` of :func:`grouped_data` grouped by ``column`` (groups in code-point order)."""
    data = grouped_data(labels, seed=seed, column=column)
    result = analyze(data, AnalysisSpec(time_col="time", event_col="event", group_by=column,
                                        **spec))
    return result, data


def not_estimable_result(term_column: str = "marker") -> AnalysisResult:
    """A Cox model with one estimable term (``risk=high``) and one that is not: the level
    ``B`` of ``term_column`` has no events."""
    rng = np.random.default_rng(5)
    n = 80
    risk = np.where(np.arange(n) % 2 == 0, "high", "standard")
    marker = np.where(np.arange(n) % 4 == 1, "B", "A")
    time = np.round(rng.exponential(np.where(risk == "high", 10, 30)), 1) + 0.1
    event = np.where(marker == "B", 0, rng.integers(0, 2, n) | (risk == "high"))
    data = pd.DataFrame({"time": time, "event": event, "risk": risk, term_column: marker})
    spec = AnalysisSpec(time_col="time", event_col="event", group_by="risk",
                        reference="standard", covariates=(f"{term_column}:cat",))
    return analyze(data, spec)
