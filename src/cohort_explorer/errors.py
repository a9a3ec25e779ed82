"""Errors a user can cause. Each message names the column or option and says what to fix.

The CLI turns any :class:`CohortError` into one line on stderr and exit code 2; the app shows
it with ``st.error``. Programming errors are not ``CohortError`` and must not be caught as such.
"""

__all__ = ["CohortError", "DataFileError", "ColumnError", "OptionError"]


class CohortError(Exception):
    """Base class: something about the user's data or choices that they can fix."""


class DataFileError(CohortError):
    """The file cannot be read: empty, unknown format, wrong encoding, too large."""


class ColumnError(CohortError):
    """A column is missing or its values cannot serve the role asked of it."""


class OptionError(CohortError):
    """An option or specification string is malformed or not applicable."""
