"""MLP(init=...): the initialisation schemes, their variances, and the unchanged default.

The default ("auto") must stay bit-for-bit what it was before the option existed:
every lesson and exercise that calls ``MLP(...).init(seed)`` depends on it.  The
hashes below were computed at commit d504b1b, before ``init=`` was added.
"""

import hashlib

import numpy as np
import pytest

from lrcourse.problems import MLP

# sha256 of MLP(**kwargs).init(seed).tobytes(), first 16 hex digits, at commit d504b1b.
BEFORE_THE_OPTION = [
    ({}, 0, "d251201bff4e2fa9"),
    ({}, 1, "731abb9149524125"),
    ({}, 7, "def8702ba8610e52"),
    ({"hidden": 8}, 0, "027d25a880afb306"),
    ({"activation": "tanh"}, 0, "979bc33cf5d059b7"),
    ({"activation": "tanh"}, 7, "ed3cedd08a31cd79"),
    ({"hidden": 5, "activation": "tanh", "l2": 0.1}, 1, "0fcc2387dabb75db"),
]


def _digest(x):
    return hashlib.sha256(np.ascontiguousarray(x).tobytes()).hexdigest()[:16]


@pytest.mark.parametrize("kwargs, seed, digest", BEFORE_THE_OPTION)
@pytest.mark.parametrize("explicit", [False, True])
def test_default_init_is_bit_for_bit_unchanged(kwargs, seed, digest, explicit):
    model = MLP(**kwargs, init="auto") if explicit else MLP(**kwargs)
    assert _digest(model.init(seed=seed)) == digest


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_default_init_matches_its_documented_rule(activation):
    # The rule written out independently: W1 then W2 from one generator, uniform on [-r, r],
    # r = sqrt(6/fan_in) into a relu, sqrt(6/(fan_in + fan_out)) otherwise; zero biases.
    model = MLP(hidden=16, activation=activation)
    rng = np.random.default_rng(3)
    r1 = np.sqrt(6.0 / 64) if activation == "relu" else np.sqrt(6.0 / (64 + 16))
    W1 = rng.uniform(-r1, r1, size=64 * 16)
    W2 = rng.uniform(-np.sqrt(6.0 / 26), np.sqrt(6.0 / 26), size=16 * 10)
    expected = np.concatenate([W1, np.zeros(16), W2, np.zeros(10)])
    np.testing.assert_array_equal(model.init(seed=3), expected)


def test_default_repr_and_name_are_unchanged():
    assert repr(MLP()) == "MLP(hidden=32, l2=0.0, activation='relu')"
    assert MLP().name == "MLP 64-32-10 (relu) on digits"
    assert MLP(init="auto").init_scheme == "auto"


WIDE = 512   # wide enough that the sample variance of each layer is within a few percent


def _layer_variances(model, seed=0):
    W1, b1, W2, b2 = model.unpack(model.init(seed=seed))
    assert not b1.any() and not b2.any(), "biases start at zero"
    return W1.var(), W2.var(), W1.mean(), W2.mean()


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_he_variance_is_two_over_fan_in(activation):
    var1, var2, mean1, mean2 = _layer_variances(MLP(hidden=WIDE, activation=activation, init="he"))
    assert var1 == pytest.approx(2 / 64, rel=0.03)
    assert var2 == pytest.approx(2 / WIDE, rel=0.05)
    assert abs(mean1) < 0.01 and abs(mean2) < 0.01


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_glorot_variance_is_two_over_fan_in_plus_fan_out(activation):
    var1, var2, _, _ = _layer_variances(MLP(hidden=WIDE, activation=activation, init="glorot"))
    assert var1 == pytest.approx(2 / (64 + WIDE), rel=0.03)
    assert var2 == pytest.approx(2 / (WIDE + 10), rel=0.05)


def test_auto_is_he_into_relu_and_glorot_elsewhere():
    var1, var2, _, _ = _layer_variances(MLP(hidden=WIDE))
    assert var1 == pytest.approx(2 / 64, rel=0.03)
    assert var2 == pytest.approx(2 / (WIDE + 10), rel=0.05)
    var1, _, _, _ = _layer_variances(MLP(hidden=WIDE, activation="tanh"))
    assert var1 == pytest.approx(2 / (64 + WIDE), rel=0.03)
    # Same draws as the explicit scheme where they agree (same generator, same order).
    he, auto = MLP(hidden=8, init="he").init(seed=4), MLP(hidden=8).init(seed=4)
    np.testing.assert_array_equal(he[: 64 * 8], auto[: 64 * 8])


