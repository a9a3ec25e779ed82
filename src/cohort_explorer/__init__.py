"""Cohort Explorer engine: loading, validation, stratification and survival statistics.

Importable without Streamlit. Every number matches R's ``survival`` package; the methods are
stated in ``docs/methods.md`` and the R scripts that produced the golden values are in
``tests/reference/``.

The public API is this namespace; its names load lazily, so ``import cohort_explorer`` (and
``cohort-explorer --help``) does not pay for numpy, pandas or scipy.

Layout (data flows one way): :mod:`.io` (read files) → :mod:`.data` (coding, roles,
identifiers, validation) → :mod:`.spec` (what to analyse) → :mod:`.analysis` (analysis set and
:func:`analyze`, calling :mod:`.stats`) → result objects → :mod:`.present` (tables, plots,
report, exports).

Examples
--------
>>> import cohort_explorer as ce
>>> df = ce.read_table("sample_data/sample_cohort.csv")
>>> result = ce.analyze(df, ce.AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
...                                         group_by="ikzf1:q1-vs-rest", landmarks=(36,)))
>>> [g.label for g in result.groups]
['Q1', 'Q2-Q4']
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: Public name -> module that defines it (imported on first use).
_EXPORTS = {
    "CohortError": "cohort_explorer.errors",
    "ColumnError": "cohort_explorer.errors",
    "DataFileError": "cohort_explorer.errors",
    "OptionError": "cohort_explorer.errors",
    "LimitError": "cohort_explorer.errors",
    "read_table": "cohort_explorer.io",
    "read_upload": "cohort_explorer.io",
    "list_sheets": "cohort_explorer.io",
    "suggest_roles": "cohort_explorer.data.roles",
    "find_identifier_columns": "cohort_explorer.data.identifiers",
    "validate_cohort": "cohort_explorer.data.validation",
    "AnalysisSpec": "cohort_explorer.spec",
    "analyze": "cohort_explorer.analysis",
    "AnalysisResult": "cohort_explorer.analysis",
    "kaplan_meier": "cohort_explorer.stats",
    "logrank_test": "cohort_explorer.stats",
    "fit_cox": "cohort_explorer.stats.cox",
    "proportional_hazards_test": "cohort_explorer.stats.cox",
    "optimal_cutpoint": "cohort_explorer.stats.cutpoint",
    "table_one": "cohort_explorer.stats.table_one",
    "html_report": "cohort_explorer.present.report",
    "make_sample": "cohort_explorer.sample",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'cohort_explorer' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
