"""The instructor's workflow around grading, in a course folder of its own: --root and that folder's
configuration, the roster, the report, the exports, regrading, and quiet, honest command lines.

A class is graded once per gradebook backend (SQLite and a real PostgreSQL server) with real
nbgrader; the tests read what the commands wrote.
"""
import contextlib
import csv
import html
import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course.__main__ import COMMANDS, main
from course.grading import grade as grade_module
from course.grading import nbapi, report, roster
from course.grading.grade import grade
from gradingclass import ASSIGNMENTS, FIRST, graded_term, source_notebook, submit
from gradingclass import course_command as _run
from nbgrade import notebook_name
from pgserver import postgres_server
from test_instructor_tools import scratch_course

SECOND = ASSIGNMENTS[1]
TERM = [FIRST, SECOND]  # the term-2 course folder holds these two assignments


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def graded(request, tmp_path_factory):
    """A term-2 course folder with its own course id and database, a roster of five, graded:
    ada complete, bao blank, chidi partly done, dora's first notebook malformed (and no second),
    emil never submitted."""
    with contextlib.ExitStack() as stack:
        course = scratch_course(tmp_path_factory.mktemp(f"term2-{request.param}"), TERM)
        if request.param == "sqlite":
            db_url = f"sqlite:///{course / 'term2.db'}"
        else:
            db_url = stack.enter_context(postgres_server())
        summary, outputs = graded_term(course, db_url, TERM)
        yield course, request.param, db_url, summary, outputs


def _gradebook(course):
    from nbgrader.api import Gradebook

    config = nbapi.course_config(course)
    return Gradebook(config.CourseDirectory.db_url, config.CourseDirectory.course_id)


# ------------------------------------------------------------------ item 1: --root and its config

def test_every_command_takes_root():
    for command in COMMANDS:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), pytest.raises(SystemExit):
            main([command, "--help"])
        assert "--root DIR" in out.getvalue(), f"`{command}` has no --root"


def test_build_uses_the_course_folders_own_configuration(tmp_path):
    term2 = scratch_course(tmp_path / "term2")
    shutil.rmtree(term2 / "release")
    with open(term2 / "grader_config.py", "a") as fh:
        fh.write('\nc.ClearSolutions.code_stub = {"python": "# term 2: write your code here\\n'
                 'raise NotImplementedError()"}\n')
    plain = tmp_path / "plain"  # a plain nbgrader course: only nbgrader_config.py
    shutil.copytree(nbapi.ROOT / "source", plain / "source")
    (plain / "nbgrader_config.py").write_text(
        'c = get_config()\nc.ClearSolutions.code_stub = {"python": "# plain course stub\\nraise NotImplementedError()"}\n')
    for folder, stub in ((term2, "# term 2: write your code here"), (plain, "# plain course stub")):
        code, out, err = _run("build", FIRST, "--root", folder)
        assert code == 0, err
        assert str(folder / "release" / FIRST) in out
        assert stub in (folder / "release" / FIRST / notebook_name(FIRST)).read_text()
        assert nbapi.config_file(folder).parent == folder.resolve()
    assert "# term 2" not in (nbapi.ROOT / "release" / FIRST / notebook_name(FIRST)).read_text()
    assert _run("build", "99_nope", "--root", term2)[0] == 2


def test_a_build_nbgrader_refuses_says_why_and_keeps_the_release(tmp_path):
    course = scratch_course(tmp_path / "course", [FIRST])
    assert _run("build", FIRST, "--root", course, "--no-timings")[0] == 0
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", nbapi.course_config(course).CourseDirectory.course_id) as gb:
        gb.add_student("ada")
        gb.add_submission(FIRST, "ada")  # a class has submitted
        gb.db.remove()
        gb.engine.dispose()
    released = (course / "release" / FIRST / notebook_name(FIRST)).read_text()
    source = source_notebook(FIRST)
    source.cells.append(nbformat.v4.new_markdown_cell("A question added mid-term?", metadata={"nbgrader": {
        "grade": True, "solution": True, "locked": False, "points": 1, "grade_id": "q_added", "schema_version": 3}}))
    nbformat.write(source, course / "source" / FIRST / notebook_name(FIRST))
    code, _, err = _run("build", FIRST, "--root", course, "--no-timings")
    assert code == 1
    assert "already has submissions" in err and f"nbgrader db assignment remove {FIRST}" in err
    assert "Traceback" not in err
    assert (course / "release" / FIRST / notebook_name(FIRST)).read_text() == released


