"""`python -m course grade` on a small class: worker counts, broken submissions, re-runs, dead workers."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course.grading.grade import grade, read_failures
from course.grading.nbapi import ROOT
from gradingclass import (ASSIGNMENTS, FIRST, gradebook_scores, grade_ids, new_course, small_class,
                          submission_totals, submit)
from nbgrade import notebook_name, release_notebook, source_notebook

# A cell that loops forever is interrupted after this many seconds (the course default is 60).
SHORT_TIMEOUT = {"Execute": {"timeout": 20}}


def _cli(*args, **kwargs):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run([sys.executable, "-m", "course", "grade", *args], env=env, text=True,
                          capture_output=True, **kwargs)


@pytest.fixture(scope="module")
def one_worker(tmp_path_factory):
    """The small class graded by the command line with one worker."""
    course = small_class(new_course(tmp_path_factory.mktemp("one")))
    result = _cli("--root", str(course), "--workers", "1", "--no-sandbox")
    assert result.returncode == 0, result.stderr[-3000:]
    return course, result


def test_command_grades_every_submission(one_worker):
    course, result = one_worker
    totals = submission_totals(gradebook_scores(course))
    assert set(totals) == {(a, s) for a in ASSIGNMENTS for s in ("ada", "bao", "chidi")}
    for assignment in ASSIGNMENTS:
        full, zero, part = (totals[assignment, s] for s in ("ada", "bao", "chidi"))
        assert full[0] == full[1] > 0, f"{assignment}: the source notebook lost points"
        assert zero[0] == 0, f"{assignment}: the release notebook earned points"
        assert 0 < part[0] < part[1], f"{assignment}: a partly done notebook is not partly scored"
    assert f"graded {3 * len(ASSIGNMENTS)}, failed 0" in result.stdout
    assert "WITHOUT a sandbox" in result.stderr, "--no-sandbox must be loud"
    assert "nb" in result.stderr and "failed=0" in result.stderr, "no progress bar on stderr"
    assert read_failures(course) == []


def test_two_workers_give_the_same_gradebook(one_worker, tmp_path):
    course = small_class(new_course(tmp_path))
    summary = grade(course, workers=2, sandbox=False, progress=False)
    assert summary["graded"] == 3 * len(ASSIGNMENTS) and summary["failed"] == 0
    assert len({r["worker"] for r in summary["results"]}) == 2, "the work was not spread"
    assert gradebook_scores(course) == gradebook_scores(one_worker[0])


def test_the_release_is_left_alone(one_worker):
    assert not (one_worker[0] / "release").exists(), "grading wrote a release folder"


# ------------------------------------------------------------------ broken submissions

def _broken_class(course):
    source, release = source_notebook(FIRST), release_notebook(FIRST)
    solution = grade_ids(source, "solution")[0]
    tests = grade_ids(source, "grade")

    submit(course, "complete", FIRST, source)

    crash = nbformat.from_dict(source)
    crash.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    submit(course, "crash", FIRST, crash)

    loop = nbformat.from_dict(source)
    cell = next(c for c in loop.cells if c.metadata.get("nbgrader", {}).get("grade_id") == solution)
    cell.source = "while True:  # never ends, so the function below is never defined\n    pass\n\n" + cell.source
    submit(course, "loop", FIRST, loop)

    text = nbformat.writes(source)
    submit(course, "malformed", FIRST, text=text[: len(text) // 2])

    (course / "submitted" / "missing" / FIRST).mkdir(parents=True)
    submit(course, "misnamed", FIRST, source, name="my homework (1).ipynb")

    deleted = nbformat.from_dict(source)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != tests[0]]
    submit(course, "deleted", FIRST, deleted)

    edited = nbformat.from_dict(release)  # nothing solved, every test cell replaced by `pass`
    for c in edited.cells:
        if c.metadata.get("nbgrader", {}).get("grade_id") in tests:
            c.source = "pass"
    submit(course, "edited", FIRST, edited)
    return course


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    course = _broken_class(new_course(tmp_path_factory.mktemp("broken")))
    summary = grade(course, workers=2, sandbox=False, progress=False, overrides=SHORT_TIMEOUT)
    return course, summary, {(f["student"]): f for f in read_failures(course)}


def test_every_broken_submission_is_recorded(broken):
    course, summary, failures = broken
    assert summary["total"] == 8
    totals = submission_totals(gradebook_scores(course))
    full = totals[FIRST, "complete"]
    assert full[0] == full[1] > 0
    expected = {"crash": ("failed", "kernel-died"), "malformed": ("failed", "malformed"),
                "missing": ("failed", "missing"), "misnamed": ("failed", "misnamed"),
                "loop": ("graded", "timeout")}
    assert {s: (f["status"], f["kind"]) for s, f in failures.items()} == expected
    for student, (status, _) in expected.items():
        assert failures[student]["reason"], f"{student}: no reason recorded"
        assert (FIRST, student) in totals, f"{student}: no result in the gradebook"
        if status == "failed":
            assert totals[FIRST, student] == (0.0, full[1]), f"{student} is not scored 0"
    assert "misnamed" in failures["misnamed"]["reason"] or "my homework" in failures["misnamed"]["reason"]


FAILED = ("crash", "malformed", "missing", "misnamed")


def test_a_failed_submission_stays_in_the_workflow(broken):
    """It gets an autograded notebook that says why it scored 0 (Formgrader lists it as graded,
    so it can be graded by hand) and feedback that explains the 0."""
    from course.grading import feedback
    from course.grading.nbapi import nbgrader_api

    course, _, failures = broken
    api = nbgrader_api(course)
    assert set(FAILED) <= api.get_autograded_students(FIRST), "Formgrader would show 'needs autograding'"
    name = notebook_name(FIRST)
    for student in FAILED:
        nb = nbformat.read(course / "autograded" / student / FIRST / name, as_version=4)
        reason = failures[student]["reason"].rstrip(".")
        assert "scored 0" in nb.cells[0].source and reason[:1].upper() + reason[1:] + "." in nb.cells[0].source
    results = {(a, s): ok for a, s, ok, _ in feedback.generate(course, [FIRST], workers=1)}
    for student in FAILED:
        assert results[FIRST, student], f"no feedback for {student}"
        page = next((course / "feedback" / student / FIRST).glob("*.html")).read_text()
        assert "scored 0" in page, f"the feedback of {student} does not explain the 0"


def test_a_manual_score_survives_regrading(tmp_path):
    from nbgrader.api import Gradebook

    from course.grading.nbapi import nbgrader_api

    course = new_course(tmp_path)
    crash = nbformat.from_dict(source_notebook(FIRST))
    crash.cells.insert(2, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    submit(course, "crash", FIRST, crash)
    grade(course, assignments=[FIRST], workers=1, sandbox=False, progress=False)
    test = grade_ids(source_notebook(FIRST), "grade")[0]
    db_url = nbgrader_api(course).coursedir.db_url
    with Gradebook(db_url) as gb:
        gb.find_grade(test, notebook_name(FIRST)[:-6], FIRST, "crash").manual_score = 1.5
        gb.db.commit()
    grade(course, assignments=[FIRST], workers=1, sandbox=False, progress=False, force=True)
    with Gradebook(db_url) as gb:
        assert gb.find_grade(test, notebook_name(FIRST)[:-6], FIRST, "crash").score == 1.5


def test_an_endless_loop_costs_only_its_exercise(broken):
    course, _, failures = broken
    scores = gradebook_scores(course)
    solution = grade_ids(source_notebook(FIRST), "solution")[0]
    lost = {cell for (a, s, _, cell), (score, top) in scores.items() if s == "loop" and score < top}
    assert lost == {f"test_{solution}"}, f"the loop in {solution} cost {lost}"
    assert solution in failures["loop"]["reason"], "the reason does not name the cell that timed out"


def test_deleted_and_edited_test_cells_are_restored(broken):
    course, _, _ = broken
    totals = submission_totals(gradebook_scores(course))
    assert totals[FIRST, "deleted"] == totals[FIRST, "complete"], "a deleted test cell changed the score"
    assert totals[FIRST, "edited"][0] == 0, "replacing the tests by `pass` earned points"


# ------------------------------------------------------------------ re-runs

def test_a_rerun_grades_only_what_changed(tmp_path):
    course = small_class(new_course(tmp_path), assignments=[FIRST])
    only = grade(course, students="a*", workers=2, sandbox=False, progress=False)
    assert [(r["assignment"], r["student"]) for r in only["results"]] == [(FIRST, "ada")]
    assert read_failures(course) == []
    ada = submission_totals(gradebook_scores(course))[FIRST, "ada"]
    assert ada[0] == ada[1] > 0, (ada, only["results"])
    first = grade(course, workers=2, sandbox=False, progress=False)
    assert (first["graded"], first["skipped"]) == (2, 1)
    before = gradebook_scores(course)

    again = grade(course, workers=2, sandbox=False, progress=False)
    assert (again["graded"], again["failed"], again["skipped"]) == (0, 0, 3)
    assert gradebook_scores(course) == before

    submit(course, "bao", FIRST, source_notebook(FIRST))  # bao finishes the assignment
    third = grade(course, workers=2, sandbox=False, progress=False)
    assert [(r["assignment"], r["student"]) for r in third["results"]] == [(FIRST, "bao")]
    after = submission_totals(gradebook_scores(course))
    assert after[FIRST, "bao"] == after[FIRST, "ada"]

    forced = grade(course, workers=2, sandbox=False, progress=False, force=True)
    assert forced["graded"] == 3 and forced["skipped"] == 0


def test_a_dead_worker_is_replaced_and_recorded(tmp_path):
    course = small_class(new_course(tmp_path), assignments=[FIRST])
    killer = nbformat.from_dict(source_notebook(FIRST))
    # The submission kills the process that grades it (as the out-of-memory killer would).
    killer.cells.insert(2, nbformat.v4.new_code_cell(
        "import os, signal, psutil\n"
        "p = psutil.Process(os.getppid())\n"
        "if 'course.grading.kernels' in ' '.join(p.cmdline()):\n"
        "    p = p.parent()\n"
        "os.kill(p.pid, signal.SIGKILL)\n"))
    submit(course, "killer", FIRST, killer)
    summary = grade(course, workers=2, sandbox=False, progress=False)
    failures = {f["student"]: f for f in read_failures(course)}
    assert set(failures) == {"killer"} and failures["killer"]["kind"] == "worker-died"
    totals = submission_totals(gradebook_scores(course))
    assert totals[FIRST, "ada"][0] == totals[FIRST, "ada"][1] > 0
    assert totals[FIRST, "killer"][0] == 0
    assert summary["graded"] == 3 and summary["failed"] == 1
    assert not _processes_in(course, wait=30), "kernels outlived the dead worker"


def _processes_in(folder, wait):
    """Processes whose working folder is inside ``folder``, after up to ``wait`` seconds."""
    import psutil

    deadline = time.monotonic() + wait
    while True:
        found = []
        for process in psutil.process_iter():
            try:
                if process.cwd().startswith(str(folder)) and process.status() != psutil.STATUS_ZOMBIE:
                    found.append(process.pid)
            except (psutil.Error, OSError):
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)


def test_an_interrupted_run_keeps_what_was_graded(tmp_path):
    course = small_class(new_course(tmp_path), assignments=ASSIGNMENTS)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    process = subprocess.Popen([sys.executable, "-m", "course", "grade", "--root", str(course),
                                "--workers", "1", "--no-sandbox"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    state = course / "autograded" / "grading_state.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if state.exists() and json.loads(state.read_text()).get("submissions"):
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 130, stderr[-2000:]
    done = json.loads(state.read_text())["submissions"]
    assert 1 <= len(done) < 3 * len(ASSIGNMENTS)
    kept = gradebook_scores(course)

    rest = grade(course, workers=2, sandbox=False, progress=False)
    assert rest["skipped"] == len(done) and rest["graded"] == 3 * len(ASSIGNMENTS) - len(done)
    final = gradebook_scores(course)
    for key in done:
        assignment, student = key.split("/")
        for cell, value in kept.items():
            if cell[:2] == (assignment, student):
                assert final[cell] == value



def test_a_grader_that_cannot_run_stops_and_records_nothing(tmp_path, monkeypatch):
    """When the sandboxed kernel cannot import the grader's agent, no student gets a 0: the run
    stops with the reason in plain words."""
    from course.grading import runner
    from course.grading.grade import GradingError

    course = small_class(new_course(tmp_path), assignments=[FIRST])
    monkeypatch.setattr(runner, "SERVE", "__import__('course_is_missing.agent', fromlist=['serve']).serve")
    with pytest.raises(GradingError, match="the sandboxed kernel cannot import course: ModuleNotFoundError"):
        grade(course, workers=1, sandbox=False, progress=False)
    assert read_failures(course) == []
    assert not submission_totals(gradebook_scores(course))


def test_metadata_validation_refuses_what_jsonschema_refuses():
    """The grader's compiled validator (course.grading.pipeline) stands in for nbgrader's
    jsonschema.validate: the same verdict and message on each corruption."""
    import jsonschema
    from nbgrader.nbgraderformat import MetadataValidator, ValidationError

    from nbgrader.nbgraderformat import common

    from course.grading import pipeline

    assert isinstance(common.jsonschema, pipeline._CompiledSchemas)  # what the checks below exercise

    MetadataValidator().validate_nb(source_notebook(FIRST))  # the source notebook is valid
    corruptions = {"points": "many", "grade": "yes", "grade_id": 7, "locked": None}
    for key, value in corruptions.items():
        nb = source_notebook(FIRST)
        cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("points"))
        cell.metadata.nbgrader[key] = value
        with pytest.raises(ValidationError) as ours:
            MetadataValidator().validate_nb(nb)
        with pytest.raises(ValidationError) as stock:
            jsonschema.validate(cell.metadata.nbgrader, MetadataValidator().schema)
        assert ours.value.message == stock.value.message, key
