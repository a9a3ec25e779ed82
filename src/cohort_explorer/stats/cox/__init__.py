"""The Cox proportional-hazards model: Efron fit (:mod:`.fit`), PH check (:mod:`.zph`), results."""

from cohort_explorer.stats.cox.model import (
    EPV_WARNING,
    CoxResult,
    CoxTerm,
    PHResiduals,
    PHTest,
    TestStatistic,
    fit_cox,
    proportional_hazards_test,
)

__all__ = ["EPV_WARNING", "CoxTerm", "TestStatistic", "CoxResult", "PHResiduals", "PHTest",
           "fit_cox", "proportional_hazards_test"]
