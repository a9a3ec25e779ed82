"""Cox model terms: parse ``--covariates`` and build the numeric design matrix.

Terms: ``COL`` (numeric as is), ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2``, ``COL:z``
(standardised with the analysis-set sd, n - 1). Coefficient names follow ``statistics.md``:
numeric ``COL``, categorical ``COL=LEVEL``, ``log2(COL)``, ``z(COL)``; the grouping contributes
``COL=LABEL`` for every non-reference group.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.stratify import Grouping, _as_labels, category_levels, match_level

__all__ = ["Term", "parse_covariate", "term_validity", "build_design"]


@dataclass(frozen=True)
class Term:
    """One ``--covariates`` item."""

    column: str
    kind: str  # "numeric" | "cat" | "log2" | "z"
    reference: str | None = None

    @property
    def name(self) -> str:
        """Coefficient name for a single-column term."""
        return {"numeric": self.column, "log2": f"log2({self.column})", "z": f"z({self.column})"}.get(
            self.kind, self.column
        )


def parse_covariate(text: str) -> Term:
    """Parse ``COL``, ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2`` or ``COL:z``."""
    text = text.strip()
    if not text:
        raise OptionError("--covariates has an empty term; separate terms with commas")
    parts = text.split(":")
    if len(parts) >= 3 and parts[-2] == "cat" and parts[-1].startswith("ref="):
        column = ":".join(parts[:-2])
        reference = parts[-1][4:]
        if not reference:
            raise OptionError(f"--covariates {text}: give a level after ref=")
        return Term(column, "cat", reference)
    if len(parts) >= 2 and parts[-1] in ("cat", "log2", "z"):
        return Term(":".join(parts[:-1]), parts[-1])
    return Term(text, "numeric")


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
    return pd.DataFrame(
        {f"{prefix}={level}": (labels == level).to_numpy(float) for level in levels[1:]},
        index=labels.index,
    )


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
            labels = _as_labels(df[term.column])
            levels = category_levels(df[term.column])
            reference = None if term.reference is None else match_level(term.reference, levels)
            if reference is not None:
                if reference not in levels:
                    raise OptionError(
                        f"--covariates {term.column}:cat:ref={term.reference}: no such level; "
                        f"levels are {', '.join(levels)}"
                    )
                levels = [reference] + [v for v in levels if v != reference]
            block = _dummies(labels, levels, term.column)
            key = term.column
        else:
            x = pd.to_numeric(df[term.column], errors="coerce").to_numpy(float)
            if term.kind == "log2":
                x = np.log2(x)
            elif term.kind == "z":
                sd = np.std(x, ddof=1) if x.size > 1 else 0.0
                if not sd > 0:
                    raise OptionError(f"--covariates {term.column}:z: the column is constant")
                x = (x - x.mean()) / sd
            block = pd.DataFrame({term.name: x}, index=df.index)
            key = term.name
        if key in term_groups:
            raise OptionError(f"--covariates: term {key} is given twice")
        blocks.append(block)
        term_groups[key] = list(block.columns)
    if not blocks:
        return pd.DataFrame(index=df.index), {}
    design = pd.concat(blocks, axis=1)
    duplicated = design.columns[design.columns.duplicated()].tolist()
    if duplicated:
        raise OptionError(f"--covariates: the model has the term {duplicated[0]} twice")
    return design, term_groups
