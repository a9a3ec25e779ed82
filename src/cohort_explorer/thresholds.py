"""Thresholds behind the engine's warnings, defined once (the CLI, the app and tests use them)."""

from __future__ import annotations

__all__ = ["EPV_MIN", "MIN_GROUP_SIZE", "PH_ALPHA", "FEW_LEVELS_MAX"]

#: Events per Cox coefficient below which overfitting is warned about.
EPV_MIN = 10.0
#: A group with fewer patients than this gets an "imprecise estimates" warning.
MIN_GROUP_SIZE = 10
#: A proportional-hazards (cox.zph) test with p below this is warned about.
PH_ALPHA = 0.05
#: A numeric column with at most this many distinct values is offered as a category
#: (ECOG 0-4, edema 0/0.5/1, stage 1-4).
FEW_LEVELS_MAX = 5
