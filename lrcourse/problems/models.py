"""Classifiers on the digits data: softmax regression and a one-hidden-layer MLP.

Both are problems like the others: the parameters are ONE flat vector (shape
``(dim,)``, or ``(K, dim)`` for K independent runs), ``loss``/``grad`` take a leading
batch axis, and the K runs are evaluated together.  What makes that fast is the
layout: the K first-layer weight matrices are placed side by side, so the first
layer of all K models is one BLAS product X (n, 65) @ W_stack (65, K·m) (the 65th
column of X is all ones and carries the biases), and so is its gradient
Xᵀ @ (∂L/∂Z)_stack.  Nothing loops over K in Python.

Objective (training loss), for the examples S (all n_train, or a mini-batch):

    L(θ) = (1/|S|) Σ_{i∈S} −log softmax(z_i)[y_i]  +  ½·l2·‖W‖²

where z_i are the logits of example i and ‖W‖² sums the squares of the weights
only (not the biases).  log-softmax is computed stably, subtracting each row's
largest logit before exponentiating.
"""

from __future__ import annotations

import numpy as np

from .. import _validation as check
from .._blas import single_threaded_blas
from ..data import TrainValSplit, digits
from ._base import Problem

__all__ = ["SoftmaxRegression", "MLP"]

_SPLITS = ("train", "val")

_SHARED_DOCS = """
    Methods
    -------
    loss(x, batch=None)
        Mean cross-entropy over the training set, or over the training examples
        whose indices are in ``batch``, plus ½·l2·‖W‖².  Shape ``(...)`` for x of
        shape ``(..., dim)``.
    grad(x, batch=None)
        Its gradient, shape ``(..., dim)``.
    loss_and_grad(x, batch=None)
        Both from one forward pass (what ``lrcourse.train.run`` calls).
    cross_entropy(x, split="train")
        The plain mean cross-entropy on a whole split (no l2 term).
    val_loss(x)
        ``cross_entropy(x, "val")``.
    predict(x, split="val"), accuracy(x, split="val")
        Predicted classes (shape ``(..., n)``), fraction correct (shape ``(...)``).
    batches(batch_size, seed=0, drop_last=False)
        Endless iterator of mini-batch index arrays: every epoch is a fresh
        permutation (``np.random.default_rng(seed)``) of the n_train examples cut
        into consecutive pieces of ``batch_size``.  By default the last, smaller
        piece (n_train mod batch_size examples) is kept, so each example is used
        exactly once per epoch.  ``drop_last=True`` drops it, as PyTorch's
        ``DataLoader(drop_last=True)``: every batch then has exactly ``batch_size``
        rows and the n_train mod batch_size examples left over are skipped that
        epoch (the next epoch's permutation is the same as without dropping).
        ``batch_size`` must be ≤ n_train (use full-batch evaluation,
        ``batch=None``, for all examples).
    steps_per_epoch(batch_size, drop_last=False)
        ⌈n_train / batch_size⌉, or ⌊n_train / batch_size⌋ with ``drop_last``.

    ``batch`` is a 1-D array of integer indices in 0 … n_train − 1 (repeats allowed).
    Points may have any leading shape; they are never modified.
"""


