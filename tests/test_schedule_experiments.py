"""lrcourse.schedule_experiments: the sign test against scipy, paired counts, valleys."""

import numpy as np
import pytest
from scipy.stats import binomtest

from lrcourse.problems import WavyValley
from lrcourse.schedule_experiments import PairedComparison, paired_comparison, settled_valley, sign_test_p_value


@pytest.mark.parametrize("n", [1, 2, 5, 6, 11, 30, 61])
def test_sign_test_matches_scipy_binomtest(n):
    for wins in range(n + 1):
        assert sign_test_p_value(wins, n) == pytest.approx(binomtest(wins, n, 0.5).pvalue, rel=1e-12)


def test_sign_test_is_exact_past_the_float_range_of_2_to_the_n():
    # 2.0 ** 1024 overflows; the exact integer sum does not (scipy as the oracle)
    for wins, n in [(500, 1024), (0, 1100), (550, 1100), (480, 1100), (4900, 10_000)]:
        assert sign_test_p_value(wins, n) == pytest.approx(binomtest(wins, n, 0.5).pvalue, rel=1e-12)
    assert sign_test_p_value(0, 1060) == 2.0 ** -1059     # a subnormal float, not an overflow or 0
    result = paired_comparison(np.arange(1100.0) + 1, np.arange(1100.0) + 2)
    assert result.wins == 1100 and result.p_value == 0.0  # 2**-1099 is below the smallest float


def test_sign_test_edge_cases():
    assert sign_test_p_value(0, 0) == 1.0
    assert sign_test_p_value(5, 5) == pytest.approx(1 / 16)
    assert sign_test_p_value(6, 6) == pytest.approx(1 / 32)


@pytest.mark.parametrize("wins, n, name", [(3, 2, "wins"), (-1, 4, "wins"), (1, -1, "n"), (1.5, 4, "wins"),
                                           (1, 10**6, r"n must be an integer in \[0, 100000\]; got 1000000")])
def test_sign_test_refuses_bad_counts(wins, n, name):
    with pytest.raises((ValueError, TypeError), match=name):
        sign_test_p_value(wins, n)


def test_paired_counts_ties_and_ratio():
    result = paired_comparison([1.0, 2.0, 3.0, 5.0], [2.0, 2.0, 1.0, 10.0])
    assert (result.wins, result.losses, result.ties, result.n) == (2, 1, 1, 4)
    assert result.median_ratio == pytest.approx(np.median([0.5, 1.0, 3.0, 0.5]))
    assert result.p_value == pytest.approx(binomtest(2, 3, 0.5).pvalue)
    assert result.verdict == "undecided"


def test_paired_nan_is_a_diverged_run():
    result = paired_comparison([np.nan, 1.0, np.nan], [1.0, np.nan, np.nan])
    assert (result.wins, result.losses, result.ties) == (1, 1, 1)
    assert np.isnan(result.median_ratio)


def test_paired_verdicts_both_ways_and_alpha():
    a, b = np.arange(1.0, 9.0), np.arange(2.0, 10.0)
    assert paired_comparison(a, b).verdict == "A lower"
    assert paired_comparison(b, a).verdict == "B lower"
    assert paired_comparison(a, b, alpha=1e-3).verdict == "undecided"   # p = 2/256
    assert isinstance(paired_comparison(a, b), PairedComparison)
    assert "8 of 8 seeds" in str(paired_comparison(a, b))


def test_paired_any_shape():
    a = np.ones((3, 4))
    assert paired_comparison(a, 2 * a).wins == 12


@pytest.mark.parametrize("a, b, alpha, error, words", [
    ([1.0, 2.0], [1.0], 0.05, ValueError, "shape of a"),
    ([], [], 0.05, ValueError, "non-empty"),
    (["x"], [1.0], 0.05, TypeError, "a must be an array of real numbers"),
    ([1.0], [1.0], 0.0, ValueError, "alpha must be a number in \\(0, 1\\)"),
    ([1.0], [1.0], 1.5, ValueError, "alpha"),
])
def test_paired_refuses_bad_input(a, b, alpha, error, words):
    with pytest.raises(error, match=words):
        paired_comparison(a, b, alpha=alpha)


def test_settled_valley_on_wavy_valley():
    valley = WavyValley()
    minima = valley.local_minima
    x = np.array([minima[1] + 1e-4, minima[4] - 5e-4, 0.5 * (minima[2] + minima[3]), np.nan])
    assert settled_valley(valley, x).tolist() == [1, 4, -1, -1]
    assert settled_valley(valley, x[:, None]).tolist() == [1, 4, -1, -1]
    assert settled_valley(valley, x, tol=1e-5).tolist() == [-1, -1, -1, -1]


