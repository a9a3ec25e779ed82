"""Cox design terms (cohort_explorer.spec.terms, analysis.design): names per docs/methods.md, transforms, references."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cohort_explorer.analysis.design import build_design, term_validity
from cohort_explorer.analysis.stratify import group_rows
from cohort_explorer.errors import ColumnError, OptionError
from cohort_explorer.spec.grouping import GroupSpec
from cohort_explorer.spec.terms import Term, parse_covariate


@pytest.mark.parametrize(
    ("text", "term"),
    [
        pytest.param("age", Term("age", "numeric"), id="numeric"),
        pytest.param("iss_stage:cat", Term("iss_stage", "cat"), id="cat"),
        pytest.param("iss_stage:cat:ref=II", Term("iss_stage", "cat", "II"), id="cat-ref"),
        pytest.param("ikzf1:log2", Term("ikzf1", "log2"), id="log2"),
        pytest.param("ikzf1:z", Term("ikzf1", "z"), id="z"),
    ],
)
def test_parse_covariate(text, term):
    assert parse_covariate(text) == term


def test_parse_covariate_rejects_empty_reference():
    with pytest.raises(OptionError):
        parse_covariate("x:cat:ref=")


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "grp": ["a", "b", "c", "a", "b", "c"],
            "stage": ["I", "II", "III", "III", "I", "II"],
            "marker": [1.0, 2.0, 4.0, 8.0, 0.5, 0.25],
            "age": [50, 60, 70, 55, 65, 75],
        }
    )


def test_design_names_and_values(frame):
    grouping = group_rows(frame, GroupSpec("grp", "category"))
    terms = [parse_covariate(t) for t in ("stage:cat:ref=II", "marker:log2", "age:z", "age")]
    design, groups = build_design(frame, terms, grouping)
    assert list(design.columns) == [
        "grp=b", "grp=c", "stage=I", "stage=III", "log2(marker)", "z(age)", "age",
    ]
    assert groups == {
        "grp": ["grp=b", "grp=c"],
        "stage": ["stage=I", "stage=III"],
        "log2(marker)": ["log2(marker)"],
        "z(age)": ["z(age)"],
        "age": ["age"],
    }
    np.testing.assert_allclose(design["log2(marker)"], [0, 1, 2, 3, -1, -2])
    age = frame["age"].to_numpy(float)
    np.testing.assert_allclose(design["z(age)"], (age - age.mean()) / age.std(ddof=1))
    assert design["stage=III"].tolist() == [0, 0, 1, 1, 0, 0]


def test_unknown_reference_level_lists_levels(frame):
    with pytest.raises(OptionError, match="levels are I, II, III"):
        build_design(frame, [parse_covariate("stage:cat:ref=IV")], None)


def test_log2_of_nonpositive_is_an_exclusion_reason():
    df = pd.DataFrame({"m": [1.0, 0.0, -2.0, np.nan]})
    ok, reason = term_validity(df, Term("m", "log2"))
    assert ok.tolist() == [True, False, False, False]
    assert reason[1] == "log2 of value <= 0 in m" and reason[3] == "missing m"


def test_text_in_numeric_covariate_is_an_error():
    df = pd.DataFrame({"m": ["1", "n/a?", "2"]})
    with pytest.raises(ColumnError, match="m:cat"):
        term_validity(df, Term("m", "numeric"))


def test_reference_level_written_as_float_or_boolean_is_found():
    df = pd.DataFrame({"flag": [0.0, 1.0, None, 1.0], "male": [True, False, True, False]})
    design, _ = build_design(df.dropna(), [parse_covariate("flag:cat:ref=1.0")], None)
    assert list(design.columns) == ["flag=0"]
    design, _ = build_design(df, [parse_covariate("male:cat:ref=False")], None)
    assert list(design.columns) == ["male=TRUE"]
    assert design["male=TRUE"].tolist() == [1.0, 0.0, 1.0, 0.0]
