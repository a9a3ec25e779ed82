"""The analysis: the analysis set (derive, filter, validity, exclusions, landmark) and
:func:`analyze`, the one function the CLI and the pages call."""

from cohort_explorer.analysis.analysis_set import Excluded
from cohort_explorer.analysis.analyze import (
    AnalysisResult,
    GroupResult,
    RMSTDifference,
    analyze,
    software_versions,
)

__all__ = ["AnalysisResult", "Excluded", "GroupResult", "RMSTDifference", "analyze",
           "software_versions"]
