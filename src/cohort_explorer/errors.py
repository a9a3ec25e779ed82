"""Errors and notices a user can cause, as coded objects that the CLI and the app word.

Every :class:`CohortError` carries a ``code`` (stable, e.g. ``"event_coding"``), ``fields``
(the values the message is made of: column, values found, limits, ...) and a ``severity``;
``str()`` of it is the CLI's wording (one line on stderr, exit code 2, options such as
``--event``). The app words the same object in plain language with
:func:`cohort_explorer.present.messages.app_message` — pages never match message text.

Warnings and notes of an analysis or a file reading are :class:`Notice` objects: a ``str``
(the CLI's wording, so existing code printing them keeps working) with ``code``, ``fields``
and ``severity``. Programming errors are not ``CohortError`` and must not be caught as such.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["CohortError", "DataFileError", "ColumnError", "OptionError", "LimitError",
           "Notice", "notice_code"]


class CohortError(Exception):
    """Base class: something about the user's data or choices that they can fix.

    Parameters
    ----------
    message : str
        The CLI's wording (may name options such as ``--event``).
    code : str, optional
        Stable code of the problem; the class's ``code`` when not given.
    fields : mapping, optional
        Values the message is made of (column names, values found, counts); further keyword
        arguments are added to them (``LimitError(..., limit=200, value=250)``).
    """

    code = "cohort_error"
    severity = "error"

    def __init__(self, message: str = "", *, code: str | None = None,
                 fields: Mapping[str, Any] | None = None, **extra: Any):
        super().__init__(message)
        self.code = code or type(self).code
        self.fields = {**dict(fields or {}), **extra}

    def __reduce__(self):  # keep code and fields through pickling (caches, processes)
        return (_rebuild_error, (type(self), str(self), self.code, self.fields))

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "severity", "fields", "message"}`` (JSON-safe when the fields are)."""
        return {"code": self.code, "severity": self.severity, "fields": dict(self.fields),
                "message": str(self)}


def _rebuild_error(cls, message, code, fields):
    return cls(message, code=code, fields=fields)


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


class Notice(str):
    """A warning or note for the user: its text is the CLI's wording, plus a code and fields.

    A ``Notice`` is a ``str`` so results stay printable and JSON-serialisable as before;
    ``code`` / ``fields`` / ``severity`` let the app word it and decide where to show it
    (``severity`` is ``"warning"`` or ``"info"``).
    """

    code: str
    fields: dict[str, Any]
    severity: str

    def __new__(cls, text: str, code: str = "warning", fields: Mapping[str, Any] | None = None,
                severity: str = "warning"):
        obj = super().__new__(cls, text)
        obj.code = code
        obj.fields = dict(fields or {})
        obj.severity = severity
        return obj

    def __reduce__(self):
        return (Notice, (str(self), self.code, self.fields, self.severity))

    def to_dict(self) -> dict[str, Any]:
        """``{"code", "severity", "fields", "message"}``."""
        return {"code": self.code, "severity": self.severity, "fields": dict(self.fields),
                "message": str(self)}


def notice_code(message: str) -> str:
    """The code of a warning (``"warning"`` for plain text that has none)."""
    return getattr(message, "code", "warning")
