"""The bubblewrap sandbox a submission's kernel runs in, and its resource limits.

``course.grading.execute.SandboxedExecute`` (the Execute step of grading) starts kernels with
``SandboxKernelManager``; ``check_sandbox`` raises ``SandboxUnavailable`` when bubblewrap cannot
be used here, so that the grader refuses unless the instructor said --no-sandbox.

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
"""
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
import time
from functools import lru_cache
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Bool, Integer, Unicode

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
