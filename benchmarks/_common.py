"""Helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Callable

import zarr

from arraylake_nb.engine.journal import SetValue
from arraylake_nb.engine.values import ChunkRef


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def record_chunk_refs(repo, array_path: str, n: int) -> None:  # noqa: ANN001
    """Create a 1-D array of ``n`` one-byte chunks, all referencing one real chunk.

    zarr's own per-chunk cost (~20 us through any store) would dominate building
    millions of chunks, so the references are recorded directly in the session;
    commits, the metastore and reads are the real ones.
    """
    a = zarr.create_array(repo.store, name=array_path, shape=(n,), chunks=(1,), dtype="u1",
                          compressors=None, fill_value=0)
    a[0] = 7
    state = repo.store.session
    ref = state.get(f"{array_path}/c/0")
    assert isinstance(ref, ChunkRef)
    for start in range(1, n, 50_000):
        state._write([SetValue(f"{array_path}/c/{i}", ref) for i in range(start, min(start + 50_000, n))])

