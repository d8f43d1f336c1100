"""The student's experience in JupyterLab, in a real browser (Debian's Chromium via Playwright).

For every released notebook (discovered from release/, paired with its source/ solutions):

* unsolved, as released: one Run All reaches the last cell (the failing test cells are tagged
  ``raises-exception``), every cell outside the exercises runs without an error, and every
  test cell fails;
* solved (the released notebook with the source solutions in its exercise cells): Run All runs
  every cell without an error or a line on stderr; every slider, drop-down and check box of every
  explorer, moved with real key presses / a real selection, changes the rendered figure's pixels;
* nbgrader's Validate button reports success on the solved notebook and lists the failing test
  cells of the unsolved one;
* layout at 1366 px: no output runs past the output area (nothing scrolls sideways or is cut
  off), and only explorers are ipympl widgets (every other figure is a static image);
* exact values: a learning-rate drop-down sets the lecture's rates exactly (the lecture's table
  appears), and a learning rate typed into a box is used as typed.

Screenshots of each notebook and of each explorer before and after a move are saved under
artifacts/browser/ (ignored by git) for a person to look at.
"""
import re
import time

import pytest

from labdriver import TIMINGS, changed_pixels, discover_notebooks, stable_screenshot, timed

NOTEBOOKS = discover_notebooks()


def test_notebooks_found():
    assert NOTEBOOKS, "no released notebook with a source notebook was found"


@pytest.fixture(params=NOTEBOOKS, ids=lambda nb: nb.id)
def notebook(request):
    return request.param


def _calling(*explorers):
    """The notebooks whose cells call one of these explorers (tests of what only they show)."""
    return [nb for nb in NOTEBOOKS if any(f"{name}(" in cell.source for cell in nb.cells for name in explorers)]


# Explorers with the lecture's rates in a drop-down, and with a typed learning rate of their own.
LECTURE_RATES = _calling("learning_rate_explorer")
TYPED_RATE = _calling("error_surface_explorer", "batch_size_explorer", "optimizer_race_explorer")


def _describe(notebook, errors):
    return "\n\n".join(f"{notebook.label(i)}:\n{text[-1500:]}" for i, text in sorted(errors.items()))


def test_released_notebook_runs(tabs, notebook, artifacts):
    tab = tabs.ran("release", notebook)
    for view in tab.explorers():       # what an explorer shows before its exercises are solved
        view.screenshot(path=str(artifacts / f"{notebook.assignment}-release-cell{tab.cell_of(view)}.png"))
    with timed(f"screenshot {tab.path}"):
        tab.screenshot(artifacts / f"{notebook.assignment}-release.png")
    assert tab.unexecuted() == [], f"one Run All did not reach these cells: {tab.unexecuted()}"
    errors = tab.errors()
    outside = {i: t for i, t in errors.items() if notebook.role(i) is None}
    assert not outside, ("cells outside the exercises fail (or write to stderr) on the released "
                         "notebook:\n" + _describe(notebook, outside))
    passing = [notebook.label(i) for i in notebook.code_indices("test") if i not in errors]
    assert not passing, f"test cells that pass on the unsolved notebook (free points): {passing}"


def test_solved_notebook_runs(tabs, notebook, artifacts):
    tab = tabs.ran("solved", notebook)
    assert tab.unexecuted() == [], (
        f"Run All stopped: cells {tab.unexecuted()} never ran\n" + _describe(notebook, tab.errors()))
    errors = tab.errors()
    assert not errors, "cells of the solved notebook fail or write to stderr:\n" + _describe(notebook, errors)
    with timed(f"screenshot {tab.path}"):
        tab.screenshot(artifacts / f"{notebook.assignment}-solved.png")


def _canvases(view):
    canvases = view.locator(".jupyter-matplotlib-canvas-div")
    return [canvases.nth(i) for i in range(canvases.count())]


def _wait_for_change(canvases, before, timeout=30):
    """Screenshots of ``canvases`` once they differ from ``before`` and have settled."""
    deadline = time.monotonic() + timeout
    while True:
        now = [c.screenshot(animations="disabled") for c in canvases]
        if now != before or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if now == before:
        return now
    return [stable_screenshot(c) for c in canvases]


def _move_slider(slider, tab):
    """Focus the slider's handle and press arrow keys until its position changes.

    The position is the handle's ``aria-valuenow`` with the readout's text, if any (a learning
    rate's log slider has no readout: the text box beside it shows the value; aria-valuenow is
    rounded to one decimal, too coarse for a 0.001 step).
    """
    handle = slider.locator(".noUi-handle").first
    position = """el => el.querySelector('.noUi-handle').getAttribute('aria-valuenow') + ' '
                        + (el.querySelector('.widget-readout') || {}).textContent"""
    start = slider.evaluate(position)
    for key in ("ArrowRight", "ArrowLeft"):
        handle.focus()
        for _ in range(8):
            tab.page.keyboard.press(key)
        try:
            tab.page.wait_for_function(f"([el, start]) => ({position})(el) !== start",
                                       arg=[slider.element_handle(), start], timeout=5_000)
            return f"{start} -> {slider.evaluate(position)} ({key} x 8)"
        except Exception:
            continue
    raise AssertionError(f"the slider stayed at {start} under ArrowRight and ArrowLeft")


