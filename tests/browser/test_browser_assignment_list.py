"""nbgrader's Assignment List in JupyterLab, as a student of a JupyterHub course uses it.

The exchange is set up as the README's "A JupyterHub course" says, in a temporary folder
(``NBGRADER_EXCHANGE``): ``python -m course hub-config --create`` creates it and prints the
students' nbgrader_config.py; the instructor releases with ``nbgrader release_assignment``. The
student's JupyterLab runs in a home of its own with that configuration; in the
Assignment List panel (nbgrader's menu) the student fetches the assignment, sees it under
"Downloaded assignments" and submits it with the panel's button; ``nbgrader collect`` finds the
submission. The instructor then grades, writes and releases feedback, and the student fetches
it with the panel's "Fetch Feedback" button: an offline page, as every feedback page.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.utils import get_username

from gradingclass import FIRST
from labdriver import LabServer, nbgrader_panel, timed
from nbgrade import notebook_name, source_notebook
from test_instructor_tools import scratch_course

BIN = Path(sys.executable).parent
# nbgrader submits as the Unix user running the student's server (on a hub, each student is one)
STUDENT = get_username()


def _run(args, cwd, env):
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """``(course folder, student's home, environment of the instructor's commands)``, the
    assignment released into a fresh exchange."""
    tmp = tmp_path_factory.mktemp("hub")
    course = scratch_course(tmp / "course", [FIRST])
    env = dict(os.environ, NBGRADER_EXCHANGE=str(tmp / "exchange"), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    students_config = _run([sys.executable, "-m", "course", "hub-config", "--create", "--root", course], course, env)
    _run([BIN / "nbgrader", "release_assignment", FIRST], course, env)
    home = tmp / "home" / STUDENT
    home.mkdir(parents=True)
    (home / "nbgrader_config.py").write_text(students_config.stdout)
    return course, home, env


@pytest.fixture(scope="module")
def panel(hub, browser):
    """The Assignment List panel in the student's JupyterLab, opened from nbgrader's menu."""
    course, home, env = hub
    student_env = {"NBGRADER_EXCHANGE": env["NBGRADER_EXCHANGE"], "HOME": str(home)}
    with timed("start jupyter lab (student)"):
        server = LabServer(folder=home, env=student_env).start()
    try:
        with nbgrader_panel(browser, server, "Assignment List") as page:
            page.locator("#released_assignments_list").wait_for()
            yield page
    finally:
        server.stop()


def _row(page, listing, name=FIRST):
    """The row of ``name`` in one of the panel's lists (released, fetched, submitted)."""
    return page.locator(f"#{listing}_assignments_list .list_item", has_text=name)


def test_fetch_submit_collect_and_fetch_feedback(hub, panel):
    course, home, env = hub
    page = panel
    # released: a Fetch button; fetched, the assignment moves to "Downloaded assignments"
    released = _row(page, "released")
    released.wait_for(timeout=60_000)
    with timed("Assignment List: fetch"):
        released.get_by_role("button", name="Fetch").click()
        fetched = _row(page, "fetched")
        fetched.wait_for(timeout=60_000)
    heading = page.locator(".panel", has=page.locator("#fetched_assignments_list")).locator(".panel-heading")
    assert heading.inner_text().strip() == "Downloaded assignments"
    assert (home / FIRST / notebook_name(FIRST)).is_file(), "fetched, but not in the student's home"
    assert not _row(page, "released").count(), "a fetched assignment is still offered for fetching"

    # the student's answers, then the panel's Submit button
    nbformat.write(source_notebook(FIRST), home / FIRST / notebook_name(FIRST))
    with timed("Assignment List: submit"):
        fetched.get_by_role("button", name="Submit").click()
        submitted = _row(page, "submitted")
        submitted.wait_for(timeout=60_000)
    inbound = list((Path(env["NBGRADER_EXCHANGE"]) / "how-networks-learn" / "inbound").iterdir())
    assert [p.name.split("+")[:2] for p in inbound] == [[STUDENT, FIRST]], inbound

    # the instructor collects it, grades it and releases the feedback
    _run([BIN / "nbgrader", "collect", FIRST], course, env)
    assert (course / "submitted" / STUDENT / FIRST / notebook_name(FIRST)).is_file()
    assert (course / "submitted" / STUDENT / FIRST / "timestamp.txt").is_file()
    course_cmd = [sys.executable, "-m", "course"]
    graded = _run(course_cmd + ["grade", FIRST, "--no-sandbox", "--workers", "1", "--root", course], course, env)
    assert "graded 1" in graded.stdout, graded.stdout
    _run(course_cmd + ["feedback", FIRST, "--root", course], course, env)
    _run([BIN / "nbgrader", "release_feedback", FIRST], course, env)

    # the student fetches it from the panel
    with timed("Assignment List: fetch feedback"):
        page.locator("#refresh_assignments_list").click()
        button = _row(page, "submitted").get_by_role("button", name="Fetch Feedback")
        button.click()
        for _ in range(600):
            pages = list((home / FIRST / "feedback").glob(f"*/{notebook_name(FIRST)[:-6]}.html"))
            if pages:
                break
            page.wait_for_timeout(100)
    assert len(pages) == 1, "no feedback fetched into the student's home"
    text = pages[0].read_text()
    assert "Score:" in text and "Exercise 1.1" in text
    assert not re.search(r"<script[^>]+src=\"https?:", text), "the fetched feedback loads a script from the network"
