"""DiffPanel: what changed between two refs (or a ref and the session), with chunk heat maps.

The request handlers live in :func:`diff_actions` so any panel can answer diff requests
(the HistoryPanel's "Compare with…", a RepoBrowser): add them to its actions map.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import traitlets

from arraylake_nb import views
from arraylake_nb.api.repo import Repo
from arraylake_nb.widgets._base import RefsPanel, bundle


def _refs(msg: dict[str, Any]) -> tuple[str, str | None]:
    a, b = msg.get("a"), msg.get("b")
    if not isinstance(a, str) or not a:
        raise TypeError(f"a must name a branch, tag or commit (a non-empty string), got {a!r}")
    if b is not None and not isinstance(b, str):
        raise TypeError(f"b must be a branch, tag or commit id, or null for the session, got {type(b).__name__}")
    return a, b or None


def _dims(value: Any) -> dict[str, list[int]] | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in v)
        for k, v in value.items()
    ):
        raise TypeError(f"dims must map array paths to lists of grid dimensions, e.g. {{'sst': [0, 2]}}, got {value!r}")
    return value


def diff_actions(repo: Repo) -> dict[str, Callable[[dict[str, Any]], Any]]:
    """The diff requests a panel answers for ``repo``, to merge into its actions map.

    ``diff_summary`` (``a``, ``b``, optional ``dims``: ``{path: [row dim, column dim]}``) answers
    :func:`arraylake_nb.views.diff_summary`; ``chunk_detail`` (``a``, ``b``, ``path``, ``coords``)
    answers :func:`arraylake_nb.views.chunk_detail`. ``b`` null means the live session.
    Neither changes the repository.

    Parameters
    ----------
    repo
        The repository the requests read.

    Returns
    -------
    dict
        Request type → handler taking the request message.
    """

    def summary(msg: dict[str, Any]) -> dict[str, Any]:
        a, b = _refs(msg)
        return views.diff_summary(repo, a, b, dims=_dims(msg.get("dims")))

    def detail(msg: dict[str, Any]) -> dict[str, Any]:
        a, b = _refs(msg)
        path, coords = msg.get("path"), msg.get("coords")
        if not isinstance(path, str):
            raise TypeError(f"path must be a string, got {type(path).__name__}")
        return views.chunk_detail(repo, a, b, path, coords)  # type: ignore[arg-type]  # checked there

    return {"diff_summary": summary, "chunk_detail": detail}


class DiffPanel(RefsPanel):
    """What changed from ``a`` to ``b`` in ``repo``: nodes, attributes, heat maps of changed chunks.

    Parameters
    ----------
    repo
        The repository.
    a
        The older version: a branch, tag or commit id; None (the default) for the checkout's
        branch, or its commit when detached.
    b
        The newer version; None (the default) for the live session, uncommitted changes included.

    Notes
    -----
    Traits: ``repo_name``; ``a`` and ``b`` (``""`` for the session), which the panel's ref pickers
    change; ``refs`` the branches and tags for the pickers; ``problem`` the error reading them.
    Requests: see :func:`diff_actions`. A click on a heat-map cell asks for ``chunk_detail``.
    """

    _esm = bundle("diff_panel")
    a = traitlets.Unicode("main").tag(sync=True)
    b = traitlets.Unicode("").tag(sync=True)

    def __init__(self, repo: Repo, a: str | None = None, b: str | None = None, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"DiffPanel takes an arraylake_nb Repo, got {type(repo).__name__}")
        if a is None:  # as `%arraylake diff` does: from the checkout's branch (or commit)
            info = repo.session.info
            a = info.branch or info.base_commit or "main"
        a, b = _refs({"a": a, "b": b})
        # Unknown refs fail here, in the cell, rather than later inside the panel.
        repo.get_commit(a)
        if b is not None:
            repo.get_commit(b)
        super().__init__(repo, a=a, b=b or "", **kwargs)
        self.refresh()

    def _actions(self) -> dict[str, Any]:
        return {**super()._actions(), **diff_actions(self._repo)}

    def __repr__(self) -> str:
        return f"DiffPanel(repo={self._repo.name!r}, a={self.a!r}, b={(self.b or None)!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        try:
            fallback = diff_html(views.diff_summary(self._repo, self.a, self.b or None))
        except Exception as error:  # noqa: BLE001 - the fallback shows the error instead
            fallback = f"<code>{html.escape(repr(self))}: {html.escape(str(error))}</code>"
        return {**data, "text/plain": repr(self), "text/html": fallback}, metadata


def diff_html(summary: dict[str, Any]) -> str:
    """A diff summary as plain HTML lists (readable without CSS or a widget front end)."""
    e = html.escape
    newer = summary["b"] or "the session"
    parts = [f"<div><b>Changes from {e(summary['a'])} to {e(newer)}</b>"]
    if summary["empty"]:
        parts.append("<p>No changes.</p>")

    def section(title: str, items: list[str]) -> None:
        if items:
            parts.append(f"<p>{e(title)} ({len(items)})</p><ul>" + "".join(f"<li>{i}</li>" for i in items) + "</ul>")

    section("Added", [f"<code>/{e(n['path'])}</code> {e(n['kind'])}" for n in summary["added"]])
    section("Deleted", [f"<code>/{e(n['path'])}</code> {e(n['kind'])}" for n in summary["deleted"]])
    section("Moved", [f"<code>/{e(m['old_path'])}</code> → <code>/{e(m['new_path'])}</code>" for m in summary["moved"]])
    section("Attributes", [
        f"<code>/{e(x['path'])}</code> {e(x['key'])}: {e(repr(x['old']))} → {e(repr(x['new']))}"
        for x in summary["attributes"]
    ])
    section("Chunks", [
        f"<code>/{e(x['path'])}</code>: {x['chunks_changed']} changed "
        f"({x['modified']} modified, {x['added']} added, {x['deleted']} deleted)"
        for x in summary["arrays"]
    ])
    return "".join(parts) + "</div>"
