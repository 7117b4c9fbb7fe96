"""Cheap summaries for notebook reprs: the top of a hierarchy, a group, an array.

A repr runs every time a notebook shows an object, so nothing here walks a
whole repository the way :meth:`Repo.tree <arraylake_nb.Repo.tree>` does: the
node documents are told apart by their key and the engine's ``is_array`` flag
without parsing them, and only the few arrays shown have their document read.
"""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.values import Doc
from arraylake_nb.models import ArraySummary, GroupSummary, Tree, TreeNode

if TYPE_CHECKING:
    import zarr

    from arraylake_nb.engine.session import SessionView
    from arraylake_nb.store._store import ArraylakeStore

SUMMARY_NODES = 10
"""Groups and arrays a summary's tree shows; the rest are counted."""


def repo_name(store: ArraylakeStore) -> str:
    """``org/name`` of the repository a store belongs to (repositories live at ``<root>/<org>/<name>``)."""
    path = Path(store.repo_path)
    return f"{path.parent.name}/{path.name}"


def _nodes(state: SessionView, under: str) -> dict[str, bool]:
    """Path -> is it an array, for every group and array strictly below node ``under``."""
    state.sync()
    with state.lock:
        changed = list(state.overlay.changes)
    prefix = zkeys.dir_prefix(under)
    nodes: dict[str, bool] = {}
    for keys in (changed, state.base.paths):
        for key in keys:
            if not key.startswith(prefix):
                continue
            directory, name = zkeys.split(key)
            if name not in zkeys.NODE_DOC_NAMES or directory == under or directory in nodes:
                continue
            value = state.doc_at(key)
            if isinstance(value, Doc):
                nodes[directory] = value.is_array
    return nodes


def _array_node(state: SessionView, path: str, name: str) -> TreeNode:
    for doc_name in zkeys.ARRAY_DOC_NAMES:
        value = state.doc_at(zkeys.join(path, doc_name))
        if isinstance(value, Doc) and value.is_array:
            try:
                doc = json.loads(value.data)
            except (ValueError, UnicodeDecodeError):
                break
            dtype = doc.get("data_type", doc.get("dtype"))
            name_of = dtype.get("name") if isinstance(dtype, dict) else dtype
            return TreeNode(name, path, "array", tuple(doc.get("shape", ())), str(name_of))
    return TreeNode(name, path, "array")


def short_tree(state: SessionView, path: str = "", limit: int = SUMMARY_NODES) -> Tree:
    """The first ``limit`` groups and arrays below node ``path``, level by level, and how many more there are.

    Nodes are picked breadth first (groups before arrays, each by name, as in
    :meth:`Repo.tree <arraylake_nb.Repo.tree>`), so the top levels show before
    the depths of the first group.

    Parameters
    ----------
    state : SessionView
        The session to read.
    path : str
        The node whose members to show (``""``: the root).
    limit : int
        How many nodes to show at most.

    Returns
    -------
    Tree
        ``truncated`` counts the nodes not shown.
    """
    nodes = _nodes(state, path)
    children: dict[str, list[str]] = {}
    for node in nodes:
        children.setdefault(zkeys.split(node)[0], []).append(node)
    for kids in children.values():
        kids.sort(key=lambda p: (nodes[p], zkeys.split(p)[1]))
    shown: set[str] = set()
    queue = deque(children.get(path, []))
    while queue and len(shown) < limit:
        node = queue.popleft()
        shown.add(node)
        queue.extend(children.get(node, []))

    def build(node: str) -> TreeNode:
        name = zkeys.split(node)[1] if node else "/"
        if node != path and nodes.get(node):
            return _array_node(state, node, name)
        kids = tuple(build(k) for k in children.get(node, []) if k in shown)
        return TreeNode(name, node, "group", children=kids)

    return Tree(build(path), truncated=len(nodes) - len(shown))


def _checkout(store: ArraylakeStore) -> tuple[str | None, str | None, bool]:
    meta = store.session.meta
    return meta.branch, meta.base_commit or None, bool(store.read_only)


def group_summary(group: zarr.Group) -> GroupSummary:
    """The summary of a group of an :class:`~arraylake_nb.store.ArraylakeStore`.

    Parameters
    ----------
    group : zarr.Group

    Returns
    -------
    GroupSummary
    """
    store: ArraylakeStore = group.store_path.store  # type: ignore[assignment]
    branch, base, read_only = _checkout(store)
    return GroupSummary(
        repo_name(store), group.path, tuple(group.metadata.attributes), short_tree(store.session, group.path),
        branch, base, read_only,
    )


def _python(value: Any) -> Any:
    # NumPy scalars (a float32 NaN fill value) as Python values: they print as "nan", not "np.float32(nan)".
    item = getattr(value, "item", None)
    return item() if callable(item) and getattr(value, "ndim", None) == 0 else value


def array_summary(array: zarr.Array) -> ArraySummary:
    """The summary of an array of an :class:`~arraylake_nb.store.ArraylakeStore`.

    Parameters
    ----------
    array : zarr.Array

    Returns
    -------
    ArraySummary
    """
    store: ArraylakeStore = array.store_path.store  # type: ignore[assignment]
    branch, base, read_only = _checkout(store)
    try:
        chunks: tuple[int, ...] | None = tuple(int(n) for n in array.chunks)
    except (NotImplementedError, TypeError, ValueError):  # no regular chunk grid
        chunks = None
    return ArraySummary(
        repo_name(store), array.path, tuple(int(n) for n in array.shape), str(array.dtype), chunks,
        _python(array.fill_value), tuple(array.metadata.attributes), branch, base, read_only,
    )
