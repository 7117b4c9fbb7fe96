"""The values a key can hold in a snapshot or a session.

``ChunkRef`` points at bytes in the chunk store; ``VirtualRef`` points at a
byte range of a file outside the repository (a virtual dataset); ``Doc`` holds a metadata
document inline (and, for arrays, the manifest chain of the array's chunk
references); ``DELETED`` marks a key removed by a session or a segment.

A *chain* is the list of immutable manifest segments that together hold an
array's chunk references, newest first, as ``((segment_id, n_entries), ...)``.
A key's value is the one in the newest segment that mentions it. Commits add a
small segment on top and occasionally merge the smallest ones (see
:mod:`arraylake_nb.chains`), so commit cost follows the size of the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from arraylake_nb.engine import keys as zkeys

Chain = tuple[tuple[int, int], ...]
EMPTY_CHAIN: Final[Chain] = ()


@dataclass(frozen=True, slots=True)
class ChunkRef:
    """A reference to ``size`` bytes stored under ``digest`` in the chunk store."""

    digest: bytes
    size: int


@dataclass(frozen=True, slots=True)
class VirtualRef:
    """A chunk held in ``length`` bytes at ``offset`` of another file (a virtual chunk).

    ``location`` is a normalised URI (``file:///abs/path``, ``http(s)://...``,
    ``s3://bucket/key``); ``fingerprint`` is what the source looked like when it
    was referenced (size and mtime of a file, ETag or Last-Modified of an
    object), checked on every read so a changed source never yields wrong data.
    """

    location: str
    offset: int
    length: int
    fingerprint: str

    @property
    def size(self) -> int:
        """The chunk's length in bytes (its size as zarr sees it)."""
        return self.length


@dataclass(frozen=True, slots=True)
class Doc:
    """An inline metadata document.

    ``manifest`` is only meaningful when ``is_array``: ``None`` inside a session
    means "the chunk references this array had in the base snapshot" (resolved
    at read and commit time, so a rebase picks up upstream chunk changes); a
    chain means exactly those references (after a delete-and-recreate, a move
    or a copy). In a committed snapshot array documents always carry a chain.
    """

    data: bytes
    is_array: bool
    manifest: Chain | None = None

    @property
    def size(self) -> int:
        """The document's length in bytes."""
        return len(self.data)

    @classmethod
    def for_key(cls, key: str, data: bytes, manifest: Chain | None = None) -> Doc:
        """The document ``data`` stored under ``key`` makes.

        Parameters
        ----------
        key
            The zarr key; with ``data`` it decides whether this is an array document.
        data
            The document's bytes.
        manifest
            Chunk references to keep; dropped unless the document is an array's.
        """
        is_array = zkeys.array_doc_kind(key, data)
        return cls(data, is_array, manifest if is_array else None)


class _Deleted:
    __slots__ = ()

    def __repr__(self) -> str:
        return "DELETED"

    def __reduce__(self) -> str:
        return "DELETED"


DELETED: Final = _Deleted()

#: What a chunk key can hold: bytes in the chunk store, or a byte range of another file.
ChunkValue = ChunkRef | VirtualRef
CHUNK_VALUE_TYPES: Final = (ChunkRef, VirtualRef)
Value = ChunkRef | VirtualRef | Doc
Change = ChunkRef | VirtualRef | Doc | _Deleted


def chain_size(chain: Chain) -> int:
    """Total entries over all segments of a chain (an upper bound on live keys)."""
    return sum(n for _, n in chain)


def encode_chain(chain: Chain | None) -> str | None:
    """Encode a chain as text, ``"seg:n,seg:n"`` (binding text to DuckDB is ~0.3 ms
    cheaper per statement than a LIST parameter, which matters on every commit)."""
    if chain is None:
        return None
    return ",".join(f"{s}:{n}" for s, n in chain)


def decode_chain(text: str | None) -> Chain | None:
    """Decode :func:`encode_chain`."""
    if text is None:
        return None
    if not text:
        return EMPTY_CHAIN
    return tuple((int(s), int(n)) for s, n in (pair.split(":") for pair in text.split(",")))

