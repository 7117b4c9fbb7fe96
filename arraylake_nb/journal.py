"""The append-only journal that makes a write session durable.

Every change a session makes is appended to ``sessions/<id>.journal`` as one
framed record before it becomes visible, so the session survives the death of
its process and any process can join it and replay it. Several processes may
append to the same journal (dask workers writing one session): each record
(or group of records that must stay together) goes out in a single
``O_APPEND`` write, and every reader applies records in file order, its own
included, so all processes converge on the same state.

Framing: ``<u32 payload length><u32 crc32 of payload><payload>``. A record cut
short or failing its checksum ends the readable journal (only a power loss can
produce one; a killed process cannot tear a single ``write``).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from arraylake_nb.values import DELETED, Chain, ChunkRef, Doc

_FRAME = struct.Struct("<II")
_U32 = struct.Struct("<I")
_SET_CHUNK, _SET_DOC, _DELETE, _DELETE_PREFIX, _ABANDON, _EXPIRES, _MOVED, _ROLLBACK = 1, 2, 3, 4, 5, 6, 7, 8


@dataclass(frozen=True, slots=True)
class SetValue:
    """``key`` now holds ``value``."""

    key: str
    value: ChunkRef | Doc


@dataclass(frozen=True, slots=True)
class Delete:
    """``key`` was deleted."""

    key: str


@dataclass(frozen=True, slots=True)
class DeletePrefix:
    """Every key inside directory ``prefix`` (``""`` or ``"a/b/"``) was deleted."""

    prefix: str


@dataclass(frozen=True, slots=True)
class Abandon:
    """The session was abandoned; nothing may be written or committed."""


@dataclass(frozen=True, slots=True)
class SetExpiration:
    """The session now expires at ``timestamp`` (seconds since the epoch)."""

    timestamp: float


@dataclass(frozen=True, slots=True)
class Moved:
    """The node at ``source`` was moved to ``dest`` (so stale handles can say so)."""

    source: str
    dest: str


@dataclass(frozen=True, slots=True)
class Rollback:
    """The session's changes are again exactly those of the journal's first ``offset`` bytes."""

    offset: int


Record = SetValue | Delete | DeletePrefix | Abandon | SetExpiration | Moved | Rollback


def _str(s: str) -> bytes:
    b = s.encode()
    return _U32.pack(len(b)) + b


def _read_str(buf: memoryview, pos: int) -> tuple[str, int]:
    (n,) = _U32.unpack_from(buf, pos)
    pos += 4
    return bytes(buf[pos : pos + n]).decode(), pos + n


def encode(record: Record) -> bytes:
    """Encode one record with its frame."""
    if isinstance(record, SetValue):
        v = record.value
        if isinstance(v, ChunkRef):
            payload = bytes([_SET_CHUNK]) + _str(record.key) + v.digest + struct.pack("<Q", v.size)
        else:
            if v.manifest is None:
                chain_part = b"\xff\xff\xff\xff"
            else:
                chain_part = _U32.pack(len(v.manifest)) + b"".join(
                    struct.pack("<QQ", s, n) for s, n in v.manifest
                )
            payload = bytes([_SET_DOC]) + _str(record.key) + chain_part + v.data
    elif isinstance(record, Delete):
        payload = bytes([_DELETE]) + _str(record.key)
    elif isinstance(record, DeletePrefix):
        payload = bytes([_DELETE_PREFIX]) + _str(record.prefix)
    elif isinstance(record, Abandon):
        payload = bytes([_ABANDON])
    elif isinstance(record, SetExpiration):
        payload = bytes([_EXPIRES]) + struct.pack("<d", record.timestamp)
    elif isinstance(record, Moved):
        payload = bytes([_MOVED]) + _str(record.source) + _str(record.dest)
    elif isinstance(record, Rollback):
        payload = bytes([_ROLLBACK]) + struct.pack("<Q", record.offset)
    else:  # pragma: no cover - guarded by the type
        raise TypeError(record)
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def _decode(payload: memoryview) -> Record:
    op = payload[0]
    if op == _SET_CHUNK:
        key, pos = _read_str(payload, 1)
        digest = bytes(payload[pos : pos + 16])
        (size,) = struct.unpack_from("<Q", payload, pos + 16)
        return SetValue(key, ChunkRef(digest, size))
    if op == _SET_DOC:
        key, pos = _read_str(payload, 1)
        (n,) = _U32.unpack_from(payload, pos)
        pos += 4
        manifest: Chain | None = None
        if n != 0xFFFFFFFF:
            manifest = tuple(struct.unpack_from("<QQ", payload, pos + 16 * i) for i in range(n))
            pos += 16 * n
        return SetValue(key, Doc.for_key(key, bytes(payload[pos:]), manifest))
    if op == _DELETE:
        return Delete(_read_str(payload, 1)[0])
    if op == _DELETE_PREFIX:
        return DeletePrefix(_read_str(payload, 1)[0])
    if op == _ABANDON:
        return Abandon()
    if op == _EXPIRES:
        return SetExpiration(struct.unpack_from("<d", payload, 1)[0])
    if op == _ROLLBACK:
        return Rollback(struct.unpack_from("<Q", payload, 1)[0])
    if op == _MOVED:
        source, pos = _read_str(payload, 1)
        return Moved(source, _read_str(payload, pos)[0])
    raise ValueError(f"unknown journal record type {op}")


def encode_segments(segments: dict[int, dict[str, object]]) -> bytes:
    """Pack small segments (index -> {key: change}) into one blob for a commit row."""
    out = []
    for index, entries in segments.items():
        body = b"".join(
            encode(Delete(k) if v is DELETED else SetValue(k, v))  # type: ignore[arg-type]
            for k, v in entries.items()
        )
        out.append(struct.pack("<II", index, len(body)) + body)
    return b"".join(out)


def decode_segment(blob: bytes, index: int) -> dict[str, object]:
    """The segment numbered ``index`` from :func:`encode_segments`' blob."""
    pos = 0
    while pos < len(blob):
        i, n = struct.unpack_from("<II", blob, pos)
        pos += 8
        if i == index:
            records, _ = decode_all(blob[pos : pos + n])
            return {r.key: (DELETED if isinstance(r, Delete) else r.value) for r in records}  # type: ignore[union-attr]
        pos += n
    return {}