def test_commands_read_the_folders_own_gradebook(graded):
    course, backend, db_url, summary, outputs = graded
    assert not (course / "gradebook.db").exists(), "the default gradebook was used instead of the folder's db_url"
    if backend == "sqlite":
        assert (course / "term2.db").exists()
    with _gradebook(course) as gb:
        assert gb.course_id == "term-2"
        assert {s.id for s in gb.students} == {"ada", "bao", "chidi", "dora", "emil"}
        assert {(a.name, s.student.id) for a in gb.assignments for s in a.submissions} >= {(FIRST, "ada"), (SECOND, "ada")}
    assert summary["graded"] == 3 * len(TERM)


# ------------------------------------------------------------------ item 5: the roster

def test_roster_names_are_in_the_gradebook(graded):
    course, *_, outputs = graded
    code, out, _ = outputs["roster"]
    assert code == 0 and "5 students added" in out
    with _gradebook(course) as gb:
        ada = gb.find_student("ada")
        assert (ada.first_name, ada.last_name, ada.email, ada.lms_user_id) == ("Ada", "Lovelace", "ada@example.org", "101")
        assert gb.find_student("dora").last_name == "Márquez"
    # a second import updates, never duplicates, and a blank cell keeps what is there
    (course / "update.csv").write_text("id,first_name,last_name,email\nada,Augusta Ada,,\n,No,Id,\n")
    code, out, _ = _run("roster", course / "update.csv", "--root", course)
    assert code == 1 and "0 students added, 1 updated" in out and "line 3: no student id" in out
    with _gradebook(course) as gb:
        ada = gb.find_student("ada")
        assert (ada.first_name, ada.last_name, ada.email) == ("Augusta Ada", "Lovelace", "ada@example.org")
    _run("roster", course / "roster.csv", "--root", course)


def test_roster_reads_a_canvas_export(tmp_path):
    path = tmp_path / "canvas.csv"
    path.write_text('Student,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77)\n'
                    '    Points Possible,,,,,10\n'
                    '"Lovelace, Ada",4711,S1,ada,Mon,9\n'
                    'Grace Hopper,4712,S2,grace,Mon,8\n'
                    '"Post, Emil",4713,S3,,Mon,1\n'
                    '"Again, Ada",4714,S1,ada,Mon,1\n')
    students, problems = roster.read_roster(path)
    assert students == [{"id": "ada", "lms_user_id": "4711", "first_name": "Ada", "last_name": "Lovelace"},
                        {"id": "grace", "lms_user_id": "4712", "first_name": "Grace", "last_name": "Hopper"}]
    assert problems == [(5, "no student id"), (6, "ada is listed twice (first on line 3)")]
    (tmp_path / "bad.csv").write_text("name,email\nAda,a@b\n")
    assert _run("roster", tmp_path / "bad.csv", "--root", tmp_path)[0] == 2


# ------------------------------------------------------------------ item 6: the report

def _rows_of(index, heading):
    """The cells of the table under ``heading`` in a report page."""
    section = Path(index).read_text().split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", section)]
    return [r for r in rows if r]


def _report_rows(course, heading):
    return _rows_of(course / "reports" / "index.html", heading)


