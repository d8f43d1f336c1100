"""Write reports/index.html: a table per student, score charts, the exercises the class found hard, what needs a look.

The page (with its PNG charts next to it, drawn by matplotlib's Agg backend) shows, from the
gradebook:

- an overview per assignment: submissions, missing submissions, mean and median, failed and
  needing manual grading;
- a table per student (name from the roster, ``python -m course roster``): each assignment's
  score with its flags (failed, needs a look, late, needs manual grading, missing) and
  links to the student's feedback and graded notebook;
- per assignment, the distribution of scores (percent of the maximum) and, per exercise (test
  cell), the mean score as a share of its points and the share of submissions with full marks
  (the chart; the table under it gives points and counts). Submissions that failed to grade are
  left out of the exercise numbers (their zeros say nothing about an exercise);
- who has not submitted: every student in the gradebook (the roster) without a submission;
- the submissions that need manual grading (Formgrader's "needs manual grade");
- the submissions that failed to grade or need a look, from the grade command's record
  (``autograded/failures.json``), with the submissions the gradebook does not know at all;
- per exercise, how many students made which mistake (``course.grading.mistakes``).
"""
import html
import json
import os
import statistics
from pathlib import Path

import nbformat

from . import mistakes
from .nbapi import ROOT, nbgrader_api


# ------------------------------------------------------------------ data

def read_failures(root=ROOT):
    """The grade command's failure record: a list of dicts with assignment, student, status,
    kind, reason (``[]`` when there is none)."""
    try:
        from .grade import read_failures as from_grade
    except ImportError:
        from_grade = None
    if from_grade is not None:
        return from_grade(root)
    path = Path(root) / "autograded" / "failures.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return []


