"""The session folder: durable, append-only logs that many processes write at once.

Every change a session makes is appended to a log before it becomes visible,
so a session survives the death of any process and any process can join it.
Many processes may write one session at once (dask workers, two notebooks):
each writer process appends only to **its own** log, so no process ever
truncates, rewrites or repairs bytes another process wrote. Layout::

    sessions/<id>/session.json   who, where from, until when (rebuilds the metastore row)
    sessions/<id>/lock           writers hold it shared while appending; closers exclusive;
                                 its content is the end marker: "committing", "committed <id>", ...
    sessions/<id>/<writer>.log   one append-only log per writer process

Framing of a log entry (one *batch* of records that must land together)::

    MAGIC(4) | u32 body length | u32 crc32(length + body) | body
    body = u64 lamport | u32 record count | (u32 length | record)*

A zero-length, torn, zero-filled or checksum-failing frame is invalid. A
reader stops at an invalid frame while its writer may still be writing it
(the writer holds an exclusive ``flock`` on its log for its whole life); once
the writer is gone, or the session is sealed, the damage is permanent and the
reader skips to the next intact frame (the next ``MAGIC`` whose checksum
holds), so damage never hides any other record.

Ordering: batches carry a Lamport stamp. A writer first reads every record
it can see, then stamps its batch above all of them; every record a write
could have depended on is therefore ordered before it. Records are applied
so that the result does not depend on the order logs are read in (see
:class:`arraylake_nb.session.Overlay`), and all processes converge.

Sealing: commit and abandon take the lock exclusively, so no append is in
flight while they read the logs, and they leave the end marker (in the lock file) that
every later append checks under the shared lock: a write racing a commit
either lands in that commit or raises :class:`SessionCommittedError`.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import secrets
import shutil
import socket
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from arraylake_nb.config import DURABILITY_MODES, check_durability
from arraylake_nb.engine.values import DELETED, Chain, ChunkRef, Doc, VirtualRef
from arraylake_nb.errors import DiskFullError, SessionCommittedError, SessionError

_FRAME = struct.Struct("<II")
_U32 = struct.Struct("<I")
_LOG_MAGIC = b"\xa7\x1bJ\x01"
_LOG_HEAD = struct.Struct("<4sII")  # magic, body length, crc32(length + body)
_BODY_HEAD = struct.Struct("<QI")  # lamport, record count
_SET_CHUNK, _SET_DOC, _DELETE, _DELETE_PREFIX, _EXPIRES, _MOVED, _ROLLBACK, _SET_VIRTUAL = 1, 2, 3, 4, 6, 7, 8, 9
_RANGE = struct.Struct("<QQ")

# -- records ----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SetValue:
    """``key`` now holds ``value``."""

    key: str
    value: ChunkRef | VirtualRef | Doc


@dataclass(frozen=True, slots=True)
class Delete:
    """``key`` was deleted."""

    key: str


@dataclass(frozen=True, slots=True)
class DeletePrefix:
    """Every key inside directory ``prefix`` (``""`` or ``"a/b/"``) was deleted."""

    prefix: str


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
    """Every record stamped after ``mark`` and before this one is void."""

    mark: int


Record = SetValue | Delete | DeletePrefix | SetExpiration | Moved | Rollback


def _str(s: str) -> bytes:
    b = s.encode()
    return _U32.pack(len(b)) + b


def _read_str(buf: memoryview, pos: int) -> tuple[str, int]:
    (n,) = _U32.unpack_from(buf, pos)
    pos += 4
    return bytes(buf[pos : pos + n]).decode(), pos + n


def encode_record(record: Record) -> bytes:
    """One record's payload, without framing."""
    if isinstance(record, SetValue):
        v = record.value
        if isinstance(v, ChunkRef):
            return bytes([_SET_CHUNK]) + _str(record.key) + v.digest + struct.pack("<Q", v.size)
        if isinstance(v, VirtualRef):
            return (bytes([_SET_VIRTUAL]) + _str(record.key) + _str(v.location) + _RANGE.pack(v.offset, v.length)
                    + _str(v.fingerprint))
        if v.manifest is None:
            chain_part = b"\xff\xff\xff\xff"
        else:
            chain_part = _U32.pack(len(v.manifest)) + b"".join(struct.pack("<QQ", s, n) for s, n in v.manifest)
        return bytes([_SET_DOC]) + _str(record.key) + chain_part + v.data
    if isinstance(record, Delete):
        return bytes([_DELETE]) + _str(record.key)
    if isinstance(record, DeletePrefix):
        return bytes([_DELETE_PREFIX]) + _str(record.prefix)
    if isinstance(record, SetExpiration):
        return bytes([_EXPIRES]) + struct.pack("<d", record.timestamp)
    if isinstance(record, Moved):
        return bytes([_MOVED]) + _str(record.source) + _str(record.dest)
    if isinstance(record, Rollback):
        return bytes([_ROLLBACK]) + struct.pack("<Q", record.mark)
    raise TypeError(record)  # pragma: no cover - guarded by the type


