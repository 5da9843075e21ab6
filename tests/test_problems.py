"""Tests of lrcourse.problems: gradients against finite differences, the batch axis,
closed-form facts about quadratics, critical points of the landscapes, the digits
models against an independent per-example implementation, and argument checks."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from lrcourse.data import digits
from lrcourse.problems import MLP, Problem, Quadratic, Rosenbrock, SoftmaxRegression, WavyValley

RNG = np.random.default_rng(20240611)


# --------------------------------------------------------------------------- fixtures
def _problems():
    return {
        "quadratic-1d": Quadratic([2.0], center=[0.5]),
        "quadratic-2d-angle": Quadratic.ill_conditioned_2d(kappa=25.0, angle=0.3),
        "quadratic-5d-random": Quadratic.random(5, kappa=100.0, seed=3),
        "quadratic-3d-center": Quadratic([1.0, 3.0, 0.2], center=[1.0, -2.0, 0.5]),
        "rosenbrock": Rosenbrock(),
        "rosenbrock-a-b": Rosenbrock(a=-0.5, b=10.0),
        "wavy": WavyValley(),
        "softmax": SoftmaxRegression(),
        "softmax-l2": SoftmaxRegression(l2=0.05),
        "mlp-tanh-l2": MLP(hidden=8, l2=0.02, activation="tanh"),
        "mlp-relu": MLP(hidden=8),
    }


PROBLEMS = _problems()
MODELS = {name: p for name, p in PROBLEMS.items() if name.startswith(("softmax", "mlp"))}


def _point(problem, scale=0.5, seed=0):
    """A random point near the problem's start (models: weights of the init's size)."""
    rng = np.random.default_rng(seed)
    return problem.init() + scale * rng.standard_normal(problem.dim)


def _points(problem, k=3, scale=0.5):
    return np.stack([_point(problem, scale, seed) for seed in range(k)])


def _directional_fd(loss, x, direction, h):
    """Central difference of ``loss`` along ``direction`` (per row when batched)."""
    return (loss(x + h * direction) - loss(x - h * direction)) / (2 * h)


# ------------------------------------------------------------------ common interface
@pytest.mark.parametrize("name", PROBLEMS)
def test_interface(name):
    problem = PROBLEMS[name]
    assert isinstance(problem, Problem)
    assert isinstance(problem.dim, int) and problem.dim >= 1
    assert isinstance(problem.name, str) and problem.name
    x0 = problem.init()
    assert x0.shape == (problem.dim,) and x0.dtype == np.float64 and np.all(np.isfinite(x0))
    np.testing.assert_array_equal(problem.init(seed=0), x0)
    loss = problem.loss(x0)
    assert np.shape(loss) == () and np.isfinite(loss)
    assert problem.grad(x0).shape == (problem.dim,)
    assert name in repr(problem) or type(problem).__name__ in repr(problem)


@pytest.mark.parametrize("name", [n for n in PROBLEMS if n not in MODELS])
def test_gradient_matches_central_differences_every_coordinate(name):
    problem = PROBLEMS[name]
    for seed in range(3):
        x = _point(problem, seed=seed)
        g = problem.grad(x)
        h = 1e-5
        fd = np.array([_directional_fd(problem.loss, x, e, h) for e in np.eye(problem.dim)])
        assert np.linalg.norm(fd - g) <= 1e-6 * np.linalg.norm(g)


@pytest.mark.parametrize("name", PROBLEMS)
def test_gradient_matches_central_differences_batched(name):
    problem = PROBLEMS[name]
    x = _points(problem, k=3)
    directions = RNG.standard_normal(x.shape)
    g = problem.grad(x)
    assert g.shape == (3, problem.dim)
    fd = _directional_fd(problem.loss, x, directions, 1e-6)
    exact = np.sum(g * directions, axis=-1)
    np.testing.assert_allclose(fd, exact, rtol=1e-6, atol=0)


@pytest.mark.parametrize("name", MODELS)
def test_model_gradient_on_sampled_coordinates(name):
    problem = MODELS[name]
    x = _point(problem, scale=0.1, seed=7)
    g = problem.grad(x)
    # a few coordinates of every parameter block: first and last weight, a bias
    coordinates = sorted({0, 1, problem.dim // 3, problem.dim // 2, problem.dim - 11, problem.dim - 1})
    for i in coordinates:
        e = np.zeros(problem.dim)
        e[i] = 1.0
        fd = _directional_fd(problem.loss, x, e, 1e-5)
        assert abs(fd - g[i]) <= 1e-6 * max(abs(g[i]), 1e-3 * np.abs(g).max()), i


@pytest.mark.parametrize("name", MODELS)
def test_model_gradient_on_a_mini_batch(name):
    problem = MODELS[name]
    batch = np.array([5, 17, 17, 300, problem.n_train - 1])
    x = _point(problem, scale=0.1, seed=1)
    direction = RNG.standard_normal(problem.dim)
    fd = _directional_fd(lambda z: problem.loss(z, batch), x, direction, 1e-6)
    np.testing.assert_allclose(fd, problem.grad(x, batch) @ direction, rtol=1e-6)


@pytest.mark.parametrize("name", PROBLEMS)
def test_batched_evaluation_equals_row_by_row(name):
    problem = PROBLEMS[name]
    x = _points(problem, k=4)
    losses, grads = problem.loss(x), problem.grad(x)
    assert losses.shape == (4,) and grads.shape == (4, problem.dim)
    for k in range(4):
        np.testing.assert_allclose(losses[k], problem.loss(x[k]), rtol=1e-13, atol=1e-15)
        np.testing.assert_allclose(grads[k], problem.grad(x[k]), rtol=1e-12, atol=1e-15)
    grid = x.reshape(2, 2, problem.dim)
    np.testing.assert_allclose(problem.loss(grid), losses.reshape(2, 2), rtol=1e-13)
    np.testing.assert_allclose(problem.grad(grid), grads.reshape(2, 2, problem.dim), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", PROBLEMS)
def test_an_empty_batch_of_runs_gives_empty_results(name):
    problem = PROBLEMS[name]
    loss, grad = problem.loss_and_grad(np.zeros((0, problem.dim)))
    assert loss.shape == (0,) and grad.shape == (0, problem.dim)


@pytest.mark.parametrize("name", PROBLEMS)
def test_loss_and_grad_agrees_with_loss_and_grad(name):
    problem = PROBLEMS[name]
    x = _points(problem, k=2)
    loss, grad = problem.loss_and_grad(x)
    np.testing.assert_allclose(loss, problem.loss(x), rtol=1e-14)
    np.testing.assert_allclose(grad, problem.grad(x), rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("name", PROBLEMS)
def test_inputs_are_never_modified_and_read_only_inputs_work(name):
    problem = PROBLEMS[name]
    x = _points(problem, k=2)
    kept = x.copy()
    x.setflags(write=False)
    problem.loss(x), problem.grad(x), problem.loss_and_grad(x)
    np.testing.assert_array_equal(x, kept)
    # a result never aliases the input
    assert not np.shares_memory(problem.grad(x), x)


@pytest.mark.parametrize("name", PROBLEMS)
def test_lists_and_integer_arrays_are_accepted(name):
    problem = PROBLEMS[name]
    x = np.ones(problem.dim, dtype=int)
    assert problem.loss(x) == problem.loss(x.astype(float)) == problem.loss(x.tolist())
    assert problem.grad(x).dtype == np.float64


@pytest.mark.parametrize("name", PROBLEMS)
def test_wrong_last_axis_is_rejected_with_x_shape_and_dim(name):
    problem = PROBLEMS[name]
    bad = np.zeros((3, problem.dim + 1))
    for method in (problem.loss, problem.grad, problem.loss_and_grad):
        with pytest.raises(ValueError, match=rf"^x must be an array of shape \(\.\.\., {problem.dim}\).*got shape \(3, {problem.dim + 1}\)"):
            method(bad)
    with pytest.raises(ValueError, match="^x must be"):
        problem.loss(1.5)
    with pytest.raises(TypeError, match="^x must be an array of real numbers"):
        problem.loss(["a"] * problem.dim)


def test_one_dimensional_problems_hint_at_the_trailing_axis():
    with pytest.raises(ValueError, match=r"x\[\.\.\., None\]"):
        WavyValley().loss(np.linspace(-1, 1, 5))


@pytest.mark.parametrize("name", PROBLEMS)
def test_diverged_points_give_non_finite_values_without_warnings(name):
    # pytest turns RuntimeWarning into errors: none may escape.
    problem = PROBLEMS[name]
    x = np.stack([np.full(problem.dim, 1e200), np.full(problem.dim, np.inf), np.full(problem.dim, np.nan)])
    loss, grad = problem.loss_and_grad(x)
    assert loss.shape == (3,) and grad.shape == (3, problem.dim)
    assert np.isnan(loss[2])


@pytest.mark.parametrize("name", PROBLEMS)
def test_init_seed_is_validated(name):
    with pytest.raises(ValueError, match="^seed must be a non-negative integer"):
        PROBLEMS[name].init(seed=-1)
    with pytest.raises(TypeError, match="^seed must be"):
        PROBLEMS[name].init(seed=0.5)


# ------------------------------------------------------------------------- Quadratic
def test_quadratic_hessian_is_its_eigendecomposition():
    q = Quadratic.random(6, kappa=50.0, seed=1)
    h = q.hessian
    np.testing.assert_array_equal(h, h.T)
    np.testing.assert_allclose(q.eigenvectors @ np.diag(q.eigenvalues) @ q.eigenvectors.T, h, atol=1e-15)
    values, vectors = np.linalg.eigh(h)
    np.testing.assert_allclose(values, np.sort(q.eigenvalues), rtol=1e-12)
    for i in range(6):  # each column is an eigenvector of its own eigenvalue
        np.testing.assert_allclose(h @ q.eigenvectors[:, i], q.eigenvalues[i] * q.eigenvectors[:, i], atol=1e-14)
    np.testing.assert_allclose(q.eigenvectors.T @ q.eigenvectors, np.eye(6), atol=1e-14)


def test_quadratic_angle_rotates_the_first_eigenvector():
    theta = 0.7
    q = Quadratic([0.5, 4.0], angle=theta)
    first = np.array([np.cos(theta), np.sin(theta)])
    np.testing.assert_allclose(q.hessian @ first, 0.5 * first, atol=1e-15)
    np.testing.assert_allclose(q.eigenvectors[:, 0], first)
    explicit = Quadratic([0.5, 4.0], rotation=q.eigenvectors)
    np.testing.assert_allclose(explicit.hessian, q.hessian, atol=0)


def test_quadratic_closed_form_properties():
    q = Quadratic.ill_conditioned_2d(kappa=10.0, angle=np.pi / 6, lambda_max=2.0)
    np.testing.assert_allclose(q.eigenvalues, [0.2, 2.0])
    assert q.lambda_min == pytest.approx(0.2, rel=1e-15)
    assert q.lambda_max == 2.0
    assert q.condition_number == pytest.approx(10.0, rel=1e-15)
    assert q.stability_limit == 1.0
    assert q.optimal_lr == pytest.approx(2 / 2.2, rel=1e-15)
    assert q.optimal_rate == pytest.approx(9 / 11, rel=1e-15)
    assert q.gd_rate(q.optimal_lr) == pytest.approx(q.optimal_rate, rel=1e-14)
    np.testing.assert_array_equal(q.minimizer, [0.0, 0.0])
    assert q.min_loss == 0.0 == q.loss(q.minimizer)
    np.testing.assert_array_equal(q.grad(q.minimizer), [0.0, 0.0])
    root = np.sqrt(10.0)
    assert q.optimal_momentum_rate == pytest.approx((root - 1) / (root + 1), rel=1e-15)
    assert q.optimal_momentum == pytest.approx(((root - 1) / (root + 1)) ** 2, rel=1e-15)
    assert q.optimal_momentum_lr == pytest.approx(4 / (np.sqrt(0.2) + np.sqrt(2.0)) ** 2, rel=1e-15)


def test_quadratic_loss_is_the_formula_and_never_negative():
    q = Quadratic([1.0, 3.0, 0.2], rotation=Quadratic.random(3, seed=2).eigenvectors, center=[1.0, 2.0, 3.0])
    x = RNG.standard_normal((50, 3))
    r = x - q.center
    expected = 0.5 * np.einsum("ki,ij,kj->k", r, q.hessian, r)
    np.testing.assert_allclose(q.loss(x), expected, rtol=1e-12)
    np.testing.assert_allclose(q.grad(x), r @ q.hessian, rtol=1e-12)
    near = q.center + 1e-9 * RNG.standard_normal((100, 3))
    assert np.all(q.loss(near) >= 0)


def test_one_dimensional_quadratic_gd_is_the_geometric_sequence():
    lam = 3.0
    q = Quadratic(lam)  # a bare number is a 1-D quadratic
    assert q.dim == 1 and q.loss([[2.0]]) == pytest.approx(0.5 * lam * 4.0)
    for lr in (0.1, 0.5, 0.7):  # slow, oscillating, diverging (2/λ ≈ 0.667)
        x = q.init()
        for t in range(1, 30):
            x = x - lr * q.grad(x)
            assert x[0] == pytest.approx((1 - lr * lam) ** t, rel=1e-12)


def _gd(problem, lr, steps, x0):
    x = x0.copy()
    for _ in range(steps):
        x = x - lr * problem.grad(x)
    return x


@pytest.mark.parametrize("q", [Quadratic.ill_conditioned_2d(kappa=10.0), Quadratic.random(8, kappa=30.0, seed=4)])
def test_gd_converges_just_below_the_stability_limit_and_diverges_just_above(q):
    x0 = q.init()
    below = _gd(q, 0.99 * q.stability_limit, 3000, x0)
    above = _gd(q, 1.01 * q.stability_limit, 3000, x0)
    assert q.loss(below) < 1e-10 * q.loss(x0)
    assert q.loss(above) > 1e10 * q.loss(x0)


def test_gd_rate_is_the_observed_contraction():
    q = Quadratic.random(5, kappa=20.0, seed=0, lambda_max=3.0)
    # at the optimal step both extreme modes shrink by exactly optimal_rate; after the
    # others have died out, every step contracts the distance by that factor
    x = q.init()
    distances = []
    for _ in range(400):
        x = x - q.optimal_lr * q.grad(x)
        distances.append(np.linalg.norm(x - q.minimizer))
    ratios = np.array(distances[1:]) / np.array(distances[:-1])
    np.testing.assert_allclose(ratios[-50:], q.optimal_rate, rtol=1e-9)
    # at another step: the slowest mode's factor
    lr = 0.3
    x = _gd(q, lr, 300, q.init())
    x_next = x - lr * q.grad(x)
    assert np.linalg.norm(x_next) / np.linalg.norm(x) == pytest.approx(q.gd_rate(lr), rel=1e-9)


def test_gd_rate_is_vectorised_and_smallest_at_the_optimal_lr():
    q = Quadratic.ill_conditioned_2d(kappa=7.0)
    lrs = np.linspace(0.01, 2.5, 2001)
    rates = q.gd_rate(lrs)
    assert rates.shape == lrs.shape
    assert isinstance(q.gd_rate(0.5), float)
    assert q.gd_rate(q.optimal_lr) <= rates.min() + 1e-15
    assert np.all(rates[lrs < q.stability_limit] < 1) and np.all(rates[lrs > q.stability_limit] > 1)


def test_momentum_rate_is_the_spectral_radius_of_the_heavy_ball_iteration():
    q = Quadratic([0.1, 0.7, 2.0])
    for lr, mu in [(0.3, 0.5), (0.9, 0.2), (1.2, 0.9), (0.05, 0.0)]:
        radius = 0.0
        for lam in q.eigenvalues:
            # (x_{t+1}, x_t) = M (x_t, x_{t−1}) on one eigen-component
            m = np.array([[1 + mu - lr * lam, -mu], [1.0, 0.0]])
            radius = max(radius, np.abs(np.linalg.eigvals(m)).max())
        assert q.momentum_rate(lr, mu) == pytest.approx(radius, rel=1e-12)
    assert q.momentum_rate(q.optimal_momentum_lr, q.optimal_momentum) == pytest.approx(q.optimal_momentum_rate, rel=1e-7)
    grid = q.momentum_rate(np.array([[0.1], [0.5]]), np.array([0.0, 0.5, 0.9]))
    assert grid.shape == (2, 3)
    np.testing.assert_allclose(grid[:, 0], q.gd_rate(np.array([0.1, 0.5])), rtol=1e-12)


def test_momentum_stability_boundary_is_two_plus_two_mu_over_lambda_max():
    q = Quadratic([0.5, 2.0])
    for mu in (0.0, 0.5, 0.9):
        limit = (2 + 2 * mu) / q.lambda_max
        assert q.momentum_rate(0.999 * limit, mu) < 1 < q.momentum_rate(1.001 * limit, mu)


def test_heavy_ball_run_contracts_at_momentum_rate():
    q = Quadratic([0.2, 1.0])
    lr, mu = 0.5, 0.3
    x, previous = q.init(), q.init()
    norms = []
    for _ in range(200):
        x, previous = x - lr * q.grad(x) + mu * (x - previous), x
        norms.append(np.linalg.norm(x))
    observed = (norms[-1] / norms[-101]) ** (1 / 100)
    assert observed == pytest.approx(q.momentum_rate(lr, mu), rel=1e-3)


def test_quadratic_random_spectrum_and_determinism():
    q = Quadratic.random(7, kappa=1000.0, seed=5, lambda_max=2.0)
    assert q.lambda_max == 2.0 and q.lambda_min == 2.0 / 1000.0
    assert q.condition_number == pytest.approx(1000.0, rel=1e-14)
    np.testing.assert_allclose(np.diff(np.log(q.eigenvalues)), np.log(1000.0) / 6, rtol=1e-12)
    np.testing.assert_array_equal(Quadratic.random(7, kappa=1000.0, seed=5).eigenvectors, q.eigenvectors)
    assert not np.allclose(Quadratic.random(7, kappa=1000.0, seed=6).eigenvectors, q.eigenvectors)
    assert Quadratic.random(1, kappa=1.0).dim == 1


def test_quadratic_init_excites_every_mode_and_plot_range_holds_stable_runs():
    q = Quadratic.ill_conditioned_2d(kappa=10.0, angle=0.4)
    np.testing.assert_allclose(q.eigenvectors.T @ (q.init() - q.center), [1.0, 1.0], atol=1e-15)
    (x_low, x_high), (y_low, y_high) = q.plot_range
    for lr in (0.1, 1.0, 1.9):
        x = q.init()
        for _ in range(100):
            x = x - lr * q.grad(x)
            assert x_low < x[0] < x_high and y_low < x[1] < y_high
    low, high = Quadratic([2.0], center=[1.0]).plot_range
    assert low < 1.0 < 2.0 < high
    assert Quadratic.random(3).plot_range is None


def test_quadratic_properties_are_read_only():
    q = Quadratic([1.0, 2.0])
    for array in (q.hessian, q.eigenvalues, q.eigenvectors, q.center):
        with pytest.raises(ValueError):
            array[0] = 5.0
    q.minimizer[0] = 5.0  # a fresh copy
    assert q.minimizer[0] == 0.0


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(eigenvalues=[1.0, -2.0]), ValueError, r"^eigenvalues must be .*positive.*first bad entry is -2"),
        (dict(eigenvalues=[1.0, 0.0]), ValueError, "^eigenvalues must be"),
        (dict(eigenvalues=[np.nan]), ValueError, "^eigenvalues must be"),
        (dict(eigenvalues=[]), ValueError, "^eigenvalues must be"),
        (dict(eigenvalues=[[1.0, 2.0]]), ValueError, "^eigenvalues must be"),
        (dict(eigenvalues="12"), TypeError, "^eigenvalues must be"),
        (dict(eigenvalues=[1.0, 2.0, 3.0], angle=0.1), ValueError, r"^angle must be None for a 3-D quadratic.*rotation="),
        (dict(eigenvalues=[1.0, 2.0], angle=0.1, rotation=np.eye(2)), ValueError, "^angle must be None when rotation"),
        (dict(eigenvalues=[1.0, 2.0], angle="x"), TypeError, "^angle must be"),
        (dict(eigenvalues=[1.0, 2.0], angle=np.inf), ValueError, "^angle must be"),
        (dict(eigenvalues=[1.0, 2.0], rotation=[[1.0, 0.1], [0.0, 1.0]]), ValueError, r"^rotation must be an orthogonal.*QᵀQ"),
        (dict(eigenvalues=[1.0, 2.0], rotation=np.eye(3)), ValueError, r"^rotation must be .*2×2.*shape \(3, 3\)"),
        (dict(eigenvalues=[1.0, 2.0], center=[1.0]), ValueError, r"^center must be .*shape \(2,\)"),
        (dict(eigenvalues=[1.0, 2.0], center=[1.0, np.nan]), ValueError, "^center must be"),
    ],
)
def test_quadratic_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        Quadratic(**kwargs)


def test_quadratic_constructors_and_rates_reject_bad_arguments():
    with pytest.raises(ValueError, match="^kappa must be a finite number ≥ 1; got 0.5"):
        Quadratic.ill_conditioned_2d(kappa=0.5)
    with pytest.raises(ValueError, match="^lambda_max must be a positive"):
        Quadratic.ill_conditioned_2d(lambda_max=0)
    with pytest.raises(ValueError, match="^kappa must be 1 for dim=1"):
        Quadratic.random(1, kappa=10.0)
    with pytest.raises(ValueError, match=r"^dim must be an integer in \[1, 1000\]; got 0"):
        Quadratic.random(0)
    with pytest.raises(ValueError, match=r"^dim must be an integer in \[1, 1000\]; got 3000"):
        Quadratic.random(3000)       # a dense 3000×3000 rotation: 15 s
    with pytest.raises(ValueError, match=r"^eigenvalues must be at most 1000 eigenvalues .*; got an array of "
                       r"shape \(5000,\)"):
        Quadratic(np.ones(5000))
    with pytest.raises(ValueError, match=r"^momentum must be a number in \[0, 1\) or an array of them; got "
                       r"\[0.5, 1.2\]. the first bad entry is 1.2"):
        Quadratic([1.0, 2.0]).momentum_rate(0.1, [0.5, 1.2])
    q = Quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="^lr must be a positive finite number"):
        q.gd_rate(-0.1)
    with pytest.raises(ValueError, match="^lr must be"):
        q.gd_rate(np.array([0.1, 0.0]))
    with pytest.raises(TypeError, match="^lr must be"):
        q.gd_rate(lambda step: 0.1)
    with pytest.raises(ValueError, match=r"^momentum must be a number in \[0, 1\)"):
        q.momentum_rate(0.1, 1.0)


# ------------------------------------------------------------------------ Rosenbrock
@pytest.mark.parametrize("a, b", [(1.0, 100.0), (-0.5, 10.0), (2.0, 1.0)])
def test_rosenbrock_minimizer_has_zero_loss_and_gradient(a, b):
    r = Rosenbrock(a=a, b=b)
    np.testing.assert_array_equal(r.minimizer, [a, a * a])
    assert r.loss(r.minimizer) == 0.0 == r.min_loss
    np.testing.assert_array_equal(r.grad(r.minimizer), [0.0, 0.0])
    (x_low, x_high), (y_low, y_high) = r.plot_range
    for point in (r.minimizer, r.init()):
        assert x_low < point[0] < x_high and y_low < point[1] < y_high


def test_rosenbrock_formula_and_classic_start():
    r = Rosenbrock()
    np.testing.assert_array_equal(r.init(), [-1.2, 1.0])
    assert r.loss(r.init()) == pytest.approx(2.2**2 + 100 * 0.44**2, rel=1e-14)  # 24.2
    np.testing.assert_allclose(r.grad([-1.2, 1.0]), [-2 * 2.2 - 400 * -1.2 * -0.44, 200 * -0.44], rtol=1e-14)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(b=0.0), ValueError, "^b must be a positive finite number; got 0.0"),
        (dict(b=-1), ValueError, "^b must be"),
        (dict(a=np.nan), ValueError, "^a must be a finite number"),
        (dict(a="1"), TypeError, "^a must be"),
    ],
)
def test_rosenbrock_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        Rosenbrock(**kwargs)


# ----------------------------------------------------------------------- WavyValley
def test_wavy_valley_defaults_have_five_minima_with_the_global_one_inside():
    w = WavyValley()
    assert w.plot_range == (-6.0, 6.0)
    minima = w.local_minima
    assert minima.size == 5
    assert np.all(np.diff(minima) > 0)
    assert np.all((minima > -6) & (minima < 6))
    assert w.global_minimizer in minima
    assert w.global_minimizer == pytest.approx(-2.5129, abs=1e-4)
    assert w.min_loss == w.loss([w.global_minimizer])
    # maxima (ridges) interleave the minima
    maxima = w.local_maxima
    assert np.all((maxima[:-1] < minima[1:]) & (minima[1:] < maxima[1:]))


@pytest.mark.parametrize("c, a", [(2.5, 0.2), (1.0, 0.05), (4.0, 0.5)])
def test_wavy_valley_critical_points_are_exact(c, a):
    w = WavyValley(c=c, a=a)
    for points, sign in ((w.local_minima, 1), (w.local_maxima, -1)):
        assert points.size > 0
        slope = w.grad(points[:, None])[:, 0]
        # f′ is zero to rounding error: |f′| ≤ a few ulps of its largest term c·|x|
        assert np.all(np.abs(slope) <= 8 * np.finfo(float).eps * (1 + c * np.abs(points)))
        assert np.all(sign * w.second_derivative(points[:, None]) > 0)


@pytest.mark.parametrize("c, a", [(2.5, 0.2), (1.0, 0.05), (4.0, 0.5)])
def test_wavy_valley_global_minimizer_beats_a_dense_grid(c, a):
    w = WavyValley(c=c, a=a, plot_range=(-2.0, 2.0))  # global search ignores the plot range
    grid = np.linspace(-3 / a, 3 / a, 400_001)[:, None]
    assert w.min_loss <= w.loss(grid).min()
    assert w.min_loss > w.loss(grid).min() - 1e-6


def test_wavy_valley_plot_range_limits_the_listed_minima():
    narrow = WavyValley(plot_range=(0.0, 4.0))
    np.testing.assert_allclose(narrow.local_minima, WavyValley().local_minima[3:], rtol=1e-15)
    assert narrow.global_minimizer == WavyValley().global_minimizer


def test_wavy_valley_second_derivative_matches_finite_differences():
    w = WavyValley()
    x = np.linspace(-5.5, 5.5, 23)[:, None]
    h = 1e-6
    fd = (w.grad(x + h) - w.grad(x - h))[:, 0] / (2 * h)
    np.testing.assert_allclose(w.second_derivative(x), fd, rtol=1e-6, atol=1e-7)


def test_wavy_valley_learning_rate_picks_the_valley():
    # the docstring's claims: from init, the valley reached depends on η, and GD only
    # settles where f″ < 2/η
    w = WavyValley()
    lrs = np.array([0.01, 0.05, 0.18, 0.36, 0.10])
    x = np.repeat(w.init()[None], lrs.size, axis=0)
    for _ in range(4000):
        x = x - lrs[:, None] * w.grad(x)
    expected = w.local_minima[[4, 4, 3, 2]]
    np.testing.assert_allclose(x[:4, 0], expected, atol=1e-9)
    assert np.all(w.second_derivative(x[:4]) < 2 / lrs[:4])
    # η = 0.1 is too large for the nearest valley (f″ ≈ 23.5 > 2/0.1): no settling
    assert np.min(np.abs(w.local_minima - x[4, 0])) > 1e-3
    assert w.second_derivative(w.local_minima[4:5, None])[0] > 2 / 0.10


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        (dict(a=0.0), ValueError, "^a must be a positive finite number; got 0.0. a ≤ 0 makes f unbounded below"),
        (dict(c=-1.0), ValueError, "^c must be a positive"),
        (dict(plot_range=(1.0, -1.0)), ValueError, r"^plot_range must be a pair \(low, high\)"),
        (dict(plot_range=(0.0, np.inf)), ValueError, "^plot_range must be"),
        (dict(plot_range=3.0), TypeError, "^plot_range must be"),
        (dict(plot_range=("a", 1.0)), TypeError, "^plot_range must be"),
    ],
)
def test_wavy_valley_rejects_bad_arguments(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        WavyValley(**kwargs)


# --------------------------------------------------------------------- digits models
def _reference_loss(problem, x, X, y, penalty=True):
    """Per-example, obviously-correct forward pass (no batching tricks)."""
    parts = problem.unpack(x)
    if isinstance(problem, SoftmaxRegression):
        W, b = parts
        logits = X @ W + b
        weights = [W]
    else:
        W1, b1, W2, b2 = parts
        pre = X @ W1 + b1
        hidden = np.tanh(pre) if problem.activation == "tanh" else np.maximum(pre, 0)
        logits = hidden @ W2 + b2
        weights = [W1, W2]
    nll = [np.logaddexp.reduce(z) - z[label] for z, label in zip(logits, y)]
    value = np.mean(nll)
    if penalty:
        value += 0.5 * problem.l2 * sum(np.sum(w * w) for w in weights)
    return value


def test_model_dimensions_and_parameter_layout():
    softmax = SoftmaxRegression()
    assert softmax.dim == 650 and (softmax.n_train, softmax.n_val) == (1347, 450)
    x = np.arange(650.0)
    W, b = softmax.unpack(x)
    assert W.shape == (64, 10) and W[0, 1] == 1.0 and W[1, 0] == 10.0 and b[0] == 640.0
    np.testing.assert_array_equal(softmax.pack(W, b), x)
    assert np.shares_memory(W, x)
    mlp = MLP()
    assert mlp.dim == 75 * 32 + 10 == 2410
    W1, b1, W2, b2 = mlp.unpack(np.arange(2410.0))
    assert (W1.shape, b1.shape, W2.shape, b2.shape) == ((64, 32), (32,), (32, 10), (10,))
    assert (W1[0, 1], b1[0], W2[0, 0], b2[0]) == (1.0, 2048.0, 2080.0, 2400.0)
    batch = np.arange(2 * 2410.0).reshape(2, 2410)
    np.testing.assert_array_equal(mlp.pack(*mlp.unpack(batch)), batch)
    with pytest.raises(ValueError, match=r"^b must be an array of shape \(10,\)"):
        softmax.pack(W, np.zeros(3))
    with pytest.raises(ValueError, match=r"^W2 must be an array of shape \(32, 10\)"):
        mlp.pack(W1, b1, np.zeros((10, 32)), b2)


@pytest.mark.parametrize("name", MODELS)
def test_model_loss_matches_an_independent_per_example_computation(name):
    problem = MODELS[name]
    data = problem.data
    x = _point(problem, scale=0.3, seed=2)
    np.testing.assert_allclose(problem.loss(x), _reference_loss(problem, x, data.X_train, data.y_train), rtol=1e-12)
    batch = np.array([0, 3, 3, 1000])
    np.testing.assert_allclose(problem.loss(x, batch),
                               _reference_loss(problem, x, data.X_train[batch], data.y_train[batch]), rtol=1e-12)
    np.testing.assert_allclose(problem.val_loss(x), _reference_loss(problem, x, data.X_val, data.y_val, False), rtol=1e-12)
    np.testing.assert_allclose(problem.cross_entropy(x, "train"),
                               _reference_loss(problem, x, data.X_train, data.y_train, False), rtol=1e-12)


def test_l2_penalises_weights_but_not_biases():
    plain, penalised = SoftmaxRegression(), SoftmaxRegression(l2=0.5)
    x = np.zeros(650)
    x[640:] = 3.0  # biases only
    assert penalised.loss(x) == plain.loss(x)
    np.testing.assert_array_equal(penalised.grad(x), plain.grad(x))
    x[0] = 2.0
    assert penalised.loss(x) == pytest.approx(plain.loss(x) + 0.5 * 0.5 * 4.0, rel=1e-14)
    assert penalised.grad(x)[0] == pytest.approx(plain.grad(x)[0] + 0.5 * 2.0, rel=1e-14)
    mlp, mlp_l2 = MLP(hidden=4), MLP(hidden=4, l2=1.0)
    x = mlp.init()
    W1, b1, W2, b2 = mlp.unpack(x)
    expected = 0.5 * (np.sum(W1**2) + np.sum(W2**2))
    assert mlp_l2.loss(x) - mlp.loss(x) == pytest.approx(expected, rel=1e-12)


def test_softmax_init_is_zero_with_loss_log_10():
    problem = SoftmaxRegression()
    np.testing.assert_array_equal(problem.init(seed=3), np.zeros(650))
    assert problem.loss(problem.init()) == pytest.approx(np.log(10), rel=1e-15)


def test_mlp_init_is_seeded_and_scaled():
    problem = MLP(hidden=32)
    np.testing.assert_array_equal(problem.init(4), problem.init(4))
    assert not np.array_equal(problem.init(4), problem.init(5))
    W1, b1, W2, b2 = problem.unpack(problem.init())
    assert np.abs(W1).max() <= np.sqrt(6 / 64) and np.abs(W1).max() > 0.9 * np.sqrt(6 / 64)  # He for relu
    assert np.abs(W2).max() <= np.sqrt(6 / 42)  # Glorot for the output layer
    assert not b1.any() and not b2.any()
    W1_tanh = MLP(hidden=32, activation="tanh").unpack(MLP(hidden=32, activation="tanh").init())[0]
    assert np.abs(W1_tanh).max() <= np.sqrt(6 / 96)


def test_large_logits_are_stable():
    problem = SoftmaxRegression()
    x = 1e3 * _point(problem, scale=1.0, seed=0)
    data = problem.data
    loss = problem.loss(x)
    assert np.isfinite(loss)
    np.testing.assert_allclose(loss, _reference_loss(problem, x, data.X_train, data.y_train), rtol=1e-12)
    assert np.all(np.isfinite(problem.grad(x)))


def test_full_batch_gd_trains_softmax_above_90_percent():
    problem = SoftmaxRegression()
    x = problem.init()
    start = problem.accuracy(x)
    for _ in range(150):
        x = x - 0.5 * problem.grad(x)
    assert start < 0.2
    assert problem.accuracy(x) > 0.9 and problem.accuracy(x, "train") > 0.9
    assert problem.val_loss(x) < 0.5 * np.log(10)
    predictions = problem.predict(x)
    assert predictions.shape == (450,)
    assert problem.accuracy(x) == np.mean(predictions == problem.data.y_val)


@pytest.mark.parametrize("name", MODELS)
def test_accuracy_and_predict_are_batched(name):
    problem = MODELS[name]
    x = _points(problem, k=3, scale=0.3)
    accuracy = problem.accuracy(x, "train")
    predictions = problem.predict(x, "train")
    assert accuracy.shape == (3,) and predictions.shape == (3, problem.n_train)
    for k in range(3):
        assert accuracy[k] == problem.accuracy(x[k], "train")
        np.testing.assert_array_equal(predictions[k], problem.predict(x[k], "train"))
    assert problem.val_loss(x).shape == (3,)
    assert isinstance(problem.accuracy(x[0]), float)


def test_batches_cover_every_example_once_per_epoch_and_reshuffle():
    problem = SoftmaxRegression()
    n, size = problem.n_train, 100
    assert problem.steps_per_epoch(size) == 14 == -(-n // size)
    stream = problem.batches(size, seed=0)
    epochs = [[next(stream) for _ in range(14)] for _ in range(3)]
    for epoch in epochs:
        assert [b.size for b in epoch] == [100] * 13 + [n % 100]
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.arange(n))
        assert all(b.dtype.kind == "i" for b in epoch)
    assert not np.array_equal(np.concatenate(epochs[0]), np.concatenate(epochs[1]))
    again = problem.batches(size, seed=0)
    np.testing.assert_array_equal(next(again), epochs[0][0])
    assert not np.array_equal(next(problem.batches(size, seed=1)), epochs[0][0])
    whole = next(problem.batches(n))
    np.testing.assert_array_equal(np.sort(whole), np.arange(n))
    # a batch from the iterator is accepted by loss/grad
    assert np.isfinite(problem.loss(problem.init(), epochs[0][0]))


def _old_batches(n, size, seed, epochs):
    """The batches before drop_last existed: a permutation per epoch, cut into pieces, the last kept."""
    rng = np.random.default_rng(seed)
    return [order[start:start + size] for order in (rng.permutation(n) for _ in range(epochs))
            for start in range(0, n, size)]


@pytest.mark.parametrize("size", [1, 3, 16, 100, 449, 1347])
def test_drop_last_gives_full_batches_and_floor_n_over_b_steps(size):
    problem = SoftmaxRegression()
    n = problem.n_train
    steps = problem.steps_per_epoch(size, drop_last=True)
    assert steps == n // size
    stream = problem.batches(size, seed=4, drop_last=True)
    epochs = [[next(stream) for _ in range(steps)] for _ in range(3)]
    kept = _old_batches(n, size, 4, 3)
    per_epoch = problem.steps_per_epoch(size)
    for e, epoch in enumerate(epochs):
        assert all(batch.size == size for batch in epoch)               # every batch has exactly B rows
        used = np.concatenate(epoch)
        assert np.unique(used).size == steps * size                     # no example twice in an epoch
        # the same permutation as without dropping, minus its last n mod B examples
        for mine, theirs in zip(epoch, kept[e * per_epoch:(e + 1) * per_epoch]):
            np.testing.assert_array_equal(mine, theirs)


@pytest.mark.parametrize("size", [1, 16, 100, 1347])
def test_drop_last_false_is_bit_identical_to_the_batches_before(size):
    problem = SoftmaxRegression()
    n, per_epoch = problem.n_train, problem.steps_per_epoch(size)
    assert per_epoch == problem.steps_per_epoch(size, drop_last=False) == -(-n // size)
    for stream in (problem.batches(size, seed=2), problem.batches(size, seed=2, drop_last=False)):
        for mine, theirs in zip((next(stream) for _ in range(3 * per_epoch)), _old_batches(n, size, 2, 3)):
            np.testing.assert_array_equal(mine, theirs)


def test_drop_last_is_validated():
    problem = SoftmaxRegression()
    for bad in (1, 0, "yes", None):
        with pytest.raises(TypeError, match="^drop_last must be True or False; got"):
            problem.batches(16, drop_last=bad)
        with pytest.raises(TypeError, match="^drop_last must be True or False; got"):
            problem.steps_per_epoch(16, drop_last=bad)
    assert problem.steps_per_epoch(16, drop_last=np.bool_(True)) == 84


def test_batches_and_batch_sizes_are_validated_eagerly():
    problem = SoftmaxRegression()
    with pytest.raises(ValueError, match=r"^batch_size must be a positive integer ≤ n_train = 1347; got 2000. .*batch=None"):
        problem.batches(2000)
    with pytest.raises(ValueError, match="^batch_size must be a positive integer; got 0"):
        problem.batches(0)
    with pytest.raises(TypeError, match="^batch_size must be"):
        problem.batches(32.0)
    with pytest.raises(ValueError, match="^seed must be"):
        problem.batches(32, seed=-3)
    with pytest.raises(ValueError, match="^batch_size must be"):
        problem.steps_per_epoch(0)


@pytest.mark.parametrize(
    "batch, error, pattern",
    [
        (np.array([0, 1347]), ValueError, r"^batch must be .*indices in 0 … 1346.*; got indices from 0 to 1347"),
        (np.array([-1, 3]), ValueError, "^batch must be .*got indices from -1 to 3"),
        (np.array([0.0, 1.0]), TypeError, "^batch must be .*got an array of dtype float64"),
        (np.array([True, False]), TypeError, "^batch must be"),
        (np.zeros((2, 2), dtype=int), ValueError, r"^batch must be a non-empty 1-D array.*shape \(2, 2\)"),
        ([], ValueError, "^batch must be a non-empty"),
        (3, ValueError, "^batch must be"),
    ],
)
def test_bad_batches_are_rejected(batch, error, pattern):
    problem = SoftmaxRegression()
    with pytest.raises(error, match=pattern):
        problem.loss(problem.init(), batch)
    with pytest.raises(error, match=pattern):
        problem.loss_and_grad(problem.init(), batch)


def test_lists_and_unsigned_batches_are_accepted():
    problem = SoftmaxRegression()
    x = _point(problem, 0.1)
    expected = problem.loss(x, np.array([4, 2]))
    assert problem.loss(x, [4, 2]) == expected == problem.loss(x, np.array([4, 2], dtype=np.uint8))


@pytest.mark.parametrize(
    "factory, error, pattern",
    [
        (lambda: SoftmaxRegression(l2=-0.1), ValueError, "^l2 must be a non-negative finite number; got -0.1"),
        (lambda: SoftmaxRegression(l2="0"), TypeError, "^l2 must be"),
        (lambda: SoftmaxRegression(data="digits"), TypeError, "^data must be a lrcourse.data.TrainValSplit"),
        (lambda: MLP(hidden=0), ValueError, r"^hidden must be an integer in \[1, 4096\]; got 0"),
        (lambda: MLP(hidden=10**9), ValueError, r"^hidden must be an integer in \[1, 4096\]; got 1000000000"),
        (lambda: MLP(hidden=2.5), TypeError, "^hidden must be"),
        (lambda: MLP(activation="sigmoid"), ValueError, "^activation must be one of 'relu', 'tanh'; got 'sigmoid'"),
        (lambda: MLP(l2=np.inf), ValueError, "^l2 must be"),
    ],
)
def test_model_constructors_reject_bad_arguments(factory, error, pattern):
    with pytest.raises(error, match=pattern):
        factory()


def test_split_argument_is_validated():
    problem = SoftmaxRegression()
    for method in (problem.accuracy, problem.predict, problem.cross_entropy):
        with pytest.raises(ValueError, match="^split must be one of 'train', 'val'; got 'test'"):
            method(problem.init(), "test")


def test_models_accept_another_split():
    raw = digits(standardize=False)
    problem = SoftmaxRegression(data=raw)
    assert problem.data is raw and problem.dim == 650
    x = _point(problem, 0.2, seed=4)
    np.testing.assert_allclose(problem.loss(x), _reference_loss(problem, x, raw.X_train, raw.y_train), rtol=1e-12)


def test_models_do_not_change_the_shared_data():
    split = digits()
    before = dataclasses.replace(split)  # copies are made in __post_init__
    problem = MLP(hidden=4)
    x = _points(problem, k=2)
    problem.loss_and_grad(x, problem.batches(64).__next__())
    for field in ("X_train", "y_train", "X_val", "y_val"):
        np.testing.assert_array_equal(getattr(split, field), getattr(before, field))


def test_rosenbrock_hessian_matches_finite_differences_of_its_gradient_batched():
    rosen = Rosenbrock()
    points = np.array([[-1.2, 1.0], [1.0, 1.0], [0.3, -0.4]])
    h = 1e-6
    for point, hessian in zip(points, rosen.hessian(points)):
        numeric = np.stack([(rosen.grad(point + h * e) - rosen.grad(point - h * e)) / (2 * h)
                            for e in np.eye(2)], axis=-1)
        np.testing.assert_allclose(hessian, numeric, rtol=1e-6, atol=1e-6)
    assert rosen.hessian(points).shape == (3, 2, 2)
    np.testing.assert_allclose(rosen.hessian(points[1]), rosen.hessian(points)[1])


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_rate_is_the_observed_contraction_of_torch_form_sgd(nesterov):
    from lrcourse import optim, train

    quadratic = Quadratic.ill_conditioned_2d(kappa=10)
    lr, momentum = 0.5, 0.3  # real, well-separated roots: no repeated-root transient
    predicted = quadratic.momentum_rate(lr, momentum, nesterov=nesterov)
    result = train.run(quadratic, optim.SGD(lr=lr, momentum=momentum, nesterov=nesterov),
                       quadratic.init(), 400, keep_trajectory=True)
    distance = np.linalg.norm(result.trajectory[:, 0] - quadratic.minimizer, axis=-1)
    observed = (distance[300] / distance[200]) ** (1 / 100)
    assert observed == pytest.approx(predicted, rel=1e-3)
    with pytest.raises(TypeError, match="nesterov must be True or False"):
        quadratic.momentum_rate(lr, momentum, nesterov="yes")


@pytest.mark.parametrize("l2", [0.0, 0.03])
def test_softmax_per_example_gradients_are_the_one_example_gradients(l2):
    model = SoftmaxRegression(l2=l2)
    x = np.random.default_rng(0).normal(scale=0.1, size=model.dim)
    grads = model.per_example_grads(x)
    assert grads.shape == (model.n_train, model.dim)
    for i in (0, 17, model.n_train - 1):
        np.testing.assert_allclose(grads[i], model.grad(x, np.array([i])), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(grads.mean(axis=0), model.grad(x), rtol=1e-10, atol=1e-13)
    with pytest.raises(ValueError, match="x must be one parameter vector"):
        model.per_example_grads(np.stack([x, x]))


def test_momentum_rate_at_a_huge_rate_is_finite_and_quiet():
    # ρ grows like η·λ_max; computed from the scaled equation, trace² never overflows
    q = Quadratic([1.0, 10.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):   # underflow is silent by default
        heavy = q.momentum_rate(1e300, 0.5)
        nesterov = q.momentum_rate(1e300, 0.5, nesterov=True)
    assert heavy == pytest.approx(1e301, rel=1e-12)          # the root ≈ trace = 1 + μ − ηλ
    assert nesterov == pytest.approx(1.5e301, rel=1e-12)     # ≈ (1 + μ)·ηλ
    assert q.momentum_rate(0.1, 0.5) == pytest.approx(np.sqrt(0.5))  # complex roots: |z| = √μ