class _DigitsModel(Problem):
    """Shared machinery: data, batching, cross-entropy, the l2 term, evaluation."""

    _weight_slices: tuple

    def __init__(self, l2, data):
        self.l2 = check.nonnegative("l2", l2)
        if data is None:
            data = digits()
        elif not isinstance(data, TrainValSplit):
            check.fail("data", "a lrcourse.data.TrainValSplit (e.g. lrcourse.data.digits())", data, error=TypeError)
        self.data = data
        self.n_features = data.n_features
        self.n_classes = data.n_classes
        self.n_train = data.n_train
        self.n_val = data.n_val
        ones = {split: np.ones((getattr(data, f"X_{split}").shape[0], 1)) for split in _SPLITS}
        self._design = {split: np.hstack([getattr(data, f"X_{split}"), ones[split]]) for split in _SPLITS}
        self._labels = {split: getattr(data, f"y_{split}") for split in _SPLITS}
        for array in self._design.values():
            array.setflags(write=False)

    # ------------------------------------------------------------------ public API
    def loss(self, x, batch=None):
        """Mean cross-entropy over the training set (or the rows ``batch``) + ½·l2·‖W‖²."""
        return self._evaluate(x, self._rows(batch), want_loss=True, want_grad=False)[0]

    def grad(self, x, batch=None):
        """Gradient of ``loss(x, batch)``, shape ``(..., dim)``."""
        return self._evaluate(x, self._rows(batch), want_loss=False, want_grad=True)[1]

    def loss_and_grad(self, x, batch=None):
        """``(loss(x, batch), grad(x, batch))`` from one forward pass."""
        return self._evaluate(x, self._rows(batch), want_loss=True, want_grad=True)

    def cross_entropy(self, x, split="train"):
        """Mean cross-entropy on the whole ``split`` ("train" or "val"), without the l2 term."""
        split = check.one_of("split", split, _SPLITS)
        rows = (self._design[split], self._labels[split])
        return self._evaluate(x, rows, want_loss=True, want_grad=False, penalty=False)[0]

    def val_loss(self, x):
        """Mean cross-entropy on the validation set (no l2 term)."""
        return self.cross_entropy(x, "val")

    def predict(self, x, split="val"):
        """Predicted classes (argmax of the logits) on ``split``, shape ``(..., n)``."""
        split = check.one_of("split", split, _SPLITS)
        points = self._points(x)
        flat = points.reshape(-1, self.dim)
        with np.errstate(over="ignore", invalid="ignore"), single_threaded_blas():
            logits, example_axis, class_axis = self._logits(flat, self._design[split])[:3]
            classes = np.argmax(logits, axis=class_axis)  # (K, n) or (n, K)
        if example_axis == 0:
            classes = classes.T
        return classes.reshape(points.shape[:-1] + (classes.shape[-1],))

    def accuracy(self, x, split="val"):
        """Fraction of ``split`` classified correctly, shape ``(...)``."""
        split = check.one_of("split", split, _SPLITS)
        correct = self.predict(x, split) == self._labels[split]
        return correct.mean(axis=-1)[()]

    def batches(self, batch_size, seed=0, drop_last=False):
        """Endless iterator of index arrays: a seeded reshuffle per epoch, cut into
        pieces of ``batch_size``; the last partial piece is kept unless ``drop_last``."""
        batch_size = self._batch_size(batch_size)
        seed = check.nonnegative_int("seed", seed)
        drop_last = check.boolean("drop_last", drop_last)
        return _epochs(self.n_train, batch_size, seed, drop_last)

    def steps_per_epoch(self, batch_size, drop_last=False) -> int:
        """Batches in one epoch: ⌈n_train / batch_size⌉, or ⌊n_train / batch_size⌋ with ``drop_last``."""
        batch_size = self._batch_size(batch_size)
        drop_last = check.boolean("drop_last", drop_last)
        return self.n_train // batch_size if drop_last else -(-self.n_train // batch_size)

    # ---------------------------------------------------------------- the machinery
    def _batch_size(self, batch_size) -> int:
        batch_size = check.positive_int("batch_size", batch_size)
        if batch_size > self.n_train:
            check.fail("batch_size", f"a positive integer ≤ n_train = {self.n_train}", batch_size,
                   "for full-batch gradients evaluate with batch=None (train.run with batch_size=None)")
        return batch_size

    def _rows(self, batch):
        """(design matrix with a ones column, labels) for the training rows ``batch``."""
        design, labels = self._design["train"], self._labels["train"]
        if batch is None:
            return design, labels
        accepted = f"a non-empty 1-D array of integer indices in 0 … {self.n_train - 1} (or None for all)"
        index = np.asarray(batch)
        if index.ndim != 1 or index.size == 0:
            check.fail("batch", accepted, check.Described(f"an array of shape {index.shape}"))
        if index.dtype.kind not in "iu":
            check.fail("batch", accepted, check.Described(f"an array of dtype {index.dtype}"), error=TypeError)
        low, high = index.min(), index.max()
        if low < 0 or high >= self.n_train:
            check.fail("batch", accepted, check.Described(f"indices from {low} to {high}"))
        return design[index], labels[index]

    def _evaluate(self, x, rows, *, want_loss, want_grad, penalty=True):
        points = self._points(x)
        lead = points.shape[:-1]
        flat = points.reshape(-1, self.dim)
        design, labels = rows
        # One BLAS thread: at these sizes threads gain little and lose a lot on a
        # busy machine (see lrcourse._blas).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"), single_threaded_blas():
            logits, example_axis, class_axis, cache = self._logits(flat, design)
            loss = _cross_entropy(logits, labels, example_axis, class_axis, want_grad)
            grad = self._backward(flat, design, logits, cache) if want_grad else None
            if penalty and self.l2 > 0:
                for part in self._weight_slices:
                    weights = flat[:, part]
                    if want_loss:
                        loss += 0.5 * self.l2 * np.einsum("ki,ki->k", weights, weights)
                    if want_grad:
                        grad[:, part] += self.l2 * weights
        loss = loss.reshape(lead)[()] if want_loss else None
        grad = grad.reshape(lead + (self.dim,)) if want_grad else None
        return loss, grad

    def _logits(self, flat, design):  # pragma: no cover - interface
        """Logits of K models (in the model's layout), the layout's axes and a cache."""
        raise NotImplementedError

    def _backward(self, flat, design, logit_grad, cache):  # pragma: no cover - interface
        """Gradient (K, dim) of the mean cross-entropy, given ∂L/∂logits."""
        raise NotImplementedError


