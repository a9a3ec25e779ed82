"""The deeper analyses in the reproducible R script (:mod:`cohort_explorer.present.rscript`).

The app's values of the subgroup forest, the univariable screen, the predicted survival and the
cut-point bootstrap, written as R data for the checks of ``rscript_deeper.R``. The bootstrap is
replayed from the resample indices the script embeds (numpy's draw, the same rows the app
used); when there are more than :data:`MAX_BOOTSTRAP_CHARS` characters of them the script says
that the bootstrap is left out, with its seed, instead.

User text (labels, names) reaches the script only as escaped literals (``rlang``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from cohort_explorer.present.rlang import r_number, r_numbers, r_string, r_strings

__all__ = ["MAX_BOOTSTRAP_CHARS", "bootstrap_code", "prediction_code", "screen_code",
           "subgroups_code"]

#: At most this many characters of resample indices are embedded (B x N x digits per index).
MAX_BOOTSTRAP_CHARS = 2_000_000
_DIGITS = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)


def _list(items: dict[str, str]) -> str:
    return "list(" + ", ".join(f"{k} = {v}" for k, v in items.items()) + ")"


def _logicals(values) -> str:
    items = ["TRUE" if v else "FALSE" for v in values]
    return f"c({', '.join(items)})" if items else "logical(0)"


def _term(t) -> str:
    return r_numbers([t.coef, t.se, t.hr, t.lower, t.upper, t.p])


def _test(test) -> str:
    return "NULL" if test is None else r_numbers([test.statistic, test.df, test.p])


def _covariate_columns(frame, skip: str) -> list[str]:
    """The ``x`` columns of the covariates other than ``skip`` (as the forest adjusts)."""
    return [f"x{j}" for k in frame.covariate_terms if frame.term_columns[k - 1] != skip
            for j in frame.terms[k - 1]]


def subgroups_code(title: str, result, frame) -> str:
    """``check_subgroups(...)`` for ``result.subgroups``."""
    entries = []
    for k, (sub, levels) in enumerate(zip(result.subgroups, frame.subgroup_levels,
                                          strict=True), start=1):
        values = [_list({"n": str(level.n), "events": str(level.events),
                         "estimable": _logicals(t.estimable for t in level.terms),
                         "terms": "list(" + ", ".join(_term(t) for t in level.terms) + ")"})
                  for level in sub.levels]
        entries.append(_list({
            "column": r_string(f"sub{k}"), "name": r_string(sub.variable),
            "levels": r_strings(levels), "covariates": r_strings(
                _covariate_columns(frame, sub.variable)),
            "interaction": _test(sub.interaction),
            "values": "list(" + ", ".join(values) + ")"}))
    level = result.spec.conf_level
    return (f"check_subgroups({r_string(title)}, d, labels, {r_number(level)}, "
            f"list({', '.join(entries)}))")


def screen_code(title: str, result, screen) -> str:
    """``check_screen(...)`` for ``result.screen`` on the screen's own CSV (``s``)."""
    entries = []
    for row, columns, names in zip(result.screen, screen.terms, screen.coefficients,
                                   strict=True):
        estimable = [t.estimable for t in row.coefficients]
        entries.append(_list({
            "name": r_string(row.term), "columns": r_strings(columns),
            "coefficients": r_strings(names), "n": str(row.n), "events": str(row.events),
            "estimable": _logicals(estimable),
            "terms": "list(" + ", ".join(_term(t) for t in row.coefficients) + ")",
            "lr": r_numbers([row.lr_statistic, row.lr_df, row.lr_p]), "q": r_number(row.q)}))
    level = result.spec.conf_level
    return (f"check_screen({r_string(title)}, s, {r_number(level)}, "
            f"list({', '.join(entries)}))")


def prediction_code(title: str, result, frame) -> str:
    """``check_prediction(...)`` for ``result.prediction`` (the patient's design row)."""
    pred = result.prediction
    curve = pred.curve
    values = _list({
        "x": r_numbers(frame.patient),
        "curve": _list({"time": r_numbers(curve.time), "survival": r_numbers(curve.survival),
                        "lower": r_numbers(curve.lower), "upper": r_numbers(curve.upper)}),
        "landmarks": _list({"time": r_numbers(lm.time for lm in pred.landmarks),
                            "survival": r_numbers(lm.survival for lm in pred.landmarks),
                            "lower": r_numbers(lm.lower for lm in pred.landmarks),
                            "upper": r_numbers(lm.upper for lm in pred.landmarks)}),
        "median": r_numbers([pred.median.estimate, pred.median.lower, pred.median.upper])})
    spec = result.spec
    return (f"check_prediction({r_string(title)}, d, {r_string(spec.conf_type)}, "
            f"{r_number(spec.conf_level)}, {values})")


def _encoded(idx: np.ndarray, width: int) -> list[str]:
    """Each resample's 0-based row indices as one string of ``width`` base-36 digits each."""
    digits = np.empty(idx.shape + (width,), dtype=np.uint8)
    rest = idx.astype(np.int64)
    for k in range(width - 1, -1, -1):
        digits[..., k] = _DIGITS[rest % 36]
        rest = rest // 36
    flat = digits.reshape(idx.shape[0], -1)
    return [row.tobytes().decode("ascii") for row in flat]


def bootstrap_code(title: str, boot: Any, n: int) -> list[str]:
    """``check_bootstrap(...)`` with the embedded indices, or the statement that it is left out."""
    width = max(1, len(np.base_repr(max(n - 1, 0), 36)))
    if boot.B * n * width > MAX_BOOTSTRAP_CHARS:
        text = (f"the cut-point bootstrap ({boot.B} resamples of {n} rows, seed {boot.seed}) is "
                f"left out: its {boot.B * n:,} resample indices are too many to embed; it "
                f"draws numpy.random.default_rng({boot.seed}).integers(0, {n}, size=({boot.B}, "
                f"{n})) and reruns maxstat on each resample")
        return [f"cat({r_string(title)}, {r_string(text)}, \"\\n\")"]
    idx = np.random.default_rng(boot.seed).integers(0, n, size=(boot.B, n))
    values = _list({
        "B": str(int(boot.B)), "skipped": str(int(boot.skipped)), "width": str(width),
        "cuts": r_numbers(boot.cuts), "summary": r_numbers([boot.lower, boot.median, boot.upper]),
        "share": r_number(boot.same_quartile_share), "idx": "boot_idx"})
    lines = [f"boot_idx <- c(  # seed {int(boot.seed)}: numpy default_rng(seed).integers(0, "
             f"{n}, size=({int(boot.B)}, {n})), 0-based, base 36"]
    strings = [r_string(s) for s in _encoded(idx, width)]
    lines += [f"  {s}," for s in strings[:-1]] + [f"  {strings[-1]})"]
    lines.append(f"check_bootstrap({r_string(title)}, d, {values})")
    return lines
