"""Hardening of autograding: the bubblewrap sandbox, resource limits and output caps.

The grading pipeline merges ``grading_overrides(sandbox)`` into the nbgrader config of every
worker. It raises ``SandboxUnavailable`` when ``sandbox`` is true and bubblewrap cannot be used,
so that the grader refuses unless the instructor said --no-sandbox.

How a submission's kernel runs (``SandboxKernelManager``):

* ``prlimit`` (on the host) sets the resource limits: address space (memory), CPU seconds,
  processes, file size, open files, no core dumps. They are inherited by everything below.
* ``bwrap`` gives the kernel its own mount, pid, network, IPC and UTS namespaces: a read-only
  view of /usr, a minimal /etc, the Python installation (the venv and the interpreter it links
  to) and the repository's course/ package; a private size-limited tmpfs /tmp and HOME; and, at
  the path of the submission's autograded folder, a private copy of that folder. source/, the
  gradebook, other students and the instructor's home do not exist in there. The only network
  is a loopback of its own.
* ``setpriv`` then drops to an unprivileged uid picked for this kernel (root ignores the
  process limit; a fresh uid makes it count this kernel's processes only), with no
  capabilities and no_new_privs.
* Where the host lets us create cgroup-v1 children (root, a writable /sys/fs/cgroup), each
  kernel also gets a memory cgroup (the memory of all its processes together) and a pids
  cgroup. Without them the per-process limits remain (RLIMIT_AS times RLIMIT_NPROC).

Defaults per submission (``SandboxKernelManager`` traits, configurable like any nbgrader
setting): 2 GiB address space, 600 CPU seconds per process, 128 processes/threads, 64 MiB per
written file, a 256 MiB /tmp, 1024 open files; ``SandboxedExecute``: 2 MiB / 200 outputs per
cell and 16 MiB for the notebook while it runs, every kind of output counted (nbgrader's
LimitOutput then keeps 1000 lines); time limits 10 x the reference + 5 s a cell, 10 x the
reference + 30 s a notebook.
* The coordinator talks to the kernel over ZMQ ``ipc`` sockets in a scratch folder that is
  bound into the sandbox at the same path: TCP would need the network namespace.

``SandboxedExecute`` (nbgrader's Execute with this kernel manager) sends the kernel every cell
but the test cells, which the trusted runner (``course.grading.runner``) executes in the
grader's process, and the instructor's lesson cells that nothing later reads
(``course.grading.lessons``). It gives each cell and the notebook time limits derived from the
instructor's notebook (``course.grading.timings``): a cell past its limit is interrupted and the
notebook goes on; a cell that will not stop, or a notebook past its budget, is stopped there and
graded on what ran (the reason in the stopped cell, ``NotRun`` errors in the cells after it). It
caps the output while cells run and turns a dead kernel into ``SubmissionStopped`` with the
reason (memory, CPU time, a crash, ``os._exit``), which nbgrader records in the autograde log;
grading of the other submissions goes on. ``failure_reason(log)`` finds that reason again.
"""
import json
import os
import random
import re
import shlex
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from functools import lru_cache
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.preprocessors import Execute
from nbformat.v4 import new_output
from traitlets import Bool, Float, Integer, Unicode

from course.grading import timings
from course.grading.runner import GraderBroken, KernelGone, Runner, is_setup_cell, is_test_cell, process_alive

COURSE_PACKAGE = Path(__file__).resolve().parents[1]
GiB = 1 << 30
MiB = 1 << 20

# Prefix of the reason recorded in nbgrader's log when the sandbox stops a submission.
STOPPED = "sandbox stopped the submission:"


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


class SubmissionStopped(RuntimeError):
    """The kernel of a submission was stopped (a limit, a crash): the message says why."""


# ---------------------------------------------------------------- the command line

def _python_roots():
    """Folders the kernel's Python needs: the venv and the installation it was made from."""
    roots = []
    for key in ("prefix", "base_prefix", "exec_prefix", "base_exec_prefix"):
        path = os.path.realpath(getattr(sys, key))
        if path not in roots:
            roots.append(path)
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = os.path.realpath(sysconfig.get_paths()[key])
        if not any(path == r or path.startswith(r + os.sep) for r in roots):
            roots.append(path)
    # the interpreter behind a venv's python symlink
    exe = os.path.realpath(sys.executable)
    if not any(exe.startswith(r + os.sep) for r in roots):
        roots.append(os.path.dirname(os.path.dirname(exe)))
    return roots


