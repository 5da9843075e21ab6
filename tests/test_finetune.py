"""lrcourse.finetune: task subsets, a new head on a pretrained body, per-layer rates, a frozen body."""

import numpy as np
import pytest

from lrcourse import finetune
from lrcourse.data import digits
from lrcourse.optim import SGD
from lrcourse.problems import MLP, SoftmaxRegression

FULL = digits()
FIVE_OR_MORE = (np.arange(10) >= 5).astype(int)


# ------------------------------------------------------------------------ subset
def test_subset_by_mask_keeps_rows_labels_and_source_indices():
    mask = FULL.y_train < 5
    task = finetune.subset(FULL, mask)
    np.testing.assert_array_equal(task.X_train, FULL.X_train[mask])
    np.testing.assert_array_equal(task.y_train, FULL.y_train[mask])
    np.testing.assert_array_equal(task.train_index, FULL.train_index[mask])
    np.testing.assert_array_equal(task.X_val, FULL.X_val)            # all validation rows by default
    assert task.n_classes == 10 and task.n_features == 64
    np.testing.assert_array_equal(task.feature_mean, FULL.feature_mean)


def test_subset_by_indices_keeps_their_order_and_relabels():
    rows = np.array([10, 3, 7])
    task = finetune.subset(FULL, rows, val_rows=np.arange(5), label_map=FIVE_OR_MORE)
    np.testing.assert_array_equal(task.X_train, FULL.X_train[rows])
    np.testing.assert_array_equal(task.y_train, FULL.y_train[rows] >= 5)
    np.testing.assert_array_equal(task.y_val, FULL.y_val[:5] >= 5)
    assert task.n_classes == 2 and task.n_val == 5
    # A boolean label map is taken as 0/1.
    assert finetune.subset(FULL, rows, label_map=np.arange(10) >= 5).n_classes == 2


@pytest.mark.parametrize("kwargs, error, message", [
    ({"train_rows": np.ones(5, bool)}, ValueError, "^train_rows must be a boolean mask of length 1347 .*; got a boolean mask of length 5$"),
    ({"train_rows": np.array([1, 1])}, ValueError, "^train_rows must be .*distinct.*; got indices with repeats$"),
    ({"train_rows": np.array([0, 1347])}, ValueError, "^train_rows must be .*; got indices from 0 to 1347$"),
    ({"train_rows": np.array([0.5])}, TypeError, "^train_rows must be .*; got an array of dtype float64$"),
    ({"train_rows": np.zeros(1347, bool)}, ValueError, "^train_rows must be .*; got no rows. a task needs at least one example$"),
    ({"train_rows": np.ones((2, 2), int)}, ValueError, r"^train_rows must be .*; got an array of shape \(2, 2\)$"),
    ({"train_rows": [0], "val_rows": [450]}, ValueError, "^val_rows must be .* in 0 … 449; got indices from 450 to 450$"),
    ({"train_rows": [0], "label_map": np.arange(5)}, ValueError, r"^label_map must be a 1-D array of 10 .*; got an array of shape \(5,\)$"),
    ({"train_rows": [0], "label_map": np.full(10, 0.5)}, TypeError, "^label_map must be .*; got an array of dtype float64$"),
    ({"train_rows": [0], "label_map": -np.ones(10, int)}, ValueError, "^label_map must be .*; got a label -1$"),
])
def test_subset_refuses_bad_rows_and_maps(kwargs, error, message):
    with pytest.raises(error, match=message):
        finetune.subset(FULL, **kwargs)


def test_subset_refuses_a_non_split():
    with pytest.raises(TypeError, match="^data must be a lrcourse.data.TrainValSplit"):
        finetune.subset(FULL.X_train, [0])


# ---------------------------------------------------------------------- new_head
def test_new_head_copies_the_body_and_draws_the_head_of_init():
    source = MLP(hidden=8)
    x_source = source.init(seed=5)
    target = MLP(hidden=8, data=finetune.subset(FULL, np.arange(40), label_map=FIVE_OR_MORE))
    W1, b1 = source.unpack(x_source)[:2]
    start = finetune.new_head(target, W1, b1 + 1.0, seed=3)
    parts, fresh = target.unpack(start), target.unpack(target.init(seed=3))
    np.testing.assert_array_equal(parts[0], W1)
    np.testing.assert_array_equal(parts[1], b1 + 1.0)
    np.testing.assert_array_equal(parts[2], fresh[2])              # (8, 2): the target's two classes
    np.testing.assert_array_equal(parts[3], fresh[3])
    assert start.shape == (target.dim,)


def test_new_head_refuses_a_body_of_the_wrong_size():
    W1, b1 = MLP(hidden=4).unpack(MLP(hidden=4).init())[:2]
    with pytest.raises(ValueError, match=r"^W1 must be an array of shape \(64, 8\); got shape \(64, 4\)$"):
        finetune.new_head(MLP(hidden=8), W1, np.zeros(8))
    with pytest.raises(TypeError, match="^model must be a lrcourse.problems.MLP"):
        finetune.new_head(SoftmaxRegression(), W1, b1)


