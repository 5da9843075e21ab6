"""Tests of lrcourse.crossval: k-fold indices, per-fold data sets and cross-validated
choice of the learning rate.

Oracles: the documented construction of the folds (a seeded permutation cut by
np.array_split), class counts, the standardisation formula, and separate
lrcourse.tune.lr_sweep runs on each fold.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrcourse import tune
from lrcourse.crossval import (CrossValResult, cross_validate_lr, fold_data, held_out_split, kfold_indices,
                               kfold_splits)
from lrcourse.data import digits
from lrcourse.optim import SGD
from lrcourse.problems import SoftmaxRegression


def _check_partition(folds, n, k):
    assert len(folds) == k
    vals = [val for _, val in folds]
    assert np.array_equal(np.sort(np.concatenate(vals)), np.arange(n))          # every example once
    for train, val in folds:
        assert np.array_equal(train, np.setdiff1d(np.arange(n), val))            # train = the rest
        assert np.all(np.diff(train) > 0) and np.all(np.diff(val) > 0)           # sorted
    sizes = [val.size for val in vals]
    assert max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("n, k", [(10, 2), (11, 3), (1347, 4), (7, 7)])
def test_plain_folds_partition_the_data_as_documented(n, k):
    folds = kfold_indices(n, k, seed=3)
    _check_partition(folds, n, k)
    parts = np.array_split(np.random.default_rng(3).permutation(n), k)
    for (_, val), part in zip(folds, parts):
        assert np.array_equal(val, np.sort(part))
    assert [val.size for _, val in folds] == [n // k + (i < n % k) for i in range(k)]


def test_stratified_folds_keep_every_class_share():
    labels = np.array([0] * 13 + [1] * 7 + [2] * 22 + [3] * 1)
    np.random.default_rng(0).shuffle(labels)
    k = 4
    folds = kfold_indices(labels.size, k, seed=5, labels=labels)
    _check_partition(folds, labels.size, k)
    for c in np.unique(labels):
        n_c = np.sum(labels == c)
        counts = [np.sum(labels[val] == c) for _, val in folds]
        assert sum(counts) == n_c and min(counts) >= n_c // k and max(counts) <= -(-n_c // k)


def test_plain_folds_are_not_stratified():
    labels = np.repeat(np.arange(10), 20)
    spreads = []
    for seed in range(5):
        folds = kfold_indices(labels.size, 4, seed=seed)
        counts = np.array([[np.sum(labels[val] == c) for c in range(10)] for _, val in folds])
        spreads.append(counts.max() - counts.min())
    assert max(spreads) > 1          # a plain permutation does not balance the classes


def test_folds_are_reproducible_and_move_with_the_seed():
    labels = np.repeat(np.arange(3), 10)
    for given in (None, labels):
        a = kfold_indices(30, 3, seed=1, labels=given)
        b = kfold_indices(30, 3, seed=1, labels=given)
        c = kfold_indices(30, 3, seed=2, labels=given)
        assert all(np.array_equal(x[1], y[1]) for x, y in zip(a, b))
        assert not all(np.array_equal(x[1], y[1]) for x, y in zip(a, c))


def test_kfold_indices_rejects_bad_arguments():
    with pytest.raises(ValueError, match="k must be an integer from 2 to n=5; got 6"):
        kfold_indices(5, 6)
    with pytest.raises(ValueError, match="k must be an integer from 2 to n=5; got 1"):
        kfold_indices(5, 1)
    with pytest.raises(TypeError, match="k must be an integer ≥ 2; got True"):
        kfold_indices(5, True)
    with pytest.raises(ValueError, match=r"n must be an integer in \[2, 10000000\]; got 1"):
        kfold_indices(1, 2)
    with pytest.raises(ValueError, match="labels must be a 1-D array of 5 integer class labels"):
        kfold_indices(5, 2, labels=[0, 1, 0])
    with pytest.raises(ValueError, match="labels must be a 1-D array of 5 integer class labels"):
        kfold_indices(5, 2, labels=[0.5, 1, 0, 1, 0])
    with pytest.raises(ValueError, match="seed must be a non-negative integer; got -1"):
        kfold_indices(5, 2, seed=-1)


def test_fold_data_restandardises_with_the_training_rows_only():
    data = digits()
    train, val = np.arange(0, 900), np.arange(900, 1347)
    fold = fold_data(data, train, val)
    pixels = data.X_train * data.feature_scale + data.feature_mean
    mean, std = pixels[train].mean(axis=0), pixels[train].std(axis=0)
    scale = np.where(std > 0, std, 1.0)
    assert np.allclose(fold.X_train, (pixels[train] - mean) / scale)
    assert np.allclose(fold.X_val, (pixels[val] - mean) / scale)
    assert np.allclose(fold.X_train.mean(axis=0), 0, atol=1e-12)
    assert np.array_equal(fold.y_train, data.y_train[train]) and np.array_equal(fold.y_val, data.y_train[val])
    assert np.array_equal(fold.train_index, data.train_index[train])      # positions in load_digits()
    assert fold.n_train == 900 and fold.n_val == 447 and fold.standardized


def test_fold_data_of_raw_pixels_stays_raw():
    raw = digits(standardize=False)
    fold = fold_data(raw, np.arange(10, 100), np.arange(10))
    assert np.array_equal(fold.X_train, raw.X_train[10:100]) and not fold.standardized


def test_fold_data_rejects_bad_arguments():
    data = digits()
    with pytest.raises(TypeError, match="data must be a lrcourse.data.TrainValSplit"):
        fold_data("digits", np.arange(3), np.arange(3, 6))
    with pytest.raises(ValueError, match="val_index must be disjoint from train_index"):
        fold_data(data, np.arange(10), np.arange(5, 15))
    with pytest.raises(ValueError, match=r"train_index must be indices in 0 … 1346"):
        fold_data(data, np.array([0, 2000]), np.arange(5, 15))
    with pytest.raises(ValueError, match="val_index must be a non-empty 1-D array of integer row indices"):
        fold_data(data, np.arange(10), np.array([], dtype=int))


def test_kfold_splits_cover_the_training_digits_once():
    data = digits()
    splits = kfold_splits(data, 3, seed=2)
    assert len(splits) == 3
    used = np.sort(np.concatenate([s.val_index for s in splits]))
    assert np.array_equal(used, data.train_index)                         # the 450 held-out never used
    for s in splits:
        assert np.array_equal(np.sort(np.concatenate([s.train_index, s.val_index])), data.train_index)
        shares = np.bincount(s.y_val, minlength=10) / s.n_val
        assert np.allclose(shares, np.bincount(data.y_train, minlength=10) / data.n_train, atol=0.01)
    with pytest.raises(TypeError, match="stratified must be True or False"):
        kfold_splits(data, 3, stratified="yes")


def test_held_out_split_standardises_the_held_out_pixels_like_the_fold():
    data, raw = digits(), digits(standardize=False)          # raw: the same split, pixels / 16 as loaded
    fold = kfold_splits(data, 4, seed=1)[2]
    test = held_out_split(fold, data)
    assert np.allclose(test.X_val, (raw.X_val - fold.feature_mean) / fold.feature_scale)
    assert np.array_equal(test.X_train, fold.X_train) and np.array_equal(test.y_val, data.y_val)
    assert np.array_equal(test.val_index, data.val_index) and np.array_equal(test.train_index, fold.train_index)
    assert test.n_train == fold.n_train and test.n_val == 450
    raw_fold = kfold_splits(raw, 3, seed=0)[0]                 # raw pixels stay raw
    assert np.array_equal(held_out_split(raw_fold, raw).X_val, raw.X_val)


def test_held_out_split_rejects_bad_arguments():
    data = digits()
    fold = kfold_splits(data, 4)[0]
    with pytest.raises(TypeError, match="fold must be a lrcourse.data.TrainValSplit"):
        held_out_split("fold", data)
    with pytest.raises(TypeError, match="data must be a lrcourse.data.TrainValSplit"):
        held_out_split(fold, None)
    with pytest.raises(ValueError, match="fold must be a fold of data"):
        held_out_split(kfold_splits(digits(standardize=False), 4)[0], data)
    swapped = fold_data(data, np.arange(10), np.arange(10, 20))
    with pytest.raises(ValueError, match="fold must be a fold of data's training examples"):
        held_out_split(swapped, _with_val(data, swapped))


def _with_val(data, fold):
    """data whose validation examples are fold's training examples (an invalid pairing)."""
    from dataclasses import replace
    return replace(data, val_index=fold.train_index)


