"""Drive JupyterLab in Debian's Chromium with Playwright, as a student would.

Shared by the browser tests (tests/browser/) and benchmarks/browser_latency.py:

* ``LabServer``: a JupyterLab server on 127.0.0.1, a free port and a random token, serving a
  throwaway course folder with ``release/`` (the student notebooks as released) and ``solved/``
  (the same notebooks with the solutions of source/ written into the exercise cells). The server
  runs with that folder as its working directory and a copy of nbgrader_config.py +
  grader_config.py in it: nbgrader's validate handler loads its configuration from the server's
  cwd (``os.getcwd()``) and the Jupyter config path, nothing else.
* ``launch_browser``: Chromium with the flags these machines need.
* ``NotebookPage``: open a notebook, run it through the menus, read the cells' outputs, move
  sliders with the keyboard, press nbgrader's Validate button.

Actions go through the real UI (menus, clicks, key presses). Observation uses the DOM, plus
``window.jupyterapp`` (exposed with ``LabApp.expose_app_in_browser``) for the kernel's status.
"""
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--disable-extensions", "--disable-sync", "--mute-audio",
                 "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
                 "--disable-backgrounding-occluded-windows"]
ARTIFACTS = ROOT / "artifacts" / "browser"

# JupyterLab settings of the throwaway user: no news pop-up over the notebook, and every cell
# attached to the DOM (the default windowing leaves off-screen cells out, so DOM cell i would
# not be notebook cell i).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)


TIMINGS = []


@contextmanager
def timed(what):
    """Record how long ``what`` took (the browser tests print these at the end, for the report)."""
    start = time.monotonic()
    try:
        yield
    finally:
        TIMINGS.append((what, time.monotonic() - start))


# ---------------------------------------------------------------------------- the notebooks

@dataclass
class CourseNotebook:
    """One assignment notebook: its path under the served folder and its nbgrader cell roles."""
    assignment: str
    name: str
    cells: list = field(repr=False)          # nbformat cells of the released notebook

    @property
    def release_path(self):
        return f"release/{self.assignment}/{self.name}"

    @property
    def solved_path(self):
        return f"solved/{self.assignment}/{self.name}"

    @property
    def id(self):
        return self.assignment

    def role(self, index):
        """'solution', 'test' or None (a cell outside the exercises) for cell ``index``."""
        meta = self.cells[index].metadata.get("nbgrader", {})
        if meta.get("solution"):
            return "solution"
        if meta.get("grade") and self.cells[index].cell_type == "code":
            return "test"
        return None

    def code_indices(self, role="any"):
        return [i for i, c in enumerate(self.cells)
                if c.cell_type == "code" and (role == "any" or self.role(i) == role)]

    def label(self, index):
        meta = self.cells[index].metadata.get("nbgrader", {})
        first = self.cells[index].source.strip().splitlines()[:1]
        return f"cell {index} ({meta.get('grade_id') or (first[0][:60] if first else 'empty')})"


