"""The kernel's side of the trusted runner: calls the notebook's functions when the grader asks.

At grading time the kernel never receives a test cell. For each one the grader sends a single
request, ``serve(path)``, which connects to the grader's Unix socket at ``path``; the grader then
drives the conversation, one length-prefixed JSON message each way at a time. It asks for calls of the notebook's functions with plain data (``course.grading.wire``);
the answer is plain data, the arguments the function changed in place, and the warnings it
raised. Callables of the grader arrive as stubs that call back across the same channel.

Nothing here is secret and nothing here is trusted: a student can rewrite all of it, and so only
change what their own functions appear to return. The grader validates every answer.
"""
import builtins
import socket
import sys
import warnings
from pathlib import Path

import numpy as np

from course.grading import wire

COURSE_DIR = str(Path(__file__).resolve().parents[1])
GRADING_DIR = str(Path(__file__).resolve().parent)
MAX_MESSAGE = 2000  # characters of an exception message sent back


class _Session:
    def __init__(self, namespace, sock):
        self.namespace, self.sock = namespace, sock
        self.kept = {}      # id -> a callable this kernel returned to the grader

    # ---- the channel: send one message, receive the grader's next
    def exchange(self, message):
        wire.send(self.sock, message)
        return wire.receive(self.sock)

    # ---- translating values
    def tag(self, fn):
        for key, kept in self.kept.items():
            if kept is fn:
                return {"$k": key}
        key = len(self.kept)
        self.kept[key] = fn
        return {"$k": key}

    def resolve(self, tag, body):
        if tag == "$g":
            return self.stub(body)
        if tag == "$k":
            return self.kept[body]
        return self.namespace[body]

    def stub(self, key):
        def grader_function(*args, **kwargs):
            return self.callback(key, args, kwargs)
        return grader_function

    def encode(self, value):
        return wire.encode(value, self.tag)

    # ---- calls in both directions
    def callback(self, key, args, kwargs):
        outgoing = {"op": "callback", "fn": key, "args": self.encode(list(args)),
                    "kwargs": self.encode(dict(kwargs))}
        while True:
            incoming = self.exchange(outgoing)
            if incoming["op"] == "call":
                outgoing = self.call(incoming)
            elif incoming["op"] == "return":
                originals = list(args) + list(kwargs.values())
                for index, data in incoming.get("changed", {}).items():  # the grader drew from our rng
                    wire.write_back(originals[int(index)], wire.decode(data, self.resolve))
                return wire.decode(incoming["value"], self.resolve)
            elif incoming["op"] == "raise":
                raise _exception(incoming["type"], incoming["message"])
            else:
                raise RuntimeError(f"unexpected message from the grader: {incoming['op']}")

    def call(self, request):
        target = request["fn"]
        try:
            fn = self.namespace[target] if isinstance(target, str) else wire.decode(target, self.resolve)
        except KeyError:
            return {"op": "raised", "type": "NameError", "message": f"name '{target}' is not defined",
                    "warnings": []}
        args = wire.decode(request["args"], self.resolve)
        kwargs = wire.decode(request["kwargs"], self.resolve)
        before = [wire.snapshot(a) for a in args] + [wire.snapshot(v) for v in kwargs.values()]
        references = {name: wire.decode(tag, self.resolve) for name, tag in request.get("refs", {}).items()}
        missing = object()
        saved = {name: self.namespace.get(name, missing) for name in references}
        called = []
        with warnings.catch_warnings(record=True) as caught, np.errstate(all="warn", under="ignore"):
            warnings.simplefilter("always")
            self.namespace.update(references)
            if request.get("watch"):
                sys.setprofile(_watcher(called))
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 -- KeyboardInterrupt: the grader's time-out
                return {"op": "raised", "type": type(error).__name__, "message": str(error)[:MAX_MESSAGE],
                        "warnings": _warnings(caught), "course_calls": called}
            finally:
                sys.setprofile(None)
                for name, value in saved.items():
                    if value is missing:
                        self.namespace.pop(name, None)
                    else:
                        self.namespace[name] = value
        try:
            value = self.encode(result)
        except wire.WireError as error:
            return {"op": "raised", "type": "TypeError", "message": f"it returned something that is not plain data: {error}",
                    "warnings": _warnings(caught), "course_calls": called}
        changed = wire.changes(before, list(args) + list(kwargs.values()), self.encode)
        return {"op": "result", "value": value, "changed": changed, "warnings": _warnings(caught),
                "course_calls": called}


def _watcher(called):
    def profile(frame, event, arg):
        name = frame.f_code.co_filename
        if event == "call" and name.startswith(COURSE_DIR) and not name.startswith(GRADING_DIR):
            called.append(frame.f_code.co_name)
    return profile


def _warnings(caught):
    return [[w.category.__name__, str(w.message)[:MAX_MESSAGE]] for w in caught[:20]]


_BUILTIN_ERRORS = {name: getattr(builtins, name) for name in dir(builtins)
                   if isinstance(getattr(builtins, name), type) and issubclass(getattr(builtins, name), Exception)}


def _exception(name, message):
    return _BUILTIN_ERRORS.get(name, RuntimeError)(message)


def serve(path):
    """Answer the grader's calls, over the Unix socket at ``path``, until it says it is done."""
    from IPython import get_ipython

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.connect(path)
        session = _Session(get_ipython().user_ns, sock)
        outgoing = {"op": "ready"}
        while True:
            incoming = session.exchange(outgoing)
            if incoming["op"] == "done":
                return
            outgoing = session.call(incoming) if incoming["op"] == "call" else {
                "op": "raised", "type": "RuntimeError", "message": f"unexpected {incoming['op']}", "warnings": []}
