"""Exercise 02's checks: right answers written differently pass, common mistakes are named."""

import math

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


def mb_drop_last(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start:start + batch_size]


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


def mb_no_shuffle(n, batch_size, epochs, seed):
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield np.arange(start, min(start + batch_size, n))


def mb_with_replacement(n, batch_size, epochs, seed):
    rng = np.random.default_rng(seed)
    for _ in range(epochs):
        for start in range(0, n, batch_size):
            yield rng.integers(0, n, size=min(batch_size, n - start))


def mb_global_rng(n, batch_size, epochs, seed):
    for _ in range(epochs):
        order = np.random.permutation(n)
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


def mb_one_based(n, batch_size, epochs, seed):
    for batch in mb_permutation(n, batch_size, epochs, seed):
        yield batch + 1


RIGHT_MINIBATCHES = [mb_permutation, mb_list_split, mb_random_state]

WRONG_MINIBATCHES = [
    (mb_drop_last, "drops_last_batch", "drops the last, smaller batch"),
    (mb_shuffle_once, "shuffled_once", "shuffled once"),
    (mb_reseeded_each_epoch, "shuffled_once", "re-created from the seed"),
    (mb_no_shuffle, "not_shuffled", "not shuffled"),
    (mb_with_replacement, "with_replacement", "with replacement"),
    (mb_global_rng, "not_reproducible", "same seed give different batches"),
    (mb_seed_ignored, "seed_ignored", "seed argument is ignored"),
    (mb_endless, "never_stops", "keeps yielding batches"),
    (mb_wraps_around, "batch_crosses_epochs", "mixes the end of one epoch"),
    (mb_float_indices, "wrong_dtype", "must be integers"),
    (mb_masks, "wrong_dtype", "boolean mask"),
    (mb_forgot_yield, "returned_none", "yield"),
    (mb_one_based, "index_out_of_range", "outside 0"),
    (lambda n, b, e, s: 42, "wrong_type", "not iterable"),
    (lambda n, b, e, s: [np.arange(n).reshape(1, -1)] * e, "wrong_shape", "1-D array"),
]


@pytest.mark.parametrize("impl", RIGHT_MINIBATCHES)
def test_minibatches_accepts(impl, capsys):
    accepts(ex02.check_minibatches, impl, capsys, "minibatches", 3)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_MINIBATCHES)
def test_minibatches_rejects(impl, mistake, phrase):
    rejects(ex02.check_minibatches, impl, mistake, phrase)


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
    for batch in list(batches):
        x = gd_step(x, grad_fn(x, batch), lr)
    return x


def sgd_copy_then_in_place(x, grad_fn, lr, batches):
    x = x.copy()
    for batch in batches:
        x -= lr * grad_fn(x, batch)
    return x


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
    return x - lr * sum(grads) / len(grads)


def sgd_stale(x, grad_fn, lr, batches):
    x0 = x
    for batch in batches:
        x = x - lr * grad_fn(x0, batch)
    return x


def sgd_skip_last(x, grad_fn, lr, batches):
    for i in range(len(batches) - 1):
        x = x - lr * grad_fn(x, batches[i])
    return x


def sgd_return_inside(x, grad_fn, lr, batches):
    for batch in batches:
        new = x - lr * grad_fn(x, batch)
    return new


RIGHT_SGD_EPOCH = [sgd_enumerate, sgd_with_own_step, sgd_copy_then_in_place]

WRONG_SGD_EPOCH = [
    (lambda x, g, lr, bs: sgd_enumerate(x, lambda x, b: -g(x, b), lr, bs), "sign_flipped", "uphill"),
    (lambda x, g, lr, bs: sgd_enumerate(x, g, 1.0, bs), "lr_missing", "ignore the learning rate"),
    (lambda x, g, lr, bs: sgd_enumerate(x, g, lr * lr, bs), "lr_twice", "applied twice"),
    (sgd_in_place, "mutated_input", "changed its input x in place"),
    (sgd_full_batch, "full_batch_gradient", "mini-batch is ignored"),
    (sgd_one_step, "one_step_per_epoch", "took one step"),
    (sgd_stale, "stale_gradients", "epoch's starting point"),
    (sgd_skip_last, "skips_last_batch", "last batch is skipped"),
    (sgd_return_inside, "last_batch_only", "Only one step"),
    (lambda x, g, lr, bs: None, "returned_none", "return"),
]


