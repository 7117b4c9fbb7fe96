"""The JupyterLab sidebar (labextension arraylake-nb + server extension arraylake_nb.server) in a real browser.

The JupyterLab started here finds the built labextension (arraylake_nb/labextension, made by
``pip install .`` or ``npm run build:prod`` in js/lab/) and the server extension's config file
where a wheel install puts them: ``<data>/labextensions/arraylake-nb`` and
``<config>/jupyter_server_config.d/arraylake_nb.json``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from arraylake_nb import Client
from arraylake_nb.errors import NotOnBranchWarning

from .lab import DARK, LIGHT, REPO_ROOT, LabError, LabPage, LabServer
from .test_status_panel import _notebook

BUILT = REPO_ROOT / "arraylake_nb" / "labextension"
SERVER_CONFIG = REPO_ROOT / "jupyter-config" / "server-config" / "arraylake_nb.json"
SIDEBAR = "#arraylake-nb-sidebar"


def install_sidebar(server: LabServer) -> None:
    """Put the built labextension and the server extension's config where a wheel install puts them."""
    env = server.env()
    shutil.copytree(BUILT, Path(env["JUPYTER_DATA_DIR"]) / "labextensions" / "arraylake-nb")
    conf = Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.d"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SERVER_CONFIG, conf / "arraylake_nb.json")


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A JupyterLab with the sidebar installed as a wheel installs it, on a root holding two repositories."""
    if not (BUILT / "package.json").exists():
        pytest.fail("The labextension is not built: run `npm ci && npm run build:prod` in js/lab/ "
                    "(or `pip install .`).", pytrace=False)
    server = LabServer(base=tmp_path_factory.mktemp("jupyterlab-sidebar"))
    install_sidebar(server)
    env = server.env()
    client = Client(root=env["ARRAYLAKE_NB_ROOT"])
    for name in ("earthmover/ocean", "lab/atmosphere"):
        repo = client.create_repo(name)
        repo.root_group.attrs["title"] = name
        repo.commit("first")
        repo.release()
    try:
        server.start()
    except LabError as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


def _open_sidebar(lab: LabPage) -> None:
    lab.page.goto(f"{lab.server.url}/lab?reset&token={lab.server.token}", wait_until="domcontentloaded")
    lab.wait_app_ready()
    lab.js("window.jupyterapp.shell.activateById('arraylake-nb-sidebar');")
    lab.page.locator(f"{SIDEBAR} .anb-sidebar-repo").first.wait_for(state="visible")


def _repos(lab: LabPage) -> list[str]:
    return lab.page.locator(f"{SIDEBAR} .anb-sidebar-repo").all_inner_texts()


def _plain(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", text)  # the colours of `jupyter ... list`


def test_jupyter_lists_both_extensions_enabled_and_ok(lab_server) -> None:
    env = lab_server.env()
    labext = subprocess.run([sys.executable, "-m", "jupyter", "labextension", "list"], env=env,
                            capture_output=True, text=True, check=True)
    out = _plain(labext.stdout + labext.stderr)
    line = next((x for x in out.splitlines() if "arraylake-nb" in x), "")
    assert "v0.1.0" in line and "enabled" in line and "OK" in line, out
    server = subprocess.run([sys.executable, "-m", "jupyter", "server", "extension", "list"], env=env,
                            capture_output=True, text=True, check=True)
    out = _plain(server.stdout + server.stderr)
    assert "arraylake_nb.server enabled" in out and re.search(r"arraylake_nb\.server\S*\s+(\S+ )?OK", out), out


def test_sidebar_lists_the_repositories_and_follows_new_ones(lab, screenshot_dir) -> None:
    _open_sidebar(lab)
    page = lab.page
    assert _repos(lab) == ["earthmover/ocean", "lab/atmosphere"]
    root = lab.server.env()["ARRAYLAKE_NB_ROOT"]
    assert page.locator(f"{SIDEBAR} .anb-sidebar-root").inner_text() == f"Root: {root}"
    # The server part answered with the sidebar's own version: no warning, no error.
    assert page.locator(f"{SIDEBAR} .anb-sidebar-warning, {SIDEBAR} .anb-sidebar-error").count() == 0
    # Its tab in the left bar says what it is.
    assert page.locator("li.lm-TabBar-tab[title='Arraylake repositories']").count() == 1

    # A repository created by another process appears without a reload.
    Client(root=root).create_repo("lab/new-one").release()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#arraylake-nb-sidebar .anb-sidebar-repo')]"
        ".some(n => n.textContent === 'lab/new-one')", timeout=15_000)
    assert _repos(lab) == ["earthmover/ocean", "lab/atmosphere", "lab/new-one"]
    assert lab.page_errors == []

    sidebar = page.locator(SIDEBAR)
    for theme, name in ((LIGHT, "light"), (DARK, "dark")):
        lab.set_theme(theme)
        sidebar.screenshot(path=str(screenshot_dir / f"sidebar-repos-{name}.png"), animations="disabled")
        # With the left tab bar, where the sidebar's icon is.
        page.screenshot(path=str(screenshot_dir / f"sidebar-window-{name}.png"), animations="disabled",
                        clip={"x": 0, "y": 0, "width": 400, "height": 420})
    lab.set_theme(LIGHT)


def test_sidebar_says_when_the_server_part_is_missing(lab) -> None:
    # The failure users of other sidebars meet most ("server extension unavailable"): say what to do.
    lab.page.route("**/arraylake-nb/api/version*", lambda route: route.fulfill(status=404, body="Not Found"))
    lab.page.goto(f"{lab.server.url}/lab?reset&token={lab.server.token}", wait_until="domcontentloaded")
    lab.wait_app_ready()
    lab.js("window.jupyterapp.shell.activateById('arraylake-nb-sidebar');")
    error = lab.page.locator(f"{SIDEBAR} .anb-sidebar-error")
    error.wait_for(state="visible")
    assert "jupyter server extension list" in error.inner_text()


def test_sidebar_warns_when_versions_differ(lab) -> None:
    lab.page.route("**/arraylake-nb/api/version*", lambda route: route.fulfill(
        status=200, content_type="application/json", body=json.dumps({"version": "9.9.9", "root": "/x"})))
    _open_sidebar(lab)
    warning = lab.page.locator(f"{SIDEBAR} .anb-sidebar-warning")
    warning.wait_for(state="visible")
    text = warning.inner_text()
    assert "9.9.9" in text and "0.1.0" in text and "Restart JupyterLab" in text
    assert _repos(lab)[:2] == ["earthmover/ocean", "lab/atmosphere"]  # still usable


def _rows(lab: LabPage) -> list[str]:
    return lab.page.locator(f"{SIDEBAR} [data-testid=history-panel] .aln-hrow .aln-msg").all_inner_texts()


def _row(lab: LabPage, message: str):
    return lab.page.locator(f"{SIDEBAR} [data-testid=history-panel] .aln-hrow", has_text=message).first


def test_sidebar_history_compare_refs_sessions_snippet_and_live(lab, screenshot_dir) -> None:
    root = lab.server.env()["ARRAYLAKE_NB_ROOT"]
    client = Client(root=root)
    repo = client.get_repo("earthmover/ocean")
    sst = repo.root_group.create_array("sst", shape=(40, 40), chunks=(10, 10), dtype="float32")
    sst[:] = np.zeros((40, 40), dtype="float32")
    added = repo.commit("add sst")
    sst[0:10, 20:30] = 1.5
    warmed = repo.commit("warm the sst in one corner")
    repo.release()
    # Someone's uncommitted work in another process: a session the sidebar lists and may abandon.
    writer = client.get_repo("earthmover/ocean")
    writer.root_group.attrs["draft"] = "unfinished"
    draft = writer.session.id
    writer.release()

    _notebook(lab.server.root_dir / "sidebar.ipynb", "1 + 1")
    lab.open_notebook("sidebar.ipynb")
    lab.js("window.jupyterapp.shell.activateById('arraylake-nb-sidebar');")
    page = lab.page
    page.locator(f"{SIDEBAR} .anb-sidebar-repo[data-repo='earthmover/ocean']").click()

    # History: the shared component, its graph and every commit's message.
    page.wait_for_function("() => document.querySelectorAll('#arraylake-nb-sidebar .aln-hrow').length === 3")
    assert _rows(lab) == ["warm the sst in one corner", "add sst", "first"]
    assert page.locator(f"{SIDEBAR} .aln-hrow svg").count() == 3  # a graph cell per row
    _row(lab, "warm the sst").click()
    details = page.locator(f"{SIDEBAR} [data-testid=history-panel] [data-testid=details]")
    details.wait_for(state="visible")
    assert details.locator("[data-testid=full-id]").inner_text() == warmed
    assert "/sst: 1 chunk changed" in details.locator("[data-testid=changes]").inner_text()
    # No kernel actions: the sidebar never checks anything out behind a kernel's back.
    assert details.get_by_role("button", name="Check out").count() == 0

    # Compare two commits: the shared diff view with its heat map.
    _row(lab, "add sst").click()
    details.get_by_role("button", name="Compare with…").click()
    _row(lab, "warm the sst").click()
    diff = page.locator(f"{SIDEBAR} [data-testid=sidebar-diff] [data-testid=diff-view]")
    diff.locator(".aln-heat").first.wait_for(state="visible")
    assert "sst" in diff.inner_text() and f"{added} → {warmed}" in diff.inner_text()
    # Commits and refs only: the sidebar has no session of its own to compare with.
    assert diff.locator("[data-testid=diff-b] option[value='']").count() == 0
    page.locator(f"{SIDEBAR} [data-testid=close-diff]").click()
    assert diff.count() == 0

    # Create a branch from a selected commit (the history's form, over REST), then delete it.
    _row(lab, "add sst").click()
    page.locator(f"{SIDEBAR} [data-testid=history-panel] [data-testid=details]").get_by_role("button", name="Branch here…").click()
    page.locator(f"{SIDEBAR} [data-testid=branch-form] input").fill("feature/warm")
    page.locator(f"{SIDEBAR} [data-testid=branch-form]").get_by_role("button", name="Create branch").click()
    page.locator(f"{SIDEBAR} .aln-notice", has_text="Created branch feature/warm").wait_for()
    check = Client(root=root).get_repo("earthmover/ocean", checkout=False)
    assert {b.name: b.commit_id for b in check.branches}.get("feature/warm") == added
    check.release()
    page.locator(f"{SIDEBAR} .anb-tab[data-tab=refs]").click()
    item = page.locator(f"{SIDEBAR} [data-testid=branches] .anb-ref[data-ref='feature/warm']")
    assert added[:8] in item.locator(".anb-ref-tip").inner_text()
    item.locator("[data-action=delete]").click()
    page.locator(SIDEBAR).screenshot(path=str(screenshot_dir / "sidebar-branches-light.png"), animations="disabled")
    item.locator("[data-action=confirm-delete]").click()
    item.wait_for(state="detached")
    check = Client(root=root).get_repo("earthmover/ocean", checkout=False)
    assert "feature/warm" not in [b.name for b in check.branches]
    check.release()

    # Sessions: the writer's session with its changed node; abandon it after a confirmation.
    page.locator(f"{SIDEBAR} .anb-tab[data-tab=sessions]").click()
    session = page.locator(f"{SIDEBAR} .anb-session[data-session='{draft}']")
    session.wait_for()
    text = session.inner_text()
    assert "on main" in text and "1 changed key" in text and "metadata" in text
    session.locator("[data-action=abandon]").click()
    page.locator(SIDEBAR).screenshot(path=str(screenshot_dir / "sidebar-sessions-light.png"), animations="disabled")
    session.locator("[data-action=confirm-abandon]").click()
    session.wait_for(state="detached")
    check = Client(root=root).get_repo("earthmover/ocean", checkout=False)
    assert draft not in [s.id for s in check.list_active_sessions()]
    check.release()
    # Live there too: another process's new session shows without a reload...
    late = Client(root=root).get_repo("earthmover/ocean")
    late.root_group.attrs["late"] = True
    late_id = late.session.id
    late.release()
    page.locator(f"{SIDEBAR} .anb-session[data-session='{late_id}']").wait_for(timeout=30_000)
    # ...and so does its new branch in Branches.
    page.locator(f"{SIDEBAR} .anb-tab[data-tab=refs]").click()
    other = Client(root=root).get_repo("earthmover/ocean", checkout=False)
    with pytest.warns(NotOnBranchWarning):  # read-only at a commit, as the server creates branches
        other.checkout(warmed, for_writing=False)
    other.new_branch("from-elsewhere")
    other.release()
    page.locator(f"{SIDEBAR} [data-testid=branches] .anb-ref[data-ref='from-elsewhere']").wait_for(timeout=30_000)

    # Use in notebook: a cell opening the repo at the selected commit, inserted, not run.
    page.locator(f"{SIDEBAR} .anb-tab[data-tab=history]").click()
    _row(lab, "add sst").click()
    page.locator(f"{SIDEBAR} [data-testid=use-in-notebook]").click()
    cells = lab.cells()
    assert len(cells) == 2 and "get_repo(\"earthmover/ocean\"" in cells[1].source
    assert f'repo.checkout("{added}")' in cells[1].source and cells[1].execution_count is None
    assert lab.kernel_execute("'repo' in globals()").result == "False"  # inserted, not run
    lab.run_all()
    assert lab.kernel_execute("repo.session.base_commit").result == repr(added)
    assert lab.kernel_execute("repr(repo.session.branch)").result == "'None'"

    # Live: a commit from another process appears without a reload.
    other = Client(root=root).get_repo("earthmover/ocean")
    other.root_group.attrs["note"] = "from elsewhere"
    other.commit("a commit from elsewhere")
    other.release()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#arraylake-nb-sidebar .aln-hrow .aln-msg')]"
        ".some(n => n.textContent === 'a commit from elsewhere')", timeout=30_000)
    assert _rows(lab)[0] == "a commit from elsewhere"
    assert lab.page_errors == []

    # A commit made by a notebook cell shows that cell in its details.
    code = (f"w = Client(root={root!r}).get_repo('lab/atmosphere')\n"
            "w.root_group.attrs['units'] = 'K'\n"
            "w.commit('units from the notebook')\nw.release()")
    lab.run_new_cell("%load_ext arraylake_nb")  # records each commit's cell from the next cell on
    lab.run_new_cell(code)
    page.locator(f"{SIDEBAR} .anb-sidebar-repo[data-repo='lab/atmosphere']").click()
    _row(lab, "units from the notebook").click()
    provenance = page.locator(f"{SIDEBAR} [data-testid=history-panel] [data-testid=provenance]")
    assert "w.commit('units from the notebook')" in provenance.inner_text()
    assert "sidebar.ipynb" in provenance.inner_text()
    page.locator(f"{SIDEBAR} .anb-sidebar-repo[data-repo='earthmover/ocean']").click()
    page.wait_for_function("() => document.querySelectorAll('#arraylake-nb-sidebar .aln-hrow').length === 4")

    # A page reload brings the same repository back, with the new commit.
    page.reload(wait_until="domcontentloaded")
    lab.wait_app_ready()
    lab.js("window.jupyterapp.shell.activateById('arraylake-nb-sidebar');")
    page.wait_for_function("() => document.querySelectorAll('#arraylake-nb-sidebar .aln-hrow').length === 4")
    assert page.locator(f"{SIDEBAR} .anb-sidebar-repo[aria-pressed='true']").inner_text() == "earthmover/ocean"
    assert _rows(lab)[0] == "a commit from elsewhere"

    # The tree at a ref, lazily, with node details (the TreePanel's component over REST).
    _row(lab, "add sst").click()
    page.locator(f"{SIDEBAR} .anb-tab[data-tab=tree]").click()
    tree = page.locator(f"{SIDEBAR} [data-testid=tree-panel]")
    tree.locator(".aln-row[data-path='sst']").click()
    node = tree.locator("[data-testid=details]")
    node.locator("table.aln-props").wait_for()
    assert "float32" in node.inner_text() and "chunk shape" in node.inner_text()
    assert tree.locator("[data-testid=ref-picker]").input_value() == added
    assert tree.locator("[data-testid=ref-picker] option[value='']").count() == 0  # no checkout here
    # Per-array history: the commits in this ref's ancestry that changed the array.
    tree.locator("[data-testid=array-history] summary").click()
    versions = tree.locator("[data-testid=array-history] li")
    versions.first.wait_for()
    assert [v.get_attribute("data-commit") for v in versions.all()] == [added]
    assert "add sst" in versions.first.inner_text() and "created" in versions.first.inner_text()

    page.locator(f"{SIDEBAR} .anb-tab[data-tab=history]").click()
    _row(lab, "warm the sst").click()
    sidebar = page.locator(SIDEBAR)
    assert lab.page_errors == []
    for theme, name in ((LIGHT, "light"), (DARK, "dark")):
        lab.set_theme(theme)
        page.locator(f"{SIDEBAR} .anb-tab[data-tab=history]").click()
        sidebar.screenshot(path=str(screenshot_dir / f"sidebar-history-{name}.png"), animations="disabled")
        page.locator(f"{SIDEBAR} .anb-tab[data-tab=tree]").click()
        tree.locator("[data-testid=details] table.aln-props").wait_for()
        sidebar.screenshot(path=str(screenshot_dir / f"sidebar-tree-{name}.png"), animations="disabled")
    lab.set_theme(LIGHT)

    assert lab.page_errors == []


def test_sidebar_in_the_high_contrast_theme(lab, screenshot_dir) -> None:
    _open_sidebar(lab)
    page = lab.page
    page.locator(f"{SIDEBAR} .anb-sidebar-repo[data-repo='earthmover/ocean']").click()
    page.locator(f"{SIDEBAR} [data-testid=history-panel] .aln-hrow").first.wait_for()
    # No notebook open: Use in notebook says what to do instead of inserting anywhere.
    page.locator(f"{SIDEBAR} [data-testid=use-in-notebook]").click()
    assert page.locator(f"{SIDEBAR} .anb-notice").inner_text() == "Open a notebook first: the cell goes below its active cell."
    lab.set_theme("JupyterLab Dark High Contrast")
    # The shared panels take their colours from JupyterLab's variables: dark text would vanish here.
    colour = lab.js("return getComputedStyle(document.querySelector("
                    "'#arraylake-nb-sidebar .aln-hrow .aln-msg')).color;")
    rgb = [int(x) for x in re.findall(r"\d+", colour)[:3]]
    assert sum(rgb) > 600, colour  # light text on the theme's black
    page.locator(SIDEBAR).screenshot(path=str(screenshot_dir / "sidebar-history-high-contrast.png"), animations="disabled")
    lab.set_theme(LIGHT)
    assert lab.page_errors == []
