"""Discovery over a session view: the node tree and JMESPath metadata search."""

from __future__ import annotations

import functools
import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import jmespath
import jmespath.exceptions

from arraylake_nb.api._virtual import array_sources
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.values import Doc
from arraylake_nb.errors import InvalidQueryError, NodeNotFoundError
from arraylake_nb.models import Tree, TreeNode

if TYPE_CHECKING:
    from arraylake_nb.engine.session import SessionView

MAX_TREE_NODES = 2000


@functools.lru_cache(maxsize=65536)
def _parse(data: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def node_documents(state: SessionView) -> dict[str, dict[str, Any]]:
    """Node path -> parsed ``zarr.json`` of every group and array in the view."""
    keys = {k for k in state.overlay.changes if k.endswith(zkeys.ZARR_JSON)}
    keys.update(k for k in state.base.paths if k.endswith(zkeys.ZARR_JSON))
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        if zkeys.split(key)[1] != zkeys.ZARR_JSON:
            continue
        v = state.doc_at(key)
        if isinstance(v, Doc):
            doc = _parse(v.data)
            if doc is not None and doc.get("node_type") in ("group", "array"):
                out[zkeys.node_path(key)] = doc
    return out


def _nan_as_string(value: Any) -> Any:
    # JSON has no NaN; metadata stores it as "NaN", and that is how queries match it.
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _nan_as_string(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nan_as_string(v) for v in value]
    return value


def compile_query(expression: str) -> Any:
    """Compile a JMESPath expression, raising InvalidQueryError with the parser's reason."""
    if not isinstance(expression, str) or not expression.strip():
        raise InvalidQueryError("A metadata filter must be a non-empty JMESPath expression, e.g. \"units == 'm'\".")
    try:
        with warnings.catch_warnings():
            # The documented examples use JMESPath's older unquoted literals (`2022-05-01`).
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            return jmespath.compile(expression)
    except jmespath.exceptions.JMESPathError as e:
        raise InvalidQueryError(
            f"Invalid JMESPath expression {expression!r}: {e}. Quote keys with special characters "
            "(\"eo:val\" == `12`), write literals in backticks (`3`) and strings in single quotes ('NaN')."
        ) from None


def _truthy(value: Any) -> bool:
    # JMESPath truthiness: false, null and empty strings, lists and objects are false.
    return value is not None and value is not False and value != "" and value != [] and value != {}


def matches(query: Any, attributes: dict[str, Any]) -> bool:
    """True if a node's attributes satisfy a compiled metadata filter.

    Parameters
    ----------
    query
        An expression from :func:`compile_query`.
    attributes
        The node's attributes (NaN is matched as the string ``'NaN'``).

    Returns
    -------
    bool
        JMESPath truthiness of the result; a type mismatch on these values counts as no match.
    """
    try:
        return _truthy(query.search(_nan_as_string(attributes)))
    except jmespath.exceptions.JMESPathError:
        return False  # a type mismatch on this node's values is "no match"


def filter_metadata(state: SessionView, expression: str) -> list[str]:
    """Paths of the groups and arrays whose attributes match ``expression``."""
    query = compile_query(expression)
    docs = node_documents(state)
    return sorted(p for p, d in docs.items() if matches(query, d.get("attributes") or {}))


class NodeIndex:
    """The child nodes of each node in one view, without reading the whole hierarchy.

    The base snapshot's index (built once per commit) answers; a session's
    own node documents, found in one pass over its changes, are added, and
    with changes present every candidate is checked against the view.
    """

    def __init__(self, state: SessionView) -> None:
        state.sync()
        self.state = state
        self._base = state.base.node_children
        self._dirty = bool(state.overlay)
        self._added: dict[str, set[str]] = {}
        if self._dirty:
            for key in list(state.overlay.changes):
                if key.endswith(zkeys.ZARR_JSON) and zkeys.split(key)[1] == zkeys.ZARR_JSON:
                    node = zkeys.node_path(key)
                    if node:
                        self._added.setdefault(zkeys.split(node)[0], set()).add(node)

    def doc(self, path: str) -> dict[str, Any] | None:
        """The parsed ``zarr.json`` of the group or array at ``path``, or None if there is none."""
        v = self.state.doc_at(zkeys.join(path, zkeys.ZARR_JSON))
        if not isinstance(v, Doc):
            return None
        doc = _parse(v.data)
        return doc if doc is not None and doc.get("node_type") in ("group", "array") else None

    def children(self, path: str) -> list[str]:
        """Paths of the nodes directly inside ``path``, sorted."""
        base = self._base.get(path, ())
        if not self._dirty:
            return list(base)
        candidates = set(base) | self._added.get(path, set())
        return sorted(c for c in candidates if self.doc(c) is not None)


def _tree_node(state: SessionView, path: str, doc: dict[str, Any], children: tuple[TreeNode, ...],
               has_children: bool) -> TreeNode:
    name = zkeys.split(path)[1] if path else "/"
    if doc.get("node_type") == "array":
        return TreeNode(name, path, "array", tuple(doc.get("shape", ())), _dtype_name(doc.get("data_type")),
                        children, chunk_shape(doc), has_children, array_sources(state, path))
    return TreeNode(name, path, "group", children=children, has_children=has_children)


def _by_kind_and_name(docs: dict[str, dict[str, Any]]) -> Any:
    return lambda c: (docs[c].get("node_type") != "group", zkeys.split(c)[1])


def build_tree(state: SessionView, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
    """The hierarchy under ``prefix`` down to ``depth`` levels (see :meth:`Repo.tree`).

    Without a filter only the nodes within ``depth`` are read, so a shallow
    listing costs what it lists; a filter reads every node's attributes.
    """
    base = zkeys.normalize_node_path(prefix)
    if filter is not None:
        return _filtered_tree(state, base, prefix, depth, filter)
    index = NodeIndex(state)
    root_doc = index.doc(base)
    if root_doc is None:
        if base:
            raise NodeNotFoundError(f"No group or array at {prefix!r}.")
        root_doc = {"node_type": "group"}
    # Breadth first, so a truncated tree keeps the shallow nodes.
    levels: list[list[str]] = [[base]]
    kids: dict[str, list[str]] = {}
    docs: dict[str, dict[str, Any]] = {base: root_doc}
    budget, truncated = MAX_TREE_NODES, 0
    for _ in range(max(depth, 0)):
        level: list[str] = []
        for parent in levels[-1]:
            names = index.children(parent)
            for c in names:
                if budget <= 0:
                    truncated += 1
                    continue
                doc = index.doc(c)
                if doc is None:
                    continue
                docs[c] = doc
                budget -= 1
                level.append(c)
                kids.setdefault(parent, []).append(c)
        if not level:
            break
        levels.append(level)
    order = _by_kind_and_name(docs)

    def node(path: str) -> TreeNode:
        listed = sorted(kids.get(path, ()), key=order)
        has = bool(listed) or (docs[path].get("node_type") == "group" and bool(index.children(path)))
        return _tree_node(state, path, docs[path], tuple(node(c) for c in listed), has)

    return Tree(node(base), truncated=truncated)


def _filtered_tree(state: SessionView, base: str, prefix: str, depth: int, filter: str) -> Tree:
    docs = node_documents(state)
    if base and base not in docs:
        raise NodeNotFoundError(f"No group or array at {prefix!r}.")
    query = compile_query(filter)
    base_dir = zkeys.dir_prefix(base)
    selected = {
        p for p in docs
        if p != base and p.startswith(base_dir) and p[len(base_dir):].count("/") < depth
    }
    hits = {p for p in selected if matches(query, docs[p].get("attributes") or {})}
    selected = {a for p in hits for a in [p, *zkeys.ancestors(p)] if a in selected} | hits
    parents = {zkeys.split(p)[0] for p in docs if p}
    children: dict[str, list[str]] = {}
    for p in selected:
        children.setdefault(zkeys.split(p)[0], []).append(p)
    budget = [MAX_TREE_NODES]
    order = _by_kind_and_name(docs)

    def node(path: str) -> TreeNode:
        doc = docs.get(path, {"node_type": "group"})
        built = []
        for c in sorted(children.get(path, []), key=order):
            if budget[0] <= 0:
                break
            budget[0] -= 1
            built.append(node(c))
        return _tree_node(state, path, doc, tuple(built), path in parents)

    root = node(base)
    return Tree(root, truncated=max(0, len(selected) - MAX_TREE_NODES))


def chunk_shape(doc: dict[str, Any]) -> tuple[int, ...] | None:
    """The chunk shape of an array's ``zarr.json`` (regular grid; ``chunks`` of format 2), else None.

    Parameters
    ----------
    doc
        The parsed array document.
    """
    grid = doc.get("chunk_grid")
    if isinstance(grid, dict) and grid.get("name") == "regular":
        shape = (grid.get("configuration") or {}).get("chunk_shape")
        if isinstance(shape, list):
            return tuple(int(n) for n in shape)
    chunks = doc.get("chunks")
    if isinstance(chunks, list) and all(isinstance(n, int) for n in chunks):
        return tuple(chunks)
    return None


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict):
        return str(dtype.get("name"))
    return str(dtype)
