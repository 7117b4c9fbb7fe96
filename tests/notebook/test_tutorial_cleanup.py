"""The tutorial notebooks delete the temporary repository root they create."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def test_every_tutorial_removes_its_temporary_root() -> None:
    # In its last cell; or, where panels keep reading the repository after the cells ran
    # (05-panels), when the kernel stops.
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):
        text = path.read_text()
        if "tempfile.mkdtemp(" in text:
            assert ('shutil.rmtree(os.environ.pop(\\"ARRAYLAKE_NB_ROOT\\"))' in text
                    or ("@atexit.register" in text and "shutil.rmtree(root" in text)), path.name


@pytest.mark.parametrize("notebook", ["02-branches-tags-time-travel.ipynb", "05-panels.ipynb"])
def test_running_a_tutorial_leaves_no_temporary_folder(tmp_path: Path, notebook: str) -> None:
    # The kernel's tempfile.mkdtemp() goes to TMPDIR: a folder of this test's own, so
    # other processes using the system temp folder meanwhile cannot disturb the count.
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, TMPDIR=str(tmp), PYTHONPATH=os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    env.pop("ARRAYLAKE_NB_ROOT", None)
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
         "--output-dir", str(tmp_path), str(NOTEBOOKS / notebook)],
        env=env, capture_output=True, timeout=110, check=True,
    )
    assert (tmp_path / notebook).exists()
    assert sorted(p.name for p in tmp.glob("arraylake-tutorial-*")) == []
