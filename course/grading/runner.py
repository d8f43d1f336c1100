"""The trusted test runner: test cells run in the grader's process, never in the student's kernel.

For every test cell the grader executes the cell's code (visible and hidden, as nbgrader restored
it from the gradebook) here, in a namespace made of the notebook's trusted imports (the import
statements of its read-only setup cells) and one ``Remote`` per other name the cell reads. A
``Remote`` stands for the student's function of that name: calling it sends plain data to the
kernel (``course.grading.agent.serve``), the student's function runs there, and plain data comes
back (``course.grading.wire``, over a Unix socket the kernel connects to). Callables the test hands to a student function stay here and are
called back; a callable the student's function returns comes back as a ``Remote`` handle.

The runner writes the cell's outputs itself: nothing, or the failure message as one error, or a
partial score (``course.gradcheck.PartialCredit``) followed by the list of failed cases. What a
student prints, displays or raises can therefore change only what their functions return.
"""
import ast
import builtins
import contextlib
import io
import os
import select
import shutil
import socket
import tempfile
import time
import warnings

import numpy as np
from jupyter_client.blocking import BlockingKernelClient
from nbformat.v4 import new_output

from course import gradcheck
from course.grading import wire

SERVE = "__import__('course.grading.agent', fromlist=['serve']).serve"
STDOUT_LIMIT = 20_000       # characters a test cell may print (the instructor's own hints)
GRACE = 5.0                 # seconds a call gets to stop after an interrupt

_EXCEPTIONS = {cls.__name__: cls for cls in (
    ArithmeticError, AttributeError, FloatingPointError, IndexError, KeyError, LookupError, NameError,
    NotImplementedError, OverflowError, RecursionError, RuntimeError, TypeError, UnboundLocalError,
    ValueError, ZeroDivisionError, MemoryError, StopIteration)}
_WARNINGS = {cls.__name__: cls for cls in (RuntimeWarning, UserWarning, DeprecationWarning, FutureWarning,
                                            SyntaxWarning, ResourceWarning, ImportWarning, BytesWarning)}


class KernelGone(RuntimeError):
    """The kernel died, or stopped answering even after an interrupt."""


class CallTimedOut(Exception):
    """A student's function ran past the cell's time limit and was interrupted."""


class GraderBroken(KernelGone):
    """Grading cannot run at all (the kernel cannot import the grader's agent): not a student's fault."""


class StudentError(RuntimeError):
    """A student's function raised an exception of a kind the grader does not rebuild."""


# ---------------------------------------------------------------- the channel to the kernel

