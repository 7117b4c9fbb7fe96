"""DiffPanel and TimeTravel in JupyterLab: a heat-map click names the chunk; the slider changes the
preview; "Check out this version" moves the kernel's repo."""

from __future__ import annotations

from .lab import DARK, LIGHT
from .test_status_panel import _notebook, _set_theme

BUILD = """\
import numpy as np
from arraylake_nb import Client
from arraylake_nb.widgets import DiffPanel, TimeTravel
client = Client()
repo = client.create_repo("widgets/{name}")
sst = repo.root_group.create(name="sst", shape=(40, 60), chunks=(10, 10), dtype="f4", fill_value=0)
y, x = np.mgrid[0:40, 0:60]
sst[:] = np.zeros((40, 60))
cube = repo.root_group.create(name="cube", shape=(3, 20, 20), chunks=(1, 10, 10), dtype="f4", fill_value=0)
cube[:] = 1.0
repo.root_group.create_group("old")
first = repo.commit("Zeros")
sst[:] = np.sin(x / 9.0) + np.cos(y / 7.0)
sst.attrs["units"] = "degC"
second = repo.commit("A field")
repo.tag("v1", second)
repo.new_branch("experiment")
sst[:] = 2 * (np.sin(x / 9.0) + np.cos(y / 7.0))
third = repo.commit("Doubled")
repo.checkout("experiment")
sst = repo.root_group["sst"]
sst[0:10, 20:30] = -5.0
repo.root_group["cube"][2, 10:20, 0:10] = 7.0
sst.attrs["units"] = "K"
repo.move("old", "new")
repo.commit("Experiment")
repo.checkout("main")
"""

CANVAS_SUM = """(sel) => { const c = document.querySelector(sel); if (!c) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let s = 0;
  for (let i = 0; i < d.length; i++) s += d[i]; return s; }"""