# ------------------------------------------------------------------- layer_rates
def test_layer_rates_put_each_rate_on_its_layer():
    model = MLP(hidden=4)
    lr = finetune.layer_rates(model, 0.1, 2.0)
    body = 64 * 4 + 4
    assert lr.shape == (model.dim,)
    assert np.all(lr[:body] == 0.1) and np.all(lr[body:] == 2.0)
    W1, b1, W2, b2 = model.unpack(lr)
    assert np.all(W1 == 0.1) and np.all(b1 == 0.1) and np.all(W2 == 2.0) and np.all(b2 == 2.0)


def test_layer_rates_for_k_runs_drive_sgd_per_layer():
    model = MLP(hidden=4)
    lr = finetune.layer_rates(model, [0.1, 0.2, 0.3], 1.0)          # an array and a number
    assert lr.shape == (3, model.dim)
    x = np.tile(model.init(seed=1), (3, 1))
    g = model.grad(x)
    stepped = SGD(lr=lr).step(x, g)
    body = 64 * 4 + 4
    for k, rate in enumerate((0.1, 0.2, 0.3)):
        np.testing.assert_allclose(stepped[k, :body], x[k, :body] - rate * g[k, :body], rtol=0, atol=1e-15)
        np.testing.assert_allclose(stepped[k, body:], x[k, body:] - 1.0 * g[k, body:], rtol=0, atol=1e-15)


@pytest.mark.parametrize("body, head, error, message", [
    (0.0, 1.0, ValueError, "^body must be a positive finite number or a 1-D array of them .*; got 0.0. to freeze the body"),
    (0.1, [1.0, np.inf], ValueError, "^head must be a positive finite number"),
    ([0.1, 0.2], [1.0, 2.0, 3.0], ValueError, "^head must be a number or an array of 2 rates .*; got an array of 3 rates$"),
    (True, 1.0, TypeError, "^body must be"),
    ("0.1", 1.0, TypeError, "^body must be"),
    (np.ones((2, 2)), 1.0, ValueError, r"^body must be .*; got an array of shape \(2, 2\)$"),
])
def test_layer_rates_refuse_bad_rates(body, head, error, message):
    with pytest.raises(error, match=message):
        finetune.layer_rates(MLP(hidden=4), body, head)


# --------------------------------------------------------------- frozen_features
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_frozen_features_make_the_head_a_softmax_regression(activation):
    data = finetune.subset(FULL, np.arange(60), label_map=FIVE_OR_MORE)
    model = MLP(hidden=6, activation=activation, data=data)
    x = model.init(seed=2)
    x[model.dim - 2:] = [0.3, -0.2]                                 # a non-zero head bias too
    W1, b1, W2, b2 = model.unpack(x)
    features = finetune.frozen_features(model, x)
    assert features.n_features == 6 and features.n_classes == 2
    head = SoftmaxRegression(data=features)
    xh = head.pack(W2, b2)
    assert float(head.loss(xh)) == pytest.approx(float(model.loss(x)), rel=1e-12)
    assert float(head.val_loss(xh)) == pytest.approx(float(model.val_loss(x)), rel=1e-12)
    assert float(head.accuracy(xh)) == float(model.accuracy(x))
    # The head's gradient is the MLP's gradient with respect to (W₂, b₂).
    np.testing.assert_allclose(head.grad(xh), model.grad(x)[6 * 64 + 6:], rtol=1e-10, atol=1e-14)


def test_frozen_features_of_other_data_and_refusals():
    model = MLP(hidden=4)
    x = model.init()
    other = finetune.subset(FULL, np.arange(10))
    assert finetune.frozen_features(model, x, other).n_train == 10
    with pytest.raises(ValueError, match=r"^x must be one parameter vector of shape \(310,\); got shape \(2, 310\)$"):
        finetune.frozen_features(model, np.tile(x, (2, 1)))
    with pytest.raises(TypeError, match="^data must be a lrcourse.data.TrainValSplit"):
        finetune.frozen_features(model, x, data="digits")
    features = finetune.frozen_features(model, x)
    with pytest.raises(ValueError, match="^data must be a data set with 64 features .*; got one with 4$"):
        finetune.frozen_features(model, x, data=features)


@pytest.mark.parametrize("bad", ["strings", "complex", "text", "nan"])
def test_new_head_refuses_a_body_that_is_not_finite_real_numbers(bad):
    model = MLP(hidden=8)
    W1, b1 = model.unpack(model.init(0))[:2]
    value = {"strings": W1.astype(str), "complex": W1 + 1j, "text": "abc", "nan": W1 * np.nan}[bad]
    with pytest.raises((TypeError, ValueError), match="W1"):
        finetune.new_head(model, value, b1)


def test_frozen_features_refuses_a_parameter_vector_with_nan():
    model = MLP(hidden=8)
    x = model.init(0)
    x[0] = np.nan
    with pytest.raises(ValueError, match="x must be an array of finite real numbers"):
        finetune.frozen_features(model, x)
