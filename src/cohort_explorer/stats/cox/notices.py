"""The warnings of a Cox fit as coded notices (convergence, terms not estimable, EPV)."""

from __future__ import annotations

from cohort_explorer.errors import Notice
from cohort_explorer.thresholds import EPV_MIN

__all__ = ["fit_notices"]


def fit_notices(converged: bool, iterations: int, not_estimable: list[tuple[str, str]],
                events: int, coefficients: int) -> list[Notice]:
    """Notices ``cox_not_converged``, ``term_not_estimable`` (per term) and
    ``low_events_per_variable`` (fewer than :data:`~cohort_explorer.thresholds.EPV_MIN`)."""
    out = []
    if not converged:
        out.append(Notice(f"the Cox model did not converge in {iterations} iterations; "
                          "estimates are unreliable", "cox_not_converged",
                          {"iterations": iterations}))
    for term, reason in not_estimable:
        out.append(Notice(f"{term}: {reason}", "term_not_estimable",
                          {"term": term, "reason": reason}))
    epv = events / coefficients
    if epv < EPV_MIN:
        out.append(Notice(f"only {epv:.1f} events per variable ({events} events, {coefficients} "
                          f"coefficients); fewer than {EPV_MIN:g} risks overfitting the Cox model",
                          "low_events_per_variable",
                          {"epv": float(epv), "events": events, "coefficients": coefficients,
                           "minimum": EPV_MIN}))
    return out
