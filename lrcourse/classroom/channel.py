"""The data-only channel between the trusted grader and a sandboxed submission.

Messages are JSON lines.  Values are plain JSON (None, bools, numbers, strings,
lists, dicts with string keys) plus a few tagged forms, each a one-key dict:

==========================  ====================================================
form                        value
==========================  ====================================================
``{"$f": x}``               a float JSON cannot write (``"nan"``, ``"inf"``, ``"-inf"``)
``{"$i": "123…"}``          an int too long for JSON readers
``{"$tuple": [...]}``       a tuple
``{"$set": [...]}``         a set (``"$frozenset"``: a frozenset)
``{"$dict": [[k, v], …]}``  a dict whose keys are not all strings
``{"$nd": {...}}``          a NumPy array: dtype (numeric or bool only), shape, bytes (base64)
``{"$np": {...}}``          a NumPy scalar (same fields, shape ``[]``)
``{"$rng": {...}}``         a ``numpy.random.Generator``: its bit generator's state
``{"$fn": id}``             a callable living on the other side (called through the channel)
``{"$iter": id}``           an iterator living on the other side
``{"$obj": {...}}``         an instance of an allow-listed course class, by its attributes
``{"$opaque": {...}}``      anything else: its type name and a short ``repr``
``{"$pickle": "…"}``        only grader → sandbox: a trusted object the sandbox unpickles
==========================  ====================================================

:func:`decode` on the grader's side (``trusted=True``) never unpickles, never
imports a module and never calls a constructor other than those of NumPy arrays
and scalars, ``numpy.random.Generator`` and the allow-listed course classes (whose
instances are rebuilt with ``object.__new__`` and their decoded attributes).  What
it cannot decode becomes an inert :class:`Opaque`.
"""

from __future__ import annotations

import base64
import json
import math
import pickle
from typing import Any, Callable

import numpy as np

__all__ = ["Opaque", "encode", "decode", "dumps", "loads", "ALLOWED_CLASSES",
           "MAX_MESSAGE_BYTES", "MAX_ITEMS", "MAX_DEPTH"]

#: Longest message line accepted from the sandbox (arrays travel as base64, so a
#: legitimate reply is far shorter; parsing a line costs the grader a multiple of it).
MAX_MESSAGE_BYTES = 64 * 2**20
#: Most items (list elements, dict entries) a line may hold: each parsed item costs the
#: grader tens of bytes, so ``[{},{},…]`` in a long line would amplify it ~50× in memory.
MAX_ITEMS = 250_000
#: Deepest nesting decoded (deeper data becomes Opaque).
MAX_DEPTH = 64

#: Course classes whose instances travel by value (sandbox → grader): module, class names.
ALLOWED_CLASSES = {
    "lrcourse.optim": ("SGD", "Adagrad", "RMSprop", "Adam", "AdamW"),
}

_DTYPE_KINDS = "biufc"


class Opaque:
    """A value from the sandbox that is neither data nor callable: only its description."""

    def __init__(self, type_name: str, text: str):
        self.type_name, self.text = str(type_name)[:200], str(text)[:200]

    def __repr__(self) -> str:
        return self.text or f"<{self.type_name} object>"

    def __deepcopy__(self, memo):
        return self


