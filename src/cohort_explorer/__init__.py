"""Cohort Explorer engine: loading, validation, stratification and survival statistics.

Importable without Streamlit. Every number matches R's ``survival`` package; see
``tests/reference/`` for the R scripts that produced the golden values.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
