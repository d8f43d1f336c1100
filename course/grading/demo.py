"""Make a simulated class in submitted/: a seeded mix of complete, blank, partly done, wrong and broken submissions.

Every student hands in every assignment of source/. A submission starts from the release notebook
(what students download) and has solutions filled in from the source notebook, matched by the
nbgrader ``grade_id`` of the solution cells. Outcomes:

- ``complete``: every solution filled in, the written questions answered too (in the model
  answer's words), so that they wait for manual grading as a real class's answers do.
- ``mistakes``: complete, but one or two functions replaced by typical wrong versions, the WRONG
  entries of the assignment's mutant suite (tests/mutants/mNN_*.py).
- ``partial``: the first few solutions filled in, the rest (and the written questions) left as released.
- ``blank``: the release notebook untouched.
- broken, one of each per class: ``kernel_crash`` (``os._exit`` in a solution cell),
  ``infinite_loop`` (a ``while`` loop that never ends in a solution cell), ``malformed_json``
  (a truncated notebook file) and ``missing_notebook`` (an empty folder or a misnamed notebook).

The class is the same for the same seed, size and source notebooks. It is recorded in
``submitted/.demo-class.json`` (a hidden file, which nbgrader does not see); a folder submitted/
without that file is a real class and is never replaced unless ``--force``.
"""
import importlib
import importlib.util
import json
import random
import re
import shutil
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from .build import build, source_assignments
from .nbapi import ROOT

NORMAL_KINDS = ("complete", "mistakes", "partial", "blank")
BROKEN_KINDS = ("kernel_crash", "infinite_loop", "malformed_json", "missing_notebook")
KINDS = NORMAL_KINDS + BROKEN_KINDS
# How often each kind of ordinary submission appears (after each has appeared once).
WEIGHTS = {"complete": 0.4, "mistakes": 0.3, "partial": 0.2, "blank": 0.1}
MARKER = ".demo-class.json"
MUTANTS_DIR = ROOT / "tests" / "mutants"
NAMES = ("ada", "bao", "chidi", "dana", "emil", "farah", "goran", "hana", "ines", "jonas", "kiri",
         "lucia", "malik", "noor", "oskar", "priya", "quinn", "rafael", "sana", "tomas", "uma",
         "vera", "wei", "ximena", "yusuf", "zara")
SOLUTION_MARK = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*$")
MODEL_ANSWER = "**Model answer.** "


class RealClassPresent(RuntimeError):
    """submitted/ holds submissions that the demo did not make."""


@dataclass(frozen=True)
class Outcome:
    kind: str
    detail: str = ""


# ------------------------------------------------------------------ inputs

