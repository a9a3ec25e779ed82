"""One analysis function, called by both the CLI and the app, so they never disagree.

``analyze(df, spec)`` takes a DataFrame and an :class:`AnalysisSpec` (the same vocabulary as the
CLI options in ``statistics.md``) and returns an :class:`AnalysisResult` whose ``to_dict()`` is
the CLI's JSON contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from cohort_explorer._result import Result

__all__ = ["AnalysisSpec", "GroupResult", "Excluded", "AnalysisResult", "analyze"]


@dataclass(frozen=True)
class AnalysisSpec:
    """What to analyse; each field mirrors a CLI option of ``cohort-explorer analyze``.

    Parameters
    ----------
    time_col, event_col : str
        Follow-up time and event columns.
    event_value : str, optional
        ``--event COL=VALUE``: rows equal to VALUE are events, other non-missing censored.
    group_by : str, optional
        ``COL``, ``COL:quartiles``, ``COL:tertiles``, ``COL:median``, ``COL:q1-vs-rest``,
        ``COL:cut=V1,V2``, ``COL:optimal`` or ``COL:order=L1,L2``.
    derive : tuple of str
        ``NAME=any:COL1,COL2`` composite 0/1 flags, computed before anything else.
    where : tuple of str
        Row filters ``COL=V``, ``COL!=V``, ``COL<V``, ``COL<=V``, ``COL>V``, ``COL>=V`` (ANDed).
    covariates : tuple of str
        Cox terms: ``COL``, ``COL:cat``, ``COL:cat:ref=LEVEL``, ``COL:log2``, ``COL:z``.
    reference : str, optional
        Group label moved to the front (the Cox reference).
    landmarks : tuple of float
        Times for landmark survival.
    rmst_tau : float, optional
        Restricted mean survival time horizon.
    conf_type : {"log-log", "log", "plain"}
    conf_level : float
    pairwise : {"holm", "BH"}, optional
        Pairwise log-rank tests with this adjustment.
    trend : bool
        Log-rank test for trend across the ordered groups.
    strata : str, optional
        Column for a stratified log-rank test.
    """

    time_col: str
    event_col: str
    event_value: str | None = None
    group_by: str | None = None
    derive: tuple[str, ...] = ()
    where: tuple[str, ...] = ()
    covariates: tuple[str, ...] = ()
    reference: str | None = None
    landmarks: tuple[float, ...] = ()
    rmst_tau: float | None = None
    conf_type: str = "log-log"
    conf_level: float = 0.95
    pairwise: str | None = None
    trend: bool = False
    strata: str | None = None


@dataclass(frozen=True)
class Excluded(Result):
    count: int
    reasons: dict[str, int]


@dataclass(frozen=True)
class GroupResult(Result):
    label: str
    n: int
    events: int
    median: Any  # survival.Estimate
    landmarks: tuple  # of survival.Landmark
    rmst: Any  # survival.RMST | None
    km: Any  # survival.KaplanMeier


@dataclass(frozen=True)
class AnalysisResult(Result):
    n: int
    events: int
    excluded: Excluded
    filtered: int
    follow_up: Any  # survival.FollowUp | None
    groups: tuple[GroupResult, ...]
    logrank: Any  # survival.LogRank | None
    trend: Any = None  # survival.LogRank | None
    pairwise: Any = None  # tuple[survival.PairwiseLogRank, ...] | None
    cox: Any = None  # cox.CoxResult | None
    cutpoint: Any = None  # cutpoint.Cutpoint | None
    warnings: tuple[str, ...] = ()
    software: dict[str, str] = field(default_factory=dict)
    group_column: str | None = None


def analyze(df: pd.DataFrame, spec: AnalysisSpec) -> AnalysisResult:
    """Run the whole analysis of ``spec`` on ``df`` (not yet implemented)."""
    raise NotImplementedError
