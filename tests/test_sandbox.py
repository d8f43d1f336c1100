"""The grading sandbox, measured from inside a real sandboxed kernel.

Each test starts a kernel with ``SandboxKernelManager`` (bubblewrap, rlimits, its own uid,
ipc sockets), runs code in it and checks what that code could see and do.
"""
import asyncio
import os
import shutil
import socket
import textwrap
import threading
import time

import nbformat
import pytest

from course.grading import execute as execute_module
from course.grading import sandbox
from course.grading.build import source_assignments
from course.grading.nbapi import ROOT
from processes import command_lines

MiB = 1 << 20


class Kernel:
    """A sandboxed kernel and a blocking way to run code in it.

    Its event loop runs in a thread of its own: a test in the same process may have left a loop
    running in the main thread (Playwright's sync API does, for the whole session).
    """

    def __init__(self, cwd, **limits):
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.km = sandbox.SandboxKernelManager(kernel_name="python3", **limits)
        self._wait(self.km.start_kernel(cwd=str(cwd)))
        self.kc = self.km.client()
        self.kc.start_channels()
        self._wait(self.kc.wait_for_ready(timeout=60))
        self.km.lock_scratch()  # as SandboxedExecute does once the kernel is up

    def _wait(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def run(self, code, timeout=60):
        """(status, stdout, error text) of executing ``code``."""
        out, err = [], []

        def hook(msg):
            content = msg["content"]
            if msg["msg_type"] == "stream":
                (out if content["name"] == "stdout" else err).append(content["text"])
            elif msg["msg_type"] == "error":
                err.append(f"{content['ename']}: {content['evalue']}")

        reply = self._wait(self.kc.execute_interactive(textwrap.dedent(code), output_hook=hook, timeout=timeout))
        return reply["content"]["status"], "".join(out), "".join(err)

    def alive(self):
        return self._wait(self.km.is_alive())

    def close(self):
        self.kc.stop_channels()
        self._wait(self.km.shutdown_kernel(now=True))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "data.txt").write_text("the submission's own file\n")
    return folder


@pytest.fixture(scope="module")
def kernel(workdir):
    k = Kernel(workdir, file_size_limit=16 * MiB, process_limit=64)
    yield k
    k.close()


def test_sandbox_is_available_here():
    # CI installs bubblewrap (.ci/run): a missing sandbox must fail, not skip
    sandbox.check_sandbox()


def test_without_bwrap_the_grader_refuses(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sandbox.SandboxUnavailable):
        sandbox.check_sandbox()
    overrides = execute_module.grading_overrides(sandbox=False)  # --no-sandbox still hardens
    assert overrides["SandboxedExecute"] == {"sandbox": False}


def test_runs_as_an_unprivileged_user(kernel):
    status, out, _ = kernel.run("import os; print(os.getuid(), os.geteuid())")
    assert status == "ok"
    uid, euid = map(int, out.split())
    assert uid != 0 and euid != 0


def test_sees_course_package_but_not_the_rest_of_the_repository(kernel):
    status, out, err = kernel.run(f"""
        import os, sys, course.gradcheck
        root = {str(ROOT)!r}
        print(sorted(os.listdir(root)))
        home = os.listdir("/root") if os.path.isdir("/root") else []
        # only the way to the Python installation, when it lives under the home
        print(os.path.exists(os.path.join(root, "source")),
              all(sys.base_prefix.startswith(os.path.join("/root", entry)) for entry in home))
    """)
    assert status == "ok", err
    listing, hidden = out.splitlines()
    assert "course" in listing and "source" not in listing and "gradebook.db" not in listing
    assert "release" not in listing and "tests" not in listing
    assert hidden == "False True"


def test_cannot_read_solutions_or_home(kernel):
    target = next((ROOT / "source").glob("*/*.ipynb"))
    status, _, err = kernel.run(f"open({str(target)!r}).read()")
    assert status == "error" and "No such file or directory" in err


def test_works_on_a_private_copy_of_its_folder(kernel, workdir):
    status, out, err = kernel.run("""
        import os
        print(open("data.txt").read().strip())
        open("written.txt", "w").write("x")
        os.symlink("/etc/passwd", "link")
        print(os.getcwd())
    """)
    assert status == "ok", err
    assert out.splitlines() == ["the submission's own file", str(workdir.resolve())]
    assert sorted(p.name for p in workdir.iterdir()) == ["data.txt"], "the sandbox wrote to the host folder"


