"""Cohort description: "Table 1" by group and the Jonckheere–Terpstra trend test.

* :func:`table_one` — continuous variables as median [IQR] with the Kruskal–Wallis test;
  categorical ones as n (%) with the χ² test (Yates-corrected for 2×2, as R ``chisq.test``), or
  Fisher's exact test when an expected count is below 5 (``docs/methods.md``).
* :func:`jonckheere_terpstra` — trend of a biomarker across ordered categories (e.g. IKZF1 by
  ISS stage), normal approximation with the tie-corrected variance.

The proportional-hazards check of a Cox model is ``analysis.analyze(...).ph_test``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer._result import Result
from cohort_explorer.errors import ColumnError
from cohort_explorer.limits import check_levels
from cohort_explorer.stats.distributions import norm_sf

__all__ = [
    "TrendTest",
    "TableOne",
    "FISHER_RESAMPLES",
    "FISHER_SEED",
    "jonckheere_terpstra",
    "table_one",
]

#: Fisher's exact test on tables larger than 2×2 uses a seeded Monte Carlo p-value
#: (R ``fisher.test(simulate.p.value = TRUE, B = 100000)``); 2×2 tables are exact.
FISHER_RESAMPLES = 100_000
FISHER_SEED = 20170101
_FISHER_BATCH_CELLS = 100  # tables up to this size: all resamples at once (80 MB)


@dataclass(frozen=True)
class TrendTest(Result):
    """Jonckheere–Terpstra test: ``statistic`` J, its null ``mean``/``variance``, z, p."""

    statistic: float
    mean: float
    variance: float
    z: float
    p: float
    n: int
    levels: tuple[str, ...]
    method: str = "Jonckheere-Terpstra, normal approximation with ties correction, two-sided"


@dataclass(frozen=True)
class TableOne(Result):
    """Baseline characteristics: display ``rows`` (strings) and the ``tests`` per variable."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    tests: dict[str, dict]

    def to_frame(self) -> pd.DataFrame:
        """The table as a DataFrame of strings, one row per variable or level."""
        return pd.DataFrame(list(self.rows), columns=list(self.columns))


