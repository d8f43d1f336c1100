"""Plain data across the process boundary between the trusted runner and a student's kernel.

Both sides exchange JSON text. A value is one of: ``None``, ``bool``, ``int``, ``float``,
``str``, a NumPy array or 0-d NumPy number of a bool, integer or float dtype, or a tuple, list
or dict (str or int keys) of values. Tagged JSON objects carry what JSON lacks::

    {"$nd": [dtype, shape, base64]}   an array          {"$np": [dtype, base64]}   a NumPy number
    {"$t": [...]}                     a tuple           {"$d": [[key, value], ...]} a dict
    {"$f": "nan" | "inf" | "-inf"}    a non-finite float
    {"$g": id}  a callable of the grader    {"$k": id}  a callable the kernel keeps
    {"$n": name}  a name in the kernel's namespace (a student function passed as an argument)
    {"$lib": name}  a NumPy ufunc (``np.cos``): public code, so it runs where it is called
    {"$rng": [bit generator, state]}  a ``np.random.Generator``: its state is plain data, and a
        call that draws from it sends the new state back, as for any argument changed in place

``encode`` accepts only those exact types (no subclasses, no object arrays), so a student's
object never reaches JSON as anything but data; ``decode`` builds fresh objects of exactly
those types and rejects everything else, so nothing the kernel sends is more than data.
"""
import base64
import json
import math

import numpy as np

MAX_TEXT = 64 << 20          # characters in one message
MAX_DEPTH = 40
_KINDS = "biuf"              # bool, signed and unsigned integers, floats
_SCALARS = (type(None), bool, int, str)
_BIT_GENERATORS = {cls.__name__: cls for cls in (np.random.PCG64, np.random.PCG64DXSM, np.random.MT19937,
                                                 np.random.Philox, np.random.SFC64)}


class WireError(TypeError):
    """A value that cannot cross the boundary as plain data."""


def _dtype(code):
    try:
        dtype = np.dtype(code)
    except TypeError:
        raise WireError(f"unknown dtype {code!r}") from None
    if dtype.kind not in _KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise WireError(f"dtype {code!r} is not plain numbers")
    return dtype


