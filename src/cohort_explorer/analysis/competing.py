"""Competing-risk results and the group tests with delayed entry, for :func:`analyze`.

With ``--competing``: per group the Aalen–Johansen cumulative incidence of the event of
interest (with its CI and landmarks), Gray's test across groups and, with ``--fine-gray``,
the Fine–Gray subdistribution hazard ratios of the grouping and covariates (the same terms as
the Cox model, which stays cause-specific: competing events are censored there). With
``--entry``: the log-rank family on the risk sets {entry < t <= time}.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cohort_explorer._result import Result, jsonable
from cohort_explorer.analysis.extras import Extras, event_label
from cohort_explorer.errors import OptionError
from cohort_explorer.stats import PairwiseLogRank
from cohort_explorer.stats.competing import (
    CIFLandmark,
    CumulativeIncidence,
    GrayTest,
    cif_landmarks,
    cumulative_incidence,
    gray_test,
)
from cohort_explorer.stats.entry import logrank_entry
from cohort_explorer.stats.fine_gray import FineGray, fine_gray
from cohort_explorer.stats.logrank import LogRank, adjust_p, chi_square, trend_chi_square

if TYPE_CHECKING:
    from cohort_explorer.analysis.stratify import Grouping
    from cohort_explorer.spec import AnalysisSpec

__all__ = ["CompetingGroup", "CompetingResult", "competing_results", "entry_tests"]


@dataclass(frozen=True)
class CompetingGroup(Result):
    """One group's cumulative incidence of the event of interest."""

    label: str
    n: int
    events: int
    competing_events: int
    cif: CumulativeIncidence
    landmarks: tuple[CIFLandmark, ...]

    def to_dict(self) -> dict[str, Any]:
        out = jsonable(self)
        out["cif"] = {k: out["cif"][k] for k in ("time", "estimate", "lower", "upper")}
        return out


@dataclass(frozen=True)
class CompetingResult(Result):
    """The ``competing`` part of the JSON contract."""

    event: str
    competing: str
    gray: GrayTest | None
    groups: tuple[CompetingGroup, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.event, "competing": self.competing,
                "gray": None if self.gray is None else self.gray.to_dict(),
                "groups": [g.to_dict() for g in self.groups]}


def competing_results(aset, grouping: Grouping, extras: Extras, spec: AnalysisSpec,
                      design: pd.DataFrame) -> tuple[CompetingResult | None, FineGray | None]:
    """Cumulative incidence per group, Gray's test and (if asked) the Fine–Gray model."""
    if extras.state is None:
        return None, None
    state = extras.state
    groups = []
    for i, label in enumerate(grouping.labels):
        rows = grouping.codes == i
        cif = cumulative_incidence(aset.time[rows], state[rows], conf_level=spec.conf_level,
                                   conf_type=spec.conf_type)
        groups.append(CompetingGroup(
            label=str(label), n=int(rows.sum()), events=int((state[rows] == 1).sum()),
            competing_events=int((state[rows] == 2).sum()), cif=cif,
            landmarks=cif_landmarks(cif, list(spec.landmarks)) if spec.landmarks else ()))
    gray = None
    if len(grouping.labels) > 1 and np.any(state == 1):
        gray = gray_test(aset.time, state, grouping.label_array(), levels=list(grouping.labels))
    result = CompetingResult(event=event_label(spec), competing=spec.competing, gray=gray,
                             groups=tuple(groups))
    model = None
    if spec.fine_gray:
        if design.shape[1] == 0:
            raise OptionError("--fine-gray needs a grouping or covariates to model",
            code="fine_gray_without_terms", fields={})
        if np.any(state == 1):
            model = fine_gray(aset.time, state, design, conf_level=spec.conf_level)
    return result, model


def _oev(entry, time, event, labels, levels):
    test = logrank_entry(entry, time, event, labels, levels=levels)
    return test.observed, test.expected, test.variance


def entry_tests(aset, extras: Extras, grouping: Grouping, natural, spec: AnalysisSpec) -> dict:
    """Log-rank (and trend, pairwise, stratified) on the risk sets {entry < t <= time}."""
    labels = grouping.label_array()
    levels = list(grouping.labels)
    if len(levels) < 2 or aset.event.sum() == 0:
        if spec.trend or spec.pairwise:
            raise OptionError("The trend and pairwise tests need at least two groups")
        return {}
    entry, time, event = extras.entry, aset.time, aset.event
    out: dict[str, Any] = {"logrank": logrank_entry(entry, time, event, labels, levels=levels)}
    if spec.trend:
        o, e, v = _oev(entry, time, event, labels, list(natural))
        statistic, p = trend_chi_square(o, e, v)
        out["trend"] = LogRank(statistic, 1, p, o, e, v)
    if spec.pairwise:
        pairs, stats = [], []
        for a in range(len(natural)):
            for b in range(a + 1, len(natural)):
                rows = np.isin(labels, [natural[a], natural[b]])
                o, e, v = _oev(entry[rows], time[rows], event[rows], labels[rows],
                               [natural[a], natural[b]])
                pairs.append((natural[a], natural[b]))
                stats.append(chi_square(o, e, v)[0] if e.any() else 0.0)
        from scipy.stats import chi2

        p = chi2.sf(np.asarray(stats, dtype=float), 1)
        adjusted = adjust_p(p, spec.pairwise)
        out["pairwise"] = tuple(PairwiseLogRank(str(g1), str(g2), float(s), float(pv), float(pa))
                                for (g1, g2), s, pv, pa in zip(pairs, stats, p, adjusted,
                                                               strict=True))
    if spec.strata:
        strata = aset.data[spec.strata].astype(str).to_numpy()
        k = len(levels)
        o, e, v = np.zeros(k), np.zeros(k), np.zeros((k, k))
        for stratum in np.unique(strata):
            rows = strata == stratum
            if len(np.unique(labels[rows])) < 2 or event[rows].sum() == 0:
                continue  # one group or no events: no information (as survdiff)
            parts = _oev(entry[rows], time[rows], event[rows], labels[rows], levels)
            o, e, v = o + parts[0], e + parts[1], v + parts[2]
        statistic, df, p = chi_square(o, e, v)
        out["stratified_logrank"] = LogRank(statistic, df, p, o, e, v)
    return out
