"""The one small layer where DuckDB and Spark SQL differ: identifier quoting and parameters.

Every query of :mod:`.plan` is written once with :meth:`Dialect.quote` for column names and
:meth:`Dialect.param` for values, so a column named ``x"; DROP TABLE t; --`` is an identifier and
every value (an event code, a filter bound, a coefficient) travels as a bound parameter, never
as SQL text. The functions used (``exp``, ``ln``, ``log2``, ``isnan``, ``abs``, ``sum``,
``count``, ``avg``, ``stddev_samp``, ``row_number``, ``CASE``) mean the same in both; the two
that differ are spelled by :meth:`Dialect.repeat` (one output row per 0..n-1) and
:meth:`Dialect.row_hash` (a seeded 64-bit hash of some columns, for the sample).

(SQLGlot could transpile one dialect into the other, but these four spellings are all that
differ, so the project does without it.)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DUCKDB", "SPARK", "Dialect"]


@dataclass(frozen=True)
class Dialect:
    name: str
    quote_char: str
    param_prefix: str
    repeat_template: str  # a set-returning expression in a SELECT list: rows 0..{n}-1
    hash_template: str  # a 64-bit hash of {args}
    hash_signed: bool  # the hash is a BIGINT (-2^63..2^63-1), else UBIGINT (0..2^64-1)

    def quote(self, identifier: str) -> str:
        """``identifier`` as a quoted SQL identifier (the quote character doubled inside)."""
        q = self.quote_char
        return q + str(identifier).replace(q, q + q) + q

    def param(self, key: str) -> str:
        """Placeholder of the bound parameter ``key`` (letters, digits and ``_`` only)."""
        if not key.replace("_", "").isalnum():
            raise ValueError(f"bad parameter name {key!r}")
        return f"{self.param_prefix}{key}"

    def repeat(self, count: str) -> str:
        """A SELECT-list expression that repeats the row ``count`` times, numbered 0.."""
        return self.repeat_template.format(n=count)

    def row_hash(self, seed: int, columns: list[str]) -> str:
        """A seeded hash of the columns ``columns`` (names made by the plan, not the user's)."""
        return self.hash_template.format(args=", ".join([str(int(seed)), *columns]))

    def hash_bound(self, fraction: float) -> int:
        """The hash value below which about ``fraction`` of all rows fall."""
        span = 2**64 - 1
        low = -(2**63) if self.hash_signed else 0
        return min(low + int(min(max(fraction, 0.0), 1.0) * span), low + span)


DUCKDB = Dialect("duckdb", '"', "$", "unnest(range({n}))", "hash({args})", False)
SPARK = Dialect("spark", "`", ":", "explode(sequence(0, CAST({n} AS INT) - 1))",
                "xxhash64({args})", True)
