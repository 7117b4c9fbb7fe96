"""Byte ranges of local files (``file://`` sources of virtual chunks).

The fingerprint of a file is its size and modification time in nanoseconds.
A read opens the file, checks the fingerprint on the open descriptor, reads
the ranges with ``pread`` (which releases the GIL, so ranges of one file are
read in parallel threads) and checks the fingerprint again: a file rewritten
during the read is reported as changed, never returned half old, half new.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import unquote, urlsplit

from arraylake_nb.storage._base import ByteRangeReader, What, changed_error, missing_error

# Below this many ranges a thread pool costs more than it saves.
_PARALLEL_RANGES = 4
_THREADS = 8


def file_path(location: str) -> str:
    """The local path of a ``file://`` URI."""
    return unquote(urlsplit(location).path)


def _stamp(st: os.stat_result) -> str:
    return f"size={st.st_size};mtime_ns={st.st_mtime_ns}"


class FileRangeReader(ByteRangeReader):
    """Reads byte ranges of local files; see the module docstring."""

    schemes = ("file",)

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="arraylake-nb-file")

    def fingerprint(self, location: str) -> str:
        """``size=...;mtime_ns=...`` of the file now."""
        try:
            return _stamp(os.stat(file_path(location)))
        except OSError as exc:
            raise missing_error(location, "", exc.strerror or str(exc)) from exc

    def size(self, location: str) -> int:
        """The file's size in bytes."""
        try:
            return os.stat(file_path(location)).st_size
        except OSError as exc:
            raise missing_error(location, "", exc.strerror or str(exc)) from exc

    def read_ranges(self, location: str, ranges: Sequence[tuple[int, int]], fingerprint: str,
                    what: What = "") -> list[bytes]:
        """See :meth:`ByteRangeReader.read_ranges`."""
        try:
            fd = os.open(file_path(location), os.O_RDONLY)
        except OSError as exc:
            raise missing_error(location, what, exc.strerror or str(exc)) from exc
        try:
            before = _stamp(os.fstat(fd))
            if before != fingerprint:
                raise changed_error(location, what, f"it was {fingerprint}, it is {before}")
            if len(ranges) < _PARALLEL_RANGES:
                out = [os.pread(fd, length, offset) for offset, length in ranges]
            else:
                out = list(self._pool.map(lambda r: os.pread(fd, r[1], r[0]), ranges))
            after = _stamp(os.fstat(fd))
        finally:
            os.close(fd)
        if after != fingerprint:
            raise changed_error(location, what, f"it changed while being read: {after}")
        for (offset, length), data in zip(ranges, out, strict=True):
            if len(data) != length:
                raise changed_error(location, what, f"bytes {offset}..{offset + length} lie past its end")
        return out
