"""Choosing the learning rate by k-fold cross-validation on the digits.

One validation split gives one estimate of how well a rate generalises, and that
estimate depends on which examples happened to land in the split.  k-fold
cross-validation uses every example for validation once:

1. cut the examples into k folds of (nearly) equal size;
2. for fold i = 1 … k, train on the other k − 1 folds and measure the validation
   loss L_i(η) on fold i, for every candidate rate η;
3. average: CV(η) = (1/k) Σ_i L_i(η), and choose η̂ = argmin_η CV(η).

It costs k trainings per rate instead of one.  Each fold's training part is
standardised with its *own* pixel mean and standard deviation (the validation fold
takes no part in them), as the course's fixed split is (:func:`lrcourse.data.digits`).

Every fold is one vectorised :func:`lrcourse.tune.lr_sweep`: all candidate rates of
a fold train side by side from the same start, on the same mini-batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from lrcourse import _validation as check
from lrcourse import tune
from lrcourse.data import TrainValSplit

#: the number of examples to split: at least two; at most ten million (80 MB of indices)
_EXAMPLES = check.Interval(2, 10**7, "both", integer=True)

__all__ = ["kfold_indices", "fold_data", "kfold_splits", "held_out_split", "cross_validate_lr",
           "CrossValResult"]


def kfold_indices(n, k, *, seed=0, labels=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Partition ``range(n)`` into ``k`` folds; return one ``(train, val)`` pair per fold.

    Fold ``i``'s ``val`` holds the examples of fold ``i`` and ``train`` all the others;
    both are sorted int64 arrays.  Over the k pairs every example is in exactly one
    ``val``, and ``train`` is always the complement of ``val``.

    - ``labels=None`` (plain): a permutation of ``range(n)`` from
      ``np.random.default_rng(seed)`` is cut into k consecutive parts; the first
      ``n mod k`` parts hold ``⌈n/k⌉`` examples, the others ``⌊n/k⌋``.
    - ``labels`` given (stratified): the examples of each class are permuted
      (classes in sorted order, one generator) and the classes are laid end to end;
      position ``j`` of that sequence goes to fold ``j mod k``.  So every fold holds
      ``⌊n_c/k⌋`` or ``⌈n_c/k⌉`` examples of each class ``c`` (``n_c`` in all), and
      the fold sizes differ by at most one.

    The same ``(n, k, seed, labels)`` always gives the same folds.

    Parameters
    ----------
    n : int in [2, 10**7]
        Number of examples.
    k : int, 2 ≤ k ≤ n
        Number of folds.
    seed : int ≥ 0
    labels : 1-D array of n integer class labels, or None
    """
    n = _EXAMPLES("n", n, "cross-validation needs at least two examples")
    k = check.integer("k", k, "an integer ≥ 2")
    if not 2 <= k <= n:
        check.fail("k", f"an integer from 2 to n={n}", k, "every fold needs at least one example")
    seed = check.nonnegative_int("seed", seed)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(n, dtype=np.int64)
    if labels is None:
        order = rng.permutation(n)
        for i, part in enumerate(np.array_split(order, k)):
            fold_of[part] = i
    else:
        labels = np.asarray(labels)
        if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
            check.fail("labels", f"a 1-D array of {n} integer class labels, or None",
                       check.Described(f"shape {labels.shape}, dtype {labels.dtype}"))
        order = np.concatenate([rng.permutation(np.flatnonzero(labels == c)) for c in np.unique(labels)])
        fold_of[order] = np.arange(n) % k
    everything = np.arange(n)
    return [(everything[fold_of != i], everything[fold_of == i]) for i in range(k)]


def _pixels(data: TrainValSplit) -> np.ndarray:
    """The training part's features before standardisation (pixels / 16)."""
    return data.X_train * data.feature_scale + data.feature_mean


