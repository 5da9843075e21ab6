"""Fine-tuning the digits MLP: new tasks, a new head on a pretrained body, per-layer rates.

Fine-tuning starts from a network trained on one task (the *source*) and trains it
on another (the *target*).  For the one-hidden-layer :class:`~lrcourse.problems.MLP`
the first layer (W₁, b₁) is the **body**, the features h = act(x W₁ + b₁); the
output layer (W₂, b₂) is the **head**, the logits z = h W₂ + b₂.  A target task with
other classes needs a new head; the body can then be

- *frozen*: only the head trains.  With the features fixed, the head is a softmax
  regression on h, a convex problem: :func:`frozen_features` makes that data set,
  and ``SoftmaxRegression(data=frozen_features(...))`` trains exactly the head
  (same parameter layout [W₂.ravel(), b₂], same loss when l2 = 0);
- trained at a *small rate*, or at its own rate beside the head's (*per-layer
  rates*): :func:`layer_rates` builds the learning-rate array for
  ``lrcourse.optim`` (an array of rates that broadcasts against the parameters);
- or thrown away: training from scratch, ``MLP(...).init(seed)``.

Functions
---------
subset(data, train_rows, val_rows=None, label_map=None)
    Some of a data set's examples, optionally relabelled (a source or target task).
new_head(model, W1, b1, seed=0)
    A start point for ``model``: a given body and a freshly initialised head.
layer_rates(model, body, head)
    Per-layer learning rates: ``body`` on (W₁, b₁), ``head`` on (W₂, b₂).
frozen_features(model, x, data=None)
    The body's features as a data set, for training the head alone.
"""

from __future__ import annotations

import numpy as np

from . import _validation as check
from .data import TrainValSplit
from .problems import MLP, as_points

__all__ = ["subset", "new_head", "layer_rates", "frozen_features"]


def _check_data(data) -> TrainValSplit:
    if not isinstance(data, TrainValSplit):
        check.fail("data", "a lrcourse.data.TrainValSplit (e.g. lrcourse.data.digits())", data, error=TypeError)
    return data


def _check_model(model) -> MLP:
    if not isinstance(model, MLP):
        check.fail("model", "a lrcourse.problems.MLP", model, error=TypeError)
    return model


def _rows(name: str, rows, n: int) -> np.ndarray:
    """Sorted-as-given integer indices from a boolean mask of length n or an index array."""
    accepted = f"a boolean mask of length {n} or a 1-D array of distinct integer indices in 0 … {n - 1}"
    array = np.asarray(rows)
    if array.ndim != 1:
        check.fail(name, accepted, check.Described(f"an array of shape {array.shape}"))
    if array.dtype == bool:
        if array.size != n:
            check.fail(name, accepted, check.Described(f"a boolean mask of length {array.size}"))
        index = np.flatnonzero(array)
    elif array.dtype.kind in "iu":
        index = array.astype(np.int64)
        if index.size and (index.min() < 0 or index.max() >= n):
            check.fail(name, accepted, check.Described(f"indices from {index.min()} to {index.max()}"))
        if np.unique(index).size != index.size:
            check.fail(name, accepted, check.Described("indices with repeats"))
    else:
        check.fail(name, accepted, check.Described(f"an array of dtype {array.dtype}"), error=TypeError)
    if index.size == 0:
        check.fail(name, accepted, check.Described("no rows"), "a task needs at least one example")
    return index


def subset(data, train_rows, val_rows=None, label_map=None) -> TrainValSplit:
    """Some of ``data``'s examples as a new task, optionally with new labels.

    Parameters
    ----------
    data : TrainValSplit
        The data set to take examples from (e.g. ``lrcourse.data.digits()``).
    train_rows : boolean mask (n_train,) or 1-D array of distinct indices
        The training examples to keep, e.g. ``data.y_train < 5``.
    val_rows : the same for the validation set, or None
        None keeps every validation example.
    label_map : 1-D integer array of length ``data.n_classes``, or None
        New label of every old class: example i gets ``label_map[y_i]``, and the
        task has ``label_map.max() + 1`` classes.  E.g. ``np.arange(10) >= 5``
        as integers asks "is the digit 5 or more?" (two classes).  None keeps the
        labels and ``data.n_classes``.

    Returns
    -------
    TrainValSplit
        Its ``train_index``/``val_index`` still point into the source data set, and
        its features are those of ``data`` (same standardisation).
    """
    data = _check_data(data)
    train = _rows("train_rows", train_rows, data.n_train)
    val = np.arange(data.n_val) if val_rows is None else _rows("val_rows", val_rows, data.n_val)
    y_train, y_val, n_classes = data.y_train[train], data.y_val[val], data.n_classes
    if label_map is not None:
        accepted = f"a 1-D array of {data.n_classes} non-negative integers (the new label of each class)"
        mapping = np.asarray(label_map)
        if mapping.dtype.kind == "b":
            mapping = mapping.astype(np.int64)
        if mapping.dtype.kind not in "iu":
            check.fail("label_map", accepted, check.Described(f"an array of dtype {mapping.dtype}"), error=TypeError)
        if mapping.shape != (data.n_classes,):
            check.fail("label_map", accepted, check.Described(f"an array of shape {mapping.shape}"))
        if mapping.min() < 0:
            check.fail("label_map", accepted, check.Described(f"a label {mapping.min()}"))
        y_train, y_val, n_classes = mapping[y_train], mapping[y_val], int(mapping.max()) + 1
    return TrainValSplit(
        X_train=data.X_train[train], y_train=y_train, X_val=data.X_val[val], y_val=y_val,
        n_classes=n_classes, n_features=data.n_features,
        train_index=data.train_index[train], val_index=data.val_index[val],
        feature_mean=data.feature_mean, feature_scale=data.feature_scale, standardized=data.standardized,
    )


