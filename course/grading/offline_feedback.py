"""Feedback pages that read offline: maths rendered at feedback time, tests named by their exercise.

nbgrader's feedback template loads MathJax from a CDN, so a page opened offline (or behind a
firewall, or years later) shows raw ``$\\frac{\\partial L}{\\partial w}$``. ``RenderMath`` converts
every ``$...$`` and ``$$...$$`` of the markdown cells to MathML when the page is written (with
``latex2mathml``; browsers draw MathML natively), and ``finish_page`` removes the MathJax scripts.
A formula that cannot be converted stays as its TeX source.

nbgrader's table of contents calls every test "Test cell"; ``finish_page`` names each one by its
exercise: the heading of its section when that names the graded function of the solution cell
it tests (``Exercise 3.1 · numerical_gradient(f, x, h=1e-5) (3 points)``), else that function
and the section.
"""
import html
import re
from pathlib import Path

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

FENCE = re.compile(r"(^```.*?^```[ \t]*$|^~~~.*?^~~~[ \t]*$|`[^`\n]+`)", re.M | re.S)
MATH = re.compile(r"\$\$(.+?)\$\$|(?<![\\$])\$(?!\s)([^$\n]+?)(?<!\s)\$(?!\d)", re.S)
MATHJAX_SCRIPTS = re.compile(
    r"<script[^>]*src=\"[^\"]*mathjax[^\"]*\"[^>]*>\s*</script>|"
    r"<script type=\"text/x-mathjax-config\">.*?</script>|<!--[^>]*mathjax[^>]*-->", re.S | re.I)
TOC_ENTRY = re.compile(r'<li><a href="#([^"]+)">Test cell</a>')
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
DEF = re.compile(r"^def\s+(\w+)\s*\(", re.M)


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
    """``{test grade_id: "graded functions — section"}`` from a notebook: the functions defined
    in the solution cell before the test, and the last heading above it."""
    names, functions, section = {}, [], ""
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown":
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


def finish_page(page, nb):
    """Rewrite a written feedback page: no MathJax scripts, tests named by exercise."""
    page = Path(page)
    text = page.read_text(encoding="utf-8")
    names = exercise_names(nb)
    text = MATHJAX_SCRIPTS.sub("", text)
    text = TOC_ENTRY.sub(lambda m: f'<li><a href="#{m.group(1)}">{html.escape(names.get(m.group(1), m.group(1)))}</a>',
                         text)
    page.write_text(text, encoding="utf-8")


def finish_feedback(root, assignment, student):
    """``finish_page`` for every page of one submission's feedback, with the source notebooks'
    exercise names."""
    import nbformat

    folder = Path(root) / "feedback" / student / assignment
    for page in sorted(folder.glob("*.html")):
        source = Path(root) / "source" / assignment / f"{page.stem}.ipynb"
        nb = nbformat.read(source, as_version=4) if source.is_file() else nbformat.v4.new_notebook()
        finish_page(page, nb)