def fold_data(data, train_index, val_index) -> TrainValSplit:
    """A :class:`~lrcourse.data.TrainValSplit` made from ``data``'s *training* examples:
    rows ``train_index`` to train on, rows ``val_index`` to validate on.

    When ``data`` is standardised, the pixels are standardised again with the mean
    and standard deviation of the new training rows only (constant pixels are only
    centred), so nothing about the validation rows leaks into the features.
    ``data``'s own validation part is not used: it stays a held-out test set.
    """
    if not isinstance(data, TrainValSplit):
        check.fail("data", "a lrcourse.data.TrainValSplit (e.g. lrcourse.data.digits())", data,
                   error=TypeError)
    n = data.n_train
    indices = {}
    for name, index in (("train_index", train_index), ("val_index", val_index)):
        array = np.asarray(index)
        if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.integer):
            check.fail(name, "a non-empty 1-D array of integer row indices", index if array.ndim == 0
                       else check.Described(f"an array of shape {array.shape}, dtype {array.dtype}"))
        if array.min() < 0 or array.max() >= n:
            check.fail(name, f"indices in 0 … {n - 1} (rows of data.X_train)", check.Described(
                f"an array of indices from {array.min()} to {array.max()}"))
        indices[name] = array
    train_index, val_index = indices["train_index"], indices["val_index"]
    if np.intersect1d(train_index, val_index).size:
        check.fail("val_index", "disjoint from train_index", check.Described(
            f"an array sharing {np.intersect1d(train_index, val_index).size} rows with it"),
            "an example used for training cannot also validate")
    pixels = _pixels(data)
    if data.standardized:
        mean = pixels[train_index].mean(axis=0)
        std = pixels[train_index].std(axis=0)
        scale = np.where(std > 0, std, 1.0)
    else:
        mean, scale = np.zeros(data.n_features), np.ones(data.n_features)
    features = (pixels - mean) / scale
    source = data.train_index
    return TrainValSplit(
        X_train=features[train_index], y_train=data.y_train[train_index],
        X_val=features[val_index], y_val=data.y_train[val_index],
        n_classes=data.n_classes, n_features=data.n_features,
        train_index=source[train_index], val_index=source[val_index],
        feature_mean=mean, feature_scale=scale, standardized=data.standardized)


def kfold_splits(data, k, *, seed=0, stratified=True) -> list[TrainValSplit]:
    """The k folds of ``data``'s training examples as data sets (:func:`kfold_indices`
    on ``data.y_train`` when ``stratified``, then :func:`fold_data`)."""
    if not isinstance(data, TrainValSplit):
        check.fail("data", "a lrcourse.data.TrainValSplit (e.g. lrcourse.data.digits())", data,
                   error=TypeError)
    labels = data.y_train if check.boolean("stratified", stratified) else None
    return [fold_data(data, train, val)
            for train, val in kfold_indices(data.n_train, k, seed=seed, labels=labels)]


def held_out_split(fold, data) -> TrainValSplit:
    """``fold``'s training part with ``data``'s *own* validation examples as its validation part.

    A model trained on a fold (from :func:`kfold_splits` of ``data``) sees pixels
    standardised with the fold's statistics, x = (p − mean_fold) / scale_fold.  To test
    it on ``data``'s held-out examples, their pixels p = x_val · scale + mean are
    standardised the same way.  The result answers "how does a rate chosen on one fold
    do on examples that no fold contains?" with the same trained weights.
    """
    for name, value in (("fold", fold), ("data", data)):
        if not isinstance(value, TrainValSplit):
            check.fail(name, "a lrcourse.data.TrainValSplit", value, error=TypeError)
    if fold.n_features != data.n_features or fold.standardized != data.standardized:
        check.fail("fold", f"a fold of data ({data.n_features} features, standardized="
                   f"{data.standardized})", check.Described(
                       f"{fold.n_features} features, standardized={fold.standardized}"))
    shared = np.intersect1d(fold.train_index, data.val_index).size
    if shared:
        check.fail("fold", "a fold of data's training examples (see kfold_splits)", check.Described(
            f"{shared} training rows that are data's validation examples"))
    pixels = data.X_val * data.feature_scale + data.feature_mean
    return TrainValSplit(
        X_train=fold.X_train, y_train=fold.y_train,
        X_val=(pixels - fold.feature_mean) / fold.feature_scale, y_val=data.y_val,
        n_classes=data.n_classes, n_features=data.n_features,
        train_index=fold.train_index, val_index=data.val_index,
        feature_mean=fold.feature_mean, feature_scale=fold.feature_scale,
        standardized=data.standardized)


