"""Exercise 02's checks: right answers written differently pass, common mistakes are named.

Every part is tried by its check on boundary cases and seeded random draws; each wrong
implementation below must be rejected with the mistake it makes (and only that one), each right
one accepted by the visible and the hidden check.
"""

import copy
import functools
import itertools
import math
import pickle
import random

import numpy as np
import pytest
from grading_support import (
    BROKEN_CODE, accepts, assert_variants_differ, nan_mistake, part_id, rejects, rejects_broken,
    returns_nan,
)

from lrcourse.grading import ex02


# ---------------------------------------------------------------------------
# minibatches
# ---------------------------------------------------------------------------

def mb_permutation(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_list_split(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(epochs):
        order = np.arange(n)
        rng.shuffle(order)
        batches.extend(np.array_split(order, range(batch_size, n, batch_size)))
    return batches


def mb_random_state(n, batch_size, epochs, seed):
    rs = np.random.RandomState(seed)
    for _ in range(epochs):
        order = rs.permutation(n)
        i = 0
        while i < n:
            yield list(order[i:i + batch_size])
            i += batch_size


def mb_choice_sorted(n, batch_size, epochs, seed):
    """rng.choice without replacement, each batch sorted (the same examples, another order)."""
    rng = np.random.default_rng(seed)
    count = math.ceil(n / batch_size)
    for _ in range(epochs):
        order = rng.choice(n, size=n, replace=False)
        for k in range(count):
            yield np.sort(order[k * batch_size:(k + 1) * batch_size])


def mb_all_epochs_at_once(n, batch_size, epochs, seed):
    """Every epoch's permutation in one 2-D array, drawn up front; batches are views of its rows."""
    rng = np.random.default_rng(seed)
    orders = rng.permuted(np.tile(np.arange(n), (epochs, 1)), axis=1)
    return iter([row[start:start + batch_size] for row in orders for start in range(0, n, batch_size)])


def mb_python_random(n, batch_size, epochs, seed):
    shuffler = random.Random(seed)
    for _ in range(epochs):
        order = list(range(n))
        shuffler.shuffle(order)
        for start in range(0, n, batch_size):
            yield np.array(order[start:start + batch_size])


def mb_global_seeded(n, batch_size, epochs, seed):
    """Seeds np.random's global generator from the seed: reproducible and seed-dependent, but it
    resets every other user of the global state: refused, saying so."""
    np.random.seed(seed)
    for _ in range(epochs):
        order = np.random.permutation(n)
        yield from (order[start:start + batch_size] for start in range(0, n, batch_size))


RIGHT_MINIBATCHES = [mb_permutation, mb_list_split, mb_random_state, mb_choice_sorted,
                     mb_all_epochs_at_once, mb_python_random]


def mb_batches_reordered(n, batch_size, epochs, seed):
    """One shuffle cut into batches; each epoch serves the same batches in a new order."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    batches = [order[s:s + batch_size] for s in range(0, n, batch_size)]
    last = batches.pop() if n % batch_size else None
    for _ in range(epochs):
        for k in rng.permutation(len(batches)):
            yield batches[k].copy()
        if last is not None:
            yield last.copy()


def mb_rolled(shift):
    """One shuffle, rolled by shift(epoch, batch_size) for each epoch."""
    def minibatches(n, batch_size, epochs, seed):
        order = np.random.default_rng(seed).permutation(n)
        for epoch in range(epochs):
            rolled = np.roll(order, shift(epoch, batch_size))
            for start in range(0, n, batch_size):
                yield rolled[start:start + batch_size]
    return minibatches


def mb_seed_plus_epoch(n, batch_size, epochs, seed):
    for epoch in range(epochs):
        order = np.random.default_rng(seed + epoch).permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_sliced(starts, *, size=lambda b: b, epochs=lambda e: e):
    """A generator that shuffles each epoch and yields order[s:s + size(batch_size)] for s in
    ``starts(n, batch_size)``, over ``epochs(epochs)`` epochs: the counters' off-by-ones."""
    def minibatches(n, batch_size, epochs_, seed):
        rng = np.random.default_rng(seed)
        for _ in range(epochs(epochs_)):
            order = rng.permutation(n)
            for start in starts(n, batch_size):
                yield order[start:start + size(batch_size)]
    return minibatches


def mb_array_split(pieces):
    """np.array_split(order, pieces(n, batch_size)): a count of pieces where cut positions belong."""
    def minibatches(n, batch_size, epochs, seed):
        rng = np.random.default_rng(seed)
        for _ in range(epochs):
            yield from np.array_split(rng.permutation(n), pieces(n, batch_size))
    return minibatches


def mb_empty_batch(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for k in range(n // batch_size + 1):
            yield order[k * batch_size:(k + 1) * batch_size]


def mb_shuffle_once(n, batch_size, epochs, seed):
    order = np.random.default_rng(seed).permutation(n)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_reseeded_each_epoch(n, batch_size, epochs, seed):
    for _ in range(epochs):
        order = np.random.default_rng(seed).permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_shuffled_in_place(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(n)
    for _ in range(epochs):
        rng.shuffle(order)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_shuffled_in_place_list(n, batch_size, epochs, seed):
    return list(mb_shuffled_in_place(n, batch_size, epochs, seed))


def mb_shuffle_at_the_end(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    order = np.arange(n)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]
        order = rng.permutation(n)


def mb_no_shuffle(n, batch_size, epochs, seed):
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield np.arange(start, min(start + batch_size, n))


def mb_with_replacement(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield rng.integers(0, n, size=min(batch_size, n - start))


def mb_independent_batches(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield rng.choice(n, size=min(batch_size, n - start), replace=False)


def mb_global_rng(n, batch_size, epochs, seed):
    for _ in range(epochs):
        order = np.random.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_python_global(n, batch_size, epochs, seed):
    for _ in range(epochs):
        order = list(range(n))
        random.shuffle(order)
        for start in range(0, n, batch_size):
            yield np.array(order[start:start + batch_size])


def mb_unseeded(n, batch_size, epochs, seed):
    rng = np.random.default_rng()
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_seed_ignored(n, batch_size, epochs, seed):
    return mb_permutation(n, batch_size, epochs, 0)


def mb_endless(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start:start + batch_size]


def mb_wraps_around(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    stream = np.concatenate([rng.permutation(n) for _ in range(epochs)])
    for start in range(0, len(stream), batch_size):
        yield stream[start:start + batch_size]


def mb_float_indices(n, batch_size, epochs, seed):
    for batch in mb_permutation(n, batch_size, epochs, seed):
        yield batch.astype(float)


def mb_masks(n, batch_size, epochs, seed):
    for batch in mb_permutation(n, batch_size, epochs, seed):
        mask = np.zeros(n, dtype=bool)
        mask[batch] = True
        yield mask


def mb_hangs(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    start = 0
    while start < n:  # never advances
        yield rng.permutation(n)[:batch_size]


def mb_forgot_yield(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        rng.permutation(n)


def mb_return_not_yield(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            return order[start:start + batch_size]


def mb_one_based(n, batch_size, epochs, seed):
    for batch in mb_permutation(n, batch_size, epochs, seed):
        yield batch + 1


def mb_tuples(n, batch_size, epochs, seed):
    for batch in mb_permutation(n, batch_size, epochs, seed):
        yield tuple(int(i) for i in batch)


def mb_single_index_for_batch_one(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            yield order[start] if batch_size == 1 else order[start:start + batch_size]


def mb_yields_epochs(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        yield [order[start:start + batch_size] for start in range(0, n, batch_size)]


def mb_2d(n, batch_size, epochs, seed):
    return [np.arange(n).reshape(1, -1)] * epochs


WRONG_MINIBATCHES = [
    # the counters' off-by-ones, each named only because its shape fits every case
    (mb_sliced(lambda n, b: range(0, n - b + 1, b)), "drops_last_batch", "drops the last, smaller batch"),
    (mb_sliced(lambda n, b: range(0, n - b, b)), "loop_stops_one_batch_early", "even when batch_size divides n"),
    (mb_empty_batch, "empty_batch", "empty batch"),
    (mb_sliced(lambda n, b: range(0, n, b), epochs=lambda e: e - 1), "one_epoch_short", "one epoch too few"),
    (mb_sliced(lambda n, b: range(0, n, b), epochs=lambda e: e + 1), "one_epoch_too_many", "one epoch too many"),
    (mb_sliced(lambda n, b: range(0, n, b), size=lambda b: b - 1), "slice_one_short", "one index too few"),
    (mb_sliced(lambda n, b: range(0, n, b), size=lambda b: b + 1), "slice_one_long", "share an example"),
    (mb_wraps_around, "batch_crosses_epochs", "mixes the end of one epoch"),
    (mb_array_split(lambda n, b: math.ceil(n / b)), "split_evenly", "sizes spread evenly"),
    (mb_array_split(lambda n, b: b), "split_into_batch_size_parts", "instead of batches *of*"),
    # drawing
    (mb_independent_batches, "independent_batches", "drawn on its own"),
    (mb_with_replacement, "with_replacement", "with replacement"),
    (mb_no_shuffle, "not_shuffled", "not shuffled"),
    (mb_shuffle_at_the_end, "first_epoch_not_shuffled", "at the end of each epoch"),
    (mb_shuffle_once, "shuffled_once", "shuffled once"),
    (mb_reseeded_each_epoch, "shuffled_once", "re-created from the seed"),
    # state that changes after it was handed out
    (mb_shuffled_in_place, "batches_change_later", "shuffled in place"),
    (mb_shuffled_in_place_list, "epochs_share_one_array", "views of one array"),
    # seeds
    (mb_global_rng, "global_rng", "global random state"),
    (mb_python_global, "global_rng", "global random state"),
    (mb_unseeded, "not_reproducible", "without an argument"),
    (mb_seed_ignored, "seed_ignored", "seed argument is ignored"),
    (mb_global_seeded, "global_state_changed", "global random state"),
    (mb_seed_plus_epoch, "reseeded_each_epoch", "neighbouring seeds"),
    # epochs that are not fresh random orders
    (mb_batches_reordered, "epochs_not_fresh", "same batches served in another order"),
    (mb_rolled(lambda epoch, b: epoch * b), "epochs_not_fresh", "not a new random order"),
    (mb_rolled(lambda epoch, b: epoch), "epochs_not_fresh", "drawn afresh"),
    # what comes out
    (mb_endless, "never_stops", "keeps yielding batches"),
    (mb_float_indices, "wrong_dtype", "must be integers"),
    (mb_masks, "wrong_dtype", "boolean mask"),
    (mb_forgot_yield, "returned_none", "yield"),
    (mb_return_not_yield, "returned_one_batch", "`return` ends the function"),
    (mb_one_based, "one_based_indices", "count from 0"),
    (mb_tuples, "tuple_batch", "one index per axis"),
    (mb_single_index_for_batch_one, "scalar_batch", "order[i:i + 1]"),
    (mb_yields_epochs, "yields_epochs", "holds"),
    (lambda n, b, e, s: 42, "wrong_type", "cannot be looped over"),
    (mb_2d, "wrong_shape", "1-D array"),
]


@pytest.mark.parametrize("impl", RIGHT_MINIBATCHES)
def test_minibatches_accepts(impl, capsys):
    accepts(ex02.check_minibatches, impl, capsys, "minibatches", 3)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MINIBATCHES)
def test_minibatches_rejects(impl, mistake, phrase):
    rejects(ex02.check_minibatches, impl, mistake, phrase)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MINIBATCHES)
def test_minibatches_hidden_cases_name_the_same_mistakes(impl, mistake, phrase):
    with pytest.raises(ex02.CheckFailed) as info:
        ex02.check_minibatches(impl, hidden=True)
    assert info.value.mistake == mistake, str(info.value)


def test_a_wrong_batch_count_does_not_give_the_count():
    def one_more_each_epoch(n, batch_size, epochs, seed):   # an extra batch of 1, repeated
        for batch in mb_permutation(n, batch_size, epochs, seed):
            yield batch
        yield np.array([0])
    message = rejects(ex02.check_minibatches, one_more_each_epoch, "wrong_batch_count", "⌈n / batch_size⌉")
    assert "make 9" not in message and " 9 " not in message.split("tried")[0], message


def test_minibatch_cases_cover_the_boundaries():
    """Both case lists hold n divisible and not divisible by batch_size, batch_size = 1, = n and
    > n, one epoch and several, and a case with 2+ epochs that judges the shuffle."""
    for cases in (ex02._MINIBATCH_CASES, ex02._MINIBATCH_HIDDEN):
        assert any(n % b == 0 and 1 < b < n for n, b, _, _ in cases)
        assert any(n % b for n, b, _, _ in cases if b < n)
        assert any(b == 1 for _, b, _, _ in cases)
        assert any(b == n for n, b, _, _ in cases)
        assert any(b > n for n, b, _, _ in cases)
        assert any(e == 1 for _, _, e, _ in cases) and any(e > 2 for _, _, e, _ in cases)
        assert any(ex02._judges_shuffle(ex02._Run(*case, items=[], kept=[])) and case[2] > 1 for case in cases)


def test_a_shape_that_fits_only_some_cases_is_not_named():
    """Batches dropped only when batch_size > n (a special case gone wrong): drops_last_batch
    would fit that case, but not the others, so the property that fails is said instead."""
    def drops_when_large(n, batch_size, epochs, seed):
        if batch_size > n:
            return []
        return mb_permutation(n, batch_size, epochs, seed)
    message = rejects(ex02.check_minibatches, drops_when_large, "no_batches", "no batches")
    assert "batch_size=16" in message


def test_minibatches_that_never_advance_are_stopped(monkeypatch):
    monkeypatch.setattr(ex02, "TIME_LIMIT", 0.3)
    # this one yields forever too, but the batch limit stops it first: still "never stops"
    rejects(ex02.check_minibatches, mb_hangs, "never_stops", "keeps yielding")

    def spins(n, batch_size, epochs, seed):
        while True:
            pass
        yield  # a generator that never yields
    rejects(ex02.check_minibatches, spins, "timeout", "did not return within 0.3 s")


def test_minibatches_not_implemented_and_raising():
    def stub(n, batch_size, epochs, seed):
        raise NotImplementedError()
    rejects(ex02.check_minibatches, stub, "not_implemented", "minibatches is not implemented yet")

    def broken(n, batch_size, epochs, seed):
        yield from mb_permutation(n, batch_size, epochs, seed)
        raise IndexError("oops")
    rejects(ex02.check_minibatches, broken, "raised", "IndexError: oops")


def test_the_global_random_state_is_restored():
    """Telling np.random's global state from an unseeded generator seeds the global generators;
    the learner's notebook gets its state back."""
    np.random.seed(7)
    random.seed(7)
    numpy_before, python_before = np.random.get_state()[1].copy(), random.getstate()
    rejects(ex02.check_minibatches, mb_unseeded, "not_reproducible", "not created from the seed")
    assert np.array_equal(np.random.get_state()[1], numpy_before) and random.getstate() == python_before


# ---------------------------------------------------------------------------
# sgd_epoch
# ---------------------------------------------------------------------------

def sgd_enumerate(x, grad_fn, lr, batches):
    x = np.array(x, dtype=float)
    for _, batch in enumerate(batches):
        step = lr * grad_fn(x, batch)
        x = x - step
    return x


def sgd_with_own_step(x, grad_fn, lr, batches):
    def gd_step(x, grad, lr):
        return x - lr * grad
    x = x.copy()
    for batch in list(batches):
        x = gd_step(x, grad_fn(x, batch), lr)
    return x


def sgd_copy_then_in_place(x, grad_fn, lr, batches):
    x = x.copy()
    for batch in batches:
        x -= lr * grad_fn(x, batch)
    return x


def sgd_reduce(x, grad_fn, lr, batches):
    return functools.reduce(lambda point, batch: point - lr * grad_fn(point, batch), batches,
                            np.array(x, dtype=float))


def sgd_reduce_from_x(x, grad_fn, lr, batches):
    return functools.reduce(lambda point, batch: point - lr * grad_fn(point, batch), batches, x)


def sgd_plain_loop(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
    return x                        # x itself when there are no batches


def sgd_through_float32(x, grad_fn, lr, batches):
    x = x.astype(np.float32).astype(float)
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
    return x


def sgd_unbound_on_empty(x, grad_fn, lr, batches):
    y = x
    for batch in batches:
        new = y - lr * grad_fn(y, batch)
        y = new
    return new


def sgd_next(x, grad_fn, lr, batches):
    x, it = x.copy(), iter(batches)
    while True:
        batch = next(it, None)
        if batch is None:
            return x
        x = np.subtract(x, np.multiply(lr, grad_fn(x, batch)))


RIGHT_SGD_EPOCH = [sgd_enumerate, sgd_with_own_step, sgd_copy_then_in_place, sgd_reduce, sgd_next]


def sgd_in_place(x, grad_fn, lr, batches):
    for batch in batches:
        x -= lr * grad_fn(x, batch)
    return x


def sgd_full_batch(x, grad_fn, lr, batches):
    for _ in batches:
        x = x - lr * grad_fn(x)
    return x


def sgd_one_step(x, grad_fn, lr, batches):
    grads = [grad_fn(x, batch) for batch in batches]
    return x - lr * sum(grads) / len(grads) if grads else x.copy()


def sgd_one_step_all_examples(x, grad_fn, lr, batches):
    batches = list(batches)
    return x - lr * grad_fn(x, np.concatenate(batches)) if batches else x.copy()


def sgd_stale(x, grad_fn, lr, batches):
    x0 = x
    for batch in batches:
        x = x - lr * grad_fn(x0, batch)
    return x


def sgd_skip_last(x, grad_fn, lr, batches):
    for batch in list(batches)[:-1]:
        x = x - lr * grad_fn(x, batch)
    return x


def sgd_indexed(x, grad_fn, lr, batches):
    for i in range(len(batches)):
        x = x - lr * grad_fn(x, batches[i])
    return x


def sgd_return_inside(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
        return x
    return x.copy()


def sgd_new_from_start(x, grad_fn, lr, batches):
    new = x.copy()
    for batch in batches:
        new = x - lr * grad_fn(x, batch)
    return new


def sgd_counted_first(x, grad_fn, lr, batches):
    count = sum(1 for _ in batches)
    for batch in batches:
        x = x - lr * grad_fn(x, batch)
    assert count >= 0
    return x


def sgd_returns_start(x, grad_fn, lr, batches):
    w = x.copy()
    for batch in batches:
        w = w - lr * grad_fn(w, batch)
    return x


def sgd_first_batch_always(x, grad_fn, lr, batches):
    batches = list(batches)
    for _ in range(len(batches)):
        x = x - lr * grad_fn(x, batches[0])
    return x


def sgd_per_example(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr / len(batch) * grad_fn(x, batch)
    return x


def sgd_swapped_arguments(x, grad_fn, lr, batches):
    for batch in batches:
        x = x - lr * grad_fn(np.asarray(batch), x)
    return x


WRONG_SGD_EPOCH = [
    (lambda x, g, lr, bs: sgd_enumerate(x, lambda x, b: -g(x, b), lr, bs), "sign_flipped", "uphill"),
    (lambda x, g, lr, bs: sgd_enumerate(x, g, 1.0, bs), "lr_missing", "ignore the learning rate"),
    (lambda x, g, lr, bs: sgd_enumerate(x, g, lr * lr, bs), "lr_twice", "applied twice"),
    (sgd_per_example, "divided_by_batch_size", "already returns the *mean*"),
    (sgd_in_place, "mutated_input", "changed its input x in place"),
    (sgd_counted_first, "iterated_twice", "used up by the first loop"),
    (sgd_returns_start, "unchanged", "returned the starting x"),
    (sgd_full_batch, "full_batch_gradient", "mini-batch is ignored"),
    (sgd_one_step, "one_step_per_epoch", "averaged the batches' gradients"),
    (sgd_one_step_all_examples, "one_step_per_epoch", "all the epoch's examples at once"),
    (sgd_stale, "stale_gradients", "epoch's starting point"),
    (sgd_skip_last, "skips_last_batch", "last batch is skipped"),
    (sgd_indexed, "list_only", "no len() and no batches[i]"),
    (sgd_return_inside, "first_batch_only", "`return` is inside the loop"),
    (sgd_new_from_start, "last_batch_only", "Only one step was taken (with the last batch)"),
    (sgd_first_batch_always, "same_batch_every_step", "never moves on"),
    (sgd_swapped_arguments, "grad_fn_arguments_swapped", "grad_fn(x, batch), in that order"),
    (lambda x, g, lr, bs: np.ravel(sgd_enumerate(x, g, lr, bs)), "wrong_shape", "the shape of x"),
    (lambda x, g, lr, bs: None, "returned_none", "return"),
    (sgd_plain_loop, "returned_input", "the very array x"),
    (sgd_reduce_from_x, "returned_input", "not a new array"),
    (sgd_unbound_on_empty, "no_batches_raises", "loop body never runs"),
    (sgd_through_float32, "lost_precision", "float32"),
    (lambda x, g, lr, bs: list(sgd_enumerate(x, g, lr, bs)), "returned_list", "lr * list raises"),
]


@pytest.mark.parametrize("impl", RIGHT_SGD_EPOCH)
def test_sgd_epoch_accepts(impl, capsys):
    accepts(ex02.check_sgd_epoch, impl, capsys, "sgd_epoch", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_SGD_EPOCH)
def test_sgd_epoch_rejects(impl, mistake, phrase):
    rejects(ex02.check_sgd_epoch, impl, mistake, phrase)


def test_sgd_cases_cover_the_input_space():
    """Lists, tuples, lists of lists and generators of batches; 1-D and 2-D x; one batch,
    batches of one example; an int η and an empty epoch (hidden)."""
    for cases in (ex02.SGD_EPOCH.cases, ex02.SGD_EPOCH.hidden_cases):
        kinds = {type(c.args["batches"]).__name__ for c in cases}
        assert {"list", "list_iterator"} <= kinds, kinds
        assert {np.ndim(c.args["x"]) for c in cases} == {1, 2}
    visible = {type(c.args["batches"]).__name__ for c in ex02.SGD_EPOCH.cases}
    assert visible == {"list", "tuple", "list_iterator"}
    assert any(isinstance(c.args["batches"], list) and c.args["batches"]
               and isinstance(c.args["batches"][0], list) for c in ex02.SGD_EPOCH.cases)
    assert any(isinstance(c.args["lr"], int) for c in ex02.SGD_EPOCH.hidden_cases)
    assert any(isinstance(c.args["batches"], list) and not c.args["batches"]
               for c in ex02.SGD_EPOCH.hidden_cases)
    assert any(isinstance(c.args["batches"], ex02._Stream) and not ex02._left_in(c.args["batches"])
               for c in ex02.SGD_EPOCH.cases)             # an empty generator, visible


def test_the_batch_stream_behaves_like_a_generator():
    stream = ex02._stream([np.array([0, 1]), np.array([2])])
    with pytest.raises(TypeError):
        len(stream)
    with pytest.raises(TypeError):
        stream[0]
    copied = copy.deepcopy(stream)
    assert [b.tolist() for b in stream] == [[0, 1], [2]] and list(stream) == []
    assert [b.tolist() for b in pickle.loads(pickle.dumps(copied))] == [[0, 1], [2]]


def test_a_wrong_value_no_mistake_explains_is_checked_on_one_batch():
    """Steps that use half the gradient on every second batch: no known mistake; the smallest
    epoch (one batch) is not one SGD step either."""
    def odd(x, grad_fn, lr, batches):
        for i, batch in enumerate(batches):
            x = x - lr * grad_fn(x, batch) * (0.5 if i % 2 == 0 else 1.0)
        return x
    rejects(ex02.check_sgd_epoch, odd, "one_batch_not_one_step", "single SGD step")

    def late(x, grad_fn, lr, batches):  # right on one batch, wrong from the third on
        for i, batch in enumerate(batches):
            x = x - lr * grad_fn(x, batch) * (2.0 if i >= 2 else 1.0)
        return x
    rejects(ex02.check_sgd_epoch, late, "wrong_value", "one SGD step per batch, in order")


# ---------------------------------------------------------------------------
# minibatch_grad_variance
# ---------------------------------------------------------------------------

def variance_by_enumeration(G, B):
    """Average over every batch of size B (exact, for the small cases)."""
    G = np.asarray(G)
    n = len(G)
    if math.comb(n, B) > 20000:
        centred = G - G.mean(axis=0)
        return (n - B) / (B * (n - 1)) * np.sum(centred ** 2) / n
    full = G.mean(axis=0)
    errors = [np.sum((G[list(c)].mean(axis=0) - full) ** 2) for c in itertools.combinations(range(n), B)]
    return float(np.mean(errors))


def variance_with_ddof(G, B):
    n = len(G)
    return float(np.var(G, axis=0, ddof=1).sum() * (1 - B / n) / B)


def variance_loop(G, B):
    n, d = G.shape
    mean = [sum(G[i, j] for i in range(n)) / n for j in range(d)]
    total = sum((G[i, j] - mean[j]) ** 2 for i in range(n) for j in range(d))
    return (n - B) / (n - 1) / B * total / n


def variance_trace_of_covariance(G, B):
    n = G.shape[0]
    covariance = np.atleast_2d(np.cov(G, rowvar=False, bias=True))
    return float(np.trace(covariance)) * (n - B) / (B * (n - 1))


RIGHT_VARIANCE = [variance_by_enumeration, variance_with_ddof, variance_loop, variance_trace_of_covariance]


def _population(G):
    return np.var(G, axis=0).sum()


def _factor(G, B):
    n = len(G)
    return (n - B) / (n - 1) / B


def variance_transposed(G, B):
    d, n = G.shape                     # the rows taken as coordinates
    centred = G - G.mean(axis=1, keepdims=True)
    return np.sum(centred ** 2) / n * (n - B) / (n - 1) / B


WRONG_VARIANCE = [
    (lambda G, B: float(np.var(G, axis=1).sum() * _factor(G, B)), "variance_over_wrong_axis",
     "each example's variance over its own coordinates"),
    (lambda G, B: float(np.sum((G - G.mean(axis=0)).mean(axis=0) ** 2) * _factor(G, B)),
     "deviations_averaged_first", "averaged before they are squared"),
    (lambda G, B: np.float32(variance_with_ddof(G, B)), "wrong_dtype", "float64"),
    (lambda G, B: np.var(G, axis=0).sum() / B, "with_replacement", "with replacement"),
    (lambda G, B: np.var(G, axis=0, ddof=1).sum() / B, "sample_variance", "sample variance (ddof = 1)"),
    (lambda G, B: np.var(G, axis=0, ddof=1).sum() * _factor(G, B), "sample_variance_and_factor",
     "divides by N − 1 again"),
    (lambda G, B: _population(G) * (1 - B / len(G)) / B, "factor_over_n", "1 − B/N"),
    (lambda G, B: _population(G) * _factor(G, B) * B, "no_batch_average", "does not shrink like 1/B"),
    (lambda G, B: _population(G) * (len(G) - B) / B * (len(G) - 1), "precedence_slip", "(N − 1) multiplies"),
    (lambda G, B: np.mean(np.sum(G ** 2, axis=1)) * _factor(G, B), "not_centred", "‖gᵢ‖²"),
    (lambda G, B: np.sum((G - G.mean(axis=1, keepdims=True)) ** 2) / len(G) * _factor(G, B), "wrong_axis",
     "axis 1"),
    (lambda G, B: np.var(G) * _factor(G, B), "flattened_variance", "np.var(G) without an axis"),
    (lambda G, B: np.var(G, axis=0).mean() * _factor(G, B), "mean_over_coordinates",
     "averaged the variance over the coordinates"),
    (variance_transposed, "transposed", "rows of per_example_grads as coordinates"),
    (lambda G, B: np.mean(np.linalg.norm(G - G.mean(axis=0), axis=1)) * _factor(G, B), "norm_not_squared",
     "norms ‖gᵢ − ∇f‖ instead of their squares"),
    (lambda G, B: np.sqrt(variance_with_ddof(G, B)), "standard_deviation", "standard deviation"),
    (lambda G, B: np.var(G, axis=0) * (1 - B / len(G)) / B, "per_coordinate", "one value per coordinate"),
    (lambda G, B: np.atleast_1d(variance_with_ddof(G, B)), "one_element_array", "f\"{value:.4f}\""),
    # no known mistake: the property that fails is said
    (lambda G, B: _population(G) * (len(G) - B) / (len(G) + 1) / B, "batch_of_one", "spread σ² itself"),
    (lambda G, B: _population(G) * (len(G) - B) / (len(G) - 1) * (1 + (B - 1) / 2), "not_falling_with_batch",
     "does not fall when the batch grows"),
    (lambda G, B: np.sum((G - np.abs(G).mean(axis=0)) ** 2) / len(G) * _factor(G, B), "not_shift_invariant",
     "ĝ_B − ∇f does not change"),
    (lambda G, B: _population(G) * (len(G) - B + 1) / len(G) / B, "full_batch_not_zero", "its error is 0"),
]


@pytest.mark.parametrize("impl", RIGHT_VARIANCE)
def test_minibatch_grad_variance_accepts(impl, capsys):
    accepts(ex02.check_minibatch_grad_variance, impl, capsys, "minibatch_grad_variance", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_VARIANCE)
def test_minibatch_grad_variance_rejects(impl, mistake, phrase):
    rejects(ex02.check_minibatch_grad_variance, impl, mistake, phrase)


def test_variance_reference_matches_sampling():
    G = np.random.default_rng(7).normal(size=(6, 2))
    for B in range(1, 7):
        assert ex02._minibatch_grad_variance(G, B) == pytest.approx(variance_by_enumeration(G, B), rel=1e-12,
                                                                    abs=1e-15)


def test_variance_cases_cover_the_extremes():
    for cases in (ex02.MINIBATCH_GRAD_VARIANCE.cases, ex02.MINIBATCH_GRAD_VARIANCE.hidden_cases):
        shapes = [c.args["per_example_grads"].shape for c in cases]
        sizes = [c.args["batch_size"] for c in cases]
        assert any(b == 1 for b in sizes) and any(b == n for (n, _), b in zip(shapes, sizes))
        assert any(d == 1 for _, d in shapes) and any(d > 1 for _, d in shapes)


def test_a_wrong_centre_is_caught_by_the_batch_of_one():
    """Centred on the first example instead of the mean: 0 at B = N and unchanged by a shift of
    every gradient, but at B = 1 not the spread σ²."""
    def centred_on_first(G, B):
        n = len(G)
        spread = np.sum((G - G[0]) ** 2) / n
        return spread * (n - B) / (n - 1) / B
    rejects(ex02.check_minibatch_grad_variance, centred_on_first, "batch_of_one", "B = 1")


# ---------------------------------------------------------------------------
# stationary_variance
# ---------------------------------------------------------------------------

def stationary_by_series(lr, lam, noise_var):
    a = 1 - lr * lam
    if abs(a) >= 1:
        return math.inf
    return lr ** 2 * noise_var / (1 - a * a)  # Σ a^{2k} η²σ²


def stationary_by_fixed_point(lr, lam, noise_var):
    if not 0 < lr * lam < 2:
        return float("inf")
    v = 0.0
    for _ in range(200_000):
        new = (1 - lr * lam) ** 2 * v + lr ** 2 * noise_var
        if abs(new - v) <= 1e-15 * new or new == 0:
            return new
        v = new
    return v


def stationary_numpy(lr, lam, noise_var):
    lr, lam, noise_var = np.float64(lr), np.float64(lam), np.float64(noise_var)
    return np.inf if lr * lam >= 2 else lr * noise_var / (2 * lam - lr * lam ** 2)


def stationary_by_linear_solve(lr, lam, noise_var):
    """The fixed point v = a²v + η²σ² as a 1 × 1 linear system."""
    a2 = (1 - lr * lam) ** 2
    if a2 >= 1:
        return math.inf
    return float(np.linalg.solve([[1 - a2]], [lr ** 2 * noise_var])[0])


RIGHT_STATIONARY = [stationary_by_series, stationary_by_fixed_point, stationary_numpy, stationary_by_linear_solve]


def _exact(lr, lam, s2):
    return lr * s2 / (lam * (2 - lr * lam))


def guarded(formula, *, unstable=lambda lr, lam: lr * lam >= 2):
    """``formula`` below the limit, np.inf from it on: the stability test right, the floor wrong."""
    return lambda lr, lam, s2: math.inf if unstable(lr, lam) else formula(lr, lam, s2)


def stationary_simulated(lr, lam, noise_var):
    if lr * lam >= 2:
        return math.inf
    rng = np.random.default_rng(0)
    x = np.zeros(20_000)
    for _ in range(int(10 / (lr * lam)) + 50):
        x = x - lr * (lam * x + rng.normal(scale=math.sqrt(noise_var), size=x.size))
    return float(np.mean(x ** 2))


def stationary_raises_when_unstable(lr, lam, noise_var):
    if lr * lam >= 2:
        raise ValueError("unstable")
    return _exact(lr, lam, noise_var)


def stationary_none_when_unstable(lr, lam, noise_var):
    if lr * lam < 2:
        return _exact(lr, lam, noise_var)


WRONG_STATIONARY = [
    (lambda lr, lam, s2: np.float32(stationary_numpy(lr, lam, s2)), "wrong_dtype", "float64"),
    # ηλ = 2 left on the stable side: a division by 2 − ηλ = 0
    (guarded(_exact, unstable=lambda lr, lam: lr * lam > 2), "boundary_excluded", "raised at ηλ = 2"),
    (stationary_raises_when_unstable, "raises_when_unstable", "not an error"),
    (stationary_none_when_unstable, "returned_none", "asks for np.inf"),
    (guarded(lambda lr, lam, s2: lr * s2 / (2 * lam)), "small_lr_approximation", "first-order floor"),
    (guarded(lambda lr, lam, s2: s2 / (lr * lam * (2 - lr * lam))), "noise_without_lr", "scaled by the step"),
    (guarded(lambda lr, lam, s2: lr ** 2 * s2 / (1 - abs(1 - lr * lam))), "factor_not_squared",
     "not squared"),
    (guarded(lambda lr, lam, s2: lr ** 2 * s2 / (1 - (1 - lr * lam))), "factor_not_squared", "E[(a·x)²]"),
    (guarded(lambda lr, lam, s2: lr * s2 / (lam * (2 + lr * lam))), "expansion_sign_slip", "sign slipped"),
    (guarded(lambda lr, lam, s2: lr ** 2 * s2 / (lam * (2 - lr * lam))), "extra_lr", "one η too many"),
    (guarded(lambda lr, lam, s2: lr * s2 ** 2 / (lam * (2 - lr * lam))), "noise_var_squared",
     "already the variance"),
    (guarded(lambda lr, lam, s2: math.sqrt(_exact(lr, lam, s2))), "standard_deviation", "standard deviation"),
    (guarded(lambda lr, lam, s2: lam / 2 * _exact(lr, lam, s2)), "loss_not_variance", "expected loss"),
    (guarded(_exact, unstable=lambda lr, lam: lr * lam >= 1), "unstable_from_one", "sign of 1 − ηλ"),
    (guarded(_exact, unstable=lambda lr, lam: lr >= 2), "limit_ignores_lam", "product ηλ"),
    (_exact, "finite_when_unstable", "no stationary variance"),
    (stationary_simulated, "approximate", "simulate"),
    (lambda lr, lam, s2: np.array([stationary_numpy(lr, lam, s2)]), "one_element_array", "shape (1,)"),
    (lambda lr, lam, s2: math.nan if lr * lam >= 2 else _exact(lr, lam, s2), "not_finite", "nan"),
    # no known mistake: the property that fails is said
    (guarded(lambda lr, lam, s2: lr * s2 / (lam * (lr * lam - 2))), "negative_variance", "cannot be"),
    (guarded(lambda lr, lam, s2: (lr * s2 + lr ** 2) / (lam * (2 - lr * lam))), "floor_without_noise",
     "Without noise"),
    (guarded(lambda lr, lam, s2: lr * math.sqrt(s2) / (lam * (2 - lr * lam))), "not_proportional_to_noise",
     "does not double"),
    (guarded(lambda lr, lam, s2: lr * s2 / (lam * (2 - lr * lam) ** 2)), "small_lr_limit", "tiny η"),
    (guarded(lambda lr, lam, s2: lr * s2 / (lam * (2 - lr * lam / 2))), "no_blow_up_near_2",
     "grow without bound"),
]


@pytest.mark.parametrize("impl", RIGHT_STATIONARY)
def test_stationary_variance_accepts(impl, capsys):
    accepts(ex02.check_stationary_variance, impl, capsys, "stationary_variance", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STATIONARY)
def test_stationary_variance_rejects(impl, mistake, phrase):
    rejects(ex02.check_stationary_variance, impl, mistake, phrase)


def test_stationary_cases_straddle_the_limit():
    """Both lists hold ηλ below 1, between 1 and 2, exactly 2 (in Python floats or ints), above 2,
    and Python ints."""
    for cases in (ex02.STATIONARY_VARIANCE.cases, ex02.STATIONARY_VARIANCE.hidden_cases):
        products = [c.args["lr"] * c.args["lam"] for c in cases]
        assert any(p < 1 for p in products) and any(1 < p < 2 for p in products)
        assert any(p == 2 and type(c.args["lr"]) in (int, float) for p, c in zip(products, cases))
        assert any(p > 2 for p in products)
        assert any(all(isinstance(v, int) for v in c.args.values()) for c in cases)


def test_stationary_variance_matches_a_simulation():
    rng = np.random.default_rng(0)
    lr, lam, s2 = 0.4, 1.5, 2.0
    x = np.zeros(20000)
    for _ in range(300):
        x = x - lr * (lam * x + rng.normal(scale=np.sqrt(s2), size=x.size))
    assert x.var() == pytest.approx(ex02._stationary_variance(lr, lam, s2), rel=0.05)


# The floor and the results a derivation hint must never give (issue 9)
_LEAKS = ("2 − ηλ", "2/(2", "ησ²", "η²σ²", "(1 − ηλ)²", "λ(2", "twice", "half", "factor 2",
          "2 + ηλ", "(2 −", "1 − a²")


def _stationary_texts():
    texts = [m.diagnosis + " " + m.hint for m in ex02.STATIONARY_VARIANCE.mistakes]
    texts += [d + " " + h for _, _, _, d, h in ex02._floor_probes()]
    texts.append(ex02.STATIONARY_VARIANCE.wrong_hint)
    return texts


def test_derivation_messages_do_not_state_the_result():
    """Issue 9: a hint for a derivation points to the step, never the result or a factor of it."""
    for text in _stationary_texts():
        for leak in _LEAKS:
            assert leak not in text, (leak, text)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STATIONARY)
def test_stationary_messages_point_to_a_step_or_the_text(impl, mistake, phrase):
    message = rejects(ex02.check_stationary_variance, impl, mistake, phrase)
    hint = message.split("Hint: ")[-1]
    assert mistake in ("not_finite", "returned_none", "one_element_array", "wrong_dtype") or any(word in hint for word in ("Step", "step", "Lesson", "lesson", "np.inf", "lr·lam",
                                         "square root", "closed form")), hint
    for leak in _LEAKS:
        assert leak not in message, (leak, message)


@pytest.mark.parametrize("check, impl", [
    (ex02.check_stationary_variance, guarded(lambda lr, lam, s2: 1.01 * _exact(lr, lam, s2))),
    (ex02.check_minibatch_grad_variance, lambda G, B: 1.01 * variance_with_ddof(G, B)),
    (ex02.check_sgd_epoch, lambda x, g, lr, bs: 1.01 * sgd_enumerate(x, g, lr, bs)),
])
def test_messages_never_show_the_reference_values(check, impl):
    part = {ex02.check_stationary_variance: ex02.STATIONARY_VARIANCE,
            ex02.check_minibatch_grad_variance: ex02.MINIBATCH_GRAD_VARIANCE,
            ex02.check_sgd_epoch: ex02.SGD_EPOCH}[check]
    with pytest.raises(ex02.CheckFailed) as info:
        check(impl)
    message = str(info.value)
    for case in part.cases:
        expected = np.ravel(np.asarray(part.reference(*copy.deepcopy(list(case.args.values()))), dtype=float))
        for value in expected[np.isfinite(expected) & (expected != 0)]:
            text = f"{value:.6g}"
            assert len(text.lstrip("-0.")) < 3 or text not in message, (value, message)


# ---------------------------------------------------------------------------
# Every Part-based check: raising, not implemented, None, NaN, hang
# ---------------------------------------------------------------------------

PARTS = [
    (ex02.check_sgd_epoch, ex02.SGD_EPOCH),
    (ex02.check_minibatch_grad_variance, ex02.MINIBATCH_GRAD_VARIANCE),
    (ex02.check_stationary_variance, ex02.STATIONARY_VARIANCE),
]


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
@pytest.mark.parametrize("impl, mistake", [*BROKEN_CODE, pytest.param(returns_nan, None, id="returns_nan")])
def test_every_part_handles_broken_code(check, part, impl, mistake, monkeypatch):
    rejects_broken(check, part, impl, mistake or nan_mistake(part), monkeypatch)


@pytest.mark.parametrize("check, part", PARTS, ids=part_id)
def test_cases_separate_every_variant_from_the_reference(check, part):
    assert_variants_differ(part)


@pytest.mark.parametrize("wrong", [WRONG_MINIBATCHES, WRONG_SGD_EPOCH, WRONG_VARIANCE, WRONG_STATIONARY])
def test_every_part_names_at_least_eight_mistakes(wrong):
    assert len({mistake for _, mistake, _ in wrong}) >= 8


def sgd_flipped_for_matrices(x, grad_fn, lr, batches):
    sign = -1.0 if np.ndim(x) == 2 else 1.0
    return sgd_enumerate(x, lambda p, b: sign * grad_fn(p, b), lr, batches)


def test_sgd_right_on_1d_only_is_told_so():
    message = rejects(ex02.check_sgd_epoch, sgd_flipped_for_matrices, "matrix_parameters", "1-D")
    assert "sign" not in message.split("Hint")[0], message


def test_sgd_right_on_lists_only_is_told_so():
    def drops_first_of_a_generator(x, grad_fn, lr, batches):
        if not isinstance(batches, (list, tuple)):
            next(iter(batches), None)
        return sgd_enumerate(x, grad_fn, lr, batches)
    rejects(ex02.check_sgd_epoch, drops_first_of_a_generator, "generator_batches", "generator")


@pytest.mark.parametrize("check, impl, not_named", [
    (ex02.check_sgd_epoch, sgd_flipped_for_matrices, "sign_flipped"),
    (ex02.check_minibatch_grad_variance,
     lambda G, B: np.var(G, axis=0).sum() / B if G.shape[1] == 2 else variance_with_ddof(G, B), "with_replacement"),
    (ex02.check_stationary_variance,
     lambda lr, lam, s2: lr * s2 / (2 * lam) if lr * lam < 0.5 else stationary_numpy(lr, lam, s2),
     "small_lr_approximation"),
])
def test_a_mistake_that_explains_only_some_cases_is_not_named(check, impl, not_named):
    """Issue 9: a diagnosis fires only when the mistake fits every case tried; code that makes it
    on some inputs only is told the value is wrong (or which property fails)."""
    with pytest.raises(ex02.CheckFailed) as info:
        check(impl)
    assert info.value.mistake != not_named, str(info.value)


#: wrong code that the hidden cases' empty epoch (or tiny ηλ, for a simulation) stops first
_HIDDEN_STOPS_FIRST = {"one_step_per_epoch", "first_batch_only", "last_batch_only", "approximate",
                       "returned_input"}


@pytest.mark.parametrize("check, impl, mistake", [
    *[(ex02.check_sgd_epoch, impl, mistake) for impl, mistake, _ in WRONG_SGD_EPOCH],
    *[(ex02.check_minibatch_grad_variance, impl, mistake) for impl, mistake, _ in WRONG_VARIANCE],
    *[(ex02.check_stationary_variance, impl, mistake) for impl, mistake, _ in WRONG_STATIONARY],
])
def test_the_hidden_check_rejects_every_wrong_implementation(check, impl, mistake, monkeypatch):
    """Hidden cases are no weaker than the visible ones, and name the same mistake unless the
    wrong code fails on a degenerate hidden input first."""
    monkeypatch.setattr(ex02.STATIONARY_VARIANCE, "time_limit", 1.0)
    with pytest.raises(ex02.CheckFailed) as info:
        check(impl, hidden=True)
    assert info.value.mistake == mistake or mistake in _HIDDEN_STOPS_FIRST, str(info.value)


def test_points_table():
    assert ex02.PARTS == {"check_minibatches": 3, "check_sgd_epoch": 2,
                          "check_minibatch_grad_variance": 2, "check_stationary_variance": 2,
                          "check_floor_predictions": 2}


# ---------------------------------------------------------------------------
# Part 5: floor_predictions (graded multiple choice, checked against a run)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_FLOOR = [answer("ABD"), answer("d, b, a"), answer(["B", "A", "D"]), answer(frozenset("abd"))]

WRONG_FLOOR = [
    # exactly what a mistaken floor model predicts: that model is named
    (answer("C"), "first_order_floor", "only through η/B"),
    (answer("A"), "with_replacement_noise", "B distinct examples"),
    (answer("BD"), "floor_proportional_to_lr", "proportional to η"),
    (answer("b, d"), "floor_proportional_to_lr", "ηλ = 1"),
    # anything else: one neutral message, no letter, no topic, no count
    (answer("CE"), "wrong_choice", "not exactly the true statements"),
    (answer("AE"), "wrong_choice", "sections 3–7"),
    (answer("BDE"), "wrong_choice", "parts 3 and 4"),
    (answer("ABCD"), "wrong_choice", "every statement"),
    (answer("ABDE"), "wrong_choice", "not exactly the true statements"),
    (answer("AB"), "wrong_choice", "not exactly the true statements"),
    (answer("AD"), "wrong_choice", "not exactly the true statements"),
    (answer("ABCDE"), "wrong_choice", "not exactly the true statements"),
    (answer(""), "wrong_choice", "not exactly the true statements"),
    (answer("D"), "wrong_choice", "not exactly the true statements"),
    (answer("ABDA"), "repeated_letter", "more than once"),
    (answer(("A", "B", "D", "A")), "repeated_letter", "more than once"),
    (answer("A B F"), "unknown_option", "the options"),
    (answer(None), "returned_none", "None"),
    (answer(5), "wrong_type", "string of option letters"),
]


@pytest.mark.parametrize("impl", RIGHT_FLOOR)
def test_floor_predictions_accepts(impl, capsys):
    accepts(ex02.check_floor_predictions, impl, capsys, "floor_predictions", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_FLOOR)
def test_floor_predictions_rejects(impl, mistake, phrase):
    message = rejects(ex02.check_floor_predictions, impl, mistake, phrase)
    if mistake != "repeated_letter":
        assert "ABD" not in message and "'A'" not in message.split("options")[0], message
    if mistake == "wrong_choice":
        neutral = rejects(ex02.check_floor_predictions, answer("AB"), mistake, "")
        assert message.split("\n", 1)[1] == neutral.split("\n", 1)[1]
        assert "leaves out" not in message and "chose" not in message


@pytest.mark.parametrize("impl, mistake", BROKEN_CODE)
def test_floor_predictions_handles_broken_code(impl, mistake, monkeypatch):
    rejects_broken(ex02.check_floor_predictions, ex02.FLOOR_PREDICTIONS, impl, mistake, monkeypatch)


def test_the_floor_answer_is_what_a_run_measures():
    """A, B, D true and C, E false, measured by simulating part 5's model (as the notebook's
    locked cell does), independently of the formulas."""
    rng = np.random.default_rng(1)
    n, runs = ex02.FLOOR_N, 4000
    c = rng.normal(size=n)
    c = (c - c.mean()) / c.std()

    def simulate(lr, batch_size, steps=200):
        x = np.full(runs, 10.0)
        second_moment = []
        for _ in range(steps):
            picks = rng.permuted(np.tile(np.arange(n), (runs, 1)), axis=1)[:, :batch_size]
            x = x - lr * (ex02.FLOOR_LAM * x + c[picks].mean(axis=1))
            second_moment.append(np.mean(x ** 2))
        return np.array(second_moment)

    base = simulate(1.0, 10)
    half_lr, double_b = simulate(0.5, 10), simulate(1.0, 20)
    floor = base[-50:].mean()
    assert half_lr[-50:].mean() < floor / 2.4                        # A (exactly 3×)
    assert double_b[-50:].mean() < floor / 2.05                      # B (exactly 2.25×)
    with np.errstate(over="ignore"):
        assert simulate(2.0, 20)[-1] > 100 * floor                   # C: no floor at all
    assert simulate(1.0, n)[-1] < 1e-20                              # D
    # E: η = 1 is at its floor after one step, η = 0.5 still far above its own after 5
    assert base[0] < 1.2 * floor and half_lr[4] > 2 * half_lr[-50:].mean()
    assert ex02.floor_truths(ex02.floor_model()) == frozenset("ABD")


def test_the_floor_models_predict_distinct_answers():
    """Each mistaken model's answer differs from the right one and from the others, so each
    diagnosis is reachable and fires only for that model's answer."""
    answers = [ex02.floor_truths(model) for model, *_ in ex02._FLOOR_MODELS]
    assert len(set(answers)) == len(answers) and ex02._FLOOR_RIGHT not in answers


def test_floor_messages_never_give_the_answer():
    texts = [d + h for _, _, d, h in ex02._FLOOR_MODELS]
    texts += [str(ex02._grade_floor(frozenset("AB")))]
    for text in texts:
        for leak in ("is true", "is false", "factor 3", "2.25", "4/9", "statement A", "statement B"):
            assert leak not in text, (leak, text)