def _pick_option(dropdown):
    select = dropdown.locator("select").first
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("el => el.selectedIndex")     # -1: nothing selected
    target = len(options) - 1 if current != len(options) - 1 else 0
    select.focus()
    select.select_option(index=target)
    was = options[current] if current >= 0 else "(none)"
    return f"{was!r} -> {options[target]!r}"


def _toggle(checkbox):
    box = checkbox.locator("input[type=checkbox]").first
    was = box.is_checked()
    box.focus()
    box.press("Space")
    return f"{'on' if was else 'off'} -> {'on' if box.is_checked() else 'off'}"


def _controls(view):
    """(kind, label, locator) of the sliders, drop-downs and check boxes in an explorer, in page order."""
    found = []
    boxes = view.locator(".widget-slider, .widget-dropdown, .widget-checkbox")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        classes = box.get_attribute("class") or ""
        kind = "slider" if "widget-slider" in classes else "checkbox" if "widget-checkbox" in classes else "dropdown"
        label = (box.locator(".widget-label").first.inner_text().strip() if kind != "checkbox"
                 else box.inner_text().strip()) or f"{kind} {i}"
        found.append((kind, label, box))
    return found


def test_explorers_respond(tabs, notebook, artifacts):
    tab = tabs.ran("solved", notebook)
    views = tab.explorers()
    explorer_cells = [i for i, c in enumerate(notebook.cells)
                      if c.cell_type == "code" and re.search(r"\w+_explorer\(", c.source)
                      and not notebook.role(i)]
    assert len(views) >= len(explorer_cells), (
        f"the notebook calls explorers in cells {explorer_cells}, the page shows {len(views)} explorers")
    failures, moved = [], []
    started = time.monotonic()
    for number, view in enumerate(views):
        cell = tab.cell_of(view)
        view.scroll_into_view_if_needed()
        canvases = _canvases(view)
        controls = _controls(view)
        assert canvases and controls, f"explorer in cell {cell}: no figure or no control"
        for kind, label, box in controls:
            before = [stable_screenshot(c) for c in canvases]
            how = {"slider": _move_slider, "checkbox": lambda b, _: _toggle(b),
                   "dropdown": lambda b, _: _pick_option(b)}[kind](box, tab)
            after = _wait_for_change(canvases, before)
            name = re.sub(r"[^\w-]+", "_", f"{notebook.assignment}-cell{cell}-{label}").strip("_")
            for k, (b, a) in enumerate(zip(before, after)):
                (artifacts / f"{name}-{k}-before.png").write_bytes(b)
                (artifacts / f"{name}-{k}-after.png").write_bytes(a)
            changed = sum(changed_pixels(b, a) for b, a in zip(before, after))
            moved.append(f"cell {cell} {kind} {label!r}: {how}: {changed} pixels changed")
            if not changed:
                failures.append(moved[-1])
        view.screenshot(path=str(artifacts / f"{notebook.assignment}-explorer{number}-cell{cell}.png"))
    TIMINGS.append((f"move {len(moved)} controls of {tab.path}", time.monotonic() - started))
    assert not failures, "controls that did not change the figure:\n" + "\n".join(failures)
    print("\n".join(moved))


def _test_sources(notebook):
    return [notebook.cells[i].source.strip().splitlines()[0] for i in notebook.code_indices("test")]


def test_validate_solved(tabs, notebook):
    tab = tabs.ran("solved", notebook)
    with timed(f"validate {tab.path}"):
        classes, text = tab.validate()
    assert "validation-success" in classes and "Success! Your notebook passes all the tests." in text, (
        f"Validate on the solved notebook says:\n{text[:3000]}")


def test_validate_unsolved(tabs, notebook):
    tab = tabs.ran("release", notebook)
    with timed(f"validate {tab.path}"):
        classes, text = tab.validate()
    assert "validation-failed" in classes, f"Validate on the unsolved notebook says:\n{text[:3000]}"
    failed = text.count("The following cell failed:")
    tests = notebook.code_indices("test")
    # nbgrader also lists every written answer still saying YOUR ANSWER HERE
    written = [i for i, c in enumerate(notebook.cells) if c.cell_type == "markdown"
               and c.metadata.get("nbgrader", {}).get("grade") and notebook.role(i) == "solution"]
    assert failed == len(tests) + len(written), (
        f"Validate lists {failed} failing cells, the notebook has {len(tests)} test cells and "
        f"{len(written)} written answers:\n{text[:3000]}")
    assert text.count("YOUR ANSWER HERE") == len(written), "Validate does not list the unanswered questions"
    missing = [line for line in _test_sources(notebook) if line.strip() not in text]
    assert not missing, f"failing test cells not shown by Validate: {missing}"
    assert "NotImplementedError" in text


# ---------------------------------------------------------------- layout and exact values

