"""Fixtures for real-browser tests: a JupyterLab server and Debian's chromium through Playwright.

- ``lab_server`` (package): one JupyterLab for all of tests/browser/, stopped with its kernels
  after the last browser test (not at the end of the whole session).
- ``browser`` (package): chromium launched once. Fails (never skips) when chromium is missing.
- ``lab`` (function): a fresh browser context and tab as a :class:`lab.LabPage`; afterwards its
  documents are closed and every kernel is shut down, so tests do not share kernel state.
- ``screenshot_dir``: ``$ARRAYLAKE_NB_SCREENSHOTS``, else ``build/screenshots/`` in this checkout.
  A failing test leaves ``<test name>-failure.png`` there.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from .lab import REPO_ROOT, LabError, LabPage, LabServer, check_chromium, launch_chromium


def pytest_collection_modifyitems(items):
    """Every test under tests/browser/ is marked ``browser`` (deselect with ``-m "not browser"``)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"_report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    path = Path(os.environ.get("ARRAYLAKE_NB_SCREENSHOTS") or REPO_ROOT / "build" / "screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="package")
def lab_server(tmp_path_factory):
    server = LabServer(base=tmp_path_factory.mktemp("jupyterlab"))
    try:
        server.start()
    except LabError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser():
    problem = None
    try:
        check_chromium()
    except LabError as error:
        problem = str(error)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        problem = problem or (
            'The browser tests need the Python package playwright: pip install -e ".[test]" '
            "(with PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1; never `playwright install`)."
        )
    if problem:  # fail, never skip: CI must not pass without having run the browser tests
        pytest.fail(problem, pytrace=False)
    playwright = sync_playwright().start()
    try:
        browser = launch_chromium(playwright)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        playwright.stop()


@pytest.fixture
def lab(request, browser, lab_server, screenshot_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    messages: list[str] = []
    # Uncaught exceptions in the page; "ResizeObserver loop" reports are browser noise, not errors.
    page.on(
        "pageerror",
        lambda error: None if "ResizeObserver loop" in str(error) else messages.append(f"pageerror: {error}"),
    )
    lab_page = LabPage(page, lab_server)
    lab_page.page_errors = messages
    try:
        yield lab_page
    finally:
        failed = any(
            getattr(request.node, f"_report_{when}", None) is not None
            and getattr(request.node, f"_report_{when}").failed
            for when in ("setup", "call")
        )
        if failed:
            name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
            with contextlib.suppress(Exception):  # best effort: the test has already failed
                page.screenshot(path=str(screenshot_dir / f"{name}-failure.png"), full_page=True)
        context.close()
        lab_server.shutdown_kernels()