def test_writes_stay_off_the_host_disk(kernel):
    status, _, err = kernel.run("""
        import sys
        conn = [a for a in sys.argv if a.endswith("kernel.json")][0].rsplit("/", 1)[0]
        try:
            open(conn + "/planted", "w")
        except PermissionError:
            print("conn locked")
        else:
            raise AssertionError("the kernel could create files in its connection folder")
        chunk = b"x" * (15 * 2**20)
        for i in range(40):
            with open(f"fill{i}", "wb") as f:
                f.write(chunk)
    """)
    assert status == "error" and "No space left on device" in err, err


def test_python_environment_is_read_only(kernel):
    status, _, err = kernel.run(f"open({str(ROOT / 'course' / 'planted.py')!r}, 'w')")
    assert status == "error" and ("Read-only file system" in err or "Permission denied" in err)
    assert not (ROOT / "course" / "planted.py").exists()


def test_no_network(kernel):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    try:
        status, _, err = kernel.run(f"""
            import socket
            socket.create_connection(("127.0.0.1", {port}), timeout=3)
        """)
    finally:
        server.close()
    assert status == "error" and "Connection refused" in err


def test_memory_limit(kernel):
    status, _, err = kernel.run("import numpy as np; np.ones(3 * 2**30, dtype=np.uint8)")
    assert status == "error" and "MemoryError" in err
    assert kernel.run("print(1 + 1)")[1].strip() == "2", "the kernel should survive a refused allocation"


def test_file_size_limit(kernel):
    status, _, err = kernel.run("open('/tmp/big', 'wb').write(b'x' * (32 * 2**20))")
    assert status == "error" and "File too large" in err


def test_process_limit_and_nothing_survives_the_kernel(tmp_path):
    k = Kernel(tmp_path, process_limit=64)
    try:
        status, _, err = k.run("""
            import subprocess
            children = [subprocess.Popen(["sleep", "313.5"]) for _ in range(500)]
        """)
        assert status == "error" and "Resource temporarily unavailable" in err
        status, out, _ = k.run("print(len([p for p in __import__('os').listdir('/proc') if p.isdigit()]))")
        assert status == "ok" and int(out) <= 64, "more processes than the limit"
    finally:
        k.close()
    for _ in range(50):
        leftover = command_lines()
        if "sleep 313.5" not in leftover:
            break
        time.sleep(0.1)
    assert "sleep 313.5" not in leftover, "processes of a submission outlived its kernel"


def _wait_dead(k, seconds):
    for _ in range(int(seconds * 10)):
        if not k.alive():
            return True
        time.sleep(0.1)
    return False


def test_os_exit_is_reported(tmp_path):
    k = Kernel(tmp_path)
    try:
        k.kc.execute("import os; os._exit(3)")
        assert _wait_dead(k, 10)
        assert k.km.death_reason() == "the kernel exited with status 3 (os._exit, sys.exit in a thread, or a crash)"
    finally:
        k.close()


def test_cpu_limit_stops_the_kernel(tmp_path):
    k = Kernel(tmp_path, cpu_limit=2)
    try:
        k.kc.execute("while True: pass")
        assert _wait_dead(k, 30), "the kernel outlived its CPU-time limit"
        assert k.km.death_reason().startswith("CPU time limit exceeded")
    finally:
        k.close()


def test_failure_reason_is_found_in_a_log():
    log = f"[ERROR] ...\ncourse.grading.sandbox.SubmissionStopped: {sandbox.STOPPED} CPU time limit exceeded (600 s)\n"
    assert sandbox.failure_reason(log) == "CPU time limit exceeded (600 s)"
    assert sandbox.failure_reason("[INFO] fine") is None


def test_scratch_folders_are_removed(tmp_path):
    k = Kernel(tmp_path)
    scratch = k.km._scratch
    assert scratch.exists()
    k.close()
    assert not scratch.exists()
    assert shutil.which("bwrap")
    assert not any(p.name.startswith("course-kernel-") and p == scratch for p in scratch.parent.iterdir())
    assert os.path.isdir(tmp_path)


def test_memory_of_all_processes_together(tmp_path):
    """RLIMIT_AS bounds each process; a cgroup bounds the submission's processes together."""
    if not sandbox._own_cgroups(("memory",)):
        pytest.skip("no writable cgroup-v1 memory controller here: only the per-process limit applies")
    k = Kernel(tmp_path, memory_limit=1 << 30)
    try:
        status, out, err = k.run("""
            import subprocess, sys
            code = "import time; data = b'x' * (600 * 2**20); time.sleep(3)"
            children = [subprocess.Popen([sys.executable, "-c", code]) for _ in range(3)]
            print([child.wait() for child in children])
        """)
        killed = status == "ok" and "-9" in out
        assert killed or not k.alive(), (status, out, err)
    finally:
        k.close()