def _cross_entropy(logits, labels, example_axis, class_axis, want_grad):
    """Mean cross-entropy of every run; with ``want_grad`` overwrite ``logits`` with ∂L/∂logits.

    ``logits`` is 3-D with one example axis, one class axis and one run axis (the
    layouts are (n, C, K) and (K, n, C)); it is a scratch array owned by the caller.

        L_k = (1/n) Σ_i [log Σ_c exp(z_ic − m_i) − (z_{i,y_i} − m_i)],  m_i = max_c z_ic
        ∂L_k/∂z_ic = (softmax(z_i)_c − [c = y_i]) / n
    """
    n = labels.size
    picked = [slice(None)] * 3
    picked[example_axis] = np.arange(n)
    picked[class_axis] = labels
    picked = tuple(picked)
    np.subtract(logits, logits.max(axis=class_axis, keepdims=True), out=logits)
    true_class = logits[picked]  # (n, K) or (K, n): the shifted logit of the right class
    np.exp(logits, out=logits)
    totals = logits.sum(axis=class_axis, keepdims=True)  # in [1, C]
    loss = (np.log(totals).sum(axis=(example_axis, class_axis)) - true_class.sum(axis=example_axis)) / n
    if want_grad:
        np.multiply(logits, 1.0 / (n * totals), out=logits)
        logits[picked] -= 1.0 / n
    return loss


def _epochs(n: int, batch_size: int, seed: int, drop_last: bool):
    rng = np.random.default_rng(seed)
    end = n - n % batch_size if drop_last else n  # first index not used this epoch
    while True:
        order = rng.permutation(n)
        for start in range(0, end, batch_size):
            yield order[start:start + batch_size]


