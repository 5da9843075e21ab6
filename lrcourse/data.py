"""The course's real data set: scikit-learn's handwritten digits, split once, for everyone.

``digits()`` loads the 1797 8×8 images bundled with scikit-learn (no download), and
returns a fixed, stratified train/validation split:

- split: in every class, 25 % of the examples (rounded) go to validation, chosen by
  ``np.random.default_rng(0)``; 1347 training and 450 validation examples.  Both
  index arrays are sorted, so the order of examples is the order in
  ``sklearn.datasets.load_digits()``.
- features (64 per image, float64): pixel intensities 0…16 divided by 16 (so in
  [0, 1]), then, by default, standardised with the *training* mean and standard
  deviation of every pixel (pixels that are constant on the training set are only
  centred).  Standardising makes the problem far better conditioned (the spread of
  the feature covariance's eigenvalues drops from ~10⁶ to ~10²), which keeps the
  learning rates of the lessons in a familiar range; ``standardize=False`` keeps
  the raw [0, 1] pixels (the badly conditioned case, useful for adaptive methods).
- labels: int64 digits 0…9.

The result is cached (one shared object per setting) and all its arrays are
read-only: nobody can change the data another lesson sees.  Take a copy
(``split.X_train.copy()``) to modify it.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validation as check

__all__ = ["TrainValSplit", "digits", "VAL_FRACTION", "SPLIT_SEED"]

VAL_FRACTION = 0.25
SPLIT_SEED = 0


@dataclass(frozen=True, eq=False)
class TrainValSplit:
    """A classification data set split into training and validation parts.

    Attributes
    ----------
    X_train, X_val : (n_train, n_features), (n_val, n_features) float64 arrays
    y_train, y_val : (n_train,), (n_val,) int64 arrays of labels in 0 … n_classes − 1
    n_classes, n_features : int
    train_index, val_index : int64 arrays
        Positions of the examples in the source data set (``load_digits()`` order).
    feature_mean, feature_scale : (n_features,) float64 arrays
        The standardisation applied to the [0, 1] pixels: X = (pixels − mean) / scale
        (mean 0 and scale 1 when not standardised).
    standardized : bool

    All arrays are read-only copies made at construction.
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    n_classes: int
    n_features: int
    train_index: np.ndarray
    val_index: np.ndarray
    feature_mean: np.ndarray
    feature_scale: np.ndarray
    standardized: bool

    def __post_init__(self):
        for name in ("X_train", "X_val", "feature_mean", "feature_scale"):
            self._freeze(name, np.array(getattr(self, name), dtype=np.float64))
        for name in ("y_train", "y_val", "train_index", "val_index"):
            self._freeze(name, np.array(getattr(self, name), dtype=np.int64))
        for part in ("train", "val"):
            X, y = getattr(self, f"X_{part}"), getattr(self, f"y_{part}")
            if X.ndim != 2 or X.shape[1] != self.n_features:
                check.fail(f"X_{part}", f"an array of shape (n, {self.n_features})", check.Described(f"shape {X.shape}"))
            if y.shape != (X.shape[0],):
                check.fail(f"y_{part}", f"an array of shape ({X.shape[0]},), one label per row of X_{part}",
                       check.Described(f"shape {y.shape}"))
            if y.size and (y.min() < 0 or y.max() >= self.n_classes):
                check.fail(f"y_{part}", f"labels in 0 … {self.n_classes - 1}",
                       check.Described(f"labels from {y.min()} to {y.max()}"))

    def _freeze(self, name: str, array: np.ndarray) -> None:
        array.setflags(write=False)
        object.__setattr__(self, name, array)

    @property
    def n_train(self) -> int:
        return self.X_train.shape[0]

    @property
    def n_val(self) -> int:
        return self.X_val.shape[0]

    def __repr__(self) -> str:
        kind = "standardised" if self.standardized else "raw [0, 1]"
        return (f"TrainValSplit(n_train={self.n_train}, n_val={self.n_val}, "
                f"n_features={self.n_features}, n_classes={self.n_classes}, {kind} features)")


def digits(standardize: bool = True) -> TrainValSplit:
    """scikit-learn's digits with the course's fixed stratified 75/25 split.

    Parameters
    ----------
    standardize : bool
        True (default): features are (pixels/16 − training mean) / training std.
        False: features are pixels/16, in [0, 1].

    Returns
    -------
    TrainValSplit
        Cached: every call with the same argument returns the same read-only object.
    """
    return _digits(check.boolean("standardize", standardize))


def _stratified_split(labels: np.ndarray, val_fraction: float, seed: int):
    """Sorted (train_index, val_index): round(val_fraction·n_k) of each class k to validation."""
    rng = np.random.default_rng(seed)
    val_parts = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        val_parts.append(members[: int(round(val_fraction * members.size))])
    val_index = np.sort(np.concatenate(val_parts))
    train_index = np.setdiff1d(np.arange(labels.size), val_index)
    return train_index, val_index


def _load_digits_table() -> tuple[np.ndarray, np.ndarray]:
    """(pixels 0…16, labels) of the 1797 digits, in ``load_digits()`` order.

    Reads the CSV that scikit-learn ships (``sklearn/datasets/data/digits.csv.gz``:
    64 pixel columns then the label) without importing ``sklearn.datasets``, which
    costs about a second of start-up in every lesson; falls back to
    ``load_digits()`` if that file is not where it is expected.
    """
    spec = importlib.util.find_spec("sklearn")
    table = None
    if spec is not None and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
        if path.is_file():
            table = np.loadtxt(path, delimiter=",")
    if table is None or table.shape != (1797, 65):
        from sklearn.datasets import load_digits  # bundled with scikit-learn: no download

        source = load_digits()
        return np.asarray(source.data, dtype=np.float64), np.asarray(source.target, dtype=np.int64)
    return table[:, :-1], table[:, -1].astype(np.int64)


@functools.lru_cache(maxsize=None)
def _digits(standardize: bool) -> TrainValSplit:
    raw_pixels, labels = _load_digits_table()
    pixels = raw_pixels / 16.0
    train_index, val_index = _stratified_split(labels, VAL_FRACTION, SPLIT_SEED)
    n_features = pixels.shape[1]
    if standardize:
        mean = pixels[train_index].mean(axis=0)
        std = pixels[train_index].std(axis=0)
        scale = np.where(std > 0, std, 1.0)
    else:
        mean, scale = np.zeros(n_features), np.ones(n_features)
    features = (pixels - mean) / scale
    return TrainValSplit(
        X_train=features[train_index],
        y_train=labels[train_index],
        X_val=features[val_index],
        y_val=labels[val_index],
        n_classes=10,
        n_features=n_features,
        train_index=train_index,
        val_index=val_index,
        feature_mean=mean,
        feature_scale=scale,
        standardized=standardize,
    )
