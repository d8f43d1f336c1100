"""Tamper resistance of autograding: the grader's own preprocessors around nbgrader's Execute.

Student code runs in the same kernel as the hidden tests, so a submission can rebind what the
tests rely on (``np.allclose = lambda *a, **k: True``, ``builtins.abs``, a course.gradcheck
function, the ``assert_close`` imported by the setup cell) or alter the kernel so that a test
cell's failure is swallowed. Three preprocessors, added to ``Autograde.autograde_preprocessors``
by ``course.grading.sandbox.grading_overrides``:

``RestoreOrder`` (before execution)
    puts the read-only, solution and test cells back in the order of the source notebook (a
    student may have moved them); the student's own extra cells follow the cell they followed.

``InjectGuard`` (before execution)
    adds a hidden first cell that, before any student code runs, captures the objects the tests
    rely on (NumPy's and course/'s module attributes, builtins, IPython's input transformers)
    under a name drawn at random for this run; a hidden cell after each read-only code cell pins
    the names it defined (``np``, ``assert_close``); every test cell gets a first line that
    verifies nothing was rebound and a last line that verifies again and publishes a proof of
    completion (an HMAC of a per-cell nonce with a per-run secret). Rebinding raises
    ``AssertionError("tampering detected: numpy.allclose was rebound")``.

``CheckGuard`` (after execution)
    removes the injected cells and lines again (the graded notebook and its feedback show the
    original tests), and gives 0 to a test cell that ended without an error but without a valid
    proof: its code did not run to the end as written ("tampering detected: ..."). A capture
    cell that failed stops the submission (the grader, not the student, is broken).

``DropStrippedMetadata`` (sanitize phase, after nbgrader's DeduplicateIds)
    a duplicated test cell keeps its metadata once; nbgrader leaves ``nbgrader: {}`` on the
    copies, on which its OverwriteCells (add_missing_cells) crashes: the copies become plain
    cells and the original test runs as it should.

Limits: everything here runs in the student's process. A submission written specifically to
find the randomly named guard in memory and neuter it (and forge its HMAC) is not stopped by
this; it is stopped from *reading* the answers by the sandbox (course/grading/sandbox.py).
"""
import ast
import hashlib
import hmac
import json
import os
import secrets
import string

import nbformat
from nbformat.v4 import new_code_cell, new_output
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Unicode

MIMETYPE = "application/vnd.course.guard+json"
META = "course_guard"
TAMPERING = "tampering detected"

# Modules whose attributes the tests rely on: every loaded module whose name is one of these
# or starts with one of them followed by a dot.
WATCHED = ("numpy", "course", "math", "builtins", "operator", "functools", "copy", "warnings",
           "itertools", "cmath", "random", "statistics")


def _random_name(rng, prefix="_"):
    letters = string.ascii_letters
    return prefix + "".join(rng.choice(letters) for _ in range(14))


# ---------------------------------------------------------------- code that runs in the kernel

