"""The faulty problems: NanOutsideBox (NaN outside the cube) and Staircase (one step, for exact ties)."""

import numpy as np
import pytest

from lrcourse.problems.faulty import NanOutsideBox, Staircase


def test_loss_is_finite_inside_and_nan_outside_the_box():
    problem = NanOutsideBox(2)
    assert problem.loss(np.array([0.5, -0.5])) == pytest.approx(1.5)
    assert np.isnan(problem.loss(np.array([1.5, 0.0])))
    batch = problem.loss(np.array([[0.0, 0.0], [2.0, 0.0], [1.0, -1.0]]))
    assert batch.shape == (3,) and batch[0] == 1.0 and np.isnan(batch[1]) and batch[2] == 3.0
    assert np.array_equal(problem.grad(np.array([[0.5, 3.0]])), [[1.0, 6.0]])


def test_gradient_matches_finite_differences_inside():
    problem, x, h = NanOutsideBox(3), np.array([0.2, -0.4, 0.1]), 1e-6
    numeric = [(problem.loss(x + h * e) - problem.loss(x - h * e)) / (2 * h) for e in np.eye(3)]
    assert np.allclose(problem.grad(x), numeric, atol=1e-8)


@pytest.mark.parametrize("dim", [0, -1, 1.5, "2"])
def test_bad_dim_is_refused_by_name(dim):
    with pytest.raises((TypeError, ValueError), match="dim"):
        NanOutsideBox(dim)


def test_staircase_has_one_step_and_a_constant_gradient():
    problem = Staircase(3.25)
    assert problem.loss(np.array([0.49])) == 1.0 and problem.loss(np.array([0.5])) == 3.25
    assert np.array_equal(problem.loss(np.array([[0.0], [1.0]])), [1.0, 3.25])
    assert np.array_equal(problem.grad(np.array([[0.2], [0.9]])), [[-1.0], [-1.0]])


@pytest.mark.parametrize("high", ["4", None, 1j])
def test_bad_staircase_height_is_refused_by_name(high):
    with pytest.raises((TypeError, ValueError), match="high"):
        Staircase(high)
