"""Warm kernels for grading: fork each notebook's kernel from a pre-imported template process.

Starting an IPython kernel costs most of the time of grading a short notebook: a new Python
process imports ipykernel, IPython, zmq and NumPy (about 0.5 s of CPU) before the first cell
runs. A grading worker instead keeps one *template* process (``python -m
course.grading.kernels``) that has imported all of that once. For each notebook the worker's
kernel manager (``ForkingKernelManager``, set as nbgrader's ``Execute.kernel_manager_class``)
asks the template to ``fork()``; the child becomes a brand-new kernel with its own connection
file, environment, working directory, session and process group, so every submission still runs
in a process of its own that nothing else touches, exactly as with a normal kernel launch. The
global NumPy random state is re-seeded from the OS in the child, as a fresh process would be.

A kernel command that is not the plain ``python -m ipykernel_launcher ...`` of this interpreter
(for example one wrapped by the sandbox) is launched the normal way.
"""
import json
import os
import signal
import subprocess
import sys
import threading

from jupyter_client.manager import AsyncKernelManager

# Imported once by the template. Every notebook of the course imports these in its setup cell
# anyway; a module that fails to import here is simply imported by the notebook itself.
PRELOAD = ("ipykernel.kernelapp", "ipykernel.ipkernel", "ipykernel.zmqshell", "numpy",
           "matplotlib", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "ipywidgets",
           "course.gradcheck", "course.data", "course.plots", "course.widgets")


# ---------------------------------------------------------------------------------------------
# the template process


def _serve():
    """Template main loop: one JSON request per line on stdin, reply with the child's pid."""
    import importlib

    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # as ipykernel_launcher does: a kernel does not import from its folder
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 1)  # nothing but replies goes to the worker through our stdout pipe
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped automatically
    replies.write(json.dumps({"ready": os.getpid()}) + "\n")
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                _become_kernel(request, devnull, replies)
            finally:
                os._exit(1)
        replies.write(json.dumps({"pid": pid}) + "\n")


def _become_kernel(request, devnull, replies):
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.setsid()  # its own session and process group, like jupyter_client's launch
    replies.close()
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    if request.get("quiet", True):
        os.dup2(devnull, 2)
    sys.stdin = open(os.devnull)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    if "numpy" in sys.modules:
        sys.modules["numpy"].random.seed()  # a fresh process would start from OS entropy
    if "matplotlib" in sys.modules and os.environ.get("MPLBACKEND"):
        # what `import matplotlib` does with the kernel's environment
        sys.modules["matplotlib"].rcParams["backend"] = os.environ["MPLBACKEND"]
    # ipykernel read JPY_PARENT_PID when the template imported it: name the parent explicitly,
    # so that the kernel exits when the template (and so the worker) is gone
    argv = list(request["argv"]) + [f"--IPKernelApp.parent_handle={os.getppid()}"]
    sys.argv = ["ipykernel_launcher"] + argv
    os.environ["JPY_PARENT_PID"] = str(os.getppid())  # the kernel exits when the template does
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=argv)
    os._exit(0)


# ---------------------------------------------------------------------------------------------
# the worker side


class _Template:
    """The worker's template process (one per worker process, started on first use)."""

    lock = threading.Lock()
    process = None

    @classmethod
    def fork(cls, argv, env, cwd, quiet=True):
        with cls.lock:
            if cls.process is None or cls.process.poll() is not None:
                cls.process = subprocess.Popen(
                    [sys.executable, "-m", "course.grading.kernels"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True, bufsize=1, close_fds=True)
                ready = cls.process.stdout.readline()
                if not ready:
                    raise RuntimeError("the kernel template process did not start")
            cls.process.stdin.write(json.dumps({"argv": argv, "env": env, "cwd": cwd,
                                                "quiet": quiet}) + "\n")
            cls.process.stdin.flush()
            reply = cls.process.stdout.readline()
            if not reply:
                cls.process = None
                raise RuntimeError("the kernel template process died")
            return json.loads(reply)["pid"]

    @classmethod
    def start(cls):
        """Start the template ahead of the first notebook (optional)."""
        with cls.lock:
            if cls.process is None or cls.process.poll() is not None:
                cls.process = subprocess.Popen(
                    [sys.executable, "-m", "course.grading.kernels"], stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE, text=True, bufsize=1, close_fds=True)
                cls.process.stdout.readline()


class _ForkedProcess:
    """Enough of ``subprocess.Popen`` for jupyter_client's LocalProvisioner, for a forked pid.

    The template reaps its children itself, so a pid that no longer exists has exited."""

    stdin = stdout = stderr = None

    def __init__(self, pid):
        self.pid = pid
        self.returncode = None

    def poll(self):
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                self.returncode = -1
            except PermissionError:
                pass
        return self.returncode

    def wait(self, timeout=None):
        import time

        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout)
            time.sleep(0.01)
        return self.returncode

    def send_signal(self, signum):
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self):
        self.send_signal(signal.SIGKILL)

    def terminate(self):
        self.send_signal(signal.SIGTERM)


def _forkable(cmd):
    return (len(cmd) >= 3 and os.path.realpath(cmd[0]) == os.path.realpath(sys.executable)
            and cmd[1:3] == ["-m", "ipykernel_launcher"])


class ForkingKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose python kernels are forked from the worker's template."""

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        if not _forkable(kernel_cmd):
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        env = dict(kw.get("env") or os.environ)
        cwd = str(kw.get("cwd") or os.getcwd())
        pid = _Template.fork(kernel_cmd[3:], env, cwd)
        provisioner = self.provisioner
        provisioner.process = _ForkedProcess(pid)
        provisioner.pid = pid
        provisioner.pgid = pid
        provisioner.cwd = cwd
        self._reconcile_connection_info(provisioner.connection_info)


if __name__ == "__main__":
    _serve()
