"""The CLI's fast JSON writer gives the same values as ``json.dumps`` (strict JSON)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from cohort_explorer._result import jsonable
from cohort_explorer.jsonout import dumps


def test_jsonable_arrays_in_bulk_equal_the_element_wise_conversion():
    values = np.array([0.1, np.nan, 2.5, np.inf, -np.inf, 1e-300])
    assert jsonable(values) == [0.1, None, 2.5, None, None, 1e-300]
    matrix = np.array([[1.0, np.nan], [np.inf, 3.0]])
    assert jsonable(matrix) == [[1.0, None], [None, 3.0]]
    assert jsonable(np.array([1, 2, 3])) == [1, 2, 3]
    assert jsonable(np.array([True, False])) == [True, False]
    assert jsonable(np.array(["a", "b"], dtype=object)) == ["a", "b"]


def test_dumps_parses_to_the_same_values_and_keeps_the_indented_layout():
    value = {"n": 3, "label": 'x"; DROP TABLE t; --', "time": np.linspace(0, 1, 20).tolist(),
             "rows": [[0.5, None, 1.0]] * 10, "short": [1, 2],
             "groups": [{"label": "Q1", "km": {"time": [0.1] * 9, "at_risk": list(range(9))}}],
             "mixed": [1, "a", None, 2, 3, 4, 5, 6, 7]}
    text = dumps(value)
    assert json.loads(text) == value
    assert text.startswith('{\n  "n": 3,\n  "label": ')
    assert '"time": [0.0, 0.05263157894736842, ' in text  # one line, every digit kept


def test_dumps_refuses_nan_as_strict_json_does():
    with pytest.raises(ValueError):
        dumps({"x": [float("nan")] * 10})


def test_a_value_that_looks_like_the_placeholder_is_kept():
    value = {"a": "@@list-0123456789abcdef-0", "b": [1.5] * 10}
    assert json.loads(dumps(value)) == value


def test_fast_lists_parse_to_the_same_floats_bit_for_bit():
    rng = np.random.default_rng(5)
    values = np.concatenate((rng.normal(size=5000) * 10.0 ** rng.integers(-320, 300, 5000),
                             [0.0, -0.0, 1e-5, 1e16, 2.0 ** 70, 5e-324, 1.7976931348623157e308]))
    value = {"x": values.tolist(), "m": values[:5000].reshape(-1, 5).tolist(),
             "n": [1, None, 2**40, True, 3.5, None, -7, 0], "big": [2**70] + [1] * 9}
    back = json.loads(dumps(value))
    assert back == value
    np.testing.assert_array_equal(np.array(back["x"]), values)  # every bit, -0.0 too
    assert np.signbit(back["x"][-6]) and back["n"] == [1, None, 2**40, True, 3.5, None, -7, 0]


def test_fast_lists_refuse_nan_and_inf_as_strict_json_does():
    for bad in (float("inf"), float("-inf"), float("nan")):
        with pytest.raises(ValueError):
            dumps({"x": [1.0, None, bad] + [2.0] * 8})
        with pytest.raises(ValueError):
            dumps({"m": [[1.0, None]] * 7 + [[bad, 1.0]]})


def test_kept_numpy_arrays_are_written_as_the_lists_to_dict_makes():
    from cohort_explorer._result import numeric_arrays_kept

    rng = np.random.default_rng(2)
    floats = rng.normal(size=50) * 10.0 ** rng.integers(-300, 300, 50)
    floats[[3, 7, 11]] = [np.nan, np.inf, -np.inf]
    value = {"f": floats, "m": floats.reshape(10, 5), "i": np.arange(-5, 20, dtype=np.int32),
             "u": np.array([2**64 - 1] * 9, dtype=np.uint64), "b": np.arange(9) % 2 == 0,
             "f32": np.full(9, 0.1, dtype=np.float32), "short": floats[:4], "obj":
             np.array(["a"] * 9, dtype=object), "nested": [{"x": floats[:20]}]}
    with numeric_arrays_kept():
        kept = jsonable(value)
    assert isinstance(kept["f"], np.ndarray) and isinstance(kept["short"], list)
    plain = jsonable(value)
    assert json.loads(dumps(kept)) == plain
    assert dumps(kept) == dumps(plain)  # the same text, layout included