def _system_binds():
    """bwrap arguments for /usr, the merged-/usr symlinks and a minimal /etc."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "nsswitch.conf",
                 "alternatives", "mime.types", "fonts"):
        path = Path("/etc") / name
        if path.exists():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _parents(paths):
    """``--dir`` with mode 0755 for every missing ancestor of ``paths`` (outside /tmp's tmpfs
    when called before it, inside it when called after)."""
    args, seen = [], set()
    for path in paths:
        for parent in reversed(Path(path).parents):
            p = str(parent)
            if p in ("/", "/usr", "/proc", "/dev", "/tmp") or p in seen:
                continue
            seen.add(p)
            args += ["--perms", "0755", "--dir", p]
    return args


def bwrap_command(inner, *, scratch, workdir=None, uid=65534, tmp_size=256 * MiB,
                  limits=None, env=None, work_size=256 * MiB, tmp_files=None):
    """The full command that runs ``inner`` (a list) sandboxed.

    ``scratch`` is bound read-write at its own path (connection file, sockets);
    ``workdir`` (the submission's folder on the host) appears at its own path as a private,
    size-limited tmpfs holding read-only binds of its files and folders: the kernel reads
    them and writes new files there, and nothing it writes reaches the host's disk.
    Symbolic links of the folder are left out (a bind would follow them on the host).
    ``tmp_files`` ({path under /tmp: host file}) are bound read-only into the private /tmp, in
    folders anyone may write to (e.g. matplotlib's font cache, which every kernel would otherwise
    rebuild).
    """
    bwrap = shutil.which("bwrap")
    prlimit = shutil.which("prlimit")
    setpriv = shutil.which("setpriv")
    if uid is None:
        setpriv = "unused"  # unprivileged: bwrap's user namespace, no_new_privs and no capabilities
    if not (bwrap and prlimit and setpriv):
        raise SandboxUnavailable("bubblewrap (bwrap), prlimit or setpriv is not installed: "
                                 "apt-get install bubblewrap util-linux")
    cmd = [prlimit]
    for name, value in (limits or {}).items():
        if value is not None and value >= 0:
            # CPU: SIGXCPU at the limit (a recognisable death), SIGKILL 5 s later at the latest
            hard = value + 5 if name == "cpu" else value
            if name == "nproc" and uid is None:
                # without a uid of its own, the kernel shares the count with the user's processes
                value = hard = value + _processes_of(os.getuid())
            cmd.append(f"--{name}={value}:{hard}")
    cmd += ["--", bwrap,
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session",
            "--hostname", "sandbox"]
    if uid is None:
        cmd += ["--unshare-user"]
    target = str(Path(workdir).resolve()) if workdir is not None else None
    binds = _python_roots() + [str(COURSE_PACKAGE), str(scratch)] + ([target] if target else [])
    # bwrap makes missing parents 0700: make them traversable for the unprivileged kernel
    cmd += _parents(["/etc/x"] + binds)
    cmd += _system_binds()
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--perms", "1777", "--size", str(tmp_size), "--tmpfs", "/tmp"]
    cmd += _parents(binds)  # again inside /tmp's tmpfs: the repository or venv may live under /tmp
    for inside, host in sorted((tmp_files or {}).items()):
        cmd += ["--perms", "1777", "--dir", os.path.dirname(inside), "--ro-bind", str(host), inside]
    for root in _python_roots():
        cmd += ["--ro-bind", root, root]
    # only course/ of the repository: not source/, not the gradebook, not submissions
    cmd += ["--ro-bind", str(COURSE_PACKAGE), str(COURSE_PACKAGE)]
    cmd += ["--bind", str(scratch), str(scratch)]
    if target is not None:
        cmd += ["--perms", "1777", "--size", str(work_size), "--tmpfs", target]
        for entry in sorted(Path(workdir).iterdir()):
            if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
                continue
            if entry.name == ".ipynb_checkpoints":
                continue
            cmd += ["--ro-bind", str(entry), os.path.join(target, entry.name)]
        cmd += ["--chdir", target]
    cmd += ["--remount-ro", "/", "--"]
    if uid is not None:
        cmd += [setpriv, f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    return cmd + list(inner)


def _processes_of(uid):
    """How many processes and threads ``uid`` runs now (what RLIMIT_NPROC counts)."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += len(os.listdir(f"/proc/{entry}/task"))
        except OSError:
            continue
    return count


def _privileged():
    """Root: each kernel runs as a uid of its own (the process limit counts only its processes)."""
    return os.geteuid() == 0


@lru_cache(maxsize=None)
def _probe(bwrap):
    """Run one trivial sandboxed command; '' when it works, else the reason it does not."""
    scratch = tempfile.mkdtemp(prefix="course-sandbox-probe-")
    try:
        uid = _fresh_uid() if _privileged() else None
        if uid is not None:
            _chown_tree(scratch, uid, uid)
        cmd = bwrap_command(["/usr/bin/env", "true"], scratch=scratch, uid=uid)
        run = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError, SandboxUnavailable) as error:
        return str(error)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if run.returncode != 0:
        return f"bwrap cannot create a sandbox here (exit {run.returncode}): {run.stderr.strip()}"
    return ""


