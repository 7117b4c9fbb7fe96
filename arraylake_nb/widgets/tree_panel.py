"""TreePanel: the hierarchy of a repository at any ref, node details and previews of array slices."""

from __future__ import annotations

import html
from typing import Any

import traitlets

from arraylake_nb import views
from arraylake_nb.api.repo import Repo
from arraylake_nb.widgets._base import Panel, bundle, error_document


class TreePanel(Panel):
    """The groups and arrays of ``repo`` at a ref, listed lazily, with details and a preview.

    Requests from the front end (answered with the JSON of :mod:`arraylake_nb.views`):
    ``children`` (``ref``, ``path``), ``node_info`` (``ref``, ``path``) and ``preview``
    (``ref``, ``path``, ``selection``), whose reply carries the float32 little-endian values as
    one binary buffer (never the whole array: the preview is downsampled in the kernel).
    A ``ref`` of None (or "") means the checkout, uncommitted changes included.

    Traits: ``repo_name``; ``refs`` the branches and tags for the ref picker
    (``[{"kind": "branch"|"tag", "name", "commit_id"}]``); ``ref`` the ref shown ("" for the checkout);
    ``problem`` the error reading the refs or None.
    """

    _esm = bundle("tree_panel")
    repo_name = traitlets.Unicode("").tag(sync=True)
    refs = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)
    ref = traitlets.Unicode("").tag(sync=True)
    problem = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, repo: Repo, ref: str | None = None, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"TreePanel takes an arraylake_nb Repo, got {type(repo).__name__}")
        if ref is not None and not isinstance(ref, str):
            raise TypeError(f"ref must be a branch, tag or commit id (a str), got {type(ref).__name__}")
        self._repo = repo
        super().__init__(repo_name=repo.name, ref=ref or "", **kwargs)
        self.refresh()

    @property
    def repo(self) -> Repo:
        return self._repo

    def refresh(self) -> bool:
        before = (self.refs, self.problem)
        try:
            refs = [{"kind": "branch", "name": b.name, "commit_id": b.commit_id} for b in self._repo.branches]
            refs += [{"kind": "tag", "name": t.name, "commit_id": t.commit_id} for t in self._repo.tags]
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.problem = error_document(error)
        else:
            self.refs = refs
            self.problem = None
        return (self.refs, self.problem) != before

    # -- actions -------------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        return {
            **super()._actions(),
            "children": self._children,
            "node_info": self._node_info,
            "preview": self._preview,
        }

    @staticmethod
    def _args(msg: dict[str, Any]) -> tuple[str | None, str]:
        ref = msg.get("ref")
        path = msg.get("path", "")
        if ref is not None and not isinstance(ref, str):
            raise TypeError(f"ref must be a string or null, got {type(ref).__name__}")
        if not isinstance(path, str):
            raise TypeError(f"path must be a string, got {type(path).__name__}")
        return ref or None, path

    def _children(self, msg: dict[str, Any]) -> dict[str, Any]:
        ref, path = self._args(msg)
        return views.children(self._repo, ref, path)

    def _node_info(self, msg: dict[str, Any]) -> dict[str, Any]:
        ref, path = self._args(msg)
        return views.node_info(self._repo, ref, path)

    def _preview(self, msg: dict[str, Any]) -> Any:
        ref, path = self._args(msg)
        selection = msg.get("selection")
        if selection is not None and not isinstance(selection, dict):
            raise TypeError(f"selection must be an object or null, got {type(selection).__name__}")
        header, data = views.preview(self._repo, ref, path, selection)
        return _WithBuffers(header, [data])

    def _reply(self, rid: str, **fields: Any) -> None:
        result = fields.get("result")
        if isinstance(result, _WithBuffers):
            self.send({"type": "reply", "id": rid, **fields, "result": result.content}, buffers=result.buffers)
        else:
            super()._reply(rid, **fields)

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


class _WithBuffers:
    """A reply result whose binary parts travel as message buffers."""

    __slots__ = ("buffers", "content")

    def __init__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.content = content
        self.buffers = buffers