@pytest.mark.parametrize("impl", RIGHT_SGD_EPOCH)
def test_sgd_epoch_accepts(impl, capsys):
    accepts(ex02.check_sgd_epoch, impl, capsys, "sgd_epoch", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_SGD_EPOCH)
def test_sgd_epoch_rejects(impl, mistake, phrase):
    rejects(ex02.check_sgd_epoch, impl, mistake, phrase)


# ---------------------------------------------------------------------------
# minibatch_grad_variance
# ---------------------------------------------------------------------------

def variance_by_enumeration(G, B):
    """Average over every batch of size B (exact, for the small cases)."""
    from itertools import combinations
    G = np.asarray(G)
    n = len(G)
    if math.comb(n, B) > 20000:
        centred = G - G.mean(axis=0)
        return (n - B) / (B * (n - 1)) * np.sum(centred ** 2) / n
    full = G.mean(axis=0)
    errors = [np.sum((G[list(c)].mean(axis=0) - full) ** 2) for c in combinations(range(n), B)]
    return float(np.mean(errors))


def variance_with_ddof(G, B):
    n = len(G)
    return float(np.var(G, axis=0, ddof=1).sum() * (1 - B / n) / B)


def variance_loop(G, B):
    n, d = G.shape
    mean = [sum(G[i, j] for i in range(n)) / n for j in range(d)]
    total = sum((G[i, j] - mean[j]) ** 2 for i in range(n) for j in range(d))
    return (n - B) / (n - 1) / B * total / n


RIGHT_VARIANCE = [variance_by_enumeration, variance_with_ddof, variance_loop]

WRONG_VARIANCE = [
    (lambda G, B: np.var(G, axis=0).sum() / B, "with_replacement", "with replacement"),
    (lambda G, B: np.var(G, axis=0, ddof=1).sum() / B, "sample_variance", "finite-population"),
    (lambda G, B: variance_with_ddof(G, B) * B, "no_batch_average", "does not shrink with the batch size"),
    (lambda G, B: variance_with_ddof(G, B) / G.shape[1], "mean_over_coordinates", "averaged the variance over the coordinates"),
    (lambda G, B: np.sqrt(variance_with_ddof(G, B)), "standard_deviation", "standard deviation"),
    (lambda G, B: np.var(G, axis=0) * (1 - B / len(G)) / B, "wrong_shape", "instead of the expected squared error"),
]


@pytest.mark.parametrize("impl", RIGHT_VARIANCE)
def test_minibatch_grad_variance_accepts(impl, capsys):
    accepts(ex02.check_minibatch_grad_variance, impl, capsys, "minibatch_grad_variance", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_VARIANCE)
def test_minibatch_grad_variance_rejects(impl, mistake, phrase):
    rejects(ex02.check_minibatch_grad_variance, impl, mistake, phrase)


def test_variance_reference_matches_sampling():
    G = np.random.default_rng(7).normal(size=(6, 2))
    assert ex02._minibatch_grad_variance(G, 2) == pytest.approx(variance_by_enumeration(G, 2), rel=1e-12)


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
    for _ in range(100000):
        new = (1 - lr * lam) ** 2 * v + lr ** 2 * noise_var
        if abs(new - v) <= 1e-15 * new:
            return new
        v = new
    return v


RIGHT_STATIONARY = [stationary_by_series, stationary_by_fixed_point,
                    lambda lr, lam, s2: np.inf if lr * lam >= 2 else lr * s2 / (2 * lam - lr * lam ** 2)]


def _exact(lr, lam, s2):
    return lr * s2 / (lam * (2 - lr * lam))


