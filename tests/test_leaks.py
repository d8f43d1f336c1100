"""Nothing secret leaves the instructor's side: the release, course/ and the feedback.

* The release (generated here into a scratch course, and the committed release/) holds no line
  of any solution region or hidden-test region of the source notebooks, no outputs, no
  gradebook, no .ipynb_checkpoints.
* course/ (it ships to students) defines none of the graded functions of EXERCISES.md.
* Feedback never shows hidden test code, even to a student who tries to print it, and runs
  no script; with `course feedback` and with `nbgrader generate_feedback` alike.
* A probe that collects every string its kernel can reach finds no hidden test code.
"""
import ast
import html
from html.parser import HTMLParser
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.grading.build import source_assignments
from course.grading.nbapi import ROOT

ASSIGNMENTS = source_assignments()
REGIONS = {
    "solution": ("BEGIN SOLUTION", "END SOLUTION"),
    "hidden test": ("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),
}
# Where the graded-function contract lives: the shared design folder next to the checkout, or a
# copy inside the repository.
EXERCISES_CANDIDATES = [ROOT / "EXERCISES.md", ROOT / "docs" / "EXERCISES.md",
                        ROOT.parent / "shared" / "EXERCISES.md", Path("/work/shared/EXERCISES.md")]


def _source_notebooks():
    return sorted((ROOT / "source").glob("*/*.ipynb"))


def _split(source, begin, end):
    """(lines inside begin/end regions, lines outside)."""
    inside, outside, depth = [], [], False
    for line in source.splitlines():
        if begin in line:
            depth = True
        elif end in line and depth:
            depth = False
        elif depth:
            inside.append(line)
        else:
            outside.append(line)
    return inside, outside


def _secrets(kind):
    """{stripped line: {assignments}} of every line inside a ``kind`` region of a source notebook that
    does not also appear outside every region of that notebook (a line students see anyway,
    like ``return out``, is no secret)."""
    found = {}
    for path in _source_notebooks():
        nb = nbformat.read(path, as_version=4)
        public, secret = set(), {}
        for cell in nb.cells:
            outside = cell.source
            for name, (begin, end) in REGIONS.items():
                inside, rest = _split(outside, begin, end)
                outside = "\n".join(rest)
                if name == kind:
                    for line in inside:
                        if len(line.strip()) > 3 and not line.strip().startswith("#"):
                            secret.setdefault(line.strip(), path.parent.name)
            public.update(line.strip() for line in outside.splitlines())
        for line, assignment in secret.items():
            if line not in public:
                found.setdefault(line, set()).add(assignment)
    return found


def test_source_notebooks_have_secrets():
    """The checks below are not vacuous: solution and hidden-test lines exist."""
    assert _source_notebooks(), "no source notebooks"
    assert _secrets("solution"), "no solution lines found in source/"
    assert _secrets("hidden test"), "no hidden-test lines found in source/"


@pytest.fixture(params=["generated", "committed"])
def release(request, generated_release):
    return generated_release if request.param == "generated" else ROOT / "release"


def _release_lines(release):
    """{(file, stripped line)} of every text line a student receives."""
    lines = set()
    for path in release.rglob("*"):
        if not path.is_file():
            continue
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            texts = [cell.source for cell in nb.cells]
        else:
            try:
                texts = [path.read_text()]
            except UnicodeDecodeError:
                continue
        for text in texts:
            lines.update((str(path.relative_to(release)), line.strip()) for line in text.splitlines())
    return lines


@pytest.mark.parametrize("kind", list(REGIONS))
def test_release_holds_no_secret_lines(release, kind):
    secrets = _secrets(kind)
    # a generic line (`try:`) hidden in one assignment may be public in another: each released
    # file is compared with its own assignment's secrets (files outside notebooks with all)
    leaked = sorted({(where, line) for where, line in _release_lines(release) if line in secrets
                     and (not where.endswith(".ipynb") or where.split("/")[0] in secrets[line])})
    assert not leaked, f"{kind} lines in the release: {leaked[:5]}"


def test_release_has_every_assignment(release):
    assert sorted(p.name for p in release.iterdir() if p.is_dir()) == ASSIGNMENTS


def test_release_has_no_outputs(release):
    for path in release.rglob("*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert cell.outputs == [], f"{path.name} cell {index} has outputs"
                assert cell.execution_count is None, f"{path.name} cell {index} has an execution count"


def test_release_has_no_gradebook_or_checkpoints(release):
    for path in release.rglob("*"):
        assert ".ipynb_checkpoints" not in path.parts, path
        assert path.suffix not in (".db", ".sqlite", ".sqlite3") and "gradebook" not in path.name, path


def test_non_notebook_files_in_source_hold_no_regions():
    """nbgrader copies them to the release as they are (it strips regions only in notebooks)."""
    for path in (ROOT / "source").rglob("*"):
        if path.is_file() and path.suffix != ".ipynb":
            text = path.read_text(errors="replace")
            for begin, _ in REGIONS.values():
                assert begin not in text, f"{path.relative_to(ROOT)} contains {begin}: it would be released"


# ---------------------------------------------------------------- course/ ships to students

def _exercises_md():
    for path in EXERCISES_CANDIDATES:
        if path.is_file():
            return path
    pytest.fail("EXERCISES.md (the graded-function contract) not found; looked at: "
                + ", ".join(str(p) for p in EXERCISES_CANDIDATES)
                + ". Copy shared/EXERCISES.md into the repository (or next to it) to run this check.")


FORMULA_WORDS = {"sum", "mean", "max", "min", "abs", "exp", "log", "sqrt", "len", "range", "tanh"}


def graded_functions():
    """Names of the graded functions: those EXERCISES.md lists (a backticked ``name(`` in a
    bullet), restricted to names a bullet starts with or a source solution cell defines."""
    text = _exercises_md().read_text()
    # only the assignments' sections ("## 01_derivatives ..."), not the conventions
    sections = [part for part in re.split(r"\n(?=## )", text) if re.match(r"## \d\d_", part)]
    assert sections, "no assignment sections (## NN_name) in EXERCISES.md"
    bullets = [b for section in sections for b in re.split(r"\n(?=- )", section)]
    starts, mentioned = set(), set()
    for bullet in bullets:
        if not bullet.startswith("- "):
            continue
        names = re.findall(r"`([A-Za-z_]\w*)\(", bullet)
        mentioned.update(names)
        first = re.match(r"- `([A-Za-z_]\w*)\(", bullet)
        if first:
            starts.add(first.group(1))
        # further signatures of the same bullet: `name(args) -> result` or a whole `name(args)`
        for name, rest in re.findall(r"`([A-Za-z_]\w*)\(([^`]*)`", bullet):
            if (" -> " in rest or rest.endswith(")")) and name not in FORMULA_WORDS:
                starts.add(name)
    defined = set()
    for path in _source_notebooks():
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.metadata.get("nbgrader", {}).get("solution"):
                defined.update(re.findall(r"^def (\w+)\(", cell.source, re.M))
    return starts | (mentioned & defined)


def _definitions(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name, node.lineno
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.lineno


def test_graded_function_names_are_parsed():
    names = graded_functions()
    assert {"numerical_derivative", "ssr_slope", "sigmoid", "huber_prime", "gradient_descent"} <= names
    assert "mean" not in names and "sum" not in names


def test_course_package_defines_no_graded_function():
    names = graded_functions()
    found = [f"{path.relative_to(ROOT)}:{line} defines {name}"
             for path in sorted((ROOT / "course").rglob("*.py"))
             for name, line in _definitions(path) if name in names]
    assert not found, "course/ ships to students and must not implement graded functions: " + "; ".join(found)


# ---------------------------------------------------------------- feedback

SPY = '''
def relu_prime(z):
    """Prints and raises the code of the test cell that calls it."""
    import inspect, linecache
    frame = inspect.currentframe().f_back
    while frame is not None and "relu_prime" not in "".join(linecache.getlines(frame.f_code.co_filename)):
        frame = frame.f_back
    code = "".join(linecache.getlines(frame.f_code.co_filename)) if frame else ""
    for line in code.splitlines():
        print(line)
        print("LEAK", line)
    raise ValueError("the test code: " + code)
'''


# Collects every string the student's process can reach -- the calling frames and their code,
# linecache, IPython's In/Out, every object the garbage collector tracks, the environment, the
# files of the working folder, /tmp and HOME -- during each call of its relu_prime (a right one)
# and again in a cell of its own at the end, and prints a 5-byte hash of every line it found.
PROBE = '''
def relu_prime(z):
    _probe_collect()
    return (np.asarray(z) > 0).astype(float)


def _probe_collect():
    import gc, linecache, os, sys, types
    seen = globals().setdefault("_probe_seen", set())

    def add(value, depth=0):
        if isinstance(value, str):
            seen.update(line.strip() for line in value.splitlines() if len(line.strip()) > 12)
        elif isinstance(value, types.CodeType):
            for item in value.co_consts:
                add(item, depth)
            seen.add(value.co_name)
        elif isinstance(value, types.FunctionType):
            seen.add(value.__name__)
            add(value.__code__)
        elif depth < 2 and isinstance(value, (list, tuple, set, frozenset)):
            for item in list(value)[:5000]:
                add(item, depth + 1)
        elif depth < 2 and isinstance(value, dict):
            for key, item in list(value.items())[:5000]:
                add(key, depth + 1)
                add(item, depth + 1)

    frame = sys._getframe()
    while frame is not None:
        add(frame.f_code)
        add(dict(frame.f_locals))
        frame = frame.f_back
    for name in list(linecache.cache):
        add("".join(linecache.getlines(name)))
    ip = get_ipython()
    add(list(ip.user_ns.get("In", [])))
    add(dict(ip.user_ns.get("Out", {})))
    add(dict(os.environ))
    for thing in gc.get_objects():
        add(thing, 1)
    for top in (os.getcwd(), "/tmp", os.path.expanduser("~")):
        for folder, _, files in os.walk(top):
            for name in files:
                try:
                    with open(os.path.join(folder, name), errors="replace") as f:
                        add(f.read(2_000_000))
                except OSError:
                    pass
'''

PROBE_REPORT = '''
import base64, hashlib, zlib
_probe_collect()
_digests = b"".join(sorted({hashlib.sha256(line.encode()).digest()[:5] for line in _probe_seen}))
print("PROBE", base64.b64encode(zlib.compress(_digests, 9)).decode())
'''


def _digest(line):
    import hashlib

    return hashlib.sha256(line.encode()).digest()[:5]


def _probe_findings(text):
    import base64
    import zlib

    blob = zlib.decompress(base64.b64decode(text.split("PROBE ", 1)[1].split()[0]))
    return {blob[i:i + 5] for i in range(0, len(blob), 5)}


SCRIPT = '''
from IPython.display import HTML, Javascript, display
display(HTML('<b onmouseover="alert(11)">bold</b><script>alert(12)</script><a href="javascript:alert(13)">x</a>'))
display(Javascript("alert(14)"))
'''


@pytest.fixture(scope="module")
def feedback(tmp_path_factory):
    """Feedback HTML of a small graded class: honest, blank, and a student who prints and
    raises the hidden test code his function is called from."""
    from course.grading import feedback as feedback_module
    from course.grading.grade import grade
    from nbgrade import notebook_name, replace_solution, source_notebook

    assignment = ASSIGNMENTS[0]
    root = tmp_path_factory.mktemp("feedback-course")
    shutil.copytree(ROOT / "source" / assignment, root / "source" / assignment)
    name = notebook_name(assignment)
    # a student has the released notebook (no hidden tests) with solutions filled in
    probe = nbformat.read(ROOT / "release" / assignment / name, as_version=4)
    solved = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_notebook(assignment).cells
              if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in probe.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solved[grade_id]
    probe = replace_solution(probe, "relu_prime", PROBE)
    probe.cells.append(nbformat.v4.new_code_cell(PROBE_REPORT))
    scripted = source_notebook(assignment)
    scripted.cells.append(nbformat.v4.new_code_cell(SCRIPT))
    students = {"honest": source_notebook(assignment),
                "blank": nbformat.read(ROOT / "release" / assignment / name, as_version=4),
                "spy": replace_solution(source_notebook(assignment), "relu_prime", SPY),
                "probe": probe, "scripted": scripted}
    for student, nb in students.items():
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / name)
    grade(root=root, assignments=[assignment], workers=2, sandbox=True, progress=False, log=lambda m: None)
    graded_probe = nbformat.read(root / "autograded" / "probe" / assignment / name, as_version=4)
    probe_output = "".join(o.get("text", "") for o in graded_probe.cells[-1].get("outputs", []))
    results = feedback_module.generate(root, [assignment])
    assert all(ok for _, _, ok, _ in results), results
    pages, raw_pages = {}, {}
    for student in students:
        files = list((root / "feedback" / student / assignment).glob("*.html"))
        assert files, f"no feedback for {student}"
        raw_pages[student] = files[0].read_text()
        pages[student] = html.unescape(re.sub(r"<[^>]+>", "", raw_pages[student]))
    # nbgrader's own command (Formgrader's Generate Feedback runs the same app) writes the same
    for file in ("nbgrader_config.py", "grader_config.py"):
        shutil.copy(ROOT / file, root / file)
    shutil.rmtree(root / "feedback")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    run = subprocess.run([os.path.join(os.path.dirname(sys.executable), "nbgrader"), "generate_feedback",
                          assignment, "--force"], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    cli_raw = {student: next((root / "feedback" / student / assignment).glob("*.html")).read_text()
               for student in students}
    cli_text = {student: html.unescape(re.sub(r"<[^>]+>", "", page)) for student, page in cli_raw.items()}
    return {"text": pages, "raw": raw_pages, "cli": cli_text, "cli_raw": cli_raw, "probe": probe_output}


def test_the_kernel_never_sees_test_code(feedback):
    """Everything the probe found in its process and sandbox: no line of any test cell of the
    notebook (visible lines only in the notebook file it was given), no reference function."""
    found = _probe_findings(feedback["probe"])
    assert len(found) > 1000, "the probe found almost nothing: it did not run"
    nb = nbformat.read(next((ROOT / "source" / ASSIGNMENTS[0]).glob("*.ipynb")), as_version=4)
    public = "\n".join(cell.source for path in ROOT.glob(f"release/{ASSIGNMENTS[0]}/*.ipynb")
                       for cell in nbformat.read(path, as_version=4).cells)
    own = _secrets("solution")  # a line of the student's own solutions is theirs to see
    shipped = "\n".join(path.read_text() for path in (ROOT / "course").rglob("*.py"))  # so is course/
    hidden = [line for line in _secrets("hidden test") if len(line) > 12 and line not in public
              and line not in own and line not in shipped]
    assert hidden and not [line for line in hidden if _digest(line) in found], \
        [line for line in hidden if _digest(line) in found][:3]
    references = {name for cell in nb.cells if cell.metadata.get("nbgrader", {}).get("grade")
                  for name in re.findall(r"def (_\w+)\(", cell.source)}
    assert references and not [name for name in references if _digest(name) in found]


class _ActiveContent(HTMLParser):
    """Collects what a browser would run: scripts' text, event-handler attributes, javascript: links."""

    def __init__(self):
        super().__init__()
        self.found, self._in_script = [], False

    def handle_starttag(self, tag, attrs):
        self._in_script = tag == "script"
        for name, value in attrs:
            if name.startswith("on") or (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value!r}>")

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.found.append(f"<script>{data.strip()[:80]}")


@pytest.mark.parametrize("student", ["honest", "scripted"])
def test_feedback_runs_no_script(feedback, student):
    """The student's HTML and JavaScript outputs are inert in the page (their code may be shown)."""
    for page in (feedback["raw"][student], feedback["cli_raw"][student]):
        parser = _ActiveContent()
        parser.feed(page)
        assert not parser.found, f"{student}: feedback would run {parser.found[:3]}"
        assert "alert(14)</script>" not in page and "application/javascript" not in page


@pytest.mark.parametrize("student", ["honest", "blank", "spy", "probe"])
@pytest.mark.parametrize("page", ["text", "cli"])
def test_feedback_shows_no_hidden_test_code(feedback, student, page):
    text = feedback[page][student]
    # a hidden line that is part of a line students see anyway (`rtol=1e-6)`) proves nothing
    public = "\n".join(cell.source for path in ROOT.glob(f"release/{ASSIGNMENTS[0]}/*.ipynb")
                       for cell in nbformat.read(path, as_version=4).cells)
    own = _secrets("solution")  # the student's own solution code is theirs to see
    hidden = [line for line in _secrets("hidden test") if len(line) > 12 and line not in public and line not in own]
    assert hidden
    shown = [line for line in hidden if line in text]
    assert not shown, f"feedback of {student} shows hidden test code: {shown[:3]}"


def test_feedback_shows_no_solution_code_to_others(feedback):
    # a test's message may name a fix in code words ("... and return derivative"): that is public
    public = "\n".join(cell.source for path in ROOT.glob(f"release/{ASSIGNMENTS[0]}/*.ipynb")
                       for cell in nbformat.read(path, as_version=4).cells)
    solutions = [line for line in _secrets("solution") if len(line) > 12 and line not in public]
    assert not [line for line in solutions if line in feedback["text"]["blank"]]
