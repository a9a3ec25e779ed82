"""Table 1 tests and the Jonckheere–Terpstra trend test against R (tests/reference/cohort.R)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.errors import ColumnError
from cohort_explorer.stats import table_one
from tests.conftest import SAMPLE_CSV, load_reference

R = load_reference("cohort")
RESPONSE = ["sCR", "CR", "VGPR", "PR", "SD", "PD"]


@pytest.fixture(scope="module")
def sample():
    return pd.read_csv(SAMPLE_CSV)


@pytest.fixture(scope="module")
def table(sample):
    group = np.where(sample["ikzf1"] <= sample["ikzf1"].quantile(0.25), "Q1", "Q2-Q4")
    return table_one.table_one(
        sample, ["age", "sex", "iss_stage", "cyto_risk", "best_response", "ikzf1", "crbn"],
        group=group, group_order=["Q1", "Q2-Q4"], level_order={"best_response": RESPONSE})


def test_quantile_break_matches_R(sample):
    assert sample["ikzf1"].quantile(0.25) == pytest.approx(R["q25"], rel=1e-12)


@pytest.mark.parametrize("name", ["age", "ikzf1", "crbn"])
def test_kruskal_wallis_matches_R(table, name):
    test = table.tests[name]
    assert test["test"] == "Kruskal-Wallis"
    assert test["statistic"] == pytest.approx(R[name]["statistic"], rel=1e-6)
    assert test["p"] == pytest.approx(R[name]["p"], rel=1e-6)


def test_chi_squared_with_yates_matches_R(table):
    test = table.tests["sex"]
    assert R["sex"]["min_expected"] >= 5 and test["test"] == "Chi-squared"
    assert test["statistic"] == pytest.approx(R["sex"]["statistic"], rel=1e-6)
    assert test["p"] == pytest.approx(R["sex"]["p"], rel=1e-6)


def test_fisher_exact_2x2_matches_R(table):
    test = table.tests["cyto_risk"]
    assert test["test"] == "Fisher's exact"
    assert test["p"] == pytest.approx(R["cyto_risk_fisher"]["p"], rel=1e-6)


@pytest.mark.parametrize("name", ["iss_stage", "best_response"])
def test_fisher_monte_carlo_is_close_to_R_exact(table, name):
    test = table.tests[name]
    assert test["test"].startswith("Fisher's exact (Monte Carlo")
    # B = 100,000: the Monte Carlo standard error at p ~ 0.02 is ~ 0.0005.
    assert test["p"] == pytest.approx(R[f"{name}_fisher"]["p"], abs=0.003)


def test_fisher_monte_carlo_on_a_sparse_filtered_table_gives_one_p(sample):
    """sex = M and age > 60 leaves ISS stage × best response as a 3 × 4 table with margins of 1."""
    narrow = sample[(sample["sex"] == "M") & (sample["age"] > 60)].reset_index(drop=True)
    assert len(narrow) == R["sparse_fisher"]["n"]
    table = table_one.table_one(narrow, ["iss_stage", "sex"], group=narrow["best_response"],
                                categorical=["iss_stage", "sex"])
    test = table.tests["iss_stage"]
    assert test["test"].startswith("Fisher's exact (Monte Carlo")
    assert isinstance(test["p"], float)
    assert test["p"] == pytest.approx(R["sparse_fisher"]["p"], abs=0.005)
    assert table.tests["sex"]["test"] == "none (one level or one group)"


def test_table_rows_show_counts_percentages_and_medians(table, sample):
    rows = {row[0]: row for row in table.rows}
    assert table.columns[:4] == ("Characteristic", "Overall, n = 60", "Q1, n = 15",
                                 "Q2-Q4, n = 45")
    high = int((sample["cyto_risk"] == "high").sum())
    assert rows["  high"][1] == f"{high} ({100 * high / 60:.1f}%)"
    assert rows["  high"][2] == "0 (0.0%)"
    q1, med, q3 = np.quantile(sample["age"], [0.25, 0.5, 0.75])
    assert rows["age, median [IQR]"][1] == f"{med:.3g} [{q1:.3g}–{q3:.3g}]"
    assert rows["cyto_risk, n (%)"][-2] == "0.013"
    order = [r[0].strip() for r in table.rows if r[0].strip() in RESPONSE]
    assert order == RESPONSE


@pytest.mark.parametrize(("name", "order"), [
    ("jt_iss", ["I", "II", "III"]), ("jt_response", RESPONSE)])
def test_jonckheere_terpstra_matches_R(sample, name, order):
    column = "iss_stage" if name == "jt_iss" else "best_response"
    result = table_one.jonckheere_terpstra(sample["ikzf1"], sample[column], order)
    for field in ("statistic", "mean", "variance", "z", "p"):
        assert getattr(result, field) == pytest.approx(R[name][field], rel=1e-6)


def test_jonckheere_terpstra_with_ties_matches_R():
    values = [1, 1, 2, 2, 2, 3, 3, 4, 1, 2, 5, 5]
    groups = list("aaaabbbbcccc")
    result = table_one.jonckheere_terpstra(values, groups, ["a", "b", "c"])
    for field in ("statistic", "mean", "variance", "z", "p"):
        assert getattr(result, field) == pytest.approx(R["jt_ties"][field], rel=1e-6)


def test_jonckheere_terpstra_direction_and_errors():
    up = table_one.jonckheere_terpstra([1, 2, 3, 4, 5, 6], list("aabbcc"), ["a", "b", "c"])
    down = table_one.jonckheere_terpstra([1, 2, 3, 4, 5, 6], list("aabbcc"), ["c", "b", "a"])
    assert up.z > 0 and down.z == pytest.approx(-up.z) and up.p == pytest.approx(down.p)
    with pytest.raises(ColumnError, match="two ordered categories"):
        table_one.jonckheere_terpstra([1, 2, np.nan], ["a", "a", "b"], ["a", "b"])


def test_proportional_hazards_check_matches_R_cox_zph(sample):
    from cohort_explorer.analysis import analyze
    from cohort_explorer.spec import AnalysisSpec

    spec = AnalysisSpec(time_col="pfs_months", event_col="pfs_event",
                        group_by="ikzf1:q1-vs-rest", covariates=("cyto_risk:cat:ref=standard",))
    result = analyze(sample, spec)
    ph, fit = result.ph_test, result.cox
    assert [t.term for t in fit.terms] == ["ikzf1=Q2-Q4", "cyto_risk=high"]
    tests = [t for _, t in ph.terms] + [ph.global_test]
    for test, chisq, df, p in zip(tests, R["zph"]["chisq"], R["zph"]["df"], R["zph"]["p"],
                                  strict=True):
        assert test.statistic == pytest.approx(chisq, rel=1e-6)
        assert test.df == df
        assert test.p == pytest.approx(p, rel=1e-6)
