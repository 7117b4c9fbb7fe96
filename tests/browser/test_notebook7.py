"""The panels in Notebook 7 (the notebook front end built on JupyterLab's components), driven by its menus."""

from __future__ import annotations

from .lab import REPO_ROOT, copy_notebook, low_contrast_in_page

BUSY = "() => [...document.querySelectorAll('.aln-root')].some(n => /Loading…|Computing/.test(n.textContent))"


def _menu(page, *path: str) -> None:
    """Click through Notebook 7's menu bar, as a person does: ``_menu(page, "Run", "Run All Cells")``."""
    page.locator(".lm-MenuBar-itemLabel", has_text=path[0]).first.click()
    for item in path[1:]:
        page.locator(".lm-Menu:visible .lm-Menu-itemLabel", has_text=item).first.click()


def test_every_panel_renders_readably_in_notebook_7(lab, screenshot_dir):
    page = lab.page
    name = copy_notebook(REPO_ROOT / "notebooks" / "05-panels.ipynb", lab.server, "notebook7-panels.ipynb")
    page.goto(f"{lab.server.url}/notebooks/{name}?token={lab.server.token}", wait_until="domcontentloaded")
    page.locator(".jp-Notebook").wait_for()
    # The kernel must be up before Run All: its name in the toolbar, and "Kernel status: Idle".
    page.wait_for_function(
        "() => { const n = document.querySelector('.jp-KernelName'); const i = document.querySelector('.jp-Notebook-ExecutionIndicator');"
        " return n && i && !/No Kernel/.test(n.textContent) && i.dataset.status === 'idle'"
        " && !!document.querySelector('.jp-NotebookKernelStatus-fade'); }", timeout=90_000)
    # Notebook 7.6.5 on JupyterLab 4.6 reports errors of its own while starting: one loading settings
    # ("reading 'schema'"; also with every setting and our sidebar disabled) and, after other
    # tests used the same server, "Command 'filebrowser:open-path' not registered" (Notebook 7's
    # page has no file browser). Nothing of ours runs yet; anything else counts.
    own = ("reading 'schema'", "Command 'filebrowser:open-path' not registered")
    at_load = list(lab.page_errors)
    assert all(any(o in e for o in own) for e in at_load), at_load
    _menu(page, "Run", "Run All Cells")
    # Six panel cells and the magic's diff: each front end mounted, with its first data in.
    page.wait_for_function("() => document.querySelectorAll('.aln-root').length >= 7", timeout=120_000)
    page.wait_for_function(f"() => !({BUSY})()", timeout=60_000)
    assert "front end is not built" not in page.locator(".jp-Notebook").inner_text()
    assert page.locator(".jp-Notebook [data-mime-type='application/vnd.jupyter.stderr']").count() == 0

    # Requests reach the kernel and come back: expand a group, select an array, see its preview.
    tree = page.locator("[data-testid=tree-panel]").first
    tree.locator(".aln-row[data-path='ocean'] [data-testid=toggle]").click()
    tree.locator(".aln-row[data-path='ocean/sst']").click()
    tree.locator("[data-testid=preview] canvas").wait_for()
    assert "(90, 180)" in tree.locator("[data-testid=details]").inner_text()

    for theme in ("JupyterLab Light", "JupyterLab Dark"):
        _menu(page, "Settings", "Theme", theme)
        page.wait_for_function("(t) => document.body.dataset.jpThemeName === t", arg=theme)
        page.wait_for_timeout(300)  # the theme's stylesheet applies on the next frames
        assert low_contrast_in_page(page, ".aln-root") == [], theme
        suffix = "dark" if "Dark" in theme else "light"
        page.locator(".aln-history").first.scroll_into_view_if_needed()
        page.screenshot(path=str(screenshot_dir / f"notebook7-panels-{suffix}.png"))
    assert lab.page_errors[len(at_load):] == []
