"""The one small layer where DuckDB and Spark SQL differ: identifier quoting and parameters.

Every query of :mod:`.plan` is written once with :meth:`Dialect.quote` for column names and
:meth:`Dialect.param` for values, so a column named ``x"; DROP TABLE t; --`` is an identifier and
every value (an event code, a filter bound, a coefficient) travels as a bound parameter, never
as SQL text. The functions used (``exp``, ``ln``, ``log2``, ``isnan``, ``abs``, ``sum``,
``count``, ``avg``, ``stddev_samp``, ``row_number``, ``CASE``) mean the same in both.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DUCKDB", "SPARK", "Dialect"]


@dataclass(frozen=True)
class Dialect:
    name: str
    quote_char: str
    param_prefix: str

    def quote(self, identifier: str) -> str:
        """``identifier`` as a quoted SQL identifier (the quote character doubled inside)."""
        q = self.quote_char
        return q + str(identifier).replace(q, q + q) + q

    def param(self, key: str) -> str:
        """Placeholder of the bound parameter ``key`` (letters, digits and ``_`` only)."""
        if not key.replace("_", "").isalnum():
            raise ValueError(f"bad parameter name {key!r}")
        return f"{self.param_prefix}{key}"


DUCKDB = Dialect("duckdb", '"', "$")
SPARK = Dialect("spark", "`", ":")
