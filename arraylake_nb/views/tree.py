"""The TreePanel's data: a tree listed one level at a time, and the details of one node."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import zarr
from zarr.core.sync import sync

from arraylake_nb.models import TreeNode
from arraylake_nb.views._common import array_at, grid_shape, node_at, number, plain, tree_at

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo


def _entry(n: TreeNode) -> dict[str, Any]:
    return {
        "name": n.name,
        "path": n.path,
        "kind": n.kind,
        "shape": None if n.shape is None else list(n.shape),
        "dtype": n.dtype,
        "chunks": None if n.chunks is None else list(n.chunks),
        "has_children": n.has_children,
        "virtual_sources": list(n.virtual_sources),
    }


def children(repo: Repo, ref: str | None = None, path: str = "") -> dict[str, Any]:
    """The groups and arrays directly inside ``path``: groups first, then arrays, each by name.

    Only this level is read (the cost follows the number of children, not
    the size of the tree); ``has_children`` says which entries can be expanded.

    Parameters
    ----------
    repo
        The repository.
    ref
        A branch, tag or commit id; None for the checkout, uncommitted changes included.
    path
        The group to list (``""`` for the root).

    Returns
    -------
    dict
        ``{"type": "node_children", "ref", "path", "kind", "children": [...], "truncated"}``;
        see ``docs/views.md``. An array has no children; ``truncated`` counts
        children left out beyond the API's tree budget (2,000 nodes).

    Raises
    ------
    NodeNotFoundError
        If there is no group or array at ``path``.
    RefNotFoundError
        If ``ref`` names no branch, tag or commit.
    """
    tree = tree_at(repo, ref, path, 1)
    return {
        "type": "node_children",
        "ref": ref,
        "path": tree.root.path,
        "kind": tree.root.kind,
        "children": [_entry(c) for c in tree.root.children],
        "truncated": tree.truncated,
    }


def _codecs(meta: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"name": str(c.get("name")), "configuration": plain(c.get("configuration") or {})}
            for c in meta.get("codecs") or []]


async def _stored(store: Any, path: str) -> tuple[int, int]:
    # zarr's own nchunks_initialized compares every possible key with a list of
    # the stored ones (quadratic: minutes for 100,000 chunks); one listing suffices.
    prefix = f"{path}/" if path else ""
    count = 0
    async for key in store.list_prefix(prefix):
        count += key[len(prefix):] != "zarr.json"
    return count, await store.getsize_prefix(path)


def _array_info(arr: zarr.Array) -> dict[str, Any]:
    meta = arr.metadata.to_dict()
    chunks = tuple(int(c) for c in arr.chunks)
    grid = grid_shape(arr.shape, chunks)
    shards = arr.shards
    stored_grid = grid_shape(arr.shape, shards) if shards else grid
    objects, nbytes = sync(_stored(arr.store_path.store, arr.path))
    return {
        "shape": [int(n) for n in arr.shape],
        "dtype": str(arr.dtype),
        "chunk_shape": list(chunks),
        "chunk_grid": list(grid),
        "chunks_total": math.prod(grid),
        "shard_shape": None if shards is None else [int(n) for n in shards],
        "shard_grid": None if shards is None else list(stored_grid),
        "codecs": _codecs(meta),
        "fill_value": number(arr.fill_value),
        "dimension_names": None if not meta.get("dimension_names") else [
            None if d is None else str(d) for d in meta["dimension_names"]
        ],
        "chunks_stored": objects,
        "chunks_stored_total": math.prod(stored_grid),
        "bytes_stored": int(nbytes),
        "nbytes": int(arr.nbytes),
    }


def node_info(repo: Repo, ref: str | None = None, path: str = "") -> dict[str, Any]:
    """Everything the details pane shows about one group or array.

    Parameters
    ----------
    repo
        The repository.
    ref
        A branch, tag or commit id (any commit of :func:`array_history` works);
        None for the checkout, uncommitted changes included.
    path
        The node (``""`` for the root group).

    Returns
    -------
    dict
        ``{"type": "node_info", "ref", "path", "name", "kind", "has_children",
        "attributes", "array"}``; ``array`` is None for groups, else shape, dtype,
        chunk shape and grid, codecs, fill value, chunks stored (shards when
        sharded) of the total and bytes stored (see ``docs/views.md``). Attribute values are JSON-safe
        (NaN and infinities as strings).

    Raises
    ------
    NodeNotFoundError
        If there is no group or array at ``path``.
    RefNotFoundError
        If ``ref`` names no branch, tag or commit.
    """
    node = node_at(repo, ref, path)
    if node.kind == "array":
        arr, _ = array_at(repo, ref, node.path)
        attributes, array = dict(arr.attrs), _array_info(arr)
    else:
        group = zarr.open_group(repo.store_at(ref), path=node.path, mode="r", zarr_format=3)
        attributes, array = dict(group.attrs), None
    return {
        "type": "node_info",
        "ref": ref,
        "path": node.path,
        "name": node.name,
        "kind": node.kind,
        "has_children": node.has_children,
        "virtual_sources": list(node.virtual_sources),
        "attributes": plain(attributes),
        "array": array,
    }
