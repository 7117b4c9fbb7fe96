"""TimeTravel: step through the commits that changed one array, previewing it at each; check one out."""

from __future__ import annotations

import datetime as dt
import html
import warnings
from typing import Any

import traitlets

from arraylake_nb import display, views
from arraylake_nb.api.repo import Repo
from arraylake_nb.widgets._base import RefsPanel, bundle, refresh_live_panels
from arraylake_nb.widgets.tree_panel import preview_reply, ref_and_path

#: Most arrays offered by the array picker.
MAX_ARRAYS = 2000


def _where(repo: Repo) -> dict[str, Any]:
    """Where the kernel's repo is: its branch (None when detached), base commit and whether it writes."""
    s = repo.session
    return {"branch": s.branch, "commit_id": s.base_commit, "writable": bool(s.for_writing and s.branch)}


def array_paths(repo: Repo, ref: str | None) -> list[str]:
    """The paths of the arrays at ``ref`` (None: the checkout), in tree order, at most :data:`MAX_ARRAYS`."""
    tree = repo.tree(depth=64, ref=ref)
    return [n.path for n in tree.walk() if n.kind == "array"][:MAX_ARRAYS]


class TimeTravel(RefsPanel):
    """One array through its history: a slider over the commits that changed it, a preview at each.

    Parameters
    ----------
    repo
        The repository.
    path
        The array; None lets the user pick one in the panel.
    ref
        The branch, tag or commit whose ancestry is searched; None for the branch checked out
        (or the commit, when the checkout is detached).

    Notes
    -----
    Requests: ``arrays`` (``ref``) lists the arrays for the picker; ``array_history`` (``path``,
    ``ref``) answers :func:`arraylake_nb.views.array_history`; ``node_info`` and ``preview``
    (``ref`` = a commit id, ``path``, ``selection``; the values as one float32 buffer) as in
    :class:`~arraylake_nb.widgets.TreePanel`; ``checkout`` (``commit_id``) runs
    ``repo.checkout(commit_id)``: the kernel's repo is then read-only at that commit, and every
    displayed panel refreshes. Its reply lists the warnings the checkout gave (e.g. uncommitted
    changes kept in the old session).

    Traits: ``repo_name``, ``refs``, ``problem`` (as in every panel with a ref picker); ``path``
    (``""``: none picked yet); ``ref``; ``checkout``: ``{"branch", "commit_id", "writable"}`` of
    the kernel's repo.
    """

    _esm = bundle("time_travel")
    path = traitlets.Unicode("").tag(sync=True)
    ref = traitlets.Unicode("").tag(sync=True)
    checkout = traitlets.Dict(default_value={}).tag(sync=True)

    def __init__(self, repo: Repo, path: str | None = None, ref: str | None = None, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"TimeTravel takes an arraylake_nb Repo, got {type(repo).__name__}")
        if path is not None and not isinstance(path, str):
            raise TypeError(f"path must be an array's path (a str), got {type(path).__name__}")
        if ref is not None and not isinstance(ref, str):
            raise TypeError(f"ref must be a branch, tag or commit id (a str), got {type(ref).__name__}")
        where = _where(repo)
        # The branch, not the checkout's commit: after a checkout of an old version the slider
        # still reaches the newer commits.
        ref = ref or where["branch"] or where["commit_id"] or "main"
        path = (path or "").strip("/")
        if path:
            views.array_history(repo, path, ref)  # a wrong path or ref fails here, in the cell
        super().__init__(repo, path=path, ref=ref, checkout=where, **kwargs)
        self.refresh()

    def refresh(self) -> bool:
        changed = super().refresh()
        try:
            where = _where(self._repo)
        except Exception:  # noqa: BLE001 - the refs' problem (if any) is shown already
            return changed
        if where != self.checkout:
            self.checkout = where
            changed = True
        return changed

    # -- actions -------------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        return {
            **super()._actions(),
            "arrays": self._arrays,
            "array_history": self._history,
            "node_info": lambda msg: views.node_info(self._repo, *ref_and_path(msg)),
            "preview": lambda msg: preview_reply(self._repo, msg),
            "checkout": self._checkout,
        }

    def _arrays(self, msg: dict[str, Any]) -> dict[str, Any]:
        ref, _ = ref_and_path(msg)
        return {"ref": ref, "arrays": array_paths(self._repo, ref)}

    def _history(self, msg: dict[str, Any]) -> dict[str, Any]:
        ref, path = ref_and_path(msg)
        return views.array_history(self._repo, path, ref)

    def _checkout(self, msg: dict[str, Any]) -> dict[str, Any]:
        commit_id = msg.get("commit_id")
        if not isinstance(commit_id, str) or not commit_id:
            raise TypeError(f"commit_id must be a commit id (a non-empty string), got {commit_id!r}")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            checked_out = self._repo.checkout(commit_id)
        self.checkout = _where(self._repo)
        refresh_live_panels()
        return {"commit_id": checked_out, "checkout": self.checkout,
                "notices": [str(w.message) for w in caught]}

    # -- reprs -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        path = f", path={self.path!r}" if self.path else ""
        return f"TimeTravel(repo={self._repo.name!r}{path}, ref={self.ref!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        e = html.escape
        try:
            if not self.path:
                items = "".join(f"<li><code>/{e(p)}</code></li>" for p in array_paths(self._repo, self.ref))
                fallback = f"<div><b>{e(self._repo.name)}</b>: arrays at {e(self.ref)}<ul>{items}</ul></div>"
            else:
                h = views.array_history(self._repo, self.path, self.ref)
                rows = "".join(
                    f"<li><code>{e(v['short_id'])}</code> {e(_when(v['time_ts']))} {e(v['message'])}"
                    f" (shape {e(str(tuple(v['shape'])) if v['shape'] is not None else 'deleted')})</li>"
                    for v in h["versions"]
                )
                fallback = (f"<div><b>/{e(h['path'])}</b> in {e(self._repo.name)}: "
                            f"{len(h['versions'])} commit(s) changed it (newest first)<ul>{rows}</ul></div>")
        except Exception as error:  # noqa: BLE001 - the fallback shows the error instead
            fallback = f"<code>{e(repr(self))}: {e(str(error))}</code>"
        return {**data, "text/plain": repr(self), "text/html": fallback}, metadata


def _when(ts: float | None) -> str:
    """A commit time as every other rendering shows it (local zone, seconds, how long ago)."""
    return "" if ts is None else display.human_time(dt.datetime.fromtimestamp(ts, dt.UTC), with_zone=True)
