"""Groups the tutorial way, and discovery: the tree and JMESPath metadata search.

:class:`Group` is a zarr ``Group`` with attribute access to its members and a
working ``move`` (zarr 3.1's raises ``NotImplementedError``), without patching
zarr: only groups reached from ``repo.root_group`` are of this class.
"""

from __future__ import annotations

import functools
import json
import math
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import jmespath
import jmespath.exceptions
import zarr

from arraylake_nb import keys as zkeys
from arraylake_nb.errors import InvalidQueryError, NodeNotFoundError
from arraylake_nb.models import Tree, TreeNode
from arraylake_nb.values import Doc

if TYPE_CHECKING:
    from arraylake_nb.session import SessionState
    from arraylake_nb.store import ArraylakeStore

MAX_TREE_NODES = 2000


def _wrap(node: Any) -> Any:
    if isinstance(node, zarr.Group) and not isinstance(node, Group):
        return Group(node._async_group)
    return node


class Group(zarr.Group):
    """A zarr Group of an arraylake_nb repository.

    Adds attribute access to members (``group.atlantic.temperature``) and
    :meth:`move` / :meth:`copy`, which re-point chunk references instead of
    copying chunks. Everything else is zarr's ``Group``.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"Group '/{self.path}' has no member or attribute {name!r}; members: "
                f"{', '.join(sorted(self.keys())) or 'none'}."
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {k for k in self.keys() if k.isidentifier()})

    def __getitem__(self, path: str) -> Any:
        return _wrap(super().__getitem__(path))

    def get(self, path: str, default: Any = None) -> Any:
        return _wrap(super().get(path, default))

    def create_group(self, name: str, **kwargs: Any) -> Group:
        return _wrap(super().create_group(name, **kwargs))

    def require_group(self, name: str, **kwargs: Any) -> Group:
        return _wrap(super().require_group(name, **kwargs))

    def groups(self) -> Iterator[tuple[str, Group]]:  # type: ignore[override]
        for name, g in super().groups():
            yield name, _wrap(g)

    def members(self, max_depth: int | None = 0, *, use_consolidated_for_children: bool = True) -> tuple:  # type: ignore[override]
        return tuple((name, _wrap(node)) for name, node in super().members(max_depth=max_depth))

    def _session(self) -> SessionState:
        store = self.store_path.store
        from arraylake_nb.store import ArraylakeStore

        if not isinstance(store, ArraylakeStore):  # pragma: no cover - only our stores make Groups
            raise TypeError("move and copy need a group of an arraylake_nb repository")
        store._check_writable()
        return store.session

    def _resolve(self, path: str) -> str:
        if path.startswith("/"):
            return zkeys.normalize_node_path(path)
        return zkeys.normalize_node_path(zkeys.join(self.path, zkeys.normalize_node_path(path)))

    def move(self, source: str, dest: str) -> None:
        """Move a member (and everything in it) to ``dest`` without copying chunks.

        Paths are relative to this group, or absolute from the root with a
        leading ``/``. The cost follows the number of groups and arrays moved,
        never the number of chunks. Handles opened on the old path refuse to
        read or write (they do not silently see fill values).

        Raises
        ------
        NodeNotFoundError, NodeExistsError, InvalidMoveError
            Nothing at ``source``; something at ``dest``; ``dest`` inside
            ``source`` or under a missing parent. Nothing is changed.
        """
        self._session().move(self._resolve(source), self._resolve(dest))

    def copy(self, source: str, dest: str) -> None:
        """Copy a member to ``dest``; the copy shares the chunks (no bytes are copied)."""
        self._session().copy(self._resolve(source), self._resolve(dest))

    def __repr__(self) -> str:
        return f"<arraylake_nb.Group '/{self.path}'>"


def root_group(store: ArraylakeStore) -> Group:
    """Open (on a branch: create if missing) the root group of a session's store."""
    mode = "r" if store.read_only else "a"
    return _wrap(zarr.open_group(store=store, mode=mode, zarr_format=3))


@functools.lru_cache(maxsize=65536)
def _parse(data: bytes) -> dict[str, Any] | None:
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return None
    return doc if isinstance(doc, dict) else None


def node_documents(state: SessionState) -> dict[str, dict[str, Any]]:
    """Node path -> parsed ``zarr.json`` of every group and array in the view."""
    keys = {k for k in state.overlay.changes if k.endswith("zarr.json")}
    keys.update(k for k in state.base.paths if k.endswith("zarr.json"))
    out: dict[str, dict[str, Any]] = {}
    for key in keys:
        if zkeys.split(key)[1] != "zarr.json":
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
    try:
        return _truthy(query.search(_nan_as_string(attributes)))
    except jmespath.exceptions.JMESPathError:
        return False  # a type mismatch on this node's values is "no match"


def filter_metadata(state: SessionState, expression: str) -> list[str]:
    """Paths of the groups and arrays whose attributes match ``expression``."""
    query = compile_query(expression)
    docs = node_documents(state)
    return sorted(p for p, d in docs.items() if matches(query, d.get("attributes") or {}))


def build_tree(state: SessionState, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
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