def decode_record(payload: memoryview) -> Record:
    """Decode :func:`encode_record`; ValueError if the payload is not a record."""
    if not len(payload):
        raise ValueError("empty journal record")
    op = payload[0]
    if op == _SET_CHUNK:
        key, pos = _read_str(payload, 1)
        digest = bytes(payload[pos : pos + 16])
        (size,) = struct.unpack_from("<Q", payload, pos + 16)
        return SetValue(key, ChunkRef(digest, size))
    if op == _SET_VIRTUAL:
        key, pos = _read_str(payload, 1)
        location, pos = _read_str(payload, pos)
        offset, length = _RANGE.unpack_from(payload, pos)
        fingerprint, _ = _read_str(payload, pos + _RANGE.size)
        return SetValue(key, VirtualRef(location, offset, length, fingerprint))
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
    if op == _EXPIRES:
        return SetExpiration(struct.unpack_from("<d", payload, 1)[0])
    if op == _ROLLBACK:
        return Rollback(struct.unpack_from("<Q", payload, 1)[0])
    if op == _MOVED:
        source, pos = _read_str(payload, 1)
        return Moved(source, _read_str(payload, pos)[0])
    raise ValueError(f"unknown journal record type {op}")


# -- segment blobs (small commit deltas stored in the commit row) ------------
def _encode_framed(record: Record) -> bytes:
    payload = encode_record(record)
    return _FRAME.pack(len(payload), zlib.crc32(payload)) + payload


def _decode_framed(data: bytes) -> list[Record]:
    buf = memoryview(data)
    records: list[Record] = []
    pos = 0
    while pos + _FRAME.size <= len(buf):
        length, crc = _FRAME.unpack_from(buf, pos)
        end = pos + _FRAME.size + length
        payload = buf[pos + _FRAME.size : end]
        if end > len(buf) or zlib.crc32(payload) != crc:
            raise ValueError("damaged inline segment")
        records.append(decode_record(payload))
        pos = end
    return records


def encode_inline_segments(segments: dict[int, dict[str, object]]) -> bytes:
    """Pack small segments (inline index -> {key: change}) into one blob for a commit row.

    The records are framed as in the logs, so one codec serves both.
    """
    out = []
    for index, entries in segments.items():
        body = b"".join(
            _encode_framed(Delete(k) if v is DELETED else SetValue(k, v))  # type: ignore[arg-type]
            for k, v in entries.items()
        )
        out.append(struct.pack("<II", index, len(body)) + body)
    return b"".join(out)


