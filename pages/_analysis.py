"""The pages' engine calls: ``analyze`` on the current dataset, memoised per session.

Not a page. :func:`run_analysis` is the one way a page gets an analysis (cached by the file's
content and the spec, errors shown in the app's words, never raised); the Survival page's first
draw uses :func:`run_first_stage` (curves first, the Cox model after, ``analysis.staged``).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pages._cache import MISSING, session_cache
from pages._common import data_key, dataset, show_error

from cohort_explorer.analysis import AnalysisResult, analyze
from cohort_explorer.analysis.analyze import analyze_in_stages
from cohort_explorer.analysis.staged import complete
from cohort_explorer.blas import one_blas_thread
from cohort_explorer.errors import CohortError
from cohort_explorer.spec import AnalysisSpec

#: One first-stage analysis waiting for its Cox model (the session's own; one at a time, so
#: its design matrix is not kept for every choice the user tried).
PENDING = "app_pending_models"


@session_cache(max_entries=16)
def _analyze(key: tuple, spec_key: str, _df: pd.DataFrame, _spec: AnalysisSpec) -> AnalysisResult:
    pending = st.session_state.pop(PENDING, None)
    with one_blas_thread():  # see _first_stage
        if pending is not None and pending[:2] == (key, spec_key):
            return complete(*pending[2:])  # the first stage's numbers plus the model
        return analyze(_df, _spec)


def run_analysis(spec: AnalysisSpec) -> AnalysisResult | None:
    """``analyze`` on the current dataset, cached by (content, spec); errors shown, not raised."""
    try:
        return _analyze(data_key(), repr(spec), dataset(), spec)
    except CohortError as error:
        show_error(error)
        return None


@session_cache(max_entries=8)
def _first_stage(key: tuple, spec_key: str, _df: pd.DataFrame,
                 _spec: AnalysisSpec) -> AnalysisResult:
    # BLAS on this thread only: OpenBLAS's threads took both cores for the model's products
    # over a million rows while the browser was drawing the curves just sent (and other
    # sessions share the cores): Cox fit at 1M rows 1.4-1.8 s CPU with them, 1.0 s without
    with one_blas_thread():
        first, pending = analyze_in_stages(_df, _spec)
    st.session_state[PENDING] = (key, spec_key, first, pending)
    return first


def run_first_stage(spec: AnalysisSpec) -> tuple[AnalysisResult | None, bool]:
    """``(result, complete)``: the cached full analysis when there is one; otherwise the
    analysis without its Cox model and PH test (``complete`` False; at a million rows they
    take most of the time), which :func:`run_analysis` then completes without recomputing the
    curves. Errors shown, not raised (``(None, True)``)."""
    key, spec_key, df = data_key(), repr(spec), dataset()
    cached = _analyze.peek(key, spec_key, df, spec)
    if cached is not MISSING:
        return cached, True
    try:
        first = _first_stage(key, spec_key, df, spec)
    except CohortError as error:
        show_error(error)
        return None, True
    pending = st.session_state.get(PENDING)
    if pending is not None and pending[:2] == (key, spec_key) and pending[3] is None:
        return _analyze(key, spec_key, df, spec), True  # no model to fit: this is the analysis
    return first, False


if __name__ == "__main__":  # opened as a page by the legacy pages-directory mode
    from pages._legacy import opened_as_page

    opened_as_page()
