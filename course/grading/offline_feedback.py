"""Feedback pages that read offline: maths rendered at feedback time, tests named by their
exercise and written answers by their question.

nbgrader's feedback template loads MathJax from a CDN, so a page opened offline (or behind a
firewall, or years later) shows raw ``$\\frac{\\partial L}{\\partial w}$``, and its table of
contents calls every test "Test cell" and every written answer "Written response". Two pieces, both configured in grader_config.py so that
every path that writes feedback (``python -m course feedback``, ``nbgrader generate_feedback``,
Formgrader's "Generate feedback") gives the same page:

- ``RenderMath`` (a feedback preprocessor) converts every ``$...$`` and ``$$...$$`` of the
  markdown cells to MathML (with ``latex2mathml``; browsers draw MathML natively). A formula
  that cannot be converted stays as its TeX source.
- ``OfflineFeedbackExporter`` (``GenerateFeedback.exporter_class``) renders nbgrader's feedback
  template without the MathJax script, and names each test by its exercise: the heading of its
  section when that names the graded function of the solution cell it tests (``Exercise 3.1 ·
  numerical_gradient(f, x, h=1e-5) (3 points)``), else that function and the section; each
  written answer by its question's heading (``Question 5.2 · why does a single row blow up?``).
"""
import re
from pathlib import Path

import nbformat
from jinja2 import FileSystemLoader
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool, default

FENCE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$|`[^`\n]+`)", re.M | re.S)
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.S)
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
DEF = re.compile(r"^def\s+(\w+)\s*\(", re.M)
POINTS = re.compile(r"\s*\((?:written, )?\d+ points?\)$")  # "(written, 2 points)" after a question
TEMPLATES = Path(__file__).with_name("feedback_templates")


def tex_to_mathml(tex, display):
    """MathML for one formula, or None when latex2mathml cannot read it."""
    from latex2mathml.converter import convert

    try:
        return convert(tex.strip(), display="block" if display else "inline")
    except Exception:  # noqa: BLE001 -- any TeX it cannot parse: keep the source
        return None


def render_math(markdown):
    """``markdown`` with its formulas as MathML, code spans and fenced blocks untouched."""
    def formula(match):
        display = match.group(1) is not None
        tex = match.group(1) if display else match.group(2)
        mathml = tex_to_mathml(tex, display)
        if mathml is None:
            return match.group(0)
        return f"\n\n{mathml}\n\n" if display else mathml

    parts = FENCE.split(markdown)
    # FENCE has one group: odd indices are code, even ones prose
    return "".join(part if i % 2 else MATH.sub(formula, part) for i, part in enumerate(parts))


class RenderMath(Preprocessor):
    """Markdown cells' maths as MathML, so the page needs no MathJax."""

    enabled = Bool(True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown" and "$" in cell.source:
            cell.source = render_math(cell.source)
        return cell, resources


def exercise_names(nb):
    """``{grade_id: name}`` from a notebook: a test is named by the functions defined in the
    solution cell before it and the last heading above it; a written answer by its question's
    heading."""
    names, functions, section = {}, [], ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("grade_id") and section:
            names[meta["grade_id"]] = POINTS.sub("", section)
        elif cell.cell_type == "markdown":
            headings = HEADING.findall(cell.source)
            if headings:
                section = re.sub(r"[*`]", "", headings[-1]).strip()
        elif meta.get("solution"):
            functions = DEF.findall(cell.source) or [meta.get("grade_id", "")]
        elif meta.get("grade") and meta.get("grade_id"):
            label = ", ".join(f for f in functions if f) or meta["grade_id"]
            # an exercise heading usually names its function already: then it is the name
            names[meta["grade_id"]] = (section if any(f and f in section for f in functions)
                                       else f"{label} — {section}" if section else label)
    return names


class OfflineFeedbackExporter(HTMLExporter):
    """nbgrader's feedback page, read offline: no MathJax script, tests and written answers named.

    grader_config.py makes it the exporter of ``GenerateFeedback``, so every path that writes
    feedback uses it: ``python -m course feedback``, ``nbgrader generate_feedback`` and
    Formgrader's "Generate feedback" button. nbgrader still picks its template ``feedback``
    (``NbGraderAPI.generate_feedback`` insists on that name); this exporter renders
    ``feedback_templates/offline_feedback.html.j2``, which extends it, and its loader, tried
    first, holds a ``mathjax.html.j2`` whose macro writes nothing. The maths itself is MathML
    written by ``RenderMath`` in the feedback preprocessors.
    """

    @default("template_file")
    def _offline_template(self):
        return "offline_feedback.html.j2"

    @default("extra_loaders")
    def _course_templates(self):
        return [FileSystemLoader(str(TEMPLATES))]

    def from_notebook_node(self, nb, resources=None, **kw):
        resources = dict(resources or {})
        resources["exercise_names"] = exercise_names(self._source_notebook(resources) or nb)
        return super().from_notebook_node(nb, resources, **kw)

    def _source_notebook(self, resources):
        """The instructor's notebook of this page (its headings and solution cells name the
        exercises whatever the student wrote), or None outside nbgrader's converters."""
        coursedir = getattr(self.parent, "coursedir", None)
        ids = resources.get("nbgrader") or {}
        if coursedir is None or not ids.get("assignment") or not ids.get("notebook"):
            return None
        folder = Path(coursedir.format_path(coursedir.source_directory, ".", ids["assignment"]))
        path = folder / f"{ids['notebook']}.ipynb"
        return nbformat.read(path, as_version=4) if path.is_file() else None
