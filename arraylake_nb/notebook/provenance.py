"""Where a commit came from: the notebook cell (and notebook) that made it.

When the IPython extension is loaded (``%load_ext arraylake_nb``), the source
of the cell being run is remembered, and commits made while it runs record it
in their metadata (``commit.cell_source``, ``commit.notebook``).
"""

from __future__ import annotations

import os
from typing import Any

_current: dict[str, str] = {}


def cell_started(source: str, notebook: str | None) -> None:
    """Remember the cell that starts running, for commits made while it runs.

    Parameters
    ----------
    source
        The cell's source.
    notebook
        The notebook's path, if known.
    """
    _current.clear()
    _current["cell"] = source
    if notebook:
        _current["notebook"] = notebook


def cell_finished() -> None:
    """Forget the cell that finished: later commits record no cell."""
    _current.clear()


def current() -> dict[str, str]:
    """Metadata for a commit made now: the running cell's source and notebook, if any."""
    return dict(_current)


def notebook_path(user_ns: dict[str, Any]) -> str | None:
    """The notebook's path, when the kernel was told (JupyterLab sets it)."""
    path = user_ns.get("__session__") or os.environ.get("JPY_SESSION_NAME")
    return str(path) if path else None