def decode_inline_segment(blob: bytes, index: int) -> dict[str, object]:
    """The segment numbered ``index`` from :func:`encode_inline_segments`' blob.

    Segments stored as rows of the ``entries`` table are decoded by
    :func:`arraylake_nb.engine.snapshot.decode_table_segment` instead.
    """
    pos = 0
    while pos < len(blob):
        i, n = struct.unpack_from("<II", blob, pos)
        pos += 8
        if i == index:
            records = _decode_framed(blob[pos : pos + n])
            return {r.key: (DELETED if isinstance(r, Delete) else r.value) for r in records}  # type: ignore[union-attr]
        pos += n
    return {}


# -- log frames ---------------------------------------------------------------
def encode_batch(lamport: int, records: list[Record]) -> bytes:
    """One frame holding ``records`` stamped from ``lamport`` on."""
    parts = [_BODY_HEAD.pack(lamport, len(records))]
    for r in records:
        payload = encode_record(r)
        parts.append(_U32.pack(len(payload)))
        parts.append(payload)
    body = b"".join(parts)
    length = _U32.pack(len(body))
    return _LOG_MAGIC + length + _U32.pack(zlib.crc32(body, zlib.crc32(length))) + body


@dataclass(frozen=True, slots=True)
class Batch:
    """Records that landed together, stamped ``lamport``, ``lamport + 1``, ... in ``writer``'s log."""

    lamport: int
    writer: str
    records: tuple[Record, ...]

    def stamped(self) -> Iterator[tuple[tuple[int, str], Record]]:
        """Each record with its stamp ``(lamport + i, writer)``, in order."""
        for i, r in enumerate(self.records):
            yield (self.lamport + i, self.writer), r

    @property
    def last(self) -> int:
        """The Lamport stamp of the batch's last record."""
        return self.lamport + len(self.records) - 1


def _parse_frame(buf: memoryview, pos: int, writer: str) -> tuple[Batch | None, int]:
    """(batch, end) for an intact frame at ``pos``; (None, 0) if incomplete; raise ValueError if invalid."""
    if len(buf) - pos < _LOG_HEAD.size:
        return None, 0
    magic, length, crc = _LOG_HEAD.unpack_from(buf, pos)
    if magic != _LOG_MAGIC or length < _BODY_HEAD.size:
        raise ValueError("no frame here")
    end = pos + _LOG_HEAD.size + length
    if end > len(buf):
        return None, 0
    body = buf[pos + _LOG_HEAD.size : end]
    if zlib.crc32(body, zlib.crc32(_U32.pack(length))) != crc:
        raise ValueError("checksum mismatch")
    lamport, count = _BODY_HEAD.unpack_from(body, 0)
    records = []
    p = _BODY_HEAD.size
    for _ in range(count):
        (n,) = _U32.unpack_from(body, p)
        records.append(decode_record(body[p + 4 : p + 4 + n]))
        p += 4 + n
    return Batch(lamport, writer, tuple(records)), end


def parse_log(data: bytes, writer: str, *, final: bool) -> tuple[list[Batch], int, int]:
    """Intact batches of a log's bytes, the offset up to which they were read, and bytes skipped.

    With ``final`` (the writer is gone or the session sealed), damage is
    skipped by resynchronising on the next intact frame; otherwise reading
    stops at the first frame that is not (yet) complete and intact.
    """
    buf = memoryview(data)
    batches: list[Batch] = []
    pos = skipped = 0
    while pos < len(buf):
        try:
            batch, end = _parse_frame(buf, pos, writer)
        except (ValueError, struct.error, UnicodeDecodeError):
            batch, end = None, -1
        if batch is not None:
            batches.append(batch)
            pos = end
            continue
        if not final:
            break
        # Permanent damage (torn, zero-filled or partial): resume at the next intact frame.
        nxt = data.find(_LOG_MAGIC, pos + 1)
        while nxt != -1:
            try:
                if _parse_frame(buf, nxt, writer)[0] is not None:
                    break
            except (ValueError, struct.error, UnicodeDecodeError):
                pass
            nxt = data.find(_LOG_MAGIC, nxt + 1)
        new_pos = len(buf) if nxt == -1 else nxt
        skipped += new_pos - pos
        pos = new_pos
    return batches, pos, skipped


