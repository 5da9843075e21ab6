"""Tests of lrcourse.classroom.channel: the data-only channel between runner and grader."""

from __future__ import annotations

import json

from lrcourse.classroom import channel


def test_channel_round_trips_data_and_never_unpickles_on_the_grader_side():
    import numpy as np

    value = {"x": np.arange(6.0).reshape(2, 3), "n": np.int64(3), "f": np.float64(0.5), "t": (1, "a", None),
             "l": [True, float("nan"), -float("inf"), 2**70], "k": {1: "one"}, "rng": np.random.default_rng(3),
             "s": {"A", "C"}, "fs": frozenset({1, 2})}
    wire = json.loads(json.dumps(channel.encode(value)))
    back = channel.decode(wire, trusted=True)
    assert np.array_equal(back["x"], value["x"]) and back["x"].dtype == np.float64
    assert back["n"] == 3 and isinstance(back["n"], np.int64) and np.ndim(back["f"]) == 0
    assert back["t"] == (1, "a", None) and back["k"] == {1: "one"}
    assert back["s"] == {"A", "C"} and back["fs"] == frozenset({1, 2}) and type(back["fs"]) is frozenset
    assert back["l"][0] is True and np.isnan(back["l"][1]) and back["l"][2] == -np.inf and back["l"][3] == 2**70
    assert back["rng"].random() == np.random.default_rng(3).random()
    import base64
    import pickle

    evil = {"$pickle": base64.b64encode(pickle.dumps(print)).decode()}
    assert isinstance(channel.decode(evil, trusted=True), channel.Opaque)
    for bad in ({"$nd": {"dtype": "O", "shape": [1], "data": ""}}, {"$nd": {"dtype": "<f8", "shape": [5], "data": "AA=="}},
                {"$obj": {"module": "os", "name": "system", "attrs": {}}}, {"$rng": {"bit_generator": "MT19937"}}):
        assert isinstance(channel.decode(bad, trusted=True), channel.Opaque), bad