def new_head(model, W1, b1, seed=0) -> np.ndarray:
    """A start point for ``model``: the body (W₁, b₁) given, the head freshly drawn.

    The head (W₂, b₂) is the one of ``model.init(seed)`` (Glorot-uniform W₂, zero
    b₂ by default), so a fine-tuned run and a from-scratch run with the same seed
    start from the same head.  ``W1`` (n_features, hidden) and ``b1`` (hidden,)
    usually come from ``source_model.unpack(x_pretrained)[:2]``; the source may have
    a different number of classes.  Returns a new array of shape ``(model.dim,)``.
    """
    model = _check_model(model)
    W1 = check.real_array("W1", W1, finite=True)
    b1 = check.real_array("b1", b1, finite=True)
    body = (model.n_features, model.hidden)
    if W1.shape != body:
        check.fail("W1", f"an array of shape {body}", check.Described(f"shape {W1.shape}"))
    if b1.shape != (model.hidden,):
        check.fail("b1", f"an array of shape ({model.hidden},)", check.Described(f"shape {b1.shape}"))
    W2, b2 = model.unpack(model.init(seed))[2:]
    return model.pack(W1, b1, W2, b2)


def _rate_array(name: str, rate) -> np.ndarray:
    accepted = "a positive finite number or a 1-D array of them (one per run)"
    array = np.asarray(rate)
    if array.dtype.kind not in "iuf" or array.dtype == bool:
        check.fail(name, accepted, rate, error=TypeError)
    array = array.astype(float)
    if array.ndim > 1 or array.size == 0:
        check.fail(name, accepted, check.Described(f"an array of shape {array.shape}"))
    if not np.all(np.isfinite(array) & (array > 0)):
        check.fail(name, accepted, rate, "to freeze the body, train the head alone on frozen_features(...)")
    return array


def layer_rates(model, body, head) -> np.ndarray:
    """Per-layer learning rates for ``lrcourse.optim``: ``body`` on (W₁, b₁), ``head`` on (W₂, b₂).

    The optimizers accept an array of rates that broadcasts against the
    parameters; with this one, parameter i is updated with the rate of its layer,
    x_i ← x_i − η_layer(i) · g_i for SGD (PyTorch: two parameter groups with their
    own ``lr``).

    Parameters
    ----------
    model : MLP
    body, head : positive number, or 1-D array of K positive numbers
        The rates of the first layer and of the output layer.  With arrays (of the
        same length K, or one of them a number) the result carries K runs.

    Returns
    -------
    array of shape (dim,), or (K, dim) for K runs (rows: runs, as x0 of shape (K, dim)).
    """
    model = _check_model(model)
    body, head = _rate_array("body", body), _rate_array("head", head)
    if body.ndim and head.ndim and body.size != head.size:
        check.fail("head", f"a number or an array of {body.size} rates (as many as body)",
               check.Described(f"an array of {head.size} rates"))
    runs = max(body.size if body.ndim else 0, head.size if head.ndim else 0)
    lead = (runs,) if runs else ()
    body = np.broadcast_to(body, lead)[..., None]
    head = np.broadcast_to(head, lead)[..., None]
    f, h, c = model.n_features, model.hidden, model.n_classes
    ones = lambda rate, size: np.broadcast_to(rate, lead + (size,))
    return np.concatenate([ones(body, f * h), ones(body, h), ones(head, h * c), ones(head, c)], axis=-1)


def frozen_features(model, x, data=None) -> TrainValSplit:
    """The body's features h = act(x W₁ + b₁) of every example, as a data set.

    Training ``SoftmaxRegression(data=frozen_features(model, x))`` from
    ``pack(W₂, b₂)`` is training ``model``'s head with the body of ``x`` frozen:
    the logits h W₂ + b₂ and the loss are the same, and no gradient reaches the
    body.  (``layer_rates`` cannot freeze a layer: the optimizers accept only
    positive rates.)

    Parameters
    ----------
    model : MLP
    x : array of shape (model.dim,)
        One parameter vector; only its body (W₁, b₁) is used.
    data : TrainValSplit, optional
        The examples to featurise (default ``model.data``).  Its ``n_features`` must
        be the model's.

    Returns
    -------
    TrainValSplit
        ``n_features = model.hidden``; labels, classes and indices of ``data``; the
        features are not standardised (mean 0, scale 1 recorded).
    """
    model = _check_model(model)
    data = model.data if data is None else _check_data(data)
    if data.n_features != model.n_features:
        check.fail("data", f"a data set with {model.n_features} features (the model's inputs)",
               check.Described(f"one with {data.n_features}"))
    point = as_points(check.real_array("x", x, finite=True), model.dim)
    if point.shape != (model.dim,):
        check.fail("x", f"one parameter vector of shape ({model.dim},)", check.Described(f"shape {point.shape}"))
    W1, b1 = model.unpack(point)[:2]
    act = (lambda z: np.maximum(z, 0.0)) if model.activation == "relu" else np.tanh
    h = model.hidden
    return TrainValSplit(
        X_train=act(data.X_train @ W1 + b1), y_train=data.y_train,
        X_val=act(data.X_val @ W1 + b1), y_val=data.y_val,
        n_classes=data.n_classes, n_features=h,
        train_index=data.train_index, val_index=data.val_index,
        feature_mean=np.zeros(h), feature_scale=np.ones(h), standardized=False,
    )
