"""The protocols storage backends implement: chunk storage, and byte ranges of other files."""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

from arraylake_nb.errors import VirtualSourceChangedError, VirtualSourceMissingError


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


#: What a read is of, for error messages: text, or a callable giving it (called only on error).
What = str | Callable[[], str]


class ByteRangeReader(abc.ABC):
    """Byte ranges of files outside the repository: the sources of virtual chunks.

    A source is named by a normalised URI (see :func:`arraylake_nb.storage.normalize_location`).
    When a chunk is referenced, :meth:`fingerprint` records what the source
    looks like; every read passes that fingerprint back and fails rather than
    return bytes of a source that changed since. Every method is blocking and
    thread-safe.

    Attributes
    ----------
    schemes
        The URI schemes this backend reads (``("file",)``, ``("http", "https")``, ...).
    """

    schemes: tuple[str, ...]

    @abc.abstractmethod
    def fingerprint(self, location: str) -> str:
        """What the source at ``location`` looks like now (size and mtime, ETag, ...).

        Raises :class:`~arraylake_nb.errors.VirtualSourceMissingError` if it does not exist
        or cannot be reached.
        """

    @abc.abstractmethod
    def size(self, location: str) -> int:
        """The source's length in bytes now (:class:`~arraylake_nb.errors.VirtualSourceMissingError` if gone)."""

    @abc.abstractmethod
    def read_ranges(self, location: str, ranges: Sequence[tuple[int, int]], fingerprint: str,
                    what: What = "") -> list[bytes]:
        """The bytes of each ``(offset, length)`` range of one source, read concurrently.

        Parameters
        ----------
        location
            The source's URI.
        ranges
            ``(offset, length)`` pairs.
        fingerprint
            What :meth:`fingerprint` said when the ranges were referenced.
        what
            Names the data being read in error messages (e.g. the array and chunk); a
            callable is called only when an error is raised (naming costs a lookup).

        Raises
        ------
        VirtualSourceChangedError
            If the source no longer matches ``fingerprint`` or is shorter than a range.
        VirtualSourceMissingError
            If the source is gone or cannot be reached.
        """

    def read(self, location: str, offset: int, length: int, fingerprint: str, what: What = "") -> bytes:
        """The bytes of one range (see :meth:`read_ranges`)."""
        return self.read_ranges(location, [(offset, length)], fingerprint, what)[0]


class PerRequestRangeReader(ByteRangeReader):
    """A reader whose every range is one request (HTTP, S3): ranges of one source go out at once
    on the backend's thread pool ``_pool``; subclasses implement :meth:`_get` for one range."""

    _pool: ThreadPoolExecutor

    @abc.abstractmethod
    def _get(self, location: str, offset: int, length: int, fingerprint: str, what: What) -> bytes:
        """One range, checked against ``fingerprint`` (see :meth:`ByteRangeReader.read_ranges`)."""

    def read_ranges(self, location: str, ranges: Sequence[tuple[int, int]], fingerprint: str,
                    what: What = "") -> list[bytes]:
        """See :meth:`ByteRangeReader.read_ranges`."""
        if len(ranges) == 1:
            return [self._get(location, *ranges[0], fingerprint, what)]
        return list(self._pool.map(lambda r: self._get(location, r[0], r[1], fingerprint, what), ranges))


def check_length(data: bytes, location: str, offset: int, length: int, what: What) -> bytes:
    """``data`` if it is the whole range, else the "source changed" error (it got shorter)."""
    if len(data) != length:
        raise changed_error(location, what, f"bytes {offset}..{offset + length} lie past its end")
    return data


def _of(what: What) -> str:
    name = what() if callable(what) else what
    return f" of {name}" if name else ""


def changed_error(location: str, what: What, detail: str) -> VirtualSourceChangedError:
    """The error a reader raises for a source that changed since it was referenced."""
    of = _of(what)
    return VirtualSourceChangedError(
        f"The source {location}{of} changed since it was referenced ({detail}), so its bytes are not "
        "returned: they may no longer be the data that was referenced. Restore the original file, or "
        "reference the new one again (e.g. delete the array and call repo.add_virtual_netcdf(...) again) "
        "and commit.",
        location=location,
    )


def missing_error(location: str, what: What, detail: str) -> VirtualSourceMissingError:
    """The error a reader raises for a source that is gone or unreachable."""
    of = _of(what)
    return VirtualSourceMissingError(
        f"The source {location}{of} cannot be read ({detail}). Restore the file or make the server "
        "reachable, or delete the virtual array from the repository.",
        location=location,
    )
