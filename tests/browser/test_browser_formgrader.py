"""Formgrader in JupyterLab, as an instructor uses it, on a class graded with the course's commands.

The class is tests/gradingclass.py's ``graded_term`` (the roster of five; ada complete, bao blank,
chidi partly done, dora's notebook malformed), plus emil's notebook that kills its kernel, graded
with ``python -m course grade``. One JupyterLab serves the course folder (its nbgrader_config.py
and grader_config.py, as an instructor starts it); the tests go through nbgrader's menu into
Formgrader and click through its pages:

* Manage Students and Manual Grading show the students by name (never "None, None");
* both failed submissions are in Manual Grading with their 0, and their page says why;
* a score typed into a test cell of emil's failed submission is saved, and survives
  ``python -m course grade --force``;
* Formgrader's "Generate Feedback" writes the same offline pages as ``course feedback``: no
  script from the network, no MathJax, tests named by their exercise.
"""
import re
import shutil
import subprocess
import sys

import nbformat
import pytest
from playwright.sync_api import expect

from gradingclass import FIRST, graded_term, submit
from labdriver import LabServer, nbgrader_panel, timed
from nbgrade import notebook_name, source_notebook
from test_instructor_tools import scratch_course

NAMES = ["Lovelace, Ada", "Nguyen, Bao", "Anagonye, Chidi", "Márquez, Dora", "Post, Emil"]
NOTEBOOK = notebook_name(FIRST)[:-6]


def _course(*args, course):
    """``python -m course ARGS --root COURSE`` in a process of its own."""
    return subprocess.run([sys.executable, "-m", "course", *map(str, args), "--root", str(course)],
                          capture_output=True, text=True, timeout=600)


def _grade_of(course, student, cell):
    """``(manual score, score)`` of one grade cell in the course's gradebook."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'term2.db'}", "term-2") as gb:
        grade = gb.find_grade(cell, NOTEBOOK, FIRST, student)
        return grade.manual_score, grade.score


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    with timed("grade the class"):
        course = scratch_course(tmp_path_factory.mktemp("formgrader") / "course", [FIRST])
        summary, outputs = graded_term(course, f"sqlite:///{course / 'term2.db'}", [FIRST])
        assert outputs["roster"][0] == 0 and summary["graded"] == 3, (summary, outputs)
        crash = nbformat.from_dict(source_notebook(FIRST))
        crash.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
        submit(course, "emil", FIRST, crash)
        done = _course("grade", FIRST, "--students", "emil", "--no-sandbox", course=course)
        assert "failed 1" in done.stdout, done.stdout + done.stderr
    return course


@pytest.fixture(scope="module")
def formgrader(course, browser, tmp_path_factory):
    """The Formgrader page inside JupyterLab (a Playwright Frame), opened from nbgrader's menu."""
    exchange = tmp_path_factory.mktemp("exchange")
    with timed("start jupyter lab (instructor)"):
        server = LabServer(folder=course, env={"NBGRADER_EXCHANGE": str(exchange)}).start()
    try:
        with nbgrader_panel(browser, server, "Formgrader") as page:
            page.wait_for_selector("iframe", timeout=60_000)
            formgrader = Formgrader(page, server)
            formgrader.frame.wait_for_selector("table tbody tr td", timeout=60_000)
            yield formgrader
    finally:
        server.stop()


class Formgrader:
    """Formgrader's pages in the iframe of JupyterLab's Formgrader tab."""

    def __init__(self, page, server):
        self.page, self.server = page, server

    @property
    def frame(self):
        for _ in range(600):  # the tab's iframe loads Formgrader's page after the tab opens
            frame = next((f for f in self.page.frames if "/formgrader/" in f.url), None)
            if frame is not None:
                return frame
            self.page.wait_for_timeout(100)
        raise AssertionError(f"no Formgrader page in {[f.url for f in self.page.frames]}")

    def follow(self, link):
        """Click a link to another Formgrader page and wait until its table has its rows
        (Formgrader fills a table after the page loads, with "Loading, please wait..." first)."""
        with self.frame.expect_navigation(timeout=60_000):
            link.click()
        self.frame.wait_for_function("""() => {
            const body = document.querySelector('table tbody');
            return body && body.rows.length > 0 && !/Loading, please wait/.test(body.innerText);
        }""", timeout=60_000)

    def nav(self, name):
        """Click an entry of Formgrader's side bar (from a submission's page, which has none,
        through its breadcrumbs first)."""
        if not self.frame.locator(".nav-stacked a").count():
            self.follow(self.frame.locator(".breadcrumb a", has_text="Manual Grading"))
        self.follow(self.frame.locator(".nav-stacked a", has_text=name))

    def submissions(self):
        """Manual Grading > the assignment > its notebook: the submissions, names shown."""
        self.nav("Manual Grading")
        self.follow(self.frame.locator("td a", has_text=FIRST))
        self.follow(self.frame.locator("td a", has_text=NOTEBOOK).first)
        self.frame.get_by_text("Show All Names").click()

    def submission_page(self, name):
        """The manual grading page of ``name``'s submission; returns its score in the list."""
        self.submissions()
        row = self.frame.locator("tbody tr", has_text=name)
        score = row.locator("td.score").inner_text()
        with self.frame.expect_navigation(timeout=60_000):
            row.locator("a.name-shown").click()
        self.frame.wait_for_selector("#notebook-container", timeout=60_000)
        return score


