"""The class view of mistakes: for each exercise, how many students made which mistake.

A failing test cell of an autograded notebook holds one error whose message the trusted runner
wrote from the check that failed. Where the hidden tests recognised a known wrong variant, the
message has a line ``Likely mistake: <mistake>: <how to fix it>`` (``course.gradcheck.fail``;
several lines when ``Cases`` lists several failed cases). The words before the first ": " are
the mistake's *fingerprint*: the same words for every student who made it, so they can be
counted. A failure that names no mistake is counted by what it is instead: an exercise not
attempted (``NotImplementedError``), an exception the student's function raised, a time-out, or
"another failure".

``mistake_table(root)`` reads autograded/ and gives the counts; ``html_section(root)`` is the
part of ``course report``'s page that shows them.
"""
import html
import re
from pathlib import Path

import nbformat

from course.gradcheck import LIKELY_MISTAKE

NOT_ATTEMPTED = "not attempted (NotImplementedError)"
OTHER = "another failure (no known mistake recognised)"
_LINE = re.compile(r"^\s*" + re.escape(LIKELY_MISTAKE) + r"(.+?)\s*$", re.MULTILINE)
_RAISED = re.compile(r"\braised (\w+(?:Error|Exception|Warning))\b")


def fingerprint(mistake):
    """The mistake's own words: the text of a ``Likely mistake:`` line before its first ": "."""
    return mistake.split(": ", 1)[0].strip().rstrip(".")


def mistakes_in(ename, evalue):
    """Fingerprints a failing test cell's error stands for (at least one)."""
    evalue = evalue or ""
    found = [fingerprint(m) for m in _LINE.findall(evalue)]
    if found:
        return list(dict.fromkeys(found))
    if ename == "NotImplementedError" or "NotImplementedError" in evalue:
        return [NOT_ATTEMPTED]
    if ename == "CellTimeoutError":
        return ["did not finish within the time limit"]
    raised = _RAISED.search(evalue)
    if raised and raised.group(1) != "AssertionError":
        return [f"raised {raised.group(1)}"]
    if ename not in ("AssertionError", "CheckFailed", "PartialCredit", ""):
        return [f"raised {ename}"]
    return [OTHER]


def _test_cells(nb):
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
            yield meta.get("grade_id", ""), cell


def notebook_mistakes(nb):
    """``{grade_id: [fingerprint, ...]}`` for the failing test cells of one autograded notebook."""
    result = {}
    for grade_id, cell in _test_cells(nb):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                result.setdefault(grade_id, [])
                for found in mistakes_in(output.get("ename", ""), output.get("evalue", "")):
                    if found not in result[grade_id]:
                        result[grade_id].append(found)
    return result


def mistake_table(root):
    """``{assignment: {grade_id: {fingerprint: [student, ...]}}}`` over root/autograded/."""
    table = {}
    for path in sorted(Path(root, "autograded").glob("*/*/*.ipynb")):
        student, assignment = path.parent.parent.name, path.parent.name
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 -- an unreadable notebook has its own row in the report
            continue
        for grade_id, found in notebook_mistakes(nb).items():
            cell = table.setdefault(assignment, {}).setdefault(grade_id, {})
            for name in found:
                students = cell.setdefault(name, [])
                if student not in students:
                    students.append(student)
    return table


def rows(table, order=None):
    """Table rows ``[assignment, exercise, mistake, count, students]``: exercises in notebook order
    (``order``: ``{assignment: [grade_id, ...]}``), the commonest mistake first, "not attempted" and
    "another failure" last."""
    order = order or {}
    out = []
    for assignment in sorted(table):
        ids = order.get(assignment, [])
        for grade_id in sorted(table[assignment], key=lambda g: (ids.index(g) if g in ids else len(ids), g)):
            found = table[assignment][grade_id]
            late = {NOT_ATTEMPTED: 2, OTHER: 1}
            for name in sorted(found, key=lambda n: (late.get(n, 0), -len(found[n]), n)):
                students = sorted(found[name])
                out.append([assignment, grade_id, name, len(students), ", ".join(students)])
    return out


def html_section(root, order=None):
    """The report's section: one table of mistakes per assignment."""
    body = rows(mistake_table(root), order)
    parts = ["<h2>Mistakes by exercise</h2>",
             "<p>Failed tests grouped by the mistake their message names (the words students read in "
             "their feedback after \u201cLikely mistake:\u201d).</p>"]
    if not body:
        return "".join(parts) + '<p class="none">No failed test in autograded/.</p>'
    head = "".join(f"<th>{h}</th>" for h in ("assignment", "exercise", "mistake", "students", "who"))
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in body)
    return "".join(parts) + f'<table class="mistakes"><thead><tr>{head}</tr></thead><tbody>{cells}</tbody></table>'
