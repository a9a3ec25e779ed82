"""What to analyse: :class:`AnalysisSpec`, one field per option of ``cohort-explorer analyze``."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AnalysisSpec"]


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
    landmark_from : float, optional
        Landmark analysis: keep patients still at risk after this time and measure time from it
        (the guard against immortal-time bias when grouping by response).
    response_time_col : str, optional
        With ``landmark_from``: time at which the grouping value (e.g. best response) was
        reached; patients who reached it after the landmark form the group "not reached by L".
    competing : str, optional
        ``COL=VALUE``: rows equal to VALUE had a competing event (cumulative incidence, Gray).
    fine_gray : bool
        With ``competing``: Fine–Gray subdistribution hazard ratios.
    entry_col : str, optional
        Delayed entry: patients are at risk on (entry, time].
    dates : tuple of str
        ``(START, EVENT, LAST)`` date columns from which time and event are built (they
        replace ``time_col``/``event_col``); ``time_unit``, ``date_order``, ``event_name``.
    subgroups, screen, spline, bootstrap, seed, predict
        The deeper analyses (``--subgroups``, ``--screen``, ``--spline``, ``--bootstrap B
        --seed S``, ``--predict COL=V,...``); see :mod:`cohort_explorer.analysis.deeper`.
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
    landmark_from: float | None = None
    response_time_col: str | None = None
    competing: str | None = None
    fine_gray: bool = False
    entry_col: str | None = None
    dates: tuple[str, ...] = ()
    time_unit: str = "days"
    date_order: str | None = None
    event_name: str | None = None
    subgroups: tuple[str, ...] = ()
    screen: tuple[str, ...] = ()
    spline: str | None = None
    bootstrap: int | None = None
    seed: int | None = None
    predict: tuple[str, ...] = ()
