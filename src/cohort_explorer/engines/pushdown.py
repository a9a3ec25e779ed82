"""``analyze`` on rows that stay where they are (DuckDB, Spark SQL): only aggregates come back.

Kaplan–Meier, medians, landmarks, RMST, follow-up and the log-rank test come from one
``GROUP BY group, time``; the Cox model from one ``GROUP BY time`` per Newton step
(:mod:`.plan`, :mod:`.reduce`). What needs rows — the concordance and the proportional-hazards
test — runs on a seeded random sample of at most ``sample_rows`` rows (all rows when the
analysis set is that small, so the numbers then equal the in-memory engine's) and says so in a
warning. Options that need rows throughout are refused with a message.
"""

from __future__ import annotations

import difflib
import math
import uuid
from dataclasses import replace

import numpy as np
import pandas as pd

from cohort_explorer import stats
from cohort_explorer.analysis.analysis_set import group_spec
from cohort_explorer.analysis.analyze import (
    AnalysisResult,
    Excluded,
    GroupResult,
    _ph_warnings,
    _rmst_differences,
    software_versions,
)
from cohort_explorer.analysis.intervals import grouping_intervals
from cohort_explorer.analysis.notices import run_notices
from cohort_explorer.analysis.stratify import category_levels, match_level
from cohort_explorer.engines.plan import Plan, Term
from cohort_explorer.engines.reduce import AggregateRiskSets, logrank_from_counts, merge_times
from cohort_explorer.engines.thin import thin_groups
from cohort_explorer.errors import ColumnError, Notice, OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.grouping import QUANTILE_KINDS
from cohort_explorer.spec.terms import parse_covariate
from cohort_explorer.stats.cox import model as cox_model
from cohort_explorer.stats.cox.concordance import concordance_counts
from cohort_explorer.stats.cox.fit import RiskSets, iterate, timefix
from cohort_explorer.stats.cox.fit import _scaling as fit_scaling
from cohort_explorer.stats.cox.notices import fit_notices
from cohort_explorer.stats.km import _fit as km_from_table
from cohort_explorer.stats.km_core import km_table_from_counts, read_only
from cohort_explorer.stats.landmark_diff import landmark_differences
from cohort_explorer.stats.logrank import LogRank, chi_square

__all__ = ["analyze_pushdown", "SAMPLE_ROWS", "SAMPLE_SEED"]

SAMPLE_ROWS = 1_000_000
SAMPLE_SEED = 20170101
MAX_LEVELS = 200
_REFUSED = {"derive": "--derive", "where": "--where", "pairwise": "--pairwise", "trend": "--trend",
            "strata": "--strata", "landmark_from": "--landmark-from", "rmst_tau": None}


def _refuse_unsupported(spec: AnalysisSpec) -> None:
    for name, option in _REFUSED.items():
        if option and getattr(spec, name, None):
            raise OptionError(f"{option} is not available with --engine duckdb/spark yet (it "
                              "needs row-level data); use --engine memory on an extract",
            code="pushdown_not_available", fields={"option": option.lstrip("-")})
    for name in ("entry_col", "competing", "fine_gray", "spline", "subgroups", "screen",
                 "predict", "dates", "bootstrap"):
        if getattr(spec, name, None):
            raise OptionError(f"--{name.replace('_col', '').replace('_', '-')} is not available "
                              "with --engine duckdb/spark yet; use --engine memory on an extract",
            code="pushdown_not_available", fields={"option": name.replace("_col", "").replace("_", "-")})


