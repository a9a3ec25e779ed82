"""Issue 5, statistical guardrails: numbers that would mislead are flagged or withheld, in the
JSON ``warnings`` (CLI) and on screen (AppTest).

* Cox separation / monotone likelihood -> the term is "not estimable" with a reason, no HR;
* fewer than 10 events per variable -> warning;
* proportional hazards violated (R cox.zph) -> warning, and the check on the Hazard ratios page;
* groups under 10 patients or without events -> caution beside the p-value;
* grouping by treatment response -> immortal-time warning and a one-click landmark analysis;
* optimal cut point -> the corrected (Lau94) p always shown with the naive one.
"""

from __future__ import annotations

import json
import re
from functools import partial

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from cohort_explorer.analysis import analyze
from cohort_explorer.cli import main
from cohort_explorer.spec import AnalysisSpec
from tests.app.apptest import page, plain_table, run, spy_downloads, start, upload
from tests.conftest import SAMPLE_CSV


def cli_json(capsys, path, *options):
    code = main(["analyze", str(path), *map(str, options)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _crossing_hazards(seed: int = 5, n: int = 100) -> pd.DataFrame:
    """Arm A fails early (exponential), arm B late (Weibull shape 4): hazards cross."""
    rng = np.random.default_rng(seed)
    time = np.r_[rng.exponential(3, n), rng.weibull(4, n) * 8].round(2)
    return pd.DataFrame({"time": time, "event": (time <= 12).astype(int),
                         "arm": ["A"] * n + ["B"] * n})


def _proportional(seed: int = 5, n: int = 100) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    time = np.r_[rng.exponential(3, n), rng.exponential(6, n)].round(2)
    return pd.DataFrame({"time": time, "event": (time <= 12).astype(int),
                         "arm": ["A"] * n + ["B"] * n})


def _plain(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


_run = partial(run, timeout=60)
_upload = partial(upload, timeout=60)


def _survival(*, kind: str, column: str, endpoint: str | None = None, rule: str | None = None,
              at: AppTest | None = None) -> AppTest:
    """The Survival page grouped by ``column``: a biomarker split by ``rule``, or a category."""
    at = page(at or start(timeout=60), "pages/survival.py", timeout=60)
    if endpoint is not None:
        at.selectbox(key="km_endpoint_w").set_value(endpoint)
    at.radio(key="km_kind_w").set_value(kind)
    _run(at)
    at.selectbox(key="km_cat_w" if kind == "Category" else "km_col_w").set_value(column)
    if rule is not None:
        at.selectbox(key="km_rule_w").set_value(rule)
    return _run(at)


def _shown(at: AppTest) -> str:
    kinds = ("markdown", "warning", "info", "error", "caption")
    return "\n".join(_plain(str(e.value)) for k in kinds for e in getattr(at, k))


# --------------------------------------------------------------------------- Cox
def test_separation_is_not_estimable_with_a_reason(capsys, tmp_path):
    """OS by IKZF1 Q1 vs rest: no deaths in Q1 (monotone likelihood) -> no HR, a reason."""
    result = cli_json(capsys, SAMPLE_CSV, "--time", "os_months", "--event", "os_event",
                      "--group-by", "ikzf1:q1-vs-rest")
    term = result["cox"]["terms"][0]
    assert term["term"] == "ikzf1=Q2-Q4" and term["estimable"] is False
    assert term["reason"] and term["hr"] is None and term["p"] is None
    assert any("ikzf1=Q2-Q4" in w for w in result["warnings"])
    # a covariate that separates perfectly: every event has flag = 1
    df = pd.read_csv(SAMPLE_CSV)
    df["flag"] = df["pfs_event"]
    path = tmp_path / "sep.csv"
    df.to_csv(path, index=False)
    result = cli_json(capsys, path, "--time", "pfs_months", "--event", "pfs_event",
                      "--covariates", "flag,age")
    terms = {t["term"]: t for t in result["cox"]["terms"]}
    assert terms["flag"]["estimable"] is False and terms["flag"]["hr"] is None
    assert terms["age"]["estimable"] is True and terms["age"]["hr"] > 0


def test_events_per_variable_below_10_warns(capsys):
    quartiles = cli_json(capsys, SAMPLE_CSV, "--time", "pfs_months", "--event", "pfs_event",
                         "--group-by", "ikzf1:quartiles")
    assert any("8.3 events per variable" in w for w in quartiles["warnings"])
    two = cli_json(capsys, SAMPLE_CSV, "--time", "pfs_months", "--event", "pfs_event",
                   "--group-by", "cyto_risk")  # 25 events, 1 coefficient
    assert not any("per variable" in w for w in two["warnings"])


def test_proportional_hazards_violation_warns(capsys, tmp_path):
    crossing, proportional = tmp_path / "crossing.csv", tmp_path / "ph.csv"
    _crossing_hazards().to_csv(crossing, index=False)
    _proportional().to_csv(proportional, index=False)
    bad = cli_json(capsys, crossing, "--time", "time", "--event", "event", "--group-by", "arm")
    assert any("Proportional hazards may not hold for arm" in w for w in bad["warnings"])
    good = cli_json(capsys, proportional, "--time", "time", "--event", "event",
                    "--group-by", "arm")
    assert good["cox"]["terms"][0]["estimable"]
    assert not any("Proportional hazards" in w for w in good["warnings"])


# --------------------------------------------------------------------------- groups
def test_small_groups_and_groups_without_events_get_a_caution(capsys):
    result = cli_json(capsys, SAMPLE_CSV, "--time", "os_months", "--event", "os_event",
                      "--group-by", "best_response")
    small = [g for g in result["groups"] if g["n"] < 10]
    assert [g["label"] for g in small] == ["PD", "SD", "sCR"]
    for group in small:
        assert any(f"Group {group['label']} has only {group['n']} patients" in w
                   for w in result["warnings"])
    # a group without events: OS of the sample's Q1 by IKZF1 quartiles (no deaths)
    result = cli_json(capsys, SAMPLE_CSV, "--time", "os_months", "--event", "os_event",
                      "--group-by", "ikzf1:quartiles")
    no_events = [g["label"] for g in result["groups"] if g["events"] == 0]
    assert no_events == ["Q1"]
    assert sum("has no events" in w for w in result["warnings"]) == 1
    assert any("Group Q1 has no events" in w for w in result["warnings"])


def test_app_shows_the_caution_beside_the_p_value():
    at = _survival(endpoint="OS", kind="Biomarker (numeric)", column="ikzf1", rule="Quartiles")
    headline = next(m.value for m in at.markdown if "Log-rank" in m.value)
    assert "caution: a group has fewer than 10 patients or no events" in headline
    assert "Group Q1 has no events" in _shown(at)


# --------------------------------------------------------------------------- immortal time
def test_response_grouping_warns_and_landmark_analysis_is_correct(capsys):
    naive = cli_json(capsys, SAMPLE_CSV, "--time", "pfs_months", "--event", "pfs_event",
                     "--group-by", "best_response")
    assert any("immortal-time bias" in w for w in naive["warnings"])
    result = cli_json(capsys, SAMPLE_CSV, "--time", "pfs_months", "--event", "pfs_event",
                      "--group-by", "best_response", "--landmark-from", "12",
                      "--response-time", "response_months")
    assert not any("immortal-time" in w for w in result["warnings"])
    df = pd.read_csv(SAMPLE_CSV)
    at_risk = df[df["pfs_months"] > 12]
    assert result["n"] == len(at_risk)
    assert result["excluded"]["reasons"]["event or censoring by landmark 12"] == len(df) - len(
        at_risk)
    late = at_risk["response_months"] > 12
    expected = at_risk["best_response"].where(~late, "not reached by 12")
    sizes = {g["label"]: g["n"] for g in result["groups"]}
    assert sizes == expected.value_counts().to_dict()
    # time is measured from the landmark: the same KM as the shifted data by hand
    shifted = at_risk.assign(pfs_months=at_risk["pfs_months"] - 12, best_response=expected)
    by_hand = analyze(shifted, AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                                            group_by="best_response"))
    for group, reference in zip(result["groups"], by_hand.groups, strict=True):
        assert group["label"] == reference.label
        assert group["km"]["time"] == pytest.approx(list(reference.km.time), rel=1e-12)
        assert group["km"]["survival"] == pytest.approx(list(reference.km.survival), rel=1e-12)


def test_app_offers_the_landmark_analysis_in_one_click():
    at = _survival(endpoint="PFS", kind="Category", column="best_response")
    assert "immortal-time bias" in _shown(at)
    before = at.table[0].value["N"].astype(int).sum()
    at.button(key="km_landmark_on").click()
    _run(at)
    shown = _shown(at)
    assert "Landmark analysis from 12" in shown and "immortal-time bias" not in shown
    after = at.table[0].value["N"].astype(int).sum()
    df = pd.read_csv(SAMPLE_CSV)
    assert int(before) == 60 and int(after) == int((df["pfs_months"] > 12).sum())
    groups = at.table[0].value.iloc[:, 0].tolist()
    assert "not reached by 12" in groups
    at.button(key="km_landmark_off").click()
    _run(at)
    assert "immortal-time bias" in _shown(at)


# --------------------------------------------------------------------------- optimal cut
def test_optimal_cut_always_shows_the_corrected_p(capsys):
    result = cli_json(capsys, SAMPLE_CSV, "--time", "pfs_months", "--event", "pfs_event",
                      "--group-by", "ikzf1:optimal")
    cut = result["cutpoint"]
    assert cut["method"].startswith("maxstat") and 0 < cut["p_corrected"] <= 1
    assert cut["p_corrected"] > result["logrank"]["p"]  # the naive p is optimistic
    assert any(f"{cut['p_corrected']:.3g}" in w and "Corrected p" in w for w in result["warnings"])
    code = main(["analyze", str(SAMPLE_CSV), "--time", "pfs_months", "--event", "pfs_event",
                 "--group-by", "ikzf1:optimal", "--output", "text"])
    text = capsys.readouterr().out
    assert code == 0 and "corrected p" in text
    assert text.index("Log-rank:") < text.index("corrected p")


def test_app_shows_the_corrected_p_with_the_naive_one():
    at = _survival(endpoint="PFS", kind="Biomarker (numeric)", column="ikzf1",
                   rule="Optimal cut point (maxstat)")
    spec = at.session_state["km_spec"]
    result = analyze(pd.read_csv(SAMPLE_CSV), spec)
    headline = _plain(next(m.value for m in at.markdown if "Log-rank" in m.value))
    assert "corrected" in headline and "Lau94" in headline
    from cohort_explorer.present.format import format_p

    assert format_p(result.cutpoint.p_corrected) in headline
    figures = [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]
    cut = [f for f in figures if "maximally selected" in json.dumps(f).lower()
           or "lau94" in json.dumps(f).lower()]
    assert cut, "no cut-point figure on the page"
    annotations = " ".join(a.get("text", "") for f in cut
                           for a in f["layout"].get("annotations", []))
    assert f"corrected {format_p(result.cutpoint.p_corrected)}" in annotations


def test_report_carries_the_ph_residual_plot_when_hazards_cross(monkeypatch):
    downloads = spy_downloads(monkeypatch)
    at = _upload(start(timeout=60), "crossing.csv",
                 _crossing_hazards().to_csv(index=False).encode())
    at = page(_survival(kind="Category", column="arm", at=at), "pages/hazard_ratios.py",
              timeout=60)
    at = page(at, "pages/report.py", timeout=60)
    html = next(v for k, v in downloads.items() if k and k.endswith(".html"))().decode("utf-8")
    assert "Scaled Schoenfeld residuals of the term" in html


def test_app_hazard_ratio_page_shows_ph_and_not_estimable_warnings():
    at = _upload(start(timeout=60), "crossing.csv",
                 _crossing_hazards().to_csv(index=False).encode())
    at = _survival(kind="Category", column="arm", at=at)
    assert "Proportional hazards may not hold for arm" in _shown(at)
    at.switch_page("pages/hazard_ratios.py")
    _run(at)
    assert "Proportional hazards may not hold for arm" in _shown(at)
    ph_table = plain_table(at.table[-1]).set_index("Term")
    assert ph_table.loc["GLOBAL", "p"] == "<0.001"
    # sample, OS by Q1 vs rest: the HR is withheld on both pages
    at = _survival(endpoint="OS", kind="Biomarker (numeric)", column="ikzf1", rule="Q1 vs rest")
    cox_table = plain_table(at.table[-1])
    assert cox_table.astype(str).apply(lambda c: c.str.contains("not estimable")).any().any()
    at.switch_page("pages/hazard_ratios.py")
    _run(at)
    at.selectbox(key="hr_endpoint_w").set_value("OS")
    _run(at)
    term = "ikzf1 Q2-Q4 (> 0.643) vs Q1 (≤ 0.643)"  # ikzf1=Q2-Q4, in words
    assert f"Not estimable: {term}" in _shown(at)
    table = plain_table(at.table[0]).set_index("Term")
    assert "not estimable" in " ".join(table.loc[term].astype(str)).lower()
    assert "HR" not in table.loc[term, "Hazard ratio"]