def check_sandbox():
    """Raise ``SandboxUnavailable`` (with the reason) unless sandboxed kernels can run here."""
    if not sys.platform.startswith("linux"):
        raise SandboxUnavailable("the grading sandbox needs Linux (bubblewrap)")
    # Without root, bwrap runs in a user namespace (unprivileged user namespaces must be
    # allowed); files, network and memory are isolated as with root, but the process limit
    # is shared with the instructor's own processes and there are no per-kernel cgroups.
    reason = _probe(shutil.which("bwrap"))
    if reason:
        raise SandboxUnavailable(reason)


def _fresh_uid():
    """A uid that no account and no other running kernel uses (a random high number)."""
    return random.SystemRandom().randrange(200_000, 2_000_000_000)


# ---------------------------------------------------------------- cgroups (when the host allows)

def _own_cgroups(controllers=("memory", "pids")):
    """{controller: folder of this process's cgroup} for the cgroup-v1 controllers we may
    create children in (root, a writable hierarchy). Empty when there are none (cgroup v2
    only, a read-only /sys/fs/cgroup in a container): the rlimits still apply."""
    found = {}
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return found
    for line in lines:
        _, names, path = line.split(":", 2)
        for controller in names.split(","):
            if controller in controllers:
                folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
                if folder.is_dir() and os.access(folder, os.W_OK):
                    found[controller] = folder
    return found


class _Cgroups:
    """A child cgroup per kernel: memory (all its processes together) and process count."""

    def __init__(self, name, memory_limit, process_limit):
        self.folders = {}
        for controller, parent in _own_cgroups().items():
            folder = parent / name
            try:
                folder.mkdir()
                if controller == "memory" and memory_limit > 0:
                    (folder / "memory.limit_in_bytes").write_text(str(memory_limit))
                    swap = folder / "memory.memsw.limit_in_bytes"
                    if swap.exists():
                        swap.write_text(str(memory_limit))
                elif controller == "pids" and process_limit > 0:
                    (folder / "pids.max").write_text(str(process_limit))
            except OSError:
                _rmdir(folder)
                continue
            self.folders[controller] = folder

    def wrap(self, cmd):
        """``cmd`` started from inside the cgroups (a shell writes its pid, then execs)."""
        if not self.folders:
            return cmd
        script = " && ".join(f"echo $$ > {shlex.quote(str(folder / 'cgroup.procs'))}"
                             for folder in self.folders.values()) + ' && exec "$@"'
        return ["/bin/sh", "-c", script, "sandbox"] + list(cmd)

    def out_of_memory(self):
        folder = self.folders.get("memory")
        if folder is None:
            return False
        try:
            control = (folder / "memory.oom_control").read_text()
            if re.search(r"^oom_kill [1-9]", control, re.M):
                return True
            return int((folder / "memory.failcnt").read_text()) > 0 and "under_oom 1" in control
        except (OSError, ValueError):
            return False

    def remove(self):
        for folder in self.folders.values():
            _rmdir(folder)
        self.folders = {}


def _rmdir(folder):
    for _ in range(50):
        try:
            folder.rmdir()
            return
        except FileNotFoundError:
            return
        except OSError:
            try:  # processes still leaving: kill what is left, wait a little
                for pid in (folder / "cgroup.procs").read_text().split():
                    os.kill(int(pid), signal.SIGKILL)
            except (OSError, ValueError):
                pass
            time.sleep(0.05)


# ---------------------------------------------------------------- the kernel manager

_ENV_KEEP = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "NBGRADER_EXECUTION", "MPLBACKEND",
             "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "JPY_SESSION_NAME",
             "PYDEVD_DISABLE_FILE_VALIDATION")