class SoftmaxRegression(_DigitsModel):
    """Multinomial logistic (softmax) regression on the digits: z = xW + b.

    Parameters
    ----------
    l2 : float ≥ 0
        Weight of the penalty ½·l2·‖W‖² (on W only, not on b).  Default 0.
    data : TrainValSplit, optional
        The data (default ``lrcourse.data.digits()``: 64 standardised features,
        10 classes, 1347 training and 450 validation examples).

    Parameter layout
    ----------------
    x = [W.ravel(), b] with W of shape (n_features, n_classes) (row j: the weights
    of feature j) and b of shape (n_classes,); ``dim = 64·10 + 10 = 650`` on digits.
    ``unpack(x)`` returns (W, b) as views, ``pack(W, b)`` the flat vector; both keep
    leading batch axes.  ``init(seed)`` returns zeros (the loss is convex; at zero
    every class has probability 1/10 and the loss is log 10), whatever the seed.
    """

    __doc__ += _SHARED_DOCS

    def __init__(self, l2=0.0, data=None):
        super().__init__(l2, data)
        f, c = self.n_features, self.n_classes
        self.dim = f * c + c
        self._weight_slices = (slice(0, f * c),)
        self.name = "softmax regression on digits" + (f" (l2={self.l2:g})" if self.l2 else "")

    def init(self, seed=0):
        """Zeros (every class has probability 1/10; loss log 10); ``seed`` is ignored."""
        check.nonnegative_int("seed", seed)
        return np.zeros(self.dim)

    def unpack(self, x):
        """(W, b) of shapes (..., n_features, n_classes) and (..., n_classes), as views of x."""
        points = self._points(x)
        f, c = self.n_features, self.n_classes
        lead = points.shape[:-1]
        return points[..., : f * c].reshape(lead + (f, c)), points[..., f * c:]

    def pack(self, W, b):
        """The flat parameter vector [W.ravel(), b] (leading batch axes kept)."""
        f, c = self.n_features, self.n_classes
        W, b = np.asarray(W, dtype=float), np.asarray(b, dtype=float)
        if W.ndim < 2 or W.shape[-2:] != (f, c):
            check.fail("W", f"an array of shape (..., {f}, {c})", check.Described(f"shape {W.shape}"))
        if b.shape != W.shape[:-2] + (c,):
            check.fail("b", f"an array of shape {W.shape[:-2] + (c,)}", check.Described(f"shape {b.shape}"))
        return np.concatenate([W.reshape(W.shape[:-2] + (f * c,)), b], axis=-1)

    def per_example_grads(self, x):
        """Every training example's own gradient gᵢ at one parameter vector x.

        With fᵢ(x) = CE(softmax(xᵢW + b), yᵢ) + ½·l2·‖W‖², the loss is f = (1/n) Σ fᵢ,
        so ∇f = mean of the gᵢ and a mini-batch gradient is the mean over its rows —
        the quantities lesson 02 uses to measure gradient noise.  In closed form,
        with pᵢ = softmax(zᵢ) and eᵢ the one-hot label: ∂fᵢ/∂W = xᵢ ⊗ (pᵢ − eᵢ) + l2·W,
        ∂fᵢ/∂b = pᵢ − eᵢ.

        Parameters
        ----------
        x : array, shape (dim,)
            One parameter vector (no batch axis).

        Returns
        -------
        array, shape (n_train, dim)
        """
        point = self._points(x)
        if point.ndim != 1:
            check.fail("x", f"one parameter vector of shape ({self.dim},)", check.Described(f"shape {point.shape}"))
        W, b = self.unpack(point)
        X, y = self.data.X_train, self.data.y_train
        n = X.shape[0]
        with np.errstate(over="ignore", invalid="ignore"), single_threaded_blas():
            logits = X @ W + b
            logits -= logits.max(axis=1, keepdims=True)
            residual = np.exp(logits)
            residual /= residual.sum(axis=1, keepdims=True)
            residual[np.arange(n), y] -= 1.0                  # pᵢ − eᵢ
            grads = np.empty((n, self.dim))
            weight_part = grads[:, : W.size].reshape(n, *W.shape)
            np.multiply(X[:, :, None], residual[:, None, :], out=weight_part)
            if self.l2 > 0:
                weight_part += self.l2 * W
            grads[:, W.size:] = residual
        return grads

    def _logits(self, flat, design):
        # Logits in layout (n, C, K): class-major columns make the per-example max/sum
        # over classes elementwise operations on contiguous rows of length K.
        k = flat.shape[0]
        f, c = self.n_features, self.n_classes
        stack = np.empty((f + 1, c, k))
        stack[:f] = flat[:, : f * c].reshape(k, f, c).transpose(1, 2, 0)
        stack[f] = flat[:, f * c:].T
        logits = design @ stack.reshape(f + 1, c * k)
        return logits.reshape(design.shape[0], c, k), 0, 1, None

    def _backward(self, flat, design, logit_grad, cache):
        k = flat.shape[0]
        f, c = self.n_features, self.n_classes
        stacked = (design.T @ logit_grad.reshape(design.shape[0], c * k)).reshape(f + 1, c, k)
        grad = np.empty((k, self.dim))
        grad[:, : f * c].reshape(k, f, c)[...] = stacked[:f].transpose(2, 0, 1)
        grad[:, f * c:] = stacked[f].T
        return grad

    def __repr__(self) -> str:
        return f"SoftmaxRegression(l2={self.l2!r})"


