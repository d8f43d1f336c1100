"""Feedback pages read offline: the maths is MathML written at feedback time (no MathJax, no CDN)
and the table of contents names each test by its exercise, whichever path wrote them: `python -m
course feedback` or nbgrader's own `nbgrader generate_feedback` (Formgrader's button goes through
the same converter; tests/browser/test_browser_instructor.py presses it)."""
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.grading import feedback, offline_feedback
from course.grading.grade import grade
from gradingclass import FIRST, submit, unfinished
from nbgrade import notebook_name
from test_instructor_tools import scratch_course


def test_render_math_converts_formulas_but_not_code():
    text = ("The slope $f'(a) = \\lim_{h \\to 0} \\frac{f(a+h) - f(a)}{h}$ costs $5 and $10.\n\n"
            "$$\\sigma(z) = \\frac{1}{1 + e^{-z}}$$\n\n"
            "Code: `price = $x$` and\n```python\ncost = '$a$'\n```\n")
    out = offline_feedback.render_math(text)
    assert out.count("<math") == 2 and 'display="block"' in out and 'display="inline"' in out
    assert "<mfrac>" in out and "\\frac" not in out
    assert "$5 and $10" in out, "dollar amounts are not maths"
    assert "`price = $x$`" in out and "cost = '$a$'" in out, "code is left alone"


def test_exercise_names_come_from_the_solution_and_the_section():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("## 3 · Activation functions\nText."),
        nbformat.v4.new_code_cell("def sigmoid(z):\n    pass"),
        nbformat.v4.new_code_cell("assert_close(sigmoid(0), 0.5)"),
    ])
    nb.cells[1].metadata["nbgrader"] = {"solution": True, "grade": False, "grade_id": "sigmoid"}
    nb.cells[2].metadata["nbgrader"] = {"solution": False, "grade": True, "grade_id": "test_sigmoid", "points": 1}
    assert offline_feedback.exercise_names(nb) == {"test_sigmoid": "sigmoid — 3 · Activation functions"}
    nb.cells[0].source = "### Exercise 3.1 · `sigmoid(z)` (1 point)"
    assert offline_feedback.exercise_names(nb) == {"test_sigmoid": "Exercise 3.1 · sigmoid(z) (1 point)"}


def test_a_written_answer_is_named_by_its_question():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("### Question 1.2 · why the central difference? (written, 2 points)\n\nWhy?"),
        nbformat.v4.new_markdown_cell("### Because\nThe error terms cancel."),
    ])
    nb.cells[1].metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "q_central", "points": 2}
    assert offline_feedback.exercise_names(nb) == {"q_central": "Question 1.2 · why the central difference?"}


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    course = scratch_course(tmp_path_factory.mktemp("offline"), [FIRST])
    submit(course, "chidi", FIRST, unfinished(FIRST))
    assert grade(course, assignments=[FIRST], workers=1, sandbox=False, progress=False)["graded"] == 1
    return course


def _course_feedback(course):
    results = feedback.generate(course, [FIRST], workers=1)
    assert [r[2] for r in results] == [True], results


def _nbgrader_generate_feedback(course):
    nbgrader = Path(sys.executable).with_name("nbgrader")
    done = subprocess.run([str(nbgrader), "generate_feedback", FIRST, "--force"], cwd=course,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module", params=[_course_feedback, _nbgrader_generate_feedback],
                ids=["course-feedback", "nbgrader-generate_feedback"])
def pages(request, graded_course):
    page = graded_course / "feedback" / "chidi" / FIRST / f"{notebook_name(FIRST)[:-6]}.html"
    page.unlink(missing_ok=True)
    request.param(graded_course)
    return graded_course, page.read_text()


def test_feedback_needs_no_network_for_maths(pages):
    course, text = pages
    assert not re.search(r"<script[^>]*mathjax|MathJax\.Hub|x-mathjax-config", text, re.I), "MathJax is loaded"
    assert not re.search(r"<script[^>]+src=\"https?:", text), "a script from the network"
    assert not re.search(r"<link[^>]+href=\"https?:", text), "a stylesheet from the network"
    assert text.count("<math") > 50
    source = nbformat.read(course / "source" / FIRST / notebook_name(FIRST), as_version=4)
    prose = "\n".join(c.source for c in source.cells if c.cell_type == "markdown")
    assert "\\frac" in prose and "\\frac" not in re.sub(r"<(script|style|pre)\b.*?</\1>", "", text, flags=re.S)


def test_table_of_contents_names_each_test_by_its_exercise(pages):
    course, text = pages
    toc = text.split('<div id="toc">', 1)[1].split("</div>", 1)[0]
    entries = re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc)
    source = nbformat.read(course / "source" / FIRST / notebook_name(FIRST), as_version=4)
    graded = [c.metadata["nbgrader"]["grade_id"] for c in source.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert [gid for gid, _ in entries] == graded  # the tests and the written answers, in order
    assert "Test cell" not in toc and "Written response" not in toc
    for gid, label in entries:
        if gid.startswith("test_"):
            assert gid.removeprefix("test_") in label and label.startswith("Exercise"), (gid, label)
        else:
            assert label.startswith("Question") and "points" not in label, (gid, label)
