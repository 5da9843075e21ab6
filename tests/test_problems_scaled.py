"""ScaledLoss: the capstone's problem, a loss multiplied by a constant c."""

import pickle

import numpy as np
import pytest

from lrcourse import optim
from lrcourse.problems import MLP
from lrcourse.problems.scaled import ScaledLoss
from lrcourse.train import run


@pytest.fixture(scope="module")
def mlp():
    return MLP(hidden=8)


def test_loss_gradient_and_validation_loss_are_scaled_and_accuracy_is_not(mlp):
    scaled = ScaledLoss(mlp, 20.0)
    x = np.stack([mlp.init(seed=0), mlp.init(seed=1)])
    batch = next(mlp.batches(16, seed=0))
    assert np.allclose(scaled.loss(x), 20 * mlp.loss(x))
    assert np.allclose(scaled.grad(x, batch), 20 * mlp.grad(x, batch))
    loss, grad = scaled.loss_and_grad(x, batch)
    assert np.allclose(loss, 20 * mlp.loss(x, batch)) and np.allclose(grad, 20 * mlp.grad(x, batch))
    assert np.allclose(scaled.val_loss(x), 20 * mlp.val_loss(x))
    assert np.array_equal(scaled.accuracy(x), mlp.accuracy(x))
    assert np.array_equal(scaled.init(seed=3), mlp.init(seed=3)) and scaled.dim == mlp.dim
    assert scaled.steps_per_epoch(64) == mlp.steps_per_epoch(64)
    assert "20" not in scaled.name and "20" not in repr(scaled)


def test_sgd_at_rate_eta_on_c_times_the_loss_is_sgd_at_c_eta(mlp):
    """The update is linear in the gradient, with or without momentum."""
    for momentum in (0.0, 0.9):
        a = run(ScaledLoss(mlp, 0.05), optim.SGD(lr=4.0, momentum=momentum), mlp.init(seed=0), 30,
                batch_size=32, seed=0)
        b = run(mlp, optim.SGD(lr=0.2, momentum=momentum), mlp.init(seed=0), 30, batch_size=32, seed=0)
        assert np.allclose(a.x, b.x)


def test_it_pickles(mlp):
    scaled = pickle.loads(pickle.dumps(ScaledLoss(mlp, 5.0)))
    x = mlp.init(seed=0)
    assert np.isclose(scaled.loss(x), 5 * mlp.loss(x))


def test_the_factor_is_not_shown(mlp):
    """Trial learner07cap2 C01/C02: a plan read c from problem.factor or parsed repr(problem);
    c is for the plan to measure (from the loss or the gradient), so it is not shown."""
    scaled = ScaledLoss(mlp, 30.0)
    assert not hasattr(scaled, "factor")
    assert "30" not in repr(scaled) and "30" not in str(scaled)


@pytest.mark.parametrize("factor, error", [(0.0, ValueError), (-1.0, ValueError), (np.inf, ValueError),
                                           (np.nan, ValueError), (True, TypeError), ("2", TypeError)])
def test_bad_factors_are_refused(mlp, factor, error):
    with pytest.raises(error, match="factor"):
        ScaledLoss(mlp, factor)


def test_a_problem_without_the_interface_is_refused():
    with pytest.raises(TypeError, match="problem"):
        ScaledLoss(object(), 2.0)


def test_it_notes_how_it_was_used(mlp):
    """A plan that ran plain SGD on it moved along the gradients; one with momentum did not."""
    assert ScaledLoss(mlp, 3.0).usage() == {"evaluations": 0, "steps_along_gradient": 0,
                                            "steps_off_gradient": 0, "momentum": None}
    for momentum, along in ((0.0, True), (0.9, False)):
        scaled = ScaledLoss(mlp, 3.0)
        run(scaled, optim.SGD(lr=0.01, momentum=momentum), mlp.init(seed=0), 20, batch_size=32, seed=0)
        usage = scaled.usage()
        assert usage["evaluations"] >= 20
        assert (usage["steps_along_gradient"] > usage["steps_off_gradient"]) == along


@pytest.mark.parametrize("momentum", [0.0, 0.5, 0.9, 0.99])
def test_it_estimates_the_momentum_a_plan_ran_with(mlp, momentum):
    """Trial learner07cap2 W20: the range test at 0.99, the training at 0.9. Each momentum
    step is exactly a combination of the previous move and the gradient, whatever the rate
    (here a ramp), so the momentum is read back; an evaluation that is not a step is skipped."""
    from lrcourse import tune
    scaled = ScaledLoss(mlp, 7.0)
    scaled.grad(mlp.init(seed=5))          # an evaluation that is no step of the test
    tune.lr_finder(scaled, optim.SGD, optimizer_kwargs={"momentum": momentum}, start_lr=1e-6, end_lr=1e2,
                   num_steps=60, batch_size=32)
    assert scaled.usage()["momentum"] == pytest.approx(momentum, abs=1e-6)
