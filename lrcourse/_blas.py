"""One BLAS thread for the course's small matrix products.

The digits models multiply a 1347 × 65 matrix by a few hundred columns; the
explorers work on smaller ones still. Threads barely help at these sizes, and on a
busy or shared machine (Binder, a classroom server, CI next to other jobs) OpenBLAS
threads waiting for a core made a K = 50 softmax step 2-3× slower and one explorer
update take seconds instead of tens of milliseconds. ``single_threaded_blas()`` is
a context manager that limits BLAS to one thread inside the block only; the
learner's own numpy code outside it keeps its settings.
"""

from __future__ import annotations

import functools
from contextlib import nullcontext

__all__ = ["single_threaded_blas"]


@functools.lru_cache(maxsize=1)
def _controller():
    try:
        from threadpoolctl import ThreadpoolController  # installed with scikit-learn
    except ImportError:  # pragma: no cover - scikit-learn is a requirement
        return None
    return ThreadpoolController()


def single_threaded_blas():
    """Context manager: run the block with one BLAS thread (about 15 µs to enter)."""
    controller = _controller()
    return controller.limit(limits=1, user_api="blas") if controller is not None else nullcontext()