def test_diff_panel_heat_map_click_names_the_chunk(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "diff_panel.ipynb", BUILD.replace('{name}', 'diff') + 'DiffPanel(repo, "v1", "experiment")')
    lab.open_notebook("diff_panel.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=diff-view]")
    heat = panel.locator("[data-testid=heatmap][data-path=sst]")
    heat.wait_for(state="visible")
    # An empty group moved reads as deleted at the old path and added at the new one.
    assert "/old" in panel.locator("[data-testid=diff-deleted]").inner_text()
    assert "/new" in panel.locator("[data-testid=diff-added]").inner_text()
    attrs = panel.locator("[data-testid=diff-attributes]").inner_text()
    assert "units" in attrs and '"degC"' in attrs and '"K"' in attrs
    assert "1 chunk changed: 1 modified" in panel.locator("[data-testid=diff-array][data-path=sst]").inner_text()
    # The changed chunk is row 0, column 2 of the 4 x 6 grid: click the middle of that cell.
    cell = int(heat.get_attribute("data-cell"))
    heat.click(position={"x": 2 * cell + cell // 2, "y": cell // 2})
    detail = panel.locator("[data-testid=diff-array][data-path=sst] [data-testid=chunk-detail]")
    detail.wait_for(state="visible")
    assert panel.locator("[data-testid=diff-array][data-path=sst] [data-testid=chunk-key]").inner_text() == "c/0/2"
    text = detail.inner_text()
    assert "-5" in text and "old (v1)" in text and "new (experiment)" in text
    # An unchanged cell: same values on both sides.
    heat.click(position={"x": cell // 2, "y": 3 * cell + cell // 2})
    page.wait_for_function("() => document.querySelector('[data-testid=chunk-key]')?.textContent === 'c/3/0'")

    # A 3-D array: the heat map shows grid dims 1 and 2, summed over dim 0; a click on the changed
    # cell (row 1, column 0) names the changed chunk in it, c/2/1/0.
    cube = panel.locator("[data-testid=heatmap][data-path=cube]")
    assert cube.get_attribute("aria-label").endswith("2 × 2 cells")
    cell = int(cube.get_attribute("data-cell"))
    cube.click(position={"x": cell // 2, "y": cell + cell // 2})
    cube_key = "() => document.querySelector('[data-testid=diff-array][data-path=cube] [data-testid=chunk-key]')?.textContent"
    page.wait_for_function(f"() => ({cube_key})() === 'c/2/1/0'")
    assert "its first changed chunk" in panel.locator("[data-testid=diff-array][data-path=cube]").inner_text()
    # The axis picker: dims 0 and 1 (summed over dim 2); the changed chunk is at row 2, column 1.
    panel.get_by_label("Heat map axes of /cube").select_option("0,1")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=heatmap][data-path=cube]')?.getAttribute('aria-label').endsWith('3 × 2 cells')"
    )
    cube = panel.locator("[data-testid=heatmap][data-path=cube]")
    cell = int(cube.get_attribute("data-cell"))
    cube.click(position={"x": cell // 2, "y": cell // 2})  # an unchanged cell: the chunk at dim 2 index 0
    page.wait_for_function(f"() => ({cube_key})() === 'c/0/0/0'")
    cube.click(position={"x": cell + cell // 2, "y": 2 * cell + cell // 2})
    page.wait_for_function(f"() => ({cube_key})() === 'c/2/1/0'")
    cube_detail = panel.locator("[data-testid=diff-array][data-path=cube] [data-testid=chunk-detail]").inner_text()
    assert "7" in cube_detail

    page.set_viewport_size({"width": 1280, "height": 1900})  # the whole panel on screen, not clipped by the notebook
    for theme, name in ((LIGHT, "diff-panel-light.png"), (DARK, "diff-panel-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        panel.screenshot(path=str(screenshot_dir / name))
    _set_theme(lab, LIGHT)
    page.set_viewport_size({"width": 1280, "height": 900})

    # The "to" picker: the session (no uncommitted changes on main) compared with main is empty.
    panel.get_by_label("From").select_option("main")
    panel.get_by_label("To").select_option("")
    page.locator("[data-testid=diff-empty]").wait_for(state="visible")
    assert lab.page_errors == []


def test_time_travel_slider_changes_the_preview_and_checks_out(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "time_travel.ipynb", BUILD.replace('{name}', 'time-travel') + 'TimeTravel(repo, "sst")')
    lab.open_notebook("time_travel.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=time-travel]")
    summary = panel.locator("[data-testid=preview-summary]")
    summary.wait_for(state="visible")
    # main: three commits changed sst; the slider starts at the newest (doubled field).
    assert "3 commits changed /sst" in panel.inner_text()
    assert "Doubled" in panel.locator("[data-testid=version]").inner_text()
    newest_text = summary.inner_text()
    newest_sum = page.evaluate(CANVAS_SUM, "[data-testid=time-travel] canvas")
    assert newest_sum

    slider = panel.locator("[data-testid=commit-slider]")
    box = slider.bounding_box()
    slider.click(position={"x": box["width"] / 2, "y": box["height"] / 2})  # the middle: "A field"
    page.wait_for_function("() => document.querySelector('[data-testid=version]').textContent.includes('A field')")
    page.wait_for_function(
        "(old) => { const s = document.querySelector('[data-testid=preview-summary]'); return s && s.textContent !== old; }",
        arg=newest_text,
    )
    # (The canvas itself looks the same: the doubled field has the same shape on its own colour scale.)
    assert '"degC"' in panel.locator("[data-testid=attributes]").inner_text()
    slider.click(position={"x": 2, "y": box["height"] / 2})  # the left end, the oldest: zeros, no attributes
    page.wait_for_function("() => document.querySelector('[data-testid=version]').textContent.includes('Zeros')")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=preview-summary]')?.textContent.includes('min 0.000, max 0.000')"
    )
    assert panel.locator("[data-testid=attributes]").inner_text().strip() == "{}"
    assert page.evaluate(CANVAS_SUM, "[data-testid=time-travel] canvas") != newest_sum  # one flat colour now

    for theme, name in ((LIGHT, "time-travel-light.png"), (DARK, "time-travel-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        panel.screenshot(path=str(screenshot_dir / name))
    _set_theme(lab, LIGHT)

    panel.locator("[data-testid=checkout]").click()
    panel.locator("[data-testid=checkout-done]").wait_for(state="visible")
    result = lab.kernel_execute("print(repo.session.base_commit == first, repo.session.branch)")
    assert result.stdout.split() == ["True", "None"], result
    assert "read-only at" in panel.locator("[data-testid=where]").inner_text()
    assert lab.page_errors == []
