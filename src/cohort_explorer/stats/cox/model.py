"""Cox proportional hazards models that reproduce R ``survival::coxph`` (Efron ties).

:func:`fit_cox` fits a model to a numeric design matrix (already dummy-coded, one column per
coefficient) with a vectorised Newton-Raphson that follows R's ``coxph.fit`` iteration by
iteration, so coefficients, standard errors, the likelihood-ratio test and the concordance
agree with R to rounding error, also for large cohorts (see :mod:`cohort_explorer.stats.cox.fit`).
:func:`proportional_hazards_test` is R survival >= 3 ``cox.zph(fit, transform = "km")``, with
the scaled Schoenfeld residuals for the diagnostic plot.

Terms whose hazard ratio is infinite (monotone likelihood: a level without events, or R's
"Loglik converged before variable ...; coefficient may be infinite" rule) are reported as
not estimable with a reason and ``null`` numbers, never as a huge hazard ratio with p = 1.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stats.cox.concordance import concordance_counts
from cohort_explorer.stats.cox.entry import late_entry_pairs, prepare_entry
from cohort_explorer.stats.cox.fit import TOLER_INF, NewtonFit, timefix, two_values
from cohort_explorer.stats.cox.notices import fit_notices
from cohort_explorer.stats.cox.refit import fit_rows
from cohort_explorer.stats.cox.strata import within_strata
from cohort_explorer.stats.cox.zph import (
    efron_terms,
    km_transform,
    ph_test_units,
    zph_residuals,
    zph_scores,
)
from cohort_explorer.stats.distributions import chi2_sf, norm_ppf, norm_sf
from cohort_explorer.thresholds import EPV_MIN

__all__ = ["CoxTerm", "TestStatistic", "CoxResult", "PHResiduals", "PHTest", "fit_cox",
           "proportional_hazards_test"]

EPV_WARNING = EPV_MIN  # kept for importers; the threshold lives in cohort_explorer.thresholds


@dataclass(frozen=True)
class CoxTerm(Result):
    """One coefficient. Numbers are NaN (``null`` in JSON) when ``estimable`` is False."""

    term: str
    coef: float
    se: float
    hr: float
    lower: float
    upper: float
    p: float
    estimable: bool
    reason: str | None


@dataclass(frozen=True)
class TestStatistic(Result):
    """A chi-square test: statistic, degrees of freedom and p-value."""

    statistic: float
    df: int
    p: float


@dataclass(frozen=True)
class CoxResult(Result):
    """A fitted Cox model (Efron ties)."""

    terms: tuple[CoxTerm, ...]
    lr_test: TestStatistic
    wald_tests: dict[str, TestStatistic]
    concordance: float
    n: int
    events: int
    ties: str
    events_per_variable: float
    converged: bool
    warnings: tuple[str, ...]
    strata: str | None = None  # the column of a stratified model (R strata(S)), set by analyze
    #: The --covariates terms as given (() = the grouping alone, i.e. unadjusted); set by analyze.
    adjusted_for: tuple[str, ...] = ()


@dataclass(frozen=True)
class PHResiduals(Result):
    """Scaled Schoenfeld residuals, one row per event in time order (R ``cox.zph``, for plots).

    ``time`` is R ``$x`` (the KM-transformed time 1 - KM(t-)), ``raw_time`` is ``$time``,
    ``values[:, j]`` is ``$y`` of ``cox.zph(terms = FALSE)`` for coefficient ``terms[j]``
    (an estimate of beta_j(t)); ``coef`` the Cox coefficients (the level of a constant
    effect), ``variance`` the diagonal of R ``$var`` (for ``plot.cox.zph``'s band) and
    ``tested_as[j]`` the label of the test in ``PHTest.terms`` that covers column ``j`` (the
    factor for its dummies). Columns of terms that are not estimable are NaN.
    """

    terms: tuple[str, ...]
    time: np.ndarray
    raw_time: np.ndarray
    values: np.ndarray
    coef: np.ndarray
    variance: np.ndarray
    tested_as: tuple[str, ...]


@dataclass(frozen=True)
class PHTest(Result):
    """Proportional-hazards test per term and globally (R ``cox.zph``, KM time transform).

    ``residuals`` holds the scaled Schoenfeld residuals for the diagnostic plot.
    """

    terms: tuple[tuple[str, TestStatistic], ...]
    global_test: TestStatistic
    residuals: PHResiduals | None = None

    def plottable(self) -> dict[str, float]:
        """Coefficients with residuals to plot -> p of the PH test covering each, worst first."""
        if self.residuals is None:
            return {}
        tests = dict(self.terms)
        r = self.residuals
        found = {term: tests[label].p for j, (term, label) in enumerate(zip(r.terms, r.tested_as,
                                                                             strict=True))
                 if not np.all(np.isnan(r.values[:, j]))}
        return dict(sorted(found.items(), key=lambda item: 2.0 if np.isnan(item[1]) else item[1]))


# --------------------------------------------------------------------------- input checks
def _check_inputs(time, event, design) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    if not isinstance(design, pd.DataFrame):
        raise TypeError("design must be a pandas DataFrame with one column per coefficient")
    names = [str(c) for c in design.columns]
    time = np.asarray(time, dtype=float).ravel()
    event = np.asarray(event, dtype=float).ravel()
    n = time.size
    if event.size != n or len(design) != n:
        raise ValueError(f"time ({n}), event ({event.size}) and design ({len(design)}) "
                         "must have the same length")
    if not names:
        raise OptionError("the Cox model has no covariates: give at least one term")
    if len(set(names)) != len(names):
        raise OptionError(f"the Cox design has duplicated term names: {names}")
    _check_outcome(time, event)
    return time, event, np.column_stack([_design_column(design.iloc[:, j], name) for j, name in enumerate(names)]), names


def _check_outcome(time: np.ndarray, event: np.ndarray) -> None:
    n = time.size
    if n < 2:
        raise ColumnError(f"a Cox model needs at least 2 rows; the analysis set has {n}")
    if not np.all(np.isfinite(time)):
        raise ColumnError("time has missing or infinite values; remove those rows first")
    if np.any(time < 0):
        raise ColumnError("time has negative values; follow-up time must be >= 0")
    if not np.all(np.isin(event, (0.0, 1.0))):
        raise ColumnError("event must be coded 0/1 (1 = event) with no missing values")
    if event.sum() == 0:
        raise ColumnError(f"no events among the {n} rows (all censored): a Cox model needs "
                          "at least one event")


def _design_column(values: pd.Series, name: str) -> np.ndarray:
    try:
        column = pd.to_numeric(values, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as error:
        raise ColumnError(f"Cox term {name!r} is not numeric; dummy-code it first") from error
    if not np.all(np.isfinite(column)):
        raise ColumnError(f"Cox term {name!r} has missing or infinite values; remove those "
                          "rows (complete cases) first")
    if np.all(column == column[0]):
        raise ColumnError(f"Cox term {name!r} is constant ({column[0]:g}) in the analysis "
                          "set and cannot be estimated; drop it")
    return column


def _check_groups(term_groups, names: list[str]) -> dict[str, list[str]]:
    if term_groups is None:
        return {}
    groups = {}
    for group, members in term_groups.items():
        members = [members] if isinstance(members, str) else [str(m) for m in members]
        unknown = [m for m in members if m not in names]
        if unknown or not members:
            raise OptionError(f"term group {group!r} names terms not in the design: {unknown}; "
                              f"design terms are {names}")
        groups[str(group)] = members
    return groups


# --------------------------------------------------------------------------- estimability
_SEPARATION = "hazard ratio not estimable (separation)"


def _level_label(name: str, value: float, grouped: bool, column: str | None = None) -> str:
    """Rows where ``name`` (``column=LEVEL``; either may contain '=') equals ``value``."""
    prefix = f"{column}=" if column and name.startswith(f"{column}=") else None
    prefix = prefix or (name.split("=", 1)[0] + "=" if "=" in name else None)
    if prefix is not None and value == 1:
        return f"group {name[len(prefix):]}"
    if prefix is not None and value == 0 and not grouped:
        return f"the reference group of {prefix[:-1]}"
    return f"rows with {name} = {value:g}"


def _separation_reasons(x: np.ndarray, event: np.ndarray, names: list[str],
                        groups: dict[str, list[str]]) -> dict[int, str]:
    """Two-valued columns (dummies) with a level, or a factor whose reference, has no events.

    The partial likelihood then increases monotonically as the coefficient runs to -Inf
    (or +Inf), so the hazard ratio is 0 (or infinite) and its Wald test meaningless.
    """
    reasons: dict[int, str] = {}
    is_event = event > 0
    grouped = {m for members in groups.values() if len(members) > 1 for m in members}
    column_of = {m: group for group, members in groups.items() for m in members}
    for j, name in enumerate(names):
        values = two_values(x[:, j])
        if values is None:
            continue
        for value in values[::-1]:
            if value == values[0] and name in grouped:
                continue  # the reference of a factor is checked below, for all its dummies
            if not np.any(is_event & (x[:, j] == value)):
                label = _level_label(name, value, name in grouped, column_of.get(name))
                reasons.setdefault(j, f"no events in {label}: {_SEPARATION}")
    for group, members in groups.items():
        idx = [names.index(m) for m in members]
        if len(idx) < 2 or not np.all(np.isin(x[:, idx], (0.0, 1.0))):
            continue
        reference = np.all(x[:, idx] == 0, axis=1)
        if reference.any() and not np.any(is_event & reference):
            for j in idx:
                reasons.setdefault(j, f"no events in the reference group of {group} (all "
                                      f"events are in the other groups): {_SEPARATION}")
    return reasons


def _infinite_rule(fit: NewtonFit) -> np.ndarray:
    """R coxph.fit: ``abs(u %*% var) > eps`` and ``> toler.inf * abs(coef)``.

    R checks this only for converged fits; a fit that ran out of iterations while a
    coefficient still moves is flagged too (R prints a runaway estimate with p near 1).
    """
    step = np.abs(fit.score @ fit.var)
    with np.errstate(invalid="ignore"):
        moving = (step > 1e-9) & (step > TOLER_INF * np.abs(fit.coef))
    return ~np.isfinite(fit.score) | ~np.isfinite(step) | moving


def _not_estimable(fit: NewtonFit, x, event, names, groups) -> dict[int, str]:
    reasons = _separation_reasons(x, event, names, groups)
    singular = np.diag(fit.var) == 0 if fit.rank < len(names) else np.zeros(len(names), bool)
    for j in np.flatnonzero(singular):
        reasons.setdefault(int(j), "collinear with other terms (coefficient not estimable)")
    for j in np.flatnonzero(_infinite_rule(fit)):
        reasons.setdefault(int(j), "the coefficient keeps growing as the likelihood levels off "
                                   "(monotone likelihood): hazard ratio infinite, not estimable")
    for j in np.flatnonzero(~np.isfinite(fit.coef) | ~np.isfinite(np.diag(fit.var))):
        reasons.setdefault(int(j), "coefficient is infinite: not estimable")
    return reasons


# --------------------------------------------------------------------------- fitting
def _raw_fit(time, event, design, term_groups=None, entry=None, strata=None):
    time, event, x, names = _check_inputs(time, event, design)
    groups = _check_groups(term_groups, names)
    entry, time = (None, timefix(time)) if entry is None else prepare_entry(entry, time)
    fit = fit_rows(time, event, x, entry=entry, strata=strata)
    reasons = _not_estimable(fit, x, event, names, groups)
    return time, event, x, names, groups, fit, reasons


def _chi2(statistic: float, df: int) -> TestStatistic:
    p = float(chi2_sf(statistic, df)) if np.isfinite(statistic) and df > 0 else np.nan
    return TestStatistic(statistic=float(statistic), df=int(df), p=p)


def _wald_tests(fit: NewtonFit, names, groups, reasons) -> dict[str, TestStatistic]:
    tests = {}
    for group, members in groups.items():
        idx = [names.index(m) for m in members]
        if any(j in reasons for j in idx):
            tests[group] = TestStatistic(statistic=np.nan, df=len(idx), p=np.nan)
            continue
        b = fit.coef[idx]
        statistic = float(b @ np.linalg.solve(fit.var[np.ix_(idx, idx)], b))
        tests[group] = _chi2(statistic, len(idx))
    return tests


def _terms(fit: NewtonFit, names, reasons, conf_level: float) -> tuple[CoxTerm, ...]:
    z = norm_ppf(1 - (1 - conf_level) / 2)
    terms = []
    for j, name in enumerate(names):
        if j in reasons:
            terms.append(CoxTerm(name, *([np.nan] * 6), estimable=False, reason=reasons[j]))
            continue
        coef = float(fit.coef[j])
        se = float(np.sqrt(fit.var[j, j]))
        p = float(2 * norm_sf(abs(coef / se)))
        with np.errstate(over="ignore"):  # a huge upper bound is inf -> null in JSON
            hr, lower, upper = np.exp([coef, coef - z * se, coef + z * se])
        terms.append(CoxTerm(name, coef, se, float(hr), float(lower), float(upper), p,
                             estimable=True, reason=None))
    return tuple(terms)


def fit_cox(time, event, design: pd.DataFrame, *,
            term_groups: Mapping[str, Sequence[str]] | None = None,
            conf_level: float = 0.95, entry=None, strata=None) -> CoxResult:
    """Fit a Cox proportional hazards model with Efron's ties, as R ``coxph``.

    Parameters
    ----------
    time : array_like
        Follow-up time (finite, >= 0).
    event : array_like
        1 = event, 0 = censored.
    design : pandas.DataFrame
        Numeric design matrix, one column per coefficient; the column name is the term name
        (``"ikzf1=Q2-Q4"``, ``"age"``, ``"log2(ikzf1)"``). Categorical covariates must already
        be dummy-coded against their reference level.
    term_groups : mapping of str to sequence of str, optional
        Columns that form one covariate (the dummies of a factor); each gets a multi-df Wald
        test in ``wald_tests`` and is checked for a reference level without events.
    conf_level : float, default 0.95
        Level of the Wald confidence intervals of the hazard ratios.
    entry : array_like, optional
        Delayed entry: at risk on (entry, time], R ``coxph(Surv(entry, time, event) ~ .)``.
    strata : array_like, optional
        Stratum per row (R ``+ strata(S)``): own baseline hazards, pairs compared within.

    Returns
    -------
    CoxResult
        Terms with HR = exp(coef), Wald CI and p; the likelihood-ratio test against the null
        model (df = number of estimated coefficients, as R); multi-df Wald tests
        ``b' V^-1 b``; Harrell's concordance with R's tie handling; events per variable
        (events / number of coefficients, a warning below 10); convergence.

    Raises
    ------
    ColumnError
        No events, fewer than 2 rows, invalid time/event, a design column that is constant or
        has missing values.
    OptionError
        Empty design, unknown names in ``term_groups`` or ``conf_level`` outside (0, 1).

    Notes
    -----
    The Newton-Raphson iteration copies R survival 3.5.3 ``coxph.fit`` (``eps = 1e-9``,
    20 iterations, step halving), so the values agree with R to about 1e-10 also when a
    coefficient diverges. A term is not estimable (``estimable=False``, numbers NaN, a
    ``reason``) when its dummy level or the reference level has no events, when it is
    collinear with other terms (R: ``NA``), or by R's infinite-coefficient rule
    ``|u V| > eps`` and ``> sqrt(eps) |b|``. Other terms keep the values R reports.

    References
    ----------
    Cox DR. Regression models and life-tables. J R Stat Soc B 1972;34:187-220.
    Efron B. The efficiency of Cox's likelihood function for censored data. J Am Stat Assoc
    1977;72:557-565.
    Therneau TM, Grambsch PM. Modeling Survival Data: Extending the Cox Model. Springer 2000.
    """
    if not 0 < conf_level < 1:
        raise OptionError(f"conf_level must be between 0 and 1 (got {conf_level})")
    time, event, x, names, groups, fit, reasons = _raw_fit(time, event, design, term_groups,
                                                           entry, strata)
    n, events, p = time.size, int(event.sum()), len(names)
    epv = events / p
    warnings = fit_notices(fit.converged, fit.iterations, [(names[j], r) for j, r in
                                                           sorted(reasons.items())], events, p)
    df = int(np.sum(np.diag(fit.var) != 0)) if fit.rank < p else p
    lr = _chi2(2 * (fit.loglik - fit.loglik_null), df)
    lp = x @ fit.coef - fit.means @ fit.coef
    concordant, discordant, tied = within_strata(concordance_counts, time, event, lp, strata)
    if entry is not None and strata is None:
        late = late_entry_pairs(*prepare_entry(entry, np.asarray(time, float)), event, lp)
        concordant, discordant, tied = (a - b for a, b in zip((concordant, discordant, tied),
                                                              late, strict=True))
    pairs = concordant + discordant + tied
    concordance = (concordant + tied / 2) / pairs if pairs else np.nan
    return CoxResult(terms=_terms(fit, names, reasons, conf_level), lr_test=lr,
                     wald_tests=_wald_tests(fit, names, groups, reasons),
                     concordance=float(concordance), n=n, events=events, ties="efron",
                     events_per_variable=float(epv), converged=fit.converged,
                     warnings=tuple(warnings))


def proportional_hazards_test(time, event, design: pd.DataFrame, cox: CoxResult | None = None,
                              *, term_groups: Mapping[str, Sequence[str]] | None = None,
                              entry=None) -> PHTest:
    """Test proportional hazards with scaled Schoenfeld residuals, as R ``cox.zph``.

    Parameters
    ----------
    time, event, design
        As for :func:`fit_cox`.
    cox : CoxResult, optional
        The model already fitted on the same data; its coefficients are reused when every
        term is estimable (otherwise the model is refitted).
    term_groups : mapping of str to sequence of str, optional
        Columns tested together (R ``cox.zph(terms = TRUE)`` for a factor); other columns are
        tested one by one.
    entry : array_like, optional
        Delayed entry, as for :func:`fit_cox` (R ``cox.zph`` of the counting-process model).

    Returns
    -------
    PHTest
        Per term (in design order, groups at their first column) and global score tests of
        a time-varying coefficient ``beta(t) = beta + theta g(t)``, with ``g`` = 1 - KM(t-)
        (R survival >= 3 default ``transform = "km"``). Terms that are not estimable get NaN
        and are left out of the global test. ``residuals`` (:class:`PHResiduals`) holds the
        scaled Schoenfeld residuals per coefficient, R ``cox.zph(terms = FALSE)`` ``$x``,
        ``$time`` and ``$y`` (NaN columns for terms that are not estimable), for the plot.

    References
    ----------
    Grambsch PM, Therneau TM. Proportional hazards tests and diagnostics based on weighted
    residuals. Biometrika 1994;81:515-526.
    Therneau TM. survival 3.x: ``cox.zph`` (score test formulation, 2019).
    """
    use_cox = cox is not None and all(t.estimable for t in cox.terms)
    if entry is not None:  # joint timefix of entry and time, as fit_cox
        entry, time = prepare_entry(entry, np.asarray(time, dtype=float).ravel())
    if use_cox:
        time, event, x, names = _check_inputs(time, event, design)
        groups = _check_groups(term_groups, names)
        if [t.term for t in cox.terms] != names:
            raise OptionError("cox was fitted with different terms than design")
        time = timefix(time)
        coef = np.array([t.coef for t in cox.terms])
        keep = list(range(len(names)))
    else:
        time, event, x, names, groups, fit, reasons = _raw_fit(time, event, design, term_groups,
                                                               entry)
        coef = np.where(np.isfinite(fit.coef), fit.coef, 0.0)
        keep = [j for j in range(len(names)) if j not in reasons]
    eta = x @ coef
    units = ph_test_units(names, groups)
    shared = efron_terms(time, event, x[:, keep], eta, entry) if keep else None  # one sort
    residuals = _residuals(time, event, x, eta, coef, keep, names, units, shared, entry)
    if not keep:
        nan = TestStatistic(np.nan, 0, np.nan)
        return PHTest(terms=tuple((label, nan) for label, _ in units), global_test=nan,
                      residuals=residuals)
    score, info = zph_scores(time, event, x[:, keep], eta, terms=shared, entry=entry)
    p = len(keep)
    results = []
    for label, idx in units:
        if any(j not in keep for j in idx):
            results.append((label, TestStatistic(np.nan, len(idx), np.nan)))
            continue
        pos = [keep.index(j) for j in idx]
        results.append((label, _zph_test(score, info, p, pos)))
    global_test = _zph_test(score, info, p, list(range(p)))
    return PHTest(terms=tuple(results), global_test=global_test, residuals=residuals)


def _residuals(time, event, x, eta, coef, keep, names, units, shared=None,
               entry=None) -> PHResiduals:
    """Scaled Schoenfeld residuals of the estimable columns; NaN columns for the others."""
    tested_as = [""] * len(names)
    for label, idx in units:
        for j in idx:
            tested_as[j] = label
    events = int(event.sum())
    values = np.full((events, len(names)), np.nan)
    variance = np.full(len(names), np.nan)
    full_coef = np.full(len(names), np.nan)
    if keep:
        raw = zph_residuals(time, event, x[:, keep], eta, coef[keep], terms=shared, entry=entry)
        values[:, keep], variance[keep], full_coef[keep] = raw.values, raw.variance, coef[keep]
        transformed, raw_time = raw.transformed_time, raw.time
    else:
        order = np.argsort(time, kind="stable")
        order = order[event[order] > 0]
        transformed, raw_time = km_transform(time, event, entry)[order], time[order]
    return PHResiduals(terms=tuple(names), time=transformed, raw_time=raw_time, values=values,
                       coef=full_coef, variance=variance, tested_as=tuple(tested_as))


def _zph_test(score: np.ndarray, info: np.ndarray, p: int, pos: list[int]) -> TestStatistic:
    index = list(range(p)) + [p + j for j in pos]
    u = np.concatenate((np.zeros(p), score[pos]))
    statistic = float(u @ np.linalg.solve(info[np.ix_(index, index)], u))
    return _chi2(statistic, len(pos))