def exercise_order(root, assignment):
    """grade_ids of the test cells of ``assignment`` in notebook order (source/)."""
    order = []
    for path in sorted((Path(root) / "source" / assignment).glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- an unreadable source notebook only loses the order
            continue
        order += [c.metadata["nbgrader"]["grade_id"] for c in nb.cells
                  if c.metadata.get("nbgrader", {}).get("grade") and "grade_id" in c.metadata["nbgrader"]]
    return order


def gradebook_data(root=ROOT):
    """``{assignment: {"max_score", "scores": {student: score}, "cells": {grade_id:
    {"max_score", "scores": {student: score}, "waiting": answers not graded by hand yet}}}}``
    from the gradebook."""
    data = {}
    with nbgrader_api(root).gradebook as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            entry = data[assignment.name] = {"max_score": float(assignment.max_score), "scores": {}, "cells": {},
                                             "late": {}, "manual": set(), "notebooks": {}}
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    entry["cells"][cell.name] = {"max_score": float(cell.max_score), "scores": {}, "waiting": 0}
            for sub in assignment.submissions:
                student = sub.student.id
                entry["scores"][student] = max(0.0, float(sub.score) - float(sub.late_submission_penalty or 0))
                if sub.late_submission_penalty:
                    entry["late"][student] = float(sub.late_submission_penalty)
                if sub.needs_manual_grade:
                    entry["manual"].add(student)
                entry["notebooks"][student] = sorted(nb.name for nb in sub.notebooks)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.name not in entry["cells"]:
                            continue
                        if grade.needs_manual_grade:  # no score yet: not a 0 of the exercise
                            entry["cells"][grade.name]["waiting"] += 1
                        else:
                            entry["cells"][grade.name]["scores"][student] = float(grade.score)
    return data


def people(root=ROOT):
    """``{student id: "First Last" or ""}`` of every student in the gradebook (the roster and
    everyone graded)."""
    from .roster import names

    with nbgrader_api(root).gradebook as gb:
        known = names(gb)
        return {s.id: known.get(s.id, "") for s in gb.students}


def submitted_pairs(root=ROOT):
    """``{(assignment, student)}`` folders under submitted/."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return set()
    return {(a.name, s.name) for s in submitted.iterdir() if s.is_dir() for a in s.iterdir() if a.is_dir()}


# ------------------------------------------------------------------ charts

def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def score_chart(path, assignment, percents):
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 3.2), dpi=100)
    ax.hist(percents, bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.0001], color="#4c72b0", edgecolor="white")
    ax.set_xlim(0, 100)
    ax.set_xlabel("score (% of maximum)")
    ax.set_ylabel("submissions")
    ax.set_title(f"{assignment}: {len(percents)} submissions")
    ax.yaxis.get_major_locator().set_params(integer=True)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def exercise_chart(path, assignment, names, means, full):
    plt = _plt()
    height = 1.2 + 0.32 * len(names)
    fig, ax = plt.subplots(figsize=(6.5, max(2.4, height)), dpi=100, layout="constrained")
    y = range(len(names))
    ax.barh([i - 0.2 for i in y], means, height=0.38, color="#4c72b0", label="mean score (% of its points)")
    ax.barh([i + 0.2 for i in y], full, height=0.38, color="#dd8452", label="full marks (% of submissions)")
    ax.set_yticks(list(y), names)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("percent")
    fig.suptitle(f"{assignment}: exercises")
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2, frameon=False, fontsize="small")
    fig.savefig(path)
    plt.close(fig)


# ------------------------------------------------------------------ the page

class Markup(str):
    """A table cell that is HTML already (links), not text to escape."""


def _cell(c):
    return c if isinstance(c, Markup) else html.escape(str(c))


def _table(headers, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_cell(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _link(out, target, text):
    return f'<a href="{html.escape(os.path.relpath(target, out))}">{html.escape(text)}</a>'


def student_cell(root, out, assignment, student, d, flags):
    """The per-student table's cell of one assignment: score, flags and links."""
    if student not in d["scores"]:
        return ", ".join(flags) or "missing"
    parts = [html.escape(f"{d['scores'][student]:g} / {d['max_score']:g}")]
    if flags:
        parts.append(f'<span class="flag">{html.escape(", ".join(flags))}</span>')
    links = []
    for nb in d["notebooks"].get(student, []):
        page = Path(root) / "feedback" / student / assignment / f"{nb}.html"
        graded = Path(root) / "autograded" / student / assignment / f"{nb}.ipynb"
        if page.exists():
            links.append(_link(out, page, "feedback"))
        if graded.exists():
            links.append(_link(out, graded, "graded notebook"))
    if links:
        parts.append(" · ".join(links))
    return Markup("<br>".join(parts))


def flags_of(assignment, student, d, failures_by_pair, ungraded):
    """Short words for what is special about one submission (``[]`` for a clean one)."""
    flags = []
    f = failures_by_pair.get((assignment, student))
    if f:
        flags.append(f"failed: {f.get('kind')}" if f.get("status") == "failed" else f"look: {f.get('kind')}")
    if student in d["late"]:
        flags.append(f"late (-{d['late'][student]:g})")
    if student in d["manual"]:
        flags.append("needs manual grading")
    if (assignment, student) in ungraded:
        flags.append("not graded yet")
    return flags


def _pct(x):
    return f"{x:.0f}%"


STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:0.25rem 0.6rem;text-align:left}
th{background:#f2f2f2}img{max-width:100%;display:block;margin:0.5rem 0}.none{color:#666}.flag{color:#a33}"""


def build_report(root=ROOT, out=None):
    """Write the page and its charts; returns the path of index.html and a summary dict with
    the counts the console prints: ``failed`` and ``flagged`` (failures.json), ``not_graded``,
    ``missing`` and ``manual`` (``[(assignment, student)]``)."""
    root = Path(root)
    out = Path(out) if out else root / "reports"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    data = gradebook_data(root)
    everyone = people(root)
    failures = read_failures(root)
    failures_by_pair = {(f["assignment"], f["student"]): f for f in failures}
    failed = {pair for pair, f in failures_by_pair.items() if f.get("status") != "graded"}
    flagged = {pair for pair, f in failures_by_pair.items() if f.get("status") == "graded"}
    graded_pairs = {(a, s) for a, d in data.items() for s in d["scores"]}
    ungraded = sorted(submitted_pairs(root) - graded_pairs - failed)
    submitted = submitted_pairs(root)
    missing = sorted((a, s) for a, d in data.items() for s in everyone
                     if s not in d["scores"] and (a, s) not in submitted)
    manual = sorted((a, s) for a, d in data.items() for s in d["manual"])

    parts = [f"<h1>Grading report</h1><p>Course folder: <code>{html.escape(str(root))}</code></p>"]
    overview = []
    for assignment, d in data.items():
        scores = list(d["scores"].values())
        overview.append([assignment, len(scores), sum(1 for a, _ in missing if a == assignment), f"{d['max_score']:g}",
                         f"{statistics.mean(scores):.2f}" if scores else "-",
                         f"{statistics.median(scores):.2f}" if scores else "-",
                         sum(1 for (a, _) in failed if a == assignment),
                         len(d["manual"])])
    parts.append("<h2>Overview</h2>" + (_table(["assignment", "submissions", "missing", "max score", "mean", "median",
                                                "failed to grade", "needs manual grading"], overview)
                                        if overview else '<p class="none">The gradebook holds no assignment yet.</p>'))

    parts.append("<h2>Students</h2>")
    student_rows = []
    for student in sorted(set(everyone) | {s for _, s in submitted}):
        row = [student, everyone.get(student, "")]
        for assignment, d in data.items():
            flags = flags_of(assignment, student, d, failures_by_pair, set(ungraded))
            if student not in d["scores"] and not flags:
                flags = ["missing"] if (assignment, student) in missing else []
            row.append(student_cell(root, out, assignment, student, d, flags))
        student_rows.append(row)
    parts.append(_table(["student", "name", *data], student_rows) if student_rows
                 else '<p class="none">No students in the gradebook yet.</p>')

    charts = []
    hard = []
    for assignment, d in data.items():
        parts.append(f"<h2>{html.escape(assignment)}</h2>")
        percents = [100 * s / d["max_score"] if d["max_score"] else 0.0 for s in d["scores"].values()]
        if percents:
            png = f"scores_{assignment}.png"
            score_chart(out / png, assignment, percents)
            charts.append(png)
            parts.append(f'<h3>Score distribution</h3><img src="{html.escape(png)}" alt="score distribution of {html.escape(assignment)}">')
        order = exercise_order(root, assignment)
        cells = sorted(d["cells"], key=lambda c: (order.index(c) if c in order else len(order), c))
        rows, names, means, full, waiting = [], [], [], [], []
        for cell in cells:
            info = d["cells"][cell]
            if info["waiting"]:  # a mean of the answers graded so far would mislead
                waiting.append(cell)
                continue
            scores = [s for student, s in info["scores"].items() if (assignment, student) not in failed]
            if not scores or not info["max_score"]:
                continue
            mean = 100 * statistics.mean(scores) / info["max_score"]
            share = 100 * sum(s >= info["max_score"] - 1e-9 for s in scores) / len(scores)
            names.append(cell)
            means.append(mean)
            full.append(share)
            # the chart shows the mean and the full-marks share; the table adds what it does not
            rows.append([cell, f"{info['max_score']:g}", len(scores), sum(s <= 1e-9 for s in scores)])
            hard.append((mean, assignment, cell))
        if rows:
            png = f"exercises_{assignment}.png"
            exercise_chart(out / png, assignment, names, means, full)
            charts.append(png)
            parts.append(f'<h3>Exercises</h3><img src="{html.escape(png)}" alt="exercises of {html.escape(assignment)}">'
                         + _table(["test cell", "points", "graded submissions", "scored 0"], rows))
        if waiting:
            parts.append(f'<p class="none">Left out until graded by hand: {html.escape(", ".join(waiting))}.</p>')

    parts.append("<h2>Missing submissions</h2>")
    parts.append(_table(["assignment", "student", "name"], [[a, s, everyone.get(s, "")] for a, s in missing])
                 if missing else '<p class="none">Every student in the gradebook has submitted every assignment.</p>')
    parts.append("<h2>Needs manual grading</h2>")
    parts.append(_table(["assignment", "student"], manual) if manual
                 else '<p class="none">Nothing waits for manual grading.</p>')
    parts.append(mistakes.html_section(root, {a: exercise_order(root, a) for a in data}))
    parts.append("<h2>Submissions that failed to grade or need a look</h2>")
    problem_rows = [[f["assignment"], f["student"], f.get("status", ""), f.get("kind", ""), f.get("reason", "")]
                    for f in sorted(failures, key=lambda f: (f["assignment"], f["student"]))]
    problem_rows += [[a, s, "not graded", "", "in submitted/ but not in the gradebook: run python -m course grade"]
                     for a, s in ungraded]
    parts.append(_table(["assignment", "student", "status", "kind", "reason"], problem_rows) if problem_rows
                 else '<p class="none">None.</p>')

    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Grading report</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>\n")
    index = out / "index.html"
    index.write_text(page)
    summary = {"charts": charts, "failures": problem_rows, "failed": sorted(failed), "flagged": sorted(flagged),
               "not_graded": ungraded, "missing": missing, "manual": manual,
               "hardest": sorted(hard)[:3]}
    return index, summary


def add_arguments(parser):
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: reports/ at the course root)")


def console_summary(summary):
    """The report's counts in one line, each counted once per submission."""
    counts = [f"{len(summary['charts'])} charts", f"{len(summary['failed'])} failed to grade",
              f"{len(summary['flagged'])} graded with a problem to look at",
              f"{len(summary['manual'])} need manual grading", f"{len(summary['missing'])} missing"]
    if summary["not_graded"]:
        counts.append(f"{len(summary['not_graded'])} not graded yet")
    return ", ".join(counts)


def run(args):
    index, summary = build_report(args.root, args.out)
    print(f"report: {index} ({console_summary(summary)})")
    if summary["hardest"]:
        print("hardest exercises: " + ", ".join(f"{a}/{c} ({m:.0f}% mean)" for m, a, c in summary["hardest"]))
    return 0