def _float(value):
    if math.isfinite(value):
        return value
    return {"$f": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


def encode(value, callable_tag=None, depth=0):
    """A JSON-ready structure for ``value``; ``callable_tag(fn)`` gives the tag of a callable."""
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is float:
        return _float(value)
    if kind is np.ndarray:
        dtype = _dtype(value.dtype.str)
        data = np.ascontiguousarray(value).tobytes()
        return {"$nd": [dtype.str, list(value.shape), base64.b64encode(data).decode("ascii")]}
    if isinstance(value, np.generic):
        try:
            dtype = np.dtype(kind)
        except TypeError:
            dtype = None
        if dtype is not None and dtype.type is kind and dtype.kind in _KINDS:
            dtype = _dtype(dtype.str)
            return {"$np": [dtype.str, base64.b64encode(np.asarray(value, dtype=dtype).tobytes()).decode("ascii")]}
    if kind is list:
        return [encode(v, callable_tag, depth + 1) for v in value]
    if kind is tuple:
        return {"$t": [encode(v, callable_tag, depth + 1) for v in value]}
    if kind is dict:
        pairs = []
        for key, item in value.items():
            if type(key) not in (str, int):
                raise WireError(f"dict keys must be str or int, not {type(key).__name__}")
            pairs.append([key, encode(item, callable_tag, depth + 1)])
        return {"$d": pairs}
    if kind is np.random.Generator and type(value.bit_generator).__name__ in _BIT_GENERATORS:
        bits = value.bit_generator
        if type(bits) is not _BIT_GENERATORS[type(bits).__name__]:
            raise WireError("a Generator over a bit generator of its own is not plain data")
        return {"$rng": [type(bits).__name__, encode(bits.state, None, depth + 1)]}
    if kind is np.ufunc and getattr(np, value.__name__, None) is value:
        return {"$lib": value.__name__}
    if callable(value) and callable_tag is not None:
        return callable_tag(value)
    if kind is np.ndarray or isinstance(value, np.ndarray):
        raise WireError(f"an array subclass ({kind.__name__}) is not plain data: return np.asarray(...)")
    raise WireError(f"a {kind.__name__} is not plain data (numbers, NumPy arrays, strings, "
                    "tuples, lists, dicts)")


def decode(data, callable_of=None, depth=0):
    """The value ``data`` (from ``json.loads``) stands for; ``callable_of(tag, id)`` resolves
    the callable tags ``"$g"``, ``"$k"`` and ``"$n"`` (rejected when it is ``None``)."""
    if depth > MAX_DEPTH:
        raise WireError("the value is nested too deeply")
    kind = type(data)
    if kind in _SCALARS or kind is float:
        return data
    if kind is list:
        return [decode(v, callable_of, depth + 1) for v in data]
    if kind is not dict or len(data) != 1:
        raise WireError(f"unexpected {kind.__name__} in a message")
    (tag, body), = data.items()
    if tag == "$nd":
        code, shape, text = body
        dtype = _dtype(code)
        if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
            raise WireError("bad array shape")
        raw = base64.b64decode(text, validate=True)
        if len(raw) != math.prod(shape) * dtype.itemsize:
            raise WireError("array data does not match its shape")
        return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
    if tag == "$np":
        code, text = body
        dtype = _dtype(code)
        raw = base64.b64decode(text, validate=True)
        if len(raw) != dtype.itemsize:
            raise WireError("bad NumPy number")
        return np.frombuffer(raw, dtype=dtype)[0]
    if tag == "$t":
        if type(body) is not list:
            raise WireError("bad tuple")
        return tuple(decode(v, callable_of, depth + 1) for v in body)
    if tag == "$d":
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2 or type(pair[0]) not in (str, int):
                raise WireError("bad dict entry")
            out[pair[0]] = decode(pair[1], callable_of, depth + 1)
        return out
    if tag == "$f":
        if body not in ("nan", "inf", "-inf"):
            raise WireError("bad float")
        return float(body)
    if tag == "$rng":
        name, state = body
        if name not in _BIT_GENERATORS:
            raise WireError(f"unknown bit generator {name!r}")
        bits = _BIT_GENERATORS[name]()
        try:
            bits.state = decode(state, None, depth + 1)
        except (TypeError, ValueError, KeyError) as error:
            raise WireError(f"bad {name} state: {error}") from None
        return np.random.Generator(bits)
    if tag == "$lib":
        fn = getattr(np, body, None) if type(body) is str else None
        if isinstance(fn, np.ufunc):
            return fn
        raise WireError(f"{body!r} is not a NumPy ufunc")
    if tag in ("$g", "$k", "$n") and callable_of is not None:
        return callable_of(tag, body)
    raise WireError(f"unexpected tag {tag!r}")


def dumps(message):
    """A message (a dict of JSON-ready parts) as text."""
    return json.dumps(message, allow_nan=False, separators=(",", ":"))


def loads(text):
    """A message from text: a dict with a str ``op``; nothing beyond JSON is parsed."""
    if type(text) is not str or len(text) > MAX_TEXT:
        raise WireError("message too large or not text")

    def no_constants(name):
        raise WireError(f"bare {name} in a message")

    message = json.loads(text, parse_constant=no_constants)
    if type(message) is not dict or type(message.get("op")) is not str:
        raise WireError("a message is a JSON object with an op")
    return message


# ---------------------------------------------------------------- framing on a socket

def send(sock, message):
    """Write ``message`` on a stream socket: a 4-byte length, then the JSON text."""
    data = dumps(message).encode()
    sock.sendall(len(data).to_bytes(4, "big") + data)


def receive(sock, wait=None):
    """The next message from a stream socket; ``wait(sock)`` (if given) runs before each read."""
    size = int.from_bytes(_read(sock, 4, wait), "big")
    if size > MAX_TEXT:
        raise WireError("a message over the size limit")
    return loads(_read(sock, size, wait).decode("utf-8", "replace"))


def _read(sock, size, wait):
    chunks, left = [], size
    while left:
        if wait is not None:
            wait(sock)
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ConnectionError("the other side hung up")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


# ---------------------------------------------------------------- arguments changed in place

_MUTABLE = (np.ndarray, list, dict, tuple, np.random.Generator)


def write_back(original, new):
    """Make ``original`` (an argument this side passed) look as the other side's call left its copy."""
    if type(original) is np.random.Generator and type(new) is np.random.Generator:
        original.bit_generator.state = new.bit_generator.state  # the student drew from it
    elif type(original) is np.ndarray and type(new) is np.ndarray:
        if original.shape == new.shape:
            original[...] = new.astype(original.dtype, copy=False)
    elif type(original) is list and type(new) is list:
        if len(original) == len(new):
            for index, (old, value) in enumerate(zip(original, new)):
                if type(old) in _MUTABLE:
                    write_back(old, value)
                else:
                    original[index] = value
        else:
            original[:] = new
    elif type(original) is dict and type(new) is dict:
        for key in list(original):
            if key not in new:
                del original[key]
        for key, value in new.items():
            if key in original and type(original[key]) in _MUTABLE:
                write_back(original[key], value)
            else:
                original[key] = value
    elif type(original) is tuple and type(new) is tuple and len(original) == len(new):
        for old, value in zip(original, new):
            write_back(old, value)


def snapshot(value):
    """Text of a mutable argument (to see later whether a call changed it), ``None`` otherwise."""
    if type(value) in _MUTABLE:
        try:
            return dumps({"op": "snapshot", "v": encode(value, lambda fn: {"$k": id(fn)})})
        except WireError:
            return None
    return None


def changes(before, after, encoder):
    """``{position: encoded value}`` of the arguments whose snapshot changed during a call."""
    return {str(i): encoder(new) for i, (old, new) in enumerate(zip(before, after))
            if old is not None and old != snapshot(new)}
