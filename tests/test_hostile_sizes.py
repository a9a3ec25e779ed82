"""Issue 9, items 4 and 10: statistics in O(n) memory, a cap on levels, odd level names.

Jonckheere–Terpstra allocated the product of the group sizes ("Unable to allocate 1.02 TiB"
on a 1M-row upload); an 800-level covariate or a 2,000-level grouping ran for minutes. The test
now counts per distinct value, and a grouping, a categorical covariate or a Table 1 category
with more than 200 levels (``COHORT_EXPLORER_MAX_LEVELS``) is refused with a coded error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis import analyze
from cohort_explorer.cli import main
from cohort_explorer.errors import LimitError, OptionError
from cohort_explorer.spec import AnalysisSpec
from cohort_explorer.spec.grouping import parse_group_spec
from cohort_explorer.spec.terms import parse_covariate
from cohort_explorer.stats import table_one
from tests.data.make_bad_corpus import SAMPLE_CSV


def _pairwise_jt(values, groups, order):
    """The textbook definition (the former implementation): every pair of observations."""
    samples = [np.asarray([v for v, g in zip(values, groups, strict=True) if g == level], float)
               for level in order]
    samples = [s for s in samples if s.size]
    total = 0.0
    for i, first in enumerate(samples):
        for second in samples[i + 1:]:
            diff = second[None, :] - first[:, None]
            total += float((diff > 0).sum() + 0.5 * (diff == 0).sum())
    return total


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_jonckheere_terpstra_equals_the_pairwise_count(seed):
    rng = np.random.default_rng(seed)
    n = 400
    order = ["I", "II", "III", "IV", "V"]
    groups = rng.choice(order[:4] + ["other"], size=n)  # "V" empty, "other" not in the order
    values = rng.integers(0, 25, size=n).astype(float)  # heavy ties
    values[rng.random(n) < 0.05] = np.nan
    result = table_one.jonckheere_terpstra(values, groups, order)
    keep = ~np.isnan(values)
    assert result.statistic == _pairwise_jt(values[keep], groups[keep], order)
    assert result.levels == ("I", "II", "III", "IV")


def test_jonckheere_terpstra_on_a_million_rows():
    """The former pairwise matrix needed 3.3·10¹¹ cells here (2.4 TiB); J is exact."""
    sizes = np.array([200_000, 500_000, 300_000])
    groups = np.repeat(np.array(["I", "II", "III"], dtype=object), sizes)
    values = np.repeat(np.arange(3.0), sizes)  # every later value is larger: J = Σ nᵢnⱼ
    result = table_one.jonckheere_terpstra(values, groups, ["I", "II", "III"])
    assert result.statistic == 200_000 * 500_000 + 200_000 * 300_000 + 500_000 * 300_000
    assert result.n == 1_000_000
    assert result.mean == pytest.approx((1e12 - (sizes.astype(float) ** 2).sum()) / 4, rel=1e-12)


def _cohort(n_levels: int, rows: int = 1_000) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame({
        "time": rng.exponential(10, rows),
        "event": rng.integers(0, 2, rows),
        "site": [f"site {i % n_levels}" for i in range(rows)],
        "age": rng.normal(60, 10, rows),
    })


def test_a_grouping_with_too_many_levels_is_refused_with_its_code():
    with pytest.raises(LimitError) as error:
        analyze(_cohort(201), AnalysisSpec("time", "event", group_by="site"))
    assert error.value.code == "limit_levels"
    assert error.value.fields["value"] == 201 and error.value.fields["limit"] == 200
    message = str(error.value)
    assert "Grouping column 'site' has 201 levels" in message
    assert "COHORT_EXPLORER_MAX_LEVELS" in message


def test_a_categorical_covariate_with_too_many_levels_is_refused():
    with pytest.raises(LimitError, match="Categorical covariate 'site' has 800 levels"):
        analyze(_cohort(800), AnalysisSpec("time", "event", covariates=("site:cat",)))


def test_the_level_limit_is_set_by_the_administrator(monkeypatch):
    monkeypatch.setenv("COHORT_EXPLORER_MAX_LEVELS", "5")
    assert len(analyze(_cohort(5), AnalysisSpec("time", "event", group_by="site")).groups) == 5
    with pytest.raises(LimitError, match="has 6 levels.*limit is 5 levels"):
        analyze(_cohort(6), AnalysisSpec("time", "event", group_by="site"))
    monkeypatch.setenv("COHORT_EXPLORER_MAX_LEVELS", "not a number")  # a typo keeps the default
    with pytest.raises(LimitError, match="limit is 200 levels"):
        analyze(_cohort(201), AnalysisSpec("time", "event", group_by="site"))


def test_table_one_refuses_a_category_with_too_many_levels():
    df = _cohort(300)
    with pytest.raises(LimitError, match="The characteristic 'site' has 300 levels"):
        table_one.table_one(df, ["site"], group=df["event"].astype(str).tolist())
    with pytest.raises(LimitError, match="The grouping has 300 levels"):
        table_one.table_one(df, ["age"], group=df["site"].tolist())
    with pytest.raises(LimitError, match="ordered category has 300 levels"):
        table_one.jonckheere_terpstra(df["age"], df["site"], sorted(set(df["site"])))


def test_table_one_counts_a_large_category_in_one_pass():
    """200,000 rows × a 150-level category × 4 groups: the counts equal pandas' crosstab."""
    rng = np.random.default_rng(3)
    n = 200_000
    df = pd.DataFrame({"level": rng.integers(0, 150, n).astype(str)})
    group = rng.choice(["a", "b", "c", "d"], size=n)
    table = table_one.table_one(df, ["level"], group=group.tolist())
    expected = pd.crosstab(df["level"], group)
    row = next(r for r in table.rows if r[0] == "  17")
    assert row[1].startswith(f"{int((df['level'] == '17').sum())} (")
    assert [int(cell.split()[0]) for cell in row[2:6]] == expected.loc["17"].tolist()