def test_students_are_listed_by_name(formgrader):
    formgrader.nav("Manage Students")
    text = formgrader.frame.locator("table tbody").inner_text()
    for name in NAMES:
        assert name in text, f"{name} is not in Manage Students:\n{text}"
    assert "None, None" not in text

    formgrader.submissions()
    rows = formgrader.frame.locator("tbody tr")
    shown = [rows.nth(i).locator("a.name-shown").inner_text() for i in range(rows.count())]
    # every submission, by its student's name
    assert sorted(shown) == sorted(NAMES), shown


@pytest.mark.parametrize("student, reason", [
    ("Márquez, Dora", "is not a readable notebook"),
    ("Post, Emil", "The kernel died"),
])
def test_a_failed_submission_is_in_manual_grading_with_its_reason(formgrader, student, reason):
    score = formgrader.submission_page(student)
    assert score.startswith("0 / "), f"{student}: {score}"
    page = formgrader.frame.locator("#notebook-container").first.inner_text()
    assert "This submission scored 0: it could not be graded." in page
    assert reason in page, page[:1000]


def test_a_manual_score_is_saved_and_survives_regrading(formgrader, course):
    formgrader.submission_page("Post, Emil")
    cell = "test_numerical_derivative"
    box = formgrader.frame.locator(f"input.score#{cell}")
    expect(box).to_have_attribute("placeholder", "0", timeout=30_000)  # its automatic score
    expect(box).to_have_value("")
    box.fill("1.5")
    box.press("Tab")  # Formgrader saves a score when its box changes
    for _ in range(100):  # the save is a request of its own: wait until the gradebook has it
        if _grade_of(course, "emil", cell)[0] == 1.5:
            break
        formgrader.page.wait_for_timeout(100)
    assert _grade_of(course, "emil", cell) == (1.5, 1.5)

    done = _course("grade", FIRST, "--students", "emil", "--force", "--no-sandbox", course=course)
    assert "failed 1" in done.stdout, done.stdout + done.stderr
    assert _grade_of(course, "emil", cell) == (1.5, 1.5), "regrading erased the manual score"
    formgrader.submission_page("Post, Emil")
    # the page fills its score boxes from the gradebook once loaded
    expect(formgrader.frame.locator(f"input.score#{cell}")).to_have_value("1.5", timeout=30_000)


def test_generate_feedback_button_writes_offline_pages(formgrader, course):
    shutil.rmtree(course / "feedback")
    formgrader.nav("Manage Assignments")
    row = formgrader.frame.locator("tbody tr", has_text=FIRST)
    with timed("Formgrader: Generate Feedback"):
        row.locator("td.generate-feedback a").click()
        modal = formgrader.frame.locator("#success-modal, #error-modal")
        modal.wait_for(timeout=300_000)
    assert modal.get_attribute("id") == "success-modal", modal.inner_text()
    pages = {p.parts[-3]: p.read_text() for p in (course / "feedback").glob(f"*/{FIRST}/{NOTEBOOK}.html")}
    assert set(pages) == {"ada", "bao", "chidi", "dora", "emil"}, sorted(pages)
    for student, text in pages.items():
        assert not re.search(r"<script[^>]+src=\"https?:", text), f"{student}: a script from the network"
        assert not re.search(r"<script[^>]*mathjax|MathJax\.Hub", text, re.I), f"{student}: MathJax"
    toc = pages["ada"].split('<div id="toc">', 1)[1].split("</div>", 1)[0]
    assert "Test cell" not in toc and "Exercise 1.1 · numerical_derivative" in toc, toc[:2000]
    assert pages["ada"].count("<math") > 50, "the maths is not MathML"
    assert "scored 0" in pages["emil"] and "scored 0" in pages["dora"]