OVERFLOW_JS = """() => {
    const found = [];
    const cells = Array.from(document.querySelectorAll('.jp-NotebookPanel .jp-Notebook .jp-Cell'));
    cells.forEach((cell, index) => {
        cell.querySelectorAll('.jp-OutputArea-output').forEach(output => {
            const edge = output.getBoundingClientRect().right + 1;
            if (output.scrollWidth > output.clientWidth + 1) {
                found.push(`cell ${index}: the output scrolls sideways (${output.scrollWidth} px in ${output.clientWidth} px)`);
                return;
            }
            for (const el of output.querySelectorAll('*')) {
                const box = el.getBoundingClientRect();
                if (box.width > 0 && box.right > edge && getComputedStyle(el).visibility !== 'hidden') {
                    const what = el.tagName.toLowerCase() + (el.className && el.className.baseVal === undefined
                        ? '.' + String(el.className).trim().split(/\\s+/).join('.') : '');
                    found.push(`cell ${index}: ${what} ends at ${Math.round(box.right)} px, the output at ${Math.round(edge)} px`);
                    break;
                }
            }
        });
    });
    return found;
}"""


@pytest.mark.parametrize("kind", ["release", "solved"])
def test_outputs_fit_the_page(tabs, notebook, kind):
    """At 1366 px nothing in an output runs past the output area: no sideways scroll, nothing cut off."""
    tab = tabs.ran(kind, notebook)
    overflowing = tab.page.evaluate(OVERFLOW_JS)
    assert not overflowing, f"outputs wider than the page at {tab.page.viewport_size['width']} px:\n" + \
        "\n".join(overflowing)


@pytest.mark.parametrize("kind", ["release", "solved"])
def test_only_explorers_are_widget_figures(tabs, notebook, kind):
    """Lesson figures are static images; an ipympl canvas belongs in an explorer cell only."""
    tab = tabs.ran(kind, notebook)
    per_cell = tab.page.evaluate("""() => Array.from(document.querySelectorAll(
        '.jp-NotebookPanel .jp-Notebook .jp-Cell')).map(c => c.querySelectorAll(
        '.jp-OutputArea-output .jupyter-matplotlib').length)""")
    explorer_cells = {i for i, c in enumerate(notebook.cells)
                      if c.cell_type == "code" and re.search(r"\w+_explorer\(", c.source)}
    stray = [notebook.label(i) for i, n in enumerate(per_cell) if n and i not in explorer_cells]
    assert not stray, f"ipympl widget figures outside the explorers (they should be static images): {stray}"


def _explorer_with(tab, selector):
    return [view for view in tab.explorers() if view.locator(selector).count()]


@pytest.mark.parametrize("notebook", LECTURE_RATES, ids=lambda nb: nb.id, indirect=True)
def test_lecture_rates_are_exact(tabs, notebook):
    """Picking a lecture rate in the drop-down runs exactly that rate: the lecture's table appears."""
    from course.data import SSR_LECTURE_TABLES
    tab = tabs.ran("solved", notebook)
    views = [v for v in _explorer_with(tab, ".widget-dropdown")
             if "lecture" in v.locator(".widget-dropdown .widget-label").first.inner_text()]
    assert views, "no explorer with the lecture's learning rates on the page"
    view = views[0]
    view.scroll_into_view_if_needed()
    select = view.locator(".widget-dropdown select").first
    assert select.evaluate("el => el.selectedIndex") >= 0, "the drop-down starts blank"
    box = view.locator(".widget-text input").first
    problems = []
    for lr, (a_column, _) in SSR_LECTURE_TABLES.items():
        select.select_option(label=f"{lr:g}")
        first_step = f"{a_column[0]:.4f}"
        try:
            view.locator("td", has_text=re.compile(f"^{re.escape(first_step)}$")).first.wait_for(timeout=15_000)
        except Exception:
            problems.append(f"learning rate {lr}: the table does not show the lecture's first step {first_step}")
        if float(box.input_value()) != lr:
            problems.append(f"learning rate {lr}: the box shows {box.input_value()}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("notebook", TYPED_RATE, ids=lambda nb: nb.id, indirect=True)
def test_typed_learning_rate_is_exact(tabs, notebook):
    """A learning rate typed into an explorer's box is used as typed (a log slider would snap 0.5 to 0.5012)."""
    tab = tabs.ran("solved", notebook)
    views = [v for v in _explorer_with(tab, ".widget-text input")
             if not v.locator(".widget-dropdown").count()
             or "lecture" not in v.locator(".widget-dropdown .widget-label").first.inner_text()]
    assert views, "no explorer with a typed learning rate besides the lecture-rate one on the page"
    view = views[0]
    view.scroll_into_view_if_needed()
    box = view.locator(".widget-text input").first
    message = view.locator(".widget-html").last
    before = message.inner_text()
    box.fill("0.5")
    box.press("Enter")
    tab.page.wait_for_function("([el, before]) => el.innerText !== before",
                               arg=[message.element_handle(), before], timeout=30_000)
    tab.page.wait_for_timeout(500)  # the slider's echo, if any, has come back by now
    assert box.input_value() == "0.5"
