"""Every mutant is caught by its exercise's tests; every correct variant gets full marks."""
import importlib
import pkgutil

import pytest

import mutants
from nbgrade import grade_submissions, replace_solution, source_notebook

SUITES = [importlib.import_module(f"mutants.{m.name}") for m in pkgutil.iter_modules(mutants.__path__)]


def _entries(suite):
    return [(f"wrong-{i}", e) for i, e in enumerate(suite.WRONG)] + \
           [(f"right-{i}", e) for i, e in enumerate(suite.RIGHT)]


SUITE_BY_ASSIGNMENT = {suite.ASSIGNMENT: suite for suite in SUITES}
_graded = {}


def graded(assignment):
    """Scores of every entry of one suite, graded on first use (so -k grades only what it selects)."""
    if assignment not in _graded:
        suite = SUITE_BY_ASSIGNMENT[assignment]
        source = source_notebook(assignment)
        notebooks = {key: replace_solution(source, e.function, e.code) for key, e in _entries(suite)}
        _graded[assignment] = grade_submissions(assignment, notebooks)
    return _graded[assignment]


def _cases(kind):
    return [pytest.param(suite.ASSIGNMENT, key, entry, id=f"{suite.ASSIGNMENT}:{entry.function}:{entry.label}")
            for suite in SUITES for key, entry in _entries(suite) if isinstance(entry, kind)]


@pytest.mark.parametrize("assignment,key,entry", _cases(mutants.Wrong))
def test_wrong_implementation_loses_points(assignment, key, entry):
    scores = graded(assignment)[key]
    assert scores is not None, "grading failed instead of scoring the mutant"
    score, max_score = scores[f"test_{entry.function}"]
    assert score < max_score, f"mutant '{entry.label}' of {entry.function} got full marks"


@pytest.mark.parametrize("assignment,key,entry", _cases(mutants.Right))
def test_correct_variant_gets_full_marks(assignment, key, entry):
    scores = graded(assignment)[key]
    assert scores is not None, "grading failed"
    lost = {cell: s for cell, s in scores.items() if s[0] < s[1]}
    assert not lost, f"correct variant '{entry.label}' of {entry.function} lost points: {lost}"
