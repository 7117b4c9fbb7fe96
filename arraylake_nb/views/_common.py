"""Helpers shared by the views: opening nodes of a version, times, numbers."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import zarr

from arraylake_nb.display import plain, timestamp
from arraylake_nb.errors import InvalidSelectionError, NodeNotFoundError, NotAnArrayError
from arraylake_nb.models import Tree, TreeNode

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

__all__ = ["array_at", "describe_ref", "node_at", "number", "plain", "stats", "time_fields", "tree_at"]


def time_fields(name: str, t: dt.datetime | None) -> dict[str, Any]:
    """``{name: ISO time, name_ts: seconds}`` as in the models' JSON documents."""
    if t is None:
        return {name: None, f"{name}_ts": None}
    return {name: timestamp(t), f"{name}_ts": t.timestamp()}


def describe_ref(ref: str | None) -> str:
    """How a ref reads in messages: the name, or the checkout."""
    return "the checkout" if ref is None else repr(ref)


def node_at(repo: Repo, ref: str | None, path: str) -> TreeNode:
    """The group or array at ``path`` in ``ref`` (None: the checkout), without its children.

    Raises
    ------
    NodeNotFoundError
        If there is no group or array at ``path`` there (the message says how to find one).
    """
    return tree_at(repo, ref, path, 0).root


def tree_at(repo: Repo, ref: str | None, path: str, depth: int) -> Tree:
    """The tree below ``path`` in ``ref`` to ``depth`` levels (see :func:`node_at`)."""
    try:
        return repo.tree(path, depth=depth, ref=ref)
    except NodeNotFoundError:
        raise NodeNotFoundError(
            f"No group or array at /{str(path).strip('/')} in {describe_ref(ref)}; "
            "views.children(repo, ref, parent) lists what exists."
        ) from None


def array_at(repo: Repo, ref: str | None, path: str) -> tuple[zarr.Array, TreeNode]:
    """The array at ``path`` in ``ref`` (None: the checkout, uncommitted changes included), read-only.

    Raises
    ------
    NodeNotFoundError
        If there is no group or array at ``path`` there.
    NotAnArrayError
        If it is a group.
    """
    node = node_at(repo, ref, path)
    if node.kind != "array":
        raise NotAnArrayError(
            f"/{node.path} is a group in {describe_ref(ref)}, not an array; pick one of its arrays "
            "(views.children lists them)."
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zarr's notes on unstable codec specs are not the reader's business
        return zarr.open_array(repo.store_at(ref), path=node.path, mode="r", zarr_format=3), node


def number(x: Any) -> float | int | str | None:
    """A NumPy or Python number as JSON: non-finite floats as ``"NaN"``, ``"Infinity"``, ``"-Infinity"``."""
    if x is None:
        return None
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return plain(float(x))
    return plain(x)


def stats(values: np.ndarray) -> dict[str, Any]:
    """Minimum, maximum and mean of the finite values (None when there are none) and the NaN count."""
    data = np.asarray(values)
    if data.dtype.kind == "c":
        data = np.abs(data)
    if data.dtype.kind not in "biuf":
        return {"min": None, "max": None, "mean": None, "nan_count": 0}
    floats = data.astype(np.float64, copy=False)
    nans = int(np.isnan(floats).sum()) if data.dtype.kind == "f" else 0
    finite = floats[np.isfinite(floats)]
    if finite.size == 0:
        return {"min": None, "max": None, "mean": None, "nan_count": nans}
    return {"min": float(finite.min()), "max": float(finite.max()), "mean": float(finite.mean()), "nan_count": nans}


def check_index(value: Any, size: int, what: str) -> int:
    """``value`` as an index into ``size`` items (negative counts from the end)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidSelectionError(f"{what} must be an integer, got {value!r}.")
    i = int(value)
    if not -size <= i < size:
        raise InvalidSelectionError(f"{what} is {i}, out of range for size {size} (use 0 to {size - 1}).")
    return i % size


def grid_shape(shape: Sequence[int], chunks: Sequence[int]) -> tuple[int, ...]:
    """Chunks per dimension of a regular grid."""
    return tuple(math.ceil(s / c) if c else 0 for s, c in zip(shape, chunks, strict=True))
