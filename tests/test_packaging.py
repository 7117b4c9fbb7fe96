"""What the wheel ships for Jupyter stays in step: widget bundles, the sidebar's version, the config that enables it."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import zipfile
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


def test_the_wheel_ships_every_panel_bundle_and_the_sidebar(tmp_path: Path) -> None:
    # What `pip install .` installs: built by pip through the hatch hooks, as a user's install is.
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=900)
    (wheel,) = tmp_path.glob("arraylake_nb-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    entries = sorted(p.stem for p in (ROOT / "js" / "src").glob("*.ts"))
    assert entries, "no widget entries in js/src"
    missing = [e for e in entries if f"arraylake_nb/widgets/static/{e}.js" not in names]
    assert missing == [], f"the wheel lacks the bundles of {missing}"
    lab = [n for n in names if "/share/jupyter/labextensions/arraylake-nb/" in n]
    assert any(n.endswith("/package.json") for n in lab) and any(n.endswith("/install.json") for n in lab)
    assert any("/static/remoteEntry." in n for n in lab), "the prebuilt labextension's entry is missing"
    assert any(n.endswith("etc/jupyter/jupyter_server_config.d/arraylake_nb.json") for n in names)