@lru_cache(maxsize=None)
def _font_cache():
    """{path in the sandbox: host file} of matplotlib's font list, built once per process, so that a
    sandboxed kernel does not scan the system's fonts again at its first import of matplotlib
    (its /tmp starts empty). ``{}`` when it cannot be built: kernels then build their own."""
    folder = Path(tempfile.gettempdir()) / f"course-mpl-cache-{os.getuid()}"
    try:
        folder.mkdir(mode=0o755, exist_ok=True)
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], check=True, timeout=120,
                       capture_output=True, env={**os.environ, "MPLCONFIGDIR": str(folder)})
        (cache,) = folder.glob("fontlist-*.json")
        os.chmod(cache, 0o644)
    except (OSError, ValueError, subprocess.SubprocessError):
        return {}
    return {f"/tmp/.matplotlib/{cache.name}": str(cache)}


def _chown_tree(path, uid, gid):
    os.lchown(path, uid, gid)
    for folder, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(folder, name), uid, gid)


class SandboxKernelManager(AsyncKernelManager):
    """Starts the kernel inside bubblewrap with resource limits, reached over ipc sockets."""

    memory_limit = Integer(2 * GiB, help="address-space limit of the kernel, bytes (-1: none)").tag(config=True)
    cpu_limit = Integer(600, help="CPU seconds per kernel process (-1: none)").tag(config=True)
    process_limit = Integer(128, help="processes and threads of the sandbox user (-1: none)").tag(config=True)
    file_size_limit = Integer(64 * MiB, help="largest file the kernel may write, bytes (-1: none)").tag(config=True)
    open_files_limit = Integer(1024, help="open file descriptors per process").tag(config=True)
    tmp_size = Integer(256 * MiB, help="size of the sandbox's private /tmp, bytes").tag(config=True)
    work_size = Integer(256 * MiB, help="room for new files in the kernel's working folder, bytes").tag(config=True)
    scratch_parent = Unicode("", help="where scratch folders go (default: the system temp dir)").tag(config=True)

    use_cgroups = Bool(True, help="also limit memory and processes with cgroups (v1) where possible").tag(config=True)

    _scratch = None
    last_scratch = None  # the scratch folder of the latest start (for diagnostics and tests)
    _uid = None
    _log_file = None
    _cgroups = None
    _oom = False

    def _limits(self):
        return {"as": self.memory_limit, "cpu": self.cpu_limit, "nproc": self.process_limit,
                "fsize": self.file_size_limit, "nofile": self.open_files_limit, "core": 0}

    async def _async_pre_start_kernel(self, **kw):
        self._cleanup_scratch()
        self._scratch = Path(tempfile.mkdtemp(prefix="course-kernel-", dir=self.scratch_parent or None))
        self.last_scratch = self._scratch
        self._uid = _fresh_uid() if _privileged() else None
        conn = self._scratch / "conn"
        conn.mkdir()
        self.transport = "ipc"
        self.ip = str(conn / "kernel")
        self.connection_file = str(conn / "kernel.json")

        cwd = kw.get("cwd")
        work = Path(cwd).resolve() if cwd else None
        parent_env = kw.get("env") or os.environ
        env = {k: parent_env[k] for k in _ENV_KEEP if k in parent_env}
        env.update({
            "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
            "HOME": "/tmp", "USER": "student", "LOGNAME": "student",
            "MPLCONFIGDIR": "/tmp/.matplotlib", "IPYTHONDIR": "/tmp/.ipython",
            "PYTHONSAFEPATH": "1",  # the kernel never imports modules from the submission's folder
            "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1",
        })
        kw["env"] = env

        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)

        if self._uid is not None:
            _chown_tree(self._scratch, self._uid, self._uid)
        self._log_file = open(self._scratch / "kernel.log", "wb")
        kw["stdout"] = self._log_file
        kw["stderr"] = subprocess.STDOUT
        kw["stdin"] = subprocess.DEVNULL
        kw["cwd"] = str(self._scratch)  # bwrap itself starts here; --chdir moves the kernel
        kw["env"] = env
        if any("ipykernel" in part for part in kernel_cmd):
            # inside the pid namespace the kernel's parent is bwrap's init (pid 1), which
            # ipykernel reads as "orphaned"; --die-with-parent ends it with the coordinator
            kernel_cmd = list(kernel_cmd) + ["--IPKernelApp.parent_handle=0"]
        cmd = bwrap_command(kernel_cmd, scratch=self._scratch / "conn", workdir=work, uid=self._uid,
                            tmp_size=self.tmp_size, limits=self._limits(), env=env, tmp_files=_font_cache(),
                            work_size=self.work_size)
        if self.use_cgroups and self._uid is not None:
            self._cgroups = _Cgroups(self._scratch.name, self.memory_limit, self.process_limit)
            cmd = self._cgroups.wrap(cmd)
        return cmd, kw

    @property
    def runner_folder(self):
        """Where the trusted runner's socket goes: the one host folder bound into the sandbox."""
        return str(self._scratch / "conn") if self._scratch is not None else None

    def lock_scratch(self):
        """Once the kernel has bound its sockets: it may no longer create files on the host."""
        if self._uid is None or self._scratch is None:
            return
        conn = self._scratch / "conn"
        try:
            os.chown(conn, 0, 0)
            os.chmod(conn, 0o555)
        except OSError:
            pass

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if self._uid is not None and os.path.exists(self.connection_file):
            os.chown(self.connection_file, self._uid, self._uid)

    async def interrupt_kernel(self):
        """Interrupt through the control channel: a signal would hit bwrap, not the kernel."""
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._cleanup_scratch()

    # the base class binds these names to its own coroutine: nbclient calls cleanup_resources()
    # for a kernel that died, and the scratch folder and cgroups must go then too
    cleanup_resources = _async_cleanup_resources

    def __del__(self):
        try:
            self._cleanup_scratch()
        except Exception:
            pass
        super().__del__()

    _last_log = ""
    _last_code = None

    def _read_log(self):
        if self._scratch is not None and (self._scratch / "kernel.log").exists():
            with open(self._scratch / "kernel.log", "rb") as f:
                f.seek(max(0, os.path.getsize(f.name) - 4000))
                self._last_log = f.read().decode("utf-8", "replace")
        if self.provisioner is not None and getattr(self.provisioner, "process", None) is not None:
            self._last_code = self.provisioner.process.poll()
        if self._cgroups is not None and self._cgroups.out_of_memory():
            self._oom = True
        return self._last_log

    def _cleanup_scratch(self):
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._scratch is not None:
            self._read_log()
        if self._cgroups is not None:
            self._cgroups.remove()
            self._cgroups = None
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def death_reason(self):
        """Why the kernel is gone, in words, from its exit status and the tail of its log."""
        tail = self._read_log()
        if self._oom:
            tail += "\nMemoryError (cgroup memory limit)"
        return describe_exit(self._last_code, tail, self._limits())


