"""Write reports/index.html: score charts, the exercises the class found hard, failed and tampered submissions.

The page (with its PNG charts next to it, drawn by matplotlib's Agg backend) shows, from the
gradebook:

- per assignment, the distribution of scores (percent of the maximum) over the submissions;
- per exercise (test cell), the mean score as a share of its points and the share of
  submissions with full marks: the exercises the class found hard stand out. Submissions that
  failed to grade are left out of these two numbers (their zeros say nothing about an exercise);
- the submissions that failed to grade and why, from the grade command's record
  (``autograded/failures.json``), with the submissions the gradebook does not know at all;
- per exercise, how many students made which mistake (``course.grading.mistakes``);
- the submissions in which a test reported "tampering detected" (the grader's tamper checks),
  found in the error outputs of the autograded notebooks.
"""
import html
import json
import statistics
from pathlib import Path

import nbformat

from . import mistakes
from .nbapi import ROOT, nbgrader_api

TAMPERING = "tampering detected"


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
    {"max_score", "scores": {student: score}}}}}`` from the gradebook."""
    data = {}
    with nbgrader_api(root).gradebook as gb:
        for assignment in sorted(gb.assignments, key=lambda a: a.name):
            entry = data[assignment.name] = {"max_score": float(assignment.max_score), "scores": {}, "cells": {}}
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    entry["cells"][cell.name] = {"max_score": float(cell.max_score), "scores": {}}
            for sub in assignment.submissions:
                student = sub.student.id
                entry["scores"][student] = max(0.0, float(sub.score) - float(sub.late_submission_penalty or 0))
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        if grade.name in entry["cells"]:
                            entry["cells"][grade.name]["scores"][student] = float(grade.score)
    return data


def submitted_pairs(root=ROOT):
    """``{(assignment, student)}`` folders under submitted/."""
    submitted = Path(root) / "submitted"
    if not submitted.is_dir():
        return set()
    return {(a.name, s.name) for s in submitted.iterdir() if s.is_dir() for a in s.iterdir() if a.is_dir()}


def tampering(root=ROOT):
    """``[(assignment, student, grade_id, message)]``: test outputs of autograded notebooks that
    say "tampering detected"."""
    found = []
    autograded = Path(root) / "autograded"
    for path in sorted(autograded.glob("*/*/*.ipynb")):
        student, assignment = path.parent.parent.name, path.parent.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- not our notebook to judge
            continue
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
                elif output.get("output_type") == "stream":
                    text = output.get("text", "")
                else:
                    continue
                if TAMPERING in text:
                    line = next(l for l in text.splitlines() if TAMPERING in l)
                    gid = cell.metadata.get("nbgrader", {}).get("grade_id", "")
                    found.append((assignment, student, gid, line.strip()))
    return found


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

def _table(headers, rows):
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(x):
    return f"{x:.0f}%"


STYLE = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem}td,th{border:1px solid #ccc;padding:0.25rem 0.6rem;text-align:left}
th{background:#f2f2f2}img{max-width:100%;display:block;margin:0.5rem 0}.none{color:#666}"""


def build_report(root=ROOT, out=None):
    """Write the page and its charts; returns the path of index.html and a summary dict."""
    root = Path(root)
    out = Path(out) if out else root / "reports"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    data = gradebook_data(root)
    failures = read_failures(root)
    failed = {(f["assignment"], f["student"]) for f in failures if f.get("status") != "graded"}
    graded_pairs = {(a, s) for a, d in data.items() for s in d["scores"]}
    ungraded = sorted(submitted_pairs(root) - graded_pairs - failed)
    tampered = tampering(root)

    parts = [f"<h1>Grading report</h1><p>Course folder: <code>{html.escape(str(root))}</code></p>"]
    overview = []
    for assignment, d in data.items():
        scores = list(d["scores"].values())
        overview.append([assignment, len(scores), f"{d['max_score']:g}",
                         f"{statistics.mean(scores):.2f}" if scores else "-",
                         f"{statistics.median(scores):.2f}" if scores else "-",
                         sum(1 for (a, _) in failed if a == assignment)])
    parts.append("<h2>Overview</h2>" + (_table(["assignment", "submissions", "max score", "mean", "median",
                                                "failed to grade"], overview) if overview else
                                        '<p class="none">The gradebook holds no assignment yet.</p>'))
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
        rows, names, means, full = [], [], [], []
        for cell in cells:
            info = d["cells"][cell]
            scores = [s for student, s in info["scores"].items() if (assignment, student) not in failed]
            if not scores or not info["max_score"]:
                continue
            mean = 100 * statistics.mean(scores) / info["max_score"]
            share = 100 * sum(s >= info["max_score"] - 1e-9 for s in scores) / len(scores)
            names.append(cell)
            means.append(mean)
            full.append(share)
            rows.append([cell, f"{info['max_score']:g}", len(scores), _pct(mean), _pct(share)])
            hard.append((mean, assignment, cell))
        if rows:
            png = f"exercises_{assignment}.png"
            exercise_chart(out / png, assignment, names, means, full)
            charts.append(png)
            parts.append(f'<h3>Exercises</h3><img src="{html.escape(png)}" alt="exercises of {html.escape(assignment)}">'
                         + _table(["test cell", "points", "graded submissions", "mean score", "full marks"], rows))

    parts.append(mistakes.html_section(root, {a: exercise_order(root, a) for a in data}))
    parts.append("<h2>Submissions that failed to grade or need a look</h2>")
    problem_rows = [[f["assignment"], f["student"], f.get("status", ""), f.get("kind", ""), f.get("reason", "")]
                    for f in sorted(failures, key=lambda f: (f["assignment"], f["student"]))]
    problem_rows += [[a, s, "not graded", "", "in submitted/ but not in the gradebook: run python -m course grade"]
                     for a, s in ungraded]
    parts.append(_table(["assignment", "student", "status", "kind", "reason"], problem_rows) if problem_rows
                 else '<p class="none">None.</p>')
    parts.append("<h2>Tampering detected</h2>")
    parts.append(_table(["assignment", "student", "test cell", "message"], tampered) if tampered
                 else '<p class="none">No test reported tampering.</p>')

    page = ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Grading report</title>"
            f"<style>{STYLE}</style></head><body>" + "\n".join(parts) + "</body></html>\n")
    index = out / "index.html"
    index.write_text(page)
    summary = {"charts": charts, "failures": problem_rows, "tampered": tampered,
               "hardest": sorted(hard)[:3]}
    return index, summary


def add_arguments(parser):
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR", help="output folder (default: reports/ at the course root)")


def run(args):
    index, summary = build_report(args.root, args.out)
    print(f"report: {index} ({len(summary['charts'])} charts, {len(summary['failures'])} submissions "
          f"failed to grade, {len(summary['tampered'])} with tampering detected)")
    if summary["hardest"]:
        print("hardest exercises: " + ", ".join(f"{a}/{c} ({m:.0f}% mean)" for m, a, c in summary["hardest"]))
    return 0
