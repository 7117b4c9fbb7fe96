"""When bytes reach the disk, and what survives a lost metastore row or a racing commit.

The order tests record the real system calls (pass-through wrappers around
``os.fsync``, ``os.fdatasync``, ``os.replace`` and ``os.write``) and the moment
the commit row is written, and check that everything a commit or an
acknowledged write depends on was on disk first.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from arraylake_nb import Client
from arraylake_nb.engine.metastore import Metastore
from arraylake_nb.errors import ConfigError, SessionCommittedError


class Recorder:
    """Records fsync/fdatasync/replace/write calls (by path) and commit-row writes, in order."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        for name in ("fsync", "fdatasync", "write"):
            real = getattr(os, name)
            monkeypatch.setattr(os, name, self._wrap_fd(name, real))
        real_replace = os.replace

        def replace(src, dst, *a, **k):
            real_replace(src, dst, *a, **k)
            self._add("replace", str(dst))

        monkeypatch.setattr(os, "replace", replace)
        real_commit = Metastore.write_commit

        def write_commit(ms, con, entries, commit):
            real_commit(ms, con, entries, commit)
            self._add("commit-row", commit.id)

        monkeypatch.setattr(Metastore, "write_commit", write_commit)

    def _add(self, kind: str, what: str) -> None:
        with self._lock:
            self.events.append((kind, what))

    def _wrap_fd(self, name, real):
        def wrapper(fd, *args):
            result = real(fd, *args)
            try:
                path = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                path = "?"
            if name != "write" or path.endswith(".log"):
                self._add(name, path)
            return result

        return wrapper

    def index(self, kind: str, pred) -> int:
        return next(i for i, (k, w) in enumerate(self.events) if k == kind and pred(w))

    def last_index(self, kind: str, pred) -> int:
        return max(i for i, (k, w) in enumerate(self.events) if k == kind and pred(w))


def _chunk_files(repo_path: Path) -> list[Path]:
    return [p for p in (repo_path / "chunks").rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_write_durability_orders_chunk_then_log_then_commit_row(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = client.create_repo("org/order")
    assert client._core.durability == "write"
    a = repo.root_group.create_array("a", shape=(64,), chunks=(8,), dtype="i4", compressors=None)
    rec = Recorder(monkeypatch)
    a[:] = np.arange(64)
    cid = repo.commit("data")
    chunks = _chunk_files(repo.path)
    assert len(chunks) == 8
    log_sync = lambda w: w.endswith(".log")
    row = rec.index("commit-row", lambda w: w == cid)
    for chunk in chunks:
        placed = rec.index("replace", lambda w, c=chunk: w == str(c))
        dir_synced = rec.index("fsync", lambda w, c=chunk: w == str(c.parent))
        # The chunk's bytes were fsynced (under its temporary name) before it was put in place,
        # its directory after, and both before the log record that names it was written.
        assert any(k == "fsync" and ".tmp-" in w for k, w in rec.events[:placed])
        assert placed < dir_synced
    first_log_write = rec.index("write", log_sync)
    last_dir_sync = rec.last_index("fsync", lambda w: "/chunks/" in w and not Path(w).name.startswith(".tmp"))
    assert last_dir_sync < rec.last_index("write", log_sync)
    assert first_log_write < rec.last_index("fdatasync", log_sync) < row
    # Every log write was made durable before the commit row was written.
    assert rec.last_index("write", log_sync) < rec.last_index("fdatasync", log_sync) < row


def test_commit_durability_fsyncs_every_chunk_before_the_commit_row(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Client(root=root, durability="commit").create_repo("org/commit-mode")
    a = repo.root_group.create_array("a", shape=(64,), chunks=(8,), dtype="i4", compressors=None)
    rec = Recorder(monkeypatch)
    a[:] = np.arange(64)
    writes_done = len(rec.events)
    assert not any(k in ("fsync", "fdatasync") and "/chunks/" in w for k, w in rec.events[:writes_done])
    cid = repo.commit("data")
    row = rec.index("commit-row", lambda w: w == cid)
    for chunk in _chunk_files(repo.path):
        assert rec.index("fsync", lambda w, c=chunk: w == str(c)) < row


def test_no_durability_never_fsyncs_chunks_or_logs(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = Client(root=root, durability="none").create_repo("org/scratch")
    a = repo.root_group.create_array("a", shape=(64,), chunks=(8,), dtype="i4", compressors=None)
    rec = Recorder(monkeypatch)
    a[:] = np.arange(64)
    repo.commit("data")
    assert not any(k in ("fsync", "fdatasync") and ("/chunks/" in w or w.endswith(".log")) for k, w in rec.events)
    assert repo.root_group["a"][:].tolist() == list(range(64))


def test_a_bad_durability_setting_is_refused(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="durability must be one of"):
        Client(root=root, durability="sometimes")
    monkeypatch.setenv("ARRAYLAKE_NB_DURABILITY", "fast")
    with pytest.raises(ConfigError, match="ARRAYLAKE_NB_DURABILITY"):
        Client(root=root)


def test_joiners_write_with_the_session_durability(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    owner = Client(root=root, durability="none").create_repo("org/joined")
    owner.root_group.attrs["x"] = 1
    sid = owner.session.id
    joiner = Client(root=root, durability="write").get_repo("org/joined")
    joiner.join_session(sid)
    rec = Recorder(monkeypatch)
    joiner.root_group.attrs["y"] = 2
    assert not any(k in ("fsync", "fdatasync") and w.endswith(".log") for k, w in rec.events)


def test_a_write_after_another_process_committed_says_so(client: Client) -> None:
    repo = client.create_repo("org/race")
    arr = repo.root_group.create_array("a", shape=(4,), chunks=(1,), dtype="i4")
    arr[0] = 1
    sid = repo.session.id
    # (Across processes: tests/test_many_writers.py.)
    other = Client(root=client.root).get_repo("org/race")
    other.join_session(sid)
    cid = other.commit("from the other side")
    with pytest.raises(SessionCommittedError) as info:
        arr[1] = 2
    assert info.value.commit_id == cid
    assert cid in str(info.value) and "repo.checkout" in str(info.value)


def test_a_session_outlives_a_metastore_restored_from_an_older_backup(client: Client) -> None:
    repo = client.create_repo("org/restore")
    repo.root_group.create_array("a", shape=(4,), chunks=(2,), dtype="i4")[:] = [1, 2, 3, 4]
    repo.commit("base")
    ms = repo.path / "metastore.duckdb"
    from arraylake_nb.engine.repository import RepoEngine

    RepoEngine.forget(repo.path)
    backup = repo.path.parent / "backup.duckdb"
    shutil.copy(ms, backup)
    repo = client.get_repo("org/restore")
    repo.root_group["a"][2:] = [30, 40]
    sid = repo.session.id
    RepoEngine.forget(repo.path)
    # The metastore is lost; the backup predates the session, so it has no row for it.
    shutil.copy(backup, ms)
    restored = client.get_repo("org/restore")
    assert sid not in [s.id for s in restored.list_active_sessions()]
    restored.join_session(sid)
    assert restored.root_group["a"][:].tolist() == [1, 2, 30, 40]
    restored.commit("recovered")
    assert client.get_repo("org/restore").root_group["a"][:].tolist() == [1, 2, 30, 40]
