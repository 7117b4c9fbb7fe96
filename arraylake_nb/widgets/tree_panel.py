"""TreePanel: the hierarchy of a repository at any ref, node details and previews of array slices."""

from __future__ import annotations

import html
from typing import Any

import traitlets

from arraylake_nb import views
from arraylake_nb.api.repo import Repo
from arraylake_nb.widgets._base import RefsPanel, WithBuffers, bundle


class TreePanel(RefsPanel):
    """The groups and arrays of ``repo`` at a ref, listed lazily, with details and a preview.

    Requests from the front end (answered with the JSON of :mod:`arraylake_nb.views`):
    ``children`` (``ref``, ``path``), ``node_info`` (``ref``, ``path``), ``array_history``
    (``ref``, ``path``: the commits in the ref's ancestry that changed an array) and ``preview``
    (``ref``, ``path``, ``selection``), whose reply carries the float32 little-endian values as
    one binary buffer (never the whole array: the preview is downsampled in the kernel).
    A ``ref`` of None (or "") means the checkout, uncommitted changes included.

    Traits: ``repo_name``; ``refs`` the branches and tags for the ref picker
    (``[{"kind": "branch"|"tag", "name", "commit_id"}]``); ``ref`` the ref shown ("" for the checkout);
    ``problem`` the error reading the refs or None.
    """

    _esm = bundle("tree_panel")
    ref = traitlets.Unicode("").tag(sync=True)

    def __init__(self, repo: Repo, ref: str | None = None, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"TreePanel takes an arraylake_nb Repo, got {type(repo).__name__}")
        if ref is not None and not isinstance(ref, str):
            raise TypeError(f"ref must be a branch, tag or commit id (a str), got {type(ref).__name__}")
        super().__init__(repo, ref=ref or "", **kwargs)
        self.refresh()

    # -- actions -------------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        return {
            **super()._actions(),
            "children": self._children,
            "node_info": self._node_info,
            "array_history": self._array_history,
            "preview": self._preview,
        }

    def _children(self, msg: dict[str, Any]) -> dict[str, Any]:
        return views.children(self._repo, *ref_and_path(msg))

    def _array_history(self, msg: dict[str, Any]) -> dict[str, Any]:
        ref, path = ref_and_path(msg)
        return views.array_history(self._repo, path, ref)

    def _node_info(self, msg: dict[str, Any]) -> dict[str, Any]:
        return views.node_info(self._repo, *ref_and_path(msg))

    def _preview(self, msg: dict[str, Any]) -> WithBuffers:
        return preview_reply(self._repo, msg)

    # -- reprs -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        at = f", ref={self.ref!r}" if self.ref else ""
        return f"TreePanel(repo={self._repo.name!r}{at})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        # Without a widget front end: the top level of the tree as a plain list.
        try:
            top = views.children(self._repo, self.ref or None, "")
            items = "".join(
                f"<li><code>{html.escape(c['name'])}</code> <small>{html.escape(c['kind'])}"
                + (f" {html.escape(str(tuple(c['shape'])))} {html.escape(str(c['dtype']))}" if c["shape"] is not None else "")
                + "</small></li>"
                for c in top["children"]
            )
            fallback = f"<div><b>{html.escape(self._repo.name)}</b> at {html.escape(self.ref or 'the checkout')}<ul>{items}</ul></div>"
        except Exception as error:  # noqa: BLE001
            fallback = f"<code>{html.escape(repr(self))}: {html.escape(str(error))}</code>"
        return {**data, "text/plain": repr(self), "text/html": fallback}, metadata


def ref_and_path(msg: dict[str, Any]) -> tuple[str | None, str]:
    """The ``ref`` ("" or None: the checkout) and ``path`` of a request, type-checked."""
    ref = msg.get("ref")
    path = msg.get("path", "")
    if ref is not None and not isinstance(ref, str):
        raise TypeError(f"ref must be a string or null, got {type(ref).__name__}")
    if not isinstance(path, str):
        raise TypeError(f"path must be a string, got {type(path).__name__}")
    return ref or None, path


def preview_reply(repo: Repo, msg: dict[str, Any]) -> WithBuffers:
    """Answer a ``preview`` request (``ref``, ``path``, ``selection``): the header, values as one buffer."""
    ref, path = ref_and_path(msg)
    selection = msg.get("selection")
    if selection is not None and not isinstance(selection, dict):
        raise TypeError(f"selection must be an object or null, got {type(selection).__name__}")
    header, data = views.preview(repo, ref, path, selection)
    return WithBuffers(header, [data])
