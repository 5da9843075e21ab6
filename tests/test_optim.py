"""Tests for lrcourse.optim.

The oracle is PyTorch: ``tests/fixtures/torch_optim.json`` holds torch.optim
trajectories recorded in float64 by ``tests/fixtures/record_torch_optim.py``
(torch is not needed to run these tests).  Every recorded case is replayed on the
same gradient sequence and must agree at every step to 1e-9 of the parameters'
scale.
"""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest

from lrcourse import optim
from lrcourse.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

FIXTURE = Path(__file__).parent / "fixtures" / "torch_optim.json"
REFERENCE = json.loads(FIXTURE.read_text())
CASES = REFERENCE["cases"]
PROBLEMS = REFERENCE["problems"]
HESSIAN = np.array(PROBLEMS["quadratic"]["hessian"])
CENTER = np.array(PROBLEMS["quadratic"]["center"])
TABLE = np.array(PROBLEMS["table"]["gradients"])

OPTIMIZERS = {"SGD": SGD, "Adagrad": Adagrad, "RMSprop": RMSprop, "Adam": Adam, "AdamW": AdamW}
RELATIVE_TOLERANCE = 1e-9

# The same LambdaLR multipliers as in record_torch_optim.py.
MULTIPLIERS = {
    "inverse_time_0.1": lambda k: 1.0 / (1.0 + 0.1 * k),
    "linear_warmup_10": lambda k: min(1.0, (k + 1) / 10),
}

# Every optimizer with every optional state buffer switched on.
FULL_CONFIGS = {
    "SGD": dict(lr=0.01, momentum=0.9, weight_decay=0.1, nesterov=True),
    "SGD-dampened": dict(lr=0.01, momentum=0.9, dampening=0.3, weight_decay=0.1),
    "SGD-heavy-ball": dict(lr=0.01, momentum=0.9),  # no weight decay: the buffer starts as grad itself
    "Adagrad": dict(lr=0.3, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.1),
    "RMSprop": dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.1),
    "Adam": dict(lr=0.05, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.05, amsgrad=True, weight_decay=0.1),
}


def full_optimizer(key, **overrides):
    return OPTIMIZERS[key.split("-")[0]](**{**FULL_CONFIGS[key], **overrides})


def quadratic_grad(x):
    """H (x − c) for x of shape (d,) or (K, d); row by row so that batched == single."""
    return (x - CENTER) @ HESSIAN  # H is symmetric


def default_lr(name):
    return inspect.signature(OPTIMIZERS[name]).parameters["lr"].default


