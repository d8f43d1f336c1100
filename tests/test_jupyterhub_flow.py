"""A JupyterHub course's round trip through nbgrader's exchange, with the real nbgrader command
line in a temporary exchange: release -> fetch -> submit -> collect -> grade -> feedback ->
release_feedback -> fetch_feedback. The students' side runs in folders of their own, with the
configuration `python -m course hub-config` prints for their servers."""
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat

from gradingclass import FIRST
from nbgrade import notebook_name, source_notebook
from test_instructor_tools import scratch_course

BIN = Path(sys.executable).parent


def _cli(args, cwd, env, check=True):
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert done.returncode == 0, f"{' '.join(map(str, args))} failed:\n{done.stdout}\n{done.stderr}"
    return done


def test_release_fetch_submit_collect_grade_feedback_round_trip(tmp_path):
    course = scratch_course(tmp_path / "course")
    exchange = tmp_path / "exchange"
    env = dict(os.environ, NBGRADER_EXCHANGE=str(exchange), PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    course_cmd = [sys.executable, "-m", "course"]
    nbgrader = [str(BIN / "nbgrader")]

    # the instructor: the exchange and the students' configuration
    hub = _cli(course_cmd + ["hub-config", "--create", "--root", course], course, env)
    assert oct(exchange.stat().st_mode & 0o7777) == oct(0o1777)
    assert "c.CourseDirectory.course_id = 'how-networks-learn'" in hub.stdout
    assert f"c.Exchange.root = '{exchange}'" in hub.stdout
    _cli(nbgrader + ["release_assignment", FIRST], course, env)

    # each student has a home of their own (nbgrader keeps a copy of each submission there)
    homes, student_env = {}, {}
    for student in ("ada", "bao"):
        home = homes[student] = tmp_path / "home" / student
        home.mkdir(parents=True)
        student_env[student] = dict(env, HOME=str(home))
        (home / "nbgrader_config.py").write_text(hub.stdout)
        listed = _cli(nbgrader + ["list"], home, student_env[student])
        assert FIRST in listed.stdout + listed.stderr
        _cli(nbgrader + ["fetch_assignment", FIRST], home, student_env[student])
        assert (home / FIRST / notebook_name(FIRST)).is_file()
    # ada answers every exercise; bao hands the release back untouched
    nbformat.write(source_notebook(FIRST), homes["ada"] / FIRST / notebook_name(FIRST))
    for student, home in homes.items():
        _cli(nbgrader + ["submit", FIRST, f"--student={student}"], home, student_env[student])

    _cli(nbgrader + ["collect", FIRST], course, env)
    for student in homes:
        assert (course / "submitted" / student / FIRST / notebook_name(FIRST)).is_file()
        assert (course / "submitted" / student / FIRST / "timestamp.txt").is_file()

    graded = _cli(course_cmd + ["grade", FIRST, "--no-sandbox", "--workers", "1", "--root", course], course, env)
    assert "graded 2, failed 0" in graded.stdout
    _cli(course_cmd + ["feedback", FIRST, "--root", course], course, env)
    _cli(nbgrader + ["release_feedback", FIRST], course, env)

    scores = {}
    for student, home in homes.items():
        _cli(nbgrader + ["fetch_feedback", FIRST, f"--student={student}"], home, student_env[student])
        pages = list((home / FIRST / "feedback").glob(f"*/{Path(notebook_name(FIRST)).stem}.html"))
        assert len(pages) == 1, f"{student} got no feedback"
        text = pages[0].read_text()
        assert "BEGIN HIDDEN TESTS" not in text
        scores[student] = re.search(r"Score: ([\d.]+) / ([\d.]+)", text).groups()
    # the written answers (6 points in 01) wait for the instructor's manual grading
    manual = sum(c.metadata["nbgrader"]["points"] for c in source_notebook(FIRST).cells
                 if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "markdown")
    assert float(scores["ada"][0]) + manual == float(scores["ada"][1]), "the complete submission should have full marks"
    assert float(scores["bao"][0]) == 0
