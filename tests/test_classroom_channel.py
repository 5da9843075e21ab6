"""Tests of lrcourse.classroom.channel: the data-only channel between runner and grader.

A hole an outside attack found, kept shut: a runner could send one huge line of tiny
containers (``[{},{},…]``), and parsing it cost the grader ~50× its size in memory.
Lines are capped, and their items counted before anything is parsed.
"""

from __future__ import annotations

import json

import pytest

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


def test_a_line_of_many_items_is_refused_before_it_is_parsed(monkeypatch):
    def no_parsing(*args, **kwargs):
        raise AssertionError("parsed a line that should have been refused first")

    bomb = b"[" + b"{}," * (channel.MAX_ITEMS + 1) + b"{}]"
    assert len(bomb) < channel.MAX_MESSAGE_BYTES
    monkeypatch.setattr(channel.json, "loads", no_parsing)
    with pytest.raises(ValueError, match="too many items"):
        channel.loads(bomb)
    with pytest.raises(ValueError, match="too long"):
        channel.loads(b" " * (channel.MAX_MESSAGE_BYTES + 1))


def test_an_ordinary_reply_still_travels():
    import numpy as np

    line = channel.dumps({"id": 3, "value": channel.encode(np.arange(100_000.0))})
    assert np.array_equal(channel.decode(channel.loads(line)["value"], trusted=False),
                          np.arange(100_000.0))
    assert json.loads(line)  # a plain JSON line
