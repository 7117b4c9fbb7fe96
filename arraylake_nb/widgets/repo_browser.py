"""RepoBrowser: every panel of one repository in one place, as tabs or a split view."""

from __future__ import annotations

from typing import Any

import ipywidgets

from arraylake_nb.api.repo import Repo
from arraylake_nb.widgets.diff_panel import DiffPanel
from arraylake_nb.widgets.history_panel import HistoryPanel
from arraylake_nb.widgets.status_panel import StatusPanel
from arraylake_nb.widgets.time_travel import TimeTravel
from arraylake_nb.widgets.tree_panel import TreePanel

VIEWS = ("tabs", "split")


class RepoBrowser(ipywidgets.VBox):
    """The status, history, tree, time-travel and diff panels of ``repo``, wired together.

    Parameters
    ----------
    repo : Repo
        The repository to browse; the panels act on this object (a checkout from the history
        moves this ``repo``, as ``repo.checkout`` does).
    view : {"tabs", "split"}
        ``"tabs"``: one tab per panel. ``"split"``: status and history on the left, tree, time
        travel and diff in tabs on the right (needs a wide notebook).

    Notes
    -----
    "Compare with…" in the history opens the diff tab on the two commits. The panels are the
    attributes ``status``, ``history``, ``tree``, ``time_travel`` and ``diff`` and can be used
    on their own as well.
    """

    TITLES = ("Status", "History", "Tree", "Time travel", "Diff")

    def __init__(self, repo: Repo, view: str = "tabs", **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"RepoBrowser takes an arraylake_nb Repo, got {type(repo).__name__}")
        if view not in VIEWS:
            raise ValueError(f"view must be one of {', '.join(map(repr, VIEWS))}, got {view!r}")
        self._repo = repo
        self.view = view
        self.status = StatusPanel(repo)
        self.history = HistoryPanel(repo, embed_diff=False)
        self.tree = TreePanel(repo)
        self.time_travel = TimeTravel(repo)
        self.diff = DiffPanel(repo)
        panels = [self.status, self.history, self.tree, self.time_travel, self.diff]
        if view == "tabs":
            self._tabs = ipywidgets.Tab(children=panels, titles=self.TITLES)
            children: list[ipywidgets.Widget] = [self._tabs]
        else:
            self._tabs = ipywidgets.Tab(children=panels[2:], titles=self.TITLES[2:])
            left = ipywidgets.VBox([self.status, self.history], layout=ipywidgets.Layout(flex="1 1 0", min_width="360px"))
            right = ipywidgets.VBox([self._tabs], layout=ipywidgets.Layout(flex="1 1 0", min_width="360px"))
            children = [ipywidgets.HBox([left, right], layout=ipywidgets.Layout(flex_flow="row wrap"))]
        super().__init__(children=children, **kwargs)
        self.add_class("aln-repo-browser")
        self.history.observe(self._on_compare, names="compare")

    @property
    def repo(self) -> Repo:
        """The repository the panels show."""
        return self._repo

    def _on_compare(self, change: dict[str, Any]) -> None:
        pair = change["new"]
        if not pair:
            return
        self.diff.a, self.diff.b = pair["a"], pair["b"]
        self._tabs.selected_index = list(self._tabs.children).index(self.diff)

    def close(self) -> None:
        for name in ("status", "history", "tree", "time_travel", "diff"):
            panel = self.__dict__.get(name)  # a constructor that failed left some unset
            if panel is not None:
                panel.close()
        super().close()

    def __repr__(self) -> str:
        return f"RepoBrowser(repo={self._repo.name!r}, view={self.view!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        data = super()._repr_mimebundle_(**kwargs) or {}
        # Without a widget front end (nbviewer, GitHub): the repository's own summary.
        return {**data, "text/plain": repr(self), "text/html": self._repo._repr_html_()}

