"""Errors a user can cause. Each message names the column or option and says what to fix.

The CLI turns any :class:`CohortError` into one line on stderr and exit code 2; the app shows
it with ``st.error``. Programming errors are not ``CohortError`` and must not be caught as such.
Every error carries a ``code`` (a stable identifier the CLI and the app may word themselves) and
the ``fields`` it was raised with.
"""

__all__ = ["CohortError", "DataFileError", "ColumnError", "OptionError", "LimitError"]


class CohortError(Exception):
    """Base class: something about the user's data or choices that they can fix."""

    code = "cohort_error"

    def __init__(self, message: str = "", *, code: str | None = None, **fields):
        super().__init__(message)
        self.code = code or type(self).code
        self.fields = fields


class DataFileError(CohortError):
    """The file cannot be read: empty, unknown format, wrong encoding, too large."""

    code = "data_file"


class ColumnError(CohortError):
    """A column is missing or its values cannot serve the role asked of it."""

    code = "column"


class OptionError(CohortError):
    """An option or specification string is malformed or not applicable."""

    code = "option"


class LimitError(DataFileError):
    """A server limit (:mod:`cohort_explorer.limits`) was reached: the file, a cell or a column
    is larger than the administrator allows. ``fields`` holds ``limit``, ``value`` and the
    ``setting`` (environment variable) that changes the limit."""

    code = "limit"
