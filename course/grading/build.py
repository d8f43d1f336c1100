"""Generate release/ from source/ with nbgrader (solutions and hidden tests stripped), and time the
instructor's notebooks for the grader's time limits (autograded/reference_timings.json).

Each source notebook is graded once as a submission would be (sandboxed kernel when bubblewrap
works, trusted runner, NBGRADER_EXECUTION set); the seconds of every cell give grading its time
limits (see course.grading.timings and the README). `course grade` times notebooks that changed
since, on first use.
"""
import shutil
import subprocess
import sys
from pathlib import Path

from .nbapi import ROOT, nbgrader_api


def source_assignments(root=ROOT):
    """Names of the assignments under source/, in order."""
    source = Path(root) / "source"
    if not source.is_dir():
        return []
    return sorted(p.name for p in source.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def build(assignments=None, root=ROOT):
    """Regenerate release/<assignment>/ for each assignment (all by default); returns the names."""
    api = nbgrader_api(root)
    names = list(assignments or source_assignments(root))
    for name in names:
        # nbgrader merges into an existing folder: start clean so removed files disappear, but keep
        # the old release until the new one exists.
        release = Path(root) / "release" / name
        previous = release.with_name(f".{name}.previous")
        shutil.rmtree(previous, ignore_errors=True)
        if release.exists():
            release.rename(previous)
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            shutil.rmtree(release, ignore_errors=True)
            if previous.exists():
                previous.rename(release)
            raise BuildFailed(_why_not_generated(name, result, root))
        shutil.rmtree(previous, ignore_errors=True)
        _put_in_gradebook_state(root, name)
    return names


class BuildFailed(RuntimeError):
    """nbgrader could not generate an assignment; the message says why in plain words."""


def _why_not_generated(name, result, root):
    log = f"{result['log']}\n{result.get('error', '')}"
    if "because there are submissions associated with it" in log:
        return (f"{name} was not released: the gradebook already has submissions of {name}, and nbgrader "
                f"cannot add or remove graded cells of an assignment that has submissions. The release in "
                f"{Path(root) / 'release' / name} is unchanged. Keep the graded cells as they were, or, if "
                f"the submissions may go (a new term, a demo class), remove them first: "
                f"nbgrader db assignment remove {name} --force")
    return f"nbgrader could not generate {name}; the release is unchanged:\n{log}"


def _put_in_gradebook_state(root, name):
    """nbgrader's generate_assignment put this version of the assignment in the gradebook:
    say so in grading_state.json, so that `course grade` does not generate it again."""
    from .grade import _digest, _load_state, _write_json, STATE_FILE

    state = _load_state(root)
    state["assignments"][name] = {"digest": _digest(Path(root) / "source" / name)}
    _write_json(Path(root) / "autograded" / STATE_FILE, state)


def record_timings(assignments=None, root=ROOT, sandbox=None, log=print):
    """Time the source notebooks of ``assignments`` (all by default) for the time limits."""
    from .timings import measure

    return measure(root, list(assignments or source_assignments(root)), sandbox=sandbox, log=log)


def record_timings_in_child(assignments, root, sandbox):
    """``record_timings`` in a fresh process (kernels and their sockets stay out of the caller,
    which may fork workers afterwards); returns the child's printed lines."""
    command = [sys.executable, "-m", "course", "build", "--timings-only", "--root", str(root),
               "--sandbox" if sandbox else "--no-sandbox", *assignments]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"timing the instructor's notebooks failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def add_arguments(parser):
    parser.add_argument("assignments", nargs="*", help="assignment names (default: all in source/)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")
    parser.add_argument("--no-timings", dest="timings", action="store_false",
                        help="do not time the instructor's notebooks (grading then times them on first use)")
    parser.add_argument("--timings-only", action="store_true", help="only time the instructor's notebooks")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--sandbox", dest="sandbox", action="store_true", default=None,
                       help="time under bubblewrap (default: when it works here)")
    group.add_argument("--no-sandbox", dest="sandbox", action="store_false", help="time without bubblewrap")


def run(args):
    known = source_assignments(args.root)
    unknown = [a for a in args.assignments if a not in known]
    if unknown:
        print(f"error: not an assignment in {Path(args.root) / 'source'}: {', '.join(unknown)} "
              f"(known: {', '.join(known) or 'none'})", file=sys.stderr)
        return 2
    if not args.timings_only:
        try:
            for name in build(args.assignments, args.root):
                print(f"released {name} -> {Path(args.root) / 'release' / name}/")
        except BuildFailed as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    if args.timings or args.timings_only:
        record_timings(args.assignments, root=args.root, sandbox=args.sandbox)