def test_report_has_a_table_per_student_with_links(graded):
    course, *_ = graded
    rows = {r[0]: r for r in _report_rows(course, "Students")}
    assert set(rows) == {"ada", "bao", "chidi", "dora", "emil"}
    assert rows["ada"][1] == "Ada Lovelace" and rows["dora"][1] == html.escape("Dora Márquez")
    ada_first = rows["ada"][2]
    assert ada_first.startswith("27 / 27") or re.match(r"[\d.]+ / [\d.]+", ada_first)
    hrefs = re.findall(r'href="([^"]+)"', ada_first)
    assert len(hrefs) == 2, ada_first
    for href in hrefs:
        assert (course / "reports" / html.unescape(href)).resolve().is_file(), href
    assert "failed" in rows["dora"][2] and rows["dora"][3] == "missing"
    assert rows["emil"][2:] == ["missing", "missing"]


def test_report_lists_missing_submissions_and_counts_right(graded):
    course, *_, outputs = graded
    missing = {(r[0], r[1]) for r in _report_rows(course, "Missing submissions")}
    assert missing == {(FIRST, "emil"), (SECOND, "emil"), (SECOND, "dora")}
    page = (course / "reports" / "index.html").read_text()
    headers = re.findall(r"<th>(.*?)</th>", page)
    assert "mean score" not in headers and "full marks" not in headers, "the chart already shows these"
    code, out, _ = outputs["report"]
    assert code == 0
    assert "1 failed to grade" in out and "3 missing" in out
    with _gradebook(course) as gb:  # written answers wait for a person
        manual = sum(1 for a in gb.assignments for s in a.submissions if s.needs_manual_grade)
    assert f"{manual} need manual grading" in out


def test_report_needs_manual_grading_from_the_gradebook(graded, tmp_path):
    course, *_ = graded
    with _gradebook(course) as gb:
        grade_cell = gb.find_submission(FIRST, "chidi").notebooks[0].grades[0]
        grade_cell.needs_manual_grade = True
        waiting = grade_cell.name
        gb.db.commit()
    try:
        index, summary = report.build_report(course, tmp_path / "out")
        assert (FIRST, "chidi") in summary["manual"]
        # an exercise with an answer not graded yet has no mean to show or rank
        assert (FIRST, waiting) not in {(a, c) for _, a, c in summary["hardest"]}
        section = Path(index).read_text().split(f"<h2>{FIRST}</h2>", 1)[1].split("<h2>", 1)[0]
        assert waiting not in re.findall(r"<tr><td>(.*?)</td>", section)
        assert re.search(rf"Left out until graded by hand: [^<]*\b{waiting}\b", section)
        assert [FIRST, "chidi"] in _rows_of(index, "Needs manual grading")
        assert "needs manual grading" in {r[0]: r for r in _rows_of(index, "Students")}["chidi"][2]
    finally:
        with _gradebook(course) as gb:
            gb.find_submission(FIRST, "chidi").notebooks[0].grades[0].needs_manual_grade = False
            gb.db.commit()


# ------------------------------------------------------------------ item 7: exports

def test_exports_keep_their_own_names_and_match_the_gradebook(graded):
    course, *_, outputs = graded
    assert outputs["export"][0] == 0
    assert not (course / "grades.csv").exists(), "nbgrader export's file name"
    with _gradebook(course) as gb:
        scores = {(a.name, s.student.id): float(s.score) for a in gb.assignments for s in a.submissions}
        cells = {(a.name, s.student.id, g.name): float(g.score) for a in gb.assignments for s in a.submissions
                 for nb in s.notebooks for g in nb.grades}
        points = {a.name: float(a.max_score) for a in gb.assignments}
    with open(course / "grades_by_student.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    by_student = {r["student_id"]: r for r in rows}
    assert set(by_student) == {"ada", "bao", "chidi", "dora", "emil"}
    assert by_student["ada"]["last_name"] == "Lovelace"
    for (assignment, student), score in scores.items():
        assert float(by_student[student][assignment]) == pytest.approx(score)
    for (assignment, student, cell), score in cells.items():
        assert float(by_student[student][f"{assignment}:{cell}"]) == pytest.approx(score)
    for student, row in by_student.items():
        for assignment in TERM:
            exercise_sum = sum(float(v) for k, v in row.items() if k.startswith(f"{assignment}:") and v)
            if row[assignment] and student != "dora":
                assert exercise_sum == pytest.approx(float(row[assignment]))
    assert by_student["emil"][FIRST] == "" and float(by_student["emil"]["total"]) == 0

    with open(course / "grades_canvas.csv", newline="") as fh:
        canvas = list(csv.reader(fh))
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *TERM]
    assert canvas[1][0] == "Points Possible" and [float(x) for x in canvas[1][5:]] == [points[a] for a in TERM]
    ada = next(r for r in canvas if r[3] == "ada")
    assert ada[:4] == ["Lovelace, Ada", "101", "ada", "ada"]
    assert float(ada[5]) == pytest.approx(scores[FIRST, "ada"])
    assert next(r for r in canvas if r[3] == "emil")[5:] == ["", ""]