# -- files ----------------------------------------------------------------------
def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file_atomically(path: Path, data: bytes, durable: bool) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    try:
        os.write(fd, data)
        if durable:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if durable:
        _fsync_dir(path.parent)


def _is_disk_full(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


@dataclass(frozen=True, slots=True)
class Closed:
    """The ``closed`` marker: ``state`` is "committing", "committed" or "abandoned"."""

    state: str
    commit_id: str | None = None
    pid: int | None = None
    host: str | None = None


class StaleSealError(SessionError):
    """A committer died while sealing; the caller decides from the metastore (internal)."""


class _WriterLog:
    """This process's own append-only log in a session folder."""

    def __init__(self, path: Path, durable: bool) -> None:
        self.path = path
        self.name = path.stem
        self.fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_EXCL, 0o644)
        # Held for the life of the process: readers that can take it know the
        # writer is gone and that damage in its log is permanent.
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        if durable:
            _fsync_dir(path.parent)
        self.end = 0
        self._durable = 0
        self._syncing = False
        self._cond = threading.Condition()

    def write(self, frame: bytes) -> int:
        """Append one frame; on any failure cut the file back so nothing partial stays."""
        start = self.end
        try:
            written = os.write(self.fd, frame)
            if written != len(frame):
                raise OSError(errno.ENOSPC, "short write")
        except OSError:
            # Only this process appends here, so cutting back removes nothing of anyone else's.
            try:
                os.ftruncate(self.fd, start)
            except OSError:  # pragma: no cover - truncation frees space; it does not need any
                pass
            raise
        self.end = start + len(frame)
        return self.end

    def wait_durable(self, end: int) -> None:
        """Return once the log is on disk up to ``end`` (one fdatasync serves every waiting thread)."""
        with self._cond:
            while self._durable < end:
                if self._syncing:
                    self._cond.wait()
                    continue
                self._syncing = True
                target = self.end
                self._cond.release()
                try:
                    os.fdatasync(self.fd)
                finally:
                    self._cond.acquire()
                    self._syncing = False
                    self._cond.notify_all()
                self._durable = max(self._durable, target)

    def close(self) -> None:
        try:
            os.close(self.fd)
        except OSError:  # pragma: no cover
            pass