def test_settled_valley_refuses_bad_input():
    valley = WavyValley()
    with pytest.raises(TypeError, match="problem must be a 1-D problem with a local_minima"):
        settled_valley(object(), [0.0])
    with pytest.raises(ValueError, match="x must be an array of shape \\(K,\\) or \\(K, 1\\)"):
        settled_valley(valley, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="tol must be a positive"):
        settled_valley(valley, [0.0], tol=0)


# ---------------------------------------------------------------- BatchOrders

from lrcourse.optim import SGD, Adam                      # noqa: E402
from lrcourse.problems import MLP, SoftmaxRegression     # noqa: E402
from lrcourse.schedule_experiments import BatchOrders     # noqa: E402
from lrcourse.train import run                            # noqa: E402


@pytest.mark.parametrize("make, optimizer", [(SoftmaxRegression, lambda lr: Adam(lr=lr)),
                                             (lambda: MLP(hidden=4), lambda lr: SGD(lr=lr, momentum=0.9))])
def test_batch_orders_equal_separate_runs(make, optimizer):
    """Group g of one grouped run is exactly run(..., seed=seed + g)."""
    problem = make()
    lrs = np.array([[0.05], [0.3]])
    x0 = np.stack([problem.init(seed=1), problem.init(seed=2)])
    groups, seed = 3, 4
    grouped = run(BatchOrders(problem, groups), optimizer(np.tile(lrs, (groups, 1))), np.tile(x0, (groups, 1)),
                  25, batch_size=16, seed=seed)
    for g in range(groups):
        alone = run(problem, optimizer(lrs), x0, 25, batch_size=16, seed=seed + g)
        np.testing.assert_allclose(grouped.final_loss[2 * g:2 * g + 2], alone.final_loss, rtol=1e-10)
        np.testing.assert_allclose(grouped.loss[:, 2 * g:2 * g + 2], alone.loss, rtol=1e-10)


def test_batch_orders_full_loss_is_the_problem_s():
    problem = SoftmaxRegression()
    x = np.zeros((4, problem.dim))
    wrapped = BatchOrders(problem, 2)
    np.testing.assert_array_equal(wrapped.loss(x), problem.loss(x))
    np.testing.assert_array_equal(wrapped.grad(x), problem.grad(x))
    batch = next(wrapped.batches(8, seed=0))
    assert len(batch) == 2 and all(len(b) == 8 for b in batch)
    assert not np.array_equal(batch[0], batch[1])
    np.testing.assert_array_equal(batch[0], next(iter(problem.batches(8, seed=0))))
    np.testing.assert_array_equal(wrapped.loss(x, batch)[2:], problem.loss(x[2:], batch[1]))
    np.testing.assert_array_equal(wrapped.grad(x, batch)[:2], problem.grad(x[:2], batch[0]))
    assert "2 batch orders" in wrapped.name and wrapped.dim == problem.dim
    assert "n_groups=2" in repr(wrapped)


def test_batch_orders_refuses_bad_input():
    problem = SoftmaxRegression()
    with pytest.raises(TypeError, match="problem must be a problem instance with mini-batches"):
        BatchOrders(object(), 2)
    with pytest.raises(TypeError, match="problem must be"):
        BatchOrders(SoftmaxRegression, 2)
    with pytest.raises(ValueError, match=r"n_groups must be an integer in \[1, 100000\]; got 0"):
        BatchOrders(problem, 0)
    wrapped = BatchOrders(problem, 2)
    batch = next(wrapped.batches(8))
    with pytest.raises(ValueError, match="x must be an array of shape \\(K, 650\\) with K a multiple of n_groups = 2"):
        wrapped.loss(np.zeros((3, problem.dim)), batch)
    with pytest.raises(ValueError, match="batch must be a tuple of 2 batches"):
        wrapped.loss(np.zeros((2, problem.dim)), batch[:1])
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        next(wrapped.batches(8, seed=-1))


