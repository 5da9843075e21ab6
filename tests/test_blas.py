"""lrcourse._blas: one BLAS thread inside the block (nested blocks too), the caller's setting
restored after it, also when the block raises."""

import numpy as np  # noqa: F401 - loads the BLAS that threadpoolctl inspects
import pytest
from threadpoolctl import threadpool_info

from lrcourse._blas import single_threaded_blas


def blas_threads() -> list[int]:
    return [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_one_thread_inside_nested_blocks_and_the_setting_restored_after():
    before = blas_threads()
    if not before:
        pytest.skip("no BLAS library that threadpoolctl can see")
    with single_threaded_blas():
        assert blas_threads() == [1] * len(before)
        with single_threaded_blas():
            assert blas_threads() == [1] * len(before)
    assert blas_threads() == before


def test_the_setting_is_restored_when_the_block_raises():
    before = blas_threads()
    with pytest.raises(ZeroDivisionError):
        with single_threaded_blas():
            1 / 0
    assert blas_threads() == before
