"""What each Cox term is, in words: the grouping's levels with their cut-offs, covariates by
their display names, and what each hazard ratio compares.

The JSON and the numeric exports keep the engine's term names (``ikzf1=Q2``,
``cyto_risk=high``, ``log2(b2m)``); tables, the forest plot and the report show

* ``ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)`` for a group of the grouping — the level
  names are those of the Kaplan–Meier legend (:func:`cohort_explorer.present.labels.group_names`);
* ``cyto_risk high vs standard`` for a level of a categorical covariate;
* ``age (per unit)``, ``b2m (per doubling)``, ``age (per standard deviation)`` for numeric terms,

with each column under its display name when the file gives one (a cBioPortal file's ``#``
row). Plain text; callers escape it for HTML or plotly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cohort_explorer.errors import CohortError
from cohort_explorer.present.labels import group_names
from cohort_explorer.spec.terms import parse_covariate

__all__ = ["PER", "TermName", "level_names", "term_names", "cox_term_names", "cox_term_labels",
           "subgroup_term_labels"]

#: What one unit of a numeric term is, by its kind (``--covariates COL``, ``COL:log2``, ``COL:z``).
PER = {"numeric": "per unit", "log2": "per doubling", "z": "per standard deviation"}
_FUNCTION = re.compile(r"^(log2|z)\((.+)\)$")


@dataclass(frozen=True)
class TermName:
    """One Cox term in words.

    ``variable``: the column's display name; ``level``: the level with its cut-offs
    (``Q2 (> 0.643 to ≤ 1.12)``, ``high``) or the unit of a numeric term (``per doubling``);
    ``reference``: the level the hazard ratio compares with (empty when not known or numeric).
    """

    term: str
    variable: str
    level: str
    reference: str = ""
    categorical: bool = True

    @property
    def label(self) -> str:
        """``ikzf1 Q2 (> 0.643 to ≤ 1.12) vs Q1 (≤ 0.643)``, ``age (per unit)``."""
        if not self.categorical:
            return f"{self.variable} ({self.level})" if self.level else self.variable
        text = f"{self.variable} {self.level}".strip()
        return f"{text} vs {self.reference}" if self.reference else text


def _label_of(group: Any) -> str:
    return str(group["label"] if isinstance(group, dict) else group.label)


def level_names(groups: Sequence[Any] | None) -> dict[str, str]:
    """Each group's engine label -> its name with its cut-offs, as in the KM legend:
    ``{"Q1": "Q1 (≤ 0.643)", ..., "Q4": "Q4 (> 1.94)"}`` (labels unchanged without intervals)."""
    groups = list(groups or ())
    if not groups:
        return {}
    return dict(zip((_label_of(g) for g in groups), group_names(groups), strict=True))


def _covariates(terms: Iterable[str]) -> list:
    out = []
    for text in terms or ():
        try:
            out.append(parse_covariate(str(text)))
        except CohortError:  # not a term as given (a name only): matched by the fallback
            continue
    return sorted(out, key=lambda t: -len(t.column))  # "ab" before "a" for "ab=1"


def term_names(terms: Iterable[str], *, group_column: str | None = None,
               groups: Sequence[Any] | None = None, covariates: Iterable[str] = (),
               names: Mapping[str, str] | None = None,
               references: Mapping[str, str] | None = None) -> dict[str, TermName]:
    """Every Cox term name in words (see :class:`TermName`), keyed by the term name.

    Parameters
    ----------
    terms : iterable of str
        The model's term names (``cox.terms[].term``).
    group_column : str, optional
        The grouping column: its terms are ``COL=LABEL`` against the first group.
    groups : sequence, optional
        ``result.groups`` (objects or dicts), for the cut-offs of the grouping's levels.
    covariates : iterable of str
        The covariate terms as given (``cox.adjusted_for``: ``age``, ``cyto_risk:cat:ref=standard``),
        for each term's kind and a categorical covariate's reference level.
    names : mapping, optional
        Display names of columns (``{"OS_STATUS": "Overall Survival Status"}``).
    references : mapping, optional
        Reference level per categorical covariate column (``model_rows``' first level), when
        the terms do not say it with ``ref=``.
    """
    names = dict(names or {})
    levels = level_names(groups)
    first = _label_of(groups[0]) if groups else None
    parsed = _covariates(covariates)
    refs = {t.column: t.reference for t in parsed if t.kind == "cat" and t.reference}
    refs.update(references or {})

    def name(column: str) -> str:
        return names.get(column, column)

    def one(term: str) -> TermName:
        if group_column and term.startswith(f"{group_column}="):
            level = term[len(group_column) + 1:]
            reference = levels.get(first, first or "") if first is not None else ""
            return TermName(term, name(group_column), levels.get(level, level), reference)
        for t in parsed:
            if t.kind != "cat" and term == t.name:
                return TermName(term, name(t.column), PER[t.kind], categorical=False)
            if t.kind == "cat" and term.startswith(f"{t.column}="):
                return TermName(term, name(t.column), term[len(t.column) + 1:],
                                refs.get(t.column, ""))
        function = _FUNCTION.match(term)
        if function:
            kind = function.group(1)
            return TermName(term, name(function.group(2)), PER[kind], categorical=False)
        if term in names or "=" not in term:
            return TermName(term, name(term), PER["numeric"], categorical=False)
        column, level = term.split("=", 1)
        return TermName(term, name(column), level, refs.get(column, ""))

    return {str(term): one(str(term)) for term in terms}


def cox_term_names(result: Any, *, names: Mapping[str, str] | None = None,
                   model: Sequence[Any] | None = None, cox: Any = None) -> dict[str, TermName]:
    """:func:`term_names` of the Cox model of ``result`` (or ``cox``, fitted on the same
    grouping): grouping, groups and covariates read from the result; ``model`` (from
    ``analysis.model_rows``) gives the reference level of categorical covariates."""
    cox = cox if cox is not None else getattr(result, "cox", None)
    if cox is None:
        return {}
    spec = getattr(result, "spec", None)
    covariates = getattr(cox, "adjusted_for", None)
    if covariates is None:
        covariates = getattr(spec, "covariates", ()) if spec is not None else ()
    references = {str(v.variable): str(v.levels[0].level) for v in (model or ())
                  if v.categorical and not v.grouping and v.levels}
    return term_names([t.term for t in cox.terms], group_column=getattr(result, "group_column",
                                                                         None),
                      groups=getattr(result, "groups", None), covariates=covariates,
                      names=names, references=references)


def cox_term_labels(result: Any, *, names: Mapping[str, str] | None = None,
                    model: Sequence[Any] | None = None, cox: Any = None) -> dict[str, str]:
    """Term name -> its label (:attr:`TermName.label`) for the Cox model of ``result``."""
    return {term: name.label for term, name in
            cox_term_names(result, names=names, model=model, cox=cox).items()}


def subgroup_term_labels(result: Any, *, names: Mapping[str, str] | None = None) -> dict[str, str]:
    """Term name -> its label for the grouping's terms fitted within subgroups
    (``result.subgroups``): ``ikzf1 High (> 0.812) vs Low (≤ 0.812)``."""
    terms = {t.term for sub in (getattr(result, "subgroups", None) or ())
             for level in sub.levels for t in level.terms}
    return {term: name.label for term, name in term_names(
        sorted(terms), group_column=getattr(result, "group_column", None),
        groups=getattr(result, "groups", None), names=names).items()}
