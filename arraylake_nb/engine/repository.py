"""The repository engine: one object per repository that the layers above talk to.

One :class:`RepoEngine` exists per repository directory per process, shared by
every Repo object and Store on that repository, so they share caches of
immutable history and the live state of sessions. It keeps the registry of
engines and the life cycle of sessions (start, join, persist, extend,
abandon) itself, and hands the rest to the modules that own each concept:
:mod:`~arraylake_nb.engine.history` (refs, ancestry, snapshots),
:mod:`~arraylake_nb.engine.commits` (commit planning, rebase, conflicts) and
:mod:`~arraylake_nb.engine.maintenance` (gc, fsck).

Layout of a repository directory::

    metastore.duckdb      commits, refs, sessions, segments (see metastore.py)
    metastore.duckdb.lock / .wait   the cross-process lease (see lease.py)
    chunks/ab/abcd...     chunk bytes, named by their hash (see storage/_local.py)
    sessions/<id>/        uncommitted changes of a session, one log per writer (see journal.py)
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import secrets
import threading
import time
import weakref
from pathlib import Path

from arraylake_nb.config import Author
from arraylake_nb.engine.commits import Committer
from arraylake_nb.engine.history import History, ResolvedRef
from arraylake_nb.engine.journal import DURABILITY_MODES, SessionFolder
from arraylake_nb.engine.maintenance import FsckResult, Maintenance
from arraylake_nb.engine.metastore import CommitRow, Metastore, SessionRecord
from arraylake_nb.engine.progress import Progress
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.snapshot import SegmentCache, Snapshot
from arraylake_nb.errors import (
    RepoNotFoundError,
    SessionAbandonedError,
    SessionCommittedError,
    SessionError,
    SessionExpiredError,
    SessionNotFoundError,
)
from arraylake_nb.storage import ChunkStorage, LocalChunkStorage

METASTORE_FILE = "metastore.duckdb"
MAX_SESSION_SECONDS = 7 * 24 * 3600


def new_session_id() -> str:
    """A new random 32-hex-digit session id."""
    return secrets.token_hex(16)


def check_expires_in(expires_in_seconds: float) -> None:
    """Check a session lifetime: positive and at most :data:`MAX_SESSION_SECONDS`.

    Raises
    ------
    SessionError
        If it is not.
    """
    if expires_in_seconds <= 0 or expires_in_seconds > MAX_SESSION_SECONDS:
        raise SessionError(
            f"expires_in must be positive and at most 7 days, got {expires_in_seconds / 86400:.2f} days."
        )


def _stat_part(path: Path) -> str:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "-"
    return f"{st.st_size}.{st.st_mtime_ns}"


_ENGINES: dict[Path, RepoEngine] = {}
_ENGINES_LOCK = threading.Lock()


class RepoEngine:
    """Everything that touches one repository's files.

    Use :meth:`open` or :meth:`create` rather than the constructor, so that a
    process shares one engine per repository.

    Attributes
    ----------
    path
        The repository's directory.
    metastore
        Its DuckDB metastore.
    chunks
        Its chunk storage (``"write"`` durability).
    cache
        Decoded segments, shared by every snapshot.
    history
        Commits, refs and snapshots (:class:`~arraylake_nb.engine.history.History`).
    committer
        Commits and rebases sessions (:class:`~arraylake_nb.engine.commits.Committer`).
    maintenance
        gc and fsck (:class:`~arraylake_nb.engine.maintenance.Maintenance`).
    """

    def __init__(self, path: Path, metastore: Metastore | None = None, chunks: ChunkStorage | None = None) -> None:
        self.path = Path(path)
        self.metastore = metastore if metastore is not None else Metastore(self.path / METASTORE_FILE)
        if chunks is None:
            self._chunk_stores = {d: LocalChunkStorage(self.path / "chunks", durability=d) for d in DURABILITY_MODES}
        else:
            # A given chunk storage has one durability of its own: every session uses it as it is.
            self._chunk_stores = dict.fromkeys(DURABILITY_MODES, chunks)
        self.chunks = self._chunk_stores["write"]
        self.cache = SegmentCache(self.metastore)
        self.sessions_dir = self.path / "sessions"
        # Weak: a session nobody holds any more needs no live state here.
        self._states: weakref.WeakValueDictionary[str, SessionView] = weakref.WeakValueDictionary()
        self.history = History(self.metastore, self.cache)
        self.committer = Committer(self.metastore, self.history, self._chunk_stores["commit"])
        self.maintenance = Maintenance(self.metastore, self.cache, self.chunks, self.sessions_dir, self._states)

    # -- registry -------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> RepoEngine:
        """The shared engine for the repository at ``path`` (which must exist)."""
        path = Path(path).resolve()
        with _ENGINES_LOCK:
            eng = _ENGINES.get(path)
            # An engine inherited through fork holds the parent's DuckDB connection and locks.
            if eng is not None and eng._pid == os.getpid():
                return eng
            if not (path / METASTORE_FILE).exists():
                raise RepoNotFoundError(f"No repository at {path}.")
            eng = cls(path)
            eng._pid = os.getpid()
            _ENGINES[path] = eng
            return eng

    @classmethod
    def from_parts(cls, metastore: Metastore, chunks: ChunkStorage) -> RepoEngine:
        """The shared engine of the repository whose metastore is ``metastore``, using ``chunks``.

        It replaces any engine this process had for that repository, so stores
        opened afterwards use these parts.
        """
        path = Path(metastore.path).resolve().parent
        if not Path(metastore.path).exists():
            raise RepoNotFoundError(f"No metastore at {metastore.path}; create the repository first.")
        eng = cls(path, metastore, chunks)
        eng._pid = os.getpid()
        with _ENGINES_LOCK:
            _ENGINES[path] = eng
        return eng

    def change_token(self) -> str:
        """A token that changes whenever refs, commits or sessions may have changed; no lease taken.

        It is built from the sizes and modification times of the metastore
        (and its write-ahead log) and of the files in the session folders, so
        any process's commit, ref change, new session or uncommitted write
        changes it, while reads (which leave these files alone) do not. A
        watcher can poll it as often as it likes without ever making a writer
        wait for the metastore.
        """
        parts: list[str] = []
        for name in (METASTORE_FILE, METASTORE_FILE + ".wal"):
            parts.append(_stat_part(self.path / name))
        try:
            folders = [e for e in os.scandir(self.sessions_dir) if e.is_dir() and not e.name.startswith(".")]
        except FileNotFoundError:
            folders = []
        for folder in sorted(folders, key=lambda e: e.name):
            try:
                files = sorted((f for f in os.scandir(folder.path) if f.name != "lock"), key=lambda f: f.name)
            except FileNotFoundError:
                continue  # removed while we looked: the metastore's stat changed too
            parts.append(folder.name)
            parts += (f"{f.name}:{_stat_part(Path(f.path))}" for f in files)
        return hashlib.blake2b("|".join(parts).encode(), digest_size=12).hexdigest()

    def drop_caches(self) -> None:
        """Forget cached commits and snapshots (re-read from the metastore when next needed)."""
        self.history.forget_all()

    @classmethod
    def create(cls, path: Path, name: str) -> RepoEngine:
        """Create an empty repository called ``name`` at ``path`` and open it."""
        path = Path(path).resolve()
        (path / "chunks").mkdir(parents=True, exist_ok=True)
        (path / "sessions").mkdir(exist_ok=True)
        ms = Metastore(path / METASTORE_FILE)
        try:
            ms.initialize(name, time.time())
        finally:
            ms.close()
        return cls.open(path)

    @classmethod
    def forget(cls, path: Path) -> None:
        """Drop and close the shared engine of ``path`` (before deleting it)."""
        path = Path(path).resolve()
        with _ENGINES_LOCK:
            eng = _ENGINES.pop(path, None)
        if eng is not None:
            eng.metastore.close()

    _pid = -1

    # -- history (see history.py) ------------------------------------------
    def commit_row(self, commit_id: str) -> CommitRow | None:
        """See :meth:`History.commit_row <arraylake_nb.engine.history.History.commit_row>`."""
        return self.history.commit_row(commit_id)

    def snapshot(self, commit_id: str | None) -> Snapshot:
        """See :meth:`History.snapshot <arraylake_nb.engine.history.History.snapshot>`."""
        return self.history.snapshot(commit_id)

    def ancestry(self, commit_id: str | None, limit: int | None = None) -> list[CommitRow]:
        """See :meth:`History.ancestry <arraylake_nb.engine.history.History.ancestry>`."""
        return self.history.ancestry(commit_id, limit)

    def resolve(self, ref: str) -> ResolvedRef:
        """See :meth:`History.resolve <arraylake_nb.engine.history.History.resolve>`."""
        return self.history.resolve(ref)

    def branch_tip(self, branch: str) -> str | None:
        """See :meth:`History.branch_tip <arraylake_nb.engine.history.History.branch_tip>`."""
        return self.history.branch_tip(branch)

    # -- sessions -------------------------------------------------------
    def chunk_store(self, durability: str) -> ChunkStorage:
        """The chunk store that writes with this durability."""
        return self._chunk_stores[durability]

    def folder_for(self, session_id: str, durability: str = "write") -> SessionFolder:
        """The folder of session ``session_id`` (which need not exist yet)."""
        return SessionFolder(self.sessions_dir / session_id, durability)

    def _state_for(self, meta: SessionRecord, folder: SessionFolder | None) -> SessionView:
        state = SessionView(meta, self.history.snapshot(meta.base_commit), folder)
        state.on_first_write = self.persist_session
        state.commit_lookup = lambda: self._commit_of_session(meta.id)
        self._states[meta.id] = state
        return state

    def new_session(
        self,
        *,
        branch: str | None,
        base_commit: str | None,
        for_writing: bool,
        expires_in_seconds: float,
        author: Author,
        message: str | None = None,
        persist: bool = False,
        durability: str = "write",
    ) -> SessionView:
        """Start a session on ``base_commit`` (the tip of ``branch`` when writing).

        The session is persisted (folder and metastore row) on its first write,
        or at once with ``persist``; until then it exists only in this process.

        Raises
        ------
        SessionError
            If ``expires_in_seconds`` is not positive or exceeds 7 days.
        """
        check_expires_in(expires_in_seconds)
        now = time.time()
        meta = SessionRecord(
            id=new_session_id(),
            branch=branch,
            base_commit=base_commit,
            author_name=author.name,
            author_email=author.email,
            message=message,
            start_time=now,
            expiration=now + expires_in_seconds,
            for_writing=for_writing and branch is not None,
        )
        state = self._state_for(meta, self.folder_for(meta.id, durability) if meta.for_writing else None)
        if persist and meta.for_writing:
            self.persist_session(state)
        return state

    def live_session(self, session_id: str) -> SessionView | None:
        """The view of a session this process already has, if any."""
        return self._states.get(session_id)

    def persist_session(self, state: SessionView) -> None:
        """Make a new session joinable by other processes (its folder, then its metastore row)."""
        # The folder first, then the row: a row never names a session whose
        # folder is missing, and the folder alone can rebuild a lost row.
        m = state.meta
        assert state.folder is not None
        state.folder.create({**dataclasses.asdict(m), "durability": state.folder.durability})
        self.metastore.insert_session(m)
        state.persisted = True

    def read_only_view(self, commit_id: str | None, *, session_id: str | None = None,
                       branch: str | None = None) -> SessionView:
        """A view of one commit that can never write (not persisted, no folder)."""
        now = time.time()
        meta = SessionRecord(session_id or new_session_id(), branch, commit_id, None, None, None,
                           now, now + MAX_SESSION_SECONDS, for_writing=False)
        return self._state_for(meta, None)

    def join_session(self, session_id: str) -> SessionView:
        """The live state of a persisted session, replayed from its logs.

        A session whose metastore row was lost (a metastore restored from a
        backup older than the session) is rebuilt from its folder.
        """
        existing = self._states.get(session_id)
        if existing is not None and existing.persisted and not existing.abandoned:
            existing.sync()
            return existing
        folder = self.folder_for(session_id)
        row = self.metastore.get_session(session_id)
        if row is None and folder.exists():
            row = self._restore_session_row(folder)
        if row is None:
            raise SessionNotFoundError(
                f"Session {session_id!r} does not exist in this repository (sessions appear once "
                "they hold a change). See repo.list_active_sessions()."
            )
        committed = self._commit_of_session(session_id)
        if committed is not None:
            raise SessionCommittedError(
                f"Session {session_id} was already committed as {committed}; check out a branch "
                "(repo.checkout('main')) to write again.",
                commit_id=committed,
            )
        closed = folder.closed() if folder.exists() else None
        if row.status == "abandoned" or (closed is not None and closed.state == "abandoned"):
            raise SessionAbandonedError(f"Session {session_id} was abandoned; start a new one with repo.checkout().")
        if not folder.exists():
            raise SessionNotFoundError(
                f"Session {session_id!r} has no folder under {self.sessions_dir} any more (it was cleaned up "
                "after it ended). Start a new session with repo.checkout()."
            )
        meta = row
        meta.for_writing = bool(row.for_writing)
        folder.durability = str(folder.description().get("durability", "write"))
        state = self._state_for(meta, folder)
        state.persisted = True
        state.sync()
        if time.time() > state.meta.expiration:
            raise SessionExpiredError(
                f"Session {session_id} has expired; its changes can no longer be committed. Start a new session with repo.checkout()."
            )
        return state

    def _restore_session_row(self, folder: SessionFolder) -> SessionRecord | None:
        d = folder.description()
        fields = {f.name for f in dataclasses.fields(SessionRecord)}
        if not fields - {"status", "for_writing"} <= set(d):
            raise SessionError(
                f"Session {folder.path.name} cannot be rebuilt: its description {folder.path / 'session.json'} "
                "is damaged and the metastore has no row for it. Its changes stay in that folder."
            )
        meta = SessionRecord(**{k: v for k, v in d.items() if k in fields})
        if meta.base_commit and self.history.commit_row(meta.base_commit) is None:
            raise SessionError(
                f"Session {meta.id} started from commit {meta.base_commit}, which this metastore does not "
                "have (it was restored from an older backup?). Restore a metastore that has that commit; "
                f"the session's changes are kept in {folder.path}."
            )
        meta.status = "active"
        self.metastore.insert_session(meta)
        return meta

    def _commit_of_session(self, session_id: str) -> str | None:
        return self.metastore.commit_of_session(session_id)

    def list_active_sessions(self) -> list[SessionRecord]:
        """Persisted sessions that are neither committed, abandoned nor expired, oldest first."""
        now = time.time()
        rows = self.metastore.list_sessions("active")
        active = []
        for r in rows:
            live = self._states.get(r.id)
            if live is not None:
                live.sync()
                if live.abandoned:
                    continue
                r.expiration = live.meta.expiration
            else:
                closed = self.folder_for(r.id).closed()
                if closed is not None and closed.state in ("abandoned", "committed", "expired", "gone"):
                    continue
            if r.expiration > now:
                active.append(r)
        return active

    def abandon(self, state: SessionView) -> None:
        """Abandon a session; writes racing it land before it or fail with SessionAbandonedError."""
        with state.lock:
            if state.persisted and state.folder is not None:
                with state.folder.sealed() as seal:
                    if seal.previous is not None and seal.previous.state == "committed":
                        state._closed("committed", seal.previous.commit_id)
                    seal.close("abandoned")
                self.metastore.update_session(state.meta.id, status="abandoned")
            state.mark_abandoned()

    def update_expiration(self, state: SessionView, expires_in_seconds: float) -> None:
        """Make ``state`` expire ``expires_in_seconds`` after it started (at most 7 days)."""
        check_expires_in(expires_in_seconds)
        ts = state.meta.start_time + expires_in_seconds
        state.set_expiration(ts)
        if state.persisted:
            self.metastore.update_session(state.meta.id, expiration=ts)

    # -- committing (see commits.py) ----------------------------------------
    def commit(
        self,
        state: SessionView,
        message: str,
        *,
        auto_ff: bool,
        author: Author,
        metadata: str | None = None,
        progress: Progress | None = None,
    ) -> CommitRow | None:
        """See :meth:`Committer.commit <arraylake_nb.engine.commits.Committer.commit>`."""
        return self.committer.commit(
            state, message, auto_ff=auto_ff, author=author, metadata=metadata, progress=progress
        )

    def fast_forward(self, state: SessionView) -> str | None:
        """See :meth:`Committer.fast_forward <arraylake_nb.engine.commits.Committer.fast_forward>`."""
        return self.committer.fast_forward(state)

    def changed_by(self, commit: CommitRow) -> tuple[set[str], set[str]]:
        """See :meth:`Committer.changed_by <arraylake_nb.engine.commits.Committer.changed_by>`."""
        return self.committer.changed_by(commit)

    # -- maintenance (see maintenance.py) ----------------------------------
    def reachable(self) -> tuple[set[int], dict[bytes, str]]:
        """See :meth:`Maintenance.reachable <arraylake_nb.engine.maintenance.Maintenance.reachable>`."""
        return self.maintenance.reachable()

    def session_folders(self) -> list[SessionFolder]:
        """See :meth:`Maintenance.session_folders <arraylake_nb.engine.maintenance.Maintenance.session_folders>`."""
        return self.maintenance.session_folders()

    def folder_status(self, folder: SessionFolder, now: float) -> tuple[str, set[bytes]]:
        """See :func:`arraylake_nb.engine.maintenance.folder_status`."""
        return self.maintenance.folder_status(folder, now)

    def gc(self, older_than_seconds: float, progress: Progress | None = None) -> tuple[int, int, int]:
        """See :meth:`Maintenance.gc <arraylake_nb.engine.maintenance.Maintenance.gc>`."""
        return self.maintenance.gc(older_than_seconds, progress)

    def fsck(self, progress: Progress | None = None) -> FsckResult:
        """See :meth:`Maintenance.fsck <arraylake_nb.engine.maintenance.Maintenance.fsck>`."""
        return self.maintenance.fsck(progress)