class SessionFolder:
    """One session's folder: its description, its writers' logs and its seal.

    Parameters
    ----------
    path
        ``<repo>/sessions/<session id>``.
    durability
        One of :data:`DURABILITY_MODES`; logs are fsynced per write in ``"write"``.
    """

    def __init__(self, path: Path, durability: str = "write") -> None:
        self.path = Path(path)
        self.durability = check_durability(durability)
        self._writer: _WriterLog | None = None
        self._pid = os.getpid()
        self._lock_fd: int | None = None
        self._offsets: dict[str, int] = {}
        self._sizes: dict[str, int] = {}
        self._dir_mtime = -1
        self._names: list[str] = []
        self._mutex = threading.RLock()

    # -- creation -----------------------------------------------------------
    @property
    def durable(self) -> bool:
        """True if every write is fsynced before it returns (durability ``"write"``)."""
        return self.durability == "write"

    def exists(self) -> bool:
        """True once :meth:`create` has stored the session's description."""
        return (self.path / "session.json").exists()

    def create(self, description: dict[str, object]) -> None:
        """Make the folder with its description and lock (idempotent)."""
        if self.exists():
            return
        self.path.mkdir(parents=True, exist_ok=True)
        durable = self.durability != "none"
        (self.path / "lock").touch()
        _write_file_atomically(self.path / "session.json", json.dumps(description).encode(), durable)
        if durable:
            _fsync_dir(self.path.parent)

    def description(self) -> dict[str, object]:
        """What :meth:`create` stored (enough to rebuild the session's metastore row)."""
        data = (self.path / "session.json").read_bytes()
        try:
            # raw_decode: bytes a power cut appended after the document do not matter.
            return json.JSONDecoder().raw_decode(data.decode("utf-8", "replace"))[0]
        except ValueError:
            return {}

    # -- reading --------------------------------------------------------------
    def _fork_check(self) -> None:
        # Descriptors and flocks inherited through fork belong to the parent.
        if self._pid != os.getpid():
            self._pid = os.getpid()
            self._writer = None
            self._lock_fd = None

    def log_names(self) -> list[str]:
        """Names of the writers' ``.log`` files in the folder, sorted.

        Re-read only when the folder changed; the last names known if the folder is gone.
        """
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return self._names
        if mtime != self._dir_mtime:
            self._names = sorted(p.name for p in os.scandir(self.path) if p.name.endswith(".log"))
            self._dir_mtime = mtime
        return self._names

    def _writer_gone(self, name: str) -> bool:
        if self._writer is not None and self._writer.path.name == name:
            return False
        try:
            fd = os.open(self.path / name, os.O_RDONLY)
        except FileNotFoundError:
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)

    def changed(self) -> bool:
        """Whether any log may hold batches not yet returned by :meth:`read_new` (cheap)."""
        with self._mutex:
            self._fork_check()
            own = self._writer.path.name if self._writer is not None else None
            for name in self.log_names():
                if name == own:
                    continue
                try:
                    size = os.stat(self.path / name).st_size
                except FileNotFoundError:
                    continue
                if size != self._offsets.get(name, 0):
                    return True
            return False

    def read_new(self, *, final: bool = False) -> list[Batch]:
        """Batches appended since the last call, from every writer's log.

        ``final`` means the session is sealed (no append is in flight), so any
        damage found is permanent and is skipped.
        """
        out: list[Batch] = []
        with self._mutex:
            self._fork_check()
            own = self._writer.path.name if self._writer is not None else None
            for name in self.log_names():
                if name == own:
                    continue
                offset = self._offsets.get(name, 0)
                data = self._read_from(name, offset)
                if not data:
                    continue
                batches, used, _ = parse_log(data, name, final=final)
                if used < len(data) and not final and self._writer_gone(name):
                    # Read again: the writer may have finished its frame just before it died.
                    data = self._read_from(name, offset)
                    batches, used, _ = parse_log(data, name, final=True)
                out += batches
                self._offsets[name] = offset + used
        return out

    def _read_from(self, name: str, offset: int) -> bytes:
        try:
            with open(self.path / name, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                return os.pread(f.fileno(), size - offset, offset) if size > offset else b""
        except FileNotFoundError:
            return b""

    def read_all(self) -> list[Batch]:
        """Every intact batch of every log (for rebuilding after a rollback, and for gc)."""
        out: list[Batch] = []
        for name in self.log_names():
            try:
                data = (self.path / name).read_bytes()
            except FileNotFoundError:
                continue
            out += parse_log(data, name, final=True)[0]
        return out

    # -- sealing --------------------------------------------------------------
    def _lock(self) -> int:
        self._fork_check()
        if self._lock_fd is None:
            try:
                self._lock_fd = os.open(self.path / "lock", os.O_RDWR)
            except FileNotFoundError:
                raise SessionCommittedError(
                    f"Session {self.path.name} no longer exists: it was committed or cleaned up. "
                    "Check out a branch (repo.checkout('main')) to write again."
                ) from None
        return self._lock_fd

    def closed(self) -> Closed | None:
        """The session's end marker, if any: the content of its ``lock`` file.

        Keeping the marker in the lock file costs a ``pwrite`` instead of a file
        creation (~0.25 ms here), and a writer holding the lock file open still
        reads it after the folder itself was removed.
        """
        fd = self._lock_fd if self._pid == os.getpid() else None
        if fd is not None:
            data = os.pread(fd, 4096, 0)
        else:
            try:
                data = (self.path / "lock").read_bytes()
            except FileNotFoundError:
                return Closed("gone")
        if not data:
            return None
        try:
            d = json.loads(data)
            return Closed(d["state"], d.get("commit_id"), d.get("pid"), d.get("host"))
        except (ValueError, KeyError):
            return Closed("committing")  # a marker cut short: its writer died sealing

    def _set_closed(self, marker: Closed | None) -> None:
        # Only under the exclusive lock, so no reader holding the lock sees it half-written.
        # Not fsynced: the marker only guides processes that are alive now, and
        # after a power cut every process rejoins through the metastore, which
        # knows whether the session was committed.
        fd = self._lock()
        os.ftruncate(fd, 0)
        if marker is not None:
            os.pwrite(fd, json.dumps({"state": marker.state, "commit_id": marker.commit_id,
                                      "pid": marker.pid, "host": marker.host}).encode(), 0)

    @contextmanager
    def sealed(self) -> Iterator[Seal]:
        """Hold the session exclusively: no append is in flight or can start.

        The block reads the logs (``read_new(final=True)``), does its work and
        calls ``seal.close(state, commit_id)``; if it leaves without closing,
        the seal is lifted and writers carry on.
        """
        with self._mutex:
            fd = self._lock()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                seal = Seal(self, self.closed())
                if seal.previous is None or seal.previous.state == "committing":
                    self._set_closed(Closed("committing", None, os.getpid(), socket.gethostname()))
                try:
                    yield seal
                finally:
                    if not seal.done and (seal.previous is None or seal.previous.state == "committing"):
                        self._set_closed(None)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    # -- writing --------------------------------------------------------------
    def append(self, lamport: int, records: list[Record]) -> int:
        """Append one batch to this process's log, unless the session is closed.

        Returns the log offset to pass to :meth:`wait_durable`.

        Raises
        ------
        SessionCommittedError, StaleSealError
            The session was committed or abandoned (``Closed`` tells which), or a
            committer died while sealing (the caller asks the metastore).
        DiskFullError
            The disk is full; nothing of the batch was kept.
        """
        frame = encode_batch(lamport, records)
        with self._mutex:
            fd = self._lock()
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                marker = self.closed()
                if marker is not None:
                    raise StaleSealError(marker.state) if marker.state == "committing" else ClosedSignal(marker)
                try:
                    if self._writer is None:
                        name = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(4)}.log"
                        self._writer = _WriterLog(self.path / name, self.durable)
                    return self._writer.write(frame)
                except OSError as e:
                    if _is_disk_full(e):
                        raise DiskFullError(
                            f"The disk holding {self.path} is full: a session record of {len(frame)} bytes "
                            "could not be written, and nothing of it was kept. Free some space and write "
                            "again; the session and its earlier changes are intact."
                        ) from e
                    raise
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def wait_durable(self, end: int) -> None:
        """Make this process's log durable up to ``end`` (``"write"`` durability only)."""
        if self.durable and self._writer is not None:
            self._writer.wait_durable(end)

    def resolve_stale_seal(self, committed_as: str | None) -> None:
        """Replace a dead committer's marker: "committed" if its commit landed, else none."""
        with self._mutex:
            fd = self._lock()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                marker = self.closed()
                if marker is not None and marker.state == "committing":
                    self._set_closed(Closed("committed", committed_as) if committed_as else None)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def move_aside(self) -> Path:
        """Rename the folder out of its place, to be deleted at leisure; returns its new path.

        Done under the seal once the session has ended: the rename is atomic,
        so other processes see the session folder either whole or gone, never
        half-deleted.
        """
        trash = self.path.with_name(f".removing-{self.path.name}-{secrets.token_hex(4)}")
        os.rename(self.path, trash)
        return trash

    def close(self) -> None:
        """Close this process's descriptors (the folder stays)."""
        with self._mutex:
            self._fork_check()
            if self._writer is not None:
                self._writer.close()
                self._writer = None
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def own_log_name(self) -> str | None:
        """The name of this process's log file, or None if it has not written yet."""
        return self._writer.path.name if self._writer is not None else None


