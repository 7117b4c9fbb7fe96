"""A content-addressed store of chunk bytes on local disk.

Each chunk is a file named by the 128-bit XXH3 hash of its bytes, under a
two-character fan-out directory (``chunks/3f/3fa9...``). Identical chunks are
stored once. Files are written to a temporary name and renamed into place, so
a process killed mid-write leaves at worst a stray temporary file, never a
partial chunk under a real name. Every read recomputes the hash and raises
:class:`~arraylake_nb.errors.CorruptChunkError` rather than return wrong data.

Durability is chosen per store (see :class:`LocalChunkStorage`): ``"write"`` makes
every ``put`` durable before it returns, ``"commit"`` leaves that to
:meth:`LocalChunkStorage.sync` just before a commit becomes visible, ``"none"`` never
forces anything to disk. Writing a chunk that already exists re-reads and
re-hashes the existing file, so writing the same data again repairs a damaged
chunk, and refreshes its modification time, which the garbage collector's
grace period is measured against (see :meth:`LocalChunkStorage.remove_if_older`).

XXH3-128 is not a cryptographic hash: it guards against corruption and
accidental collisions (probability ~2**-64 even for billions of chunks), not
against someone crafting colliding chunks, which a local store does not face.
It was chosen because it hashes at ~55 GB/s here, so verifying every read
costs a few percent of reading the file.
"""

from __future__ import annotations

import errno
import os
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import xxhash

from arraylake_nb.errors import CorruptChunkError, DiskFullError
from arraylake_nb.storage._base import ChunkStorage, slice_range

HASH_BYTES = 16
DURABILITY_MODES = ("write", "commit", "none")  # the same names as arraylake_nb.config (storage imports only errors)

TEMP_PREFIX = ".tmp-"
TOMBSTONE_PREFIX = ".gc-"

# Errors that mean "no room": a full disk, a full quota, or a file-size limit.
_NO_ROOM = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_READ_BLOCK = 1 << 20
# How long a reader waits for a garbage collector to decide about a chunk it
# has renamed aside; the decision takes a stat and a rename, microseconds.
_GC_WAIT_SECONDS = 1.0
_SYNC_THREADS = 4


def chunk_hash(data: bytes | memoryview) -> bytes:
    """The content address of ``data``: its 16-byte XXH3-128 digest."""
    return xxhash.xxh3_128_digest(data)


def _fsync_path(path: str | Path, flags: int = os.O_RDONLY) -> None:
    # fsync flushes the inode's dirty state whoever dirtied it, so a read-only
    # descriptor suffices, for directories and for other processes' files.
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: str | Path) -> None:
    _fsync_path(path, os.O_RDONLY | os.O_DIRECTORY)


def _file_digest(fd: int, size: int) -> bytes | None:
    """XXH3-128 of exactly ``size`` bytes read from ``fd``; None if the file is shorter or longer."""
    h = xxhash.xxh3_128()
    buf = memoryview(bytearray(min(size, _READ_BLOCK) or 1))
    remaining = size
    with open(fd, "rb", buffering=0, closefd=False) as f:
        while remaining:
            n = f.readinto(buf[: min(remaining, len(buf))])
            if not n:
                return None
            h.update(buf[:n])
            remaining -= n
        if f.read(1):
            return None
    return h.digest()


