"""What the wheel ships for Jupyter stays in step: widget bundles, the sidebar's version, the config that enables it."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def test_the_sidebar_is_built_as_the_package_version() -> None:
    # The front end compares its own version with the server extension's (GET version).
    lab = json.loads((ROOT / "js" / "lab" / "package.json").read_text())
    assert lab["version"] == _pyproject()["project"]["version"]
    assert lab["name"] == "arraylake-nb" and lab["jupyterlab"]["outputDir"] == "../../arraylake_nb/labextension"
    assert "@jupyter/builder" in lab["devDependencies"]  # JupyterLab 4.6's builder, not @jupyterlab/builder


def test_the_wheel_installs_and_enables_both_extensions() -> None:
    wheel = _pyproject()["tool"]["hatch"]["build"]["targets"]["wheel"]
    shared = wheel["shared-data"]
    assert shared["jupyter-config/server-config"] == "etc/jupyter/jupyter_server_config.d"
    assert shared["arraylake_nb/labextension"] == "share/jupyter/labextensions/arraylake-nb"
    assert shared["install.json"] == "share/jupyter/labextensions/arraylake-nb/install.json"
    config = json.loads((ROOT / "jupyter-config" / "server-config" / "arraylake_nb.json").read_text())
    assert config == {"ServerApp": {"jpserver_extensions": {"arraylake_nb.server": True}}}
    from arraylake_nb import server

    assert server._jupyter_server_extension_points() == [{"module": "arraylake_nb.server"}]
