"""The chunk-storage protocol every backend implements."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Iterator


def slice_range(data: bytes, start: int, end: int | None = None) -> bytes:
    """Bytes ``start:end`` of ``data``, the one definition of a byte range.

    Parameters
    ----------
    data
        The whole value.
    start
        The first byte; counted from the end of ``data`` when negative.
    end
        One past the last byte (``None``: the end of ``data``); counted from
        the end when negative.

    Returns
    -------
    bytes
        The range, clipped to ``data`` as a Python slice is (never an error).
    """
    return data[start:end]


class ChunkStorage(abc.ABC):
    """Content-addressed chunk bytes: what the engine needs from a storage backend.

    A chunk is named by the digest of its bytes (:func:`arraylake_nb.storage.chunk_hash`).
    Every method is blocking and thread-safe. A backend must pass the
    conformance suite :class:`arraylake_nb.storage.testing.ChunkStorageTests`.

    Attributes
    ----------
    durability
        ``"write"``, ``"commit"`` or ``"none"``: when :meth:`put` makes bytes
        durable (see :func:`arraylake_nb.config.check_durability`).
    """

    durability: str

    @abc.abstractmethod
    def put(self, data: bytes | memoryview) -> bytes:
        """Store ``data`` (once) and return its digest; a damaged copy is rewritten.

        Raises :class:`~arraylake_nb.errors.DiskFullError` when there is no room,
        keeping nothing half-written.
        """

    @abc.abstractmethod
    def get(self, digest: bytes, key: str = "") -> bytes:
        """The verified bytes of a chunk; :class:`~arraylake_nb.errors.CorruptChunkError`
        if it is missing or damaged (``key`` names it in the message)."""

    @abc.abstractmethod
    def get_range(self, digest: bytes, start: int, end: int | None = None, key: str = "") -> bytes:
        """Bytes ``start:end`` of a chunk, with :meth:`get`'s checks."""

    @abc.abstractmethod
    def exists(self, digest: bytes) -> bool:
        """Whether a chunk with this digest is stored (its bytes are not checked)."""

    @abc.abstractmethod
    def verify(self, digest: bytes) -> str | None:
        """``None`` if the chunk is sound, else ``"missing"`` or ``"corrupt"``."""

    @abc.abstractmethod
    def iter_digests(self) -> Iterator[bytes]:
        """Every stored chunk's digest."""

    @abc.abstractmethod
    def age(self, digest: bytes) -> float | None:
        """Seconds since the chunk was last written or reused by :meth:`put`; None if absent."""

    @abc.abstractmethod
    def remove(self, digest: bytes) -> None:
        """Delete a chunk unconditionally (only safe when nothing can reference it)."""

    @abc.abstractmethod
    def remove_if_older(self, digest: bytes, cutoff: float) -> int | None:
        """Delete a chunk last written or reused at or before ``cutoff`` (epoch seconds),
        safely beside writers that may be reusing it; bytes freed, or None if kept."""

    @abc.abstractmethod
    def remove_stale_temps(self, older_than_seconds: float) -> int:
        """Clean up what interrupted writes and collections left behind; count removed."""

    @abc.abstractmethod
    def sync(self, digests: Iterable[bytes]) -> None:
        """Make the named chunks durable (``"commit"`` durability, before a commit becomes visible)."""