def closed_form_schedule(case):
    """The schedule of a recorded case as a plain ``step -> lr`` function."""
    spec = case["schedule"]
    base = case["kwargs"].get("lr", default_lr(case["optimizer"]))
    name = spec["name"]
    if name == "StepLR":
        return lambda k: base * spec["gamma"] ** (k // spec["step_size"])
    if name == "ExponentialLR":
        return lambda k: base * spec["gamma"] ** k
    if name == "CosineAnnealingLR":
        low, period = spec["eta_min"], spec["T_max"]
        return lambda k: low + (base - low) * (1 + math.cos(math.pi * k / period)) / 2
    if name == "LambdaLR":
        multiplier = MULTIPLIERS[spec["multiplier"]]
        return lambda k: base * multiplier(k)
    raise AssertionError(f"no closed form for {name}")


def replay(case, lr=None):
    """Run lrcourse.optim on a recorded case; return (trajectory, optimizer)."""
    kwargs = dict(case["kwargs"])
    if "betas" in kwargs:
        kwargs["betas"] = tuple(kwargs["betas"])
    if case["schedule"] is not None:
        kwargs["lr"] = closed_form_schedule(case)
    if lr is not None:
        kwargs["lr"] = lr
    opt = OPTIMIZERS[case["optimizer"]](**kwargs)
    x = np.array(PROBLEMS[case["problem"]]["x0"])
    trajectory = []
    for k in range(REFERENCE["steps"]):
        grad = quadratic_grad(x) if case["problem"] == "quadratic" else TABLE[k]
        x = opt.step(x, grad)
        trajectory.append(x)
    return np.array(trajectory), opt


def ids(cases):
    return [case["id"] for case in cases]


SCHEDULED = [case for case in CASES if case["schedule"] is not None]


# ---------------------------------------------------------------------------
# The fixture itself
# ---------------------------------------------------------------------------

def test_fixture_is_small_and_records_its_provenance():
    assert FIXTURE.stat().st_size < 1_000_000
    assert REFERENCE["torch_version"]
    assert REFERENCE["dtype"] == "float64"
    assert REFERENCE["steps"] == 100
    for case in CASES:
        assert np.shape(case["trajectory"]) == (100, 3), case["id"]
        assert len(case["lrs"]) == 100, case["id"]


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fixture_covers_every_argument_both_problems_and_a_schedule(name):
    cases = [case for case in CASES if case["optimizer"] == name]
    arguments = set(inspect.signature(OPTIMIZERS[name]).parameters)
    used = set().union(*(case["kwargs"] for case in cases))
    assert arguments <= used | {"lr"}, f"{name}: no recorded case sets {arguments - used}"
    assert any(not case["kwargs"] for case in cases), f"{name}: no run with the defaults"
    assert {case["problem"] for case in cases} == {"quadratic", "table"}
    assert any(case["schedule"] for case in cases), f"{name}: no run with a scheduler"


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_signature_matches_torch(name):
    """Same argument names, order and defaults as torch.optim (positional calls transfer)."""
    ours = [
        (p.name, list(p.default) if isinstance(p.default, tuple) else p.default)
        for p in inspect.signature(OPTIMIZERS[name]).parameters.values()
    ]
    torch_signature = [tuple(pair) for pair in REFERENCE["signatures"][name]]
    assert ours == torch_signature[: len(ours)]
    assert name in REFERENCE["signatures"]


# ---------------------------------------------------------------------------
# Parity with torch.optim
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_trajectory_matches_torch(case):
    expected = np.array(case["trajectory"])
    got, opt = replay(case)
    scale = np.abs(expected).max()
    deviation = np.abs(got - expected).max(axis=1)  # per step
    worst = int(np.argmax(deviation))
    assert deviation.max() <= RELATIVE_TOLERANCE * scale, (
        f"step {worst}: deviation {deviation[worst]:.3g} vs torch (scale {scale:.3g})"
    )
    assert opt.step_count == 100
    assert opt.last_lr == pytest.approx(case["lrs"][-1], rel=1e-12)


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_final_state_matches_torch(case):
    _, opt = replay(case)
    torch_state = case["final_state"]
    assert opt.state["step"] == torch_state["step"] == 100
    for name in opt._state_names:
        ours = getattr(opt, name)
        if name in torch_state:
            expected = np.array(torch_state[name])
            scale = max(np.abs(expected).max(), 1e-300)
            np.testing.assert_allclose(ours, expected, rtol=0, atol=RELATIVE_TOLERANCE * scale, err_msg=name)
        else:
            assert ours is None, f"{name} should be None in this configuration (torch keeps no such state)"


@pytest.mark.parametrize("case", SCHEDULED, ids=ids(SCHEDULED))
def test_schedule_convention_matches_torch(case):
    """The k-th step uses lr(k): torch's lr before its k-th optimizer.step() is the closed form at k."""
    schedule = closed_form_schedule(case)
    np.testing.assert_allclose([schedule(k) for k in range(100)], case["lrs"], rtol=1e-12)
    # replaying with the recorded per-step rates gives the same trajectory
    recorded = case["lrs"]
    got, _ = replay(case, lr=lambda k: recorded[k])
    expected = np.array(case["trajectory"])
    assert np.abs(got - expected).max() <= RELATIVE_TOLERANCE * np.abs(expected).max()


@pytest.mark.parametrize("case", SCHEDULED, ids=ids(SCHEDULED))
def test_off_by_one_schedule_is_detected(case):
    """The parity test has teeth: using lr(k + 1) for the k-th step departs from torch."""
    schedule = closed_form_schedule(case)
    got, _ = replay(case, lr=lambda k: schedule(k + 1))
    expected = np.array(case["trajectory"])
    assert np.abs(got - expected).max() > 1e3 * RELATIVE_TOLERANCE * np.abs(expected).max()


def test_a_schedule_is_called_with_0_1_2_and_last_lr_follows_it():
    calls = []

    def schedule(k):
        calls.append(k)
        return 0.1 / (1 + k)

    opt = SGD(lr=schedule)
    x = np.ones(2)
    for expected_k in range(4):
        x = opt.step(x, x)
        assert opt.last_lr == 0.1 / (1 + expected_k)
    assert calls == [0, 1, 2, 3]


# ---------------------------------------------------------------------------
# Hand-checked single steps (state values, first-step conventions)
# ---------------------------------------------------------------------------

X0 = np.array([1.0, -2.0, 0.5])
G0 = np.array([0.3, -4.0, 0.0])


def test_sgd_first_step_sets_the_buffer_to_the_gradient_without_dampening():
    opt = SGD(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.2)
    x1 = opt.step(X0, G0)
    g = G0 + 0.2 * X0
    np.testing.assert_array_equal(opt.momentum_buffer, g)
    np.testing.assert_array_equal(x1, X0 - 0.1 * g)
    x2 = opt.step(x1, G0)
    g2 = G0 + 0.2 * x1
    expected_buffer = 0.9 * g + 0.5 * g2
    np.testing.assert_allclose(opt.momentum_buffer, expected_buffer, rtol=1e-15)
    np.testing.assert_allclose(x2, x1 - 0.1 * expected_buffer, rtol=1e-15)


def test_sgd_nesterov_step_uses_gradient_plus_momentum_times_buffer():
    opt = SGD(lr=0.1, momentum=0.9, nesterov=True)
    x1 = opt.step(X0, G0)
    np.testing.assert_allclose(x1, X0 - 0.1 * (G0 + 0.9 * G0), rtol=1e-15)
    x2 = opt.step(x1, 2 * G0)
    buffer = 0.9 * G0 + 2 * G0
    np.testing.assert_allclose(x2, x1 - 0.1 * (2 * G0 + 0.9 * buffer), rtol=1e-15)


def test_sgd_without_momentum_keeps_no_buffer():
    opt = SGD(lr=0.1)
    np.testing.assert_array_equal(opt.step(X0, G0), X0 - 0.1 * G0)
    assert opt.momentum_buffer is None


def test_adagrad_state_and_decayed_rate():
    opt = Adagrad(lr=0.5, lr_decay=0.1, initial_accumulator_value=0.2, eps=1e-3)
    x1 = opt.step(X0, G0)
    np.testing.assert_array_equal(opt.sum, 0.2 + G0**2)
    np.testing.assert_allclose(x1, X0 - 0.5 * G0 / (np.sqrt(0.2 + G0**2) + 1e-3), rtol=1e-15)
    x2 = opt.step(x1, G0)
    total = 0.2 + 2 * G0**2
    np.testing.assert_allclose(x2, x1 - 0.5 / 1.1 * G0 / (np.sqrt(total) + 1e-3), rtol=1e-15)


def test_adagrad_first_step_moves_each_coordinate_by_about_lr():
    x1 = Adagrad(lr=0.01).step(X0, G0)
    np.testing.assert_allclose(np.abs(x1 - X0), [0.01, 0.01, 0.0], rtol=1e-8)


def test_rmsprop_state_after_one_step():
    opt = RMSprop(lr=0.01, alpha=0.9, momentum=0.5, centered=True, eps=1e-6)
    x1 = opt.step(X0, G0)
    square_avg = 0.1 * G0**2
    grad_avg = 0.1 * G0
    normalised = G0 / (np.sqrt(square_avg - grad_avg**2) + 1e-6)
    np.testing.assert_allclose(opt.square_avg, square_avg, rtol=1e-15)
    np.testing.assert_allclose(opt.grad_avg, grad_avg, rtol=1e-15)
    np.testing.assert_allclose(opt.momentum_buffer, normalised, rtol=1e-15)  # starts at 0, not at g
    np.testing.assert_allclose(x1, X0 - 0.01 * normalised, rtol=1e-15)


def test_rmsprop_first_step_is_about_ten_lr_with_the_default_alpha():
    """No bias correction: √v_1 = √(1 − α)·|g| = |g|/10, as the docstring says."""
    x1 = RMSprop(lr=0.01).step(X0, G0)
    np.testing.assert_allclose(np.abs(x1 - X0), [0.1, 0.1, 0.0], rtol=1e-6)


def test_adam_without_bias_correction_would_step_larger_by_the_documented_factor():
    factor = [(1 - 0.9**t) / math.sqrt(1 - 0.999**t) for t in range(1, 5000)]
    assert factor[0] == pytest.approx(math.sqrt(10), rel=1e-12)
    assert max(factor) == pytest.approx(6.57, abs=0.01) and int(np.argmax(factor)) + 1 == 12
    assert int(np.argmax(np.array(factor) < 1.05)) + 1 == pytest.approx(2400, abs=50)


def test_rmsprop_uncentered_without_momentum_has_only_square_avg():
    opt = RMSprop(lr=0.01)
    x1 = opt.step(X0, G0)
    np.testing.assert_allclose(x1, X0 - 0.01 * G0 / (np.sqrt(0.01 * G0**2) + 1e-8), rtol=1e-15)
    assert opt.grad_avg is None and opt.momentum_buffer is None


def test_rmsprop_centered_variance_never_goes_negative():
    """A constant gradient makes v − m² a difference of nearly equal numbers; no NaN, no warning."""
    opt = RMSprop(lr=1e-3, alpha=0.5, centered=True)
    x = np.zeros(4)
    grad = np.array([0.1, 1 / 3, 7.0, 1e-3])
    for _ in range(200):
        x = opt.step(x, grad)
    assert np.all(np.isfinite(x))


@pytest.mark.parametrize("cls", [Adam, AdamW])
def test_adam_state_after_one_step_and_first_step_size(cls):
    opt = cls(lr=0.01, amsgrad=True, weight_decay=0.0)
    x1 = opt.step(X0, G0)
    np.testing.assert_allclose(opt.exp_avg, 0.1 * G0, rtol=1e-15)
    np.testing.assert_allclose(opt.exp_avg_sq, 0.001 * G0**2, rtol=1e-12)
    np.testing.assert_array_equal(opt.max_exp_avg_sq, opt.exp_avg_sq)
    assert opt.max_exp_avg_sq is not opt.exp_avg_sq
    # bias correction: the first step moves every coordinate with a gradient by ≈ lr
    np.testing.assert_allclose(np.abs(x1 - X0), [0.01, 0.01, 0.0], rtol=1e-6)


def test_adam_eps_is_added_after_bias_correction():
    opt = Adam(lr=1.0, betas=(0.9, 0.999), eps=0.1)
    x1 = opt.step(np.zeros(1), np.array([1.0]))
    # m̂ = 1, v̂ = 1  ⇒  step = 1/(1 + 0.1); eps before correction would give a much smaller step
    np.testing.assert_allclose(x1, [-1 / 1.1], rtol=1e-14)


def test_amsgrad_divides_by_the_running_maximum():
    opt = Adam(lr=0.1, amsgrad=True)
    x = opt.step(np.zeros(1), np.array([10.0]))
    opt.step(x, np.array([0.1]))
    assert opt.max_exp_avg_sq[0] == pytest.approx(0.001 * 100)
    assert opt.exp_avg_sq[0] < opt.max_exp_avg_sq[0]


def test_adam_weight_decay_is_coupled_and_adamw_decoupled():
    x, g = np.array([2.0]), np.array([0.0])
    coupled = Adam(lr=0.1, weight_decay=0.5).step(x, g)  # gradient λx = 1 normalised: step ≈ lr
    decoupled = AdamW(lr=0.1, weight_decay=0.5).step(x, g)  # x·(1 − lr·λ), no adaptive step
    np.testing.assert_allclose(coupled, [2.0 - 0.1], rtol=1e-7)
    np.testing.assert_allclose(decoupled, [2.0 * (1 - 0.05)], rtol=1e-15)


def test_adamw_decay_uses_the_scheduled_rate():
    opt = AdamW(lr=lambda k: 0.1 * 0.5**k, weight_decay=1.0)
    x = np.array([1.0])
    for k in range(3):
        x = opt.step(x, np.array([0.0]))
    np.testing.assert_allclose(x, [(1 - 0.1) * (1 - 0.05) * (1 - 0.025)], rtol=1e-15)


# ---------------------------------------------------------------------------
# State, reset, repr
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_state_is_none_before_the_first_step_and_arrays_after(key):
    opt = full_optimizer(key)
    assert opt.step_count == 0 and opt.last_lr is None
    assert set(opt.state) == {"step", *opt._state_names}
    assert all(value is None for name, value in opt.state.items() if name != "step")
    opt.step(X0, G0)
    for name in opt._state_names:
        value = getattr(opt, name)
        if value is not None:
            assert isinstance(value, np.ndarray) and value.shape == X0.shape and value.dtype == np.float64


def test_pytorch_state_names():
    assert SGD._state_names == ("momentum_buffer",)
    assert Adagrad._state_names == ("sum",)
    assert set(RMSprop._state_names) == {"square_avg", "grad_avg", "momentum_buffer"}
    assert set(Adam._state_names) == set(AdamW._state_names) == {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}


@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_reset_starts_a_new_run(key):
    schedule_calls = []

    def schedule(k):
        schedule_calls.append(k)
        return FULL_CONFIGS[key]["lr"] / (1 + 0.1 * k)

    opt = full_optimizer(key, lr=schedule)
    first = [x := X0]
    for _ in range(5):
        x = opt.step(x, quadratic_grad(x))
        first.append(x)
    opt.reset()
    assert opt.step_count == 0 and opt.last_lr is None
    assert all(value is None for name, value in opt.state.items() if name != "step")
    x = X0
    for expected in first[1:]:
        x = opt.step(x, quadratic_grad(x))
        np.testing.assert_array_equal(x, expected)
    assert schedule_calls == [0, 1, 2, 3, 4] * 2
    opt.reset()
    opt.step(np.zeros((2, 3)), np.ones((2, 3)))  # after reset a new shape is fine


def test_repr_shows_every_hyperparameter():
    assert repr(SGD(lr=0.1, momentum=0.9, nesterov=True)) == (
        "SGD(lr=0.1, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True)"
    )
    assert repr(Adagrad()) == (
        "Adagrad(lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10)"
    )
    assert repr(RMSprop(centered=True)) == (
        "RMSprop(lr=0.01, alpha=0.99, eps=1e-08, weight_decay=0.0, momentum=0.0, centered=True)"
    )
    assert repr(Adam(amsgrad=True)) == (
        "Adam(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.0, amsgrad=True)"
    )
    assert repr(AdamW()) == "AdamW(lr=0.001, betas=(0.9, 0.999), eps=1e-08, weight_decay=0.01, amsgrad=False)"


def test_repr_of_array_and_schedule_learning_rates():
    lrs = np.logspace(-3, 0, 200)[:, None]
    assert repr(SGD(lr=lrs)).startswith("SGD(lr=<array of shape (200, 1), from 0.001 to 1.0>, ")

    def warmup_cosine(k):
        return 0.1

    assert repr(Adam(lr=warmup_cosine)).startswith("Adam(lr=warmup_cosine, ")


# ---------------------------------------------------------------------------
# Non-mutation
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_step_never_modifies_its_inputs_or_earlier_state(key):
    opt = full_optimizer(key)
    passed = []  # (array handed to step, copy of its contents)
    snapshots = []  # (state array read after a step, copy of its contents)
    x = X0.copy()
    for _ in range(4):
        grad = quadratic_grad(x)
        passed += [(x, x.copy()), (grad, grad.copy())]
        x_next = opt.step(x, grad)
        assert x_next is not x and not np.shares_memory(x_next, x) and not np.shares_memory(x_next, grad)
        for name in opt._state_names:
            value = getattr(opt, name)
            if value is not None:
                assert not np.shares_memory(value, grad) and not np.shares_memory(value, x_next)
                snapshots.append((value, value.copy()))
        x = x_next
    for array, original in passed + snapshots:
        np.testing.assert_array_equal(array, original)


@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_state_is_a_private_copy(key):
    """Changing the caller's arrays after a step does not change the optimizer's state."""
    opt = full_optimizer(key)
    x, grad = X0.copy(), G0.copy()
    opt.step(x, grad)
    before = {name: np.copy(value) for name, value in opt.state.items() if name != "step" and value is not None}
    x[:] = 99.0
    grad[:] = -99.0
    for name, value in before.items():
        np.testing.assert_array_equal(getattr(opt, name), value)


def test_array_lr_is_a_private_read_only_copy():
    lrs = np.array([[0.1], [0.2]])
    opt = SGD(lr=lrs)
    lrs[0, 0] = 5.0
    assert opt.lr[0, 0] == 0.1
    with pytest.raises(ValueError):
        opt.lr[0, 0] = 3.0


# ---------------------------------------------------------------------------
# Many learning rates in one run
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_batched_run_equals_separate_runs(key):
    base = FULL_CONFIGS[key]["lr"]
    lrs = base * np.array([0.25, 0.5, 1.0, 1.5])
    x0 = np.tile(X0, (len(lrs), 1))
    batched = full_optimizer(key, lr=lrs[:, None])
    x = x0
    for _ in range(30):
        x = batched.step(x, quadratic_grad(x))
    for k, lr in enumerate(lrs):
        single = full_optimizer(key, lr=float(lr))
        xs = X0
        for _ in range(30):
            xs = single.step(xs, quadratic_grad(xs))
        np.testing.assert_allclose(x[k], xs, rtol=1e-12, atol=1e-14)
        for name in single._state_names:
            if getattr(single, name) is not None:
                np.testing.assert_allclose(getattr(batched, name)[k], getattr(single, name), rtol=1e-12, atol=1e-14)


def test_batched_run_with_a_schedule_of_arrays():
    """A schedule may return (K, 1) arrays: K base rates under one shared decay."""
    bases = np.array([[0.01], [0.02], [0.04]])
    batched = Adam(lr=lambda k: bases * 0.9**k)
    x = np.tile(X0, (3, 1))
    for _ in range(20):
        x = batched.step(x, quadratic_grad(x))
    for k in range(3):
        single = Adam(lr=lambda step, b=bases[k, 0]: b * 0.9**step)
        xs = X0
        for _ in range(20):
            xs = single.step(xs, quadratic_grad(xs))
        np.testing.assert_allclose(x[k], xs, rtol=1e-12, atol=1e-14)


# ---------------------------------------------------------------------------
# Inputs that are not arrays of float64
# ---------------------------------------------------------------------------

def test_step_accepts_lists_ints_and_float32_and_returns_float64():
    out = SGD(lr=0.5).step([1, 2], [2, 2])
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, [0.0, 1.0])
    out32 = Adam().step(np.ones(3, dtype=np.float32), np.ones(3, dtype=np.float32))
    assert out32.dtype == np.float64