def discover_notebooks(root=ROOT):
    """Every released notebook that has a source notebook (the solutions), in assignment order."""
    found = []
    for path in sorted((Path(root) / "release").glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        if not (Path(root) / "source" / path.parent.name / path.name).exists():
            continue
        nb = nbformat.read(path, as_version=4)
        found.append(CourseNotebook(path.parent.name, path.name, nb.cells))
    return found


def solved_notebook(release_nb, source_nb):
    """The released notebook with every exercise cell holding the source's solution.

    This is the notebook of a student who solved everything: the locked cells (and their
    nbgrader checksums) are the released ones, the hidden tests are absent, and only the
    solution cells differ (their ``### BEGIN/END SOLUTION`` marker lines removed).
    """
    solved = nbformat.from_dict(release_nb)
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in solved.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            cell.source = SOLUTION_MARKERS.sub("", answers[meta["grade_id"]])
    return solved


def make_course_folder(target, root=ROOT):
    """Fill ``target`` with the config files, release/ and solved/ (see the module docstring)."""
    target = Path(target)
    for name in ("nbgrader_config.py", "grader_config.py"):
        shutil.copy(Path(root) / name, target / name)
    shutil.copytree(Path(root) / "release", target / "release",
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    for path in sorted((Path(root) / "release").glob("*/*.ipynb")):
        source = Path(root) / "source" / path.parent.name / path.name
        if not source.exists():
            continue
        out = target / "solved" / path.parent.name / path.name
        out.parent.mkdir(parents=True, exist_ok=True)
        for extra in path.parent.iterdir():          # data files next to the notebook
            if extra.is_file() and extra.suffix != ".ipynb":
                shutil.copy(extra, out.parent / extra.name)
        nbformat.write(solved_notebook(nbformat.read(path, as_version=4),
                                       nbformat.read(source, as_version=4)), out)
    return target


# ---------------------------------------------------------------------------- the server

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab`` serving a throwaway course folder; use as a context manager."""

    def __init__(self, root=ROOT, start_timeout=120, folder=None, env=None):
        """Serve a throwaway copy of ``root``'s notebooks (see make_course_folder), or the
        existing ``folder`` as it is (an instructor's course folder, a student's home); ``env``
        adds environment variables (NBGRADER_EXCHANGE, HOME)."""
        self.tmp = Path(tempfile.mkdtemp(prefix="course-lab-"))
        self.course = Path(folder) if folder else make_course_folder(self._mkdir("course"), root)
        self.extra_env = dict(env or {})
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = self.tmp / "jupyter-lab.log"
        self.start_timeout = start_timeout
        self.process = None

    def _mkdir(self, name):
        path = self.tmp / name
        path.mkdir(parents=True, exist_ok=True)
        return path

    def environment(self):
        env = {k: v for k, v in os.environ.items()
               # a student's lab: no grading flag, and matplotlib's default backend for the kernel
               # (the Makefile exports MPLBACKEND=Agg for the tests, which would hide inline figures)
               if k not in ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "MPLBACKEND")
               and not k.startswith(("JUPYTER", "PYTEST_", "COV_"))}
        settings = self._mkdir("lab-settings")
        for rel, values in LAB_SETTINGS.items():
            path = settings / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        env.update(JUPYTER_CONFIG_DIR=str(self._mkdir("jupyter-config")),
                   JUPYTER_DATA_DIR=str(self._mkdir("jupyter-data")),
                   JUPYTER_RUNTIME_DIR=str(self._mkdir("jupyter-runtime")),
                   JUPYTERLAB_SETTINGS_DIR=str(settings),
                   JUPYTERLAB_WORKSPACES_DIR=str(self._mkdir("lab-workspaces")),
                   IPYTHONDIR=str(self._mkdir("ipython")),
                   PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
                   PYTHONUNBUFFERED="1")
        env.update(self.extra_env)
        return env

    def start(self):
        command = [str(VENV_BIN / "jupyter"), "lab", "--no-browser", "--allow-root",
                   "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
                   "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.course}",
                   "--LabApp.expose_app_in_browser=True",
                   "--ServerApp.open_browser=False"]
        self._log = open(self.log_path, "w")
        self.process = subprocess.Popen(command, cwd=self.course, env=self.environment(),
                                        stdout=self._log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.process.returncode}:\n{self.log()}")
            try:
                self.api("GET", "status", timeout=2)
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"jupyter lab did not answer in {self.start_timeout} s:\n{self.log()}")
                time.sleep(0.25)

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(f"{self.url}/api/{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shutdown_kernels(self):
        """Shut every running kernel down (a closed tab leaves its kernel running)."""
        for kernel in self.api("GET", "kernels"):
            try:
                self.api("DELETE", f"kernels/{kernel['id']}", timeout=30)
            except OSError:
                pass

    def lab_url(self, path):
        return f"{self.url}/lab/tree/{path}?reset&token={self.token}"

    def log(self):
        try:
            return self.log_path.read_text()[-5000:]
        except OSError:
            return ""

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)   # the server and its kernels
                self.process.wait(timeout=20)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait(timeout=10)
        if getattr(self, "_log", None):
            self._log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@contextmanager
def nbgrader_panel(browser, server, item):
    """A page of ``server``'s JupyterLab with nbgrader's menu item ``item`` ("Formgrader",
    "Assignment List", ...) opened, as a user would; the page's context closes afterwards."""
    context = browser.new_context(viewport={"width": 1366, "height": 1000})
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        with timed(f"open {item}"):
            page.goto(f"{server.url}/lab?reset&token={server.token}", wait_until="commit", timeout=120_000)
            page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click(timeout=120_000)
            page.locator(".lm-Menu:visible .lm-Menu-item",
                         has=page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$"))).click()
        yield page
    finally:
        context.close()


def launch_browser(playwright):
    """Debian's Chromium, headless, with a fresh profile (Playwright makes a temp one per launch)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                                      timeout=120_000)


# ---------------------------------------------------------------------------- a notebook tab

KERNEL_STATUS_JS = """() => {
    const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
    const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
    return k ? k.status : null;
}"""

PROMPTS_JS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'))
    .map(c => c.classList.contains('jp-CodeCell')
         ? (c.querySelector('.jp-InputArea-prompt') || {}).textContent || '' : null)"""

OUTPUTS_JS = """() => Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'))
    .map(c => Array.from(c.querySelectorAll('.jp-OutputArea-output')).map(o => ({
        mime: o.getAttribute('data-mime-type') || '',
        text: (o.innerText || '').slice(0, 4000)})))"""

STDERR = "application/vnd.jupyter.stderr"


class NotebookPage:
    """One browser tab showing one notebook of the served course."""

    def __init__(self, page, server, notebook, path, timeout=180):
        self.page = page
        self.server = server
        self.notebook = notebook
        self.path = path
        self.timeout = timeout                    # seconds, for whole-notebook waits

    # -- opening and running

    def navigate(self):
        """Start loading the notebook's page (returns as soon as the server answers)."""
        self.page.goto(self.server.lab_url(self.path), wait_until="commit", timeout=120_000)
        self.navigated = True
        return self

    def open(self):
        """Load the notebook (unless ``navigate`` started it) and wait for an idle kernel."""
        if not getattr(self, "navigated", False):
            self.navigate()
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook .jp-Cell", timeout=120_000)
        self.wait_for_kernel("idle", timeout=120)
        cells = self.page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell")
        count = cells.count()
        assert count == len(self.notebook.cells), (
            f"{self.path}: the page shows {count} cells, the notebook has {len(self.notebook.cells)}")
        return self

    def kernel_status(self):
        return self.page.evaluate(KERNEL_STATUS_JS)

    def wait_for_kernel(self, status="idle", timeout=60):
        self.page.wait_for_function(f"() => ({KERNEL_STATUS_JS})() === {json.dumps(status)}",
                                    timeout=timeout * 1000)

    def prompts(self):
        """Per cell: the code cell's prompt text ('[ ]:', '[*]:', '[3]:') or None for markdown."""
        return self.page.evaluate(PROMPTS_JS)

    def outputs(self):
        """Per cell: a list of {mime, text} for its rendered outputs."""
        return self.page.evaluate(OUTPUTS_JS)

    def menu(self, menu, item):
        """Click ``menu`` in the menu bar, then ``item`` in the menu that opens."""
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(menu)}$")).click()
        entry = self.page.locator(".lm-Menu:visible .lm-Menu-item",
                                  has=self.page.locator(".lm-Menu-itemLabel",
                                                        has_text=re.compile(f"^{re.escape(item)}$")))
        entry.first.click()

    def wait_until_run(self, cell, before, timeout=None):
        """Wait until the execution started by a menu click is over.

        ``cell`` is the first code cell the click runs and ``before`` its prompt before the
        click: first its prompt must change (queued '[*]' or a new count), then no cell may be
        queued and the kernel must be idle (JupyterLab marks every queued cell '[*]' at once,
        and clears the marks of the cells the kernel aborts after an error).
        """
        timeout = (timeout or self.timeout) * 1000
        self.page.wait_for_function(
            f"([i, before]) => (({PROMPTS_JS})()[i] || '') !== before", arg=[cell, before], timeout=timeout)
        self.page.wait_for_function(
            f"""() => !({PROMPTS_JS})().some(p => p && p.includes('*')) && ({KERNEL_STATUS_JS})() === 'idle'""",
            timeout=timeout)

    def unexecuted(self):
        """Indices of code cells that show no execution count."""
        return [i for i, p in enumerate(self.prompts())
                if p is not None and not re.search(r"\[\d+\]", p)]

    def run_all(self):
        """Run > Run All Cells, and wait until the notebook is done."""
        first = self.notebook.code_indices()[0]
        before = self.prompts()[first]
        self.menu("Run", "Run All Cells")
        self.wait_until_run(first, before)

    def run_everything(self):
        """Run All Cells; wherever an error stopped the run, go on from the next cell.

        JupyterLab stops a Run All at the first error (the kernel aborts the queued cells), as a
        student sees on an unsolved notebook. A student then carries on below the failing
        exercise: Run > Run Selected Cell and All Below on the next cell that did not run. The
        first Run All goes through the menu; the continuations make the same selection and
        run the same command through JupyterLab's command registry (the menu's clicks cost
        a few seconds each on a loaded machine, and a notebook has one per exercise).
        """
        self.run_all()
        for _ in range(len(self.notebook.cells)):
            remaining = self.unexecuted()
            if not remaining:
                return
            before = self.prompts()[remaining[0]]
            self.page.evaluate("""index => {
                const app = window.jupyterapp;
                app.shell.currentWidget.content.activeCellIndex = index;
                app.commands.execute('notebook:run-all-below');
            }""", remaining[0])
            self.wait_until_run(remaining[0], before)
        raise AssertionError(f"{self.path}: cells {self.unexecuted()} never ran")

    def errors(self):
        """{cell index: stderr/error text} for every cell that printed to stderr or raised."""
        found = {}
        for i, outputs in enumerate(self.outputs()):
            texts = [o["text"] for o in outputs if o["mime"] == STDERR]
            if texts:
                found[i] = "\n".join(texts)
        return found

    # -- widgets

    def explorers(self):
        """Locators of the output widgets that hold both a slider and an ipympl canvas."""
        views = self.page.locator(".jp-OutputArea-output .widget-vbox")
        found = []
        for i in range(views.count()):
            view = views.nth(i)
            if view.locator(".jupyter-matplotlib canvas").count() and view.locator(".noUi-handle").count():
                # the outermost box only: skip a VBox nested in an explorer we already have
                if not view.locator("xpath=ancestor::*[contains(@class,'widget-vbox')]").count():
                    found.append(view)
        return found

    def cell_of(self, locator):
        """Index of the notebook cell that contains ``locator``."""
        return locator.evaluate("""el => Array.from(document.querySelectorAll(
            '.jp-NotebookPanel .jp-Notebook .jp-Cell')).indexOf(el.closest('.jp-Cell'))""")

    def screenshot(self, path, chunk=4000):
        """The whole notebook in one PNG.

        The viewport is made ``chunk`` px tall (fewer, larger captures are much cheaper than
        one per screen), the notebook scrolled a chunk at a time, and the pieces stitched.
        """
        from PIL import Image
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        size = self.page.viewport_size
        scroller = self.page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first
        try:
            total = scroller.evaluate("el => el.scrollHeight")
            self.page.set_viewport_size({"width": size["width"], "height": min(total + 200, chunk)})
            self.page.wait_for_timeout(300)
            step = scroller.evaluate("el => el.clientHeight")
            sheet, top = None, 0
            while True:
                top = min(top, max(total - step, 0))
                scroller.evaluate(f"el => {{ el.scrollTop = {top}; }}")
                self.page.wait_for_timeout(150)
                box = scroller.bounding_box()
                shot = png_pixels(self.page.screenshot(clip=box, animations="disabled"))
                if sheet is None:
                    scale = shot.size[1] / step
                    sheet = Image.new("RGB", (shot.size[0], round(total * scale)), "white")
                sheet.paste(shot, (0, round(top * scale)))
                if top + step >= total:
                    break
                top += step
            sheet.save(path)
        finally:
            self.page.set_viewport_size(size)
        return path

    # -- nbgrader

    def validate(self, timeout=180):
        """Press nbgrader's Validate button; returns (dialog classes, dialog text), closes it."""
        self.page.locator(".jp-NotebookPanel .jp-Toolbar").get_by_text(
            "Validate", exact=True).click()
        message = self.page.locator(".jp-Dialog #validation-message")
        message.wait_for(timeout=timeout * 1000)
        classes = message.get_attribute("class") or ""
        text = message.inner_text()
        self.page.locator(".jp-Dialog").get_by_role("button", name="Ok").click()
        self.page.locator(".jp-Dialog").wait_for(state="detached", timeout=30_000)
        return classes, text


def png_pixels(png):
    """RGBA pixels of a PNG screenshot (bytes), as a Pillow image."""
    from PIL import Image
    return Image.open(io.BytesIO(png)).convert("RGBA")


def changed_pixels(before, after):
    """How many pixels differ between two same-size PNG screenshots."""
    from PIL import ImageChops
    a, b = png_pixels(before), png_pixels(after)
    if a.size != b.size:
        return a.size[0] * a.size[1]
    diff = ImageChops.difference(a, b).convert("L").point(lambda v: 255 if v else 0)
    return sum(diff.histogram()[1:])


def stable_screenshot(locator, settle=0.4, timeout=30):
    """An element screenshot taken once two consecutive ones, ``settle`` s apart, agree."""
    deadline = time.monotonic() + timeout
    last = locator.screenshot(animations="disabled")
    while True:
        time.sleep(settle)
        now = locator.screenshot(animations="disabled")
        if now == last or time.monotonic() > deadline:
            return now
        last = now
