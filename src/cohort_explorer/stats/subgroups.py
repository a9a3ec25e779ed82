"""Subgroup forest: the grouping's hazard ratio within each level of a subgroup variable.

For each level L of S: a Cox model (Efron) of the grouping G (dummies against its reference)
plus the adjustment covariates, on the rows with S = L, with n and events. The interaction p of
S is the likelihood-ratio test of ``coxph(~ G * S + covs)`` against ``coxph(~ G + S + covs)``,
df = the number of estimable interaction coefficients (R ``anova`` of the two fits). A level in
which a group has no patients or no events is reported as not estimable, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.stats.cox import CoxTerm, TestStatistic
from cohort_explorer.stats.cox.model import _infinite_rule as infinite_rule
from cohort_explorer.stats.cox.model import _not_estimable as not_estimable_reasons
from cohort_explorer.stats.cox.model import _terms as coef_terms
from cohort_explorer.stats.cox.refit import SortedCohort
from cohort_explorer.stats.distributions import chi2_sf

__all__ = ["SubgroupLevel", "Subgroup", "subgroup_forest", "interaction_test"]


@dataclass(frozen=True)
class SubgroupLevel(Result):
    level: str
    n: int
    events: int
    terms: tuple[CoxTerm, ...]


@dataclass(frozen=True)
class Subgroup(Result):
    variable: str
    interaction: TestStatistic | None
    levels: tuple[SubgroupLevel, ...]


def _not_estimable(name: str, reason: str) -> CoxTerm:
    return CoxTerm(name, *([np.nan] * 6), estimable=False, reason=reason)


def _varying(x: np.ndarray, names: list[str]) -> tuple[np.ndarray, list[str]]:
    """Drop columns that are constant on these rows (R would report their coefficient NA)."""
    keep = [j for j in range(x.shape[1]) if x.shape[0] and np.any(x[:, j] != x[0, j])]
    return x[:, keep], [names[j] for j in keep]


def _level_terms(cohort: SortedCohort, event, g: np.ndarray, g_names: list[str],
                 cov: np.ndarray, cov_names: list[str], conf_level: float,
                 g_codes: np.ndarray) -> tuple[CoxTerm, ...]:
    """``fit_cox`` of the varying group dummies + covariates on one level (its terms only)."""
    if event.sum() == 0:
        return tuple(_not_estimable(n, "no events in this subgroup") for n in g_names)
    g_used, used = _varying(g, g_names)
    absent = {n: f"no patients of group {n.split('=', 1)[-1]} (or of the reference group) in "
                 "this subgroup" for n in g_names if n not in used}
    if not used:
        return tuple(_not_estimable(n, absent[n]) for n in g_names)
    cov_used, cov_used_names = _varying(cov, cov_names)
    x = np.column_stack([g_used, cov_used])
    names = used + [f"covariate {n}" for n in cov_used_names]
    with np.errstate(all="ignore"):  # the group codes tell equal rows apart when alone
        fit = cohort.fit(x, alike=None if cov_used_names else g_codes)
    reasons = not_estimable_reasons(fit, x, event, names, {"group": used})
    found = {t.term: t for t in coef_terms(fit, names, reasons, conf_level)}
    return tuple(found[n] if n in found else _not_estimable(n, absent[n]) for n in g_names)


def _df(fit, p: int) -> int:
    return int(np.sum(np.diag(fit.var) != 0)) if fit.rank < p else p


def interaction_test(time, event, g_design: pd.DataFrame, s_design: pd.DataFrame,
                     cov: pd.DataFrame, *, cohort: SortedCohort | None = None
                     ) -> TestStatistic | None:
    """LR test of G * S + covs against G + S + covs (df = estimable interaction terms).

    The interaction model starts from the main-effects fit (products at 0); where that does
    not settle (no convergence, a runaway coefficient) it is refitted from 0 as R does.
    """
    event = np.asarray(event, dtype=float)
    cohort = SortedCohort(time, event) if cohort is None else cohort
    return _interaction(cohort, event, g_design.to_numpy(dtype=float),
                        s_design.to_numpy(dtype=float), cov.to_numpy(dtype=float))


def _interaction(cohort: SortedCohort, event: np.ndarray, g: np.ndarray, s: np.ndarray,
                 cov: np.ndarray, alike: np.ndarray | None = None) -> TestStatistic | None:
    products = (g[:, :, None] * s[:, None, :]).reshape(g.shape[0], -1)
    main, _ = _varying(np.column_stack([g, s, cov]),
                       list(range(g.shape[1] + s.shape[1] + cov.shape[1])))
    inter, _ = _varying(products, list(range(products.shape[1])))
    if event.sum() == 0 or main.shape[1] == 0:
        return None
    full = np.column_stack([main, inter])
    with np.errstate(all="ignore"):  # a runaway interaction coefficient overflows exp()
        fit_main = cohort.fit(main, alike=alike)
        fit_full = cohort.fit(full, init=np.r_[fit_main.coef, np.zeros(inter.shape[1])],
                              alike=alike)
        if not fit_full.converged or np.any(infinite_rule(fit_full)):
            fit_full = cohort.fit(full, alike=alike)
    df = _df(fit_full, full.shape[1]) - _df(fit_main, main.shape[1])
    if df <= 0:
        return None
    statistic = max(0.0, 2 * (fit_full.loglik - fit_main.loglik))
    return TestStatistic(statistic=float(statistic), df=int(df),
                         p=float(chi2_sf(statistic, df)))


def _dummies(codes: np.ndarray, count: int) -> np.ndarray:
    """0/1 columns of levels 1 .. count-1 (level 0 is the reference)."""
    return (codes[:, None] == np.arange(1, count)[None, :]).astype(float)


def subgroup_forest(time, event, g_codes, g_labels, g_column: str, s_codes, s_labels,
                    s_column: str, cov: pd.DataFrame | None = None, *,
                    conf_level: float = 0.95, cohort: SortedCohort | None = None) -> Subgroup:
    """The grouping's HR per level of S, and the interaction LR test.

    Parameters
    ----------
    time, event : array_like
        Rows of the main analysis set with S non-missing.
    g_codes, g_labels, g_column
        The grouping (codes index ``g_labels``, reference first) with the main cut points.
    s_codes, s_labels, s_column
        The subgroup variable, coded like a grouping (at least two levels).
    cov : DataFrame, optional
        Adjustment columns (the covariates other than S), one column per coefficient.
    cohort : SortedCohort, optional
        These rows already sorted (``SortedCohort(time, event)``, e.g. a subset of the
        analysis set's); every model here refits them without another sort.
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    g_codes, s_codes = np.asarray(g_codes), np.asarray(s_codes)
    cov_x = np.empty((time.size, 0)) if cov is None else cov.to_numpy(dtype=float)
    cov_names = [] if cov is None else [str(c) for c in cov.columns]
    g_x = _dummies(g_codes, len(g_labels))
    g_names = [f"{g_column}={label}" for label in g_labels[1:]]
    cohort = SortedCohort(time, event) if cohort is None else cohort
    levels = []
    for k, label in enumerate(s_labels):
        rows = s_codes == k
        levels.append(SubgroupLevel(
            level=str(label), n=int(rows.sum()), events=int(event[rows].sum()),
            terms=_level_terms(cohort.subset(rows), event[rows], g_x[rows], g_names,
                               cov_x[rows], cov_names, conf_level, g_codes[rows])))
    alike = None if cov_names else g_codes * len(s_labels) + s_codes  # G x S cells
    interaction = _interaction(cohort, event, g_x, _dummies(s_codes, len(s_labels)), cov_x,
                               alike)
    return Subgroup(variable=s_column, interaction=interaction, levels=tuple(levels))