@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_scalar_parameters_behave_like_one_element_arrays(key):
    scalar_opt, vector_opt = full_optimizer(key), full_optimizer(key)
    x, v = 2.0, np.array([2.0])
    for _ in range(5):
        x = scalar_opt.step(x, 2 * x)
        v = vector_opt.step(v, 2 * v)
        assert isinstance(x, np.ndarray) and x.shape == ()
        assert x == v[0]
    for name in scalar_opt._state_names:
        ours, reference = getattr(scalar_opt, name), getattr(vector_opt, name)
        assert (ours is None and reference is None) or np.array_equal(ours, reference)


@pytest.mark.parametrize("key", FULL_CONFIGS)
def test_a_diverging_run_warns_nothing(key):
    """Overflow and inf − inf become inf/NaN silently (pytest turns RuntimeWarnings into errors)."""
    opt = full_optimizer(key)
    x = np.full(3, 1e300)
    for grad in ([1e308, -1e308, 1e308], [1e308, 1e308, 1e308], [np.inf, -np.inf, np.nan]):
        x = opt.step(x, np.array(grad))
    assert x.shape == (3,) and np.isnan(x[2])


def test_lr_can_be_reassigned_between_steps_and_is_validated():
    opt = SGD(lr=0.1)
    x = opt.step(np.ones(1), np.ones(1))
    opt.lr = 0.5
    np.testing.assert_array_equal(opt.step(x, np.ones(1)), [0.9 - 0.5])
    assert opt.last_lr == 0.5
    with pytest.raises(ValueError, match="lr must be a positive finite number; got -1"):
        opt.lr = -1


