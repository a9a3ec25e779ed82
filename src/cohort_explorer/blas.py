"""BLAS on one thread for the engine's many small matrix products.

NumPy's OpenBLAS starts one thread per core for a product over 100,000 rows. The Cox refits
of the deeper analyses call such products (the linear predictor, ``X' diag(v) X``) dozens of
times per analysis on a handful of columns; the threads gain little when the machine is idle
and, when other processes keep the cores busy, each call waits for its threads: measured on 2
busy cores (load ~18), 36 dot products of 100,000 values took 756 ms with OpenBLAS's threads and
8 ms on one; the spline's three Cox fits at 100,000 rows 1.5 s and 0.85 s. ``one_blas_thread()``
limits BLAS to the calling thread for a block of code (threadpoolctl; about 1 ms to enter).
"""

from __future__ import annotations

__all__ = ["one_blas_thread"]


def one_blas_thread():
    """Context manager: BLAS (OpenBLAS, MKL, ...) on one thread inside the ``with`` block
    (threadpoolctl is imported here: an analysis without Cox refits never needs it)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")
