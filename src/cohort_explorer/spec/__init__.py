"""Analysis specifications: the typed parts and the parsers of the CLI's and URL's strings."""

from cohort_explorer.spec.analysis_spec import AnalysisSpec
from cohort_explorer.spec.filters import parse_where
from cohort_explorer.spec.grouping import GroupSpec, parse_derive, parse_group_spec
from cohort_explorer.spec.terms import Term, parse_covariate

__all__ = [
    "AnalysisSpec", "GroupSpec", "Term", "parse_covariate", "parse_derive", "parse_group_spec",
    "parse_where",
]
