"""Grouping rules (cohort_explorer.spec.grouping, analysis.stratify): quantile groups match R, spec parsing, filters."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis.stratify import (
    apply_where,
    cut_groups,
    derive_any,
    group_rows,
    move_reference,
)
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.spec.grouping import GroupSpec, parse_derive, parse_group_spec
from tests.conftest import load_reference

REF = load_reference("stratify")
RULES = {2: "median", 3: "tertiles", 4: "quartiles"}


@pytest.mark.parametrize("name", sorted(REF))
@pytest.mark.parametrize("k", [2, 3, 4])
def test_quantile_groups_match_R(name, k):
    """R: cut(x, quantile(x, seq(0, 1, length.out = k + 1)), include.lowest = TRUE)."""
    entry = REF[name]
    df = pd.DataFrame({"x": entry["x"]})
    spec = GroupSpec("x", RULES[k])
    if entry[f"ties_{k}"]:
        with pytest.raises(OptionError, match="too many ties in x"):
            group_rows(df, spec)
        return
    grouping = group_rows(df, spec)
    np.testing.assert_array_equal(grouping.codes + 1, entry[f"groups_{k}"])
    np.testing.assert_allclose(grouping.breaks, entry[f"breaks_{k}"][1:-1], rtol=1e-12)
    assert len(grouping.labels) == k


@pytest.mark.parametrize("name", sorted(REF))
def test_q1_vs_rest_matches_R(name):
    df = pd.DataFrame({"x": REF[name]["x"]})
    if REF[name]["q1_ties"]:
        with pytest.raises(OptionError, match="too many ties"):
            group_rows(df, GroupSpec("x", "q1-vs-rest"))
        return
    grouping = group_rows(df, GroupSpec("x", "q1-vs-rest"))
    assert grouping.labels == ("Q1", "Q2-Q4")
    np.testing.assert_array_equal(grouping.codes + 1, REF[name]["q1_vs_rest"])


def test_quartile_labels_and_missing_values_get_no_group():
    df = pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0, 4.0, 5.0]})
    grouping = group_rows(df, GroupSpec("x", "quartiles"))
    assert grouping.labels == ("Q1", "Q2", "Q3", "Q4")
    assert grouping.codes.tolist() == [0, 0, -1, 1, 2, 3]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("ikzf1:quartiles", GroupSpec("ikzf1", "quartiles"), id="quartiles"),
        pytest.param("ikzf1:q1-vs-rest", GroupSpec("ikzf1", "q1-vs-rest"), id="q1"),
        pytest.param("age:cut=50,65", GroupSpec("age", "cut", ("50", "65")), id="cut"),
        pytest.param("best_response:order=CR,PR", GroupSpec("best_response", "order", ("CR", "PR")),
                     id="order"),
        pytest.param("cyto_risk", GroupSpec("cyto_risk", "category"), id="category"),
        pytest.param("a:b:median", GroupSpec("a:b", "median"), id="colon-in-name"),
    ],
)
def test_parse_group_spec(text, expected):
    assert parse_group_spec(text) == expected


@pytest.mark.parametrize("text", ["", "x:quintiles", ":median", "x:cut=", "x:order="])
def test_parse_group_spec_rejects_bad_rules(text):
    with pytest.raises(OptionError):
        parse_group_spec(text)


def test_custom_cuts_label_their_intervals():
    df = pd.DataFrame({"x": [0.5, 1.5, 2.0, 3.0, 3.5, 10.0]})
    grouping = group_rows(df, GroupSpec("x", "cut", ("3", "1.5")))
    assert grouping.labels == ("<=1.5", "(1.5, 3]", ">3")
    assert grouping.codes.tolist() == [0, 0, 1, 1, 2, 2]


def test_custom_cut_drops_empty_interval():
    df = pd.DataFrame({"x": [1.0, 2.0, 10.0]})
    grouping = group_rows(df, GroupSpec("x", "cut", ("5", "6")))
    assert grouping.labels == ("<=5", ">6")
    assert grouping.codes.tolist() == [0, 0, 1]


def test_categories_sorted_by_code_point_and_numbers_numerically():
    df = pd.DataFrame({"s": ["b", "B", "a", None], "n": [10, 2, 1, 2]})
    assert group_rows(df, GroupSpec("s", "category")).labels == ("B", "a", "b")
    assert group_rows(df, GroupSpec("n", "category")).labels == ("1", "2", "10")


def test_explicit_order_and_reference():
    df = pd.DataFrame({"r": ["PR", "CR", "sCR", "PR"]})
    grouping = group_rows(df, GroupSpec("r", "order", ("sCR", "CR", "VGPR", "PR")))
    assert grouping.labels == ("sCR", "CR", "PR")
    assert grouping.codes.tolist() == [2, 1, 0, 2]
    moved = move_reference(grouping, "PR")
    assert moved.labels == ("PR", "sCR", "CR")
    assert moved.label_array().tolist() == ["PR", "CR", "sCR", "PR"]
    with pytest.raises(OptionError, match="not a group"):
        move_reference(grouping, "PD")


def test_order_missing_an_observed_level_is_an_error():
    df = pd.DataFrame({"r": ["PR", "SD"]})
    with pytest.raises(OptionError, match="does not list SD"):
        group_rows(df, GroupSpec("r", "order", ("PR",)))


def test_numeric_rule_on_text_column_names_the_values():
    df = pd.DataFrame({"x": ["1.2", "high", "3"]})
    with pytest.raises(ColumnError, match="'high'"):
        group_rows(df, GroupSpec("x", "median"))


def test_derive_any_is_composite_high_risk():
    df = pd.DataFrame({"a": [1, 0, 0, None, 0], "b": [0, 0, 1, 0, None], "c": [0, 0, 0, 1, 0]})
    assert parse_derive("high_risk=any:a, b,c") == ("high_risk", ["a", "b", "c"])
    assert derive_any(df, ["a", "b", "c"]).tolist() == [1, 0, 1, 1, pd.NA]
    with pytest.raises(OptionError):
        parse_derive("high_risk=all:a,b")


def test_where_filters_and_missing_never_matches():
    df = pd.DataFrame({"risk": ["standard", "high", None, "standard"], "age": [50, 70, 60, None]})
    assert apply_where(df, ["risk=standard"]).index.tolist() == [0, 3]
    assert apply_where(df, ["risk!=standard"]).index.tolist() == [1]
    assert apply_where(df, ["age>=60"]).index.tolist() == [1, 2]
    assert apply_where(df, ["risk=standard", "age<55"]).index.tolist() == [0]
    with pytest.raises(ColumnError, match="no column 'sex'"):
        apply_where(df, ["sex=M"])
    with pytest.raises(OptionError, match="not a number"):
        apply_where(df, ["age>old"])


def test_boolean_groups_are_labelled_as_R_prints_them():
    df = pd.DataFrame({"male": [True, False, None, True]}, dtype=object)
    grouping = group_rows(df, GroupSpec("male", "category"))
    assert grouping.labels == ("FALSE", "TRUE")
    assert grouping.codes.tolist() == [1, 0, -1, 1]
    assert move_reference(grouping, "true").labels == ("TRUE", "FALSE")


def test_cut_groups_codes_intervals_as_R_cut():
    """cut_groups(x, breaks) + 1 = R ``cut(x, c(-Inf, breaks, max))`` (stratify.R); it takes
    no labels (it used to accept and ignore them)."""
    ref = load_reference("stratify")
    compared = 0
    for entry in ref.values():
        for k in (2, 3, 4):
            if entry[f"ties_{k}"]:
                continue
            inner = entry[f"breaks_{k}"][1:-1]
            codes = cut_groups(np.asarray(entry["x"], float), inner)
            np.testing.assert_array_equal(codes + 1, entry[f"groups_{k}"])
            compared += 1
    assert compared >= 10
    np.testing.assert_array_equal(cut_groups(np.array([np.nan, 1.5, 1.6, 3.0, 9.0]), [1.5, 3.0]),
                                  [-1, 0, 1, 1, 2])
    with pytest.raises(TypeError):
        cut_groups(np.array([1.0]), [1.5], ["low", "high"])
