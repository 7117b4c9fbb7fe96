"""The DiffPanel's data: what changed between two versions, with a heat map of changed chunks per array."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from zarr.core.sync import sync

from arraylake_nb.errors import InvalidSelectionError, NodeNotFoundError
from arraylake_nb.models import ChunkChanges
from arraylake_nb.views._common import array_at, check_index, describe_ref, grid_shape, node_at, stats

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

#: Cell states of a heat map, by code.
STATES = ("unchanged", "modified", "added", "deleted", "mixed")
_CODE = {name: i for i, name in enumerate(STATES)}
#: Largest side of a heat map; larger chunk grids are binned.
MAX_HEATMAP_SIDE = 256


def _grid(repo: Repo, ref: str | None, path: str) -> tuple[tuple[int, ...], tuple[int, ...] | None]:
    """(shape, chunk shape) of an array in one version, or ((), None) if it is not an array there."""
    try:
        node = node_at(repo, ref, path)
    except NodeNotFoundError:
        return (), None
    if node.kind != "array" or node.shape is None or node.chunks is None:
        return (), None
    return tuple(node.shape), tuple(node.chunks)


def heatmap(changes: ChunkChanges, grid: Sequence[int], dims: Sequence[int] | None = None,
            max_side: int = MAX_HEATMAP_SIDE) -> dict[str, Any]:
    """A matrix of cell states for the changed chunks of one array.

    Parameters
    ----------
    changes
        The array's changed chunks, with all coordinates and their states.
    grid
        Chunks per dimension (the larger of the two versions' grids).
    dims
        The two grid dimensions shown as rows and columns (default: the last two);
        the others are reduced, each cell counting the changed chunks along them.
    max_side
        Largest number of rows or columns; larger grids are binned.

    Returns
    -------
    dict
        ``{"grid", "dims", "reduced", "bin", "binned", "shape", "chunks_per_cell",
        "state", "changed", "first"}``: ``state`` holds codes into ``states`` (``"mixed"`` when a
        cell holds chunks in several states), ``changed`` the changed chunks per cell, ``first``
        ``[row, column, chunk coordinates]`` of each changed cell's first changed chunk.
    """
    ndim = len(grid)
    coords = np.asarray(changes.coords, dtype=np.int64).reshape(len(changes.coords), ndim)
    if ndim == 0:
        shown: tuple[int, ...] = ()
    elif dims is None:
        shown = tuple(range(max(ndim - 2, 0), ndim))
    else:
        if not 1 <= len(dims) <= 2:
            raise InvalidSelectionError(f"Heat map dims must name one or two grid dimensions, got {list(dims)!r}.")
        shown = tuple(check_index(d, ndim, "A heat map dimension") for d in dims)
        if len(set(shown)) != len(shown):
            raise InvalidSelectionError(f"Heat map dims name a dimension twice: {list(dims)!r}.")
    sides = [grid[d] for d in shown] or [1]
    bins = [max(1, math.ceil(n / max_side)) for n in sides]
    if len(sides) == 1:  # a single row
        sides, bins = [1, *sides], [1, *bins]
    rows, cols = (math.ceil(n / b) for n, b in zip(sides, bins, strict=True))
    if len(coords) and shown:
        cells = [coords[:, d] // b for d, b in zip(shown, bins[-len(shown):], strict=True)]
        r, c = (cells if len(cells) == 2 else [np.zeros(len(coords), dtype=np.int64), cells[0]])
    else:
        r = c = np.zeros(len(coords), dtype=np.int64)
    counts = {}
    for name in ("modified", "added", "deleted"):
        m = np.zeros((rows, cols), dtype=np.int64)
        picked = np.asarray([s == name for s in changes.states], dtype=bool)
        if picked.any():
            np.add.at(m, (r[picked], c[picked]), 1)
        counts[name] = m
    changed = counts["modified"] + counts["added"] + counts["deleted"]
    kinds = sum((m > 0).astype(np.int64) for m in counts.values())
    state = np.zeros((rows, cols), dtype=np.int64)
    for name, m in counts.items():
        state[(m > 0) & (kinds == 1)] = _CODE[name]
    state[kinds > 1] = _CODE["mixed"]
    reduced = [d for d in range(ndim) if d not in shown]
    # Per changed cell, its first changed chunk (lowest coordinates): what a click on a cell that
    # stands for several chunks (binned or reduced) shows, instead of a chunk that may not have changed.
    first: list[list[Any]] = []
    if len(coords) and shown:
        order = np.lexsort(coords.T[::-1])
        _, at = np.unique((r * cols + c)[order], return_index=True)
        first = [[int(r[i]), int(c[i]), [int(x) for x in coords[i]]] for i in order[at]]
    return {
        "grid": [int(n) for n in grid],
        "dims": list(shown),
        "reduced": reduced,
        "bin": bins[-len(shown):] if shown else [1],
        "binned": any(b > 1 for b in bins),
        "shape": [rows, cols],
        "chunks_per_cell": math.prod(bins) * math.prod(grid[d] for d in reduced),
        "state": state.tolist(),
        "changed": changed.tolist(),
        "first": first,
    }


def diff_summary(repo: Repo, a: str, b: str | None = None, *,
                 dims: Mapping[str, Sequence[int]] | None = None,
                 max_side: int = MAX_HEATMAP_SIDE) -> dict[str, Any]:
    """What changed from ``a`` to ``b``: nodes, attributes, and a heat map of changed chunks per array.

    Parameters
    ----------
    repo
        The repository.
    a
        The older version: a branch, tag or commit id.
    b
        The newer version; None for the live session (uncommitted changes included).
    dims
        Per array path, the two grid dimensions its heat map shows (default: the last two).
    max_side
        Largest side of a heat map (default 256); larger chunk grids are binned.

    Returns
    -------
    dict
        ``{"type": "diff_summary", "from_ref", "to_ref", "a", "b", "empty", "added",
        "deleted", "moved", "attributes", "arrays": [...], "states"}``: each changed
        array has its change counts and a ``heatmap`` (see :func:`heatmap` and ``docs/views.md``).

    Raises
    ------
    RefNotFoundError
        If ``a`` or ``b`` names no branch, tag or commit.
    InvalidSelectionError
        If ``dims`` names grid dimensions out of range.
    """
    d = repo.diff(a, b, max_coords=None)
    doc = d.to_json()
    moved_from = {new: old for old, new in d.moved}
    arrays = []
    for c in d.chunks:
        shape_b, chunks_b = _grid(repo, b, c.path)
        shape_a, chunks_a = _grid(repo, a, moved_from.get(c.path, c.path))
        chunks = chunks_b or chunks_a or ()
        grids = [grid_shape(s, k) for s, k in ((shape_b, chunks_b), (shape_a, chunks_a))
                 if k is not None and len(k) == len(chunks)]
        seen = np.asarray(c.coords, dtype=np.int64).reshape(len(c.coords), len(chunks)).max(axis=0) + 1 \
            if c.coords else np.zeros(len(chunks), dtype=np.int64)
        grid = tuple(int(max([*(g[i] for g in grids), int(seen[i])])) for i in range(len(chunks)))
        arrays.append({
            "path": c.path,
            "old_path": moved_from.get(c.path, c.path),
            "shape": list(shape_b or shape_a),
            "old_shape": list(shape_a) if shape_a else None,
            "chunk_shape": list(chunks),
            "chunks_changed": c.count,
            "added": sum(s == "added" for s in c.states),
            "deleted": sum(s == "deleted" for s in c.states),
            "modified": sum(s == "modified" for s in c.states),
            "heatmap": heatmap(c, grid, (dims or {}).get(c.path), max_side),
        })
    return {
        "type": "diff_summary",
        "from_ref": d.from_ref,
        "to_ref": d.to_ref,
        "a": a,
        "b": b,
        "empty": d.empty,
        "added": doc["added"],
        "deleted": doc["deleted"],
        "moved": doc["moved"],
        "attributes": [{k: x[k] for k in ("path", "key", "old", "new")} for x in doc["attributes"]],
        "arrays": arrays,
        "states": list(STATES),
    }


async def _stored_size(store: Any, key: str) -> int | None:
    try:
        return int(await store.getsize(key))  # the stored size, without reading the bytes
    except FileNotFoundError:
        return None


def _chunk_side(repo: Repo, ref: str | None, path: str, coords: tuple[int, ...]) -> dict[str, Any]:
    try:
        arr, node = array_at(repo, ref, path)
    except NodeNotFoundError:
        return {"exists": False, "array_exists": False, "key": None, "stored_bytes": None, "shape": None,
                "min": None, "max": None, "mean": None, "nan_count": None}
    shape = tuple(int(n) for n in arr.shape)
    # Keys (and diff coordinates) address the stored objects: shards when the array has them.
    chunks = tuple(int(n) for n in (arr.shards or arr.chunks))
    if len(coords) != len(shape):
        raise InvalidSelectionError(
            f"Chunk coordinates {list(coords)} have {len(coords)} dimension(s); /{node.path} has {len(shape)}."
        )
    key = arr.metadata.encode_chunk_key(coords)
    grid = grid_shape(shape, chunks)
    inside = all(0 <= i < n for i, n in zip(coords, grid, strict=True))
    stored = sync(_stored_size(repo.store_at(ref), f"{node.path}/{key}" if node.path else key)) if inside else None
    side: dict[str, Any] = {"exists": stored is not None, "array_exists": True, "key": key, "stored_bytes": stored}
    if not inside:
        return {**side, "shape": None, "min": None, "max": None, "mean": None, "nan_count": None}
    region = tuple(slice(i * k, min((i + 1) * k, n)) for i, k, n in zip(coords, chunks, shape, strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        values = np.asarray(arr[region])
    return {**side, "shape": list(values.shape), **stats(values)}


def chunk_detail(repo: Repo, a: str, b: str | None, path: str, chunk_coords: Sequence[int]) -> dict[str, Any]:
    """One chunk of an array in two versions: its key, and a summary of its old and new values.

    Only that chunk is read in each version (its region of the array). A chunk
    that is not stored reads as the fill value, so its summary describes that.

    Parameters
    ----------
    repo
        The repository.
    a
        The older version: a branch, tag or commit id.
    b
        The newer version; None for the live session.
    path
        The array (its path in ``b``; also looked up at that path in ``a``).
    chunk_coords
        The chunk's grid coordinates (as in a heat map or ``ChunkChanges.coords``).

    Returns
    -------
    dict
        ``{"type": "chunk_detail", "path", "coords", "key", "a": {...}, "b": {...}}``;
        each side has ``exists`` (stored), ``stored_bytes``, ``shape``, ``min``, ``max``,
        ``mean`` and ``nan_count`` (see ``docs/views.md``).

    Raises
    ------
    NodeNotFoundError
        If ``path`` is an array in neither version.
    NotAnArrayError
        If ``path`` is a group.
    InvalidSelectionError
        If the coordinates do not fit the array.
    """
    if not isinstance(chunk_coords, (list, tuple)) or not all(
        isinstance(i, (int, np.integer)) and not isinstance(i, bool) and i >= 0 for i in chunk_coords
    ):
        raise InvalidSelectionError(
            f"chunk_coords must list non-negative integers (grid coordinates, e.g. [0, 3]), got {chunk_coords!r}."
        )
    coords = tuple(int(i) for i in chunk_coords)
    new, old = _chunk_side(repo, b, path, coords), _chunk_side(repo, a, path, coords)
    if not new["array_exists"] and not old["array_exists"]:
        raise NodeNotFoundError(
            f"/{path.strip('/')} is an array in neither {describe_ref(a)} nor {describe_ref(b)}; "
            "views.children lists what exists."
        )
    if new["shape"] is None and old["shape"] is None:
        raise InvalidSelectionError(
            f"Chunk {list(coords)} lies outside the chunk grid of /{path.strip('/')} in both versions; "
            "take coordinates from the heat map's grid."
        )
    return {
        "type": "chunk_detail",
        "path": path.strip("/"),
        "coords": list(coords),
        "key": new["key"] or old["key"],
        "a": old,
        "b": new,
    }