def describe_exit(code, log_tail="", limits=None):
    """A sentence for the instructor: how the kernel ended."""
    limits = limits or {}
    signum = None
    if code is not None and code < 0:
        signum = -code
    elif code is not None and code > 128:
        signum = code - 128  # bwrap reports a signalled child as 128 + signal
    if signum == signal.SIGXCPU:
        return f"CPU time limit exceeded ({limits.get('cpu')} s)"
    if "MemoryError" in log_tail or "Cannot allocate memory" in log_tail or "std::bad_alloc" in log_tail:
        return f"memory limit exceeded ({_size(limits.get('as'))})"
    if signum == signal.SIGKILL:
        return "the kernel was killed (SIGKILL: out of memory, or stopped after a time-out)"
    if signum is not None:
        return f"the kernel crashed (signal {signal.Signals(signum).name})"
    if code is not None:
        return f"the kernel exited with status {code} (os._exit, sys.exit in a thread, or a crash)"
    return "the kernel died"


def _size(value):
    if not value or value < 0:
        return "none"
    return f"{value / GiB:g} GiB" if value >= GiB else f"{value / MiB:g} MiB"


def failure_reason(log):
    """The reason the sandbox recorded in an nbgrader autograde log, or ``None``."""
    match = re.search(re.escape(STOPPED) + r" ([^\n]*)", log or "")
    return match.group(1).strip() if match else None


# ---------------------------------------------------------------- the Execute preprocessor

class _Stopped(Exception):
    """A time limit stopped the notebook for good (the kernel was killed or would not stop):
    the submission is graded on the cells that ran."""


