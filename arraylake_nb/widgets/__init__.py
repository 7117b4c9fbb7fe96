"""Notebook panels: anywidget widgets over the public API (front end in ``js/``, bundled into ``static/``).

The panels: :class:`StatusPanel`, :class:`HistoryPanel`, :class:`TreePanel`, :class:`TimeTravel`
and :class:`DiffPanel`, and :class:`RepoBrowser` holding them all. Needs the ``notebooks`` extra
(anywidget, ipywidgets).
"""

from arraylake_nb.widgets.diff_panel import DiffPanel
from arraylake_nb.widgets.history_panel import HistoryPanel
from arraylake_nb.widgets.repo_browser import RepoBrowser
from arraylake_nb.widgets.status_panel import StatusPanel
from arraylake_nb.widgets.time_travel import TimeTravel
from arraylake_nb.widgets.tree_panel import TreePanel

__all__ = ["DiffPanel", "HistoryPanel", "RepoBrowser", "StatusPanel", "TimeTravel", "TreePanel"]
