"""Tests of lrcourse.train: the vectorised run loop, its records, clipping and
divergence handling.

Oracles: hand-written gradient-descent loops, separate single runs (a vectorised
run of K rates must equal K runs), the closed form x_t = (1 − ηλ)^t x₀ of GD on a
quadratic, and clipping values recorded from PyTorch 2.13 (float64):
``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from lrcourse import optim
from lrcourse.train import RunResult, clip_by_norm, clip_by_value, divergence_threshold, run


# ----------------------------------------------------------------------------------
# stand-ins (the real problems are exercised at the bottom of the file)
# ----------------------------------------------------------------------------------

class DiagonalQuadratic:
    """f(x) = ½ Σ λ_i x_i² (+ offset), vectorised over leading axes."""

    name = "diagonal quadratic"

    def __init__(self, eigenvalues=(1.0, 10.0), offset=0.0):
        self.eigenvalues = np.asarray(eigenvalues, dtype=float)
        self.dim = self.eigenvalues.size
        self.offset = offset

    def loss(self, x):
        return 0.5 * np.sum(self.eigenvalues * x * x, axis=-1) + self.offset

    def grad(self, x):
        return self.eigenvalues * x

    def init(self, seed=0):
        return np.ones(self.dim)


class GradientDescent:
    """Minimal optimizer: x ← x − lr·g, lr a float or a (K, 1) array."""

    def __init__(self, lr):
        self.lr = lr
        self.last_lr = None
        self.received = []

    def step(self, x, grad):
        self.received.append(np.array(grad))
        self.last_lr = self.lr
        return x - self.lr * grad


class LinearLeastSquares:
    """Mean of ½(aᵢ·x − bᵢ)² over examples, with mini-batches and a validation set."""

    name = "least squares"

    def __init__(self, n=10, dim=3, seed=1):
        rng = np.random.default_rng(seed)
        self.a = rng.normal(size=(n, dim))
        self.b = rng.normal(size=n)
        self.a_val = rng.normal(size=(4, dim))
        self.b_val = rng.normal(size=4)
        self.dim = dim
        self.n = n

    def _loss(self, x, a, b):
        residual = x @ a.T - b
        return 0.5 * np.mean(residual**2, axis=-1)

    def loss(self, x, batch=None):
        rows = slice(None) if batch is None else batch
        return self._loss(x, self.a[rows], self.b[rows])

    def grad(self, x, batch=None):
        rows = slice(None) if batch is None else batch
        a, b = self.a[rows], self.b[rows]
        return (x @ a.T - b) @ a / len(b)

    def val_loss(self, x):
        return self._loss(x, self.a_val, self.b_val)

    def accuracy(self, x, split="val"):
        return np.mean(np.abs(x @ self.a_val.T - self.b_val) < 0.5, axis=-1)

    def batches(self, batch_size, seed):
        rng = np.random.default_rng(seed)
        while True:
            order = rng.permutation(self.n)
            for start in range(0, self.n, batch_size):
                yield order[start:start + batch_size]

    def init(self, seed=0):
        return np.zeros(self.dim)


def gd_loop(problem, lr, x0, steps):
    """The oracle: a plain loop, one run."""
    x, losses, xs = np.array(x0, dtype=float), [], [np.array(x0, dtype=float)]
    for _ in range(steps):
        losses.append(problem.loss(x))
        x = x - lr * problem.grad(x)
        xs.append(x)
    return np.array(losses), np.array(xs)


# ----------------------------------------------------------------------------------
# agreement with hand-written loops
# ----------------------------------------------------------------------------------

@pytest.mark.parametrize("make_optimizer", [GradientDescent, lambda lr: optim.SGD(lr=lr)])
def test_single_run_matches_hand_written_gd_loop(make_optimizer):
    problem = DiagonalQuadratic()
    x0 = np.array([1.0, -2.0])
    result = run(problem, make_optimizer(0.05), x0, 40, keep_trajectory=True)
    losses, xs = gd_loop(problem, 0.05, x0, 40)
    np.testing.assert_allclose(result.loss[:, 0], losses, rtol=1e-15)
    np.testing.assert_allclose(result.trajectory[:, 0], xs, rtol=1e-15)
    np.testing.assert_allclose(result.x[0], xs[-1], rtol=1e-15)
    np.testing.assert_allclose(result.final_loss[0], problem.loss(xs[-1]), rtol=1e-15)
    np.testing.assert_allclose(result.lr, 0.05)
    np.testing.assert_allclose(result.grad_norm[:, 0],
                               np.linalg.norm(problem.grad(xs[:-1]), axis=1), rtol=1e-14)


def test_gd_on_quadratic_follows_the_closed_form():
    # x_t = (1 − ηλ)^t x_0 coordinate by coordinate
    problem = DiagonalQuadratic((0.5, 3.0))
    lr, steps = 0.3, 25
    result = run(problem, optim.SGD(lr=lr), np.array([2.0, 1.0]), steps, keep_trajectory=True)
    t = np.arange(steps + 1)[:, None]
    expected = (1 - lr * problem.eigenvalues) ** t * np.array([2.0, 1.0])
    np.testing.assert_allclose(result.trajectory[:, 0, :], expected, rtol=1e-12, atol=1e-300)


def test_vectorised_runs_equal_separate_runs():
    problem = DiagonalQuadratic((1.0, 10.0, 0.1))
    lrs = np.geomspace(1e-3, 0.5, 7)
    x0 = np.array([1.0, -1.0, 2.0])
    together = run(problem, optim.Adam(lr=lrs[:, None]), x0, 60, keep_trajectory=True)
    assert together.loss.shape == (60, 7)
    for k, lr in enumerate(lrs):
        alone = run(problem, optim.Adam(lr=lr), x0, 60, keep_trajectory=True)
        np.testing.assert_allclose(together.loss[:, k], alone.loss[:, 0], rtol=1e-14, atol=0)
        np.testing.assert_allclose(together.trajectory[:, k], alone.trajectory[:, 0], rtol=1e-14)
        np.testing.assert_allclose(together.lr[:, k], lr, rtol=0)


def test_several_start_points_with_one_lr():
    problem = DiagonalQuadratic()
    starts = np.array([[1.0, 1.0], [-2.0, 0.5], [0.0, 3.0]])
    result = run(problem, optim.SGD(lr=0.1), starts, 10)
    for k, x0 in enumerate(starts):
        losses, xs = gd_loop(problem, 0.1, x0, 10)
        np.testing.assert_allclose(result.loss[:, k], losses, rtol=1e-15)
        np.testing.assert_allclose(result.x[k], xs[-1], rtol=1e-15)


def test_x0_is_not_modified_and_start_is_repeated_for_an_lr_array():
    x0 = np.array([1.0, 1.0])
    before = x0.copy()
    result = run(DiagonalQuadratic(), GradientDescent(np.array([[0.1], [0.01], [0.001]])), x0, 5)
    np.testing.assert_array_equal(x0, before)
    assert result.x.shape == (3, 2)
    assert result.n_runs == 3


def test_schedule_lr_is_recorded_step_by_step():
    schedule = lambda step: 0.1 * 0.5 ** np.asarray(step, dtype=float)  # noqa: E731
    result = run(DiagonalQuadratic(), optim.SGD(lr=schedule), np.ones(2), 8)
    np.testing.assert_allclose(result.lr[:, 0], schedule(np.arange(8)), rtol=1e-15)


def test_an_optimizer_without_last_lr_leaves_the_lr_record_nan():
    class Bare:
        def step(self, x, grad):
            return x - 0.1 * grad

    result = run(DiagonalQuadratic(), Bare(), np.ones(2), 4)
    assert np.isnan(result.lr).all()
    losses, _ = gd_loop(DiagonalQuadratic(), 0.1, np.ones(2), 4)
    np.testing.assert_allclose(result.loss[:, 0], losses, rtol=1e-15)


# ----------------------------------------------------------------------------------
# records
# ----------------------------------------------------------------------------------

def test_record_shapes():
    problem = LinearLeastSquares(dim=3)
    result = run(problem, optim.SGD(lr=np.array([[0.01], [0.1]])), np.zeros(3), 12,
                 eval_every=5, keep_trajectory=True)
    assert isinstance(result, RunResult)
    for record in (result.loss, result.lr, result.grad_norm):
        assert record.shape == (12, 2)
    assert result.trajectory.shape == (13, 2, 3)
    assert result.x.shape == (2, 3)
    assert result.diverged.shape == result.diverged_at.shape == result.final_loss.shape == (2,)
    assert result.diverged.dtype == bool
    np.testing.assert_array_equal(result.eval_steps, [0, 5, 10, 12])
    for record in (result.train_loss, result.val_loss, result.val_accuracy):
        assert record.shape == (4, 2)
    assert result.steps == result.steps_taken == 12


def test_without_eval_every_and_trajectory_those_records_are_none():
    result = run(DiagonalQuadratic(), optim.SGD(lr=0.1), np.ones(2), 3)
    assert result.eval_steps is None and result.val_loss is None and result.train_loss is None
    assert result.trajectory is None


def test_eval_every_evaluates_the_iterates_at_the_listed_steps():
    problem = LinearLeastSquares()
    result = run(problem, optim.SGD(lr=0.2, momentum=0.5), problem.init(), 9,
                 eval_every=3, keep_trajectory=True)
    np.testing.assert_array_equal(result.eval_steps, [0, 3, 6, 9])
    xs = result.trajectory[result.eval_steps, 0]
    np.testing.assert_allclose(result.val_loss[:, 0], problem.val_loss(xs), rtol=1e-15)
    np.testing.assert_allclose(result.val_accuracy[:, 0], problem.accuracy(xs), rtol=1e-15)
    np.testing.assert_allclose(result.train_loss[:, 0], problem.loss(xs), rtol=1e-15)
    # full batch: the training-loss record at step t is the loss at x_t
    np.testing.assert_allclose(result.train_loss[:-1, 0], result.loss[[0, 3, 6], 0], rtol=1e-15)


def test_eval_every_without_a_validation_set_keeps_only_the_training_loss():
    result = run(DiagonalQuadratic(), optim.SGD(lr=0.1), np.ones(2), 4, eval_every=2)
    assert result.val_loss is None and result.val_accuracy is None
    np.testing.assert_array_equal(result.eval_steps, [0, 2, 4])
    assert result.train_loss.shape == (3, 1)


def test_minibatch_losses_are_on_the_batch_used_and_batches_are_shared():
    problem = LinearLeastSquares(n=10)
    lrs = np.array([[0.05], [0.2]])
    result = run(problem, optim.SGD(lr=lrs), problem.init(), 7, batch_size=4, seed=3,
                 keep_trajectory=True)
    batches = problem.batches(4, 3)
    x = np.tile(problem.init(), (2, 1))
    for t in range(7):
        batch = next(batches)
        np.testing.assert_allclose(result.loss[t], problem.loss(x, batch), rtol=1e-14)
        x = x - lrs * problem.grad(x, batch)
        np.testing.assert_allclose(result.trajectory[t + 1], x, rtol=1e-14)
    # the final loss is on the full training set
    np.testing.assert_allclose(result.final_loss, problem.loss(result.x), rtol=1e-15)


def test_minibatch_seed_changes_the_batches():
    problem = LinearLeastSquares(n=10)
    a = run(problem, optim.SGD(lr=0.1), problem.init(), 5, batch_size=3, seed=0)
    b = run(problem, optim.SGD(lr=0.1), problem.init(), 5, batch_size=3, seed=0)
    c = run(problem, optim.SGD(lr=0.1), problem.init(), 5, batch_size=3, seed=1)
    np.testing.assert_array_equal(a.loss, b.loss)
    assert not np.array_equal(a.loss, c.loss)


def test_curve_and_best_loss():
    result = run(DiagonalQuadratic(), optim.SGD(lr=np.array([[0.1], [0.01]])), np.ones(2), 5)
    np.testing.assert_array_equal(result.curve("loss", k=1), result.loss[:, 1])
    np.testing.assert_array_equal(result.curve("lr"), result.lr[:, 0])
    np.testing.assert_allclose(result.best_loss, result.final_loss)  # GD here only descends
    with pytest.raises(ValueError, match="name must be"):
        result.curve("val_loss")
    with pytest.raises(ValueError, match="name must be one of"):
        result.curve("losses")
    with pytest.raises(ValueError, match=r"k must be an integer in \[-2, 1\]; got 2"):
        result.curve("loss", k=2)


# ----------------------------------------------------------------------------------
# divergence
# ----------------------------------------------------------------------------------

def test_divergence_threshold_formula():
    np.testing.assert_allclose(divergence_threshold(2.0, 1e4), 2e4)
    np.testing.assert_allclose(divergence_threshold(-1.0, 10.0), 8.0)  # L0 + 9·|L0|
    np.testing.assert_allclose(divergence_threshold(0.0, 10.0), 9e-12)  # floor 1e-12
    assert divergence_threshold(3.0, np.inf) == np.inf


def expected_divergence_step(problem, lr, x0, factor):
    """First t with loss(x_t) > factor·loss(x_0) for GD on a diagonal quadratic."""
    t = np.arange(200)[:, None]
    xs = (1 - lr * problem.eigenvalues) ** t * x0
    losses = problem.loss(xs)
    return int(np.flatnonzero(losses > factor * losses[0])[0])


def test_gd_above_two_over_lambda_max_diverges_at_the_expected_step():
    problem = DiagonalQuadratic((1.0, 10.0))     # 2/λ_max = 0.2
    lrs = np.array([0.05, 0.15, 0.199, 0.21, 0.25, 0.4])
    x0 = np.array([1.0, 1.0])
    result = run(problem, optim.SGD(lr=lrs[:, None]), x0, 150)
    np.testing.assert_array_equal(result.diverged, lrs > 0.2)
    for k, lr in enumerate(lrs):
        if lr > 0.2:
            assert result.diverged_at[k] == expected_divergence_step(problem, lr, x0, 1e4)
        else:
            assert result.diverged_at[k] == -1
    # the stable runs are unaffected by the diverged ones
    for k in np.flatnonzero(lrs < 0.2):
        losses, xs = gd_loop(problem, lrs[k], x0, 150)
        np.testing.assert_allclose(result.loss[:, k], losses, rtol=1e-13)
        np.testing.assert_allclose(result.x[k], xs[-1], rtol=1e-13)


def test_diverged_run_is_frozen_and_recorded_as_nan_afterwards():
    problem = DiagonalQuadratic((1.0, 10.0))
    x0 = np.array([1.0, 1.0])
    result = run(problem, optim.SGD(lr=np.array([[0.1], [0.3]])), x0, 30, keep_trajectory=True)
    at = result.diverged_at[1]
    assert at == expected_divergence_step(problem, 0.3, x0, 1e4)
    _, xs = gd_loop(problem, 0.3, x0, at)
    np.testing.assert_allclose(result.x[1], xs[at], rtol=1e-13)              # frozen at x_t
    np.testing.assert_allclose(result.trajectory[at:, 1], np.broadcast_to(xs[at], (31 - at, 2)))
    assert result.loss[at, 1] > 1e4 * result.loss[0, 1]                       # the evidence
    assert np.isnan(result.loss[at + 1:, 1]).all()
    assert np.isnan(result.grad_norm[at + 1:, 1]).all()
    assert np.isfinite(result.loss[:, 0]).all()
    assert np.isnan(result.final_loss[1]) and np.isfinite(result.final_loss[0])
    np.testing.assert_allclose(result.lr[:, 1], 0.3)  # the rate it was assigned


def test_overflow_is_reported_as_divergence_without_warnings():
    # lr = 1e150 overflows to inf in two steps; pytest turns any RuntimeWarning into an error
    problem = DiagonalQuadratic((1.0, 10.0))
    result = run(problem, optim.SGD(lr=np.array([[1e-2], [1e150]])), np.ones(2), 20,
                 divergence_factor=np.inf, keep_trajectory=True)
    assert result.diverged.tolist() == [False, True]
    assert np.isfinite(result.x).all()       # frozen at the last finite iterate
    assert np.isfinite(result.loss[:, 0]).all()


def test_a_run_whose_parameters_overflow_is_frozen_at_the_last_finite_iterate():
    class InfiniteSlope(DiagonalQuadratic):
        """Finite loss everywhere it is evaluated here, but an infinite gradient for x₀ > 0.5."""

        def grad(self, x):
            return np.where(x[..., :1] > 0.5, np.inf, super().grad(x))

    starts = np.array([[0.1, 0.1], [0.2, 0.9], [0.9, 0.1]])
    result = run(InfiniteSlope(), optim.SGD(lr=0.1), starts, 6, keep_trajectory=True)
    assert result.diverged_at.tolist() == [-1, -1, 1]   # x_1 = −inf: loss(x_1) = inf
    np.testing.assert_array_equal(result.x[2], starts[2])  # frozen at x_0, the last finite one
    assert np.isinf(result.loss[1, 2]) and np.isnan(result.loss[2:, 2]).all()
    np.testing.assert_array_equal(result.trajectory[2:, 2], np.broadcast_to(starts[2], (5, 2)))


def test_non_finite_first_loss_diverges_at_step_zero():
    class Overflowing(DiagonalQuadratic):
        def loss(self, x):
            return np.where(x[..., 0] > 5, np.inf, super().loss(x))

    result = run(Overflowing(), optim.SGD(lr=0.1), np.array([[1.0, 1.0], [6.0, 0.0]]), 5)
    assert result.diverged_at.tolist() == [-1, 0]
    np.testing.assert_array_equal(result.x[1], [6.0, 0.0])
    assert result.summary().endswith("1 of 2 runs diverged (first at step 0, at the start point)")


def test_all_runs_diverged_stops_early_with_nan_records():
    problem = DiagonalQuadratic((1.0, 10.0))
    result = run(problem, optim.SGD(lr=np.array([[0.5], [1.0]])), np.ones(2), 100,
                 keep_trajectory=True, eval_every=10)
    last = result.diverged_at.max()
    assert result.steps_taken == last + 1 < 100
    assert np.isnan(result.loss[last + 1:]).all()
    assert np.isnan(result.lr[last:]).all()            # no step taken at or after the last stop
    assert np.isnan(result.val_loss if result.val_loss is not None else result.train_loss[-1]).all()
    assert np.isfinite(result.trajectory).all()
    np.testing.assert_array_equal(result.trajectory[-1], result.x)
    assert "2 of 2 runs diverged" in result.summary()


def test_zero_and_negative_initial_losses_are_not_false_alarms():
    at_minimum = run(DiagonalQuadratic(), optim.SGD(lr=0.1), np.zeros(2), 20)
    assert not at_minimum.diverged.any()
    negative = run(DiagonalQuadratic(offset=-1.0), optim.SGD(lr=0.1), np.ones(2), 20)
    assert not negative.diverged.any()
    assert negative.loss[0, 0] > -1 and negative.final_loss[0] < negative.loss[0, 0]


def test_divergence_of_the_last_iterate_is_detected():
    problem = DiagonalQuadratic((10.0,))
    # |1 − 3| = 2: loss grows 4× per step; with factor 10 it passes 10·L0 at x_2
    result = run(problem, optim.SGD(lr=0.3), np.ones(1), 2, divergence_factor=10)
    assert result.diverged_at[0] == 2
    assert np.isnan(result.final_loss[0])


def test_no_numpy_warnings_even_when_everything_overflows():
    with np.errstate(all="raise"):  # the loop must silence its own arithmetic
        result = run(DiagonalQuadratic(), optim.SGD(lr=1e200), np.ones(2), 10,
                     divergence_factor=np.inf)
    assert result.diverged[0]


# ----------------------------------------------------------------------------------
# clipping
# ----------------------------------------------------------------------------------

# (gradient, max_norm, clipped gradient) from torch.nn.utils.clip_grad_norm_, float64
TORCH_CLIP_NORM = [
    ([3.0, -4.0], 2.5, [1.49999970000006, -1.99999960000008]),
    ([3.0, -4.0], 10.0, [3.0, -4.0]),
    ([3.0, -4.0], 5.0, [2.99999940000012, -3.99999920000016]),  # even at the norm: ε
    ([0.3, 0.4], 0.5, [0.29999940000119996, 0.3999992000016]),
    ([1e-7, 0.0], 1e-7, [9.090909090909089e-09, 0.0]),
]


@pytest.mark.parametrize("grad, max_norm, expected", TORCH_CLIP_NORM)
def test_clip_by_norm_matches_torch(grad, max_norm, expected):
    clipped, norms = clip_by_norm(np.array([grad]), max_norm)
    np.testing.assert_allclose(clipped[0], expected, rtol=1e-15)
    np.testing.assert_allclose(norms, [np.linalg.norm(grad)], rtol=1e-15)


def test_clip_by_value_matches_torch():
    # torch.nn.utils.clip_grad_value_ with clip_value=1.0
    np.testing.assert_array_equal(clip_by_value(np.array([[3.0, -4.0, 0.5]]), 1.0),
                                  [[1.0, -1.0, 0.5]])


def test_run_clips_per_run_by_norm_and_records_the_norm_before_clipping():
    problem = DiagonalQuadratic((1.0, 10.0))
    starts = np.array([[3.0, 0.4], [0.01, 0.0]])   # gradient norms 5 and 0.01
    optimizer = GradientDescent(0.1)
    result = run(problem, optimizer, starts, 1, clip_norm=1.0)
    g = problem.grad(starts)
    norms = np.linalg.norm(g, axis=1)
    np.testing.assert_allclose(result.grad_norm[0], norms, rtol=1e-15)
    expected = g * np.minimum(1.0, 1.0 / (norms + 1e-6))[:, None]
    np.testing.assert_allclose(optimizer.received[0], expected, rtol=1e-15)
    np.testing.assert_array_equal(optimizer.received[0][1], g[1])  # small one untouched


def test_run_clips_by_value():
    problem = DiagonalQuadratic((1.0, 10.0))
    optimizer = GradientDescent(0.01)
    run(problem, optimizer, np.array([0.5, 1.0]), 1, clip_value=2.0)
    np.testing.assert_array_equal(optimizer.received[0], [[0.5, 2.0]])


def test_clipping_tames_a_rate_that_otherwise_diverges():
    problem = DiagonalQuadratic((1.0, 10.0))
    plain = run(problem, optim.SGD(lr=0.21), np.full(2, 100.0), 40, divergence_factor=10)
    clipped = run(problem, optim.SGD(lr=0.21), np.full(2, 100.0), 40, divergence_factor=10,
                  clip_norm=1.0)
    assert plain.diverged[0] and not clipped.diverged[0]


# ----------------------------------------------------------------------------------
# summary and repr
# ----------------------------------------------------------------------------------

def test_summary_names_the_first_divergence_and_its_lr():
    problem = DiagonalQuadratic((1.0, 10.0))
    lrs = np.array([0.05, 0.1, 0.25, 0.5])
    result = run(problem, optim.SGD(lr=lrs[:, None]), np.ones(2), 50)
    first = expected_divergence_step(problem, 0.5, np.ones(2), 1e4)
    text = result.summary()
    assert f"2 of 4 runs diverged (first at step {first}, lr=0.5)" in text
    assert repr(result).startswith("RunResult(4 runs × 50 steps on diagonal quadratic")
    single = run(problem, optim.SGD(lr=0.1), np.ones(2), 5)
    assert "did not diverge" in single.summary() and "final loss" in single.summary()


# ----------------------------------------------------------------------------------
# argument validation: every bad input names its parameter
# ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(steps=0), ValueError, r"steps must be an integer in \[1, 1000000\]; got 0"),
    (dict(steps=2.5), TypeError, r"steps must be an integer in \[1, 1000000\]; got 2.5"),
    (dict(steps=10**9), ValueError, r"steps must be an integer in \[1, 1000000\]; got 1000000000"),
    (dict(steps=10**6, x0=np.ones((2000, 2))), ValueError,
     r"steps must be an integer ≤ 44739 for 2000 run\(s\) of dimension 2; got 1000000\. the records would take 44\.7 GiB \(the limit is 2 GiB\)"),
    (dict(batch_size=0), ValueError, "batch_size must be"),
    (dict(seed=-1), ValueError, "seed must be a non-negative integer"),
    (dict(clip_norm=0.0), ValueError, "clip_norm must be a positive finite number; got 0.0"),
    (dict(clip_value=-1.0), ValueError, "clip_value must be a positive finite number"),
    (dict(clip_norm=1.0, clip_value=1.0), ValueError, "clip_value must be None when clip_norm"),
    (dict(divergence_factor=1.0), ValueError, "divergence_factor must be a finite number > 1, or np.inf"),
    (dict(divergence_factor="big"), TypeError, "divergence_factor must be"),
    (dict(eval_every=0), ValueError, "eval_every must be a positive integer"),
    (dict(keep_trajectory="yes"), TypeError, "keep_trajectory must be True or False"),
    (dict(x0=np.ones(3)), ValueError, r"x0 must be an array of shape \(2,\) or \(K, 2\)"),
    (dict(x0=np.array([1.0, np.nan])), ValueError, "x0 must be finite"),
    (dict(x0="start"), TypeError, "x0 must be an array of real numbers"),
])
def test_bad_arguments_raise_naming_the_parameter(kwargs, error, pattern):
    arguments = dict(problem=DiagonalQuadratic(), optimizer=optim.SGD(lr=0.1), x0=np.ones(2),
                     steps=3)
    arguments.update(kwargs)
    with pytest.raises(error, match=pattern):
        run(**arguments)


def test_batch_size_needs_a_problem_with_batches():
    with pytest.raises(ValueError, match="batch_size must be None for a problem without mini-batches"):
        run(DiagonalQuadratic(), optim.SGD(lr=0.1), np.ones(2), 3, batch_size=2)


def test_bad_problem_and_optimizer_raise_type_errors():
    with pytest.raises(TypeError, match="problem must be an object with loss"):
        run(object(), optim.SGD(lr=0.1), np.ones(2), 3)
    with pytest.raises(TypeError, match="optimizer must be an object with a step"):
        run(DiagonalQuadratic(), object(), np.ones(2), 3)


def test_x0_rows_must_match_the_number_of_learning_rates():
    with pytest.raises(ValueError, match=re.escape("x0 must be an array with 3 rows")):
        run(DiagonalQuadratic(), optim.SGD(lr=np.full((3, 1), 0.1)), np.ones((2, 2)), 3)


# ----------------------------------------------------------------------------------
# the real problems
# ----------------------------------------------------------------------------------

def test_rotated_quadratic_diverges_exactly_above_its_stability_limit():
    from lrcourse.problems import Quadratic

    problem = Quadratic([1.0, 10.0], angle=0.4, center=[0.5, -1.0])
    limit = problem.stability_limit
    lrs = np.array([0.5, 0.9, 0.99, 1.05, 1.3]) * limit
    x0 = problem.init()
    result = run(problem, optim.SGD(lr=lrs[:, None]), x0, 200)
    np.testing.assert_array_equal(result.diverged, lrs > limit)
    for k, lr in enumerate(lrs):
        losses, xs = gd_loop(problem, lr, x0, 200)
        over = np.flatnonzero(~(losses <= 1e4 * losses[0]))
        if lr > limit:
            assert result.diverged_at[k] == over[0]
            np.testing.assert_allclose(result.loss[: over[0] + 1, k], losses[: over[0] + 1], rtol=1e-12)
        else:
            np.testing.assert_allclose(result.loss[:, k], losses, rtol=1e-12, atol=1e-300)


def test_drop_last_runs_on_full_batches_only():
    from lrcourse.problems import SoftmaxRegression

    problem, size, epochs = SoftmaxRegression(), 64, 3
    steps = epochs * problem.steps_per_epoch(size, drop_last=True)
    assert steps == epochs * (problem.n_train // size) == 63
    lrs = np.array([[0.2], [0.8]])
    result = run(problem, optim.SGD(lr=lrs), problem.init(), steps, batch_size=size, seed=1, drop_last=True)
    x, batches = np.tile(problem.init(), (2, 1)), problem.batches(size, 1, drop_last=True)
    for t in range(steps):  # the same steps by hand: every batch has exactly B rows
        batch = next(batches)
        assert batch.size == size
        np.testing.assert_array_equal(result.loss[t], problem.loss(x, batch))
        x = x - lrs * problem.grad(x, batch)
    np.testing.assert_array_equal(result.x, x)
    kept = run(problem, optim.SGD(lr=lrs), problem.init(), steps, batch_size=size, seed=1)
    assert not np.array_equal(kept.x, result.x)    # 1347 = 21·64 + 3: the 3-example batch is step 22


def test_drop_last_false_is_bit_identical_to_the_default():
    from lrcourse.problems import SoftmaxRegression

    problem = SoftmaxRegression()
    lrs = np.array([[0.1], [0.5]])
    steps = 2 * problem.steps_per_epoch(100) + 1    # across two epoch ends (14 steps, the last of 47)
    default = run(problem, optim.SGD(lr=lrs, momentum=0.9), problem.init(), steps, batch_size=100, seed=3,
                  eval_every=5)
    explicit = run(problem, optim.SGD(lr=lrs, momentum=0.9), problem.init(), steps, batch_size=100, seed=3,
                   eval_every=5, drop_last=False)
    for name in ("loss", "grad_norm", "lr", "x", "final_loss", "train_loss", "val_loss"):
        np.testing.assert_array_equal(getattr(explicit, name), getattr(default, name))
    x, rng = np.tile(problem.init(), (2, 1)), np.random.default_rng(3)   # the batches as before drop_last
    velocity = np.zeros_like(x)
    for order in (rng.permutation(problem.n_train) for _ in range(3)):
        for start in range(0, problem.n_train, 100):
            if steps == 0:
                break
            velocity = 0.9 * velocity + problem.grad(x, order[start:start + 100])
            x, steps = x - lrs * velocity, steps - 1
    np.testing.assert_allclose(default.x, x, rtol=0, atol=1e-12)


def test_drop_last_is_validated_by_run():
    from lrcourse.problems import SoftmaxRegression

    with pytest.raises(TypeError, match="^drop_last must be True or False; got 1"):
        run(SoftmaxRegression(), optim.SGD(lr=0.1), np.zeros(650), 3, batch_size=8, drop_last=1)
    with pytest.raises(ValueError, match=r"^drop_last must be False with full-batch gradients \(batch_size=None\)"):
        run(SoftmaxRegression(), optim.SGD(lr=0.1), np.zeros(650), 3, drop_last=True)
    problem = LinearLeastSquares()                 # its batches(batch_size, seed) has no drop_last
    with pytest.raises(ValueError, match="^drop_last must be False for a problem whose batches"):
        run(problem, optim.SGD(lr=0.1), problem.init(), 3, batch_size=4, drop_last=True)
    run(problem, optim.SGD(lr=0.1), problem.init(), 3, batch_size=4, drop_last=False)   # still fine


def test_digits_softmax_minibatch_run():
    from lrcourse.problems import SoftmaxRegression

    problem = SoftmaxRegression()
    lrs = np.array([0.1, 1.0, 3.0])
    x0 = problem.init()
    result = run(problem, optim.SGD(lr=lrs[:, None], momentum=0.9), x0, 30, batch_size=64,
                 seed=5, eval_every=10)
    first_batch = next(iter(problem.batches(64, 5)))
    np.testing.assert_allclose(result.loss[0], problem.loss(x0, first_batch), rtol=1e-12)
    for k, lr in enumerate(lrs):  # the K runs are one stacked product: same as alone
        alone = run(problem, optim.SGD(lr=lr, momentum=0.9), x0, 30, batch_size=64, seed=5)
        np.testing.assert_allclose(result.loss[:, k], alone.loss[:, 0], rtol=1e-10)
        np.testing.assert_allclose(result.x[k], alone.x[0], rtol=1e-9, atol=1e-12)
    np.testing.assert_array_equal(result.eval_steps, [0, 10, 20, 30])
    np.testing.assert_allclose(result.val_loss[-1], problem.val_loss(result.x), rtol=1e-12)
    np.testing.assert_allclose(result.val_accuracy[-1], problem.accuracy(result.x), rtol=1e-12)
    np.testing.assert_allclose(result.val_loss[0], np.log(10), rtol=1e-12)
    assert (result.val_accuracy[-1] > 0.8).all()
    assert not result.diverged.any()


def test_a_schedule_returning_one_lr_per_run_repeats_a_single_start_point():
    from lrcourse import optim, problems

    quadratic = problems.Quadratic([1.0, 4.0])
    peaks = np.array([0.05, 0.1, 0.2])
    schedule = lambda k: peaks[:, None] * 0.5 ** (np.asarray(k) // 10)  # noqa: E731
    together = run(quadratic, optim.SGD(lr=schedule), quadratic.init(), 30)
    assert together.loss.shape == (30, 3)
    for k, peak in enumerate(peaks):
        alone = run(quadratic, optim.SGD(lr=lambda t, p=peak: p * 0.5 ** (t // 10)), quadratic.init(), 30)
        np.testing.assert_allclose(together.loss[:, k], alone.loss[:, 0], rtol=1e-12)


@pytest.mark.parametrize("initial_loss", [np.nan, np.inf, -np.inf, [1.0, np.nan]])
def test_divergence_threshold_refuses_a_non_finite_start_loss(initial_loss):
    with pytest.raises(ValueError, match="initial_loss must be an array of finite real numbers"):
        divergence_threshold(initial_loss, 10.0)


def test_a_run_starting_at_a_non_finite_loss_still_stops_at_once():
    # run() itself meets non-finite start losses and uses the unchecked threshold
    class Blown(DiagonalQuadratic):
        def loss(self, x):
            return np.full(np.shape(x)[:-1], np.inf)

    result = run(Blown(), optim.SGD(lr=0.1), np.ones(2), 5)
    assert result.diverged.all() and result.steps_taken == 1


def test_at_training_loss_reads_every_run_at_the_same_training_loss():
    """Interpolated in log(training loss) between the evaluations around the target."""
    from lrcourse.train import at_training_loss
    loss = np.array([0.4, 0.2, 0.05, 0.01])
    step, val, acc = at_training_loss(loss, [0, 10, 20, 30], 0.1, [4.0, 3.0, 2.0, 1.0], [0.5, 0.6, 0.7, 0.8])
    assert (step, val, acc) == pytest.approx((15.0, 2.5, 0.65))
    assert at_training_loss(loss, [0, 10, 20, 30], 0.001) is None      # never gets there
    assert at_training_loss(loss, [0, 10, 20, 30], 0.5) is None        # there at the first evaluation
    with pytest.raises(ValueError, match=r"values\[0\] must be one entry per evaluation"):
        at_training_loss(loss, [0, 10, 20, 30], 0.1, [1.0, 2.0])
    with pytest.raises(ValueError, match="target must be"):
        at_training_loss(loss, [0, 10, 20, 30], -1.0)