def _array(value: np.ndarray) -> dict:
    array = np.asarray(value, order="C")  # (ascontiguousarray would make a 0-d array 1-d)
    return {"dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(array.tobytes()).decode("ascii")}


def encode(value: Any, export: Callable[[Any, str], int] | None = None, *,
           allow_pickle: bool = False, _depth: int = 0, _seen: set | None = None) -> Any:
    """``value`` as JSON-ready data; ``export(obj, kind)`` registers a handle for a callable
    or an iterator (``kind`` is ``"fn"`` or ``"iter"``) and returns its id."""
    _seen = set() if _seen is None else _seen
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and type(value) is int:
        return value if abs(value) < 2**63 else {"$i": str(value)}
    if type(value) is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if isinstance(value, np.ndarray) and value.dtype.kind in _DTYPE_KINDS:
        return {"$nd": _array(value)}
    if isinstance(value, np.generic) and np.asarray(value).dtype.kind in _DTYPE_KINDS:
        return {"$np": _array(np.asarray(value))}
    if isinstance(value, np.random.Generator):
        return {"$rng": value.bit_generator.state}
    if _depth > MAX_DEPTH or id(value) in _seen:
        return {"$opaque": {"type": type(value).__name__, "repr": "<nested too deeply>"}}
    if type(value) in (set, frozenset):
        _seen = _seen | {id(value)}
        items = [encode(v, export, allow_pickle=allow_pickle, _depth=_depth + 1, _seen=_seen) for v in value]
        return {"$set" if type(value) is set else "$frozenset": items}
    if type(value) in (list, tuple, dict):
        _seen = _seen | {id(value)}
        inner = lambda v: encode(v, export, allow_pickle=allow_pickle, _depth=_depth + 1, _seen=_seen)  # noqa: E731
        if type(value) is list:
            return [inner(v) for v in value]
        if type(value) is tuple:
            return {"$tuple": [inner(v) for v in value]}
        if all(type(k) is str for k in value) and not any(k.startswith("$") for k in value):
            return {k: inner(v) for k, v in value.items()}
        return {"$dict": [[inner(k), inner(v)] for k, v in value.items()]}
    module = type(value).__module__
    if type(value).__name__ in ALLOWED_CLASSES.get(module, ()):
        attrs = {str(k): encode(v, export, allow_pickle=allow_pickle, _depth=_depth + 1,
                                _seen=_seen | {id(value)})
                 for k, v in vars(value).items()}
        return {"$obj": {"module": module, "name": type(value).__name__, "attrs": attrs}}
    if allow_pickle and not callable(value):
        try:
            return {"$pickle": base64.b64encode(pickle.dumps(value)).decode("ascii")}
        except Exception:  # noqa: BLE001 — not picklable: passed as a handle below
            pass
    if export is not None and callable(value):
        return {"$fn": export(value, "fn")}
    if export is not None and hasattr(value, "__next__") and hasattr(value, "__iter__"):
        return {"$iter": export(value, "iter")}
    try:
        text = repr(value)
    except BaseException:  # noqa: BLE001 — a hostile __repr__
        text = ""
    return {"$opaque": {"type": type(value).__name__, "repr": text[:200]}}


def decode(data: Any, remote: Callable[[str, int], Any] | None = None, *, trusted: bool,
           _depth: int = 0) -> Any:
    """The value ``data`` (from :func:`encode`) stands for.

    ``remote(kind, id)`` makes the local proxy for a handle of the other side.
    ``trusted=True`` is the grader's side: no pickles, only allow-listed classes.
    """
    if _depth > MAX_DEPTH + 2:
        return Opaque("data", "<nested too deeply>")
    if data is None or isinstance(data, (bool, str, float)):
        return data
    if isinstance(data, int):
        return int(data)
    inner = lambda v: decode(v, remote, trusted=trusted, _depth=_depth + 1)  # noqa: E731
    if isinstance(data, list):
        return [inner(v) for v in data]
    if not isinstance(data, dict):
        return Opaque(type(data).__name__, "")
    if len(data) == 1:
        (tag, body), = data.items()
        if tag == "$f" and body in ("nan", "inf", "-inf"):
            return float(body)
        if tag == "$i" and isinstance(body, str) and len(body) < 10_000:
            return int(body)
        if tag == "$tuple" and isinstance(body, list):
            return tuple(inner(v) for v in body)
        if tag in ("$set", "$frozenset") and isinstance(body, list):
            try:
                items = [inner(v) for v in body]
                return set(items) if tag == "$set" else frozenset(items)
            except TypeError:  # unhashable items
                return Opaque("set", "<a set with unhashable items>")
        if tag == "$dict" and isinstance(body, list):
            result = {}
            for pair in body:
                if isinstance(pair, list) and len(pair) == 2:
                    key = inner(pair[0])
                    try:
                        result[key] = inner(pair[1])
                    except TypeError:  # unhashable key
                        return Opaque("dict", "<a dict with unhashable keys>")
            return result
        if tag in ("$nd", "$np") and isinstance(body, dict):
            return _decode_array(body, scalar=tag == "$np")
        if tag == "$rng" and isinstance(body, dict):
            return _decode_rng(body)
        if tag in ("$fn", "$iter") and isinstance(body, int) and remote is not None:
            return remote(tag[1:], body)
        if tag == "$obj" and isinstance(body, dict):
            return _decode_object(body, inner)
        if tag == "$opaque" and isinstance(body, dict):
            return Opaque(body.get("type", "object"), body.get("repr", ""))
        if tag == "$pickle" and isinstance(body, str):
            if trusted:
                return Opaque("pickle", "<refused: the grader never unpickles>")
            return pickle.loads(base64.b64decode(body))  # grader → sandbox only
    return {str(k): inner(v) for k, v in data.items()}


def _decode_array(body: dict, scalar: bool):
    try:
        dtype = np.dtype(str(body["dtype"]))
        if dtype.kind not in _DTYPE_KINDS or dtype.hasobject:
            return Opaque("ndarray", "<an array of unsupported type>")
        shape = tuple(int(n) for n in body["shape"])
        if any(n < 0 for n in shape):
            raise ValueError("negative shape")
        raw = base64.b64decode(str(body["data"]), validate=True)
        array = np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    except Exception:  # noqa: BLE001 — malformed: inert
        return Opaque("ndarray", "<a malformed array>")
    return array[()] if scalar else array


def _decode_rng(body: dict):
    try:
        if body.get("bit_generator") != "PCG64":
            raise ValueError("only PCG64")
        generator = np.random.Generator(np.random.PCG64())
        generator.bit_generator.state = body
        return generator
    except Exception:  # noqa: BLE001
        return Opaque("Generator", "<a random generator the grader cannot rebuild>")


def _decode_object(body: dict, inner) -> Any:
    module, name = body.get("module"), body.get("name")
    if name not in ALLOWED_CLASSES.get(module, ()) or not isinstance(body.get("attrs"), dict):
        return Opaque(str(name), f"<{name} object>")
    import importlib

    cls = getattr(importlib.import_module(module), name)  # the grader's own, trusted class
    instance = object.__new__(cls)
    for key, value in body["attrs"].items():
        try:
            object.__setattr__(instance, str(key), inner(value))
        except Exception:  # noqa: BLE001
            pass
    return instance


def dumps(message: dict) -> bytes:
    """One message as a JSON line (UTF-8, ends with ``\\n``)."""
    return (json.dumps(message, separators=(",", ":"), allow_nan=False) + "\n").encode("utf-8")


def loads(line: bytes) -> dict:
    """Parse one line; raises ValueError if it is not a JSON object."""
    if len(line) > MAX_MESSAGE_BYTES:
        raise ValueError("message too long")
    if line.count(b",") + line.count(b":") > MAX_ITEMS:  # counted before any parsing
        raise ValueError("message has too many items")
    message = json.loads(line.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message
