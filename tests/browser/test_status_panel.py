"""StatusPanel in JupyterLab: it follows writes made in other cells, and commits when clicked."""

from __future__ import annotations

import json

from .lab import DARK, LIGHT

SETUP = """\
from arraylake_nb import Client
from arraylake_nb.widgets import StatusPanel
client = Client()
repo = client.get_or_create_repo("widgets/status")
t = repo.root_group.create_group("atlantic").create(name="temperature", shape=20, chunks=10, dtype="f4")
t[:] = 1.0
repo.commit("First data")
StatusPanel(repo)"""


def _set_theme(lab, theme: str) -> None:
    # Changing the theme shows JupyterLab's splash screen for a moment: screenshots wait it out.
    # Then wait until the panel itself is painted dark or light.
    lab.set_theme(theme)
    lab.page.locator("#jupyterlab-splash").wait_for(state="detached")
    lab.page.wait_for_function(
        """(dark) => { const n = document.querySelector('.aln-root'); if (!n) return false;
             const [r, g, b] = getComputedStyle(n).backgroundColor.match(/\\d+/g).map(Number);
             return (r + g + b < 384) === dark; }""",
        arg=theme == DARK,
    )
    lab.wait_painted()


def _notebook(path, source: str) -> None:
    path.write_text(json.dumps({
        "cells": [{"cell_type": "code", "execution_count": None, "id": "setup", "metadata": {},
                   "outputs": [], "source": source}],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }))


def test_status_panel_follows_the_kernel_and_commits(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "status_panel.ipynb", SETUP)
    lab.open_notebook("status_panel.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=status-panel]")
    panel.wait_for(state="visible")
    assert "widgets/status" in panel.inner_text()
    page.locator("[data-testid=no-changes]").wait_for(state="visible")

    # A write in another cell: the panel shows it without anyone clicking Refresh.
    write = lab.run_new_cell("t[:10] = 2.0\nrepo.root_group.atlantic.attrs['units'] = 'degC'")
    assert not write.tracebacks, write.text
    changes = page.locator("[data-testid=changes]")
    changes.wait_for(state="visible")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=changes]').textContent.includes('atlantic/temperature')"
    )
    text = changes.inner_text()
    assert "atlantic/temperature" in text and "1 chunk written" in text and "atlantic" in text

    # Expand the array to its keys, type a message: how a user sees it, in both themes.
    panel.locator("details[data-path='atlantic/temperature'] summary").click()
    panel.get_by_text("atlantic/temperature/c/0").wait_for(state="visible")
    box = panel.get_by_role("textbox", name="Commit message")
    box.click()
    box.press_sequentially("Warmer <i>north</i> Atlantic")
    for theme, name in ((LIGHT, "status-panel-light.png"), (DARK, "status-panel-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        lab.screenshot_notebook(screenshot_dir / name)
        panel.screenshot(path=str(screenshot_dir / name.replace(".png", "-panel.png")))
    _set_theme(lab, LIGHT)

    # Click Commit: the commit exists in the kernel, with that message; the panel follows.
    panel.get_by_role("button", name="Commit", exact=True).click()
    panel.get_by_role("status").filter(has_text="Committed").wait_for(state="visible")
    message = lab.kernel_execute("repo.commit_log[0].message").raise_for_error().result
    assert message == "'Warmer <i>north</i> Atlantic'"
    assert lab.kernel_execute("repo.status().total").result == "0"
    page.locator("[data-testid=no-changes]").wait_for(state="visible")
    # The message shows as text, never as markup.
    assert panel.locator("i").count() == 0 and "<i>north</i>" in panel.inner_text()
    assert lab.page_errors == []


def test_status_panel_conflict_and_abandon(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "status_conflict.ipynb", SETUP.replace("widgets/status", "widgets/conflict"))
    lab.open_notebook("status_conflict.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=status-panel]")
    panel.wait_for(state="visible")
    # Another writer commits the same chunk; this session writes it too.
    cell = lab.run_new_cell(
        "other = client.get_repo('widgets/conflict')\n"
        "other.root_group.atlantic.temperature[:10] = 7.0\n"
        "other.commit('Upstream')\n"
        "t[:10] = 8.0"
    )
    assert not cell.tracebacks, cell.text
    page.locator("[data-testid=changes]").wait_for(state="visible")
    panel.get_by_role("textbox", name="Commit message").fill("Mine")
    panel.get_by_role("button", name="Commit", exact=True).click()
    alert = panel.get_by_role("alert").filter(has_text="ConflictError")
    alert.wait_for(state="visible")
    assert "atlantic/temperature" in alert.inner_text()
    # Refused: the kernel's session is intact, nothing committed.
    assert lab.kernel_execute("repo.status().total, repo.get_commit('main').message").result == "(1, 'Upstream')"
    for theme, name in ((LIGHT, "status-panel-conflict-light.png"), (DARK, "status-panel-conflict-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        panel.screenshot(path=str(screenshot_dir / name))
    _set_theme(lab, LIGHT)

    # Abandon asks first; "Keep them" keeps them, "Discard changes" discards.
    panel.get_by_role("button", name="Abandon…").click()
    dialog = panel.get_by_role("alertdialog")
    assert "Discard 1 uncommitted change?" in dialog.inner_text()
    dialog.get_by_role("button", name="Keep them").click()
    assert dialog.count() == 0
    assert lab.kernel_execute("repo.status().total").result == "1"
    panel.get_by_role("button", name="Abandon…").click()
    panel.get_by_role("alertdialog").get_by_role("button", name="Discard changes").click()
    panel.get_by_role("status").filter(has_text="abandoned").wait_for(state="visible")
    page.locator("[data-testid=no-changes]").wait_for(state="visible")
    assert lab.kernel_execute("repo.status().total, float(t[0])").result == "(0, 7.0)"
    assert lab.page_errors == []
