"""Previews of arrays: a line (1-D) or an image (2-D) of one slice, downsampled, as raw float32 bytes.

A preview never reads more than the slice it shows: for an N-D array two
dimensions (or one) are displayed and every other dimension is held at one
index; only the displayed window is read, and when it is larger than the
preview it is downsampled by block means (reading the window once) or, for
windows too large to read whole, by a stride (reading only the chunks the
sampled points fall in).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from arraylake_nb.errors import InvalidSelectionError
from arraylake_nb.views._common import array_at, check_index, stats

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

#: Largest preview side for images, and largest number of points of a line.
MAX_IMAGE_SIDE = 512
MAX_LINE_POINTS = 2000
#: Windows of at most this many elements, in at most this many chunks, are read whole and
#: block-averaged; larger ones are strided (reading only the chunks holding sampled points).
MEAN_MAX_ELEMENTS = 16 * 1024 * 1024
MEAN_MAX_CHUNKS = 1024

_METHODS = ("auto", "mean", "stride")


@dataclass(frozen=True, slots=True)
class _Plan:
    dims: tuple[int, ...]  # displayed dimensions, in display order (rows, then columns)
    index: dict[int, int]  # fixed index of every other dimension
    windows: dict[int, tuple[int, int]]  # [start, stop) of each displayed dimension
    steps: dict[int, int]  # downsampling factor of each displayed dimension
    method: str


def _int_keys(mapping: Any, what: str) -> dict[int, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, Mapping):
        raise InvalidSelectionError(f"selection[{what!r}] must map dimension numbers to values, got {mapping!r}.")
    out = {}
    for k, v in mapping.items():
        try:
            out[int(k)] = v  # JSON objects have string keys
        except (TypeError, ValueError):
            raise InvalidSelectionError(f"selection[{what!r}] has key {k!r}; keys are dimension numbers.") from None
    return out


def _plan(shape: Sequence[int], chunks: Sequence[int], selection: Mapping[str, Any] | None) -> _Plan:
    sel = dict(selection or {})
    unknown = set(sel) - {"dims", "index", "window", "max_size", "method"}
    if unknown:
        raise InvalidSelectionError(
            f"Unknown selection keys {sorted(unknown)}; use dims, index, window, max_size and method."
        )
    ndim = len(shape)
    default_dims = list(range(max(ndim - 2, 0), ndim))
    dims_in = sel.get("dims", default_dims)
    if isinstance(dims_in, (int, np.integer)):
        dims_in = [dims_in]
    if not isinstance(dims_in, (list, tuple)) or len(dims_in) > 2 or (ndim and not dims_in):
        raise InvalidSelectionError(f"selection['dims'] must list one or two dimensions to display, got {dims_in!r}.")
    dims = tuple(check_index(d, ndim, "A displayed dimension") for d in dims_in) if ndim else ()
    if len(set(dims)) != len(dims):
        raise InvalidSelectionError(f"selection['dims'] names a dimension twice: {list(dims_in)!r}.")
    given = _int_keys(sel.get("index"), "index")
    index: dict[int, int] = {}
    for d in range(ndim):
        if d in dims:
            continue
        index[d] = check_index(given.pop(d, 0), shape[d], f"The index of dimension {d}")
    extra = sorted(given)  # what is left names displayed or missing dimensions
    if extra:
        raise InvalidSelectionError(
            f"selection['index'] fixes dimension(s) {extra} that are displayed or do not exist "
            f"(the array has {ndim}; displayed: {list(dims)})."
        )
    windows: dict[int, tuple[int, int]] = {}
    for d, w in _int_keys(sel.get("window"), "window").items():
        if d not in dims:
            raise InvalidSelectionError(f"selection['window'] gives a window for dimension {d}, which is not displayed.")
        if not isinstance(w, (list, tuple)) or len(w) != 2 or not all(isinstance(x, (int, np.integer)) for x in w):
            raise InvalidSelectionError(f"The window of dimension {d} must be [start, stop], got {w!r}.")
        start, stop = int(w[0]), int(w[1])
        if not 0 <= start < stop <= shape[d]:
            raise InvalidSelectionError(
                f"The window [{start}, {stop}) of dimension {d} is out of range: use 0 <= start < stop <= {shape[d]}."
            )
        windows[d] = (start, stop)
    for d in dims:
        windows.setdefault(d, (0, shape[d]))
    default_side = MAX_LINE_POINTS if len(dims) == 1 else MAX_IMAGE_SIDE
    side = sel.get("max_size", default_side)
    if isinstance(side, bool) or not isinstance(side, (int, np.integer)) or not 1 <= side <= max(default_side, 4096):
        raise InvalidSelectionError(f"selection['max_size'] must be an integer from 1 to 4096, got {side!r}.")
    steps = {d: max(1, math.ceil((windows[d][1] - windows[d][0]) / int(side))) for d in dims}
    method = sel.get("method", "auto")
    if method not in _METHODS:
        raise InvalidSelectionError(f"selection['method'] must be one of {', '.join(_METHODS)}, got {method!r}.")
    if method == "auto":
        elements = math.prod(windows[d][1] - windows[d][0] for d in dims)
        touched = math.prod(
            (windows[d][1] - 1) // chunks[d] - windows[d][0] // chunks[d] + 1 for d in dims
        )
        whole = elements <= MEAN_MAX_ELEMENTS and touched <= MEAN_MAX_CHUNKS
        method = "mean" if whole and any(s > 1 for s in steps.values()) else "stride"
    return _Plan(dims, index, windows, steps, method)


def _block_mean(data: np.ndarray, steps: Sequence[int]) -> np.ndarray:
    """Means of ``steps``-sized blocks (the last ones partial), ignoring NaNs; all-NaN blocks stay NaN."""
    padded_shape = [math.ceil(n / s) * s for n, s in zip(data.shape, steps, strict=True)]
    padded = np.full(padded_shape, np.nan)
    padded[tuple(slice(0, n) for n in data.shape)] = data
    blocks = padded.reshape([x for n, s in zip(padded_shape, steps, strict=True) for x in (n // s, s)])
    axes = tuple(range(1, blocks.ndim, 2))
    valid = ~np.isnan(blocks)
    total = np.where(valid, blocks, 0.0).sum(axis=axes)
    count = valid.sum(axis=axes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _as_float(data: np.ndarray, path: str) -> np.ndarray:
    if data.dtype.kind == "c":
        return np.abs(data).astype(np.float64)
    if data.dtype.kind not in "biuf":
        raise InvalidSelectionError(
            f"/{path} holds {data.dtype} values, which a preview cannot show as numbers; read it with zarr instead."
        )
    return data.astype(np.float64)


def preview(repo: Repo, ref: str | None, path: str,
            selection: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], bytes]:
    """A line or an image of one slice of an array, downsampled, as float32 bytes and a header.

    Parameters
    ----------
    repo
        The repository.
    ref
        A branch, tag or commit id (any commit of :func:`array_history` works);
        None for the checkout, uncommitted changes included.
    path
        The array.
    selection
        What to show (every key optional; JSON objects work as they are):

        ``dims``
            One or two dimensions to display, rows first (default: the last two).
        ``index``
            ``{dimension: index}`` for every other dimension (default 0; negative counts from the end).
        ``window``
            ``{dimension: [start, stop]}``: part of a displayed dimension (default: all of it).
        ``max_size``
            The longest side of the preview (default 512 for images, 2,000 points for lines).
        ``method``
            ``"mean"`` (block means, NaN ignored), ``"stride"`` (every step-th element) or
            ``"auto"`` (the default: means unless the window exceeds 16 Mi elements
            or 1,024 chunks).

    Returns
    -------
    header : dict
        ``{"type": "preview", "kind", "shape", "dtype": "float32", "byteorder": "little",
        "dims", "index", "ranges", "step", "method", "min", "max", "nan_count", ...}``;
        see ``docs/views.md``. ``min``/``max``/``nan_count`` describe the values returned;
        ``method`` is ``"none"`` when nothing was downsampled.
    data : bytes
        The values, C order (rows of the image one after the other), little-endian float32.

    Raises
    ------
    NotAnArrayError
        If ``path`` is a group.
    InvalidSelectionError
        If the selection names dimensions or indices out of range, or the data are not numbers.
    """
    arr, node = array_at(repo, ref, path)
    shape = tuple(int(n) for n in arr.shape)
    plan = _plan(shape, tuple(int(n) for n in arr.chunks), selection)
    ordered = sorted(plan.dims)  # zarr returns displayed dimensions in array order
    strided = plan.method == "stride"
    region = tuple(
        plan.index[d] if d not in plan.dims
        else slice(plan.windows[d][0], plan.windows[d][1], plan.steps[d] if strided else 1)
        for d in range(len(shape))
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = np.asarray(arr[region] if shape else arr[()])
    data = _as_float(raw, node.path)
    if not strided and plan.dims:
        data = _block_mean(data, [plan.steps[d] for d in ordered])
    if list(plan.dims) != ordered:
        data = data.T
    if not shape:
        data = data.reshape(1)
    out = np.ascontiguousarray(data, dtype="<f4")
    summary = stats(out)
    header = {
        "type": "preview",
        "ref": ref,
        "path": node.path,
        "kind": {0: "scalar", 1: "line"}.get(len(plan.dims), "image"),
        "array_shape": list(shape),
        "source_dtype": str(arr.dtype),
        "dtype": "float32",
        "byteorder": "little",
        "shape": [int(n) for n in out.shape],
        "dims": list(plan.dims),
        "index": {str(d): i for d, i in sorted(plan.index.items())},
        "ranges": [[plan.windows[d][0], plan.windows[d][1], plan.steps[d]] for d in plan.dims],
        "step": [plan.steps[d] for d in plan.dims],
        "method": "none" if all(plan.steps[d] == 1 for d in plan.dims) else plan.method,
        "min": summary["min"],
        "max": summary["max"],
        "nan_count": summary["nan_count"],
        "nbytes": out.nbytes,
    }
    return header, out.tobytes()