#: Widths of the hidden layer: 4096 units are 307,210 parameters on the digits, a
#: fraction of a second per full-batch step (the course uses 8 to 32).
_HIDDEN = check.Interval(1, 4096, "both", integer=True)


class MLP(_DigitsModel):
    """A one-hidden-layer perceptron on the digits: z = act(x W₁ + b₁) W₂ + b₂.

    Parameters
    ----------
    hidden : int in [1, 4096]
        Width of the hidden layer.  Default 32.
    l2 : float ≥ 0
        Weight of the penalty ½·l2·(‖W₁‖² + ‖W₂‖²) (biases are not penalised).
    activation : {"relu", "tanh"}
        The hidden non-linearity.  Default "relu".
    data : TrainValSplit, optional
        The data (default ``lrcourse.data.digits()``).
    init : {"auto", "he", "glorot"} or float σ > 0
        How ``init(seed)`` draws the weights (see Initialisation below).  Default
        "auto".

    Parameter layout
    ----------------
    x = [W₁.ravel(), b₁, W₂.ravel(), b₂] with W₁ (n_features, hidden), b₁ (hidden,),
    W₂ (hidden, n_classes), b₂ (n_classes,); ``dim = 75·hidden + 10`` on digits
    (2410 for hidden=32).  ``unpack(x)`` returns the four as views, ``pack`` the
    flat vector.

    Initialisation
    --------------
    ``init(seed)`` draws W₁ (fan_in = n_features, fan_out = hidden) then W₂
    (fan_in = hidden, fan_out = n_classes) from ``np.random.default_rng(seed)``;
    biases start at zero.  A layer z = a W has Var(z_j) = fan_in·Var(W)·E[a²] for
    independent zero-mean weights, so the weights' variance sets the scale of
    everything downstream — the logits, the loss, the gradients, and with them the
    range of usable learning rates.  The schemes:

    - "he" (He et al. 2015): Var(W) = 2/fan_in.  A ReLU zeroes half of a symmetric
      input, E[relu(z)²] = Var(z)/2, so this keeps E[a²] the same from layer to
      layer.  Drawn uniform on [−r, r] with r = √(6/fan_in), since
      Var(U[−r, r]) = r²/3 (PyTorch's ``kaiming_uniform_`` for relu).
    - "glorot" (Glorot & Bengio 2010, "Xavier"): Var(W) = 2/(fan_in + fan_out), the
      compromise between keeping the forward signal (fan_in·Var = 1) and the
      backward gradient (fan_out·Var = 1) for units that are linear near zero
      (tanh).  Uniform with r = √(6/(fan_in + fan_out)) (``xavier_uniform_``).
    - "auto" (the default): "he" for W₁ with relu, "glorot" for W₁ with tanh and
      for the output layer W₂ (the logits feed no ReLU).
    - a number σ > 0, the *naive* scheme: every weight from N(0, σ²), whatever
      the layer's size.  σ = 1 makes the first layer's pre-activations about
      √fan_in = 8 times too large on the standardised digits; a tiny σ (0.01)
      makes the signal, and the gradients, vanish.

    Notes
    -----
    The first layer of the K runs is one BLAS product (as for softmax regression);
    the second is ``np.matmul`` batched over K.

    References
    ----------
    X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
    feedforward neural networks", AISTATS 2010.
    K. He, X. Zhang, S. Ren and J. Sun, "Delving deep into rectifiers", ICCV 2015.
    """

    __doc__ += _SHARED_DOCS

    def __init__(self, hidden=32, l2=0.0, activation="relu", data=None, init="auto"):
        self.hidden = _HIDDEN("hidden", hidden)
        self.activation = check.one_of("activation", activation, ("relu", "tanh"))
        self.init_scheme = _init_scheme(init)
        super().__init__(l2, data)
        f, h, c = self.n_features, self.hidden, self.n_classes
        self._sizes = (f * h, h, h * c, c)
        self._offsets = tuple(np.cumsum((0,) + self._sizes))
        self.dim = int(self._offsets[-1])
        self._weight_slices = (self._part(0), self._part(2))
        self.name = (f"MLP {f}-{h}-{c} ({self.activation}) on digits" + (f" (l2={self.l2:g})" if self.l2 else "")
                     + ("" if self.init_scheme == "auto" else f" (init={_init_label(self.init_scheme)})"))

    def _part(self, i) -> slice:
        return slice(int(self._offsets[i]), int(self._offsets[i + 1]))

    def init(self, seed=0):
        """Seeded weights by the model's ``init`` scheme (default: He / Glorot uniform), zero biases."""
        seed = check.nonnegative_int("seed", seed)
        rng = np.random.default_rng(seed)
        f, h, c = self.n_features, self.hidden, self.n_classes
        x = np.zeros(self.dim)
        for part, fan_in, fan_out in ((0, f, h), (2, h, c)):
            scheme = self.init_scheme
            if scheme == "auto":
                scheme = "he" if self.activation == "relu" and part == 0 else "glorot"
            x[self._part(part)] = _draw_weights(rng, scheme, fan_in, fan_out)
        return x

    def unpack(self, x):
        """(W₁, b₁, W₂, b₂) as views of x, with x's leading batch axes."""
        points = self._points(x)
        lead = points.shape[:-1]
        f, h, c = self.n_features, self.hidden, self.n_classes
        shapes = ((f, h), (h,), (h, c), (c,))
        return tuple(points[..., self._part(i)].reshape(lead + shape) for i, shape in enumerate(shapes))

    def pack(self, W1, b1, W2, b2):
        """The flat parameter vector [W₁.ravel(), b₁, W₂.ravel(), b₂]."""
        f, h, c = self.n_features, self.hidden, self.n_classes
        arrays = [np.asarray(a, dtype=float) for a in (W1, b1, W2, b2)]
        if arrays[0].ndim < 2:
            check.fail("W1", f"an array of shape (..., {f}, {h})", check.Described(f"shape {arrays[0].shape}"))
        lead = arrays[0].shape[:-2]
        for name, array, shape in zip(("W1", "b1", "W2", "b2"), arrays, ((f, h), (h,), (h, c), (c,))):
            if array.shape != lead + shape:
                check.fail(name, f"an array of shape {lead + shape}", check.Described(f"shape {array.shape}"))
        return np.concatenate([a.reshape(lead + (-1,)) for a in arrays], axis=-1)

    def _logits(self, flat, design):
        k = flat.shape[0]
        f, h, c = self.n_features, self.hidden, self.n_classes
        W1, b1, W2, b2 = (flat[:, self._part(i)] for i in range(4))
        # First layer, all runs at once: (n, f+1) @ (f+1, K·h), columns run-major.
        stack = np.empty((f + 1, k, h))
        stack[:f] = W1.reshape(k, f, h).transpose(1, 0, 2)
        stack[f] = b1
        hidden = design @ stack.reshape(f + 1, k * h)
        if self.activation == "relu":
            np.maximum(hidden, 0.0, out=hidden)
        else:
            np.tanh(hidden, out=hidden)
        # (K, n, h) view: each run's block is a strided matrix BLAS accepts as is.
        activations = hidden.reshape(design.shape[0], k, h).transpose(1, 0, 2)
        logits = np.matmul(activations, W2.reshape(k, h, c))
        logits += b2[:, None, :]
        return logits, 1, 2, hidden

    def _backward(self, flat, design, logit_grad, hidden):
        k = flat.shape[0]
        f, h, c = self.n_features, self.hidden, self.n_classes
        n = design.shape[0]
        W2 = flat[:, self._part(2)].reshape(k, h, c)
        activations = hidden.reshape(n, k, h).transpose(1, 0, 2)
        grad = np.empty((k, self.dim))
        grad[:, self._part(2)] = np.matmul(activations.transpose(0, 2, 1), logit_grad).reshape(k, h * c)
        grad[:, self._part(3)] = logit_grad.sum(axis=1)
        # ∂L/∂(pre-activation), stored (n, K, h) so the first layer's gradient is one product.
        back = np.empty((n, k, h))
        np.matmul(logit_grad, W2.transpose(0, 2, 1), out=back.transpose(1, 0, 2))
        hidden = hidden.reshape(n, k, h)
        if self.activation == "relu":
            back *= hidden > 0
        else:
            back *= 1.0 - hidden * hidden
        stacked = (design.T @ back.reshape(n, k * h)).reshape(f + 1, k, h)
        grad[:, self._part(0)] = stacked[:f].transpose(1, 0, 2).reshape(k, f * h)
        grad[:, self._part(1)] = stacked[f]
        return grad

    def __repr__(self) -> str:
        init = "" if self.init_scheme == "auto" else f", init={self.init_scheme!r}"
        return f"MLP(hidden={self.hidden!r}, l2={self.l2!r}, activation={self.activation!r}{init})"