@pytest.mark.parametrize("scheme, fan", [("he", "in"), ("glorot", "in+out")])
def test_named_schemes_are_uniform_within_their_bound(scheme, fan):
    model = MLP(hidden=WIDE, init=scheme)
    W1 = model.unpack(model.init(seed=1))[0]
    bound = np.sqrt(6 / 64) if fan == "in" else np.sqrt(6 / (64 + WIDE))
    assert np.abs(W1).max() <= bound
    assert np.abs(W1).max() > 0.99 * bound          # the whole interval is used
    assert abs(np.mean(np.abs(W1)) - bound / 2) < 0.01 * bound   # E|U[-r, r]| = r/2


@pytest.mark.parametrize("sigma", [1.0, 0.01, 3])
def test_naive_normal_has_variance_sigma_squared_in_every_layer(sigma):
    var1, var2, _, _ = _layer_variances(MLP(hidden=WIDE, init=sigma))
    assert var1 == pytest.approx(sigma ** 2, rel=0.03)
    assert var2 == pytest.approx(sigma ** 2, rel=0.06)
    W1 = MLP(hidden=WIDE, init=sigma).unpack(MLP(hidden=WIDE, init=sigma).init(seed=0))[0]
    excess_kurtosis = np.mean(W1 ** 4) / np.mean(W1 ** 2) ** 2 - 3
    assert abs(excess_kurtosis) < 0.1               # normal (a uniform has −1.2)


def test_init_is_seeded_and_schemes_differ():
    for scheme in ("auto", "he", "glorot", 0.5):
        model = MLP(hidden=8, init=scheme)
        np.testing.assert_array_equal(model.init(seed=2), model.init(seed=2))
        assert not np.array_equal(model.init(seed=2), model.init(seed=3))
    assert not np.array_equal(MLP(hidden=8, init="glorot").init(), MLP(hidden=8, init="he").init())


def test_the_scale_sets_the_starting_loss():
    # What the lesson builds on: σ = 0.01 starts at log 10 (all classes equally likely),
    # He / Glorot near it, N(0, 1) far above (saturated, confidently wrong logits).
    start = {scheme: float(MLP(init=scheme).loss(MLP(init=scheme).init(seed=0)))
             for scheme in ("he", "glorot", 0.01, 1.0)}
    assert start[0.01] == pytest.approx(np.log(10), abs=1e-3)
    assert 2.0 < start["he"] < 4.0 and 2.0 < start["glorot"] < 4.0
    assert start[1.0] > 10 * start["he"]


def test_non_default_init_is_shown_in_repr_and_name():
    assert repr(MLP(hidden=4, init="he")) == "MLP(hidden=4, l2=0.0, activation='relu', init='he')"
    assert repr(MLP(init=1)) == "MLP(hidden=32, l2=0.0, activation='relu', init=1.0)"
    assert MLP(init=0.01).name == "MLP 64-32-10 (relu) on digits (init=N(0, 0.01²))"
    assert MLP(init="glorot").name.endswith("(init=glorot)")
    assert isinstance(MLP(init=np.float32(0.5)).init_scheme, float)


ACCEPTED = r"init must be one of 'auto', 'he', 'glorot', or a positive finite number σ \(weights drawn from N\(0, σ²\)\)"


@pytest.mark.parametrize("bad, error, shown", [
    ("xavier", ValueError, "'xavier'"),
    ("He", ValueError, "'He'"),
    (0, ValueError, "0"),
    (-1.0, ValueError, "-1.0"),
    (np.nan, ValueError, "nan"),
    (np.inf, ValueError, "inf"),
    (True, TypeError, "True"),
    (None, TypeError, "None"),
    ([1.0], TypeError, r"\[1.0\]"),
])
def test_bad_init_is_refused_naming_the_parameter(bad, error, shown):
    with pytest.raises(error, match=f"^{ACCEPTED}; got {shown}$"):
        MLP(init=bad)
