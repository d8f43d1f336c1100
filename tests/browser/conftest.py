"""Fixtures of the browser tests: one JupyterLab server and one Chromium per test session.

Both live in the xdist worker that runs this folder's test file (``--dist loadfile`` keeps one
file on one worker). The notebooks each test needs are opened and run once, each in its own tab
(one browser context for all, so JupyterLab's code is fetched once),
and shared by the tests that look at them (``ran``).
"""
import shutil
from pathlib import Path

import pytest

from labdriver import ARTIFACTS, CHROMIUM, TIMINGS, LabServer, NotebookPage, launch_browser, timed


@pytest.fixture(scope="session")
def artifacts():
    """artifacts/browser/, emptied at the start of the session (git ignores artifacts/)."""
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def lab_server():
    with timed("start jupyter lab"):
        server = LabServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    # Never skipped: CI installs Debian's chromium, and a missing browser is a failure.
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = launch_browser(playwright)
        yield browser
        browser.close()


def pytest_terminal_summary(terminalreporter):
    if TIMINGS:
        terminalreporter.write_sep("-", "browser test phases (s)")
        for what, seconds in TIMINGS:
            terminalreporter.write_line(f"{seconds:7.1f}  {what}")


class Tabs:
    """Notebook tabs opened (and run) once per session, keyed by (kind, assignment)."""

    def __init__(self, browser, server, artifacts):
        self.browser, self.server, self.artifacts = browser, server, artifacts
        self.tabs = {}
        self.contexts = []

    def tab(self, kind, notebook):
        key = (kind, notebook.assignment)
        if key not in self.tabs:
            if not self.contexts:   # one context: the tabs share the HTTP cache of JupyterLab's code
                # 1366 px: the narrowest common laptop screen; no output may scroll sideways there
                context = self.browser.new_context(viewport={"width": 1366, "height": 1000})
                context.set_default_timeout(60_000)
                self.contexts.append(context)
            context = self.contexts[0]
            path = notebook.release_path if kind == "release" else notebook.solved_path
            self.tabs[key] = NotebookPage(context.new_page(), self.server, notebook, path)
        return self.tabs[key]

    def _once(self, tab, step, action):
        """Run ``action`` once per tab and step; a step that failed fails every later test too."""
        done = tab.__dict__.setdefault("steps", {})
        if step not in done:
            done[step] = None
            try:
                with timed(f"{step} {tab.path}"):
                    action()
            except BaseException as error:
                done[step] = error
                raise
        if done[step] is not None:
            raise RuntimeError(f"{step} {tab.path} failed in an earlier test: {done[step]!r}")
        return tab

    def open(self, kind, notebook):
        tab = self.tab(kind, notebook)
        return self._once(tab, "open", tab.open)

    def ran(self, kind, notebook):
        """The tab of ``notebook`` (kind 'release' or 'solved') after one Run All.

        The released notebook's failing test cells carry the ``raises-exception`` tag, so one
        Run All goes on past them to the last cell, as it does on the solved notebook.
        """
        tab = self.open(kind, notebook)
        return self._once(tab, "run", tab.run_all)

    def close(self):
        for context in self.contexts:
            try:
                context.close()
            except Exception:
                pass
        try:
            self.server.shutdown_kernels()
        except OSError:
            pass


@pytest.fixture(scope="session")
def tabs(browser, lab_server, artifacts):
    tabs = Tabs(browser, lab_server, artifacts)
    yield tabs
    tabs.close()
    # under xdist the terminal summary runs elsewhere: leave the phase timings with the artifacts
    (artifacts / "timings.txt").write_text("".join(f"{s:7.1f}  {what}\n" for what, s in TIMINGS))


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On a failure, save what every open tab shows, next to the other artifacts."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed and "tabs" in getattr(item, "funcargs", {}):
        for (kind, assignment), tab in item.funcargs["tabs"].tabs.items():
            try:
                tab.page.screenshot(path=str(ARTIFACTS / f"FAILED-{item.name}-{kind}-{assignment}.png"))
            except Exception:
                pass
