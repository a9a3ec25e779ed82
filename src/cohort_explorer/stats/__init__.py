"""Survival statistics, pure numpy/scipy, each tested against R.

The Kaplan–Meier family (:mod:`.km`) and the log-rank family (:mod:`.logrank`) are exported
here; the Cox model is :mod:`.cox`, the optimal cut point :mod:`.cutpoint`, Table 1
:mod:`.table_one`.
"""

from cohort_explorer.stats.km import (
    RMST,
    Estimate,
    FollowUp,
    KaplanMeier,
    Landmark,
    kaplan_meier,
    landmark_survival,
    median_follow_up,
    restricted_mean,
    survival_quantile,
)
from cohort_explorer.stats.logrank import (
    LogRank,
    PairwiseLogRank,
    logrank_test,
    logrank_trend,
    pairwise_logrank,
)

__all__ = [
    "Estimate", "FollowUp", "KaplanMeier", "Landmark", "LogRank", "PairwiseLogRank", "RMST",
    "kaplan_meier", "landmark_survival", "logrank_test", "logrank_trend", "median_follow_up",
    "pairwise_logrank", "restricted_mean", "survival_quantile",
]
