"""The instructor's tools around grading: demo, collect, feedback, export, report, demo-all.

Everything runs in a scratch copy of the course (source/, release/, the nbgrader config), never
in the repository's own submitted/ or gradebook. One small demo class goes through the whole
pipeline once (``python -m course demo-all``), and the feedback, export and report tests read
what it produced.
"""
import contextlib
import csv
import filecmp
import html
import io
import json
import re
import shutil
import zipfile

import nbformat
import pytest

from course.__main__ import main
from course.grading import collect, demo, demo_all, feedback, mistakes, report
from course.grading.nbapi import ROOT, nbgrader_api
from mutant_feedback import ASSIGNMENTS as NAMED, MISTAKE_WORDS

ASSIGNMENTS = demo.source_assignments(ROOT)


def scratch_course(path, assignments=None):
    """A copy of the course's notebooks (of ``assignments``, default all) and configuration at ``path``."""
    path.mkdir(parents=True, exist_ok=True)
    for folder in ("source", "release"):
        for assignment in assignments or sorted(p.name for p in (ROOT / folder).iterdir() if p.is_dir()):
            shutil.copytree(ROOT / folder / assignment, path / folder / assignment)
    for name in ("grader_config.py", "nbgrader_config.py"):
        shutil.copy(ROOT / name, path / name)
    return path


def _tree(root):
    return sorted(p.relative_to(root) for p in root.rglob("*"))


def _text(html_text):
    """What a reader sees of an HTML page: tags removed, entities decoded."""
    html_text = re.sub(r"<(script|style)\b.*?</\1>", "", html_text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))


def _is_solution(cell):
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


# ------------------------------------------------------------------ demo

@pytest.fixture(scope="module")
def demo_classes(tmp_path_factory):
    """The default-size class made twice with seed 0, once with seed 1."""
    roots = [scratch_course(tmp_path_factory.mktemp(f"demo{i}")) for i in range(3)]
    outcomes = [demo.make_class(r, students=12, seed=s) for r, s in zip(roots, (0, 0, 1))]
    return roots, outcomes


def test_demo_is_deterministic_per_seed(demo_classes):
    (a, b, c), (oa, ob, oc) = demo_classes
    assert oa == ob
    files = [p for p in _tree(a / "submitted") if (a / "submitted" / p).is_file()]
    assert files == [p for p in _tree(b / "submitted") if (b / "submitted" / p).is_file()]
    match, mismatch, errors = filecmp.cmpfiles(a / "submitted", b / "submitted", [str(p) for p in files], shallow=False)
    assert not mismatch and not errors
    assert oa != oc, "another seed should give another class"


def test_demo_class_has_every_outcome_kind(demo_classes):
    (root, *_), (outcomes, *_) = demo_classes
    kinds = {o.kind for o in outcomes.values()}
    assert kinds == set(demo.KINDS)
    assert len(outcomes) == 12 * len(ASSIGNMENTS)
    for kind in demo.BROKEN_KINDS:
        assert sum(o.kind == kind for o in outcomes.values()) == 1
    assert demo.read_class(root) == outcomes


