"""The chunk store on real files: repair, durability modes, a full disk, the gc race.

Durability is checked by recording the real syscalls: ``os.fsync``,
``os.fdatasync``, ``os.replace`` and ``os.rename`` are wrapped with
pass-through functions that log what they were called on and then do the real
call, so the tests see the order in which things reached the kernel.
"""

from __future__ import annotations

import itertools
import os
import random
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from arraylake_nb.errors import CorruptChunkError, DiskFullError
from arraylake_nb.storage import LocalChunkStorage as ChunkStore
from arraylake_nb.storage import chunk_hash


def leftovers(root: Path) -> list[str]:
    """Names in the chunk store that are not chunks (temporary files, tombstones)."""
    return sorted(p.name for p in root.rglob(".*"))


# -- repair ----------------------------------------------------------------


def flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    path.write_bytes(raw)


def truncate(path: Path) -> None:
    os.truncate(path, path.stat().st_size // 2)


def extend(path: Path) -> None:
    with open(path, "ab") as f:
        f.write(b"\0" * 10)


@pytest.mark.parametrize("damage", [flip_byte, truncate, extend], ids=["flipped-byte", "truncated", "too-long"])
def test_put_of_same_data_repairs_damaged_chunk(tmp_path: Path, damage: Callable[[Path], None]) -> None:
    store = ChunkStore(tmp_path / "chunks")
    data = os.urandom(100_000)
    digest = store.put(data)
    path = store.path_for(digest)
    damage(path)
    assert store.verify(digest) == "corrupt"
    with pytest.raises(CorruptChunkError):
        store.get(digest)

    assert store.put(data) == digest
    assert store.get(digest) == data
    assert store.verify(digest) is None
    assert leftovers(store.root) == []


def test_put_of_existing_sound_chunk_refreshes_mtime_without_rewriting(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "chunks")
    data = os.urandom(10_000)
    digest = store.put(data)
    path = store.path_for(digest)
    old = time.time() - 3600
    os.utime(path, (old, old))
    inode = path.stat().st_ino

    store.put(data)
    st = path.stat()
    assert st.st_mtime > time.time() - 60
    assert st.st_ino == inode  # found sound, so not rewritten


def test_unknown_durability_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'write', 'commit' or 'none'"):
        ChunkStore(tmp_path, durability="always")


# -- durability: recorded syscalls --------------------------------------------


class Syscalls:
    """Pass-through wrappers around the syscalls that make writes durable.

    Events are appended in the order the calls reached the kernel (a list
    append is atomic under the GIL): ``("fsync-start"|"fsync-end", path, call,
    is_dir)`` around each fsync/fdatasync, and ``("replace", src, dst)`` once
    a rename has completed.
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, dir_fsync_delay: float = 0.0) -> None:
        self.events: list[tuple] = []
        self._calls = itertools.count()
        self._delay = dir_fsync_delay
        for name in ("fsync", "fdatasync"):
            monkeypatch.setattr(os, name, self._wrap_sync(getattr(os, name)))
        for name in ("replace", "rename"):
            monkeypatch.setattr(os, name, self._wrap_rename(getattr(os, name)))

    def _wrap_sync(self, real: Callable[[int], None]) -> Callable[[int], None]:
        def wrapper(fd: int) -> None:
            path = os.readlink(f"/proc/self/fd/{fd}")
            is_dir = stat.S_ISDIR(os.fstat(fd).st_mode)
            call = next(self._calls)
            self.events.append(("fsync-start", path, call, is_dir))
            if is_dir and self._delay:
                time.sleep(self._delay)  # a slow disk, so that concurrent puts pile up
            real(fd)
            self.events.append(("fsync-end", path, call, is_dir))

        return wrapper

    def _wrap_rename(self, real: Callable[..., None]) -> Callable[..., None]:
        def wrapper(src, dst, *args, **kwargs) -> None:
            real(src, dst, *args, **kwargs)
            self.events.append(("replace", str(src), str(dst)))

        return wrapper

    def syncs(self) -> list[tuple]:
        return [e for e in self.events if e[0] == "fsync-start"]

    def fsync_spans(self, path: str) -> list[tuple[int, int]]:
        """(start index, end index) of every completed fsync of ``path``."""
        starts = {e[2]: i for i, e in enumerate(self.events) if e[0] == "fsync-start" and e[1] == path}
        return [(starts[e[2]], i) for i, e in enumerate(self.events) if e[0] == "fsync-end" and e[2] in starts]


def put_all(store: ChunkStore, rec: Syscalls, datas: list[bytes], threads: int) -> list[bytes]:
    def one(data: bytes) -> bytes:
        digest = store.put(data)
        rec.events.append(("returned", str(store.path_for(digest))))
        return digest

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, datas))


def assert_each_put_durable_before_return(store: ChunkStore, rec: Syscalls, digests: list[bytes]) -> None:
    ev = rec.events
    for digest in digests:
        path = str(store.path_for(digest))
        (i_replace, src), = [(i, e[1]) for i, e in enumerate(ev) if e[0] == "replace" and e[2] == path]
        i_return = ev.index(("returned", path))
        assert any(end < i_replace for _, end in rec.fsync_spans(src)), f"{src} not fsynced before its rename"
        dir_spans = rec.fsync_spans(str(Path(path).parent))
        assert any(i_replace < start and end < i_return for start, end in dir_spans), (
            f"directory of {path} not fsynced between the rename and put() returning"
        )
    # Each fan-out directory's entry in the root: fsynced after the directory got
    # its first chunk, before any put into it returned.
    root = str(store.root)
    root_spans = rec.fsync_spans(root)
    for d in {str(store.path_for(g).parent) for g in digests}:
        first_replace = min(i for i, e in enumerate(ev) if e[0] == "replace" and str(Path(e[2]).parent) == d)
        first_return = min(i for i, e in enumerate(ev) if e[0] == "returned" and str(Path(e[1]).parent) == d)
        assert any(first_replace < s and e < first_return for s, e in root_spans), f"root not fsynced for {d}"


def test_write_mode_fsyncs_file_before_rename_and_directory_before_return(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ChunkStore(tmp_path / "chunks")  # "write" is the default
    rec = Syscalls(monkeypatch)
    datas = [os.urandom(20_000 + i) for i in range(64)]
    digests = put_all(store, rec, datas, threads=8)
    assert_each_put_durable_before_return(store, rec, digests)
    assert all(store.get(g) == d for g, d in zip(digests, datas))


def data_in_dirs(prefixes: set[str], n: int) -> list[bytes]:
    """``n`` distinct small chunks whose digests all fall in the given fan-out directories."""
    out: list[bytes] = []
    for i in itertools.count():
        data = i.to_bytes(8, "little") * 64
        if chunk_hash(data).hex()[:2] in prefixes:
            out.append(data)
            if len(out) == n:
                return out
    raise AssertionError("unreachable")


def test_write_mode_group_commits_directory_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ChunkStore(tmp_path / "chunks")
    # Directory fsyncs take 2 ms here, as on a slow disk, so that puts overlap.
    rec = Syscalls(monkeypatch, dir_fsync_delay=0.002)
    datas = data_in_dirs({"00", "01"}, 200)
    digests = put_all(store, rec, datas, threads=8)

    assert_each_put_durable_before_return(store, rec, digests)
    dir_syncs = [e for e in rec.syncs() if e[3]]
    print(f"\n200 puts into 2 directories from 8 threads: {len(dir_syncs)} directory fsyncs")
    assert 0 < len(dir_syncs) < 200


def test_write_mode_dedup_hit_is_durable_before_return(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The file found may be another process's unsynced write; put promises durability either way.
    store = ChunkStore(tmp_path / "chunks", durability="none")
    data = os.urandom(5000)
    digest = store.put(data)
    path = str(store.path_for(digest))

    store = ChunkStore(tmp_path / "chunks")
    rec = Syscalls(monkeypatch)
    store.put(data)
    synced = [e[1] for e in rec.syncs()]
    assert path in synced and str(Path(path).parent) in synced
    assert not [e for e in rec.events if e[0] == "replace"]  # found sound: not rewritten


def test_commit_mode_put_does_not_fsync_and_sync_fsyncs_named_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ChunkStore(tmp_path / "chunks", durability="commit")
    rec = Syscalls(monkeypatch)
    datas = [os.urandom(3000 + i) for i in range(20)]
    digests = put_all(store, rec, datas, threads=4)
    assert rec.syncs() == []
    assert len([e for e in rec.events if e[0] == "replace"]) == 20

    named, other = digests[:12], digests[12:]
    store.sync(named)
    synced = {e[1] for e in rec.syncs()}
    assert {str(store.path_for(g)) for g in named} <= synced
    assert {str(store.path_for(g).parent) for g in named} <= synced
    assert str(store.root) in synced  # the fan-out directories are new
    assert not {str(store.path_for(g)) for g in other} & synced
    # Every fsync finished before sync() returned.
    assert len([e for e in rec.events if e[0] == "fsync-end"]) == len(rec.syncs())

    with pytest.raises(CorruptChunkError, match="missing"):
        store.sync([b"\x00" * 16])


def test_none_mode_never_fsyncs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = ChunkStore(tmp_path / "chunks", durability="none")
    rec = Syscalls(monkeypatch)
    datas = [os.urandom(3000 + i) for i in range(20)]
    digests = put_all(store, rec, datas, threads=4)
    put_all(store, rec, datas, threads=4)  # dedup hits
    store.sync(digests)
    assert rec.syncs() == []
    assert all(store.get(g) == d for g, d in zip(digests, datas))


# -- a full disk --------------------------------------------------------------


def disk_full_scenario(chunks: Path, fill: Callable[[], None], unfill: Callable[[], None]) -> list[str]:
    """Write a 1 MiB chunk with too little room, then with room; return the problems seen."""
    problems = []
    store = ChunkStore(chunks)
    data = os.urandom(1 << 20)
    digest = chunk_hash(data)
    fill()
    try:
        store.put(data)
        problems.append("put succeeded without room")
    except DiskFullError as e:
        msg = str(e)
        for part in (str(store.path_for(digest).parent), f"{len(data):,} bytes", "Nothing half-written", "write again"):
            if part not in msg:
                problems.append(f"message lacks {part!r}: {msg}")
    except Exception as e:  # noqa: BLE001 - any other error is what this test reports
        problems.append(f"raised {type(e).__name__}: {e}")
    if store.path_for(digest).exists():
        problems.append("a file was left under the chunk's name")
    if leftovers(chunks):
        problems.append(f"files left behind: {leftovers(chunks)}")
    unfill()
    if store.put(data) != digest or store.get(digest) != data:
        problems.append("the put after freeing space did not store the chunk")
    return problems


def test_disk_full_raises_and_keeps_nothing(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    mnt.mkdir()
    mount = ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)]
    mounted = subprocess.run(mount, check=False, capture_output=True)
    if mounted.returncode != 0:
        # No mount here: a file-size limit makes the kernel refuse the write (EFBIG) instead.
        run_under_file_size_limit(tmp_path / "chunks")
        return
    try:
        filler = mnt / "filler"

        def fill() -> None:
            st = os.statvfs(mnt)
            with open(filler, "wb") as f:
                f.write(b"\1" * (st.f_bavail * st.f_frsize - 300 * 1024))

        problems = disk_full_scenario(mnt / "chunks", fill, filler.unlink)
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=True)
    assert problems == []


def run_under_file_size_limit(chunks: Path) -> None:
    code = (
        "import sys; sys.path[:0] = sys.argv[1:3]; from pathlib import Path;"
        "import test_local as t; p = t.disk_full_scenario(Path(sys.argv[3]), t.limit_file_size, t.unlimit);"
        "print(p); sys.exit(1 if p else 0)"
    )
    r = subprocess.run([sys.executable, "-c", code, str(Path(__file__).parent), str(Path(__file__).resolve().parents[2]),
                        str(chunks)],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (300 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))


def unlimit() -> None:
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    resource.setrlimit(resource.RLIMIT_FSIZE, (hard, hard))


def test_file_size_limit_raises_disk_full(tmp_path: Path) -> None:
    # EFBIG is "no room" too; the limit applies only to the child process.
    run_under_file_size_limit(tmp_path / "chunks")


def test_remove_stale_temps(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "chunks")
    digest = store.put(b"kept")
    d = store.path_for(digest).parent
    old, young = d / ".tmp-old", d / ".tmp-young"
    old.write_bytes(b"x")
    young.write_bytes(b"y")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert list(store.iter_digests()) == [digest]
    assert store.remove_stale_temps(3600) == 1
    assert not old.exists() and young.exists() and store.get(digest) == b"kept"


# -- the gc race ---------------------------------------------------------------


def backdate(path: Path, seconds: float = 100) -> None:
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_remove_if_older_deletes_an_old_chunk(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "chunks")
    data = os.urandom(4096)
    digest = store.put(data)
    backdate(store.path_for(digest))
    assert store.remove_if_older(digest, cutoff=time.time() - 10) == 4096
    assert not store.exists(digest)
    assert leftovers(store.root) == []
    assert store.remove_if_older(digest, cutoff=time.time()) is None  # already gone


def test_remove_if_older_keeps_a_chunk_a_writer_just_referenced(tmp_path: Path) -> None:
    store = ChunkStore(tmp_path / "chunks")
    data = os.urandom(4096)
    digest = store.put(data)
    backdate(store.path_for(digest))
    store.put(data)  # a writer references it: a dedup hit refreshes the mtime
    assert store.remove_if_older(digest, cutoff=time.time() - 10) is None
    assert store.get(digest) == data
    assert leftovers(store.root) == []


def test_remove_if_older_never_loses_a_chunk_put_concurrently(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer's dedup-hit put and the collector race, 500 times.

    Each round the collector backdates the chunk (as if it had aged past the
    grace period, unreferenced), then both start at once: the writer, after a
    random pause, puts the same data; the collector calls ``remove_if_older``.
    The collector is made to lose the CPU for a random moment after each stat
    (a pass-through wrapper that sleeps after the real call), which is where a
    real collector is exposed. When put returns the chunk must be readable,
    and when the round is over it must still be there. A collector doing
    stat-then-unlink fails this in dozens of rounds: it sees the old mtime,
    the writer refreshes it and returns, and then it unlinks a referenced chunk.
    """
    store = ChunkStore(tmp_path / "chunks", durability="none")
    data = os.urandom(64 * 1024)
    digest = store.put(data)
    path = store.path_for(digest)
    rounds = 500
    start, end, checked = threading.Barrier(2), threading.Barrier(2), threading.Barrier(2)
    failures: list[str] = []
    absent_right_after_put = removed = 0

    real_stat = os.stat

    def preempted_stat(*args: Any, **kwargs: Any) -> os.stat_result:
        result = real_stat(*args, **kwargs)
        if threading.current_thread().name == "collector":
            time.sleep(random.random() * 300e-6)
        return result

    monkeypatch.setattr(os, "stat", preempted_stat)

    def writer() -> None:
        nonlocal absent_right_after_put
        for i in range(rounds):
            start.wait()
            time.sleep(random.random() * 300e-6)
            store.put(data)
            absent_right_after_put += not path.exists()
            try:
                if store.get(digest) != data:
                    failures.append(f"round {i}: wrong data right after put")
            except CorruptChunkError as e:
                failures.append(f"round {i}, right after put: {e}")
            end.wait()
            if not path.exists():
                failures.append(f"round {i}: chunk gone when the round ended")
                store.put(data)  # so the next round starts from a chunk on disk
            checked.wait()

    def collector() -> None:
        nonlocal removed
        for _ in range(rounds):
            backdate(path)
            cutoff = time.time() - 1
            start.wait()
            removed += store.remove_if_older(digest, cutoff) is not None
            end.wait()
            checked.wait()

    threads = [threading.Thread(target=writer, name="writer"), threading.Thread(target=collector, name="collector")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"\n{rounds} rounds: collector removed the chunk {removed} times (the writer then wrote it anew); "
          f"its name was briefly absent right after put {absent_right_after_put} times (a tombstone being "
          f"decided, readers wait); failures {len(failures)}")
    assert failures == []
    assert store.get(digest) == data
    assert leftovers(store.root) == []