def student_ids(n):
    """``n`` distinct, readable student ids."""
    return [NAMES[i % len(NAMES)] + (str(i // len(NAMES) + 1) if i >= len(NAMES) else "")
            for i in range(n)]


def load_mutants(mutants_dir=MUTANTS_DIR):
    """``{assignment: [Wrong, ...]}`` from the mutant suites, loaded by file path."""
    mutants_dir = Path(mutants_dir)
    init = mutants_dir / "__init__.py"
    if not init.exists():
        return {}
    package = sys.modules.get("mutants")
    if package is None or Path(getattr(package, "__file__", "") or "").resolve() != init.resolve():
        spec = importlib.util.spec_from_file_location("mutants", init, submodule_search_locations=[str(mutants_dir)])
        package = importlib.util.module_from_spec(spec)
        sys.modules["mutants"] = package
        spec.loader.exec_module(package)
    suites = {}
    for path in sorted(mutants_dir.glob("m[0-9][0-9]_*.py")):
        module = importlib.import_module(f"mutants.{path.stem}")
        suites.setdefault(module.ASSIGNMENT, []).extend(getattr(module, "WRONG", []))
    return suites


def _grade_id(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _is_solution(cell):
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def student_answer(source_cell_text):
    """A source solution as a student would have written it: without the solution markers (and a
    written answer without its "Model answer." label)."""
    text = "\n".join(line for line in source_cell_text.split("\n") if not SOLUTION_MARK.match(line))
    return text.replace(MODEL_ANSWER, "", 1)


class Assignment:
    """The release and source notebooks of one assignment, and what the demo can do with them."""

    def __init__(self, root, name, wrong=()):
        self.name = name
        self.release_dir = Path(root) / "release" / name
        self.notebooks = sorted(p.name for p in self.release_dir.glob("*.ipynb"))
        self.release = {nb: nbformat.read(self.release_dir / nb, as_version=4) for nb in self.notebooks}
        self.answers = {}  # grade_id -> the student's version of the source solution
        for nb in self.notebooks:
            source = nbformat.read(Path(root) / "source" / name / nb, as_version=4)
            self.answers.update({_grade_id(c): student_answer(c.source) for c in source.cells if _is_solution(c)})
        # solution cells in notebook order, as (notebook, grade_id)
        self.solutions = [(nb, _grade_id(c)) for nb in self.notebooks for c in self.release[nb].cells
                          if _is_solution(c) and c.cell_type == "code" and _grade_id(c) in self.answers]
        # the written questions' answer cells (markdown solutions, graded by hand)
        self.written = [_grade_id(c) for nb in self.notebooks for c in self.release[nb].cells
                        if _is_solution(c) and c.cell_type == "markdown" and _grade_id(c) in self.answers]
        ids = {gid for _, gid in self.solutions}
        self.wrong = [w for w in wrong if w.function in ids]

    def possible(self, kind):
        if not self.notebooks:
            return False
        if kind == "partial":
            return len(self.solutions) >= 2
        if kind == "mistakes":
            return bool(self.wrong)
        return bool(self.solutions) or kind in ("blank", "malformed_json", "missing_notebook")

    def notebooks_with(self, filled=None, replaced=None):
        """The release notebooks with the solutions ``filled`` (grade ids; by default every
        solution and written answer) filled in and ``replaced`` ({grade_id: code}) put in instead."""
        filled = {gid for _, gid in self.solutions} | set(self.written) if filled is None else set(filled)
        replaced = replaced or {}
        result = {}
        for name, release in self.release.items():
            nb = nbformat.from_dict(json.loads(json.dumps(release)))
            for cell in nb.cells:
                gid = _grade_id(cell)
                if not _is_solution(cell):
                    continue
                if gid in replaced:
                    cell.source = replaced[gid]
                elif gid in filled and gid in self.answers:
                    cell.source = self.answers[gid]
            result[name] = nb
        return result


# ------------------------------------------------------------------ the class

def plan_class(assignments, students, rng):
    """``{(student, assignment_name): kind}``: every kind at least once where the class is big
    enough, one submission of each broken kind, the rest drawn with WEIGHTS."""
    slots = [(s, a.name) for s in students for a in assignments]
    by_name = {a.name: a for a in assignments}
    plan = {}
    free = list(slots)
    rng.shuffle(free)
    n_broken = min(len(BROKEN_KINDS), max(0, len(slots) - len(NORMAL_KINDS)))
    for kind in NORMAL_KINDS + BROKEN_KINDS[:n_broken]:  # each kind once, where it can be made
        for slot in free:
            if by_name[slot[1]].possible(kind):
                plan[slot] = kind
                free.remove(slot)
                break
    for slot in sorted(free):
        kinds = [k for k in NORMAL_KINDS if by_name[slot[1]].possible(k)]
        plan[slot] = rng.choices(kinds, [WEIGHTS[k] for k in kinds])[0]
    return plan


def make_submission(assignment, kind, rng):
    """``(files, outcome)``: ``files`` maps file names to notebooks (or to text for a broken file)."""
    solutions = [gid for _, gid in assignment.solutions]
    if kind == "complete":
        return assignment.notebooks_with(), Outcome(kind)
    if kind == "blank":
        return assignment.notebooks_with(filled=()), Outcome(kind)
    if kind == "partial":
        k = rng.randint(1, len(solutions) - 1)
        return assignment.notebooks_with(filled=solutions[:k]), Outcome(kind, f"{k} of {len(solutions)} solutions")
    if kind == "mistakes":
        wrong = rng.sample(assignment.wrong, min(len(assignment.wrong), rng.choice((1, 1, 2))))
        wrong = list({w.function: w for w in wrong}.values())  # one mistake per function
        replaced = {w.function: w.code.strip("\n") for w in wrong}
        return assignment.notebooks_with(replaced=replaced), \
            Outcome(kind, "; ".join(f"{w.function}: {w.label}" for w in wrong))
    if kind == "kernel_crash":
        notebook, gid = rng.choice(assignment.solutions)
        code = assignment.answers[gid] + "\n\nimport os\nos._exit(1)  # leftover from debugging\n"
        return assignment.notebooks_with(replaced={gid: code}), Outcome(kind, f"os._exit in {gid}")
    if kind == "infinite_loop":
        notebook, gid = rng.choice(assignment.solutions)
        code = assignment.answers[gid] + "\n\n# try it on a few values\ni = 0\nwhile i < 3:\n    trial = i * 0.5\n"
        return assignment.notebooks_with(replaced={gid: code}), Outcome(kind, f"endless while loop in {gid}")
    files = assignment.notebooks_with()
    first = assignment.notebooks[0]
    if kind == "malformed_json":
        text = nbformat.writes(files[first])
        files[first] = text[: len(text) // 2]
        return files, Outcome(kind, f"{first} cut off halfway")
    if kind == "missing_notebook":
        notebook = files.pop(first)
        if rng.random() < 0.5:
            misnamed = Path(first).stem.capitalize() + " (1).ipynb"
            files[misnamed] = notebook
            return files, Outcome(kind, f"notebook saved as {misnamed!r}")
        return files, Outcome(kind, f"{first} not handed in")
    raise ValueError(f"unknown kind {kind!r}")


def _write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        if isinstance(content, str):
            (folder / name).write_text(content)
        else:
            nbformat.write(content, folder / name)


def is_demo_class(root=ROOT):
    return (Path(root) / "submitted" / MARKER).exists()


def make_class(root=ROOT, students=12, seed=0, force=False, mutants_dir=MUTANTS_DIR):
    """Replace submitted/ by a simulated class; returns ``{(student, assignment): Outcome}``.

    Refuses (``RealClassPresent``) when submitted/ exists and was not made by the demo, unless
    ``force``. Builds release/ for assignments that have none yet.
    """
    root = Path(root)
    submitted = root / "submitted"
    if submitted.exists() and any(submitted.iterdir()) and not is_demo_class(root) and not force:
        raise RealClassPresent(f"{submitted} holds submissions that the demo did not make; "
                               "use --force to replace them by a demo class")
    names = source_assignments(root)
    missing = [n for n in names if not any((root / "release" / n).glob("*.ipynb"))]
    if missing:
        build(missing, root=root)
    suites = load_mutants(mutants_dir)
    assignments = [Assignment(root, n, suites.get(n, ())) for n in names]
    rng = random.Random(f"course-demo:{seed}")
    ids = student_ids(students)
    plan = plan_class(assignments, ids, rng)

    shutil.rmtree(submitted, ignore_errors=True)
    submitted.mkdir(parents=True)
    outcomes = {}
    for student in ids:
        for assignment in assignments:
            kind = plan[student, assignment.name]
            files, outcome = make_submission(assignment, kind, rng)
            folder = submitted / student / assignment.name
            _write(folder, files)
            for extra in sorted(assignment.release_dir.iterdir()):  # data files travel with the notebook
                if extra.is_file() and extra.suffix != ".ipynb":
                    shutil.copy(extra, folder / extra.name)
            outcomes[student, assignment.name] = outcome
    record = {"seed": seed, "students": ids, "assignments": names,
              "outcomes": [{"student": s, "assignment": a, **asdict(o)} for (s, a), o in outcomes.items()]}
    (submitted / MARKER).write_text(json.dumps(record, indent=1) + "\n")
    return outcomes


def read_class(root=ROOT):
    """The outcomes recorded by the last ``make_class`` at ``root``, or ``{}``."""
    path = Path(root) / "submitted" / MARKER
    if not path.exists():
        return {}
    record = json.loads(path.read_text())
    return {(o["student"], o["assignment"]): Outcome(o["kind"], o["detail"]) for o in record["outcomes"]}


def summary(outcomes):
    """Lines describing a class: counts per kind and every broken submission."""
    counts = {k: sum(o.kind == k for o in outcomes.values()) for k in KINDS}
    students = sorted({s for s, _ in outcomes})
    assignments = sorted({a for _, a in outcomes})
    lines = [f"{len(students)} students x {len(assignments)} assignments = {len(outcomes)} submissions: "
             + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)]
    for (student, assignment), o in sorted(outcomes.items()):
        if o.kind in BROKEN_KINDS:
            lines.append(f"  {o.kind.replace('_', ' ')}: {student}/{assignment} ({o.detail})")
    return lines


def add_arguments(parser):
    parser.add_argument("--students", type=int, default=12, metavar="N", help="class size (default: 12)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed (default: 0)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")
    parser.add_argument("--force", action="store_true", help="replace a submitted/ that the demo did not make")


def run(args):
    try:
        outcomes = make_class(args.root, students=args.students, seed=args.seed, force=args.force)
    except RealClassPresent as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"demo class (seed {args.seed}) in {Path(args.root) / 'submitted'}/")
    for line in summary(outcomes):
        print(line)
    return 0