_INIT_NAMES = ("auto", "he", "glorot")
_INIT_ACCEPTED = "one of 'auto', 'he', 'glorot', or a positive finite number σ (weights drawn from N(0, σ²))"


def _init_scheme(init):
    """The MLP's ``init`` argument, checked: one of the names, or σ > 0 as a float."""
    if isinstance(init, str):
        if init not in _INIT_NAMES:
            check.fail("init", _INIT_ACCEPTED, init)
        return init
    sigma = check.real("init", init, _INIT_ACCEPTED)
    if not (np.isfinite(sigma) and sigma > 0):
        check.fail("init", _INIT_ACCEPTED, init)
    return sigma


def _draw_weights(rng, scheme, fan_in, fan_out) -> np.ndarray:
    """fan_in·fan_out weights: uniform on [−r, r] with Var = r²/3 = 2/fan_in ("he") or
    2/(fan_in + fan_out) ("glorot"); N(0, σ²) for a number σ."""
    size = fan_in * fan_out
    if scheme == "he":
        bound = np.sqrt(6.0 / fan_in)
    elif scheme == "glorot":
        bound = np.sqrt(6.0 / (fan_in + fan_out))
    else:
        return rng.normal(0.0, scheme, size=size)
    return rng.uniform(-bound, bound, size=size)


def _init_label(scheme) -> str:
    return scheme if isinstance(scheme, str) else f"N(0, {scheme:g}²)"