def test_peak_sweep_layout_matches_per_run_blocks():
    from lrcourse import schedules
    from lrcourse.schedule_experiments import PeakSweep
    shapes = {"constant": schedules.constant(1.0), "cosine": schedules.cosine(1.0, T_max=10)}
    sweep = PeakSweep(shapes, {"constant": [0.1, 0.2], "cosine": [0.2, 0.4, 0.8]}, tile=3)
    assert sweep.runs == 15
    k = np.arange(10)
    block = np.concatenate([0.1 * shapes["constant"](k)[None], 0.2 * shapes["constant"](k)[None],
                            schedules.per_run([shapes["cosine"]], scale=[0.2, 0.4, 0.8])(k)])
    np.testing.assert_allclose(sweep.rates(k), np.tile(block, (3, 1)), rtol=1e-15)
    values = np.arange(15.0)
    parts = sweep.split(values)
    assert parts["constant"].tolist() == [[0, 1], [5, 6], [10, 11]]
    assert parts["cosine"].shape == (3, 3)


def test_peak_sweep_best_and_edges_with_nan():
    from lrcourse import schedules
    from lrcourse.schedule_experiments import PeakSweep
    sweep = PeakSweep({"a": schedules.constant(1.0)}, {"a": [0.1, 0.2, 0.4]}, tile=3)
    values = np.array([3.0, 1.0, 2.0,        # group 0: best inside (0.2)
                       1.0, 2.0, np.nan,     # group 1: best at the bottom edge; NaN never best
                       np.nan, np.nan, np.nan])   # group 2: all diverged
    best, peak = sweep.best(values)["a"]
    assert best[:2].tolist() == [1.0, 1.0] and np.isnan(best[2])
    assert peak[:2].tolist() == [0.2, 0.1] and np.isnan(peak[2])
    assert sweep.at_edge(values) == {"a": 1}


@pytest.mark.parametrize("shapes, peaks, tile, message", [
    ([], {}, 1, "shapes"),
    ({"a": 1.0}, {"a": [0.1]}, 1, r"shapes\['a'\]"),
    ({"a": np.cos}, {"b": [0.1]}, 1, "peaks"),
    ({"a": np.cos}, {"a": [0.2, 0.1]}, 1, "increasing positive"),
    ({"a": np.cos}, {"a": [0.0, 0.1]}, 1, "increasing positive"),
    ({"a": np.cos}, {"a": [[0.1]]}, 1, "1-D"),
    ({"a": np.cos}, {"a": [0.1]}, 0, "tile"),
])
def test_peak_sweep_refuses_bad_arguments(shapes, peaks, tile, message):
    from lrcourse.schedule_experiments import PeakSweep
    with pytest.raises((ValueError, TypeError), match=message):
        PeakSweep(shapes, peaks, tile=tile)


def test_peak_sweep_split_refuses_wrong_length():
    from lrcourse import schedules
    from lrcourse.schedule_experiments import PeakSweep
    sweep = PeakSweep({"a": schedules.constant(1.0)}, {"a": [0.1, 0.2]}, tile=2)
    with pytest.raises(ValueError, match=r"shape \(4,\)"):
        sweep.split(np.zeros(3))


def test_peak_sweep_reads_another_value_at_the_best_peak():
    from lrcourse import schedules
    from lrcourse.schedule_experiments import PeakSweep
    sweep = PeakSweep({"a": schedules.constant(1.0), "b": schedules.constant(1.0)},
                      {"a": [0.1, 0.2], "b": [0.3]}, tile=2)
    loss = np.array([2.0, 1.0, 5.0, np.nan, 3.0, np.nan])
    accuracy = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4])
    chosen = sweep.at_best(loss, accuracy)
    assert chosen["a"].tolist() == [0.8, 0.5]        # the accuracy at the lowest loss, not the highest accuracy
    assert chosen["b"][0] == 0.7 and np.isnan(chosen["b"][1])


def test_peak_sweep_takes_shapes_that_refuse_steps_past_their_run():
    # one_cycle refuses steps ≥ total_steps; the sweep must not probe it beyond the run
    from lrcourse import schedules
    from lrcourse.schedule_experiments import PeakSweep
    shape = schedules.one_cycle(1.0, total_steps=50)
    sweep = PeakSweep({"one-cycle": shape, "plain": lambda k: 0.5 + 0 * np.asarray(k)},
                      {"one-cycle": [0.1, 0.4], "plain": [1.0]}, tile=2)
    k = np.arange(50)
    np.testing.assert_allclose(sweep.rates(k)[:2], np.array([0.1, 0.4])[:, None] * shape(k), rtol=1e-15)
    np.testing.assert_allclose(sweep.rates(k)[2], 0.5)


def test_peak_sweep_still_probes_plain_shapes_for_vectorisation():
    from lrcourse.schedule_experiments import PeakSweep
    with pytest.raises(ValueError, match=r"^shapes\['bad'\] must be a vectorised schedule"):
        PeakSweep({"bad": lambda k: 1.0 if k < 5 else 0.5}, {"bad": [0.1]})
