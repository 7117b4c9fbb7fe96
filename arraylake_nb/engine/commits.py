"""Turning a session into a commit: planning, rebasing and the commit itself.

*Planning* (:func:`prepare`) turns a session's overlay into new immutable
segments against its base: one for the path map and one per array whose
chunks changed, inline in the commit row when small, with merges of the
chains planned by :mod:`arraylake_nb.engine.chains`.

*Rebasing* moves a session onto a branch tip that moved since it started,
refusing with :class:`~arraylake_nb.errors.ConflictError` when a key (or a
directory holding it) changed on both sides.

*Committing* (:meth:`Committer.commit`) seals the session folder so no write
is in flight, then, under the metastore lease, checks the branch tip, rebases
if allowed, plans and writes the commit row in one step.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from arraylake_nb.config import Author
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.chains import plan_merge
from arraylake_nb.engine.history import History, new_commit_id
from arraylake_nb.engine.journal import encode_inline_segments, remove_later
from arraylake_nb.engine.metastore import CommitRow, EntryBatch, Metastore
from arraylake_nb.engine.progress import Progress, no_progress
from arraylake_nb.engine.segments import inline_index, segment_id
from arraylake_nb.engine.session import Overlay, SessionView
from arraylake_nb.engine.snapshot import SegmentCache, Snapshot
from arraylake_nb.engine.values import DELETED, Chain, Change, ChunkRef, Doc, Value, VirtualRef, encode_chain
from arraylake_nb.errors import ConflictError, RefNotFoundError
from arraylake_nb.storage import ChunkStorage

#: Segments with at most this many entries are stored in their commit's row.
INLINE_MAX_ENTRIES = 64


@dataclass(slots=True)
class PreparedCommit:
    """The new segments of a commit, ready to be written.

    Attributes
    ----------
    entries
        Rows for the ``entries`` table (segments too large to inline).
    inline
        Segment id -> entries of the segments stored in the commit row.
    root_chain
        The chain of the new snapshot's path map.
    delta_segs, delta_paths
        The segments holding the commit's own changes, and for each the array
        it belongs to (None for the path map).
    written
        Every new segment (inline or not) by id, to seed the segment cache.
    """

    entries: EntryBatch
    inline: dict[int, dict[str, Change]]
    root_chain: Chain
    delta_segs: list[int]
    delta_paths: list[str | None]
    written: dict[int, dict[str, Change]]


def deleted_node_dirs(changes: Mapping[str, Change]) -> set[str]:
    """Directories (``"a/b/"``) of the nodes whose metadata documents ``changes`` deletes.

    Deleting a node's document deletes the node, so for conflict checks
    everything in its directory counts as changed.
    """
    return {zkeys.node_dir(k) for k, v in changes.items() if v is DELETED and zkeys.is_metadata_key(k)}


# -- planning -----------------------------------------------------------------
def prepare(state: SessionView, seq: int, cache: SegmentCache, progress: Progress | None = None) -> PreparedCommit | None:
    """Turn a session's overlay into new segments against its (current) base.

    Parameters
    ----------
    state
        The session, sealed or otherwise kept from changing meanwhile.
    seq
        The sequence number the commit will have (it numbers the segments).
    cache
        Where segments to be merged are read from.
    progress
        Reports the sorting of the session's changes.

    Returns
    -------
    PreparedCommit or None
        None when no change survives comparison with the base (deleting what
        never existed, rewriting identical bytes): such a session makes no commit.
    """
    view = state
    base = state.base
    ov = state.overlay
    path_delta: dict[str, Change] = {}
    chunk_delta: dict[str, dict[str, Change]] = defaultdict(dict)
    with (progress or no_progress)(len(ov.changes), "Preparing commit") as advance:
        _split_changes(view, ov, base, path_delta, chunk_delta, advance)
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
                for rel in view.base.manifest(chain).keys():  # noqa: SIM118 - a Manifest is not a dict
                    if (adir + rel).startswith(p) and (adir + rel) not in ov.changes:
                        chunk_delta[a][rel] = DELETED
    return _segments(view, base, seq, path_delta, chunk_delta, final_arrays, cache)


def _split_changes(
    view: SessionView,
    ov: Overlay,
    base: Snapshot,
    path_delta: dict[str, Change],
    chunk_delta: dict[str, dict[str, Change]],
    advance: Callable[..., None],
) -> None:
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
            # A key that was loose in the base became a chunk of an array:
            # it leaves the path map.
            if key in base.paths:
                path_delta[key] = DELETED
        elif not (v is DELETED and key not in base.paths) and v != base.paths.get(key):
            path_delta[key] = v


def _segments(
    view: SessionView,
    base: Snapshot,
    seq: int,
    path_delta: dict[str, Change],
    chunk_delta: dict[str, dict[str, Change]],
    final_arrays: dict[str, Chain],
    cache: SegmentCache,
) -> PreparedCommit | None:
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
                merged.update(written[s] if s in written else cache.segment(s))
            if k == len(chain):
                # Nothing older remains for a tombstone to hide.
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


def _add_entry(entries: EntryBatch, seg: int, key: str, v: Change) -> None:
    if v is DELETED:
        entries.add(seg, key, None, None, None, None, None, True)
    elif isinstance(v, ChunkRef):
        entries.add(seg, key, v.digest, v.size, None, None, None, False)
    elif isinstance(v, VirtualRef):
        entries.add(seg, key, None, v.length, None, None, None, False, v.location, v.offset, v.fingerprint)
    else:
        assert isinstance(v, Doc)
        entries.add(seg, key, None, v.size, v.data, v.is_array, encode_chain(v.manifest) if v.is_array else None, False)


# -- committing and rebasing --------------------------------------------------
class Committer:
    """Commits sessions onto their branches, rebasing them when the branch moved.

    Parameters
    ----------
    metastore
        The repository's metastore, where commits are written.
    history
        The repository's history (tips, ancestry, snapshots).
    commit_chunks
        The chunk storage with ``"commit"`` durability, which makes a
        session's chunks durable before its commit becomes visible.
    """

    def __init__(self, metastore: Metastore, history: History, commit_chunks: ChunkStorage) -> None:
        self.metastore = metastore
        self.history = history
        self.commit_chunks = commit_chunks

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
        with state.lock:
            state.sync()
            state.check_writable()
            if not state.persisted or state.folder is None:
                # Never written to, so no other process can have joined it: no seal
                # needed. This only moves the session onto the branch tip.
                return self._commit_sealed(state, message, auto_ff=auto_ff, author=author, metadata=metadata,
                                           progress=progress)
            with state.folder.sealed() as seal:
                # No append is in flight or can start: the logs are final.
                if seal.previous is not None and seal.previous.state != "committing":
                    state._closed(seal.previous.state, seal.previous.commit_id)
                state.sync(final=True)
                state.check_writable()
                row = self._commit_sealed(state, message, auto_ff=auto_ff, author=author, metadata=metadata,
                                          progress=progress)
                if row is None:
                    return None
                seal.close("committed", row.id)
                # The logs are in the commit now. Writers that still hold the
                # folder's lock read the marker from it; others find the folder gone.
                trash = state.folder.move_aside()
            state.folder.close()
            # Deleting files costs ~1 ms here, more than the rest of a small commit:
            # done off the caller's path (gc removes what a process exiting first leaves).
            remove_later(trash)
            state.meta.status = "committed"
            state.committed_as = row.id
            return row

    def _commit_sealed(self, state: SessionView, message: str, *, auto_ff: bool, author: Author,
                       metadata: str | None, progress: Progress | None = None) -> CommitRow | None:
        branch = state.meta.branch
        assert branch is not None
        if state.durability == "commit":
            # Make every chunk the commit will reference durable before the row exists.
            self.commit_chunks.sync(
                v.digest for v in state.overlay.changes.values() if isinstance(v, ChunkRef)
            )
        # The lease is held from reading the tip to writing the row, so no other
        # process can move the branch in between: that is the compare-and-swap.
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
            prepared = prepare(state, seq, self.history.cache, progress)
            if prepared is None:
                return None
            parent = self.history.commit_row(tip) if tip else None
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
            self.history.cache.put(seg, entries)
        self.history.remember(row)
        return row

    def fast_forward(self, state: SessionView) -> str | None:
        """Rebase ``state`` onto its branch tip; return the new base commit.

        Raises
        ------
        ConflictError
            If the session is not on a branch, or a key changed both in the
            session and on the branch since the session's base.
        """
        with state.lock:
            state.sync()
            if state.meta.branch is None:
                raise ConflictError("This checkout is not on a branch, so there is nothing to fast-forward to.")
            tip = self.history.branch_tip(state.meta.branch)
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
        state.base = self.history.snapshot(tip)
        state.meta.base_commit = tip

    def _same_as_upstream(self, state: SessionView, key: str, tip: str | None) -> bool:
        mine = state.overlay.changes.get(key)
        if mine is None:
            return False  # changed through a deleted directory: not a plain value
        snap = self.history.snapshot(tip)
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
        tip_row = self.history.commit_row(tip)
        base_depth = self.history.commit_row(base).depth if base else -1  # type: ignore[union-attr]
        assert tip_row is not None
        rows = self.history.ancestry(tip, max(tip_row.depth - base_depth, 0) + 1)
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
        """Keys a commit wrote or deleted, and directories of nodes it deleted.

        Returns
        -------
        keys : set of str
            Every key the commit's own segments mention, except array
            documents rewritten only because their chunks changed.
        deleted_dirs : set of str
            Directories (``"a/b/"``) of the nodes the commit deleted.
        """
        keys: set[str] = set()
        deleted_dirs: set[str] = set()
        parent: Snapshot | None = None
        for seg, path in commit.delta_segments():
            entries = self.history.cache.segment(seg)
            if path is None:
                for k, v in entries.items():
                    if isinstance(v, Doc) and v.is_array:
                        # An array document is rewritten whenever its chunks change (it
                        # carries their chain); only a change of the document itself counts.
                        parent = parent or self.history.snapshot(commit.parent_id)
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
