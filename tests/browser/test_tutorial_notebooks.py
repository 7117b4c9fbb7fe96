"""The tutorial notebooks, run in JupyterLab in a real browser (issue 11).

Each notebook is copied into the server's temporary root (the originals are never touched),
opened, run with "Run All Cells", and photographed in the light and the dark theme
(``<notebook-stem>-light.png`` / ``-dark.png`` in ``$ARRAYLAKE_NB_SCREENSHOTS``, else
``build/screenshots/``). No output area may show a Python traceback except the cells that are
marked as expected to raise (nbval's ``raises-exception`` tag or ``# NBVAL_RAISES_EXCEPTION``),
and those must show theirs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from .lab import DARK, LIGHT, REPO_ROOT, copy_notebook

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("0*.ipynb"))


def test_the_tutorials_are_found():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01-", "02-", "03-", "04-", "05-", "06-"]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_tutorial_runs_in_jupyterlab(lab, screenshot_dir: Path, notebook: Path):
    name = copy_notebook(notebook, lab.server)
    lab.open_notebook(name)
    lab.set_theme(LIGHT)

    cells = lab.run_all(timeout=150)

    # Photograph first, so a failing assertion below still leaves the pictures to look at.
    light = lab.screenshot_notebook(screenshot_dir / f"{notebook.stem}-light.png")
    lab.set_theme(DARK)
    dark = lab.screenshot_notebook(screenshot_dir / f"{notebook.stem}-dark.png")
    lab.set_theme(LIGHT)
    assert light.stat().st_size > 0 and dark.stat().st_size > 0

    code = [c for c in cells if c.type == "code" and c.source.strip()]
    assert code, "the notebook has no code cells"
    not_run = [c.index for c in code if c.execution_count is None]
    assert not not_run, f"cells {not_run} did not run (Run All stopped early?)"

    unexpected = {
        c.index: [o.text[-1500:] for o in c.tracebacks] for c in code if c.tracebacks and not c.expected_to_raise
    }
    assert not unexpected, f"{notebook.name}: tracebacks in cells not marked to raise: {unexpected}"

    for c in code:
        if c.expected_to_raise:
            assert c.tracebacks, f"{notebook.name}: cell {c.index} is marked to raise but shows no error: {c.text!r}"

    empty_stderr = [c.index for c in code for o in c.outputs if o.stderr and not o.text.strip()]
    assert not empty_stderr, f"{notebook.name}: empty stderr output areas in cells {empty_stderr}"

    assert not lab.page_errors, f"JavaScript errors in the page: {lab.page_errors}"

    if notebook.stem == "05-panels":
        _photograph_panels(lab, screenshot_dir, cells)


#: The cells of notebook 05 that show one panel each, and the picture's name (README's screenshots).
PANEL_CELLS = {
    "StatusPanel(repo)": "status",
    "HistoryPanel(repo)": "history",
    "TreePanel(repo)": "tree",
    'TimeTravel(repo, "ocean/sst")': "time-travel",
    'DiffPanel(repo, "main", "experiment")': "diff",
    "RepoBrowser(repo)": "browser",
}


def _photograph_panels(lab, screenshot_dir: Path, cells) -> None:
    """Each panel of notebook 05 rendered by its front end, readable, photographed light and dark."""
    page = lab.page
    shown = {c.source.strip(): c.index for c in cells if c.source.strip() in PANEL_CELLS}
    assert set(shown) == set(PANEL_CELLS), f"notebook 05 lacks panel cells: {set(PANEL_CELLS) - set(shown)}"
    outputs = {}
    for source, index in shown.items():
        out = page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".jp-OutputArea-output").first
        out.scroll_into_view_if_needed()
        out.locator(".aln-root").first.wait_for(state="visible")
        assert "front end is not built" not in out.inner_text()
        outputs[PANEL_CELLS[source]] = out
    # Their first data arrived (nothing still loading).
    busy = "() => [...document.querySelectorAll('.aln-root')].filter(n => /Loading…|Computing/.test(n.textContent)).map(n => n.textContent.slice(0, 300))"

    def wait_idle():
        try:
            page.wait_for_function(f"() => ({busy})().length === 0", timeout=30_000)
        except PlaywrightTimeout:
            raise AssertionError(f"panels still loading after 30 s: {page.evaluate(busy)}") from None

    wait_idle()
    # A click in each, as a reader would make, so the pictures show what the panels are for.
    outputs["history"].get_by_role("option", name="Add the 2026 anomaly").click()
    outputs["history"].locator("[data-testid=details]").get_by_text("/ocean/sst").wait_for()
    tree = outputs["tree"]
    tree.locator(".aln-row[data-path='ocean'] [data-testid=toggle]").click()
    tree.locator(".aln-row[data-path='ocean/sst']").click()
    tree.locator("[data-testid=preview] canvas").wait_for()
    heat = outputs["diff"].locator("[data-testid=heatmap][data-path='ocean/sst']")
    cell = int(heat.get_attribute("data-cell"))
    heat.click(position={"x": 2 * cell + cell // 2, "y": cell // 2})
    assert outputs["diff"].locator("[data-testid=chunk-key]").inner_text() == "c/0/2"
    wait_idle()
    for theme, suffix in ((LIGHT, "light"), (DARK, "dark")):
        lab.set_theme(theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        for name, out in outputs.items():
            out.scroll_into_view_if_needed()
            lab.wait_painted()
            out.screenshot(path=str(screenshot_dir / f"panel-{name}-{suffix}.png"), animations="disabled", caret="hide")
    lab.set_theme(LIGHT)