# ---------------------------------------------------------------------------
# Bad inputs: the parameter's name and the value appear in the message
# ---------------------------------------------------------------------------

BAD_ARGUMENTS = [
    # (optimizer, kwargs, error, text that must appear in the message)
    (SGD, dict(lr=-0.1), ValueError, ["lr", "-0.1"]),
    (SGD, dict(lr=0), ValueError, ["lr", "0"]),
    (SGD, dict(lr=float("nan")), ValueError, ["lr", "nan"]),
    (SGD, dict(lr=float("inf")), ValueError, ["lr", "inf"]),
    (SGD, dict(lr="0.1"), TypeError, ["lr", "'0.1'"]),
    (SGD, dict(lr=True), TypeError, ["lr", "True"]),
    (SGD, dict(lr=[0.1, -0.2]), ValueError, ["lr", "-0.2"]),
    (SGD, dict(lr=np.array([])), ValueError, ["lr"]),
    (SGD, dict(momentum=-0.5), ValueError, ["momentum", "-0.5"]),
    (SGD, dict(momentum="0.9"), TypeError, ["momentum", "'0.9'"]),
    (SGD, dict(dampening=1.5), ValueError, ["dampening", "1.5"]),
    (SGD, dict(dampening=-0.1), ValueError, ["dampening", "-0.1"]),
    (SGD, dict(weight_decay=-1e-4), ValueError, ["weight_decay", "-0.0001"]),
    (SGD, dict(nesterov=1), TypeError, ["nesterov", "True or False", "1"]),
    (SGD, dict(nesterov="yes", momentum=0.9), TypeError, ["nesterov", "'yes'"]),
    (SGD, dict(nesterov=True), ValueError, ["momentum", "nesterov", "0", "momentum=0.9"]),
    (SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), ValueError, ["dampening", "nesterov", "0.1", "dampening=0"]),
    (Adagrad, dict(lr=-1.0), ValueError, ["lr", "-1.0"]),
    (Adagrad, dict(lr_decay=-0.1), ValueError, ["lr_decay", "-0.1"]),
    (Adagrad, dict(weight_decay=-0.1), ValueError, ["weight_decay", "-0.1"]),
    (Adagrad, dict(initial_accumulator_value=-1), ValueError, ["initial_accumulator_value", "-1"]),
    (Adagrad, dict(eps=0), ValueError, ["eps", "0"]),
    (Adagrad, dict(eps=-1e-10), ValueError, ["eps", "-1e-10"]),
    (RMSprop, dict(alpha=1.0), ValueError, ["alpha", "[0, 1)", "1.0"]),
    (RMSprop, dict(alpha=-0.1), ValueError, ["alpha", "-0.1"]),
    (RMSprop, dict(eps=0.0), ValueError, ["eps", "0.0"]),
    (RMSprop, dict(weight_decay=-2), ValueError, ["weight_decay", "-2"]),
    (RMSprop, dict(momentum=-0.9), ValueError, ["momentum", "-0.9"]),
    (RMSprop, dict(centered="yes"), TypeError, ["centered", "'yes'"]),
    (RMSprop, dict(centered=None), TypeError, ["centered", "None"]),
    (Adam, dict(betas=(0.9,)), ValueError, ["betas", "(0.9,)"]),
    (Adam, dict(betas=(0.9, 0.99, 0.999)), ValueError, ["betas", "(0.9, 0.99, 0.999)"]),
    (Adam, dict(betas=0.9), TypeError, ["betas", "0.9"]),
    (Adam, dict(betas=(1.0, 0.999)), ValueError, ["betas[0]", "[0, 1)", "1.0"]),
    (Adam, dict(betas=(0.9, 1.0)), ValueError, ["betas[1]", "1.0"]),
    (Adam, dict(betas=(-0.1, 0.999)), ValueError, ["betas[0]", "-0.1"]),
    (Adam, dict(betas=(0.9, "0.999")), TypeError, ["betas[1]", "'0.999'"]),
    (Adam, dict(eps=-1e-8), ValueError, ["eps", "-1e-08"]),
    (Adam, dict(weight_decay=-0.01), ValueError, ["weight_decay", "-0.01"]),
    (Adam, dict(amsgrad=None), TypeError, ["amsgrad", "None"]),
    (AdamW, dict(weight_decay=-0.01), ValueError, ["weight_decay", "-0.01"]),
    (AdamW, dict(lr=0.0), ValueError, ["lr", "0.0"]),
    (AdamW, dict(amsgrad=0), TypeError, ["amsgrad", "0"]),
]