@pytest.mark.parametrize("assignment", source_assignments())
def test_hardened_grading_keeps_honest_scores(tmp_path, assignment):
    """The instructor's solutions get full marks through the sandbox and the trusted runner,
    and the graded notebook holds the original cells in order, no stderr."""
    from course.grading.nbapi import nbgrader_api
    from nbgrade import notebook_name, source_notebook

    shutil.copytree(ROOT / "source" / assignment, tmp_path / "source" / assignment)
    nbgrader_api(tmp_path).generate_assignment(assignment, force=True, create=True)
    name = notebook_name(assignment)
    folder = tmp_path / "submitted" / "teacher" / assignment
    folder.mkdir(parents=True)
    source = source_notebook(assignment)
    nbformat.write(source, folder / name)
    api = nbgrader_api(tmp_path, **execute_module.grading_overrides(True))
    result = api.autograde(assignment, "teacher", force=True, create=True)
    assert result["success"], result.get("log", "")[-3000:]
    with api.gradebook as gb:
        grades = {g.name: (g.score, g.max_score) for g in gb.find_submission(assignment, "teacher").notebooks[0].grades
                  if g.cell.cell_type == "code"}
    assert grades and all(score == top for score, top in grades.values()), grades
    graded = nbformat.read(tmp_path / "autograded" / "teacher" / assignment / name, as_version=4)
    assert len(graded.cells) == len(source.cells)
    for ours, theirs in zip(graded.cells, source.cells):
        assert ours.source == theirs.source
        for output in ours.get("outputs", []):
            assert not (output.output_type == "stream" and output.name == "stderr"), output.text[:300]


def test_notebook_time_budget(tmp_path):
    """Cells that each stay under the cell time limit still cannot hold a worker forever: the
    notebook is stopped at its budget and graded on the cells that ran."""
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import time; time.sleep(4)") for _ in range(5)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute = execute_module.SandboxedExecute(timeout=30, notebook_timeout=6, kernel_name="python3")
    execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    errors = [[o.ename for o in cell.outputs if o.output_type == "error"] for cell in nb.cells]
    stopped = errors.index(["CellTimeoutError"])
    assert errors[:stopped] == [[]] * stopped, errors
    assert errors[stopped + 1:] == [["NotRun"]] * (len(nb.cells) - stopped - 1), errors
    assert "time budget" in nb.cells[stopped].outputs[-1].evalue


def test_output_is_capped_while_the_cell_runs(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("for i in range(200_000):\n    print('x' * 50)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute = execute_module.SandboxedExecute(timeout=120, max_output_bytes=1 << 20, kernel_name="python3")
    nb, _ = execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert len(text) < 1.2 * (1 << 20) and "output truncated by the grader" in text


def test_errors_and_every_mime_type_count_against_the_caps(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [new_code_cell("from IPython.display import HTML, display\n"
                           "for _ in range(40):\n    display(HTML('<p>' + 'h' * 100_000 + '</p>'))"),
             new_code_cell("raise ValueError('e' * 3_000_000)")]
    cells += [new_code_cell("print('p' * 900_000)") for _ in range(6)]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute = execute_module.SandboxedExecute(timeout=60, max_output_bytes=1 << 20, max_notebook_output_bytes=4 << 20,
                                       kernel_name="python3", sandbox=False)
    nb, _ = execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    sizes = [len(nbformat.writes(nbformat.v4.new_notebook(cells=[cell]))) for cell in nb.cells]
    assert max(sizes) < 1.3 * (1 << 20), sizes
    assert sum(sizes) < 5 * (1 << 20), sizes
    assert "output truncated by the grader" in nbformat.writes(nb)


def test_a_dead_kernel_leaves_nothing_behind(tmp_path):
    from nbformat.v4 import new_code_cell, new_notebook

    nb = new_notebook(cells=[new_code_cell("import os; os._exit(1)")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    execute = execute_module.SandboxedExecute(timeout=30, kernel_name="python3")
    with pytest.raises(sandbox.SubmissionStopped, match="exited with status 1"):
        execute.preprocess(nb, {"metadata": {"path": str(tmp_path)}})
    manager = execute._last_km
    assert manager.last_scratch is not None and not manager.last_scratch.exists()
    assert manager._cgroups is None
