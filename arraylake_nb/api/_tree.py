"""Discovery over a session view: the node tree and JMESPath metadata search."""

from __future__ import annotations

import functools
import json
import math
import warnings
from typing import TYPE_CHECKING, Any

import jmespath
import jmespath.exceptions

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


def build_tree(state: SessionView, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
    """The hierarchy under ``prefix`` down to ``depth`` levels (see :meth:`Repo.tree`)."""
    base = zkeys.normalize_node_path(prefix)
    docs = node_documents(state)
    if base and base not in docs:
        raise NodeNotFoundError(f"No group or array at {prefix!r}.")
    query = compile_query(filter) if filter is not None else None
    base_dir = zkeys.dir_prefix(base)
    selected = {
        p for p in docs
        if p != base and p.startswith(base_dir) and p[len(base_dir):].count("/") < depth
    }
    if query is not None:
        hits = {p for p in selected if matches(query, docs[p].get("attributes") or {})}
        selected = {a for p in hits for a in [p, *zkeys.ancestors(p)] if a in selected} | hits
    children: dict[str, list[str]] = {}
    for p in selected:
        children.setdefault(zkeys.split(p)[0], []).append(p)
    budget = [MAX_TREE_NODES]

    def node(path: str) -> TreeNode:
        doc = docs.get(path, {"node_type": "group"})
        kids = sorted(
            children.get(path, []),
            key=lambda c: (docs[c].get("node_type") != "group", zkeys.split(c)[1]),
        )
        built = []
        for c in kids:
            if budget[0] <= 0:
                break
            budget[0] -= 1
            built.append(node(c))
        name = zkeys.split(path)[1] if path else "/"
        if doc.get("node_type") == "array":
            dtype = doc.get("data_type")
            return TreeNode(name, path, "array", tuple(doc.get("shape", ())), _dtype_name(dtype), tuple(built))
        return TreeNode(name, path, "group", children=tuple(built))

    root = node(base)
    return Tree(root, truncated=max(0, len(selected) - MAX_TREE_NODES))


def _dtype_name(dtype: Any) -> str:
    if isinstance(dtype, str):
        return dtype
    if isinstance(dtype, dict):
        return str(dtype.get("name"))
    return str(dtype)
