"""Generate release/ from source/ with nbgrader (solutions and hidden tests stripped)."""
import shutil
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
        # nbgrader merges into an existing folder: start clean so removed files disappear.
        shutil.rmtree(Path(root) / "release" / name, ignore_errors=True)
        result = api.generate_assignment(name, force=True, create=True)
        if not result["success"]:
            raise RuntimeError(f"nbgrader could not generate {name}:\n{result['log']}\n{result.get('error', '')}")
    return names


def add_arguments(parser):
    parser.add_argument("assignments", nargs="*", help="assignment names (default: all in source/)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    known = source_assignments(args.root)
    unknown = [a for a in args.assignments if a not in known]
    if unknown:
        print(f"error: not an assignment in {Path(args.root) / 'source'}: {', '.join(unknown)} "
              f"(known: {', '.join(known) or 'none'})", file=sys.stderr)
        return 2
    for name in build(args.assignments, args.root):
        print(f"released {name} -> {Path(args.root) / 'release' / name}/")