class _Janitor:
    """Deletes folders moved aside once the process has been quiet for a moment.

    Deleting a session folder costs ~1 ms of file-system work here, as much
    as a small commit; doing it at once, even in another thread, slows the
    next commit of a loop. Waiting for a quiet second batches the work.
    """

    QUIET_SECONDS = 1.0

    def __init__(self) -> None:
        self.pid = os.getpid()
        self._pending: list[Path] = []
        self._last = 0.0
        self._cond = threading.Condition()
        self._deleting = threading.Lock()  # held while a batch is being deleted
        threading.Thread(target=self._run, name="arraylake-nb-cleanup", daemon=True).start()

    def finish(self) -> None:
        """Delete everything pending now, and wait for a batch being deleted."""
        with self._deleting:
            with self._cond:
                batch, self._pending = self._pending, []
            for path in batch:
                shutil.rmtree(path, ignore_errors=True)

    def add(self, path: Path) -> None:
        with self._cond:
            self._pending.append(path)
            self._last = time.monotonic()
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending:
                    self._cond.wait()
                quiet = self._last + self.QUIET_SECONDS - time.monotonic()
                if quiet > 0 and len(self._pending) < 10_000:
                    self._cond.wait(quiet)
                    continue
            with self._deleting:
                with self._cond:
                    batch, self._pending = self._pending, []
                for path in batch:
                    shutil.rmtree(path, ignore_errors=True)


