"""Figures: what is drawn equals the result's numbers, user text is inert, export works."""

from __future__ import annotations

import asyncio
import json

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from cohort_explorer.present import plots
from cohort_explorer.present.format import format_p
from cohort_explorer.stats import kaplan_meier
from cohort_explorer.stats.cutpoint import optimal_cutpoint
from cohort_explorer.stats.table_one import jonckheere_terpstra
from tests.conftest import SAMPLE_CSV, require_chromium
from tests.results import grouped_result, not_estimable_result

XSS = "<img src=x onerror=alert(1)>"


def _km_from_data(time, event):
    """The engine's Kaplan–Meier curve of one group (a real result object)."""
    return kaplan_meier(np.asarray(time, float), np.asarray(event, int))


def _result(labels=("Q1", "Q2-Q4"), seed=1, column="ikzf1"):
    return grouped_result(labels, seed=seed, column=column)[0]


def test_time_ticks_follow_the_unit():
    np.testing.assert_array_equal(plots.time_ticks(60, "months"), np.arange(0, 61, 12))
    np.testing.assert_array_equal(plots.time_ticks(40, "months"), np.arange(0, 43, 6))
    np.testing.assert_array_equal(plots.time_ticks(1000, "days")[:3], [0, 180, 360])
    ticks = plots.time_ticks(7.3)
    assert ticks[0] == 0 and ticks[-1] >= 7.3 and len(ticks) <= 9


def test_at_risk_at_matches_a_direct_count():
    rng = np.random.default_rng(7)
    time = np.round(rng.exponential(20, 80), 0)
    km = _km_from_data(time, rng.integers(0, 2, 80))
    ticks = [0, 0.5, 5, 12, 17.5, 24, float(time.max()), float(time.max()) + 1, 500]
    expected = [int((time >= t).sum()) for t in ticks]
    assert plots.at_risk_at(km, 80, ticks) == expected


def test_km_figure_draws_the_result():
    result, data = grouped_result(("Q1", "Q2", "Q3", "Q4"))
    fig = plots.km_figure(result, time_unit="months", endpoint="PFS", group_title="IKZF1")
    lines = [t for t in fig.data if t.mode == "lines" and t.showlegend is not False]
    assert [t.name.split(",")[0] for t in lines] == ["Q1", "Q2", "Q3", "Q4"]
    assert len({t.line.dash for t in lines}) == 4
    assert [t.line.color for t in lines] == list(plots.OKABE_ITO[:4])
    for trace, group in zip(lines, result.groups, strict=True):
        assert (trace.x[0], trace.y[0]) == (0.0, 1.0)
        np.testing.assert_allclose(trace.y[1:], group.km.survival)
    assert "reference" in lines[0].name
    q3 = result.cox.terms[1]
    assert q3.term == "ikzf1=Q3" and q3.hr > 1
    assert f"HR {q3.hr:.2f} ({q3.lower:.2f}–{q3.upper:.2f})" in lines[2].name
    assert "Cox HR (95% CI) unadjusted" in fig.layout.title.subtitle.text
    ticks = np.asarray(fig.layout.xaxis2.tickvals)
    tables = [t for t in fig.data if t.mode == "text"]
    for table, group in zip(tables, result.groups, strict=True):
        raw_time = data.loc[data["ikzf1"] == group.label, "time"]
        assert list(table.text) == [str(int((raw_time >= t).sum())) for t in ticks]
    assert f"Log-rank {format_p(result.logrank.p)}" in fig.layout.title.subtitle.text
    censor = [t for t in fig.data if t.mode == "markers"]
    assert len(censor) == 4 and censor[0].marker.symbol == "cross-thin-open"


def test_km_figure_escapes_user_text():
    result = _result((XSS, "<b>bold</b>"), column="<script>alert(1)</script>")
    fig = plots.km_figure(result, time_unit="<i>m</i>", endpoint=XSS, group_title="<script>")
    text = fig.to_json()
    assert "<img" not in text and "<script" not in text and "<b>bold" not in text
    names = [t.get("name") or "" for t in json.loads(text)["data"]]
    assert any(n.startswith("&lt;img src=x onerror=alert(1)&gt;, n = 25") for n in names)


def test_km_figure_dark_theme_keeps_text_light():
    fig = plots.km_figure(_result(), theme="dark")
    assert fig.layout.paper_bgcolor == "#121417" and fig.layout.font.color == "#F2F2F2"
    with pytest.raises(ValueError, match="theme"):
        plots.km_figure(_result(), theme="blue")


