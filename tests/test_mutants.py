"""Every mutant is caught by its own exercise's test alone, whose message names its mistake; every
correct variant gets full marks."""
import importlib
import pkgutil

import pytest

import mutants
from course.grading.mistakes import mistakes_in
from mutant_feedback import ASSIGNMENTS as NAMED, MISTAKE_WORDS
from nbgrade import grade_submissions, replace_solution, source_notebook

SUITES = [importlib.import_module(f"mutants.{m.name}") for m in pkgutil.iter_modules(mutants.__path__)]


def _entries(suite):
    return [(f"wrong-{i}", e) for i, e in enumerate(suite.WRONG)] + \
           [(f"right-{i}", e) for i, e in enumerate(suite.RIGHT)]


SUITE_BY_ASSIGNMENT = {suite.ASSIGNMENT: suite for suite in SUITES}
_graded = {}


def _grade(assignment):
    """Scores and failure messages of every entry of one suite, graded on first use (so -k grades
    only what it selects)."""
    if assignment not in _graded:
        suite = SUITE_BY_ASSIGNMENT[assignment]
        source = source_notebook(assignment)
        notebooks = {key: replace_solution(source, e.function, e.code) for key, e in _entries(suite)}
        _graded[assignment] = grade_submissions(assignment, notebooks, errors=True)
    return _graded[assignment]


def graded(assignment):
    return _grade(assignment)[0]


def messages(assignment):
    return _grade(assignment)[1]


def _cases(kind):
    return [pytest.param(suite.ASSIGNMENT, key, entry, id=f"{suite.ASSIGNMENT}:{entry.function}:{entry.label}")
            for suite in SUITES for key, entry in _entries(suite) if isinstance(entry, kind)]


@pytest.mark.parametrize("assignment,key,entry", _cases(mutants.Wrong))
def test_wrong_implementation_loses_points(assignment, key, entry):
    scores = graded(assignment)[key]
    assert scores is not None, "grading failed instead of scoring the mutant"
    score, max_score = scores[f"test_{entry.function}"]
    assert score < max_score, f"mutant '{entry.label}' of {entry.function} got full marks"
    elsewhere = {cell: s for cell, s in scores.items() if cell != f"test_{entry.function}" and s[0] < s[1]}
    if assignment in NAMED:  # each mistake costs points once (a suite joins NAMED once it holds)
        assert not elsewhere, f"mutant '{entry.label}' of {entry.function} also lost points in {elsewhere}"


@pytest.mark.parametrize("assignment,key,entry", [c for c in _cases(mutants.Wrong) if c.values[0] in NAMED])
def test_wrong_implementation_feedback_names_its_mistake(assignment, key, entry):
    said = messages(assignment)[key]
    assert said is not None, "grading failed instead of scoring the mutant"
    ename, evalue = said[f"test_{entry.function}"]
    words = MISTAKE_WORDS[entry.function, entry.label]
    assert words in evalue and words in mistakes_in(ename, evalue), (
        f"the feedback on mutant '{entry.label}' of {entry.function} should name '{words}', it says: {evalue}")
    assert len(evalue.splitlines()) <= 2 or evalue.startswith(tuple("123456789")), \
        f"a failure takes one or two lines (a list of failed cases, one or two each): {evalue}"


def test_every_mutant_has_its_words_in_the_table():
    wrong = {(e.function, e.label) for suite in SUITES if suite.ASSIGNMENT in NAMED for e in suite.WRONG}
    assert wrong == set(MISTAKE_WORDS), (f"missing from tests/mutant_feedback.py: {sorted(wrong - set(MISTAKE_WORDS))}; "
                                         f"no such mutant: {sorted(set(MISTAKE_WORDS) - wrong)}")


@pytest.mark.parametrize("assignment,key,entry", _cases(mutants.Right))
def test_correct_variant_gets_full_marks(assignment, key, entry):
    scores = graded(assignment)[key]
    assert scores is not None, "grading failed"
    lost = {cell: s for cell, s in scores.items() if s[0] < s[1]}
    assert not lost, f"correct variant '{entry.label}' of {entry.function} lost points: {lost}"