def test_demo_submissions_are_what_they_claim(demo_classes):
    (root, *_), (outcomes, *_) = demo_classes
    suites = demo.load_mutants()
    for (student, assignment), outcome in outcomes.items():
        folder = root / "submitted" / student / assignment
        (release_path,) = (root / "release" / assignment).glob("*.ipynb")
        release = nbformat.read(release_path, as_version=4)
        source = nbformat.read(root / "source" / assignment / release_path.name, as_version=4)
        path = folder / release_path.name
        if outcome.kind == "missing_notebook":
            assert folder.is_dir() and not path.exists()
            continue
        if outcome.kind == "malformed_json":
            with pytest.raises(Exception):
                nbformat.read(path, as_version=4)
            continue
        nb = nbformat.read(path, as_version=4)
        answers = {c.metadata["nbgrader"]["grade_id"]: demo.student_answer(c.source)
                   for c in source.cells if _is_solution(c)}
        solutions = [c for c in nb.cells if _is_solution(c) and c.cell_type == "code"]  # the demo writes code
        filled = [c for c in solutions if c.source == answers[c.metadata["nbgrader"]["grade_id"]]]
        assert [c.metadata for c in nb.cells] == [c.metadata for c in release.cells], "cells must be the release's"
        if outcome.kind == "blank":
            assert nb.cells == release.cells
        elif outcome.kind == "complete":
            assert len(filled) == len(solutions)
            assert "BEGIN SOLUTION" not in "".join(c.source for c in solutions)
            written = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
                       if _is_solution(c) and c.cell_type == "markdown"}
            assert written and all(text == answers[gid] for gid, text in written.items())
            assert not any("Model answer" in text for text in written.values()), "answered as a student would"
        elif outcome.kind == "partial":
            assert 0 < len(filled) < len(solutions)
        elif outcome.kind == "mistakes":
            wrong_code = {w.code.strip("\n") for w in suites[assignment]}
            assert any(c.source in wrong_code for c in solutions)
        elif outcome.kind == "kernel_crash":
            assert any("os._exit" in c.source for c in solutions)
        elif outcome.kind == "infinite_loop":
            assert any("while i < 3" in c.source for c in solutions)


def test_demo_refuses_to_replace_a_real_class(tmp_path):
    root = scratch_course(tmp_path / "course")
    (root / "submitted" / "alice" / ASSIGNMENTS[0]).mkdir(parents=True)
    with pytest.raises(demo.RealClassPresent):
        demo.make_class(root, students=2)
    with pytest.raises(demo_all.NotADemoCourse):
        demo_all.reset(root)
    assert (root / "submitted" / "alice").is_dir()


# ------------------------------------------------------------------ collect

@pytest.fixture
def download(tmp_path):
    """An LMS download: notebooks named after students in several styles, plus junk."""
    root = scratch_course(tmp_path / "course")
    first, second = ASSIGNMENTS[:2]
    nb1 = next((root / "release" / first).glob("*.ipynb"))
    nb2 = next((root / "release" / second).glob("*.ipynb"))
    folder = tmp_path / "download"
    (folder / "bob").mkdir(parents=True)
    (folder / "carol" / first).mkdir(parents=True)
    shutil.copy(nb1, folder / f"alice_{nb1.name}")
    shutil.copy(nb2, folder / f"alice_20261101_{nb2.name}")
    shutil.copy(nb1, folder / "bob" / nb1.name)
    shutil.copy(nb1, folder / "carol" / first / nb1.name)
    shutil.copy(nb1, folder / f"dave_{nb1.stem} (1).ipynb")   # misnamed by the browser
    shutil.copy(nb1, folder / nb1.name)                        # no student id
    (folder / "erin_notes.txt").write_text("not a notebook")
    expected = {("alice", first, nb1.name), ("alice", second, nb2.name),
                ("bob", first, nb1.name), ("carol", first, nb1.name)}
    unmatched = {f"dave_{nb1.stem} (1).ipynb", nb1.name, "erin_notes.txt"}
    return root, folder, expected, unmatched


def _check_collected(root, result, expected, unmatched):
    assert {(s, a, n) for s, a, n, _ in result.collected} == expected
    assert {rel for rel, _ in result.unmatched} == unmatched
    for student, assignment, name in expected:
        assert (root / "submitted" / student / assignment / name).is_file()
    got = {(p.parts[0], p.parts[1]) for p in _tree(root / "submitted") if len(p.parts) == 3}
    assert got == {(s, a) for s, a, _ in expected}


def test_collect_from_a_folder(download):
    root, folder, expected, unmatched = download
    result = collect.collect(folder, root)
    _check_collected(root, result, expected, unmatched)
    again = collect.collect(folder, root)  # existing submissions are kept unless forced
    assert not again.collected and len(again.kept) == len(expected)
    assert len(collect.collect(folder, root, force=True).collected) == len(expected)