def decode_all(data: bytes) -> tuple[list[Record], int]:
    """Decode complete, intact records; return them and the bytes consumed."""
    buf = memoryview(data)
    records: list[Record] = []
    pos = 0
    while pos + _FRAME.size <= len(buf):
        length, crc = _FRAME.unpack_from(buf, pos)
        end = pos + _FRAME.size + length
        if end > len(buf):
            break
        payload = buf[pos + _FRAME.size : end]
        if zlib.crc32(payload) != crc:
            break
        records.append(_decode(payload))
        pos = end
    return records, pos


class Journal:
    """One session's journal file, opened for appending and reading."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None
        self._pid = -1

    def _handle(self) -> int:
        # A descriptor inherited through fork is shared with the parent; reopen.
        if self._fd is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            self._pid = os.getpid()
        return self._fd

    def exists(self) -> bool:
        return self.path.exists()

    def append(self, records: list[Record]) -> None:
        """Append records in one write, so they land together."""
        blob = b"".join(encode(r) for r in records)
        fd = self._handle()
        written = os.write(fd, blob)
        if written != len(blob):  # pragma: no cover - only on a full disk
            raise OSError(f"short write to session journal {self.path}")

    def size(self) -> int:
        try:
            return os.fstat(self._handle()).st_size if self._fd is not None else self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def read_range(self, start: int, end: int) -> list[Record]:
        """The records between two record boundaries."""
        if end <= start:
            return []
        records, _ = decode_all(os.pread(self._handle(), end - start, start))
        return records

    def read_from(self, offset: int) -> tuple[list[Record], int]:
        """Records from ``offset`` on, and the offset after the last intact one."""
        if not self.path.exists():
            return [], offset
        fd = self._handle()
        size = os.fstat(fd).st_size
        if size <= offset:
            return [], offset
        data = os.pread(fd, size - offset, offset)
        records, used = decode_all(data)
        return records, offset + used

    def truncate_torn_tail(self) -> None:
        """Cut a torn final record (left only by a power loss) before appending."""
        if not self.path.exists():
            return
        _, end = self.read_from(0)
        if end != self.path.stat().st_size:
            os.truncate(self.path, end)

    def close(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None

    def remove(self) -> None:
        self.close()
        self.path.unlink(missing_ok=True)


def iter_records(path: Path) -> Iterator[Record]:
    """Every intact record of a journal file (for inspection and repair)."""
    records, _ = decode_all(Path(path).read_bytes())
    yield from records


__all__ = [
    "Abandon",
    "Delete",
    "DeletePrefix",
    "Journal",
    "Moved",
    "Record",
    "Rollback",
    "SetExpiration",
    "SetValue",
]
