"""Notebook panels: anywidget widgets over the public API (front end in ``js/``, bundled into ``static/``).

The panels: :class:`StatusPanel` and :class:`TreePanel`. Needs the ``notebooks`` extra (anywidget, ipywidgets).
"""

from arraylake_nb.widgets.status_panel import StatusPanel
from arraylake_nb.widgets.tree_panel import TreePanel

__all__ = ["StatusPanel", "TreePanel"]
