"""Hatch build hook: bundle the notebook panels' front end (js/) before building the wheel.

``pip install .`` and ``pip install -e .`` run ``npm ci`` (when node_modules is missing or older
than package-lock.json) and ``npm run build`` (when a bundle in arraylake_nb/widgets/static/ is
missing or older than a source in js/). The bundles are gitignored and shipped in the wheel as
artifacts. ``ARRAYLAKE_NB_SKIP_JS_BUILD=1`` skips the step (the panels then say how to build).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def widgets(root: Path) -> list[str]:
    """The widget bundles to ship: one per top-level ``js/src/<name>.ts`` (as js/build.mjs builds them)."""
    src = root / "js" / "src"
    if src.is_dir():
        return sorted(p.stem for p in src.glob("*.ts") if not p.name.endswith(".d.ts"))
    return sorted(p.stem for p in (root / "arraylake_nb" / "widgets" / "static").glob("*.js"))


class JsBuildHook(BuildHookInterface):
    PLUGIN_NAME = "arraylake-nb-js"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        js = root / "js"
        static = root / "arraylake_nb" / "widgets" / "static"
        bundles = [static / f"{name}.js" for name in widgets(root)]
        build_data.setdefault("artifacts", []).extend(
            str(b.relative_to(root)).replace(os.sep, "/") for b in bundles
        )
        if self.target_name != "wheel" or os.environ.get("ARRAYLAKE_NB_SKIP_JS_BUILD") == "1":
            return
        if not js.is_dir():  # an sdist built without js/: the bundles must already be there
            missing = [str(b) for b in bundles if not b.exists()]
            if missing:
                raise RuntimeError(f"arraylake_nb: no js/ folder and no built front end ({', '.join(missing)}).")
            return
        # js/lab/ is the JupyterLab sidebar, built by the jupyter-builder hook (pyproject.toml).
        sources = [p for p in js.rglob("*")
                   if p.is_file() and "node_modules" not in p.parts and p.relative_to(js).parts[0] != "lab"]
        newest = max(p.stat().st_mtime for p in sources)
        if all(b.exists() and b.stat().st_mtime >= newest for b in bundles):
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError(
                "arraylake_nb: building the notebook panels' front end needs Node.js 18+ and npm "
                "(not found on PATH). Install them (e.g. `apt-get install nodejs npm`), or set "
                "ARRAYLAKE_NB_SKIP_JS_BUILD=1 to install without the panels."
            )
        stamp = js / "node_modules" / ".package-lock.json"
        if not stamp.exists() or stamp.stat().st_mtime < (js / "package-lock.json").stat().st_mtime:
            self._npm(npm, ["ci", "--no-audit", "--no-fund"], js)
        self._npm(npm, ["run", "build"], js)
        missing = [str(b) for b in bundles if not b.exists()]
        if missing:
            raise RuntimeError(f"arraylake_nb: npm run build did not produce {', '.join(missing)}")

    def _npm(self, npm: str, args: list[str], cwd: Path) -> None:
        self.app.display_info(f"arraylake_nb: npm {' '.join(args)} (in {cwd})")
        result = subprocess.run([npm, *args], cwd=cwd, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise RuntimeError(
                f"arraylake_nb: `npm {' '.join(args)}` failed in {cwd} (exit {result.returncode}):\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