# ------------------------------------------------------------------ item 10: noise and selections

def test_selections_that_match_nothing_say_so(graded):
    course, *_ = graded
    code, out, err = _run("grade", "--students", "zzz*", "--no-sandbox", "--root", course)
    assert code == 2 and "no student" in err and "'zzz*'" in err
    code, _, err = _run("feedback", "99_nope", "--root", course)
    assert code != 0 and "99_nope" in err
    code, _, err = _run("grade", "99_nope", "--no-sandbox", "--root", course)
    assert code == 2 and "99_nope" in err


def test_failure_summary_lists_only_the_selection(graded):
    course, *_ = graded
    summary = grade(course, assignments=[FIRST], students="ada", workers=1, sandbox=False, progress=False)
    assert summary["failures"] == []
    everyone = grade(course, assignments=[FIRST], workers=1, sandbox=False, progress=False)
    assert [(f["assignment"], f["student"]) for f in everyone["failures"]] == [(FIRST, "dora")]
    assert grade(course, assignments=[SECOND], workers=1, sandbox=False, progress=False)["failures"] == []


@pytest.mark.parametrize("graded", ["sqlite"], indirect=True)  # one backend is enough for the console
def test_normal_runs_print_no_library_warnings(graded):
    course, backend, *_ = graded
    commands = [["grade", FIRST, "--students", "ada", "--force", "--no-sandbox", "--workers", "1"],
                ["export"], ["report"]]
    for command in commands:
        done = subprocess.run([sys.executable, "-W", "default", "-m", "course", *command, "--root", str(course)],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        for noise in ("SAWarning", "Checksum", "checksum", "transport", "Traceback"):
            assert noise not in done.stderr, f"`{' '.join(command)}` printed {noise}:\n{done.stderr}"


# ------------------------------------------------------------------ item 8: regrading

def test_regrading_notices_config_hidden_tests_and_the_course_package(tmp_path, monkeypatch):
    course = scratch_course(tmp_path / "course")
    submit(course, "ada", FIRST, source_notebook(FIRST))
    package = shutil.copytree(grade_module.COURSE_PACKAGE, tmp_path / "course_package",
                              ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(grade_module, "COURSE_PACKAGE", package)

    def run():
        summary = grade(course, assignments=[FIRST], workers=1, sandbox=False, progress=False)
        return summary["graded"], summary["skipped"]

    assert run() == (1, 0)
    assert run() == (0, 1), "nothing changed"
    with open(course / "grader_config.py", "a") as fh:
        fh.write("\nc.ExecutePreprocessor.timeout = 61\n")
    assert run() == (1, 0), "grader_config.py changed"
    assert run() == (0, 1)
    source = course / "source" / FIRST / notebook_name(FIRST)
    text = source.read_text()
    assert "### END HIDDEN TESTS" in text
    source.write_text(text.replace("### END HIDDEN TESTS", "assert True\\n### END HIDDEN TESTS", 1))
    assert run() == (1, 0), "a hidden test changed"
    (package / "gradcheck.py").write_text((package / "gradcheck.py").read_text() + "\n# a fix\n")
    assert run() == (1, 0), "the course package changed"
    assert run() == (0, 1)