class _DirectorySyncer:
    """Group commit of directory fsyncs for threads that have just renamed a chunk into place.

    A rename is durable once its directory has been fsynced by a call that
    *started after* the rename. Threads register the directories they need and
    wait for the next sync pass; the first waiter to find no pass running leads
    one, fsyncing every directory registered so far, so a burst of puts from a
    thread pool shares one fsync per directory instead of one per put.

    A fan-out directory's own entry in the chunks root must be durable too. The
    root is added to a pass the first time this process uses each fan-out
    directory (it may have been created a moment ago, here or by another
    process that never synced it); after a successful root fsync the directory
    is known durable and later puts into it skip the root.
    """

    def __init__(self, root: str) -> None:
        self._root = root
        self._cond = threading.Condition()
        self._started = 0  # sync passes started; pass numbers are 1, 2, ...
        self._finished = 0  # passes finished (they run one at a time, in order)
        self._leading = False
        self._dirty: dict[str, int] = {}  # directory -> waiters needing it in the next pass
        self._entering: set[str] = set()  # fan-out dirs whose root entry the next pass makes durable
        self._known: set[str] = set()  # fan-out dirs whose entry in the root is durable
        self._failed: dict[tuple[int, str], list] = {}  # (pass, dir) -> [OSError, waiters yet to see it]

    def root_known(self, fanout: str) -> bool:
        with self._cond:
            return fanout in self._known

    def mark_known(self, fanouts: Iterable[str]) -> None:
        with self._cond:
            self._known.update(fanouts)

    def make_durable(self, fanout: str) -> None:
        """Return once ``fanout`` (and, if needed, its entry in the root) has been fsynced after this call began."""
        with self._cond:
            needs = [fanout] if fanout in self._known else [fanout, self._root]
            for d in needs:
                self._dirty[d] = self._dirty.get(d, 0) + 1
            if len(needs) == 2:
                self._entering.add(fanout)
            # The pass now running (if any) took its list before we registered.
            target = self._started + 1
            while self._finished < target:
                if self._leading:
                    self._cond.wait()
                else:
                    self._lead()
            errors = [e for d in needs if (e := self._take_error(target, d)) is not None]
        if errors:
            e, d = errors[0]
            raise OSError(
                e.errno,
                f"The chunk is in place but could not be made durable: fsync of directory {d} failed "
                f"({e.strerror or e}). It may not survive a crash; check the disk and write again.",
            ) from e

    def _lead(self) -> None:
        # Called with the lock held; releases it while fsyncing.
        self._leading = True
        self._started += 1
        this_pass = self._started
        batch, self._dirty = self._dirty, {}
        entering, self._entering = self._entering, set()
        done: set[str] = set()
        failed: dict[str, OSError] = {}
        self._cond.release()
        try:
            for d in batch:
                try:
                    _fsync_dir(d)
                    done.add(d)
                except OSError as e:
                    failed[d] = e
        finally:
            self._cond.acquire()
            for d, waiters in batch.items():
                if d not in done:
                    err = failed.get(d) or OSError(errno.EINTR, "the directory sync was interrupted")
                    self._failed[(this_pass, d)] = [err, waiters]
            if self._root in done:
                self._known |= entering
            self._finished = this_pass
            self._leading = False
            self._cond.notify_all()

    def _take_error(self, this_pass: int, d: str) -> tuple[OSError, str] | None:
        entry = self._failed.get((this_pass, d))
        if entry is None:
            return None
        entry[1] -= 1
        if entry[1] == 0:
            del self._failed[(this_pass, d)]
        return entry[0], d


