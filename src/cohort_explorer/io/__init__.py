"""Reading cohort files by content: CSV/TSV (text), XLSX, Parquet, SPSS/Stata/SAS (binary)."""

from cohort_explorer.io.reader import (
    DEFAULT_APP_MAX_BYTES,
    FORMATS,
    detect_format,
    list_sheets,
    read_table,
)
from cohort_explorer.io.upload import read_upload

__all__ = ["DEFAULT_APP_MAX_BYTES", "FORMATS", "read_table", "read_upload", "list_sheets",
           "detect_format"]