@dataclass(repr=False)
class CrossValResult:
    """Validation losses of every candidate rate on every fold.

    Attributes
    ----------
    lrs : ndarray, shape (R,)
        The candidate rates.
    val_loss : ndarray, shape (k, R)
        Validation loss on fold i after training on the other folds; ``inf`` for a
        run that diverged.
    mean_val_loss : ndarray, shape (R,)
        CV(η): the mean over the folds (``inf`` if the rate diverged on any fold).
    fold_best_lr : ndarray, shape (k,)
        The rate each fold alone would choose: what one validation split picks.
    best_lr : float
        argmin of ``mean_val_loss`` (ties to the smaller rate): the cross-validated choice.
    sweeps : list of SweepResult
        One :func:`lrcourse.tune.lr_sweep` per fold.
    """

    lrs: np.ndarray
    val_loss: np.ndarray
    mean_val_loss: np.ndarray
    fold_best_lr: np.ndarray
    best_lr: float
    sweeps: list

    def summary(self) -> str:
        k = self.val_loss.shape[0]
        picks = ", ".join(f"{lr:.3g}" for lr in self.fold_best_lr)
        return (f"{k}-fold cross-validation over {self.lrs.size} rates: chosen lr {self.best_lr:.3g}; "
                f"single folds choose {picks}")

    def __repr__(self) -> str:
        return f"CrossValResult({self.summary()})"


def _argmin_rate(lrs: np.ndarray, score: np.ndarray) -> float:
    order = np.lexsort((lrs, score))
    return float(lrs[order[0]])


def cross_validate_lr(make_problem: Callable, optimizer_cls, lrs, steps, splits, *,
                      optimizer_kwargs=None, **run_kwargs) -> CrossValResult:
    """Score every rate in ``lrs`` by k-fold cross-validation.

    For each split ``d`` in ``splits`` (from :func:`kfold_splits`), train
    ``make_problem(d)`` at every rate for ``steps`` steps (one
    :func:`lrcourse.tune.lr_sweep`) and record the validation loss at the end.

    Parameters
    ----------
    make_problem : callable TrainValSplit -> problem
        e.g. ``lambda d: MLP(hidden=32, data=d)``; the problem needs ``val_loss``.
    optimizer_cls, lrs, steps, optimizer_kwargs, **run_kwargs
        As in :func:`lrcourse.tune.lr_sweep` (``batch_size``, ``seed``, …); the same
        ``seed`` (start point and batch order) is used on every fold.
    splits : sequence of TrainValSplit, at least 2

    Returns
    -------
    CrossValResult
    """
    if not callable(make_problem):
        check.fail("make_problem", "a function TrainValSplit -> problem", make_problem, error=TypeError)
    if not isinstance(splits, (list, tuple)) or not all(isinstance(s, TrainValSplit) for s in splits):
        check.fail("splits", "a list of TrainValSplit folds (see kfold_splits)", splits, error=TypeError)
    if len(splits) < 2:
        check.fail("splits", "a list of at least 2 folds", check.Described(f"{len(splits)} fold(s)"))
    check.step_count("steps", steps)   # before building any fold's problem
    sweeps, losses = [], []
    for split in splits:
        try:
            problem = make_problem(split)
        except (TypeError, ValueError, AttributeError) as error:
            check.fail("make_problem", "a function TrainValSplit -> problem", make_problem,
                       f"called on a fold it raised {type(error).__name__}: {error}; it receives the fold's "
                       "data, e.g. lambda d: SoftmaxRegression(data=d)", error=TypeError)
        if not callable(getattr(problem, "val_loss", None)):
            check.fail("make_problem", "a function returning a problem with val_loss()", make_problem,
                       f"it returned an object of type {type(problem).__name__}", error=TypeError)
        sweep = tune.lr_sweep(problem, optimizer_cls, lrs, steps,
                              optimizer_kwargs=optimizer_kwargs, **run_kwargs)
        sweeps.append(sweep)
        losses.append(np.where(sweep.diverged | ~np.isfinite(sweep.final_val_loss), np.inf,
                               sweep.final_val_loss))
    rates = sweeps[0].lrs
    val_loss = np.array(losses)
    mean = val_loss.mean(axis=0)
    if not np.isfinite(mean).any():
        check.fail("lrs", "a range where some rate trains on every fold",
                   check.Described("no rate that trains on all folds"), "lower the learning rates")
    fold_best = np.array([_argmin_rate(rates, row) for row in val_loss])
    return CrossValResult(lrs=rates, val_loss=val_loss, mean_val_loss=mean,
                          fold_best_lr=fold_best, best_lr=_argmin_rate(rates, mean), sweeps=sweeps)
