"""Write HTML feedback per student into feedback/: each failed test's message, never the hidden tests.

The autograded notebook holds every test cell's full source (nbgrader restores the hidden tests
from the gradebook). The feedback pipeline, configured in grader_config.py so that
``nbgrader generate_feedback`` and Formgrader's button use it too, therefore:

- ``HideHiddenTests``: the source of every test cell becomes its visible part, what the release
  notebook shows (the regions between ``### BEGIN HIDDEN TESTS`` and ``### END HIDDEN TESTS``
  are cut, as nbgrader cuts them for the release), followed by a line saying that hidden tests
  ran; an error is its type and message only. The trusted runner already writes a test cell's
  outputs that way, and no student code ever saw a hidden line, so nothing else needs redacting.
- ``SafeOutputs``: nbconvert's ``SanitizeHTML`` with the tags a lesson's tables need: no scripts,
  no event handlers, no ``javascript:`` links, and only inert MIME types (no JavaScript or widget
  outputs) survive into the page a student opens.
- ``RenderMath`` and ``FEEDBACK_EXPORTER`` (offline_feedback.py): the page reads offline, maths
  as MathML and no MathJax from a CDN, and its table of contents names tests by exercise and
  written answers by question.
"""
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Any, Bool, List, Unicode

from .nbapi import ROOT, nbgrader_api

PLACEHOLDER = "# ... hidden tests ran here; their code is not shown"
BEGIN = "BEGIN HIDDEN TESTS"
END = "END HIDDEN TESTS"


def split_hidden(source, begin=BEGIN, end=END):
    """``(visible, hidden)`` lines of a test cell's source. A region that is never closed hides
    everything after its start."""
    visible, hidden, inside = [], [], False
    for line in source.split("\n"):
        if begin in line:
            inside = True
            hidden.append(line)
        elif end in line and inside:
            inside = False
            hidden.append(line)
        else:
            (hidden if inside else visible).append(line)
    return visible, hidden


def is_test_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


class HideHiddenTests(Preprocessor):
    """Feedback-safe test cells: visible source only, errors as type and message."""

    enabled = Bool(True)  # nbconvert registers preprocessors disabled unless they say otherwise
    begin_test_delimeter = Unicode(BEGIN).tag(config=True)
    end_test_delimeter = Unicode(END).tag(config=True)
    placeholder = Unicode(PLACEHOLDER).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            return cell, resources
        visible, hidden = split_hidden(cell.source, self.begin_test_delimeter, self.end_test_delimeter)
        while visible and not visible[-1].strip():
            visible.pop()
        cell.source = "\n".join(visible + ([self.placeholder] if hidden else []))
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                message = f"{output.ename}: {output.evalue}" if output.evalue else output.ename
                output.traceback = [message]
        return cell, resources


class SafeOutputs(SanitizeHTML):
    """nbconvert's HTML sanitiser, keeping the tables and text formatting lessons display."""

    enabled = Bool(True)
    strip = Bool(True)
    tags = List(Unicode(), default_value=[
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "div", "em", "h1", "h2", "h3",
        "h4", "h5", "h6", "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table",
        "tbody", "td", "tfoot", "th", "thead", "tr", "ul"])
    attributes = Any(default_value={"a": ["href", "title"], "*": ["class", "title", "colspan", "rowspan"]})

    def preprocess_cell(self, cell, resources, index):
        # the instructor's read-only text (restored from the gradebook) keeps its HTML and maths
        if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("locked"):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


FEEDBACK_EXPORTER = "course.grading.offline_feedback.OfflineFeedbackExporter"


def feedback_preprocessors():
    """The feedback pipeline (import strings), as grader_config.py configures it."""
    return [__name__ + ".HideHiddenTests", "nbgrader.preprocessors.GetGrades", __name__ + ".SafeOutputs",
            "course.grading.offline_feedback.RenderMath", "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor"]


def graded_submissions(root=ROOT, assignments=None):
    """``[(assignment, student)]`` in the gradebook that have an autograded folder, sorted."""
    api = nbgrader_api(root)
    autograded = Path(root) / "autograded"
    with api.gradebook as gb:
        pairs = [(a.name, s.student.id) for a in gb.assignments for s in a.submissions
                 if (autograded / s.student.id / a.name).is_dir()]
    # a submission that failed to grade has an autograded notebook that says why it scored 0
    pairs = [p for p in pairs if not assignments or p[0] in assignments]
    return sorted(pairs)


def _feedback_chunk(root, pairs):
    api = nbgrader_api(root)
    done = []
    for assignment, student in pairs:
        result = api.generate_feedback(assignment, student, force=True)
        done.append((assignment, student, result["success"], result.get("error") or result.get("log", "")))
    return done


def generate(root=ROOT, assignments=None, workers=None):
    """HTML feedback for every graded submission (of ``assignments``, default all); returns
    ``[(assignment, student, success, log)]``."""
    pairs = graded_submissions(root, assignments)
    workers = max(1, min(workers or os.cpu_count() or 1, len(pairs)))
    if workers == 1:
        return _feedback_chunk(root, pairs)
    chunks = [pairs[i::workers] for i in range(workers)]
    results = []
    with ProcessPoolExecutor(workers) as pool:
        for part in pool.map(_feedback_chunk, [root] * workers, chunks):
            results.extend(part)
    return sorted(results)


def add_arguments(parser):
    parser.add_argument("assignments", nargs="*", help="assignment names (default: every graded one)")
    parser.add_argument("--workers", type=int, default=None, metavar="N",
                        help="processes that render feedback (default: number of cores)")
    parser.add_argument("--root", type=Path, default=ROOT, metavar="DIR", help="course root (default: this repository)")


def _selection_problem(root, assignments):
    """Why the selected assignments give nothing to render (None when something is selected)."""
    from .build import source_assignments

    unknown = [a for a in assignments or () if a not in source_assignments(root)]
    if unknown:
        return f"not an assignment in {Path(root) / 'source'}: {', '.join(unknown)}"
    if not graded_submissions(root, assignments):
        return f"no graded submission of {', '.join(assignments) or 'any assignment'}: run python -m course grade first"
    return None


def run(args):
    problem = _selection_problem(args.root, args.assignments)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    results = generate(args.root, args.assignments, args.workers)
    failed = [r for r in results if not r[2]]
    print(f"feedback for {len(results) - len(failed)} submissions in {Path(args.root) / 'feedback'}/")
    for assignment, student, _, log in failed:
        last = (log.strip().splitlines() or ["(no log)"])[-1]
        print(f"  no feedback for {student}/{assignment}: {last}", file=sys.stderr)
    return 1 if failed else 0
