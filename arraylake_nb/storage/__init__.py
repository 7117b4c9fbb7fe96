"""Chunk storage: where chunk bytes live, behind one protocol.

The engine talks to :class:`ChunkStorage` only. Backends: :class:`LocalChunkStorage`
(files on a local or shared disk). A new backend (S3-compatible object storage,
byte ranges of other files for virtual datasets) subclasses :class:`ChunkStorage`
in its own private module and runs :class:`arraylake_nb.storage.testing.ChunkStorageTests`.
This package imports nothing of arraylake_nb but its errors.
"""

from arraylake_nb.storage._base import ChunkStorage, slice_range
from arraylake_nb.storage._local import LocalChunkStorage, chunk_hash

__all__ = ["ChunkStorage", "LocalChunkStorage", "chunk_hash", "slice_range"]
