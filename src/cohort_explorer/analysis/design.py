"""The Cox design matrix: validity of each term's values and the numeric columns.

Terms: ``COL`` (numeric as is), ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2``, ``COL:z``
(standardised with the analysis-set sd, n - 1). Coefficient names follow ``docs/methods.md``:
numeric ``COL``, categorical ``COL=LEVEL``, ``log2(COL)``, ``z(COL)``; the grouping contributes
``COL=LABEL`` for every non-reference group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cohort_explorer.analysis.stratify import (
    Grouping,
    _as_labels,
    _row_labels,
    category_levels,
    match_level,
)
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.limits import check_levels
from cohort_explorer.spec.terms import Term

__all__ = ["term_validity", "build_design"]


def term_validity(df: pd.DataFrame, term: Term) -> tuple[np.ndarray, str]:
    """Rows usable for ``term`` and the exclusion reason for the others."""
    values = df[term.column]
    if term.kind == "cat":
        return values.notna().to_numpy(), f"missing {term.column}"
    x = pd.to_numeric(values, errors="coerce")
    text_cells = x.isna() & values.notna()
    if text_cells.any():
        examples = ", ".join(repr(str(v)) for v in pd.unique(values[text_cells])[:3])
        raise ColumnError(
            f"Covariate '{term.column}' must be numeric but holds text such as {examples}; "
            f"fix those cells or use {term.column}:cat"
        )
    x = x.to_numpy(dtype=float)
    if term.kind == "log2":
        with np.errstate(invalid="ignore"):
            ok = np.isfinite(x) & (x > 0)
        missing = np.isnan(x)
        # Missing values count as missing; non-positive values get their own reason.
        return ok, np.where(missing, f"missing {term.column}", f"log2 of value <= 0 in {term.column}")
    return np.isfinite(x), f"missing {term.column}"


def _dummies(labels: pd.Series, levels: list[str], prefix: str) -> pd.DataFrame:
    """0/1 column per non-reference level: ``labels == level``, from one hashing of the labels
    (integer comparisons instead of a string comparison per row and level)."""
    codes, uniques = pd.factorize(labels.to_numpy(dtype=object))
    code_of = {label: i for i, label in enumerate(uniques)}
    return pd.DataFrame(
        {f"{prefix}={level}": (codes == code_of.get(level, -2)).astype(float)
         for level in levels[1:]},
        index=labels.index,
    )


def _text_codes(values: pd.Series) -> tuple[np.ndarray, list, list[str]] | None:
    """For a text column with repeated values: each row's code (-1 missing), each code's
    label and the levels, from one hashing of the rows (``_as_labels``, ``category_levels``
    and ``_dummies`` would hash them three times); None for any other column."""
    if values.dtype != object or pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if len(uniques) >= len(values):
        return None
    distinct = pd.Series(np.asarray(uniques, dtype=object), dtype=object)
    return codes, _row_labels(distinct).tolist(), category_levels(distinct)


def _coded_dummies(codes: np.ndarray, labels: list, levels: list[str], prefix: str,
                   index: pd.Index) -> pd.DataFrame:
    """:func:`_dummies` of the rows whose code ``c`` has the label ``labels[c]``."""
    position = {level: i for i, level in enumerate(levels)}
    level_of_row = np.array([position.get(label, -1) for label in labels] + [-1])[codes]
    return pd.DataFrame({f"{prefix}={level}": (level_of_row == i).astype(float)
                         for i, level in enumerate(levels) if i > 0}, index=index)


def _categorical_block(df: pd.DataFrame, term: Term) -> pd.DataFrame:
    coded = _text_codes(df[term.column])
    if coded is None:
        labels = _as_labels(df[term.column])
        levels = category_levels(df[term.column])
    else:
        levels = coded[2]
    check_levels(len(levels), f"categorical covariate '{term.column}'")
    reference = None if term.reference is None else match_level(term.reference, levels)
    if reference is not None:
        if reference not in levels:
            raise OptionError(
                f"--covariates {term.column}:cat:ref={term.reference}: no such level; "
                f"levels are {', '.join(levels)}",
            code="reference_level_unknown", fields={"column": term.column, "level": term.reference, "levels": list(levels)})
        levels = [reference] + [v for v in levels if v != reference]
    if coded is not None:
        return _coded_dummies(coded[0], coded[1], levels, term.column, df.index)
    return _dummies(labels, levels, term.column)


def build_design(
    df: pd.DataFrame, terms: list[Term], grouping: Grouping | None
) -> tuple[pd.DataFrame, dict[str, list[str]]]:
    """Numeric design matrix (one column per coefficient) and the coefficient names per term.

    ``df`` must already be the analysis set (complete cases).
    """
    blocks: list[pd.DataFrame] = []
    term_groups: dict[str, list[str]] = {}
    if grouping is not None and len(grouping.labels) > 1:
        codes = pd.Series(grouping.codes, index=df.index)
        block = pd.DataFrame(
            {f"{grouping.column}={label}": (codes == i).to_numpy(float)
             for i, label in enumerate(grouping.labels) if i > 0},
            index=df.index,
        )
        blocks.append(block)
        term_groups[grouping.column] = list(block.columns)
    for term in terms:
        if term.kind == "cat":
            block = _categorical_block(df, term)
            key = term.column
        else:
            x = pd.to_numeric(df[term.column], errors="coerce").to_numpy(float)
            if term.kind == "log2":
                x = np.log2(x)
            elif term.kind == "z":
                sd = np.std(x, ddof=1) if x.size > 1 else 0.0
                if not sd > 0:
                    raise OptionError(f"--covariates {term.column}:z: the column is constant",
            code="constant_covariate", fields={"column": term.column})
                x = (x - x.mean()) / sd
            block = pd.DataFrame({term.name: x}, index=df.index)
            key = term.name
        if key in term_groups and grouping is not None and key == grouping.column:
            raise OptionError(
                f"--covariates {term.column}: '{term.column}' is already the grouping "
                "(--group-by), so the model holds it; a Cox model cannot hold the same column "
                f"twice. Remove {term.column} from the covariates, or group by another column.",
            code="covariate_is_grouping", fields={"column": term.column})
        if key in term_groups:
            raise OptionError(f"--covariates: the term {key} is listed twice; list it once",
            code="term_twice", fields={"term": key})
        blocks.append(block)
        term_groups[key] = list(block.columns)
    if not blocks:
        return pd.DataFrame(index=df.index), {}
    design = pd.concat(blocks, axis=1)
    duplicated = design.columns[design.columns.duplicated()].tolist()
    if duplicated:
        raise OptionError(f"--covariates: the model has the term {duplicated[0]} twice",
            code="term_twice", fields={"term": duplicated[0]})
    return design, term_groups
