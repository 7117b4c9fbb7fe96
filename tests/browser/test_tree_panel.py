"""TreePanel in JupyterLab: expand a group, select an array, see its details and preview, change the ref."""

from __future__ import annotations

from .lab import DARK, LIGHT
from .test_status_panel import _notebook, _set_theme

SETUP = """\
import numpy as np
from arraylake_nb import Client
from arraylake_nb.widgets import TreePanel
client = Client()
repo = client.get_or_create_repo("widgets/tree")
g = repo.root_group.create_group("atlantic")
t = g.create(name="temperature", shape=(40, 60), chunks=(20, 30), dtype="f4")
y, x = np.mgrid[0:40, 0:60]
t[:] = np.sin(x / 9.0) + np.cos(y / 7.0)
t[5:10, 5:10] = np.nan
t.attrs.update({"units": "degC", "long_name": "<b>sea</b> temperature"})
first = repo.commit("First data")
repo.tag("v1", first)
g.create(name="salinity", shape=100, chunks=50, dtype="f8")[:] = np.linspace(30, 36, 100)
repo.root_group.create_group("pacific")
repo.commit("More")
TreePanel(repo)"""

CANVAS_PIXELS = """() => { const c = document.querySelector('[data-testid=preview-canvas]'); if (!c) return -1;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""


def test_tree_panel_expands_selects_previews_and_changes_ref(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "tree_panel.ipynb", SETUP)
    lab.open_notebook("tree_panel.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    page = lab.page
    panel = page.locator("[data-testid=tree-panel]")
    panel.wait_for(state="visible")
    assert "widgets/tree" in panel.inner_text()
    atlantic = panel.locator(".aln-row[data-path='atlantic']")
    atlantic.wait_for(state="visible")
    assert panel.locator(".aln-row[data-path='pacific']").count() == 1

    # Expand the group (its toggle), then select the array.
    atlantic.locator("[data-testid=toggle]").click()
    array = panel.locator(".aln-row[data-path='atlantic/temperature']")
    array.wait_for(state="visible")
    assert panel.locator(".aln-row[data-path='atlantic/salinity']").count() == 1
    array.click()
    details = panel.locator("[data-testid=details]")
    page.wait_for_function("() => document.querySelector('[data-testid=details]').textContent.includes('(40, 60)')")
    text = details.inner_text()
    assert "float32" in text and "(2, 2)" in text and "4 of 4" in text and "bytes stored" in text
    # Attributes: collapsed JSON, text only.
    details.locator("[data-testid=attributes] summary").click()
    assert "<b>sea</b> temperature" in details.locator("pre").inner_text()
    assert details.locator("b").count() == 0
    # The preview canvas was drawn: every pixel but the NaN square is opaque.
    page.wait_for_function(f"() => ({CANVAS_PIXELS})() > 0")
    assert page.evaluate(CANVAS_PIXELS) == 40 * 60 - 25

    # Keyboard: Enter on the focused group row collapses and expands it.
    atlantic.focus()
    atlantic.press("Enter")
    page.wait_for_function("() => !document.querySelector(\".aln-row[data-path='atlantic/temperature']\")")
    atlantic = panel.locator(".aln-row[data-path='atlantic']")
    atlantic.press("Enter")
    panel.locator(".aln-row[data-path='atlantic/temperature']").wait_for(state="visible")
    panel.locator(".aln-row[data-path='atlantic/temperature']").click()
    page.wait_for_function(f"() => ({CANVAS_PIXELS})() > 0")

    for theme, name in ((LIGHT, "tree-panel-light.png"), (DARK, "tree-panel-dark.png")):
        _set_theme(lab, theme)
        assert lab.low_contrast_text(selector=".aln-root") == [], theme
        lab.screenshot_notebook(screenshot_dir / name)
        panel.screenshot(path=str(screenshot_dir / name.replace(".png", "-panel.png")))
    _set_theme(lab, LIGHT)

    # The ref picker: the first commit (tag v1) has no pacific and no salinity.
    panel = page.locator("[data-testid=tree-panel]")
    panel.get_by_label("Ref").select_option("v1")
    page.wait_for_function(
        "() => !document.querySelector(\".aln-row[data-path='pacific']\") &&"
        " !!document.querySelector(\".aln-row[data-path='atlantic/temperature']\")"
    )
    assert panel.locator(".aln-row[data-path='atlantic/salinity']").count() == 0
    assert panel.locator(".aln-row[data-path='atlantic']").count() == 1
    # Back on main: the newer tree again.
    panel.get_by_label("Ref").select_option("main")
    panel.locator(".aln-row[data-path='pacific']").wait_for(state="visible")
    panel.locator(".aln-row[data-path='atlantic/salinity']").click()
    page.wait_for_function("() => document.querySelector('[data-testid=details]').textContent.includes('(100,)')")
    page.wait_for_function(f"() => ({CANVAS_PIXELS})() > 0")
    # The commits that changed an array, oldest change last; a click shows the tree at one.
    panel.locator(".aln-row[data-path='atlantic/temperature']").click()
    page.wait_for_function("() => document.querySelector('[data-testid=details]').textContent.includes('(40, 60)')")
    panel.locator("[data-testid=array-history] summary").click()
    versions = panel.locator("[data-testid=array-history] li")
    versions.first.wait_for()
    first_id = lab.kernel_execute("print(first)").stdout.strip()
    assert [v.get_attribute("data-commit") for v in versions.all()] == [first_id]
    assert "First data" in versions.first.inner_text()
    versions.first.locator("button").click()
    page.wait_for_function("() => !document.querySelector(\".aln-row[data-path='pacific']\")")
    assert panel.get_by_label("Ref").input_value() == first_id
    panel.get_by_label("Ref").select_option("main")
    panel.locator(".aln-row[data-path='pacific']").wait_for(state="visible")
    panel.locator(".aln-row[data-path='atlantic/salinity']").click()
    page.wait_for_function("() => document.querySelector('[data-testid=details]').textContent.includes('(100,)')")
    # Opened once, the attributes stay open through redraws and other selections.
    assert panel.locator("[data-testid=attributes]").get_attribute("open") is not None

    # An untagged commit, by the short id a user copies from the log.
    short = lab.kernel_execute("print(first[:8])").stdout.strip()
    panel.get_by_label("Ref").select_option(label="commit id…")
    panel.get_by_label("Commit id").fill(short)
    panel.get_by_label("Commit id").press("Enter")
    page.wait_for_function("() => !document.querySelector(\".aln-row[data-path='pacific']\") &&"
                           " !!document.querySelector(\".aln-row[data-path='atlantic/temperature']\")")
    assert panel.locator(".aln-row[data-path='atlantic/salinity']").count() == 0
    # A wrong id says so in the panel; main still works afterwards.
    panel.get_by_label("Ref").select_option(label="commit id…")
    panel.get_by_label("Commit id").fill("deadbeef")
    panel.get_by_label("Commit id").press("Enter")
    page.wait_for_function("() => /deadbeef/.test(document.querySelector('[data-testid=tree-panel]').textContent)"
                           " && !!document.querySelector('[data-testid=tree-panel] .aln-error')")
    panel.get_by_label("Ref").select_option("main")
    panel.locator(".aln-row[data-path='pacific']").wait_for(state="visible")
    assert lab.page_errors == []


VIRTUAL_SETUP = """\
import numpy as np, xarray as xr, tempfile, pathlib
from arraylake_nb import Client
from arraylake_nb.widgets import TreePanel
source = pathlib.Path(tempfile.mkdtemp()) / "sst.nc"
xr.Dataset({"sst": (("y", "x"), np.arange(12, dtype="f4").reshape(3, 4))}).to_netcdf(source, engine="h5netcdf")
repo = Client().get_or_create_repo("widgets/virtual")
repo.add_virtual_netcdf(source, "archive")
repo.commit("Reference sst.nc")
TreePanel(repo)"""


def test_tree_panel_marks_virtual_arrays_and_names_their_source(lab, screenshot_dir):
    _notebook(lab.server.root_dir / "tree_virtual.ipynb", VIRTUAL_SETUP)
    lab.open_notebook("tree_virtual.ipynb")
    (setup,) = lab.run_all()
    assert not setup.tracebacks, setup.text
    panel = lab.page.locator("[data-testid=tree-panel]")
    panel.locator(".aln-row[data-path='archive'] [data-testid=toggle]").click()
    row = panel.locator(".aln-row[data-path='archive/sst']")
    row.wait_for(state="visible")
    assert "virtual" in row.locator(".aln-virtual").inner_text()
    row.click()
    sources = panel.locator("[data-testid=virtual-sources]")
    sources.wait_for(state="visible")
    assert sources.inner_text().strip().endswith("sst.nc")
    panel.locator("[data-testid=preview] canvas").wait_for()  # its values read from the file
    panel.screenshot(path=str(screenshot_dir / "tree-panel-virtual-light.png"))
    assert lab.page_errors == []
