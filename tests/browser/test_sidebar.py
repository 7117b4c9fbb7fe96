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

import pytest

from arraylake_nb import Client

from .lab import DARK, LIGHT, REPO_ROOT, LabError, LabPage, LabServer

BUILT = REPO_ROOT / "arraylake_nb" / "labextension"
SERVER_CONFIG = REPO_ROOT / "jupyter-config" / "server-config" / "arraylake_nb.json"
SIDEBAR = "#arraylake-nb-sidebar"


@pytest.fixture(scope="module")
def lab_server(tmp_path_factory):
    """A JupyterLab with the sidebar installed as a wheel installs it, on a root holding two repositories."""
    if not (BUILT / "package.json").exists():
        pytest.fail("The labextension is not built: run `npm ci && npm run build:prod` in js/lab/ "
                    "(or `pip install .`).", pytrace=False)
    server = LabServer(base=tmp_path_factory.mktemp("jupyterlab-sidebar"))
    env = server.env()
    shutil.copytree(BUILT, Path(env["JUPYTER_DATA_DIR"]) / "labextensions" / "arraylake-nb")
    conf = Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.d"
    conf.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SERVER_CONFIG, conf / "arraylake_nb.json")
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
