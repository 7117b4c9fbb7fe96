"""Storage: where chunk bytes live, and the files virtual chunks point at.

The engine talks to :class:`ChunkStorage` for chunk bytes; backend:
:class:`LocalChunkStorage` (files on a local or shared disk). Virtual chunks
are byte ranges of other files, read through :class:`ByteRangeReader`
backends chosen by the source's scheme (:func:`reader_for`):
:class:`FileRangeReader` (local files), :class:`HttpRangeReader` (HTTP(S)),
:class:`S3RangeReader` (S3-compatible object storage). Each backend lives in
its own private module. This package imports nothing of arraylake_nb but its errors.
"""

from arraylake_nb.storage._base import ByteRangeReader, ChunkStorage, slice_range
from arraylake_nb.storage._file import FileRangeReader
from arraylake_nb.storage._http import HttpRangeReader
from arraylake_nb.storage._local import LocalChunkStorage, chunk_hash
from arraylake_nb.storage._s3 import S3RangeReader
from arraylake_nb.storage._sources import SOURCE_SCHEMES, normalize_location, reader_for, set_reader

__all__ = [
    "SOURCE_SCHEMES",
    "ByteRangeReader",
    "ChunkStorage",
    "FileRangeReader",
    "HttpRangeReader",
    "LocalChunkStorage",
    "S3RangeReader",
    "chunk_hash",
    "normalize_location",
    "reader_for",
    "set_reader",
    "slice_range",
]
