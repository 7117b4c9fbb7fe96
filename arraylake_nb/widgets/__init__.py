"""Notebook panels: anywidget widgets over the public API (front end in ``js/``, bundled into ``static/``).

Only :class:`StatusPanel` exists so far. Needs the ``notebooks`` extra (anywidget, ipywidgets).
"""

from arraylake_nb.widgets.status_panel import StatusPanel

__all__ = ["StatusPanel"]