def test_cross_validate_lr_averages_separate_sweeps_on_each_fold():
    splits = kfold_splits(digits(), 3, seed=0)
    lrs = np.array([0.01, 0.1, 1.0, 1e8])                                   # 1e8 diverges
    result = cross_validate_lr(lambda d: SoftmaxRegression(data=d), SGD, lrs, 5, splits)
    assert isinstance(result, CrossValResult) and result.val_loss.shape == (3, 4)
    for i, split in enumerate(splits):
        sweep = tune.lr_sweep(SoftmaxRegression(data=split), SGD, lrs[:3], 5)
        assert np.allclose(result.val_loss[i, :3], sweep.final_val_loss)
        assert result.fold_best_lr[i] == lrs[np.argmin(result.val_loss[i])]
    assert np.all(np.isinf(result.val_loss[:, 3])) and np.isinf(result.mean_val_loss[3])
    assert np.allclose(result.mean_val_loss[:3], result.val_loss[:, :3].mean(axis=0))
    assert result.best_lr == lrs[np.argmin(result.mean_val_loss)]
    assert "3-fold cross-validation" in repr(result)


def test_cross_validate_lr_rejects_bad_arguments():
    splits = kfold_splits(digits(), 2, seed=0)
    make = lambda d: SoftmaxRegression(data=d)  # noqa: E731
    with pytest.raises(TypeError, match="make_problem must be a function"):
        cross_validate_lr(None, SGD, [0.1], 2, splits)
    with pytest.raises(ValueError, match="splits must be a list of at least 2 folds; got 1 fold"):
        cross_validate_lr(make, SGD, [0.1], 2, splits[:1])
    with pytest.raises(TypeError, match="splits must be a list of TrainValSplit folds"):
        cross_validate_lr(make, SGD, [0.1], 2, digits())
    with pytest.raises(ValueError, match="lrs must be a range where some rate trains on every fold"):
        cross_validate_lr(make, SGD, [1e8, 1e9], 3, splits)


def test_a_make_problem_that_fails_on_a_fold_is_named():
    splits = kfold_splits(digits(), 2)
    with pytest.raises(TypeError, match=r"make_problem must be a function TrainValSplit -> problem; got <lambda>\. "
                                        r"called on a fold it raised TypeError"):
        cross_validate_lr(lambda d: 1 if d < 3 else 2, SGD, [0.1], 3, splits)