# Placeholders: NAME (the guard's variable), MAKER (a throwaway function name), SECRET,
# WATCHED, MIMETYPE. Written with captured references only: nothing here calls through a
# name the student could rebind after this cell ran.
_CAPTURE = r'''
def MAKER(secret, watched, mimetype):
    import builtins, sys, hmac, hashlib, types
    import numpy, numpy.testing, numpy.linalg, numpy.random, math
    import course, course.gradcheck
    from IPython import get_ipython
    from IPython.display import publish_display_data

    _id, _type, _isinstance, _callable, _len, _sorted = id, type, isinstance, callable, len, sorted
    _list, _tuple, _dict, _str, _repr, _getattr = list, tuple, dict, str, repr, getattr
    _AssertionError, _ModuleType, _FunctionType = AssertionError, types.ModuleType, types.FunctionType
    _new_hmac, _sha256 = hmac.new, hashlib.sha256
    _gettrace, _getprofile = sys.gettrace, sys.getprofile
    _publish = publish_display_data
    _modules_dict = sys.modules
    _sys_dict = sys.__dict__
    _numbers = (int, float, complex, bool)
    _missing = object()
    # set by IPython or ipykernel for every execution
    _skip_builtins = {"exit", "quit", "get_ipython", "display", "help", "copyright", "credits", "input", "raw_input",
                      "license", "_", "__", "___"}
    shell = get_ipython()
    shell_dict = shell.__dict__
    watched_modules = {}
    pins = {}
    user_ns = shell.user_ns

    def _transformers():
        return (_tuple(shell.input_transformers_cleanup), _tuple(shell.input_transformers_post),
                _tuple(shell.ast_transformers), shell.__dict__.get("run_cell", _missing),
                shell.__dict__.get("run_cell_async", _missing), shell.__dict__.get("run_code", _missing),
                shell.__dict__.get("run_ast_nodes", _missing), shell.__dict__.get("showtraceback", _missing),
                shell.__dict__.get("transform_cell", _missing), shell.__dict__.get("compile", _missing),
                shell.compile, _tuple(shell.custom_exceptions), _type(shell))

    baseline = _transformers()

    def _keep(name, value, builtin):
        if builtin:
            if name in _skip_builtins or (name[:1] == "_" and name not in ("__import__", "__build_class__")):
                return False
        elif name[:2] == "__":
            return False
        return _callable(value) or _isinstance(value, _ModuleType) or _type(value) in _numbers

    def _watch_loaded():
        for mname, module in _list(_modules_dict.items()):
            if mname in watched_modules or module is None:
                continue
            if not (mname in watched or any(mname.startswith(w + ".") for w in watched)):
                continue
            snap = {k: v for k, v in _list(module.__dict__.items()) if _keep(k, v, mname == "builtins")}
            classes = {}
            if mname == "course" or mname.startswith("course."):
                for k, v in snap.items():
                    if _isinstance(v, _type) and _getattr(v, "__module__", "") == mname:
                        classes[k] = (v, {a: f for a, f in _list(v.__dict__.items()) if _isinstance(f, _FunctionType)})
            watched_modules[mname] = (module, _type(module), snap, classes)

    def _problems():
        found = []
        if _sys_dict.get("modules") is not _modules_dict:
            found.append("sys.modules was replaced")
        if _gettrace() is not None:
            found.append("a trace function (sys.settrace) is installed")
        if _getprofile() is not None:
            found.append("a profile function (sys.setprofile) is installed")
        if _transformers() != baseline:
            found.append("IPython's cell execution was altered (input transformers or shell methods)")
        for mname, (module, mtype, snap, classes) in watched_modules.items():
            if _modules_dict.get(mname, module) is not module:
                found.append(mname + " in sys.modules was replaced")
            if _type(module) is not mtype:
                found.append(mname + " was given another class")
            attrs = module.__dict__
            for k, v in snap.items():
                if attrs.get(k, _missing) is not v:
                    found.append(mname + "." + k + " was rebound")
            for cname, (cls, methods) in classes.items():
                for a, f in methods.items():
                    if cls.__dict__.get(a, _missing) is not f:
                        found.append(mname + "." + cname + "." + a + " was rebound")
        for k, v in pins.items():
            if user_ns.get(k, _missing) is not v:
                found.append("the name `" + k + "` of a read-only cell was rebound")
        return found

    def check():
        found = _problems()
        if found:
            more = "" if _len(found) <= 3 else " (and " + _str(_len(found) - 3) + " more)"
            raise _AssertionError("tampering detected: " + "; ".join(found[:3]) + more)

    def pin(names, strict=False):
        # a read-only cell's modules and imported functions; everything callable a test cell
        # defines (a student's own function may reuse the name of a demo function)
        _watch_loaded()
        for k in names:
            if k in user_ns:
                v = user_ns[k]
                if _isinstance(v, _ModuleType) or (_callable(v) and (
                        strict or _getattr(v, "__module__", "__main__") != "__main__")):
                    pins[k] = v

    def done(nonce, names=()):
        check()
        pin(names)
        proof = _new_hmac(secret, nonce.encode(), _sha256).hexdigest()
        _publish({mimetype: {"nonce": nonce, "proof": proof}})

    _watch_loaded()

    class Guard:
        __slots__ = ()
    g = Guard()
    Guard.check = staticmethod(check)
    Guard.pin = staticmethod(pin)
    Guard.done = staticmethod(done)
    return g

NAME = MAKER(SECRET, WATCHED, MIMETYPE)
del MAKER
'''