class SandboxedExecute(Execute):
    """nbgrader's Execute with a sandboxed kernel, test cells run by the trusted runner
    (``course.grading.runner``), time limits derived from the instructor's notebook
    (``course.grading.timings``), lesson cells nothing reads left out
    (``course.grading.lessons``), caps on the output of each cell and of the notebook, and a
    readable reason when the kernel dies."""

    sandbox = Bool(True, help="run kernels under bubblewrap").tag(config=True)
    max_output_bytes = Integer(2 * MiB, help="output kept per cell, every kind counted (-1: no cap)").tag(config=True)
    max_outputs = Integer(200, help="outputs kept per cell (-1: no cap)").tag(config=True)
    max_notebook_output_bytes = Integer(16 * MiB, help="output kept for the whole notebook (-1: no cap)").tag(config=True)
    notebook_timeout = Integer(900, help="wall-clock seconds for a whole notebook without a reference "
                                         "timing (-1: none)").tag(config=True)
    time_multiple = Float(10.0, help="a cell's limit: this many times the instructor's notebook's "
                                     "time for it, plus time_floor").tag(config=True)
    time_floor = Float(5.0, help="seconds added to every cell's limit; the limit of a cell the "
                                 "reference does not have").tag(config=True)
    budget_floor = Float(30.0, help="seconds added to a notebook's budget (time_multiple x the "
                                    "reference notebook's time)").tag(config=True)
    use_reference = Bool(True, help="derive time limits from autograded/reference_timings.json "
                                    "(else the fixed timeout and notebook_timeout)").tag(config=True)
    skip_unused_lessons = Bool(True, help="leave out the instructor's lesson cells that nothing "
                                          "later reads (pictures, tables)").tag(config=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.sandbox:
            check_sandbox()
        if self.sandbox:
            self.kernel_manager_class = SandboxKernelManager
        else:
            # nbgrader's Execute forces AsyncKernelManager over the configuration; without the
            # sandbox, honour a configured kernel manager (e.g. the grader's forking kernels)
            for section in ("SandboxedExecute", "Execute", "ExecutePreprocessor", "NotebookClient"):
                configured = self.config.get(section, {}).get("kernel_manager_class")
                if configured:
                    from traitlets.utils.importstring import import_item
                    self.kernel_manager_class = (import_item(configured) if isinstance(configured, str)
                                                 else configured)
                    break
        self._output_bytes = {}
        self._truncated = set()
        self.cell_seconds = {}

    _last_km = None
    _reference = None
    _skip = frozenset()

    def create_kernel_manager(self):
        if self.sandbox:
            # ExecutePreprocessor.preprocess re-runs NotebookClient.__init__, which re-applies
            # the configuration (e.g. a configured Execute.kernel_manager_class): decide here
            self.kernel_manager_class = SandboxKernelManager
        self._last_km = super().create_kernel_manager()
        if self.sandbox and not isinstance(self._last_km, SandboxKernelManager):
            raise SandboxUnavailable("the kernel manager is not the sandbox's")
        return self._last_km

    def _kill_after_budget(self):
        """Timer thread: the notebook as a whole ran past its budget (e.g. many cells that sleep)."""
        self._over_budget = True
        manager = self._last_km
        provisioner = getattr(manager, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None) or getattr(provisioner, "pid", None)
        if pgid and pgid != os.getpgrp():  # the kernel's own process group, never the grader's
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass

    async def async_start_new_kernel_client(self):
        client = await super().async_start_new_kernel_client()
        if isinstance(self.km, SandboxKernelManager):
            self.km.lock_scratch()
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    # ---- the instructor's notebook: reference times, lesson cells

    def _source_notebook(self, resources):
        info = (resources or {}).get("nbgrader", {})
        if not info.get("assignment") or not info.get("notebook"):
            return None, None
        root = self.config.CourseDirectory.get("root", os.getcwd())
        source = os.path.join(root, self.config.CourseDirectory.get("source_directory", "source"),
                              info["assignment"], info["notebook"] + ".ipynb")
        return root, (source if os.path.exists(source) else None)

    def _prepare(self, nb, resources):
        """Reference timings and the lesson cells to leave out, from the source notebook."""
        self._reference, self._skip = None, set()
        root, source = self._source_notebook(resources)
        if source is None:
            return
        info = resources["nbgrader"]
        if self.use_reference:
            self._reference = timings.reference(root, info["assignment"], info["notebook"])
            if self._reference is None:
                self.log.warning("no reference timing of %s/%s: fixed time limits (%s s a cell); "
                                 "`python -m course build` records them", info["assignment"],
                                 info["notebook"], self.timeout)
        if self.skip_unused_lessons:
            from course.grading.lessons import unused_lesson_cells

            self._skip = unused_lesson_cells(nb, nbformat.read(source, as_version=4))

    def budget(self):
        """Seconds the whole notebook may take (``None``: no budget)."""
        if self._reference is not None:
            return timings.notebook_budget(self._reference["total"], self.time_multiple, self.budget_floor)
        return self.notebook_timeout if self.notebook_timeout > 0 else None

    def cell_limit(self, cell):
        """``(seconds, why)``: the time limit of ``cell`` and how it was set."""
        if self._reference is None:
            return self.timeout, "the course's fixed limit"
        seconds = self._reference["cells"].get(timings.cell_key(cell))
        limit = timings.cell_limit(seconds, self.time_multiple, self.time_floor)
        if seconds is None:
            return limit, "the limit of a cell the instructor's notebook does not have"
        return limit, (f"{self.time_multiple:g} x the {seconds:.2f} s it takes in the instructor's "
                       f"notebook + {self.time_floor:g} s")

    def _get_timeout(self, cell):
        if cell is None or self._reference is None:
            return super()._get_timeout(cell)
        return self.cell_limit(cell)[0]

    def _limit_text(self, cell):
        limit, why = self.cell_limit(cell)
        return f"its time limit, {limit:.1f} s ({why})"

    def _timeout_message(self, cell):
        return (f"this cell ran longer than {self._limit_text(cell)}, and was stopped (an endless "
                "loop? much slower code than needed?); the cells after it still ran")

    def _stubborn_message(self, cell):
        return (f"this cell ran longer than {self._limit_text(cell)}, and did not stop when interrupted "
                "(a loop that catches KeyboardInterrupt?): the kernel was stopped, and the cells after "
                "it did not run")

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        if reply is not None and cell is not None:
            message = self._timeout_message(cell)
            reply = {"content": {**reply["content"], "evalue": message,
                                 "traceback": [f"CellTimeoutError: {message}"]}}
        return reply

    # ---- running the notebook

    def preprocess(self, nb, resources=None, km=None):
        self._output_bytes = {}
        self._truncated = set()
        self._over_budget = False
        self._runner = None
        self._index = None
        self.cell_seconds = {}
        self._prepare(nb, resources)
        budget = self.budget()
        timer = None
        if budget:
            timer = threading.Timer(budget, self._kill_after_budget)
            timer.daemon = True
            timer.start()
        try:
            return self._preprocess(nb, resources, km)
        except _Stopped as stopped:
            self._grade_what_ran(nb, str(stopped))
            return nb, resources
        except (DeadKernelError, RuntimeError, CellTimeoutError):
            if not self._over_budget:
                raise
            self._grade_what_ran(nb, self._budget_reason(budget))
            return nb, resources
        finally:
            if timer is not None:
                timer.cancel()
            if self._runner is not None:
                self._runner.close()
                self._runner = None

    def _budget_reason(self, budget):
        how = (f"{self.time_multiple:g} x the instructor's notebook's {self._reference['total']:.1f} s + "
               f"{self.budget_floor:g} s" if self._reference is not None else "the course's fixed budget")
        return f"the notebook ran past its time budget, {budget:.0f} s ({how}), and was stopped"

    def _grade_what_ran(self, nb, reason):
        """The notebook was stopped at cell ``self._index``: that cell gets the reason, every
        later code cell a note that it did not run (a test cell with an error scores 0)."""
        self.log.warning("graded on the cells that ran: %s", reason)
        stopped = self._index if self._index is not None else 0
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or index < stopped:
                continue
            if index == stopped:
                cell.outputs.append(new_output("error", ename="CellTimeoutError", evalue=reason,
                                               traceback=[f"CellTimeoutError: {reason}"]))
            else:
                note = f"not run: grading stopped at an earlier cell ({reason})"
                cell.outputs = [new_output("error", ename="NotRun", evalue=note, traceback=[f"NotRun: {note}"])]
            cell.execution_count = None

    def preprocess_cell(self, cell, resources, index):
        """Test cells run in this process against the kernel's functions; every other cell in
        the kernel, but the lesson cells nothing reads. The kernel never receives a test cell's code."""
        self._index = index
        if index in self._skip:
            return cell, resources
        started = time.perf_counter()
        try:
            return self._run_cell(cell, resources, index)
        finally:
            self.cell_seconds[index] = time.perf_counter() - started

    def _run_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            cell, resources = super().preprocess_cell(cell, resources, index)
            if is_setup_cell(cell):
                self._trusted_runner().trust_imports(cell.source)
            return cell, resources
        points = float(cell.metadata.nbgrader.get("points", 0) or 0)
        limit, _ = self.cell_limit(cell)
        try:
            cell.outputs = self._trusted_runner().run_cell(cell, points, limit)
        except GraderBroken:
            raise  # not the student's doing: the run stops with it (course grade) or logs it
        except KernelGone as gone:
            if self._over_budget:
                raise _Stopped(self._budget_reason(self.budget())) from gone
            if "did not stop when interrupted" in str(gone):
                raise _Stopped(self._stubborn_message(cell)) from gone
            manager = self._last_km
            reason = manager.death_reason() if isinstance(manager, SandboxKernelManager) and not \
                process_alive(manager)() else str(gone)
            self.log.error("%s %s", STOPPED, reason)
            raise SubmissionStopped(f"{STOPPED} {reason}") from gone
        cell.execution_count = None
        return cell, resources

    def _trusted_runner(self):
        if self._runner is None:
            self._runner = Runner(self.km, process_alive(self.km), self.timeout or 60)
        return self._runner

    def _preprocess(self, nb, resources, km):
        try:
            return super().preprocess(nb, resources, km=km)
        except CellTimeoutError as error:
            if self._over_budget:
                raise
            # nbclient interrupted the cell at its time limit, but the kernel stayed busy
            raise _Stopped(self._stubborn_message(nb.cells[self._index or 0])) from error
        except (DeadKernelError, RuntimeError) as error:
            if self._over_budget or isinstance(error, SubmissionStopped) or not (
                    isinstance(error, DeadKernelError) or "Kernel died" in str(error)):
                raise
            reason = str(error)
            manager = self._last_km
            if isinstance(manager, SandboxKernelManager):
                reason = manager.death_reason()
                if "kernel_info" in str(error):
                    tail = manager._last_log.strip().splitlines()[-3:]
                    reason = "the kernel did not start: " + reason + (": " + " | ".join(tail) if tail else "")
            self.log.error("%s %s", STOPPED, reason)
            raise SubmissionStopped(f"{STOPPED} {reason}") from error

    def _over_cap(self, cell_index, size, count):
        """Count ``size`` bytes against the cell's and the notebook's caps; True when over."""
        used = self._output_bytes.get(cell_index, 0) + size
        self._output_bytes[cell_index] = used
        total = sum(self._output_bytes.values())
        return ((self.max_output_bytes >= 0 and used > self.max_output_bytes)
                or (self.max_notebook_output_bytes >= 0 and total > self.max_notebook_output_bytes)
                or (self.max_outputs >= 0 and count >= self.max_outputs))

    def output(self, outs, msg, display_id, cell_index):
        # Every kind of output counts, errors and every MIME type included: a kernel can send
        # a traceback or an image as large as any print. An error is kept, shortened.
        if msg.get("msg_type") == "error":
            _shorten_error(msg["content"])
        if self._over_cap(cell_index, len(json.dumps(msg.get("content", {}), default=str)), len(outs)):
            if cell_index not in self._truncated:
                self._truncated.add(cell_index)
                note = new_output("stream", name="stdout",
                                  text=f"\n... output truncated by the grader (over {_size(self.max_output_bytes)} "
                                       f"for a cell, {_size(self.max_notebook_output_bytes)} for the notebook, "
                                       f"or {self.max_outputs} outputs) ...\n")
                outs.append(note)
                return note
            return None
        return super().output(outs, msg, display_id, cell_index)

    def on_cell_executed(self, **kwargs):
        # nbgrader copies the reply's error into the cell when no error output was kept
        _shorten_error(kwargs["execute_reply"]["content"])
        return super().on_cell_executed(**kwargs)

    def _update_display_id(self, display_id, msg):
        # an update replaces data in outputs already kept: it counts against the caps as well
        if self._over_cap(-1, len(json.dumps(msg.get("content", {}), default=str)), 0):
            return
        super()._update_display_id(display_id, msg)


def _shorten_error(content, limit=2000, lines=30):
    """An error's message and traceback cut to a size a notebook can carry."""
    if "evalue" in content:
        content["evalue"] = str(content["evalue"])[:limit]
    if "traceback" in content:
        content["traceback"] = [str(line)[:limit] for line in list(content["traceback"])[-lines:]]


# ---------------------------------------------------------------- configuration

def grading_overrides(sandbox=True):
    """Traitlets config overrides ``{"Section": {"trait": value}}`` for ``course grade``.

    grader_config.py already puts ``SandboxedExecute`` (and with it the trusted runner) into
    nbgrader's pipeline; this only says whether kernels run under bubblewrap, after checking
    that they can.
    """
    if sandbox:
        check_sandbox()
    return {"SandboxedExecute": {"sandbox": bool(sandbox)}}
