"""release/ is exactly what source/ generates, and both grade as they should."""
import nbformat
import pytest

from course.grading.build import source_assignments
from course.grading.nbapi import ROOT
from nbgrade import grade_submissions, release_notebook, source_notebook

ASSIGNMENTS = source_assignments()


def test_every_assignment_is_released():
    released = sorted(p.name for p in (ROOT / "release").iterdir() if p.is_dir())
    assert released == ASSIGNMENTS, "run `make release` and commit release/"


def _files(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_what_source_generates(generated_release, assignment):
    committed, fresh = ROOT / "release" / assignment, generated_release / assignment
    assert _files(committed) == _files(fresh), "release/ has other files than source/ generates"
    for name in _files(fresh):
        if name.suffix == ".ipynb":
            ours = nbformat.read(committed / name, as_version=4)
            theirs = nbformat.read(fresh / name, as_version=4)
            assert ours == theirs, f"release/{assignment}/{name} differs from source: run `make release`"
        else:
            assert (committed / name).read_bytes() == (fresh / name).read_bytes()


@pytest.fixture(scope="module")
def round_trip():
    return {a: grade_submissions(a, {"solved": source_notebook(a), "untouched": release_notebook(a)})
            for a in ASSIGNMENTS}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_solutions_score_full_marks(round_trip, assignment):
    scores = round_trip[assignment]["solved"]
    assert scores, "grading the source notebook failed"
    lost = {cell: s for cell, s in scores.items() if s[0] != s[1]}
    assert not lost, f"the solutions lose points in {lost}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_untouched_release_scores_zero(round_trip, assignment):
    scores = round_trip[assignment]["untouched"]
    assert scores, "grading the untouched release failed instead of scoring 0"
    assert sum(s for s, _ in scores.values()) == 0
    assert sum(m for _, m in scores.values()) >= 20, "every assignment is worth at least 20 points"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_test_cells_let_run_all_go_on(assignment):
    """A failing test cell must not stop JupyterLab's Run All: it carries the raises-exception tag."""
    nb = release_notebook(assignment)
    untagged = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
                and "raises-exception" not in c.metadata.get("tags", [])]
    assert not untagged, f"test cells without the 'raises-exception' tag in source/ cell metadata: {untagged}"
