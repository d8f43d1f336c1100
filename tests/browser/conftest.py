"""Fixtures of the browser tests: one JupyterLab server and one Chromium per test session.

Both live in the xdist worker that runs this folder's test file (``--dist loadfile`` keeps one
file on one worker). The notebooks each test needs are opened and run once, in their own tab,
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

    def open(self, kind, notebook):
        key = (kind, notebook.assignment)
        if key not in self.tabs:
            context = self.browser.new_context(viewport={"width": 1400, "height": 1000})
            context.set_default_timeout(60_000)
            self.contexts.append(context)
            page = context.new_page()
            path = notebook.release_path if kind == "release" else notebook.solved_path
            tab = NotebookPage(page, self.server, notebook, path)
            self.tabs[key] = tab
            with timed(f"open {path}"):
                tab.open()
        return self.tabs[key]

    def ran(self, kind, notebook):
        """The tab of ``notebook`` (kind 'release' or 'solved') after running every cell."""
        tab = self.open(kind, notebook)
        if not getattr(tab, "has_run", False):
            tab.has_run = True
            with timed(f"run {tab.path}"):
                if kind == "release":
                    tab.run_everything()
                else:
                    tab.run_all()
        return tab

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