class Channel:
    """The grader's end of one ``serve()`` conversation per test cell.

    The kernel is asked, over its shell channel, to run ``serve(path)``; ``serve`` connects to a
    Unix socket the grader listens on in a folder the kernel can see (the sandbox's connection
    folder), and the two then exchange length-prefixed JSON messages until the grader says done.
    """

    def __init__(self, km, alive):
        self.client = BlockingKernelClient()
        self.client.load_connection_info(km.get_connection_info())
        self.client.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.km, self.alive = km, alive
        folder = getattr(km, "runner_folder", None)
        self.own_folder = None if folder else tempfile.mkdtemp(prefix="course-runner-")
        self.path = os.path.join(folder or self.own_folder, f"runner-{os.getpid()}-{id(self):x}.sock")
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        os.chmod(self.path, 0o666)  # the kernel runs as another user in the sandbox
        self.listener.listen(1)
        self.connection = None
        self.msg_id = None
        self.deadline = None

    def close(self):
        self._hang_up()
        self.listener.close()
        self.client.stop_channels()
        if self.own_folder:
            shutil.rmtree(self.own_folder, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def _hang_up(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def begin(self, deadline):
        while self.client.shell_channel.msg_ready():
            self.client.shell_channel.get_msg(timeout=0)
        self.deadline = deadline
        self.msg_id = self.client.execute(f"{SERVE}({self.path!r})", silent=True, store_history=False,
                                          allow_stdin=False, stop_on_error=False)
        self._wait(self.listener)
        self.connection, _ = self.listener.accept()
        if self._receive().get("op") != "ready":
            raise KernelGone("the kernel did not start the grader's agent")

    def end(self):
        """Let ``serve()`` return; the kernel is then free for the next cell. A kernel slow to
        answer (a busy machine) is not a broken submission: it gets what is left of the cell's
        time limit, at least GRACE seconds, then an interrupt and GRACE seconds more."""
        if self.msg_id is None:
            return
        with contextlib.suppress(OSError):
            self._write({"op": "done"})
        deadline, interrupted = max(self.deadline, time.monotonic() + GRACE), False
        while self.alive():
            if self.client.shell_channel.socket.poll(50):
                reply = self.client.shell_channel.get_msg(timeout=0)
                if reply["parent_header"].get("msg_id") == self.msg_id:
                    self.msg_id = None
                    self._hang_up()
                    return
            elif time.monotonic() > deadline:
                deadline = self._interrupt_or_give_up(
                    interrupted, "the kernel did not stop when interrupted after the grader's request")
                interrupted = True
        raise KernelGone("the kernel died")

    def send(self, message):
        """Send ``message`` to the kernel; return the kernel's next message."""
        self._write(message)
        return self._receive()

    def _write(self, message):
        wire.send(self.connection, message)

    def _receive(self):
        try:
            return wire.receive(self.connection, self._wait)
        except (ConnectionError, wire.WireError) as error:
            raise AgentStopped(str(error)) from None

    def _wait(self, sock):
        """Until ``sock`` is readable; interrupts the kernel at the deadline, gives up after."""
        interrupted = False
        while not select.select([sock], [], [], 0.05)[0]:
            if self.client.shell_channel.msg_ready():
                reply = self.client.shell_channel.get_msg(timeout=0)
                if reply["parent_header"].get("msg_id") == self.msg_id:
                    self.msg_id = None
                    content = reply["content"]
                    raise AgentStopped(f"{content.get('ename', 'the agent')}: {content.get('evalue', 'ended')}")
            if not self.alive():
                raise KernelGone("the kernel died")
            if time.monotonic() > self.deadline:
                self.deadline = self._interrupt_or_give_up(
                    interrupted, "a function did not stop when interrupted after the time limit "
                                 "(an infinite loop that catches KeyboardInterrupt?)")
                interrupted = True

    def _interrupt_or_give_up(self, interrupted, why):
        """Past a deadline: interrupt the kernel and return the next deadline, GRACE seconds on;
        once it was interrupted already, give up with ``why``."""
        if interrupted:
            raise KernelGone(why)
        from jupyter_core.utils import run_sync
        run_sync(self.km.interrupt_kernel)()
        return time.monotonic() + GRACE


class AgentStopped(RuntimeError):
    """``serve()`` ended before the grader said it was done (it raised, or was replaced)."""


# ---------------------------------------------------------------- remote functions

class Remote:
    """A student's function in the kernel (by name, or a handle to a callable it returned)."""

    def __init__(self, runner, target, name):
        self._runner, self._target, self.__name__ = runner, target, name

    def __call__(self, *args, **kwargs):
        return self._runner.call(self, args, kwargs)[0]

    def __course_with_references__(self, references):
        def call(*args, **kwargs):
            return self._runner.call(self, args, kwargs, references=references)[0]
        call.__name__ = self.__name__
        return call

    def __course_watched_call__(self, args, kwargs):
        return self._runner.call(self, args, kwargs, watch=True)

    def __repr__(self):
        return f"<your {self.__name__}>"


class Runner:
    """Runs the test cells of one notebook against one kernel."""

    def __init__(self, km, alive, timeout):
        self.km, self.alive, self.timeout = km, alive, timeout
        self.cell_timeout = timeout
        self.trusted = {"__builtins__": builtins, "__name__": "__course_tests__"}
        self.channel = None
        self.callbacks = {}

    def close(self):
        if self.channel is not None:
            self.channel.close()
            self.channel = None

    # ---- the namespace
    def trust_imports(self, source):
        """Execute the import statements of a read-only setup cell here."""
        tree = _parse(source)
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        if imports:
            try:
                exec(compile(ast.Module(body=imports, type_ignores=[]), "<setup imports>", "exec"), self.trusted)
            except Exception as error:  # the course itself is broken, not the submission
                raise GraderBroken(f"the notebook's setup imports fail in the grader: "
                                   f"{type(error).__name__}: {error}") from error

    def namespace(self, tree):
        names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)}
        namespace = dict(self.trusted)
        for name in names - set(self.trusted) - set(dir(builtins)):
            namespace[name] = Remote(self, name, name)
        return namespace

    # ---- one test cell
    def run_cell(self, cell, points, timeout=None):
        """Execute a test cell's code here; return the outputs the cell gets. The student's
        functions it calls are interrupted ``timeout`` seconds (default: the runner's) after the
        cell began."""
        tree = _parse(cell.source)
        namespace = self.namespace(tree)
        printed = io.StringIO()
        error = None
        self.cell_timeout = timeout or self.timeout
        self.deadline = time.monotonic() + self.cell_timeout
        try:
            with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(printed), \
                    np.errstate(all="warn", under="ignore"):
                warnings.simplefilter("always")
                # the grader's own garbage (an unclosed event loop collected now) is no mistake
                warnings.simplefilter("ignore", ResourceWarning)
                gradcheck.GRADING.active = True
                try:
                    exec(compile(tree, f"<{cell.metadata.nbgrader.get('grade_id', 'test')}>", "exec"), namespace)
                finally:
                    gradcheck.GRADING.active = False
            if caught:
                w = caught[0]
                error = AssertionError(f"a warning was raised: {w.category.__name__}: {w.message}. A correct "
                                       "answer computes this without overflow or division by zero.")
        except KernelGone:
            self.callbacks.clear()
            self._abandon()  # nobody answers in the kernel: do not wait for it to finish serving
            raise
        except Exception as exc:  # noqa: BLE001 -- every failure of a test is the student's verdict
            error = exc
        self._end_serving()
        outputs = []
        text = printed.getvalue()
        if text:
            outputs.append(new_output("stream", name="stdout", text=text[:STDOUT_LIMIT]))
        if error is None:
            return outputs
        fraction = getattr(error, "fraction", None)
        if isinstance(fraction, float) and 0 < fraction < 1:
            outputs.insert(0, new_output("execute_result", data={"text/plain": f"{round(points * fraction, 4):g}"},
                                         execution_count=None))
        name = "CellTimeoutError" if isinstance(error, CallTimedOut) else type(error).__name__
        message = str(error) or name
        outputs.append(new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"]))
        return outputs

    def _abandon(self):
        if self.channel is not None:
            self.channel.msg_id = None
            self.channel._hang_up()

    def _end_serving(self):
        self.callbacks.clear()  # a grader function given to the student's code lives for one test cell
        if self.channel is not None and self.channel.msg_id is not None:
            self.channel.end()

    # ---- calls into the kernel
    def call(self, remote, args, kwargs, references=None, watch=False):
        """Call the student's ``remote`` with ``args``; returns ``(result, course functions called)``."""
        if self.channel is None:
            self.channel = Channel(self.km, self.alive)
        if self.channel.msg_id is None:
            try:
                self.channel.begin(self.deadline)
            except AgentStopped as stopped:
                if "No module named 'course" in str(stopped):
                    raise GraderBroken(f"the sandboxed kernel cannot import course: {stopped}") from None
                raise StudentError(f"the grader could not call {remote.__name__}: something in the notebook "
                                   f"replaced what the kernel needs to answer ({stopped})") from None
        try:
            request = {"op": "call", "fn": self._tag_target(remote), "args": self._encode(list(args)),
                       "kwargs": self._encode(dict(kwargs)),
                       "refs": {name: self._encode(fn) for name, fn in (references or {}).items()},
                       "watch": bool(watch)}
            answer = self.channel.send(request)
            while answer["op"] == "callback":
                answer = self.channel.send(self._callback(answer))
        except AgentStopped as stopped:
            raise StudentError(f"{remote.__name__}: the kernel stopped answering the grader ({stopped})") from None
        for category, message in answer.get("warnings", [])[:20]:
            warnings.warn(str(message), _WARNINGS.get(category, UserWarning), stacklevel=3)
        called = [str(name) for name in answer.get("course_calls", [])][:20]
        if answer["op"] == "raised":
            raise _rebuild(remote.__name__, answer.get("type"), answer.get("message"), self.cell_timeout)
        if answer["op"] != "result":
            raise StudentError(f"{remote.__name__}: unexpected answer from the kernel")
        try:
            result = wire.decode(answer["value"], self._resolve)
            originals = list(args) + list(kwargs.values())
            for index, data in answer.get("changed", {}).items():
                wire.write_back(originals[int(index)], wire.decode(data, self._resolve))
        except (wire.WireError, ValueError, TypeError, IndexError, KeyError) as error:
            raise StudentError(f"{remote.__name__} returned something that is not plain data ({error})") from None
        return result, called

    def _callback(self, request):
        fn = self.callbacks.get(request.get("fn"))
        if fn is None:
            return {"op": "raise", "type": "RuntimeError", "message": "this grader function is no longer callable"}
        try:
            args = wire.decode(request["args"], self._resolve)
            kwargs = wire.decode(request["kwargs"], self._resolve)
            if type(args) is not list or type(kwargs) is not dict or not all(type(k) is str for k in kwargs):
                raise wire.WireError("bad arguments")
            before = [wire.snapshot(a) for a in args] + [wire.snapshot(v) for v in kwargs.values()]
            value = fn(*args, **kwargs)
            return {"op": "return", "value": self._encode(value),
                    "changed": wire.changes(before, list(args) + list(kwargs.values()), self._encode)}
        except KernelGone:
            raise
        except Exception as error:  # noqa: BLE001 -- reported to the student's code as an exception
            kind = type(error).__name__ if type(error).__name__ in _EXCEPTIONS else "RuntimeError"
            return {"op": "raise", "type": kind, "message": str(error)[:2000]}

    def _encode(self, value):
        return wire.encode(value, self._tag_callable)

    def _tag_target(self, remote):
        return remote._target if isinstance(remote._target, str) else {"$k": remote._target}

    def _tag_callable(self, fn):
        if isinstance(fn, Remote):
            return {"$n": fn._target} if isinstance(fn._target, str) else {"$k": fn._target}
        key = len(self.callbacks)
        while key in self.callbacks:
            key += 1
        self.callbacks[key] = fn
        return {"$g": key}

    def _resolve(self, tag, body):
        if tag == "$k" and type(body) is int:
            return Remote(self, body, "function your code returned")
        if tag == "$g" and body in self.callbacks:
            return self.callbacks[body]
        raise wire.WireError("unexpected callable")


def _rebuild(name, kind, message, timeout):
    message = str(message)[:2000]
    if kind == "KeyboardInterrupt":
        return CallTimedOut(f"{name} did not finish within the time limit ({timeout:.1f} s for this test) and was "
                            "interrupted (an endless loop? much slower code than needed?)")
    if kind == "NameError" and message == f"name '{name}' is not defined":
        return NameError(f"{name} is not defined: run its cell, and keep the name the exercise gives")
    cls = _EXCEPTIONS.get(kind)
    if cls is None:
        return StudentError(f"{name} raised {kind}: {message}")
    return cls(f"{name} raised {kind}: {message}" if message else f"{name} raised {kind}")


def _parse(source):
    from IPython.core.inputtransformer2 import TransformerManager

    return ast.parse(TransformerManager().transform_cell(source))


def is_test_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_setup_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return (cell.cell_type == "code" and bool(meta.get("locked")) and not meta.get("grade")
            and not meta.get("solution"))


def process_alive(km):
    """A cheap liveness check of the kernel process (``km.provisioner.process``)."""
    process = getattr(getattr(km, "provisioner", None), "process", None)

    def alive():
        return process is None or process.poll() is None
    return alive

