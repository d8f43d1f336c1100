"""Export the gradebook as CSV: one row per student, a column per assignment and a total.

Columns: ``student_id``, one per assignment in the gradebook (in name order), ``total``. A cell
holds the student's score for the assignment after any late penalty, as nbgrader's feedback shows
it; it is empty when the gradebook has no submission of that student for that assignment (the
total counts it as 0). A submission that failed to grade is in the gradebook with the score the
grader recorded for it. The file opens in any spreadsheet and imports into an LMS grade centre.
"""
import csv
from pathlib import Path

from .nbapi import ROOT, nbgrader_api


def _number(x):
    return f"{round(float(x), 4):g}"


def grade_table(root=ROOT):
    """``(assignments, max_scores, rows)`` from the gradebook: ``rows`` is
    ``[(student, {assignment: score}, total)]`` sorted by student id; a missing submission has no
    entry in its dict."""
    with nbgrader_api(root).gradebook as gb:
        assignments = sorted(gb.assignments, key=lambda a: a.name)
        names = [a.name for a in assignments]
        max_scores = {a.name: float(a.max_score) for a in assignments}
        scores = {s.id: {} for s in gb.students}
        for assignment in assignments:
            for sub in assignment.submissions:
                penalty = float(sub.late_submission_penalty or 0.0)
                scores.setdefault(sub.student.id, {})[assignment.name] = max(0.0, float(sub.score) - penalty)
    rows = [(student, scores[student], sum(scores[student].values())) for student in sorted(scores)]
    return names, max_scores, rows


def export(root=ROOT, to=None):
    """Write the CSV (default ``grades.csv`` at the course root); returns its path and the table."""
    names, max_scores, rows = grade_table(root)
    path = Path(to) if to else Path(root) / "grades.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student_id", *names, "total"])
        for student, scores, total in rows:
            writer.writerow([student, *(_number(scores[a]) if a in scores else "" for a in names), _number(total)])
    return path, (names, max_scores, rows)


def add_arguments(parser):
    parser.add_argument("--to", type=Path, default=None, metavar="FILE", help="CSV file to write (default: grades.csv at the course root)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def run(args):
    path, (names, max_scores, rows) = export(args.root, args.to)
    out_of = ", ".join(f"{a} out of {_number(max_scores[a])}" for a in names)
    print(f"grades of {len(rows)} students in {path} ({out_of}; total out of {_number(sum(max_scores.values()))})")
    return 0
