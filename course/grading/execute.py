"""The Execute step of grading: nbgrader's Execute with a sandboxed kernel and the trusted runner.

``SandboxedExecute`` starts each submission's kernel with ``course.grading.sandbox``'s
``SandboxKernelManager`` and sends it every cell but the test cells, which the trusted runner
(``course.grading.runner``) executes in the grader's process, and the instructor's lesson cells
that nothing later reads (``course.grading.lessons``). It gives each cell and the notebook time
limits derived from the instructor's notebook (``course.grading.timings``): a cell past its limit
is interrupted and the notebook goes on; a cell that will not stop, or a notebook past its
budget, is stopped there and graded on what ran (the reason in the stopped cell, ``NotRun``
errors in the cells after it). It caps the output while cells run (2 MiB / 200 outputs a cell,
16 MiB the notebook, every kind counted) and turns a dead kernel into ``SubmissionStopped`` with
the reason (memory, CPU time, a crash, ``os._exit``), which nbgrader records in the autograde
log; grading of the other submissions goes on. ``sandbox.failure_reason(log)`` finds that
reason again.

The grading pipeline merges ``grading_overrides(sandbox)`` into the nbgrader config of every
worker.
"""
import json
import os
import signal
import threading
import time

import nbformat
from jupyter_core.utils import run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from course.grading import timings
from course.grading.runner import GraderBroken, KernelGone, Runner, is_setup_cell, is_test_cell, process_alive
from course.grading.sandbox import (MiB, STOPPED, SandboxKernelManager, SandboxUnavailable, SubmissionStopped,
                                    _size, check_sandbox)


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
