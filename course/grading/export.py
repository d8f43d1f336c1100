"""Export the gradebook as CSV: one row per student, a column per assignment and a total.

``grades_by_student.csv`` (its own name: ``nbgrader export`` writes ``grades.csv``, one row per
submission, and would overwrite it) has the columns ``student_id``, ``first_name``,
``last_name`` (from the roster), one per assignment in the gradebook (in name order), and
``total``. With ``--exercises`` each assignment is followed by one column per exercise (test
cell), named ``<assignment>:<grade_id>``. A cell holds the student's score for the assignment
after any late penalty, as nbgrader's feedback shows it; it is empty when the gradebook has no
submission of that student for that assignment (the total counts it as 0). A submission that
failed to grade is in the gradebook with the score the grader recorded for it.

``--canvas`` writes ``grades_canvas.csv`` as well, in the format of Canvas's gradebook import:
``Student`` ("Last, First"), ``ID`` (Canvas's user id: the roster's ``lms_user_id``),
``SIS User ID`` and ``SIS Login ID`` (the student id), ``Section``, then one column per
assignment, and a "Points Possible" row under the header. Canvas matches each row to a student
by any of the ids, and each assignment column by its name (a new name makes a new assignment).
A missing submission is an empty cell, which Canvas leaves ungraded.
"""
import csv
from pathlib import Path

from .nbapi import ROOT, nbgrader_api

WIDE_NAME = "grades_by_student.csv"
CANVAS_NAME = "grades_canvas.csv"


def _number(x):
    return f"{round(float(x), 4):g}"


def grade_table(root=ROOT):
    """``(assignments, max_scores, rows)`` from the gradebook: ``rows`` is
    ``[(student, {assignment: score}, total)]`` sorted by student id; a missing submission has no
    entry in its dict."""
    book = gradebook(root)
    rows = [(s, book["scores"][s], sum(book["scores"][s].values())) for s in book["students"]]
    return book["assignments"], book["max_scores"], rows


def gradebook(root=ROOT):
    """Everything the exports need, read once: ``{"assignments": [names], "max_scores":
    {assignment: points}, "students": [ids, sorted], "people": {id: {"first_name", "last_name",
    "lms_user_id"}}, "scores": {id: {assignment: score after penalty}}, "exercises":
    {assignment: [(grade_id, points)]}, "cells": {id: {(assignment, grade_id): score}}}``."""
    from .report import exercise_order

    with nbgrader_api(root).gradebook as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        book = {"assignments": [a.name for a in assignments],
                "max_scores": {a.name: float(a.max_score) for a in assignments},
                "people": {s.id: {"first_name": s.first_name or "", "last_name": s.last_name or "",
                                  "lms_user_id": s.lms_user_id or ""} for s in gb.students},
                "exercises": {}, "cells": {}}
        scores = {s: {} for s in book["people"]}
        for assignment in assignments:
            order = exercise_order(root, assignment.name)
            points = {c.name: float(c.max_score) for nb in assignment.notebooks for c in nb.grade_cells}
            book["exercises"][assignment.name] = sorted(
                points.items(), key=lambda item: (order.index(item[0]) if item[0] in order else len(order), item[0]))
            for sub in assignment.submissions:
                student = sub.student.id
                penalty = float(sub.late_submission_penalty or 0.0)
                scores.setdefault(student, {})[assignment.name] = max(0.0, float(sub.score) - penalty)
                cells = book["cells"].setdefault(student, {})
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        cells[assignment.name, grade.name] = float(grade.score)
    book["scores"] = scores
    book["students"] = sorted(scores)
    return book


def write_wide(book, path, exercises=False):
    names = book["assignments"]
    header = ["student_id", "first_name", "last_name"]
    for a in names:
        header.append(a)
        if exercises:
            header += [f"{a}:{gid}" for gid, _ in book["exercises"][a]]
    header.append("total")
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for student in book["students"]:
            person, scores = book["people"].get(student, {}), book["scores"][student]
            row = [student, person.get("first_name", ""), person.get("last_name", "")]
            for a in names:
                row.append(_number(scores[a]) if a in scores else "")
                if exercises:
                    cells = book["cells"].get(student, {})
                    row += [_number(cells[a, gid]) if (a, gid) in cells else "" for gid, _ in book["exercises"][a]]
            row.append(_number(sum(scores.values())))
            writer.writerow(row)


def write_canvas(book, path):
    names = book["assignments"]
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *names])
        writer.writerow(["Points Possible", "", "", "", "", *(_number(book["max_scores"][a]) for a in names)])
        for student in book["students"]:
            person, scores = book["people"].get(student, {}), book["scores"][student]
            last, first = person.get("last_name", ""), person.get("first_name", "")
            shown = f"{last}, {first}" if last and first else (last or first or student)
            writer.writerow([shown, person.get("lms_user_id", ""), student, student, "",
                             *(_number(scores[a]) if a in scores else "" for a in names)])


def export(root=ROOT, to=None, exercises=False, canvas=None):
    """Write the wide CSV (default ``grades_by_student.csv`` at the course root) and, when
    ``canvas`` is a path or True, the Canvas import file; returns the wide file's path and the
    table of ``grade_table``."""
    book = gradebook(root)
    path = Path(to) if to else Path(root) / WIDE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    write_wide(book, path, exercises)
    if canvas:
        write_canvas(book, Path(root) / CANVAS_NAME if canvas is True else Path(canvas))
    rows = [(s, book["scores"][s], sum(book["scores"][s].values())) for s in book["students"]]
    return path, (book["assignments"], book["max_scores"], rows)


def add_arguments(parser):
    parser.add_argument("--to", type=Path, default=None, metavar="FILE",
                        help=f"CSV file to write (default: {WIDE_NAME} at the course root)")
    parser.add_argument("--exercises", action="store_true", help="a column per exercise after each assignment")
    parser.add_argument("--canvas", nargs="?", const=True, default=None, type=Path, metavar="FILE",
                        help=f"also write Canvas's gradebook import file (default: {CANVAS_NAME} at the course root)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    path, (names, max_scores, rows) = export(args.root, args.to, args.exercises, args.canvas)
    out_of = ", ".join(f"{a} out of {_number(max_scores[a])}" for a in names)
    print(f"grades of {len(rows)} students in {path} ({out_of}; total out of {_number(sum(max_scores.values()))})")
    if args.canvas:
        print(f"Canvas import file: {Path(args.root) / CANVAS_NAME if args.canvas is True else args.canvas}")
    return 0
