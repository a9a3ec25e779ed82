"""Grouping and derived-flag specifications, parsed from the CLI's and the shared URL's strings.

``COL``, ``COL:quartiles``, ``COL:tertiles``, ``COL:median``, ``COL:q1-vs-rest``,
``COL:cut=V1,V2``, ``COL:optimal``, ``COL:order=L1,L2`` (``docs/methods.md``); composite flags
``NAME=any:COL1,COL2``. Applying a grouping to rows is :mod:`cohort_explorer.analysis.stratify`.
"""

from __future__ import annotations

from dataclasses import dataclass

from cohort_explorer.errors import OptionError

__all__ = ["GroupSpec", "QUANTILE_KINDS", "parse_group_spec", "parse_derive"]

QUANTILE_KINDS = {
    "quartiles": (4, "Q"),
    "tertiles": (3, "T"),
}


@dataclass(frozen=True)
class GroupSpec:
    """A parsed ``--group-by`` value."""

    column: str
    kind: str  # "category" | "order" | "quartiles" | "tertiles" | "median" | "q1-vs-rest" | "cut" | "optimal"
    values: tuple[str, ...] = ()  # cut points (as text) or the explicit order


def parse_group_spec(text: str) -> GroupSpec:
    """Parse ``COL[:rule]`` into a :class:`GroupSpec`.

    Column names may contain colons; the rule is the part after the last colon that names a
    known rule.
    """
    text = text.strip()
    if not text:
        raise OptionError("--group-by is empty; give a column name, e.g. --group-by ikzf1:quartiles",
            code="grouping_empty", fields={})
    for kind in ("order", "cut"):  # levels after order= may contain ':', so split at the marker
        column, marker, listed = text.partition(f":{kind}=")
        if marker and column:
            items = tuple(v.strip() for v in listed.split(",") if v.strip())
            if not items:
                raise OptionError(f"--group-by {text}: give values after '{kind}=', e.g. {kind}=1.5,3",
            code="cut_values_missing", fields={"column": column, "kind": kind})
            return GroupSpec(column, kind, items)
    column, sep, rule = text.rpartition(":")
    if not sep:
        return GroupSpec(text, "category")
    if rule in QUANTILE_KINDS or rule in ("median", "q1-vs-rest", "optimal"):
        return GroupSpec(_nonempty(column, text), rule)
    for kind in ("cut", "order"):
        if rule.startswith(kind + "="):
            items = tuple(v.strip() for v in rule[len(kind) + 1 :].split(",") if v.strip())
            if not items:
                raise OptionError(f"--group-by {text}: give values after '{kind}=', e.g. {kind}=1.5,3",
            code="cut_values_missing", fields={"column": column, "kind": kind})
            return GroupSpec(_nonempty(column, text), kind, items)
    # Maybe a plain category column whose name contains a colon, or a typo in the rule.
    known = "quartiles, tertiles, median, q1-vs-rest, cut=V1,V2, optimal, order=L1,L2"
    raise OptionError(f"--group-by {text}: unknown rule '{rule}'; use one of {known}",
            code="grouping_rule_unknown", fields={"column": column, "rule": rule})


def _nonempty(column: str, text: str) -> str:
    if not column:
        raise OptionError(f"--group-by {text}: the column name is missing before ':'",
            code="grouping_empty", fields={})
    return column


def parse_derive(text: str) -> tuple[str, list[str]]:
    """Parse ``NAME=any:COL1,COL2`` into ``(NAME, [COL1, COL2])`` (one pass, linear time)."""
    from cohort_explorer.spec.filters import shown

    name, sep, rest = str(text).partition("=")
    rule, colon, listed = rest.partition(":")
    if not (sep and colon and name.strip() and rule.strip() == "any"):
        raise OptionError(
            f"--derive {shown(text)}: expected NAME=any:COL1,COL2 "
            "(e.g. high_risk=any:del17p,t_4_14)",
            code="derive_syntax", fields={"derive": shown(text)})
    columns = [c.strip() for c in listed.split(",") if c.strip()]
    if not columns:
        raise OptionError(
            f"--derive {shown(text)}: list the 0/1 columns after 'any:', separated by commas "
            "(e.g. high_risk=any:del17p,t_4_14)",
            code="derive_syntax", fields={"derive": shown(text)})
    return name.strip(), columns