WRONG_STATIONARY = [
    # ηλ = 2 left on the stable side: a division by 2 − ηλ = 0
    (lambda lr, lam, s2: math.inf if lr * lam > 2 else lr * s2 / (lam * (2 - lr * lam)), "boundary_excluded",
     "raised at ηλ = 2 exactly"),
    (lambda lr, lam, s2: math.inf if lr * lam >= 2 else lr * s2 / (2 * lam), "small_lr_approximation",
     "small-η approximation"),
    (lambda lr, lam, s2: math.inf if lr * lam >= 2 else s2 / (lr * lam * (2 - lr * lam)), "noise_without_lr",
     "multiplied by η"),
    (lambda lr, lam, s2: math.inf if lr * lam >= 2 else lr ** 2 * s2 / (1 - abs(1 - lr * lam)),
     "factor_not_squared", "must be squared"),
    (lambda lr, lam, s2: math.inf if lr * lam >= 2 else math.sqrt(_exact(lr, lam, s2)), "standard_deviation",
     "standard deviation"),
    (lambda lr, lam, s2: math.inf if lr * lam >= 2 else lam / 2 * _exact(lr, lam, s2), "loss_not_variance",
     "expected loss"),
    (_exact, "finite_when_unstable", "Return np.inf when lr·lam ≥ 2"),
    (lambda lr, lam, s2: math.nan if lr * lam >= 2 else _exact(lr, lam, s2), "not_finite", "nan"),
]


@pytest.mark.parametrize("impl", RIGHT_STATIONARY)
def test_stationary_variance_accepts(impl, capsys):
    accepts(ex02.check_stationary_variance, impl, capsys, "stationary_variance", 2)


@pytest.mark.parametrize("impl, mistake, phrase", WRONG_STATIONARY)
def test_stationary_variance_rejects(impl, mistake, phrase):
    rejects(ex02.check_stationary_variance, impl, mistake, phrase)


def test_stationary_variance_matches_a_simulation():
    rng = np.random.default_rng(0)
    lr, lam, s2 = 0.4, 1.5, 2.0
    x = np.zeros(20000)
    for _ in range(300):
        x = x - lr * (lam * x + rng.normal(scale=np.sqrt(s2), size=x.size))
    assert x.var() == pytest.approx(ex02._stationary_variance(lr, lam, s2), rel=0.05)


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


def test_points_table():
    assert ex02.PARTS == {"check_minibatches": 3, "check_sgd_epoch": 2,
                          "check_minibatch_grad_variance": 2, "check_stationary_variance": 2,
                          "check_floor_predictions": 2}


def test_derivation_messages_do_not_state_the_result():
    """Issue 9: a hint for a derivation points to the step, never the result or the factor."""
    for mistake in ex02.STATIONARY_VARIANCE.mistakes:
        text = mistake.diagnosis + mistake.hint
        for leak in ("2/(2 − ηλ)", "ησ²/(λ(2", "(2 − ηλ))"):
            assert leak not in text, (mistake.id, leak)


# ---------------------------------------------------------------------------
# Part 5: floor_predictions (graded multiple choice, checked against a run)
# ---------------------------------------------------------------------------

def answer(value):
    return lambda: value


RIGHT_FLOOR = [answer("ABD"), answer("d, b, a"), answer(["B", "A", "D"]), answer(frozenset("abd")),
               answer(("A", "B", "D", "A"))]

WRONG_FLOOR = [
    # the chosen A–D are what a mistaken floor model predicts: that model is named
    (answer("C"), "first_order_floor", "only through η/B"),
    (answer("CE"), "first_order_floor", "section 4"),
    (answer("A"), "with_replacement_noise", "B distinct examples"),
    (answer("AE"), "with_replacement_noise", "section 3"),
    (answer("BD"), "floor_proportional_to_lr", "proportional to η"),
    (answer("BDE"), "floor_proportional_to_lr", "ηλ = 1"),
    # otherwise the first statement judged wrongly is named
    (answer("ABCD"), "linear_scaling_beyond_limit", "doubled rate"),
    (answer("ABDE"), "smaller_rate_free", "|1 − ηλ|"),
    (answer("AB"), "full_batch_noise", "every one of the N examples"),
    (answer("AD"), "with_replacement_noise", "B doubles"),
    (answer("ABCDE"), "linear_scaling_beyond_limit", "curvature limit"),
    (answer(""), "floor_proportional_to_lr", "part 4"),
    (answer("D"), "floor_proportional_to_lr", "exact floor"),
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
    assert "ABD" not in message and "'A'" not in message.split("options")[0], message


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
    texts += [d + h for _, d, h in ex02._FLOOR_PROBLEMS.values()]
    for text in texts:
        for leak in ("is true", "is false", "factor 3", "2.25", "4/9", "statement A", "statement B"):
            assert leak not in text, (leak, text)