def _check_columns(columns: dict[str, str], needed: list[str]) -> None:
    for column in needed:
        if column not in columns:
            close = difflib.get_close_matches(column, list(columns), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ColumnError(f"No column '{column}' in the data{hint}")


def _lerp(a: float, b: float, t: float) -> float:
    """numpy's linear interpolation of ``np.quantile`` (type 7), same operations."""
    diff = b - a
    return float(b - diff * (1 - t)) if t >= 0.5 else float(a + diff * t)


def _quantile_breaks(source, plan: Plan, kind: str, column: str):
    n = int(source.query(plan.count_sql(), plan.params)[0][0])
    if n == 0:
        raise ColumnError(f"Column '{column}' has no numeric values to split.")
    if kind in QUANTILE_KINDS:
        k, prefix = QUANTILE_KINDS[kind]
        probs, labels = np.arange(1, k) / k, [f"{prefix}{i}" for i in range(1, k + 1)]
    elif kind == "median":
        probs, labels = np.array([0.5]), ["Low", "High"]
    else:
        probs, labels = np.array([0.25]), ["Q1", "Q2-Q4"]
    virtual = (n - 1) * probs
    below = np.floor(virtual).astype(int)
    wanted = sorted({int(i) + 1 for i in below} | {min(int(i) + 2, n) for i in below} | {1, n})
    values = source.order_stats(plan, wanted, n)
    breaks = [_lerp(values[int(lo) + 1], values[min(int(lo) + 2, n)], float(v - lo))
              for lo, v in zip(below, virtual, strict=True)]
    inner = np.append(breaks, values[n])
    if np.any(np.diff(inner) <= 0):
        raise OptionError(f"too many ties in {column} for {kind}; use :median or :cut="
                          if kind != "median" else
                          f"too many ties in {column} for a median split; use :cut=")
    plan.extent = (float(values[1]), float(values[n]))  # for groups[].interval
    return breaks, labels


def _levels(source, plan: Plan, expr: str, column: str) -> list[tuple[str, list]]:
    rows = source.query(plan.distinct_sql(expr, MAX_LEVELS + 1), plan.params)
    if len(rows) > MAX_LEVELS:
        raise OptionError(f"{column} has more than {MAX_LEVELS} distinct values: not a category")
    raw = [r[0] for r in rows]
    labels = category_levels(pd.Series(raw, dtype=object))
    by_label: dict[str, list] = {label: [] for label in labels}
    for value in raw:
        by_label[category_levels(pd.Series([value], dtype=object))[0]].append(value)
    return [(label, by_label[label]) for label in labels]


def _grouping(source, plan: Plan, spec: AnalysisSpec, columns: dict[str, str]) -> None:
    if spec.group_by is None:
        plan.labels, plan.codes = ["All"], [0]
        return
    gspec = group_spec(pd.DataFrame(columns=list(columns)), spec.group_by)
    _check_columns(columns, [gspec.column])
    plan.group_col = gspec.column
    if gspec.kind in ("quartiles", "tertiles", "median", "q1-vs-rest"):
        if columns[gspec.column] != "numeric":
            raise ColumnError(f"Column '{gspec.column}' must be numeric for this rule")
        plan.group_kind, plan.group_kind_rule = "quantile", gspec.kind
        plan.breaks, plan.labels = _quantile_breaks(source, plan, gspec.kind, gspec.column)
        plan.codes = list(range(len(plan.labels)))
    elif gspec.kind == "category":
        plan.group_kind, plan.group_text = "category", columns[gspec.column] == "text"
        plan.group_levels = _levels(source, plan, "gv", gspec.column)
        plan.labels = [label for label, _ in plan.group_levels]
        plan.codes = list(range(len(plan.labels)))
    else:
        raise OptionError(f"--group-by {spec.group_by} is not available with --engine duckdb/"
                          "spark yet; use COL, COL:quartiles, :tertiles, :median or :q1-vs-rest",
            code="pushdown_grouping", fields={"group_by": spec.group_by})
    if spec.reference is not None:
        reference = match_level(spec.reference, tuple(plan.labels))
        if reference not in plan.labels:
            raise OptionError(f"--reference {reference} is not a group of {gspec.column}; "
                              f"groups are {', '.join(plan.labels)}",
            code="reference_group_unknown", fields={"reference": reference, "column": gspec.column, "groups": list(plan.labels)})
        i = plan.labels.index(reference)
        plan.labels = [plan.labels[i]] + plan.labels[:i] + plan.labels[i + 1:]
        plan.codes = [plan.codes[i]] + plan.codes[:i] + plan.codes[i + 1:]
    if plan.group_kind == "category":
        order = {label: raw for label, raw in plan.group_levels}
        plan.group_levels = [(label, order[label]) for label in plan.labels]
        plan.codes = list(range(len(plan.labels)))


def _terms(source, plan: Plan, spec: AnalysisSpec, columns: dict[str, str]) -> None:
    for text in spec.covariates:
        term = parse_covariate(text)
        _check_columns(columns, [term.column])
        if term.kind != "cat" and columns[term.column] != "numeric":
            raise ColumnError(f"Covariate '{term.column}' must be numeric; use {term.column}:cat")
        plan.terms.append(Term(term.column, term.kind, term.name,
                               text=columns[term.column] == "text"))
    for j, term in enumerate(plan.terms):
        if term.kind == "cat":
            levels = _levels(source, plan, f"v{j}", term.column)
            ref = parse_covariate(spec.covariates[j]).reference
            if ref is not None:
                ref = match_level(ref, [label for label, _ in levels])
                if ref not in [label for label, _ in levels]:
                    raise OptionError(f"--covariates {term.column}:cat:ref={ref}: no such level",
            code="reference_level_unknown", fields={"column": term.column, "level": ref, "levels": []})
                levels = [lv for lv in levels if lv[0] == ref] + [lv for lv in levels if lv[0] != ref]
            term.levels = levels
    for j, term in enumerate(plan.terms):
        if term.kind == "z":
            mean, sd = source.query(plan.moments_sql(f"v{j}"), plan.params)[0]
            if not (sd and sd > 0):
                raise OptionError(f"--covariates {term.column}:z: the column is constant",
            code="constant_covariate", fields={"column": term.column})
            term.mean, term.sd = float(mean), float(sd)


def _excluded(source, plan: Plan) -> tuple[Excluded, int]:
    names = [reason for _, reason in plan.reasons()]
    reasons = {"missing time": 0, "non-numeric time": 0, "negative time": 0, "infinite time": 0}
    kept = 0
    for code, count in source.query(plan.excluded_sql(), plan.params):
        if int(code) == 0:
            kept = int(count)
        else:
            reasons[names[int(code) - 1]] = reasons.get(names[int(code) - 1], 0) + int(count)
    return Excluded(sum(reasons.values()), reasons), kept


def _groups(source, plan: Plan, spec: AnalysisSpec):
    rows = source.query(plan.counts_sql(), plan.params)
    table = np.array([(g, t, n, e) for g, t, n, e in rows], dtype=float).reshape(-1, 4)
    groups, per_code = [], {}
    intervals = ({} if plan.group_kind != "quantile" else grouping_intervals(
        plan.group_kind_rule, tuple(plan.labels), tuple(plan.breaks), np.array(plan.extent)))
    for label, code in zip(plan.labels, plan.codes, strict=True):
        part = table[table[:, 0] == code]
        part = part[np.argsort(part[:, 1], kind="stable")]
        per_code[code] = part
        if part.size == 0:
            raise ColumnError(f"Group {label} has no patients in the analysis set")
        km = km_from_table(None, None, spec.conf_level, spec.conf_type,
                           km_table_from_counts(part[:, 1], part[:, 2], part[:, 3]))
        rmst = None
        if spec.rmst_tau is not None:
            rmst = stats.restricted_mean(km, spec.rmst_tau, conf_level=spec.conf_level)
        groups.append(GroupResult(label=str(label), n=int(part[:, 2].sum()),
                                  events=int(part[:, 3].sum()),
                                  median=stats.survival_quantile(km, 0.5),
                                  landmarks=stats.landmark_survival(km, list(spec.landmarks)),
                                  rmst=rmst, km=km, interval=intervals.get(str(label))))
    return tuple(groups), table


def _follow_up(table: np.ndarray) -> stats.FollowUp:
    uniq, inverse = np.unique(table[:, 1], return_inverse=True)
    rows = np.bincount(inverse, weights=table[:, 2]).astype(np.int64)
    events = np.bincount(inverse, weights=table[:, 3]).astype(np.int64)
    reverse = km_from_table(None, None, 0.95, "plain", km_table_from_counts(uniq, rows, rows - events))
    q1, median, q3 = (stats.km._quantile(reverse, p, reverse.survival) for p in (0.25, 0.5, 0.75))
    return stats.FollowUp(median=median, q1=q1, q3=q3)


def _logrank(table: np.ndarray, codes: list[int]) -> LogRank | None:
    if len(codes) < 2 or table[:, 3].sum() == 0:
        return None
    column = {code: i for i, code in enumerate(codes)}
    uniq, inverse = np.unique(table[:, 1], return_inverse=True)
    time, _ = merge_times(uniq, uniq)
    runs = np.searchsorted(time, uniq, side="right") - 1
    k = len(codes)
    rows, deaths = np.zeros((time.size, k)), np.zeros((time.size, k))
    col = np.array([column[int(g)] for g in table[:, 0]])
    np.add.at(rows, (runs[inverse], col), table[:, 2])
    np.add.at(deaths, (runs[inverse], col), table[:, 3])
    observed, expected, variance = logrank_from_counts(rows, deaths)
    statistic, df, p = chi_square(observed, expected, variance)
    return LogRank(statistic, df, p, read_only(observed), read_only(expected), read_only(variance))


def _separation(source, plan: Plan, names: list[str], groups: dict[str, list[str]]):
    """R's no-events-in-a-level rule (``_separation_reasons``) from the distinct (design
    values, event) combinations of each term: the rule only asks which combinations exist."""
    reasons: dict[int, str] = {}
    for group, members in groups.items():
        idx = [names.index(m) for m in members]
        rows = np.array(source.query(plan.levels_with_events_sql(idx, limit=5 if len(idx) == 1
                                                                 else None), plan.params),
                        dtype=float)
        if rows.size == 0 or (len(idx) == 1 and np.unique(rows[:, 0]).size > 2):
            continue
        found = cox_model._separation_reasons(rows[:, :-1], rows[:, -1], members,
                                              {group: members})
        reasons.update({idx[k]: r for k, r in found.items()})
    return reasons


def _cox(source, plan: Plan, spec: AnalysisSpec, events: int):
    design = plan.design()
    names = [name for name, _ in design]
    p = len(names)
    if p == 0 or events == 0:
        return None, None, names, {}
    groups = {}
    if plan.group_kind != "none" and len(plan.labels) > 1:
        groups[plan.group_col] = names[:len(plan.labels) - 1]
    start = len(groups.get(plan.group_col, []))
    for term in plan.terms:
        width = len(term.levels) - 1 if term.kind == "cat" else 1
        groups[term.column if term.kind == "cat" else term.name] = names[start:start + width]
        start += width
    first = source.query(plan.scaling_sql(p), plan.params)[0]
    n = int(first[0])
    means, scale = np.zeros(p), np.ones(p)
    centre = [k for k in range(p) if int(first[2 + 2 * k]) > 0]
    for k in centre:
        means[k] = float(first[1 + 2 * k])
    spread = source.query(plan.spread_sql(list(means)), plan.params)[0]
    for k in centre:
        scale[k] = n / float(spread[k]) if spread[k] and spread[k] > 0 else 1.0

    def sums(beta):
        return source.query(plan.cox_sums_sql(means, scale, beta), plan.params)

    fit = iterate(AggregateRiskSets(sums, p), means, scale)
    reasons = _separation(source, plan, names, groups)
    singular = np.diag(fit.var) == 0 if fit.rank < p else np.zeros(p, bool)
    for j in np.flatnonzero(singular):
        reasons.setdefault(int(j), "collinear with other terms (coefficient not estimable)")
    for j in np.flatnonzero(cox_model._infinite_rule(fit)):
        reasons.setdefault(int(j), "the coefficient keeps growing as the likelihood levels off "
                                   "(monotone likelihood): hazard ratio infinite, not estimable")
    epv = events / p
    warnings = fit_notices(fit.converged, fit.iterations,
                           [(names[j], r) for j, r in sorted(reasons.items())], events, p)
    df = int(np.sum(np.diag(fit.var) != 0)) if fit.rank < p else p
    result = cox_model.CoxResult(
        terms=cox_model._terms(fit, names, reasons, spec.conf_level),
        lr_test=cox_model._chi2(2 * (fit.loglik - fit.loglik_null), df),
        wald_tests=cox_model._wald_tests(fit, names, groups, reasons), concordance=math.nan,
        n=n, events=events, ties="efron", events_per_variable=float(epv),
        converged=fit.converged, warnings=tuple(warnings),
        adjusted_for=tuple(spec.covariates))
    return result, fit.means, names, groups


def _sample(source, plan: Plan, p: int, n: int, rows: int, seed: int) -> pd.DataFrame:
    """The analysis set (n <= rows) or a seeded random sample of about ``rows`` of it."""
    data = source.query_frame(plan.sample_sql(rows, n, int(seed)), plan.params)
    data.columns = ["t", "e", "g"] + [f"d{k}" for k in range(p)]
    return data.astype(float)


def _sample_fit(sample: pd.DataFrame, cox):
    """The Cox model refitted on the sample (as the PH test needs), Newton started from the
    coefficients of all rows (R ``coxph(init=)``: about half the steps, the same maximum to
    the convergence tolerance); None (the test refits from zero) unless every term is
    estimable and the fit converges to finite coefficients."""
    if not all(t.estimable for t in cox.terms):
        return None
    x = sample.iloc[:, 3:].to_numpy()
    means, scale = fit_scaling(x)
    fit = iterate(RiskSets(timefix(sample["t"].to_numpy()), sample["e"].to_numpy(),
                           (x - means) * scale), means, scale,
                  init=np.array([t.coef for t in cox.terms]))
    if not fit.converged or fit.rank < x.shape[1] or not np.all(np.isfinite(fit.coef)):
        return None
    terms = tuple(replace(t, coef=float(c)) for t, c in zip(cox.terms, fit.coef, strict=True))
    return cox_model.CoxResult(**{**cox.__dict__, "terms": terms})


def _row_level(source, plan, cox, means, names, groups, n, sample_rows, seed):
    """Concordance and PH test on the rows (or a seeded sample of them); note when sampled."""
    sample = _sample(source, plan, len(names), n, sample_rows, seed)
    time, event = sample["t"].to_numpy(), sample["e"].to_numpy()
    design = pd.DataFrame(sample.iloc[:, 3:].to_numpy(), columns=names)
    coef = np.array([t.coef if t.estimable else 0.0 for t in cox.terms])
    lp = design.to_numpy() @ coef - means @ coef  # as fit_cox
    c, d, tied = concordance_counts(timefix(time), event, lp)
    pairs = c + d + tied
    concordance = (c + tied / 2) / pairs if pairs else math.nan
    ph = None
    if any(t.estimable for t in cox.terms):
        try:
            ph = cox_model.proportional_hazards_test(
                time, event, design, cox if len(sample) == n else _sample_fit(sample, cox),
                term_groups=groups)
        except (ColumnError, OptionError, np.linalg.LinAlgError):
            ph = None
    note = [] if len(sample) == n else [Notice(
        f"The concordance and the proportional-hazards test were computed on a random sample "
        f"of {len(sample):,} of the {n:,} patients (seed {seed}); every other number uses all "
        "patients.", "rows_sampled", {"sample": len(sample), "n": n, "seed": seed},
        severity="info")]
    return concordance, ph, note


def analyze_pushdown(source, spec: AnalysisSpec, *, sample_rows: int = SAMPLE_ROWS,
                     seed: int = SAMPLE_SEED, full_km: bool = False) -> AnalysisResult:
    """:func:`~cohort_explorer.analysis.analyze` on a :mod:`.sources` source: the same result
    (numbers equal to the in-memory engine's to rounding), computed from SQL aggregates; KM
    arrays of over a million distinct times thinned as plotted unless ``full_km``
    (:mod:`.thin`)."""
    _refuse_unsupported(spec)
    if spec.conf_type not in ("log-log", "log", "plain"):
        raise OptionError(f"--conf-type {spec.conf_type}: use log-log, log or plain",
            code="conf_type_unknown", fields={"value": spec.conf_type})
    columns = source.columns()
    _check_columns(columns, [spec.time_col, spec.event_col])
    if columns[spec.time_col] != "numeric":
        raise ColumnError(f"Column '{spec.time_col}' must be numeric for --engine duckdb/spark",
            code="pushdown_time_not_numeric", fields={"column": spec.time_col})
    plan = Plan(source.dialect, source.relation, spec.time_col, spec.event_col,
                event_value=spec.event_value, event_kind=columns[spec.event_col])
    _check_event(source, plan, spec)
    _terms(source, plan, spec, columns)
    _grouping(source, plan, spec, columns)
    plan.patterns = source.materialize(f"cohort_explorer_patterns_{uuid.uuid4().hex}",
                                       plan.patterns_sql(), plan.params, len(plan.columns()) + 2)
    excluded, n = _excluded(source, plan)
    if n == 0:
        detail = ", ".join(f"{k}: {v}" for k, v in excluded.reasons.items() if v) or "no rows"
        raise ColumnError(f"Nothing to analyse: every row was excluded ({detail})")
    groups, table = _groups(source, plan, spec)
    events = int(table[:, 3].sum())
    warnings = run_notices(events=events, n_groups=len(groups), spec=spec,
                           column=plan.group_col or "", found_cut=None)["early"]
    logrank = _logrank(table, plan.codes) if len(groups) > 1 else None
    cox, means, names, term_groups = _cox(source, plan, spec, events)
    ph = None
    if cox is not None:
        concordance, ph, note = _row_level(source, plan, cox, means, names, term_groups, n,
                                           sample_rows, seed)
        cox = cox_model.CoxResult(**{**cox.__dict__, "concordance": float(concordance)})
        warnings += list(cox.warnings) + _ph_warnings(ph) + note
    differences = (landmark_differences([(g.label, g.km) for g in groups], list(spec.landmarks),
                                        spec.conf_level)
                   if spec.landmarks and len(groups) > 1 else None)
    rmst_differences = _rmst_differences(groups, spec.conf_level)
    groups, thinned = thin_groups(groups, full_km)
    return AnalysisResult(
        landmark_differences=differences,
        rmst_differences=rmst_differences,
        n=n, events=events, excluded=excluded, filtered=0, follow_up=_follow_up(table),
        groups=groups, logrank=logrank, cox=cox, ph_test=ph, warnings=tuple(warnings + thinned),
        software={**software_versions(), "engine": source.dialect.name},
        group_column=plan.group_col, spec=spec)


def _check_event(source, plan: Plan, spec: AnalysisSpec) -> None:
    if spec.event_value is not None or plan.event_kind == "bool":
        return
    if plan.event_kind != "numeric":
        raise ColumnError(f"event must be 0/1 or true/false; use --event {spec.event_col}=VALUE",
            code="event_coding", fields={"column": spec.event_col, "values": []})
    found = [r[0] for r in source.query(plan.distinct_sql("e", 10), plan.params)]
    bad = sorted(v for v in found if v not in (0.0, 1.0) and not math.isnan(v))
    if bad:
        shown = ", ".join(f"{v:g}" for v in bad[:5])
        raise ColumnError(f"event must be 0/1 or true/false; found {shown}; use --event "
                          f"{spec.event_col}=VALUE",
            code="event_coding", fields={"column": spec.event_col, "values": [shown]})