def test_forest_figure_flags_non_estimable_terms():
    cox = not_estimable_result(XSS).cox
    high, marker_term = cox.terms
    assert high.estimable and not marker_term.estimable
    fig = plots.forest_figure(cox, title="PFS")
    (marker,) = fig.data
    assert marker.x[0] == pytest.approx(high.hr) and np.isnan(marker.x[1])
    assert marker.error_x.array[0] == pytest.approx(high.upper - high.hr)
    cells = [a.text for a in fig.layout.annotations]
    assert f"{high.hr:.2f} ({high.lower:.2f}–{high.upper:.2f})" in cells
    assert format_p(high.p, prefix=False) in cells
    assert "not estimable" in cells
    assert fig.layout.xaxis.type == "log"
    assert any("&lt;img src=x onerror=alert(1)&gt;" in c.replace("<br>", " ") for c in cells)
    assert "<img" not in fig.to_json()


def test_cutpoint_figure_shows_only_the_corrected_p():
    data = pd.read_csv(SAMPLE_CSV)
    cut = optimal_cutpoint(data["pfs_months"], data["pfs_event"], data["ikzf1"], column="ikzf1")
    fig = plots.cutpoint_figure(cut, column="ikzf1")
    (annotation,) = fig.layout.annotations
    assert f"corrected {format_p(cut.p_corrected)} (Lau94)" in annotation.text
    assert f"{cut.cutpoint:g}" in annotation.text
    assert "naive" not in annotation.text.lower()
    np.testing.assert_array_equal(fig.data[0].y, cut.statistics)