def jonckheere_terpstra(values: Sequence[float], groups: Sequence, order: Sequence) -> TrendTest:
    """Jonckheere–Terpstra test for an ordered alternative across ``order``.

    Parameters
    ----------
    values : sequence of float
        The measurements (e.g. IKZF1 expression); missing values are dropped.
    groups : sequence
        The category of each value; values whose category is not in ``order`` are dropped.
    order : sequence
        The categories in their natural order (e.g. ``["I", "II", "III"]``).

    Returns
    -------
    TrendTest
        J = Σ_{i<j} #{x in group i, y in group j: x < y} + ½ #{x = y}; z from the null mean
        (N² − Σnᵢ²)/4 and the variance with the correction for ties; two-sided p from the
        normal distribution.

    Raises
    ------
    ColumnError
        Fewer than two non-empty categories.

    References
    ----------
    Jonckheere AR. A distribution-free k-sample test against ordered alternatives.
    Biometrika 1954;41:133–145. Hollander M, Wolfe DA. Nonparametric Statistical Methods,
    2nd ed. Wiley 1999, section 6.2 (variance with ties).
    """
    x = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    order = list(dict.fromkeys(order))
    check_levels(len(order), "the ordered category")
    codes = pd.Index(order, dtype=object).get_indexer(pd.Series(list(groups), dtype=object))
    keep = (codes >= 0) & np.isfinite(x)
    x, codes = x[keep], codes[keep]
    counts = np.bincount(codes, minlength=len(order))
    present = [(str(level), k) for k, level in enumerate(order) if counts[k]]
    if len(present) < 2:
        raise ColumnError("The trend test needs values in at least two ordered categories")
    statistic = _jt_statistic(x, codes, [k for _, k in present])
    samples = [x[codes == k] for _, k in present]
    sizes = np.array([s.size for s in samples], dtype=float)
    total = sizes.sum()
    _, ties = np.unique(np.concatenate(samples), return_counts=True)
    ties = ties.astype(float)
    mean = (total**2 - (sizes**2).sum()) / 4.0
    variance = (
        (total * (total - 1) * (2 * total + 5) - (sizes * (sizes - 1) * (2 * sizes + 5)).sum()
         - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 72.0
        + (sizes * (sizes - 1) * (sizes - 2)).sum() * (ties * (ties - 1) * (ties - 2)).sum()
        / (36.0 * total * (total - 1) * (total - 2))
        + (sizes * (sizes - 1)).sum() * (ties * (ties - 1)).sum() / (8.0 * total * (total - 1))
    )
    z = (statistic - mean) / np.sqrt(variance) if variance > 0 else np.nan
    p = float(2 * norm_sf(abs(z))) if np.isfinite(z) else np.nan
    return TrendTest(statistic=statistic, mean=float(mean), variance=float(variance),
                     z=float(z), p=p, n=int(total), levels=tuple(level for level, _ in present))


def _jt_statistic(x: np.ndarray, codes: np.ndarray, levels: list[int]) -> float:
    """J = Σ_{i<j} #{x in level i, y in level j: x < y} + ½ #{x = y}, in O(k·m + n log n) time
    and O(n) memory (m distinct values, k levels): the counts of the earlier levels are kept
    per distinct value, never a matrix of pairs (that needed the product of the group sizes)."""
    distinct, ranks = np.unique(x, return_inverse=True)
    earlier = np.zeros(distinct.size, dtype=np.int64)  # values of the levels before this one
    twice = 0  # 2·J as an exact integer
    for k in levels:
        r = ranks[codes == k]
        below = np.cumsum(earlier) - earlier  # earlier values strictly below each value
        twice += 2 * int(below[r].sum()) + int(earlier[r].sum())
        earlier += np.bincount(r, minlength=distinct.size)
    return twice / 2.0


def _number(value: float) -> str:
    if not np.isfinite(value):
        return "NA"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


def _median_iqr(x: np.ndarray) -> str:
    if x.size == 0:
        return "NA"
    q1, median, q3 = np.quantile(x, [0.25, 0.5, 0.75])
    return f"{_number(median)} [{_number(q1)}–{_number(q3)}]"


def _continuous(name, x, codes, labels):
    finite = np.isfinite(x)
    cells = [_median_iqr(x[finite])]
    samples = [x[finite & (codes == k)] for k in range(len(labels))]
    cells += [_median_iqr(s) for s in samples]
    test = {"test": "Kruskal-Wallis", "statistic": np.nan, "p": np.nan}
    usable = [s for s in samples if s.size]
    if len(usable) >= 2 and np.unique(np.concatenate(usable)).size > 1:
        from scipy import stats  # imported when used (slow to import)

        result = stats.kruskal(*usable)
        test.update(statistic=float(result.statistic), p=float(result.pvalue))
    rows = [(f"{name}, median [IQR]", *cells)]
    missing = int((~finite).sum())
    if missing:
        rows.append(("  missing, n", str(missing),
                     *[str(int((~finite & (codes == k)).sum())) for k in range(len(labels))]))
    return rows, test


def _contingency_test(table: np.ndarray) -> dict:
    from scipy import stats  # imported when used (slow to import)

    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return {"test": "none (one level or one group)", "statistic": np.nan, "p": np.nan}
    expected = stats.contingency.expected_freq(table)
    if (expected >= 5).all():
        result = stats.chi2_contingency(table, correction=True)
        return {"test": "Chi-squared", "statistic": float(result.statistic),
                "p": float(result.pvalue)}
    if table.shape == (2, 2):
        return {"test": "Fisher's exact", "statistic": np.nan,
                "p": float(stats.fisher_exact(table).pvalue)}
    # All resampled tables at once need FISHER_RESAMPLES × cells × 8 bytes (32 GB for 200 × 200):
    # beyond _FISHER_BATCH_CELLS cells they are drawn in batches (same seed; memory bounded).
    batch = None if table.size <= _FISHER_BATCH_CELLS else max(1, _FISHER_BATCH_CELLS * 1000
                                                                // table.size)
    method = stats.MonteCarloMethod(n_resamples=FISHER_RESAMPLES, batch=batch,
                                    rng=np.random.default_rng(FISHER_SEED))
    # scipy (1.17) returns a 1-element array instead of a scalar for some sparse tables (a margin
    # of 1, as after a narrow filter): .item() takes the one value and refuses anything else
    p = np.asarray(stats.fisher_exact(table, method=method).pvalue).item()
    return {"test": f"Fisher's exact (Monte Carlo, B = {FISHER_RESAMPLES})",
            "statistic": np.nan, "p": float(p)}


def _categorical(name, series, codes, labels, order):
    present = series.notna().to_numpy()
    values = series.astype(object).where(series.notna(), None).map(
        lambda v: None if v is None else str(v))
    levels = list(dict.fromkeys(str(v) for v in order)) if order else sorted(set(values.dropna()))
    check_levels(len(levels), f"the characteristic '{name}'")
    level_codes = pd.Index(levels, dtype=object).get_indexer(values)
    # one pass over the rows (a level × group loop of comparisons was O(levels·groups·n))
    k = len(labels)
    in_table = (level_codes >= 0) & (codes >= 0)
    table = np.bincount(level_codes[in_table] * max(k, 1) + codes[in_table],
                        minlength=len(levels) * max(k, 1)).reshape(len(levels), max(k, 1))[:, :k]
    overall_counts = np.bincount(level_codes[level_codes >= 0], minlength=len(levels))
    totals = [int(c) for c in np.bincount(codes[present & (codes >= 0)], minlength=k)[:k]]
    overall_total = int(present.sum())
    rows = [(f"{name}, n (%)", "", *[""] * len(labels))]
    for i, level in enumerate(levels):
        overall = int(overall_counts[i])
        cells = [f"{overall} ({100 * overall / overall_total:.1f}%)" if overall_total else "0"]
        cells += [f"{table[i, k]} ({100 * table[i, k] / totals[k]:.1f}%)" if totals[k] else "0"
                  for k in range(len(labels))]
        rows.append((f"  {level}", *cells))
    missing = int((~present).sum())
    if missing:
        rows.append(("  missing, n", str(missing),
                     *[str(int((~present & (codes == k)).sum())) for k in range(len(labels))]))
    return rows, _contingency_test(table)


def table_one(
    df: pd.DataFrame,
    variables: Sequence[str],
    *,
    group: Sequence | None = None,
    group_order: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    level_order: dict[str, Sequence] | None = None,
    names: dict[str, str] | None = None,
) -> TableOne:
    """Baseline characteristics overall and by group, with a test per variable.

    Parameters
    ----------
    df : DataFrame
    variables : sequence of str
        Columns to describe, in display order.
    group : sequence, optional
        Group label per row (``None`` = no group; such rows count only in "Overall").
    group_order : sequence of str, optional
        Column order of the groups (default: sorted labels).
    categorical : sequence of str
        Columns described as n (%); others with a numeric dtype as median [IQR]; text
        columns are always categorical.
    level_order : dict, optional
        Display order of the levels of a categorical column.
    names : dict, optional
        Readable names of the variables for the rows (e.g. a cBioPortal file's display names:
        ``AGE`` -> ``Diagnosis Age``); ``tests`` stay keyed by column.

    Returns
    -------
    TableOne
        ``rows`` of strings (percentages with one decimal) and ``tests[variable]`` with
        ``test``, ``statistic`` and ``p`` (NaN where no test applies).

    References
    ----------
    Kruskal WH, Wallis WA. J Am Stat Assoc 1952;47:583–621. R ``chisq.test`` and
    ``fisher.test`` (stats package).
    """
    missing = [v for v in variables if v not in df.columns]
    if missing:
        raise ColumnError(f"No column {', '.join(map(repr, missing))} in the data")
    labels_per_row = pd.Series(list(group) if group is not None else [None] * len(df),
                               dtype=object)
    labels = list(group_order) if group_order is not None else sorted(
        {str(v) for v in labels_per_row if v is not None})
    check_levels(len(labels), "the grouping")
    lookup = {label: k for k, label in enumerate(labels)}
    codes = np.array([lookup.get(None if v is None else str(v), -1) for v in labels_per_row])
    counts = [int((codes == k).sum()) for k in range(len(labels))]
    columns = ("Characteristic", f"Overall, n = {len(df)}",
               *[f"{label}, n = {n}" for label, n in zip(labels, counts, strict=True)])
    rows: list[tuple[str, ...]] = []
    tests: dict[str, dict] = {}
    for name in variables:
        series = df[name]
        is_numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if name in categorical or not is_numeric:
            new_rows, test = _categorical(name, series, codes, labels,
                                          (level_order or {}).get(name))
        else:
            new_rows, test = _continuous(name, series.to_numpy(dtype=float), codes, labels)
        rows += new_rows
        tests[name] = test
    columns = (*columns, "p", "Test") if labels else columns
    if labels:
        rows = [_with_test(row, tests, variables) for row in rows]
    if names:
        rows = [_renamed(row, names, variables) for row in rows]
    return TableOne(columns=columns, rows=tuple(rows), tests=tests)


def _with_test(row: tuple[str, ...], tests: dict[str, dict], variables: Sequence[str]) -> tuple:
    from cohort_explorer.present.format import format_p

    for name in variables:
        if row[0] in (f"{name}, median [IQR]", f"{name}, n (%)"):
            test = tests[name]
            return (*row, format_p(test["p"], prefix=False), test["test"])
    return (*row, "", "")


def _renamed(row: tuple[str, ...], names: dict[str, str], variables: Sequence[str]) -> tuple:
    for name in variables:
        for suffix in (", median [IQR]", ", n (%)"):
            if row[0] == f"{name}{suffix}" and names.get(name):
                return (f"{names[name]}{suffix}", *row[1:])
    return row