def test_cli_level_cap_is_one_line(tmp_path, capsys):
    path = tmp_path / "sites.csv"
    _cohort(2_000, rows=4_000).to_csv(path, index=False)
    code = main(["analyze", str(path), "--time", "time", "--event", "event", "--group-by", "site"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert "has 2,000 levels" in err


@pytest.mark.parametrize(("option", "role"), [("--strata", "Strata"),
                                             ("--subgroups", "Subgroup")])
def test_cli_level_cap_covers_strata_and_subgroups(tmp_path, capsys, option, role):
    path = tmp_path / "sites.csv"
    _cohort(300, rows=1_200).assign(arm=lambda d: np.arange(len(d)) % 2).to_csv(path,
                                                                                 index=False)
    code = main(["analyze", str(path), "--time", "time", "--event", "event", "--group-by",
                 "arm", option, "site"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1
    assert f"{role} column 'site' has 300 levels" in err and "limit is 200 levels" in err
    if option == "--strata":
        assert ":quartiles" not in err and "Stratify by a column with fewer levels" in err


def test_strata_and_subgroups_within_the_cap_run(monkeypatch):
    monkeypatch.setenv("COHORT_EXPLORER_MAX_LEVELS", "4")
    df = _cohort(4).assign(arm=lambda d: np.arange(len(d)) % 2)
    result = analyze(df, AnalysisSpec("time", "event", group_by="arm", strata="site",
                                      subgroups=("site",)))
    assert result.cox.strata == "site" and len(result.subgroups[0].levels) == 4
    for options in ({"strata": "site"}, {"subgroups": ("site",)}):
        with pytest.raises(LimitError, match="has 5 levels.*limit is 4 levels") as error:
            analyze(_cohort(5).assign(arm=lambda d: np.arange(len(d)) % 2),
                    AnalysisSpec("time", "event", group_by="arm", **options))
        assert error.value.code == "limit_levels"


# --- item 10: odd names ---------------------------------------------------------------------

def test_levels_containing_a_colon_in_order_and_as_reference():
    assert parse_group_spec("risk:order=t(4;14): yes,none") == parse_group_spec(
        "risk:order=t(4;14): yes, none")
    spec = parse_group_spec("risk:order=t(4;14): yes,none")
    assert (spec.column, spec.kind, spec.values) == ("risk", "order", ("t(4;14): yes", "none"))
    term = parse_covariate("risk:cat:ref=t(4;14): yes")
    assert (term.column, term.kind, term.reference) == ("risk", "cat", "t(4;14): yes")
    assert parse_covariate("Risk: cyto:cat").column == "Risk: cyto"

    df = pd.read_csv(SAMPLE_CSV)
    df["risk"] = np.where(df["cyto_risk"] == "high", "t(4;14): yes", "none")
    result = analyze(df, AnalysisSpec("pfs_months", "pfs_event",
                                      group_by="risk:order=none,t(4;14): yes"))
    assert [g.label for g in result.groups] == ["none", "t(4;14): yes"]
    adjusted = analyze(df, AnalysisSpec("pfs_months", "pfs_event", group_by="ikzf1:q1-vs-rest",
                                        covariates=("risk:cat:ref=t(4;14): yes",)))
    assert [t.term for t in adjusted.cox.terms] == ["ikzf1=Q2-Q4", "risk=none"]


def test_a_covariate_equal_to_the_grouping_is_explained_in_words():
    df = pd.read_csv(SAMPLE_CSV)
    with pytest.raises(OptionError) as error:
        analyze(df, AnalysisSpec("pfs_months", "pfs_event", group_by="cyto_risk",
                                 covariates=("cyto_risk:cat",)))
    message = str(error.value)
    assert "already the grouping" in message and "given twice" not in message
    assert "Remove cyto_risk from the covariates" in message
