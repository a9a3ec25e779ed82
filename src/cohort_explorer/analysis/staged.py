"""The Cox model and its proportional-hazards test as a second stage of :func:`analyze`.

At a million rows the Cox fit, its concordance and the PH test take most of an analysis; the
Kaplan–Meier curves, medians and log-rank tests are ready long before. ``analyze_in_stages``
returns the analysis without the model at once plus a :class:`PendingModels` holding what the
model needs (the analysis set's times and events, the design matrix); :func:`complete` fits it
and returns exactly what :func:`~cohort_explorer.analysis.analyze` returns (``analyze`` is
``complete(*analyze_in_stages(...))``: one code path, the same numbers and notices in the same
order). The app draws the curves from the first stage and fills in the hazard ratios after.

Nothing here is written anywhere; a :class:`PendingModels` lives as long as its caller keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from cohort_explorer.analysis.notices import ph_notices
from cohort_explorer.errors import CohortError
from cohort_explorer.stats.cox import fit_cox, proportional_hazards_test
from cohort_explorer.stats.ranks import reused_sorts

__all__ = ["PendingModels", "complete", "fit_models"]


@dataclass(frozen=True, eq=False)
class PendingModels:
    """What the Cox model of an analysis needs; ``position`` is where its notices go among the
    result's warnings (after the early run notices, before the late ones)."""

    time: np.ndarray
    event: np.ndarray
    design: pd.DataFrame
    term_groups: Any
    entry: np.ndarray | None
    strata: np.ndarray | None
    strata_col: str | None
    covariates: tuple[str, ...]
    conf_level: float
    position: int


def _ph_test(pending: PendingModels, cox):
    """R ``cox.zph(transform = "km")`` of the fitted model, or None when nothing is testable."""
    if not any(t.estimable for t in cox.terms):
        return None
    try:
        return proportional_hazards_test(pending.time, pending.event, pending.design, cox,
                                         term_groups=pending.term_groups, entry=pending.entry)
    except (CohortError, np.linalg.LinAlgError):
        return None


def fit_models(pending: PendingModels | None) -> tuple[Any, Any, list]:
    """``(cox, ph_test, notices)``; ``(None, None, [])`` when there is no model to fit."""
    if pending is None:
        return None, None, []
    with reused_sorts():  # the PH test ranks and sorts the fit's times again: once
        cox = fit_cox(pending.time, pending.event, pending.design,
                      term_groups=pending.term_groups, conf_level=pending.conf_level,
                      entry=pending.entry, strata=pending.strata)
        cox = replace(cox, strata=pending.strata_col, adjusted_for=pending.covariates)
        ph_test = None if pending.strata_col else _ph_test(pending, cox)
    return cox, ph_test, list(cox.warnings) + ph_notices(ph_test)


def complete(result, pending: PendingModels | None):
    """``result`` (first stage) with its Cox model, PH test and their notices."""
    if pending is None:
        return result
    cox, ph_test, notices = fit_models(pending)
    warnings = list(result.warnings)
    warnings[pending.position:pending.position] = notices
    return replace(result, cox=cox, ph_test=ph_test, warnings=tuple(warnings))
