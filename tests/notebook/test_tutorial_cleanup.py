"""The tutorial notebooks delete the temporary repository root they create."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_every_tutorial_ends_by_removing_its_temporary_root() -> None:
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = path.read_text()
        if "tempfile.mkdtemp(" in text:
            assert 'shutil.rmtree(os.environ.pop(\\"ARRAYLAKE_NB_ROOT\\"))' in text, path.name


def test_running_a_tutorial_leaves_no_temporary_folder(tmp_path: Path) -> None:
    # The kernel's tempfile.mkdtemp() goes to TMPDIR: a folder of this test's own, so
    # other processes using the system temp folder meanwhile cannot disturb the count.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    env.pop("ARRAYLAKE_NB_ROOT", None)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--output-dir", str(tmp_path), str(NOTEBOOKS / "02-branches-tags-time-travel.ipynb")],
        env=env, capture_output=True, timeout=110, check=True,
    )
    assert (tmp_path / "02-branches-tags-time-travel.ipynb").exists()
    assert sorted(p.name for p in tmp.glob("arraylake-tutorial-*")) == []