def _python(source):
    """A cell's code as plain Python (IPython turns ``%magic`` lines into calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:
        return source


def _bound_names(source):
    """Top-level names a cell binds (imports, assignments, defs, classes)."""
    try:
        tree = ast.parse(_python(source))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                if alias.name != "*":
                    names.append((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for sub in ast.walk(target):
                    if isinstance(sub, ast.Name):
                        names.append(sub.id)
    return list(dict.fromkeys(names))


def _wrap_test(source, guard, nonce, names):
    """The test cell's code between the guard's first and last line; a final expression
    (nbgrader's partial credit) stays the cell's value."""
    first = f"{guard}.check()\n"
    last = f"{guard}.done({nonce!r}, {tuple(names)!r})"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return first + source + "\n" + last + "\n"
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        expr = tree.body[-1]
        lines = source.splitlines(keepends=True)
        start = sum(len(line) for line in lines[:expr.lineno - 1]) + expr.col_offset
        end = sum(len(line) for line in lines[:expr.end_lineno - 1]) + expr.end_col_offset
        value = "_" + nonce
        return (first + source[:start] + f"{value} = (" + source[start:end] + ")" + source[end:]
                + f"\n{last}\n{value}\n")
    return first + source + "\n" + last + "\n"


class InjectGuard(NbGraderPreprocessor):
    """Adds the hidden capture cell, the pin cells and each test cell's first and last line."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        rng = secrets.SystemRandom()
        guard = _random_name(rng)
        secret = secrets.token_bytes(32)
        resources.setdefault("course_guard", {})
        state = resources["course_guard"]
        state.update(name=guard, secret=secret.hex(), cells={})

        capture = (_CAPTURE.replace("MAKER", _random_name(rng)).replace("NAME", guard)
                   .replace("SECRET", repr(secret)).replace("WATCHED", repr(WATCHED))
                   .replace("MIMETYPE", repr(MIMETYPE)))
        cells = [self._hidden(capture, "capture")]
        for cell in nb.cells:
            if cell.cell_type != "code":
                cells.append(cell)
                continue
            if utils.is_grade(cell) and not cell.source.lstrip().startswith("%%"):
                nonce = secrets.token_hex(12)
                grade_id = cell.metadata.nbgrader["grade_id"]
                state["cells"][nonce] = {"grade_id": grade_id, "source": cell.source}
                cell.metadata[META] = nonce
                cell.source = _wrap_test(cell.source, guard, nonce, _bound_names(cell.source))
                cells.append(cell)
            elif utils.is_locked(cell) and not utils.is_solution(cell):
                cells.append(cell)
                names = _bound_names(cell.source)
                if names:
                    cells.append(self._hidden(f"{guard}.pin({tuple(names)!r})", "pin"))
            else:
                cells.append(cell)
        nb.cells = cells
        return nb, resources

    @staticmethod
    def _hidden(source, kind):
        cell = new_code_cell(source)
        cell.metadata[META] = kind
        return cell


class GuardFailed(RuntimeError):
    """The grader's own capture cell failed: grading this submission would be unfair."""


class CheckGuard(NbGraderPreprocessor):
    """Verifies the proofs, scores unproven test cells 0, removes everything InjectGuard added."""

    enabled = Bool(True).tag(config=True)

    def preprocess(self, nb, resources):
        state = resources.get("course_guard")
        if not state:
            return nb, resources
        secret = bytes.fromhex(state["secret"])
        cells = []
        for cell in nb.cells:
            kind = cell.metadata.get(META)
            if kind == "capture":
                errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
                if errors:
                    raise GuardFailed("the grader's tamper guard could not start: "
                                      f"{errors[0].ename}: {errors[0].evalue}")
                continue
            if kind == "pin":
                continue
            if isinstance(kind, str) and kind in state["cells"]:
                self._verify(cell, kind, state["cells"][kind], secret)
                del cell.metadata[META]
            cells.append(cell)
        nb.cells = cells
        return nb, resources

    def _verify(self, cell, nonce, info, secret):
        cell.source = info["source"]
        expected = hmac.new(secret, nonce.encode(), hashlib.sha256).hexdigest()
        proven = False
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data", {}) if output.output_type in ("display_data", "execute_result") else {}
            if MIMETYPE in data:
                payload = data[MIMETYPE]
                if isinstance(payload, str):
                    try:
                        payload = json.loads(payload)
                    except ValueError:
                        payload = {}
                if (isinstance(payload, dict) and payload.get("nonce") == nonce
                        and hmac.compare_digest(str(payload.get("proof", "")), expected)):
                    proven = True
                continue  # never shown, never scored
            outputs.append(output)
        failed = any(o.output_type == "error" for o in outputs)
        if not failed and not proven:
            outputs.append(new_output(
                "error", ename="AssertionError",
                evalue=f"{TAMPERING}: this test cell did not run to its end as written "
                       "(the notebook's execution was altered)",
                traceback=[f"AssertionError: {TAMPERING}: this test cell did not run to its end as written"]))
            self.log.warning("%s in test cell %s", TAMPERING, info["grade_id"])
        for output in outputs:
            if output.output_type == "error" and TAMPERING in str(output.get("evalue", "")):
                self.log.warning("%s in test cell %s: %s", TAMPERING, info["grade_id"], output.evalue)
        cell.outputs = outputs


class RestoreOrder(NbGraderPreprocessor):
    """Read-only, solution and test cells in the source notebook's order; a student's own
    cells stay after the cell they followed."""

    enabled = Bool(True).tag(config=True)
    source_directory = Unicode("", help="default: CourseDirectory.root/source").tag(config=True)

    def _source_path(self, resources):
        info = resources.get("nbgrader", {})
        root = self.config.CourseDirectory.get("root", os.getcwd())
        source = self.source_directory or os.path.join(
            root, self.config.CourseDirectory.get("source_directory", "source"))
        return os.path.join(source, info.get("assignment", ""), info.get("notebook", "") + ".ipynb")

    def preprocess(self, nb, resources):
        path = self._source_path(resources)
        if not os.path.exists(path):
            self.log.warning("RestoreOrder: no source notebook at %s; order left as submitted", path)
            return nb, resources
        order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nbformat.read(path, as_version=4).cells]
        rank = {grade_id: i for i, grade_id in enumerate(order) if grade_id}
        head, groups = [], {}
        current = None
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if grade_id in rank and grade_id not in groups:
                current = grade_id
                groups[current] = [cell]
            elif current is None:
                head.append(cell)
            else:
                groups[current].append(cell)
        if [g for g in groups] != sorted(groups, key=rank.get):
            self.log.warning("cells were moved; restored the source notebook's order")
        cells = list(head)
        for grade_id in sorted(groups, key=rank.get):
            cells.extend(groups[grade_id])
        nb.cells = cells
        return nb, resources