_janitor: _Janitor | None = None
_janitor_lock = threading.Lock()


def remove_later(path: Path) -> None:
    """Delete a folder moved aside (see :meth:`SessionFolder.move_aside`) when the process is quiet.

    What a process exiting first leaves behind, garbage collection removes.
    """
    global _janitor
    with _janitor_lock:
        if _janitor is None or _janitor.pid != os.getpid():  # threads do not survive a fork
            _janitor = _Janitor()
    _janitor.add(path)


def finish_removals() -> None:
    """Delete now the folders :func:`remove_later` was given; return when none is being deleted.

    After this, nothing of this process deletes files under a root until the
    next commit, so the root itself can be removed safely.
    """
    with _janitor_lock:
        janitor = _janitor if _janitor is not None and _janitor.pid == os.getpid() else None
    if janitor is not None:
        janitor.finish()


def is_moved_aside(name: str) -> bool:
    """Whether a name under ``sessions/`` is a folder moved aside for deletion."""
    return name.startswith(".removing-")


class ClosedSignal(Exception):
    """Raised by :meth:`SessionFolder.append` when the ``closed`` marker is final."""

    def __init__(self, marker: Closed) -> None:
        super().__init__(marker.state)
        self.marker = marker


class Seal:
    """The exclusive hold of :meth:`SessionFolder.sealed`."""

    def __init__(self, folder: SessionFolder, previous: Closed | None) -> None:
        self.folder = folder
        self.previous = previous
        self.done = False

    def close(self, state: str, commit_id: str | None = None) -> None:
        """Mark the session committed (as ``commit_id``) or abandoned, for good."""
        self.folder._set_closed(Closed(state, commit_id, os.getpid(), socket.gethostname()))
        self.done = True



__all__ = [
    "DURABILITY_MODES",
    "Batch",
    "Closed",
    "ClosedSignal",
    "Delete",
    "DeletePrefix",
    "Moved",
    "Record",
    "Rollback",
    "Seal",
    "SessionFolder",
    "SetExpiration",
    "SetValue",
    "StaleSealError",
    "check_durability",
    "decode_inline_segment",
    "encode_inline_segments",
]
