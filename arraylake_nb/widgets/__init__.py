"""Notebook panels: anywidget widgets over the public API (front end in ``js/``, bundled into ``static/``).

The panels: :class:`StatusPanel`, :class:`HistoryPanel` and :class:`TreePanel`. Needs the ``notebooks`` extra (anywidget, ipywidgets).
"""

from arraylake_nb.widgets.history_panel import HistoryPanel
from arraylake_nb.widgets.status_panel import StatusPanel
from arraylake_nb.widgets.tree_panel import TreePanel

__all__ = ["HistoryPanel", "StatusPanel", "TreePanel"]