def test_collect_from_a_zip_reports_unmatched_files(download, capsys):
    root, folder, expected, unmatched = download
    archive = folder.parent / "submissions.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*"):
            if path.is_file():
                zf.write(path, path.relative_to(folder).as_posix())
        zf.writestr("__MACOSX/._junk", "resource fork")
    assert main(["collect", str(archive), "--root", str(root)]) == 1, "skipped files must show in the exit code"
    out = capsys.readouterr().out
    for name in unmatched:
        assert name in out
    result = collect.collect(archive, root, force=True)
    _check_collected(root, result, expected, unmatched)


def test_collect_with_a_custom_pattern(download):
    root, folder, expected, _ = download
    pattern = r"^(?P<student_id>[a-z]+)_(?:\d+_)?(?P<file_id>[^/]+\.ipynb)$"  # flat files only
    result = collect.collect(folder, root, regex=pattern)
    assert {(s, a) for s, a, _, _ in result.collected} == {("alice", ASSIGNMENTS[0]), ("alice", ASSIGNMENTS[1])}
    assert any(rel.startswith("bob/") for rel, _ in result.unmatched)


# ------------------------------------------------------------------ the whole pipeline

@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """A fresh course (no submitted/) run through `python -m course demo-all` with 4 students."""
    root = scratch_course(tmp_path_factory.mktemp("pipeline"))
    shutil.rmtree(root / "release")  # demo-all builds it
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["demo-all", "--root", str(root), "--students", "4", "--seed", "0",
                     "--workers", "2", "--timeout", "10"])
    return root, code, out.getvalue()


def test_demo_all_runs_every_step_and_prints_where_results_are(pipeline):
    root, code, out = pipeline
    assert code == 0, out
    for step in ("build", "demo", "grade", "feedback", "export", "report"):
        assert f"== {step}" in out
    for path in (root / "reports" / "index.html", root / "grades_by_student.csv", root / "feedback"):
        assert path.exists() and str(path) in out
    outcomes = demo.read_class(root)
    assert {o.kind for o in outcomes.values()} == set(demo.KINDS)


def _graded(root):
    with nbgrader_api(root).gradebook as gb:
        return {(a.name, s.student.id): s.score for a in gb.assignments for s in a.submissions}


def test_feedback_shows_failure_messages_but_no_hidden_tests(pipeline):
    root, *_ = pipeline
    htmls = sorted((root / "feedback").glob("*/*/*.html"))
    assert htmls, "no feedback written"
    messages_seen = 0
    for page in htmls:
        student, assignment = page.parent.parent.name, page.parent.name
        raw = page.read_text()
        text = _text(raw)
        source = nbformat.read(root / "source" / assignment / (page.stem + ".ipynb"), as_version=4)
        release = nbformat.read(root / "release" / assignment / (page.stem + ".ipynb"), as_version=4)
        graded = nbformat.read(root / "autograded" / student / assignment / (page.stem + ".ipynb"), as_version=4)
        # what the feedback may show anyway: the release, the student's own code, the solutions
        # (a hidden test may compute a reference the way a correct solution does), and the words
        # of course/'s checks (a message may quote a fix: "work on a copy (x = np.array(...))")
        public = "\n".join([c.source for c in release.cells] + [c.source for c in source.cells if _is_solution(c)]
                           + [c.source for c in graded.cells if not feedback.is_test_cell(c)]
                           + [path.read_text() for path in (ROOT / "course").rglob("*.py")])
        for cell in source.cells:
            if not cell.metadata.get("nbgrader", {}).get("grade"):
                continue
            _, hidden = feedback.split_hidden(cell.source)
            for line in hidden:
                line = line.strip()
                if len(line) >= 12 and line not in public:  # a distinctive hidden line
                    assert line not in text and html.escape(line) not in raw, \
                        f"hidden test line shown in {page}: {line}"
        assert "HIDDEN TESTS" not in text
        for cell in graded.cells:
            if not feedback.is_test_cell(cell):
                continue
            for output in cell.get("outputs", []):
                if output.output_type == "error" and output.evalue:
                    first = output.evalue.splitlines()[0]
                    assert first in text, f"failure message missing from {page}: {first}"
                    messages_seen += 1
    assert messages_seen, "the demo class should have failed tests with messages"


