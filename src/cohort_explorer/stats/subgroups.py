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
from cohort_explorer.errors import CohortError
from cohort_explorer.stats.cox import CoxTerm, TestStatistic, fit_cox
from cohort_explorer.stats.cox.fit import newton_raphson, timefix
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


def _varying(design: pd.DataFrame) -> pd.DataFrame:
    """Drop columns that are constant on these rows (R would report their coefficient NA)."""
    keep = [c for c in design.columns if design[c].nunique(dropna=False) > 1]
    return design[keep]


def _level_terms(time, event, g_design: pd.DataFrame, cov: pd.DataFrame,
                 conf_level: float) -> tuple[CoxTerm, ...]:
    names = list(g_design.columns)
    if event.sum() == 0:
        return tuple(_not_estimable(n, "no events in this subgroup") for n in names)
    g_used = _varying(g_design)
    absent = {n: f"no patients of group {n.split('=', 1)[-1]} (or of the reference group) in "
                 "this subgroup" for n in names if n not in g_used.columns}
    if g_used.shape[1] == 0:
        return tuple(_not_estimable(n, absent[n]) for n in names)
    design = pd.concat([g_used, _varying(cov).add_prefix("covariate ")], axis=1)
    groups = {"group": list(g_used.columns)}
    try:
        with np.errstate(all="ignore"):
            fit = fit_cox(time, event, design, term_groups=groups, conf_level=conf_level)
    except CohortError as error:
        return tuple(_not_estimable(n, str(error)) for n in names)
    found = {t.term: t for t in fit.terms}
    return tuple(found[n] if n in found else _not_estimable(n, absent[n]) for n in names)


def _loglik_df(time, event, design: pd.DataFrame) -> tuple[float, int]:
    x = design.to_numpy(dtype=float)
    with np.errstate(all="ignore"):  # a runaway interaction coefficient overflows exp()
        fit = newton_raphson(time, event, x)
    df = int(np.sum(np.diag(fit.var) != 0)) if fit.rank < x.shape[1] else x.shape[1]
    return fit.loglik, df


def interaction_test(time, event, g_design: pd.DataFrame, s_design: pd.DataFrame,
                     cov: pd.DataFrame) -> TestStatistic | None:
    """LR test of G * S + covs against G + S + covs (df = estimable interaction terms)."""
    time = timefix(np.asarray(time, dtype=float))
    event = np.asarray(event, dtype=float)
    # internal names: a subgroup level may share its name with a group or a covariate
    g_design = g_design.set_axis([f"g{j}" for j in range(g_design.shape[1])], axis=1)
    s_design = s_design.set_axis([f"s{j}" for j in range(s_design.shape[1])], axis=1)
    cov = cov.set_axis([f"c{j}" for j in range(cov.shape[1])], axis=1)
    products = pd.DataFrame(
        {f"{g}:{s}": g_design[g].to_numpy() * s_design[s].to_numpy()
         for g in g_design.columns for s in s_design.columns}, index=g_design.index)
    main = _varying(pd.concat([g_design, s_design, cov], axis=1))
    full = _varying(pd.concat([main, products], axis=1))
    if event.sum() == 0 or main.shape[1] == 0:
        return None
    loglik_main, df_main = _loglik_df(time, event, main)
    loglik_full, df_full = _loglik_df(time, event, full)
    df = df_full - df_main
    if df <= 0:
        return None
    statistic = max(0.0, 2 * (loglik_full - loglik_main))
    return TestStatistic(statistic=float(statistic), df=int(df),
                         p=float(chi2_sf(statistic, df)))


def _dummies(codes: np.ndarray, labels: tuple[str, ...], prefix: str, index) -> pd.DataFrame:
    return pd.DataFrame({f"{prefix}={label}": (codes == i).astype(float)
                         for i, label in enumerate(labels) if i > 0}, index=index)


def subgroup_forest(time, event, g_codes, g_labels, g_column: str, s_codes, s_labels,
                    s_column: str, cov: pd.DataFrame | None = None, *,
                    conf_level: float = 0.95) -> Subgroup:
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
    """
    time = np.asarray(time, dtype=float)
    event = np.asarray(event, dtype=float)
    g_codes, s_codes = np.asarray(g_codes), np.asarray(s_codes)
    index = pd.RangeIndex(time.size)
    cov = pd.DataFrame(index=index) if cov is None else cov.reset_index(drop=True)
    g_design = _dummies(g_codes, g_labels, g_column, index)
    levels = []
    for k, label in enumerate(s_labels):
        rows = s_codes == k
        levels.append(SubgroupLevel(
            level=str(label), n=int(rows.sum()), events=int(event[rows].sum()),
            terms=_level_terms(time[rows], event[rows], g_design[rows].reset_index(drop=True),
                               cov[rows].reset_index(drop=True), conf_level)))
    s_design = _dummies(s_codes, s_labels, s_column, index)
    interaction = interaction_test(time, event, g_design, s_design, cov)
    return Subgroup(variable=s_column, interaction=interaction, levels=tuple(levels))
