"""Normal and chi-squared tails from ``scipy.special`` (fast to import).

``scipy.stats`` takes about a second to import; its ``norm`` and ``chi2`` methods used here are
thin wrappers around these same ``scipy.special`` functions (``norm.ppf`` = ``ndtri``,
``norm.cdf`` = ``ndtr``, ``norm.sf(x)`` = ``ndtr(-x)``, ``chi2.sf(x, df)`` = ``chdtrc(df, x)``),
so the numbers are identical (a test checks).
"""

from __future__ import annotations

import numpy as np
from scipy import special

__all__ = ["chi2_sf", "norm_cdf", "norm_ppf", "norm_sf"]


def norm_ppf(q):
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return special.ndtri(q)


def norm_cdf(x):
    """Standard normal distribution function (``scipy.stats.norm.cdf``)."""
    return special.ndtr(x)


def norm_sf(x):
    """Standard normal upper tail (``scipy.stats.norm.sf``)."""
    return special.ndtr(np.negative(x))


def chi2_sf(x, df):
    """Chi-squared upper tail, never ``1 - cdf`` (``scipy.stats.chi2.sf``; 1 for x <= 0)."""
    x = np.asarray(x, dtype=float)
    if not df > 0:
        return np.full(x.shape, np.nan) if x.ndim else float("nan")
    out = np.where(x <= 0, 1.0, special.chdtrc(df, np.maximum(x, 0.0)))
    return out if out.ndim else out[()]
