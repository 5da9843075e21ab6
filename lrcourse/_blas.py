"""One BLAS thread for the course's small matrix products.

The digits models multiply a 1347 × 65 matrix by a few hundred columns; the
explorers work on smaller ones still. Threads barely help at these sizes, and on a
busy or shared machine (Binder, a classroom server, CI next to other jobs) OpenBLAS
threads waiting for a core made a K = 50 softmax step 2-3× slower and one explorer
update take seconds instead of tens of milliseconds.

``single_threaded_blas()`` marks the code that must run on one BLAS thread. The
first time it is entered it sets the process's BLAS libraries to one thread, and
they stay so for the rest of the process (a learner's own numpy code in the same
kernel included; ``threadpoolctl.threadpool_limits`` changes it back). An earlier
version switched to one thread on entering and back on leaving, thousands of times
per training run: OpenBLAS frees and re-allocates its per-thread buffers at each
switch, and the explorers' updates can come from two threads (see
``lrcourse.widgets._base``), so a switch could meet another thread's product. Setting
it once costs nothing later.
"""

from __future__ import annotations

from contextlib import nullcontext

__all__ = ["single_threaded_blas"]

_done = False


def _limit_to_one_thread() -> None:
    global _done
    _done = True
    try:
        from threadpoolctl import ThreadpoolController  # installed with scikit-learn
    except ImportError:  # pragma: no cover - scikit-learn is a requirement
        return
    ThreadpoolController().limit(limits=1, user_api="blas")  # kept: not used as a context


def single_threaded_blas():
    """Context manager: the block runs with one BLAS thread (set once per process)."""
    if not _done:
        _limit_to_one_thread()
    return nullcontext()
