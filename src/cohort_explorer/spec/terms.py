"""Cox model terms, parsed from ``--covariates`` strings.

``COL`` (numeric as is), ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2``, ``COL:z``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cohort_explorer.errors import OptionError

__all__ = ["Term", "parse_covariate"]


@dataclass(frozen=True)
class Term:
    """One ``--covariates`` item."""

    column: str
    kind: str  # "numeric" | "cat" | "log2" | "z"
    reference: str | None = None

    @property
    def name(self) -> str:
        """Coefficient name for a single-column term."""
        return {"numeric": self.column, "log2": f"log2({self.column})", "z": f"z({self.column})"}.get(
            self.kind, self.column
        )


def parse_covariate(text: str) -> Term:
    """Parse ``COL``, ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2`` or ``COL:z``."""
    text = text.strip()
    if not text:
        raise OptionError("--covariates has an empty term; separate terms with commas",
            code="covariate_empty", fields={})
    parts = text.split(":")
    column, marker, reference = text.partition(":cat:ref=")
    if marker and column:  # the level may contain ':' ("t(4;14): yes"), so split at the marker
        if not reference:
            raise OptionError(f"--covariates {text}: give a level after ref=",
            code="reference_level_missing", fields={"term": text})
        return Term(column, "cat", reference)
    if len(parts) >= 2 and parts[-1] in ("cat", "log2", "z"):
        return Term(":".join(parts[:-1]), parts[-1])
    return Term(text, "numeric")