def test_biomarker_figure_orders_categories():
    data = pd.DataFrame({"ikzf1": [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
                         "iss": ["III", "I", "II", "III", "I", "II"]})
    trend = jonckheere_terpstra(data["ikzf1"], data["iss"], ["I", "II", "III"])
    fig = plots.biomarker_figure(data, "ikzf1", "iss", ["I", "II", "III"], trend=trend)
    assert [t.name for t in fig.data] == ["I (n=2)", "II (n=1)", "III (n=2)"]
    np.testing.assert_array_equal(fig.data[0].y, [2.0, 5.0])
    assert format_p(trend.p) in fig.layout.title.text


def test_figure_images_render_png_and_svg():
    require_chromium()
    images = plots.figure_images({"km": plots.km_figure(_result(), time_unit="months")})
    assert images[("km", "png")].startswith(b"\x89PNG")
    svg = images[("km", "svg")].decode()
    assert svg.startswith("<svg") and "Number at risk" in svg


def test_km_figure_from_engine_counts_patients_at_risk():
    from cohort_explorer.analysis import analyze
    from cohort_explorer.sample import make_sample
    from cohort_explorer.spec import AnalysisSpec

    data = make_sample()
    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", landmarks=(36.0,))
    result = analyze(data, spec)
    fig = plots.km_figure(result, time_unit="months", endpoint="PFS", landmark=36)
    ticks = np.asarray(fig.layout.xaxis2.tickvals)
    q1 = data["ikzf1"] <= data["ikzf1"].quantile(0.25)
    tables = [t for t in fig.data if t.mode == "text"]
    for table, mask in zip(tables, [q1, ~q1], strict=True):
        counts = [int((data.loc[mask, "pfs_months"] >= t).sum()) for t in ticks]
        assert list(table.text) == [str(c) for c in counts]
    assert format_p(result.logrank.p) in fig.layout.title.subtitle.text


def _ph_check(model: str, rename: dict | None = None):
    """The engine's PH check of a model from tests/reference/cox.R (columns renamed)."""
    from cohort_explorer.stats.cox import proportional_hazards_test
    from tests.test_cox import _model

    time, event, design, groups = _model(model)
    return proportional_hazards_test(time, event, design.rename(columns=rename or {}),
                                     term_groups=groups)


def test_ph_residual_figure_draws_the_residuals_and_R_smooth():
    """Points = the residuals; smooth, band and raw-time ticks = R plot.cox.zph (zph.json)."""
    from tests.conftest import load_reference

    ph = _ph_check("lung", {"sex": XSS})
    residuals, j = ph.residuals, 1
    fig = plots.ph_residual_figure(ph, XSS)
    points = next(t for t in fig.data if t.mode == "markers")
    np.testing.assert_array_equal(points.x, residuals.time)
    np.testing.assert_array_equal(points.y, residuals.values[:, j])
    np.testing.assert_array_equal(points.customdata, residuals.raw_time)
    constant = next(t for t in fig.data if (t.name or "").startswith("Cox coefficient"))
    np.testing.assert_allclose(constant.y, [residuals.coef[j]] * 2)
    R = load_reference("zph")["lung"]["plot"]
    smooth = next(t for t in fig.data if (t.name or "").startswith("Spline smooth"))
    upper, lower = (t for t in fig.data if t.mode == "lines" and t.hoverinfo == "skip"
                    and t.line.width == 0)
    np.testing.assert_allclose(smooth.x, R["x"], rtol=1e-6, atol=1e-12)
    for trace, key in ((smooth, "fit"), (lower, "lower"), (upper, "upper")):
        np.testing.assert_allclose(trace.y, R["smooth"][j][key], rtol=1e-6)
    np.testing.assert_allclose(fig.layout.xaxis.tickvals, R["tick_values"], rtol=1e-6)
    assert list(fig.layout.xaxis.ticktext) == [f"{v:g}" for v in R["tick_labels"]]
    title = fig.layout.title.text
    assert "<img" not in fig.to_json() and "&lt;img src=x onerror=alert(1)&gt;" in title
    assert title.endswith(f"(PH test {format_p(dict(ph.terms)[XSS].p)})")
    grouped = plots.ph_residual_figure(ph, "ph.ecog=2", theme="dark").layout
    assert f"PH test of ph.ecog, 3 df: {format_p(dict(ph.terms)['ph.ecog'].p)}" in grouped.title.text
    assert grouped.paper_bgcolor == "#121417"


def test_ph_residual_figure_of_a_non_estimable_term_is_empty_with_a_message():
    from cohort_explorer.errors import OptionError

    ph = _ph_check("separation")
    fig = plots.ph_residual_figure(ph, "group=C")
    assert len(fig.data) == 0
    assert fig.layout.annotations[0].text == "group=C is not estimable: no residuals to plot"
    assert len(plots.ph_residual_figure(ph, "age").data) == 5
    with pytest.raises(OptionError, match="no Cox term 'sex'"):
        plots.ph_residual_figure(ph, "sex")


def test_huge_curves_are_thinned_for_display_within_the_resolution():
    from cohort_explorer import stats

    rng = np.random.default_rng(5)
    time = rng.exponential(10, 20_000)
    event = rng.random(20_000) < 0.7
    km = stats.kaplan_meier(time, event)
    shown_t, shown_s, _, _ = plots.km._step_arrays(km)
    assert km.time.size > plots.km.MAX_STEPS and shown_t.size < km.time.size / 2
    assert shown_t[0] == 0.0 and shown_t[-1] == km.time[-1]
    # Every true step lies within the resolution of the drawn step function.
    drawn = shown_s[np.searchsorted(shown_t, km.time, side="right") - 1]
    assert np.max(np.abs(drawn - km.survival)) < plots.km.STEP_RESOLUTION
    small = stats.kaplan_meier(time[:500], event[:500])
    assert plots.km._step_arrays(small)[0].size == small.time.size + 1


def _hanging_first_export(monkeypatch, hangs: int) -> list[int]:
    """``_render`` that never finishes on its first ``hangs`` calls, then returns an image."""
    from cohort_explorer.present.plots import images

    calls = []

    async def render(figures, formats, *args):
        calls.append(len(calls))
        if len(calls) <= hangs:
            await asyncio.sleep(3600)
        return {(name, fmt): b"<svg/>" for name in figures for fmt in formats}

    monkeypatch.setattr(images, "_render", render)
    monkeypatch.setattr(images, "EXPORT_SECONDS", 0.5)
    monkeypatch.setattr(images, "chromium_path", lambda: "/usr/bin/chromium")
    return calls


def test_a_hanging_export_is_started_anew():
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = _hanging_first_export(monkeypatch, hangs=1)
        out = plots.figure_images({"km": go.Figure()}, ("svg",))
    assert out == {("km", "svg"): b"<svg/>"} and len(calls) == 2


def test_an_export_that_keeps_hanging_fails_as_a_static_export_error():
    with pytest.MonkeyPatch.context() as monkeypatch:
        calls = _hanging_first_export(monkeypatch, hangs=2)
        with pytest.raises(plots.StaticExportError, match="timed out"):
            plots.figure_images({"km": go.Figure()}, ("svg",))
    assert len(calls) == 2
