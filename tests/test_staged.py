"""analysis.analyze_in_stages: the curves first, the Cox model after (the app's first draw).

``analyze`` is ``complete(*analyze_in_stages(...))``; these tests check that the first stage
holds every number of the full result except the model, and that completing it puts the model's
notices where the one-pass analysis had them.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from cohort_explorer.analysis import analyze
from cohort_explorer.analysis.analyze import analyze_in_stages
from cohort_explorer.analysis.staged import complete
from cohort_explorer.present.messages import message_code
from cohort_explorer.spec import AnalysisSpec
from tests.conftest import SAMPLE_CSV


def _json(result) -> dict:
    return json.loads(json.dumps(result.to_dict(), default=str))


def _without_model(out: dict) -> dict:
    return {k: v for k, v in out.items() if k not in ("cox", "ph_test", "notices", "warnings")}


def test_first_stage_is_the_full_analysis_without_the_model():
    df = pd.read_csv(SAMPLE_CSV)
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event", group_by="ikzf1:quartiles",
                        covariates=("age", "cyto_risk:cat"), landmarks=(12.0, 36.0),
                        rmst_tau=24.0, trend=True, pairwise="holm")
    first, pending = analyze_in_stages(df, spec)
    full = analyze(df, spec)
    assert first.cox is None and first.ph_test is None
    assert pending is not None and pending.design.shape[0] == first.n
    assert pending.design.shape[1] == len(full.cox.terms) >= 5  # 3 quartile contrasts, age, risk
    assert _without_model(_json(first)) == _without_model(_json(full))
    assert full.cox is not None and full.ph_test is not None
    assert full.cox.n == first.n and full.cox.events == first.events
    assert _json(complete(first, pending)) == _json(full)


def test_model_notices_go_back_between_the_early_and_late_notices():
    rng = np.random.default_rng(4)
    n = 90
    df = pd.DataFrame({"time": rng.exponential(10, n).round(2) + 0.1,
                       "event": rng.integers(0, 2, n),
                       "arm": np.repeat(["a", "b", "c"], n // 3)})
    df.loc[df["arm"] == "c", "event"] = 0  # no events in c: the Cox model warns (infinite HR)
    spec = AnalysisSpec(time_col="time", event_col="event", group_by="arm")
    first, pending = analyze_in_stages(df, spec)
    full = analyze(df, spec)
    first_codes = [message_code(w) for w in first.warnings]
    full_codes = [message_code(w) for w in full.warnings]
    extra = [c for c in full_codes if c not in first_codes]
    assert extra, full_codes  # the model said something the first stage could not
    start = full_codes.index(extra[0])
    assert full_codes[:start] + full_codes[start + len(extra):] == first_codes
    assert full_codes[start:start + len(extra)] == extra
    assert [str(w) for w in complete(first, pending).warnings] == [str(w) for w in full.warnings]


def test_no_model_without_events_or_terms():
    df = pd.read_csv(SAMPLE_CSV)
    first, pending = analyze_in_stages(df, AnalysisSpec(time_col="pfs_months",
                                                        event_col="pfs_event"))
    assert pending is None and first.cox is None
    assert complete(first, pending) is first