@pytest.mark.parametrize(
    "cls, kwargs, error, fragments",
    BAD_ARGUMENTS,
    ids=[f"{cls.__name__}-{kwargs}" for cls, kwargs, _, _ in BAD_ARGUMENTS],
)
def test_bad_arguments_are_rejected_at_construction(cls, kwargs, error, fragments):
    with pytest.raises(error) as info:
        cls(**kwargs)
    message = str(info.value)
    assert " must be " in message and "; got " in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} missing from {message!r}"


BAD_STEPS = [
    # (optimizer factory, x, grad, error, fragments)
    (lambda: SGD(), np.zeros(3), np.zeros(2), ValueError, ["grad", "(3,)", "(2,)", "one entry per parameter"]),
    (lambda: Adam(), np.zeros((4, 2)), np.zeros(2), ValueError, ["grad", "(4, 2)", "(2,)"]),
    (lambda: SGD(), "abc", np.zeros(3), TypeError, ["x", "array of real numbers", "'abc'"]),
    (lambda: SGD(), None, np.zeros(3), TypeError, ["x", "array of real numbers", "None"]),
    (lambda: RMSprop(), np.zeros(2), ["a", "b"], TypeError, ["grad", "array of real numbers"]),
    (lambda: Adagrad(), np.array([True, False]), np.zeros(2), TypeError, ["x", "array of real numbers"]),
    (lambda: SGD(lr=np.ones(3)), np.zeros((3, 2)), np.zeros((3, 2)), ValueError, ["lr", "(3,)", "(3, 2)", "(K, 1)"]),
    (lambda: SGD(lr=np.ones((3, 1))), np.zeros(2), np.zeros(2), ValueError, ["lr", "(3, 1)", "(2,)", "np.tile"]),
    (lambda: SGD(lr=np.ones(3)), np.zeros((3, 3)), np.zeros((3, 3)), ValueError,
     ["lr", "(3,)", "(3, 3)", "(K, 1)", "(1, d)"]),
    (lambda: SGD(lr=lambda k: np.ones(2)), np.zeros((2, 2)), np.zeros((2, 2)), ValueError, ["lr", "(2,)", "(1, d)"]),
    (lambda: SGD(lr=lambda k: [0.1, 0.2]), np.zeros(2), np.zeros(2), TypeError, ["lr(0)", "[0.1, 0.2]", "np.array"]),
]