class DropStrippedMetadata(NbGraderPreprocessor):
    """Removes the empty ``nbgrader`` metadata that DeduplicateIds leaves on a duplicated cell.

    Without this, nbgrader 0.9.6's OverwriteCells (with add_missing_cells) fails on the
    duplicate with ``KeyError: 'grade_id'`` and the whole submission is not graded.
    """

    enabled = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is not None and "grade_id" not in meta:
            del cell.metadata["nbgrader"]
        return cell, resources


def sanitize_preprocessors():
    """nbgrader's sanitize preprocessors (import strings) with ``DropStrippedMetadata``."""
    nb = "nbgrader.preprocessors."
    return [nb + "ClearOutput", nb + "DeduplicateIds", __name__ + ".DropStrippedMetadata",
            nb + "OverwriteKernelspec", nb + "OverwriteCells", nb + "CheckCellMetadata"]


def autograde_preprocessors(execute):
    """nbgrader's autograde preprocessors (as import strings, so the configuration stays plain
    JSON) with ``execute`` (an import string) instead of its Execute, and the guard around it."""
    nb = "nbgrader.preprocessors."
    here = __name__ + "."
    return [here + "RestoreOrder", here + "InjectGuard", execute, here + "CheckGuard",
            nb + "IgnorePattern", "nbconvert.preprocessors.ClearMetadataPreprocessor",
            nb + "LimitOutput", nb + "SaveAutoGrades", nb + "AssignLatePenalties", nb + "CheckCellMetadata"]
