"""Tests of lrcourse.data: the fixed stratified digits split, its scaling, caching and
read-only arrays."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from sklearn.datasets import load_digits

from lrcourse.data import SPLIT_SEED, VAL_FRACTION, TrainValSplit, digits


@pytest.fixture(scope="module")
def source():
    bunch = load_digits()
    return bunch.data / 16.0, bunch.target


def test_shapes_dtypes_and_sizes():
    split = digits()
    assert split.X_train.shape == (1347, 64) and split.X_val.shape == (450, 64)
    assert split.y_train.shape == (1347,) and split.y_val.shape == (450,)
    assert split.X_train.dtype == split.X_val.dtype == np.float64
    assert split.y_train.dtype == split.y_val.dtype == np.int64
    assert (split.n_train, split.n_val, split.n_features, split.n_classes) == (1347, 450, 64, 10)
    assert "n_train=1347" in repr(split) and "standardised" in repr(split)


def test_split_is_a_stratified_partition(source):
    _, labels = source
    split = digits()
    both = np.concatenate([split.train_index, split.val_index])
    np.testing.assert_array_equal(np.sort(both), np.arange(labels.size))  # disjoint, complete
    assert np.all(np.diff(split.train_index) > 0) and np.all(np.diff(split.val_index) > 0)
    np.testing.assert_array_equal(split.y_train, labels[split.train_index])
    np.testing.assert_array_equal(split.y_val, labels[split.val_index])
    per_class = np.bincount(labels, minlength=10)
    np.testing.assert_array_equal(np.bincount(split.y_val, minlength=10), np.round(VAL_FRACTION * per_class))
    assert (VAL_FRACTION, SPLIT_SEED) == (0.25, 0)


def test_split_is_fixed_across_runs_and_versions():
    # pinned: if numpy's seeded permutation ever changed, the course's split (and every
    # number computed on it) would silently change
    split = digits()
    np.testing.assert_array_equal(split.val_index[:8], [1, 5, 9, 12, 14, 15, 16, 17])
    np.testing.assert_array_equal(split.train_index[:5], [0, 2, 3, 4, 6])
    assert int(split.val_index.sum()) == 403788


def test_standardised_features_use_training_statistics(source):
    pixels, _ = source
    split = digits()
    mean, std = split.X_train.mean(axis=0), split.X_train.std(axis=0)
    constant = pixels[split.train_index].std(axis=0) == 0
    assert constant.sum() == 3
    np.testing.assert_allclose(mean, 0.0, atol=1e-13)
    np.testing.assert_allclose(std[~constant], 1.0, rtol=1e-12)
    np.testing.assert_array_equal(std[constant], 0.0)
    np.testing.assert_array_equal(split.feature_scale[constant], 1.0)
    for part in ("train", "val"):
        index = getattr(split, f"{part}_index")
        restored = getattr(split, f"X_{part}") * split.feature_scale + split.feature_mean
        np.testing.assert_allclose(restored, pixels[index], atol=1e-14)
    # the validation set is scaled with the training statistics, not its own
    assert not np.allclose(split.X_val.mean(axis=0), 0.0, atol=1e-3)


def test_raw_features_are_pixels_over_16(source):
    pixels, _ = source
    raw = digits(standardize=False)
    assert not raw.standardized and "raw" in repr(raw)
    np.testing.assert_array_equal(raw.X_train, pixels[raw.train_index])
    np.testing.assert_array_equal(raw.X_val, pixels[raw.val_index])
    assert raw.X_train.min() == 0.0 and raw.X_train.max() == 1.0
    np.testing.assert_array_equal(raw.val_index, digits().val_index)  # same split either way


def test_result_is_cached_and_read_only():
    split = digits()
    assert digits() is split and digits(True) is split and digits(standardize=True) is split
    assert digits(False) is not split
    for name in ("X_train", "y_train", "X_val", "y_val", "train_index", "val_index", "feature_mean", "feature_scale"):
        array = getattr(split, name)
        assert not array.flags.writeable
        with pytest.raises(ValueError):
            array[0] = 0
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.X_train = np.zeros((1347, 64))


def test_standardize_must_be_a_bool():
    with pytest.raises(TypeError, match="^standardize must be True or False; got 'yes'"):
        digits("yes")
    with pytest.raises(TypeError, match="^standardize must be"):
        digits(1)


def _split_kwargs(**changes):
    kwargs = dict(
        X_train=np.zeros((4, 3)), y_train=np.array([0, 1, 2, 1]), X_val=np.ones((2, 3)), y_val=np.array([2, 0]),
        n_classes=3, n_features=3, train_index=np.arange(4), val_index=np.arange(4, 6),
        feature_mean=np.zeros(3), feature_scale=np.ones(3), standardized=False,
    )
    kwargs.update(changes)
    return kwargs


def test_train_val_split_copies_and_freezes_its_arrays():
    X_train = np.zeros((4, 3))
    split = TrainValSplit(**_split_kwargs(X_train=X_train))
    X_train[0, 0] = 7.0
    assert split.X_train[0, 0] == 0.0 and not split.X_train.flags.writeable
    assert (split.n_train, split.n_val) == (4, 2)


@pytest.mark.parametrize(
    "changes, pattern",
    [
        (dict(X_train=np.zeros((4, 5))), r"^X_train must be an array of shape \(n, 3\); got shape \(4, 5\)"),
        (dict(y_val=np.array([0, 1, 2])), r"^y_val must be an array of shape \(2,\)"),
        (dict(y_train=np.array([0, 1, 3, 1])), r"^y_train must be labels in 0 … 2; got labels from 0 to 3"),
        (dict(y_val=np.array([-1, 0])), "^y_val must be labels in"),
    ],
)
def test_train_val_split_rejects_inconsistent_parts(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        TrainValSplit(**_split_kwargs(**changes))


def test_the_bundled_table_is_read_exactly_as_load_digits_returns_it():
    from sklearn.datasets import load_digits

    from lrcourse.data import _load_digits_table

    pixels, labels = _load_digits_table()
    source = load_digits()
    np.testing.assert_array_equal(pixels, source.data)
    np.testing.assert_array_equal(labels, source.target)
