"""Run the whole pipeline on a simulated class (what `make demo` runs): build, demo, grade, feedback, export, report.

Each run starts from a clean slate: the previous demo class, its autograded notebooks, feedback,
report, the grade exports and the SQLite gradebook are removed, then a new class is generated (the same
one for the same ``--seed`` and ``--students``). A course whose submitted/ folder or gradebook holds
submissions that the demo did not make is left alone unless ``--force``.

The demo grades with a cell time limit of ``--timeout`` seconds (20 by default, instead of the
course's 60) so that the class's infinite loop is stopped quickly; nothing else differs from
``python -m course grade``. Without bubblewrap it grades without the sandbox and says so: the
demo's submissions are generated here, not written by students.
"""
import shutil
import sys
import time
from pathlib import Path

from . import demo, export, feedback, report
from .build import build
from .nbapi import ROOT, nbgrader_api

DEMO_TIMEOUT = 20


class NotADemoCourse(RuntimeError):
    """The course holds real submissions or grades."""


def _gradebook_has_submissions(root):
    db = Path(root) / "gradebook.db"
    if not db.exists():
        return False
    with nbgrader_api(root).gradebook as gb:
        return any(a.submissions for a in gb.assignments)


def reset(root=ROOT, force=False):
    """Remove the outputs of a previous demo run (refuses on a real class unless ``force``)."""
    root = Path(root)
    submitted = root / "submitted"
    real_submissions = submitted.exists() and any(submitted.iterdir()) and not demo.is_demo_class(root)
    real_grades = not demo.is_demo_class(root) and _gradebook_has_submissions(root)
    if (real_submissions or real_grades) and not force:
        what = "submitted/" if real_submissions else "gradebook.db"
        raise NotADemoCourse(f"{root / what} holds submissions that the demo did not make; "
                             "the demo would replace them (use --force if that is what you want)")
    for folder in (submitted, root / "feedback", root / "reports"):
        shutil.rmtree(folder, ignore_errors=True)
    autograded = root / "autograded"
    if autograded.is_dir():
        for entry in autograded.iterdir():
            if entry.name == "README.md":
                continue
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for name in ("grades_by_student.csv", "grades_canvas.csv", "gradebook.db", "gradebook.db-journal", "gradebook.db-wal", "gradebook.db-shm"):
        (root / name).unlink(missing_ok=True)


def _grade(root, workers, timeout, log):
    from . import grade as grade_module
    from .sandbox import SandboxUnavailable

    overrides = {"ExecutePreprocessor": {"timeout": timeout}}
    try:
        return grade_module.grade(root, workers=workers, overrides=overrides, sandbox=True)
    except grade_module.GradingError as error:
        if not isinstance(error.__cause__, SandboxUnavailable):
            raise
        log(f"note: no sandbox here ({error.__cause__}); the demo's own submissions are graded without it")
        return grade_module.grade(root, workers=workers, overrides=overrides, sandbox=False, log=lambda m: None)


def demo_all(root=ROOT, students=12, seed=0, workers=None, timeout=DEMO_TIMEOUT, force=False, log=print):
    """The whole pipeline; returns ``{step: seconds}`` and the paths of the results."""
    root = Path(root)
    seconds, paths = {}, {}

    def step(name):
        seconds[name] = time.perf_counter()
        log(f"== {name}")

    def done(name):
        seconds[name] = time.perf_counter() - seconds[name]

    reset(root, force)
    step("build")
    for name in build(root=root):
        log(f"released {name} -> {root / 'release' / name}/")
    done("build")

    step("demo")
    outcomes = demo.make_class(root, students=students, seed=seed, force=True)
    for line in demo.summary(outcomes):
        log(line)
    done("demo")

    step("grade")
    summary = _grade(root, workers, timeout, log)
    log(f"graded {summary['graded']}, failed {summary['failed']} of {summary['total']} submissions")
    for entry in summary["failures"]:
        log(f"  {entry['assignment']}/{entry['student']}: {entry['status']}, {entry['reason']}")
    done("grade")

    step("feedback")
    results = feedback.generate(root, workers=workers)
    for assignment, student, ok, log_text in results:
        if not ok:
            log(f"  no feedback for {student}/{assignment}: {(log_text.strip().splitlines() or [''])[-1]}")
    log(f"feedback for {sum(r[2] for r in results)} submissions")
    done("feedback")

    step("export")
    paths["grades"], _ = export.export(root)
    done("export")

    step("report")
    paths["report"], rep = report.build_report(root)
    done("report")

    paths["submitted"] = root / "submitted"
    paths["autograded"] = root / "autograded"
    paths["feedback"] = root / "feedback"
    paths["gradebook"] = root / "gradebook.db"
    paths["failures"] = root / "autograded" / "failures.json"
    return seconds, paths


def add_arguments(parser):
    parser.add_argument("--students", type=int, default=12, metavar="N", help="class size (default: 12)")
    parser.add_argument("--seed", type=int, default=0, metavar="S", help="random seed of the class (default: 0)")
    parser.add_argument("--workers", type=int, default=None, metavar="N", help="grading processes (default: number of cores)")
    parser.add_argument("--timeout", type=int, default=DEMO_TIMEOUT, metavar="SECONDS",
                        help=f"cell time limit in seconds while grading the demo (default: {DEMO_TIMEOUT})")
    parser.add_argument("--force", action="store_true", help="replace a class that the demo did not make")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    started = time.perf_counter()
    try:
        seconds, paths = demo_all(args.root, args.students, args.seed, args.workers, args.timeout, args.force)
    except (NotADemoCourse, demo.RealClassPresent) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    total = time.perf_counter() - started
    print()
    print(f"done in {total:.0f} s (" + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + ")")
    print("results:")
    print(f"  report           {paths['report']}")
    print(f"  grades (CSV)     {paths['grades']}")
    print(f"  feedback (HTML)  {paths['feedback']}/<student>/<assignment>/")
    print(f"  graded notebooks {paths['autograded']}/<student>/<assignment>/")
    print(f"  failures         {paths['failures']}")
    print(f"  gradebook        {paths['gradebook']}")
    print(f"  the demo class   {paths['submitted']}/")
    return 0
