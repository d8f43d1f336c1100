"""End-to-end slider latency of the explorers in JupyterLab, in Debian's Chromium.

For every solved notebook (release/ with the source/ solutions, served by a throwaway
JupyterLab), every slider of every explorer is moved 20 times with the keyboard (focus on the
slider's handle, one arrow key press per move). In the page, a capture-phase ``keydown``
listener notes ``performance.now()``; a ``requestAnimationFrame`` loop then reads the ipympl
canvas's pixels every frame until they differ from before the press. The difference is the
latency: key press -> widget model -> kernel -> redraw -> PNG over the comm -> drawn on the
canvas, in the frame about to be painted. Between moves the figure is left to settle.

Prints the median (and 90th percentile, worst) per slider; target: median <= 100 ms. "no
change" counts the presses after which no pixel changed within 10 s (a move that changes
nothing visible, e.g. one more step of a path that has converged); they are left out of the
statistics. The page has every cell attached (windowing off, as in the tests): a little more
layout work per update than JupyterLab's default.

    .venv/bin/python benchmarks/browser_latency.py [--moves 20] [--notebook 02_gradient_descent]
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "browser"))

from labdriver import LabServer, NotebookPage, discover_notebooks, launch_browser  # noqa: E402

TARGET_MS = 100

# snap(): a hash of the canvas pixels, for the page functions below
SNAP_JS = """    const ctx = canvas.getContext('2d', {willReadFrequently: true});
    const snap = () => {
        const data = new Uint32Array(ctx.getImageData(0, 0, canvas.width, canvas.height).data.buffer);
        let h = 0;
        for (let i = 0; i < data.length; i++) h = (Math.imul(h, 31) + data[i]) | 0;
        return h;
    };
"""

ARM_JS = """canvas => {
""" + SNAP_JS + """    const before = snap();
    window.__latency = new Promise(resolve => {
        let pressed = null;
        const started = performance.now();
        document.addEventListener('keydown', () => { pressed = performance.now(); },
                                  {capture: true, once: true});
        const poll = () => {
            if (pressed !== null && snap() !== before) { resolve(performance.now() - pressed); return; }
            if (performance.now() - started > 10000) { resolve(null); return; }
            requestAnimationFrame(poll);
        };
        requestAnimationFrame(poll);
    });
}"""

SETTLE_JS = """([canvas, quiet]) => new Promise(resolve => {
    // resolve once the canvas has not changed for `quiet` ms
""" + SNAP_JS + """    let last = snap(), since = performance.now();
    const start = since;
    const poll = () => {
        const now = snap(), t = performance.now();
        if (now !== last) { last = now; since = t; }
        if (t - since >= quiet || t - start > 10000) { resolve(); return; }
        requestAnimationFrame(poll);
    };
    requestAnimationFrame(poll);
})"""


def measure_slider(tab, slider, canvas, moves):
    """Latencies (ms) of ``moves`` single key presses on ``slider``; None when nothing changed."""
    handle = slider.locator(".noUi-handle").first
    lo, hi, now = (float(handle.get_attribute(a)) for a in ("aria-valuemin", "aria-valuemax", "aria-valuenow"))
    key = "ArrowRight" if now <= (lo + hi) / 2 else "ArrowLeft"       # room for all the moves
    element = canvas.element_handle()
    results = []
    handle.focus()
    for _ in range(moves):
        tab.wait_for_kernel("idle")
        tab.page.evaluate(SETTLE_JS, [element, 300])
        tab.page.evaluate(ARM_JS, element)
        tab.page.keyboard.press(key)
        results.append(tab.page.evaluate("() => window.__latency"))
    tab.page.evaluate(SETTLE_JS, [element, 300])
    return key, results


def machine_speed_ms():
    """CPU time of a 1e6-step Python loop (the same yardstick as the other benchmarks)."""
    start = time.process_time()
    total = 0
    for i in range(1_000_000):
        total += i
    return (time.process_time() - start) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--notebook", action="append", help="assignment name (default: all)")
    args = parser.parse_args()
    notebooks = [nb for nb in discover_notebooks() if not args.notebook or nb.assignment in args.notebook]
    from playwright.sync_api import sync_playwright

    rows = []
    with LabServer() as server, sync_playwright() as playwright:
        browser = launch_browser(playwright)
        for notebook in notebooks:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            tab = NotebookPage(context.new_page(), server, notebook, notebook.solved_path).open()
            tab.run_all()
            for view in tab.explorers():
                cell = tab.cell_of(view)
                view.scroll_into_view_if_needed()
                canvas = view.locator(".jupyter-matplotlib-canvas-div canvas").first
                sliders = view.locator(".widget-slider")
                for i in range(sliders.count()):
                    slider = sliders.nth(i)
                    label = slider.locator(".widget-label").first.inner_text().strip()
                    key, results = measure_slider(tab, slider, canvas, args.moves)
                    rows.append((notebook.assignment, cell, label, key, results))
                    print(f"  measured {notebook.assignment} cell {cell} {label!r}", file=sys.stderr, flush=True)
            context.close()
            server.shutdown_kernels()
        browser.close()

    load = os.getloadavg()[0]
    print(f"\nSlider latency in the browser, key press -> changed canvas pixels "
          f"({args.moves} moves each; load average {load:.1f} on {os.cpu_count()} cores, "
          f"machine speed: a 1e6-step Python loop takes {machine_speed_ms():.0f} ms of CPU)")
    print(f"{'notebook':<22}{'cell':>5}  {'slider':<16}{'median ms':>10}{'p90 ms':>8}{'max ms':>8}"
          f"{'no change':>10}  target <= {TARGET_MS} ms")
    worst = 0.0
    for assignment, cell, label, key, results in rows:
        seen = sorted(r for r in results if r is not None)
        missing = len(results) - len(seen)
        if seen:
            median = statistics.median(seen)
            p90 = seen[min(len(seen) - 1, int(0.9 * len(seen)))]
            worst = max(worst, median)
            verdict = "ok" if median <= TARGET_MS else "SLOW"
            print(f"{assignment:<22}{cell:>5}  {label:<16}{median:>10.0f}{p90:>8.0f}{seen[-1]:>8.0f}"
                  f"{missing:>10}  {verdict}")
        else:
            print(f"{assignment:<22}{cell:>5}  {label:<16}{'-':>10}{'-':>8}{'-':>8}{missing:>10}  NO CHANGE")
    print(f"worst median: {worst:.0f} ms (target {TARGET_MS} ms)")


if __name__ == "__main__":
    main()
