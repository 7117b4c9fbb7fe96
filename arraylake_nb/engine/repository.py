"""The repository engine: refs, sessions and the commit procedure.

One :class:`RepoEngine` exists per repository directory per process, shared by
every Repo object and Store on that repository, so they share caches of
immutable history and the live state of sessions.

Layout of a repository directory::

    metastore.duckdb      commits, refs, sessions, segments (see metastore.py)
    metastore.duckdb.lock / .wait   the cross-process lease (see lease.py)
    chunks/ab/abcd...     chunk bytes, named by their hash (see chunkstore.py)
    sessions/<id>/        uncommitted changes of a session, one log per writer (see journal.py)
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
import secrets
import shutil
import threading
import time
import weakref
from collections import OrderedDict, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.chains import plan_merge
from arraylake_nb.storage import ChunkStorage, LocalChunkStorage
from arraylake_nb.config import Author
from arraylake_nb.errors import (
    ConflictError,
    RefNotFoundError,
    RepoNotFoundError,
    SessionAbandonedError,
    SessionCommittedError,
    SessionError,
    SessionExpiredError,
    SessionNotFoundError,
)
from arraylake_nb.engine.journal import DURABILITY_MODES, SessionFolder, SetExpiration, SetValue, encode_inline_segments
from arraylake_nb.engine.metastore import CommitRow, EntryBatch, Metastore, SessionRecord
from arraylake_nb.engine.progress import Progress, no_progress
from arraylake_nb.engine.segments import inline_index, segment_id
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.snapshot import SegmentCache, Snapshot
from arraylake_nb.engine.values import (
    DELETED,
    Chain,
    Change,
    ChunkRef,
    Doc,
    Value,
    decode_chain,
    encode_chain,
)

METASTORE_FILE = "metastore.duckdb"
MAX_SESSION_SECONDS = 7 * 24 * 3600


def new_commit_id() -> str:
    """A 24-hex-digit id: 4 bytes of time (so ids sort roughly by age), 8 random."""
    return int(time.time()).to_bytes(4, "big").hex() + secrets.token_hex(8)


def new_session_id() -> str:
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


def deleted_node_dirs(changes: Mapping[str, Change]) -> set[str]:
    """Directories (``"a/b/"``) of the nodes whose metadata documents ``changes`` deletes.

    Deleting a node's document deletes the node, so for conflict checks
    everything in its directory counts as changed.
    """
    return {zkeys.node_dir(k) for k, v in changes.items() if v is DELETED and zkeys.is_metadata_key(k)}


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """A ref resolved to a commit: ``kind`` is "branch", "tag" or "commit"."""

    kind: str
    name: str | None
    commit_id: str | None


#: Segments with at most this many entries are stored in their commit's row.
INLINE_MAX_ENTRIES = 64


@dataclass(slots=True)
class PreparedCommit:
    entries: EntryBatch
    inline: dict[int, dict[str, Change]]
    root_chain: Chain
    delta_segs: list[int]
    delta_paths: list[str | None]
    written: dict[int, dict[str, Change]]


_ENGINES: dict[Path, RepoEngine] = {}
_ENGINES_LOCK = threading.Lock()


class RepoEngine:
    """Everything that touches one repository's files."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.metastore = Metastore(self.path / METASTORE_FILE)
        self._chunk_stores = {d: LocalChunkStorage(self.path / "chunks", durability=d) for d in DURABILITY_MODES}
        self.chunks = self._chunk_stores["write"]
        self.cache = SegmentCache(self.metastore)
        self.sessions_dir = self.path / "sessions"
        self._commits: dict[str, CommitRow] = {}
        self._snapshots: OrderedDict[str | None, Snapshot] = OrderedDict()
        self._states: weakref.WeakValueDictionary[str, SessionView] = weakref.WeakValueDictionary()
        self._lock = threading.RLock()

    # -- registry -------------------------------------------------------
    @classmethod
    def open(cls, path: Path) -> RepoEngine:
        """The shared engine for the repository at ``path`` (which must exist)."""
        path = Path(path).resolve()
        with _ENGINES_LOCK:
            eng = _ENGINES.get(path)
            if eng is not None and eng._pid == os.getpid():
                return eng
            if not (path / METASTORE_FILE).exists():
                raise RepoNotFoundError(f"No repository at {path}.")
            eng = cls(path)
            eng._pid = os.getpid()
            _ENGINES[path] = eng
            return eng

    @classmethod
    def create(cls, path: Path, name: str) -> RepoEngine:
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

    # -- history --------------------------------------------------------
    def commit_row(self, commit_id: str) -> CommitRow | None:
        row = self._commits.get(commit_id)
        if row is None:
            row = self.metastore.get_commit(commit_id)
            if row is not None:
                self._commits[commit_id] = row
        return row

    def snapshot(self, commit_id: str | None) -> Snapshot:
        with self._lock:
            snap = self._snapshots.get(commit_id)
            if snap is not None:
                self._snapshots.move_to_end(commit_id)
                return snap
        row = self.commit_row(commit_id) if commit_id else None
        if commit_id and row is None:
            raise RefNotFoundError(f"Commit {commit_id!r} does not exist in this repository.")
        snap = Snapshot(row, self.cache)
        with self._lock:
            self._snapshots[commit_id] = snap
            while len(self._snapshots) > 16:
                self._snapshots.popitem(last=False)
        return snap

    def ancestry(self, commit_id: str | None, limit: int | None = None) -> list[CommitRow]:
        """``commit_id`` and its ancestors, newest first."""
        if commit_id is None:
            return []
        out: list[CommitRow] = []
        cid: str | None = commit_id
        while cid is not None and (limit is None or len(out) < limit):
            row = self._commits.get(cid)
            if row is None:
                # Fetch the rest of the chain in one query and cache it.
                rows = self.metastore.ancestors(cid, None if limit is None else limit - len(out))
                for r in rows:
                    self._commits[r.id] = r
                if not rows:
                    break
                out += rows
                cid = rows[-1].parent_id
                continue
            out.append(row)
            cid = row.parent_id
        return out

    def resolve(self, ref: str) -> ResolvedRef:
        """Resolve a branch, then a tag, then a commit id (or unique id prefix)."""
        if not isinstance(ref, str) or not ref:
            raise RefNotFoundError(f"Ref {ref!r} was not found in branches, tags, or commits.")
        row = self.metastore.find_ref(ref)
        if row is not None:
            return ResolvedRef(row.kind, ref, row.commit_id)
        if self.commit_row(ref) is not None:
            return ResolvedRef("commit", None, ref)
        if len(ref) >= 4 and all(c in "0123456789abcdef" for c in ref):
            matches = self.metastore.commits_with_prefix(ref)
            if len(matches) == 1:
                return ResolvedRef("commit", None, matches[0])
            if len(matches) > 1:
                raise RefNotFoundError(
                    f"Ref {ref!r} is ambiguous: it is the start of commits {', '.join(matches)}. "
                    "Give more characters of the commit id."
                )
        branches = ", ".join(r.name for r in self.metastore.list_refs("branch")) or "none"
        raise RefNotFoundError(
            f"Ref {ref!r} was not found in branches, tags, or commits. Branches: {branches}. "
            "See repo.branches, repo.tags and repo.commit_log for what exists."
        )

    def branch_tip(self, branch: str) -> str | None:
        row = self.metastore.get_ref("branch", branch)
        if row is None:
            raise RefNotFoundError(
                f"Branch {branch!r} does not exist (it may have been deleted). "
                "Create it with repo.new_branch() or check out another branch."
            )
        return row.commit_id

    # -- sessions -------------------------------------------------------
    def chunk_store(self, durability: str) -> ChunkStorage:
        """The chunk store that writes with this durability."""
        return self._chunk_stores[durability]

    def folder_for(self, session_id: str, durability: str = "write") -> SessionFolder:
        return SessionFolder(self.sessions_dir / session_id, durability)

    def _state_for(self, meta: SessionRecord, folder: SessionFolder | None) -> SessionView:
        state = SessionView(meta, self.snapshot(meta.base_commit), folder)
        state.on_first_write = self._persist_session
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
            self._persist_session(state)
        return state

    def _persist_session(self, state: SessionView) -> None:
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
        if meta.base_commit and self.commit_row(meta.base_commit) is None:
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
        with state._lock:
            if state.persisted and state.folder is not None:
                with state.folder.sealed() as seal:
                    if seal.previous is not None and seal.previous.state == "committed":
                        state._closed("committed", seal.previous.commit_id)
                    seal.close("abandoned")
                self.metastore.update_session(state.meta.id, status="abandoned")
            state.mark_abandoned()

    def update_expiration(self, state: SessionView, expires_in_seconds: float) -> None:
        check_expires_in(expires_in_seconds)
        ts = state.meta.start_time + expires_in_seconds
        state.set_expiration(ts)
        if state.persisted:
            self.metastore.update_session(state.meta.id, expiration=ts)

    # -- committing -----------------------------------------------------
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
        """Commit a session's changes onto its branch; None if there were none.

        ``progress(total, description)`` (a context manager yielding ``advance``)
        reports the preparation of large commits.

        The branch moves by compare-and-swap on its tip inside one DuckDB
        transaction. If the tip moved since the session started, the session
        is rebased onto it when no path changed on both sides (``auto_ff``),
        otherwise :class:`ConflictError` is raised and the session is intact.
        """
        with state._lock:
            state.sync()
            state.check_writable()
            if not state.persisted or state.folder is None:
                # Never written to, so no other process can have joined it: no seal
                # needed. This only moves the session onto the branch tip.
                return self._commit_sealed(state, message, auto_ff=auto_ff, author=author, metadata=metadata, progress=progress)
            with state.folder.sealed() as seal:
                # No append is in flight or can start: the logs are final.
                if seal.previous is not None and seal.previous.state != "committing":
                    state._closed(seal.previous.state, seal.previous.commit_id)
                state.sync(final=True)
                state.check_writable()
                row = self._commit_sealed(state, message, auto_ff=auto_ff, author=author, metadata=metadata, progress=progress)
                if row is None:
                    return None
                seal.close("committed", row.id)
                # The logs are in the commit now. Writers that still hold the
                # folder's lock find it gone and ask the metastore what became of it.
                trash = state.folder.move_aside()
            state.folder.close()
            shutil.rmtree(trash, ignore_errors=True)
            state.meta.status = "committed"
            state.committed_as = row.id
            return row

    def _commit_sealed(self, state: SessionView, message: str, *, auto_ff: bool, author: Author,
                       metadata: str | None, progress: Progress | None = None) -> CommitRow | None:
        branch = state.meta.branch
        assert branch is not None
        if state.durability == "commit":
            # Make every chunk the commit will reference durable before the row exists.
            self.chunk_store("commit").sync(
                v.digest for v in state.overlay.changes.values() if isinstance(v, ChunkRef)
            )
        with self.metastore.connection() as con:
            exists, tip, last_seq = self.metastore.branch_tip_and_seq(con, branch)
            if not exists:
                raise RefNotFoundError(
                    f"Branch {branch!r} no longer exists, so this session cannot commit to it. "
                    f"Recreate it with repo.new_branch({branch!r}) from a checkout, or check out another branch."
                )
            if tip != state.meta.base_commit:
                if not auto_ff:
                    raise ConflictError(
                        f"Branch {branch!r} moved to commit {tip} since this session started from "
                        f"{state.meta.base_commit}. Call repo.fast_forward() and commit again, or "
                        "commit with auto_ff=True.",
                        tip=tip,
                    )
                self._rebase_locked(state, tip)
            seq = last_seq + 1
            prepared = self._prepare(state, seq, progress)
            if prepared is None:
                return None
            parent = self.commit_row(tip) if tip else None
            row = CommitRow(
                id=new_commit_id(),
                seq=seq,
                depth=(parent.depth + 1) if parent else 0,
                parent_id=tip,
                session_id=state.meta.id,
                message=message,
                author_name=author.name,
                author_email=author.email,
                created_at=time.time(),
                root_chain=encode_chain(prepared.root_chain) or "",
                deltas=CommitRow.encode_deltas(list(zip(prepared.delta_segs, prepared.delta_paths, strict=True))),
                metadata=metadata,
                branch=branch,
                inline_segments=encode_inline_segments(
                    {inline_index(seg): e for seg, e in prepared.inline.items()}
                ) if prepared.inline else None,
            )
            self.metastore.write_commit(con, prepared.entries, row)
        for seg, entries in prepared.written.items():
            self.cache.put(seg, entries)
        self._commits[row.id] = row
        return row

    def fast_forward(self, state: SessionView) -> str | None:
        """Rebase ``state`` onto its branch tip; return the new base commit."""
        with state._lock:
            state.sync()
            if state.meta.branch is None:
                raise ConflictError("This checkout is not on a branch, so there is nothing to fast-forward to.")
            tip = self.branch_tip(state.meta.branch)
            if tip != state.meta.base_commit:
                self._rebase_locked(state, tip)
                if state.persisted:
                    self.metastore.update_session(state.meta.id, base_commit=tip or "")
            return tip

    def _rebase_locked(self, state: SessionView, tip: str | None) -> None:
        base = state.meta.base_commit
        upstream = self._commits_between(base, tip, state.meta.branch or "")
        conflicts = self._conflicts(state, upstream)
        if conflicts:
            # Both sides making the same change (say, two notebooks creating the
            # same root group) is agreement, not a conflict.
            conflicts = {k for k in conflicts if not self._same_as_upstream(state, k, tip)}
        if conflicts:
            shown = ", ".join(sorted(conflicts)[:10]) + (" ..." if len(conflicts) > 10 else "")
            raise ConflictError(
                f"Cannot fast-forward: {len(conflicts)} path(s) changed both in this session and on "
                f"branch {state.meta.branch!r} (now at {tip}): {shown}. Your session is intact: "
                "inspect with repo.status(), then abandon or redo the conflicting changes on top of the "
                "new tip (repo.checkout(branch)), or commit them to a new branch.",
                paths=conflicts,
                tip=tip,
            )
        state.base = self.snapshot(tip)
        state.meta.base_commit = tip

    def _same_as_upstream(self, state: SessionView, key: str, tip: str | None) -> bool:
        mine = state.overlay.changes.get(key)
        if mine is None:
            return False  # changed through a deleted directory: not a plain value
        snap = self.snapshot(tip)
        theirs: Value | None = snap.paths.get(key)
        if theirs is None and not zkeys.is_metadata_key(key):
            for d in zkeys.ancestors(key):
                chain = snap.arrays.get(d)
                if chain is not None:
                    theirs = snap.manifest(chain).get(key[len(d) + 1 :] if d else key)
                    break
        if mine is DELETED:
            return theirs is None
        if isinstance(mine, Doc):
            return isinstance(theirs, Doc) and theirs.data == mine.data
        return mine == theirs

    def _commits_between(self, base: str | None, tip: str | None, branch: str) -> list[CommitRow]:
        if tip is None:
            raise ConflictError(f"Branch {branch!r} was reset to an empty state; start a new session.", tip=tip)
        tip_row = self.commit_row(tip)
        base_depth = self.commit_row(base).depth if base else -1
        assert tip_row is not None
        rows = self.ancestry(tip, max(tip_row.depth - base_depth, 0) + 1)
        between = [r for r in rows if r.depth > base_depth]
        last = between[-1].parent_id if between else tip
        if last != base:
            raise ConflictError(
                f"Branch {branch!r} was moved to commit {tip}, which does not descend from this session's "
                f"base {base}. Your session is intact; commit it to a new branch, or start over from the branch.",
                tip=tip,
            )
        return between

    def changed_by(self, commit: CommitRow) -> tuple[set[str], set[str]]:
        """Keys a commit wrote or deleted, and directories of nodes it deleted."""
        keys: set[str] = set()
        deleted_dirs: set[str] = set()
        parent: Snapshot | None = None
        for seg, path in commit.delta_segments():
            entries = self.cache.segment(seg)
            if path is None:
                for k, v in entries.items():
                    if isinstance(v, Doc) and v.is_array:
                        # An array document is rewritten whenever its chunks change (it
                        # carries their chain); only a change of the document itself counts.
                        parent = parent or self.snapshot(commit.parent_id)
                        old = parent.paths.get(k)
                        if isinstance(old, Doc) and old.data == v.data:
                            continue
                    keys.add(k)
                deleted_dirs |= deleted_node_dirs(entries)
            else:
                prefix = f"{path}/" if path else ""
                keys.update(prefix + rel for rel in entries)
        return keys, deleted_dirs

    def _conflicts(self, state: SessionView, upstream: list[CommitRow]) -> set[str]:
        up_keys: set[str] = set()
        up_dirs: set[str] = set()
        for c in upstream:
            k, d = self.changed_by(c)
            up_keys |= k
            up_dirs |= d
        ov = state.overlay
        mine = set(ov.changes)
        my_dirs = set(ov.deleted_prefixes) | deleted_node_dirs(ov.changes)
        conflicts = mine & up_keys
        if my_dirs:
            conflicts |= {k for k in up_keys if any(k.startswith(d) for d in my_dirs)}
        if up_dirs:
            conflicts |= {k for k in mine if any(k.startswith(d) for d in up_dirs)}
        return conflicts

    def _prepare(self, state: SessionView, seq: int, progress: Progress | None = None) -> PreparedCommit | None:
        """Turn a session's overlay into new segments against its (current) base."""
        view = state
        base = state.base
        ov = state.overlay
        path_delta: dict[str, Change] = {}
        chunk_delta: dict[str, dict[str, Change]] = defaultdict(dict)
        # Changes that leave a key as it was in the base (deleting what never
        # existed, rewriting identical bytes) are dropped, so they never make
        # a commit on their own.
        with (progress or no_progress)(len(ov.changes), "Preparing commit") as advance:
            self._split_changes(view, ov, base, path_delta, chunk_delta, advance)
        final_arrays = view.arrays()
        for p in ov.deleted_prefixes:
            for key in base.paths:
                if key.startswith(p) and key not in ov.changes:
                    path_delta[key] = DELETED
            for a, chain in final_arrays.items():
                adir = f"{a}/" if a else ""
                # Arrays that got their chunks in this session had deletions
                # inside them recorded key by key (see SessionView.delete_prefix).
                if p.startswith(adir) and p != adir and not view.explicit_chain(a):
                    for rel in view.base.manifest(chain).keys():
                        if (adir + rel).startswith(p) and (adir + rel) not in ov.changes:
                            chunk_delta[a][rel] = DELETED
        return self._segments(view, base, seq, path_delta, chunk_delta, final_arrays)

    @staticmethod
    def _split_changes(view, ov, base, path_delta, chunk_delta, advance) -> None:  # noqa: ANN001
        """Sort a session's changes into the path map and the arrays' manifests."""
        for key, v in ov.changes.items():
            advance()
            if zkeys.is_metadata_key(key):
                old = base.paths.get(key)
                if v is DELETED and old is None:
                    continue
                if isinstance(v, Doc) and isinstance(old, Doc) and v.data == old.data and (
                    v.manifest is None or v.manifest == old.manifest
                ):
                    continue
                path_delta[key] = v
                continue
            owner = view.owner(key)
            if owner is not None:
                rel = key[len(owner) + 1 :] if owner else key
                current = view.manifest(owner).get(rel)
                if (v is DELETED and current is None) or v == current:
                    if key in base.paths:
                        path_delta[key] = DELETED
                    continue
                chunk_delta[owner][rel] = v
                if key in base.paths:
                    path_delta[key] = DELETED
            elif not (v is DELETED and key not in base.paths) and v != base.paths.get(key):
                path_delta[key] = v

    def _segments(self, view, base, seq, path_delta, chunk_delta, final_arrays) -> PreparedCommit | None:  # noqa: ANN001
        """New segments (inline when small) for the changes, with merges planned."""
        if not path_delta and not chunk_delta:
            return None

        table_ids = (segment_id(seq, i) for i in itertools.count())
        inline_ids = (segment_id(seq, i, inline=True) for i in itertools.count())
        entries = EntryBatch()
        inline: dict[int, dict[str, Change]] = {}
        written: dict[int, dict[str, Change]] = {}
        delta_segs: list[int] = []
        delta_paths: list[str | None] = []

        def store(segment: dict[str, Change]) -> int:
            if len(segment) <= INLINE_MAX_ENTRIES:
                seg = next(inline_ids)
                inline[seg] = segment
            else:
                seg = next(table_ids)
                for key, v in segment.items():
                    _add_entry(entries, seg, key, v)
            written[seg] = segment
            return seg

        def push(chain: Chain, segment: dict[str, Change]) -> tuple[int, Chain]:
            seg = store(segment)
            chain = ((seg, len(segment)),) + chain
            while k := plan_merge(chain):
                merged: dict[str, Change] = {}
                for s, _ in reversed(chain[:k]):
                    merged.update(written[s] if s in written else self.cache.segment(s))
                if k == len(chain):
                    merged = {key: v for key, v in merged.items() if v is not DELETED}
                chain = ((store(merged), len(merged)),) + chain[k:]
            return seg, chain

        for a, delta in chunk_delta.items():
            seg, chain = push(final_arrays.get(a, ()), dict(delta))
            delta_segs.append(seg)
            delta_paths.append(a)
            doc_key = view.array_doc_key(a)
            assert doc_key is not None
            doc = view.doc_at(doc_key)
            assert isinstance(doc, Doc)
            path_delta[doc_key] = Doc(doc.data, True, chain)
        for key, v in list(path_delta.items()):
            if isinstance(v, Doc) and v.is_array and v.manifest is None:
                path_delta[key] = Doc(v.data, True, base.arrays.get(zkeys.node_path(key), ()))
        seg, root_chain = push(base.root_chain, dict(path_delta))
        delta_segs.append(seg)
        delta_paths.append(None)
        return PreparedCommit(entries, inline, root_chain, delta_segs, delta_paths, written)

    # -- integrity --------------------------------------------------------
    def reachable(self) -> tuple[set[int], dict[bytes, str]]:
        """Segments, and chunk digests with a key naming each, reachable from any commit.

        Every segment referenced by a commit's path-map chain, its own changes,
        or the manifest chain of an array document in those is read once; a
        reference shadowed within one chain is still kept, because an older
        commit sees it (so this errs on the side of keeping data).
        """
        todo: list[tuple[int, str | None]] = []
        for commit in self.metastore.all_commits():
            todo += [(s, None) for s, _ in decode_chain(commit.root_chain) or ()]
            todo += commit.delta_segments()
        segs: set[int] = set()
        digests: dict[bytes, str] = {}
        while todo:
            seg, array = todo.pop()
            if seg in segs:
                continue
            segs.add(seg)
            for key, v in self.cache.segment(seg).items():
                if isinstance(v, ChunkRef):
                    digests.setdefault(v.digest, key if array is None else zkeys.join(array, key))
                elif isinstance(v, Doc) and v.is_array and v.manifest:
                    todo += [(s, zkeys.node_path(key)) for s, _ in v.manifest]
        return segs, digests

    def session_folders(self) -> list[SessionFolder]:
        """Every session folder on disk."""
        if not self.sessions_dir.exists():
            return []
        return [self.folder_for(p.name) for p in sorted(self.sessions_dir.iterdir())
                if p.is_dir() and not p.name.startswith(".")]

    def folder_status(self, folder: SessionFolder, now: float) -> tuple[str, set[bytes]]:
        """("live" | "committed" | "abandoned" | "expired" | "gone", chunk digests its logs name)."""
        closed = folder.closed()
        if closed is not None and closed.state != "committing":
            return closed.state, set()
        try:
            expiration = float(folder.description().get("expiration", math.inf))  # type: ignore[arg-type]
        except FileNotFoundError:
            return "gone", set()
        digests: set[bytes] = set()
        last_extension = (-1, "")
        for batch in folder.read_all():
            for stamp, r in batch.stamped():
                if isinstance(r, SetValue) and isinstance(r.value, ChunkRef):
                    digests.add(r.value.digest)
                elif isinstance(r, SetExpiration) and stamp > last_extension:
                    last_extension, expiration = stamp, r.timestamp
        return ("live" if expiration > now else "expired"), digests

    def gc(self, older_than_seconds: float) -> tuple[int, int, int]:
        """Remove chunk files and session folders nothing can reach any more.

        Kept: chunks reachable from any commit, chunks named by the logs of any
        live session, and any file younger than ``older_than_seconds`` (a chunk
        a writer has stored but not yet logged). Removed: older chunk files
        nothing references, and folders of sessions that were committed,
        abandoned or have expired. Returns (chunks removed, bytes freed,
        session folders removed).

        Live sessions are read *before* commits: a session that commits in
        between is then found among the commits, and one that starts in between
        writes only young files. A writer that reuses an old chunk file
        refreshes its time, and the chunk store's removal re-checks that time
        after taking the file out of place (see ChunkStorage.remove_if_older).
        """
        now = time.time()
        cutoff = now - older_than_seconds
        keep: set[bytes] = set()
        ended: list[SessionFolder] = []
        for folder in self.session_folders():
            status, digests = self.folder_status(folder, now)
            keep |= digests
            if status != "live":
                ended.append(folder)
        _, reachable = self.reachable()
        keep |= set(reachable)
        removed = freed = 0
        for digest in list(self.chunks.iter_digests()):
            if digest not in keep:
                size = self.chunks.remove_if_older(digest, cutoff)
                if size is not None:
                    removed += 1
                    freed += size
        self.chunks.remove_stale_temps(older_than_seconds)
        folders_removed = sum(self._remove_folder(f, cutoff) for f in ended)
        return removed, freed, folders_removed

    def _remove_folder(self, folder: SessionFolder, cutoff: float) -> bool:
        """Remove an ended session's folder once it is older than ``cutoff``; True if removed."""
        try:
            if max(p.stat().st_mtime for p in folder.path.iterdir()) > cutoff:
                return False
        except (FileNotFoundError, ValueError):
            pass
        try:
            with folder.sealed() as seal:
                # Re-check under the seal: an expired session may have been extended meanwhile.
                if seal.previous is None or seal.previous.state == "committing":
                    status = self.folder_status(folder, time.time())[0]
                else:
                    status = seal.previous.state
                if status == "live":
                    return False
                if status == "expired":
                    seal.close("expired")
                trash = folder.move_aside()
        except (SessionError, FileNotFoundError):
            return False  # removed by another collector meanwhile
        finally:
            folder.close()
        shutil.rmtree(trash, ignore_errors=True)
        live = self._states.get(folder.path.name)
        if live is not None and status == "expired":
            live.meta.status = "expired"
        return True


def _add_entry(entries: EntryBatch, seg: int, key: str, v: Change) -> None:
    if v is DELETED:
        entries.add(seg, key, None, None, None, None, None, True)
    elif isinstance(v, ChunkRef):
        entries.add(seg, key, v.digest, v.size, None, None, None, False)
    else:
        assert isinstance(v, Doc)
        entries.add(seg, key, None, v.size, v.data, v.is_array, encode_chain(v.manifest) if v.is_array else None, False)
