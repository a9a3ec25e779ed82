"""Package-level rules: the engine never imports Streamlit; results serialise to strict JSON."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass

import numpy as np

from cohort_explorer._result import Result


def test_engine_imports_without_streamlit():
    code = (
        "import sys, pkgutil, importlib, cohort_explorer\n"
        "for m in pkgutil.iter_modules(cohort_explorer.__path__):\n"
        "    importlib.import_module('cohort_explorer.' + m.name)\n"
        "print('streamlit' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@dataclass(frozen=True)
class _Example(Result):
    x: float
    xs: np.ndarray
    n: np.int64


def test_to_dict_is_strict_json():
    d = _Example(x=math.nan, xs=np.array([1.0, np.inf, 0.5]), n=np.int64(3)).to_dict()
    assert d == {"x": None, "xs": [1.0, None, 0.5], "n": 3}
    json.dumps(d, allow_nan=False)