@pytest.mark.parametrize("factory, x, grad, error, fragments", BAD_STEPS, ids=range(len(BAD_STEPS)))
def test_bad_step_inputs(factory, x, grad, error, fragments):
    opt = factory()
    with pytest.raises(error) as info:
        opt.step(x, grad)
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} missing from {info.value}"
    assert opt.step_count == 0 and opt.last_lr is None  # a rejected step changes nothing


def test_per_coordinate_rates_for_k_runs_are_written_as_a_row():
    # a (1, d) row is one rate per coordinate, shared by the K runs, even when K == d
    x, grad = np.ones((2, 2)), np.array([[1.0, 2.0], [3.0, 4.0]])
    stepped = SGD(lr=np.array([[0.1, 0.5]])).step(x, grad)
    np.testing.assert_allclose(stepped, x - np.array([[0.1, 0.5]]) * grad)
    # and a 1-D row is still per coordinate when it cannot be mistaken for one rate per run
    np.testing.assert_allclose(SGD(lr=np.array([0.1, 0.5])).step(np.ones((3, 2)), np.ones((3, 2))),
                               np.tile([0.9, 0.5], (3, 1)))


def test_changing_the_shape_mid_run_asks_for_reset():
    opt = Adam()
    opt.step(np.zeros((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"x must be an array of shape \(2, 3\).*got shape \(3,\).*reset\(\)"):
        opt.step(np.zeros(3), np.ones(3))


@pytest.mark.parametrize("bad", [0.0, -0.1, float("nan"), float("inf"), np.array([[0.1], [0.0]])])
def test_a_schedule_returning_a_bad_rate_names_the_step_and_the_value(bad):
    def schedule(k):
        return 0.1 if k < 3 else bad

    opt = SGD(lr=schedule)
    x = np.zeros((2, 1))
    for _ in range(3):
        x = opt.step(x, np.ones((2, 1)))
    with pytest.raises(ValueError) as info:
        opt.step(x, np.ones((2, 1)))
    message = str(info.value)
    assert message.startswith("lr(3) must be a positive finite number")
    assert "step 3" in message and "schedule" in message
    shown = "0.0" if isinstance(bad, np.ndarray) else repr(bad)
    assert shown in message
    assert opt.step_count == 3 and opt.last_lr == 0.1


def test_a_schedule_returning_a_non_number_is_a_type_error():
    opt = SGD(lr=lambda k: "fast")
    with pytest.raises(TypeError, match=r"lr\(0\) must be a positive finite number.*'fast'"):
        opt.step(np.zeros(1), np.zeros(1))


# ---------------------------------------------------------------------------
# Documentation
# ---------------------------------------------------------------------------

def test_module_exports():
    assert optim.__all__ == ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adam", "AdamW"]
    assert issubclass(AdamW, Adam) and all(issubclass(cls, Optimizer) for cls in OPTIMIZERS.values())


REFERENCES = {
    "SGD": ["Sutskever", "Nesterov", "1983", "2013"],
    "Adagrad": ["Duchi", "2011"],
    "RMSprop": ["Tieleman", "Hinton", "2012"],
    "Adam": ["Kingma", "2015", "Reddi", "2018"],
    "AdamW": ["Loshchilov", "Hutter", "2019"],
}


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_docstrings_carry_the_rule_legend_conventions_and_references(name):
    doc = inspect.getdoc(OPTIMIZERS[name])
    for placeholder in ("{lr}", "{eps}", "{weight_decay}", "{common_attributes}"):
        assert placeholder not in doc, "an unreplaced shared-doc placeholder"
    rule, legend = doc.split("Legend:")[0], doc.split("Legend:")[1].split("Parameters")[0]
    for argument, parameter in inspect.signature(OPTIMIZERS[name]).parameters.items():
        if isinstance(parameter.default, bool):  # a switch: it selects a branch of the rule
            assert argument in rule, f"the update rule does not show what {argument} switches"
        else:  # a symbol in the math: the legend maps it to the argument
            assert f"``{argument}``" in legend, f"the legend does not name {argument}"
        assert f"{argument} : " in doc, f"{argument} is not documented under Parameters"
    for section in ("Update rule", "Legend", "Parameters", "Attributes", "Notes", "References", "Conventions elsewhere"):
        assert section in doc
    for fragment in REFERENCES[name]:
        assert fragment in doc


def test_shared_argument_docs_are_one_text():
    """lr and eps read the same in every optimizer (written once, joined into each)."""
    def entry(cls, name):
        lines = inspect.getdoc(cls).splitlines()
        start = lines.index(next(line for line in lines if line.startswith(f"{name} : ")))
        end = next(i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" "))
        return "\n".join(lines[start:end]).strip()

    assert len({entry(cls, "lr") for cls in OPTIMIZERS.values()}) == 1
    assert len({entry(cls, "eps") for cls in (Adagrad, RMSprop, Adam, AdamW)}) == 1
    assert len({entry(cls, "weight_decay") for cls in (SGD, Adagrad, RMSprop, Adam)}) == 1
    assert "decoupled" not in entry(Adam, "weight_decay") and "(1 − η_t·λ)" in entry(AdamW, "weight_decay")