class LocalChunkStorage(ChunkStorage):
    """Hash-named chunk files under ``root``.

    All methods are blocking and thread-safe; callers on an event loop run them
    in a thread.

    Parameters
    ----------
    root
        The chunks directory.
    durability
        When chunk bytes are forced to disk:

        ``"write"`` (default)
            :meth:`put` returns only once the chunk would survive a crash: the
            temporary file is fsynced, renamed into place, and its directory
            fsynced. Directory fsyncs are group-committed across threads, so
            concurrent puts share them.
        ``"commit"``
            :meth:`put` forces nothing; the committer calls :meth:`sync` with
            the digests a commit references before making the commit visible.
        ``"none"``
            Nothing is ever fsynced (scratch work; a crash can lose chunks that
            committed data refers to).

    Raises
    ------
    ValueError
        If ``durability`` is not one of the three modes.
    """

    def __init__(self, root: Path, *, durability: str = "write") -> None:
        if durability not in DURABILITY_MODES:
            raise ValueError(
                f"durability must be 'write', 'commit' or 'none', not {durability!r}. Use 'write' unless "
                "a committer calls sync() before each commit ('commit'), or the data is scratch ('none')."
            )
        self.root = Path(root)
        self.durability = durability
        self._syncer = _DirectorySyncer(str(self.root))

    def path_for(self, digest: bytes) -> Path:
        """Where the chunk with this digest lives."""
        name = digest.hex()
        return self.root / name[:2] / name

    # -- writing ----------------------------------------------------------
    def put(self, data: bytes | memoryview) -> bytes:
        """Store ``data`` (once) and return its digest.

        If a file for this digest exists, it is read and re-hashed: a sound one
        has its modification time refreshed (so a garbage collector's grace
        period starts again) and is not rewritten; a corrupt, truncated or
        wrong-sized one is replaced by a fresh copy of ``data``. In ``"write"``
        mode the chunk is durable when this returns, whether it was written now
        or found.

        Raises
        ------
        DiskFullError
            If the disk (or quota, or file-size limit) has no room for the chunk;
            the partial temporary file has been removed.
        """
        view = memoryview(data)
        if view.ndim != 1 or view.format != "B":
            view = view.cast("B")
        digest = chunk_hash(view)
        path = self.path_for(digest)
        if self._refresh_existing(path, digest, view.nbytes):
            if self.durability == "write":
                self._syncer.make_durable(str(path.parent))
            return digest
        self._write_new(path, view)
        return digest

    def _refresh_existing(self, path: Path, digest: bytes, size: int) -> bool:
        """True if a sound file for ``digest`` is at ``path`` and now has a fresh mtime.

        False means the caller must write the chunk: there is no file, it is
        damaged, or a garbage collector took it while we looked.
        """
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            st = os.fstat(fd)
            if st.st_size != size or _file_digest(fd, size) != digest:
                return False
            if self.durability == "write":
                # Found, not written by us: it may be another process's unsynced
                # write, and put promises durability either way.
                os.fsync(fd)
            # Refresh through the descriptor, then check the name still leads
            # to this file. A utime by path is not enough: it resolves the name
            # before it sets the time, so a collector can rename the file and
            # judge it old in between, and the utime still "succeeds" on the
            # doomed tombstone. If the name still leads here after our utime
            # finished, any later rename-and-check by a collector sees the
            # fresh mtime (see remove_if_older).
            try:
                os.utime(fd)
            except PermissionError:
                return False  # another user's file: a fresh copy of our own replaces it
            try:
                now = os.stat(path)
            except FileNotFoundError:
                return False
            return (now.st_dev, now.st_ino) == (st.st_dev, st.st_ino)
        finally:
            os.close(fd)

    def _write_new(self, path: Path, view: memoryview) -> None:
        directory = path.parent
        tmp = directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        created = False
        try:
            try:
                fd = os.open(tmp, flags, 0o644)
            except FileNotFoundError:
                directory.mkdir(parents=True, exist_ok=True)
                fd = os.open(tmp, flags, 0o644)
            created = True
            try:
                rest = view
                while rest:
                    written = os.write(fd, rest)
                    if written == 0:  # a regular file only writes nothing when it cannot grow
                        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                    rest = rest[written:]
                if self.durability == "write":
                    os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, path)
        except BaseException as e:
            if created:
                try:
                    os.unlink(tmp)
                except OSError:
                    pass  # the original error matters more; remove_stale_temps will find it
            if isinstance(e, OSError) and e.errno in _NO_ROOM:
                err = DiskFullError(
                    f"No room to write a chunk of {view.nbytes:,} bytes in {directory} "
                    f"({os.strerror(e.errno)}). Nothing half-written was kept. Free space on that disk "
                    "(repo.gc() removes chunks nothing refers to) and write again."
                )
                err.errno = e.errno
                raise err from e
            raise
        if self.durability == "write":
            self._syncer.make_durable(str(directory))

    def sync(self, digests: Iterable[bytes]) -> None:
        """Force the named chunks, and the directory entries naming them, to disk.

        In ``"commit"`` mode a committer calls this with every digest a commit
        references before the commit becomes visible. Files are fsynced however
        they were written, by this process or another, a few in parallel. In
        ``"write"`` mode this does nothing, because every :meth:`put` (including
        one that found its chunk already there) was durable before it returned;
        in ``"none"`` mode it does nothing because durability was not asked for.

        Raises
        ------
        CorruptChunkError
            If a named chunk has no file, so the commit would refer to nothing.
        """
        if self.durability != "commit":
            return
        paths = {self.path_for(d) for d in digests}
        if not paths:
            return
        dirs = {str(p.parent) for p in paths}
        tasks: list[Callable[[], None]] = [lambda p=p: self._fsync_chunk(p) for p in paths]
        tasks += [lambda d=d: _fsync_dir(d) for d in dirs]
        unknown = [d for d in dirs if not self._syncer.root_known(d)]
        if unknown:
            tasks.append(lambda: _fsync_dir(self.root))
        if len(tasks) == 1:
            tasks[0]()
        else:
            with ThreadPoolExecutor(min(_SYNC_THREADS, len(tasks))) as pool:
                for f in [pool.submit(t) for t in tasks]:
                    f.result()
        self._syncer.mark_known(unknown)

    def _fsync_chunk(self, path: Path) -> None:
        fd = self._open_chunk(path)
        if fd is None:
            raise CorruptChunkError(
                f"Chunk {path.name} is missing from {self.root}, so a commit referring to it would be "
                "unreadable. Nothing was committed; write the data again, and run repo.fsck() if "
                "chunk files may have been removed."
            )
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    # -- reading ----------------------------------------------------------
    def _open_chunk(self, path: Path) -> int | None:
        """Open a chunk file for reading, or None if it does not exist.

        A garbage collector renames an old chunk aside for a moment before
        deciding (see :meth:`remove_if_older`); while such a tombstone exists
        the chunk may reappear, so wait for the decision instead of reporting
        it missing.
        """
        deadline = None
        while True:
            try:
                return os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                pass
            if not self._tombstoned(path):
                # The collector may have put it back between our open and the listing.
                try:
                    return os.open(path, os.O_RDONLY)
                except FileNotFoundError:
                    return None
            if deadline is None:
                deadline = time.monotonic() + _GC_WAIT_SECONDS
            elif time.monotonic() > deadline:
                return None
            time.sleep(0.001)

    @staticmethod
    def _tombstoned(path: Path) -> bool:
        prefix = f"{TOMBSTONE_PREFIX}{path.name}-"
        try:
            with os.scandir(path.parent) as it:
                return any(e.name.startswith(prefix) for e in it)
        except FileNotFoundError:
            return False

    def _read(self, path: Path) -> bytes | None:
        fd = self._open_chunk(path)
        if fd is None:
            return None
        with open(fd, "rb") as f:
            return f.read()

    def get(self, digest: bytes, key: str = "") -> bytes:
        """Read and verify the chunk with this digest.

        Raises
        ------
        CorruptChunkError
            If the file is missing or its content does not hash to ``digest``.
        """
        path = self.path_for(digest)
        data = self._read(path)
        if data is None:
            raise CorruptChunkError(
                f"Chunk {digest.hex()} for key {key!r} is missing from {self.root}. "
                "The repository's chunk files were removed or damaged; run repo.fsck() "
                "to list every affected key, and restore the chunks directory from a backup."
            )
        if chunk_hash(data) != digest:
            raise CorruptChunkError(
                f"Chunk {digest.hex()} for key {key!r} is corrupt: its bytes no longer match "
                f"their checksum ({path}). No data was returned. Run repo.fsck() to list every "
                "affected key; rewrite those keys from their source or restore the file from a backup."
            )
        return data

    def exists(self, digest: bytes) -> bool:
        """True if a file for this digest exists (its content is not checked)."""
        return self.path_for(digest).exists()

    def verify(self, digest: bytes) -> str | None:
        """Check one chunk; return ``None`` if sound, else ``"missing"`` or ``"corrupt"``."""
        data = self._read(self.path_for(digest))
        if data is None:
            return "missing"
        return None if chunk_hash(data) == digest else "corrupt"

    def iter_digests(self) -> Iterator[bytes]:
        """Every chunk digest that has a file (temporary files and gc tombstones excluded)."""
        if not self.root.exists():
            return
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                if f.name.startswith(".") or len(f.name) != 2 * HASH_BYTES:
                    continue
                try:
                    yield bytes.fromhex(f.name)
                except ValueError:
                    continue

    # -- garbage collection -----------------------------------------------
    def get_range(self, digest: bytes, start: int, end: int | None = None, key: str = "") -> bytes:
        """Bytes ``start:end`` of a chunk (the whole chunk is read and verified first)."""
        return slice_range(self.get(digest, key), start, end)

    def age(self, digest: bytes) -> float | None:
        """Seconds since the chunk file was last written or reused; None if absent."""
        try:
            return max(0.0, time.time() - self.path_for(digest).stat().st_mtime)
        except FileNotFoundError:
            return None

    def remove(self, digest: bytes) -> None:
        """Delete a chunk file unconditionally.

        Only safe when no writer can be referencing the chunk; a garbage
        collector running beside writers uses :meth:`remove_if_older`.
        """
        self.path_for(digest).unlink(missing_ok=True)

    def remove_if_older(self, digest: bytes, cutoff: float) -> int | None:
        """Delete a chunk file last modified at or before ``cutoff``, safely beside writers.

        Returns the bytes freed, or None if the chunk was kept (modified after
        ``cutoff``) or already gone.

        The race this closes: a writer whose :meth:`put` finds the chunk
        already on disk references it and refreshes its mtime; a collector
        doing stat-then-unlink could see the old mtime, lose the CPU while the
        writer refreshes it and returns, then unlink a chunk that is now
        referenced. Instead the file is first renamed to a tombstone
        (``.gc-<hex>-<random>`` in the same directory), an atomic step that
        takes the name away, and only then is the tombstone's mtime checked.
        The writer refreshes the mtime through its open descriptor and then
        checks that the chunk's name still leads to the file it refreshed:

        * the name still led there after the refresh finished: the rename came
          later, so the check after it sees the fresh mtime and the tombstone is
          renamed back (``os.replace``; if a writer has meanwhile written the
          chunk anew, the content is identical);
        * the name was gone or led elsewhere: the writer writes the chunk anew,
          so deleting the tombstone loses nothing;
        * the writer opened the name after the rename: it finds nothing and
          writes the chunk anew.

        In the first case the chunk's name is briefly absent; readers in this
        module see the tombstone and wait for the decision instead of reporting
        the chunk missing. Files written anew have a fresh mtime, so a
        collector that renames one of them puts it back.
        """
        path = self.path_for(digest)
        try:
            if os.stat(path).st_mtime > cutoff:
                return None  # fresh: no need to take the name away even briefly
        except FileNotFoundError:
            return None
        tomb = path.parent / f"{TOMBSTONE_PREFIX}{path.name}-{secrets.token_hex(4)}"
        try:
            os.rename(path, tomb)
        except FileNotFoundError:
            return None
        try:
            st = os.stat(tomb)
            if st.st_mtime > cutoff:
                os.replace(tomb, path)
                return None
            os.unlink(tomb)
        except FileNotFoundError:
            return None  # remove_stale_temps resolved our tombstone; it errs on keeping
        return st.st_size

    def remove_stale_temps(self, older_than_seconds: float) -> int:
        """Delete temporary files untouched for ``older_than_seconds``; return how many.

        Temporary files are left by writers killed mid-write (or by a full disk
        on a filesystem that refused even the cleanup). Make the grace longer
        than any single chunk write takes. Tombstones of a collector killed
        between renaming a chunk aside and deciding are resolved too: renamed
        back if the chunk's name is free (the next collection decides again),
        deleted if the chunk has been written anew; deleted ones are counted.
        """
        cutoff = time.time() - older_than_seconds
        removed = 0
        try:
            subs = [e.path for e in os.scandir(self.root) if e.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return 0
        for sub in subs:
            try:
                entries = list(os.scandir(sub))
            except FileNotFoundError:
                continue
            for e in entries:
                is_temp = e.name.startswith(TEMP_PREFIX)
                if not is_temp and not e.name.startswith(TOMBSTONE_PREFIX):
                    continue
                try:
                    st = e.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue
                # A tombstone's mtime is old by definition (that is why it was
                # made); the rename that made it set its ctime.
                if (st.st_mtime if is_temp else st.st_ctime) > cutoff:
                    continue
                if is_temp:
                    removed += self._unlink(e.path)
                    continue
                real = os.path.join(sub, e.name[len(TOMBSTONE_PREFIX):].rsplit("-", 1)[0])
                try:
                    os.link(e.path, real)  # unlike a rename, never overwrites a chunk written since
                    restored = True
                except FileExistsError:
                    restored = False
                except FileNotFoundError:
                    continue  # its collector decided meanwhile
                gone = self._unlink(e.path)
                if not restored:
                    removed += gone
        return removed

    @staticmethod
    def _unlink(path: str) -> int:
        try:
            os.unlink(path)
            return 1
        except FileNotFoundError:
            return 0