def test_export_matches_the_gradebook(pipeline):
    root, *_ = pipeline
    scores = _graded(root)
    with open(root / "grades_by_student.csv", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["student_id", "first_name", "last_name", *ASSIGNMENTS, "total"]
    students = sorted({s for _, s in scores})
    assert [r[0] for r in rows[1:]] == students
    for row in rows[1:]:
        student = row[0]
        for assignment, cell in zip(ASSIGNMENTS, row[3:-1]):
            assert (cell == "") == ((assignment, student) not in scores)
            if cell:
                assert float(cell) == pytest.approx(scores[assignment, student])
        expected = sum(scores.get((a, student), 0.0) for a in ASSIGNMENTS)
        assert float(row[-1]) == pytest.approx(expected)


def test_report_has_charts_and_lists_failed_submissions(pipeline):
    root, *_ = pipeline
    page = (root / "reports" / "index.html").read_text()
    images = re.findall(r'<img src="([^"]+)"', page)
    assert len(images) == 2 * len(ASSIGNMENTS)
    for name in images:
        png = root / "reports" / html.unescape(name)
        assert png.read_bytes().startswith(b"\x89PNG")
    failures = report.read_failures(root)
    kinds = {o.kind for (s, a), o in demo.read_class(root).items() if any(
        f["student"] == s and f["assignment"] == a for f in failures)}
    assert {"kernel_crash", "malformed_json", "missing_notebook", "infinite_loop"} <= kinds
    rows = re.findall(r"<tr>(.*?)</tr>", page)
    for f in failures:
        assert any(f">{f['assignment']}<" in r and f">{f['student']}<" in r
                   and html.escape(f["reason"]) in r for r in rows), f"{f} not in the report"


def _planted(root):
    """``{(assignment, test cell, mistake words): {students}}`` of the demo's "mistakes" submissions."""
    planted = {}
    for (student, assignment), outcome in demo.read_class(root).items():
        if outcome.kind == "mistakes" and assignment in NAMED:
            for item in outcome.detail.split("; "):
                function, label = item.split(": ", 1)
                key = (assignment, f"test_{function}", MISTAKE_WORDS[function, label])
                planted.setdefault(key, set()).add(student)
    return planted


def test_report_counts_the_mistakes_the_demo_planted(pipeline):
    root, *_ = pipeline
    planted = _planted(root)
    assert planted, "the demo class should hold a submission with planted mistakes"
    table = mistakes.mistake_table(root)
    counted = {(a, cell, name): set(students) for a, cells in table.items() for cell, found in cells.items()
               for name, students in found.items() if a in NAMED and name in set(MISTAKE_WORDS.values())}
    assert counted == planted
    page = (root / "reports" / "index.html").read_text()
    assert "<h2>Mistakes by exercise</h2>" in page
    for (assignment, cell, words), students in planted.items():
        row = f"<td>{assignment}</td><td>{cell}</td><td>{html.escape(words)}</td><td>{len(students)}</td>"
        assert row in page, f"{row} not in the report"


def test_feedback_names_each_planted_mistake_in_the_same_words(pipeline):
    root, *_ = pipeline
    for (assignment, cell, words), students in _planted(root).items():
        for student in students:
            (page,) = (root / "feedback" / student / assignment).glob("*.html")
            assert "Likely mistake: " + words in _text(page.read_text()), f"{student}'s feedback on {cell}"


def test_hide_hidden_tests_preprocessor():
    cell = nbformat.v4.new_code_cell("visible_check()\n### BEGIN HIDDEN TESTS\nsecret_check(42)\n### END HIDDEN TESTS")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_f", "points": 1}
    cell.outputs = [
        nbformat.v4.new_output("error", ename="CheckFailed", evalue="f at 1: got 3, expected 2",
                               traceback=["Cell In[3], line 3", "----> 3 secret_check(42)"]),
    ]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = feedback.HideHiddenTests().preprocess(nb, {})
    assert nb.cells[0].source == "visible_check()\n" + feedback.PLACEHOLDER
    assert nb.cells[0].outputs[0].traceback == ["CheckFailed: f at 1: got 3, expected 2"]
    assert "secret_check" not in json.dumps(nb)
