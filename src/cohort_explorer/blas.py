"""BLAS on one thread for the engine's many small matrix products.

NumPy's OpenBLAS starts one thread per core for a product over 100,000 rows. The Cox refits
of the deeper analyses call such products (the linear predictor, ``X' diag(v) X``) dozens of
times per analysis on a handful of columns; the threads gain little when the machine is idle
and, when other processes keep the cores busy, each call waits for its threads: measured on 2
busy cores (load ~18), 36 dot products of 100,000 values took 756 ms with OpenBLAS's threads and
8 ms on one; the spline's three Cox fits at 100,000 rows 1.5 s and 0.85 s. ``one_blas_thread()``
limits BLAS to the calling thread for a block of code (threadpoolctl; about 1 ms to enter);
``one_blas_thread_from_start()`` does so for a whole command-line run, before numpy loads.
"""

from __future__ import annotations

import os
import sys

__all__ = ["one_blas_thread", "one_blas_thread_from_start"]

_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def one_blas_thread():
    """Context manager: BLAS (OpenBLAS, MKL, ...) on one thread inside the ``with`` block
    (threadpoolctl is imported here: an analysis without Cox refits never needs it)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def one_blas_thread_from_start() -> bool:
    """For a one-shot ``analyze``: numpy's BLAS on one thread for the whole process, unless the
    user set its thread count. Only possible before numpy is imported (False after).

    Every product of the engine has a handful of columns; with OpenBLAS's threads the 1M-row
    analysis took 3.3-4.1 s wall and 4.1-4.9 s CPU, on one thread 3.1-3.2 s and 3.3-3.5 s.
    """
    if "numpy" in sys.modules:
        return False
    for name in _THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
    return True
