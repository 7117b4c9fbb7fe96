"""The committed history of a repository: commits, snapshots and refs.

Commits never change once written, so their rows and the snapshots built from
them are cached for the life of the process; refs move, so they are always
asked of the metastore (which caches them per lease epoch).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.metastore import CommitRow, CommitSummary, Metastore
from arraylake_nb.engine.segments import is_inline
from arraylake_nb.engine.snapshot import SegmentCache, Snapshot, decode_table_row
from arraylake_nb.engine.values import Change
from arraylake_nb.errors import RefNotFoundError

#: Snapshots kept decoded; each holds a path map, so a few suffice.
MAX_CACHED_SNAPSHOTS = 16


def new_commit_id() -> str:
    """A new 24-hex-digit commit id: 12 random bytes.

    The id carries no time: the first 8 digits are what every front end
    shows as the short id (``Commit.short_id``), so they must differ between
    commits made in the same second (ids of older repositories began with the
    time in seconds; they are still read and resolved as before). Nothing
    orders commits by id: history is ordered by the ``seq`` column.

    Returns
    -------
    str
        24 lowercase hex digits.
    """
    return secrets.token_hex(12)


@dataclass(frozen=True, slots=True)
class ResolvedRef:
    """A ref resolved to a commit.

    Attributes
    ----------
    kind
        ``"branch"``, ``"tag"`` or ``"commit"``.
    name
        The branch or tag name; None for a commit id.
    commit_id
        The commit the ref points at (None for a branch with no commits).
    """

    kind: str
    name: str | None
    commit_id: str | None


@dataclass(frozen=True, slots=True)
class NodeDelta:
    """What one commit did to one node (see :meth:`History.node_deltas`).

    Attributes
    ----------
    commit
        The commit.
    docs
        The node's metadata keys the commit wrote or deleted (``zarr.json``,
        ``.zarray``, ``.zattrs``, ``.zgroup``, by name) and their new values
        (:data:`~arraylake_nb.engine.values.DELETED` when removed). An array
        document is rewritten whenever its chunks change, so a document here
        may equal the one before.
    chunks_changed
        How many of the node's chunks the commit wrote or deleted.
    """

    commit: CommitRow
    docs: dict[str, Change]
    chunks_changed: int


#: The metadata documents whose changes make up a node's history.
_NODE_KEY_NAMES = (zkeys.ZARR_JSON, zkeys.ZARRAY, zkeys.ZATTRS, zkeys.ZGROUP)


class History:
    """Cached, read-only access to the commits and refs of one repository.

    Parameters
    ----------
    metastore
        The repository's metastore.
    cache
        The decoded-segment cache that snapshots read through.
    """

    def __init__(self, metastore: Metastore, cache: SegmentCache) -> None:
        self.metastore = metastore
        self.cache = cache
        self._commits: dict[str, CommitRow] = {}
        self._snapshots: OrderedDict[str | None, Snapshot] = OrderedDict()
        self._lock = threading.RLock()

    def commit_row(self, commit_id: str) -> CommitRow | None:
        """The row of commit ``commit_id``, or None if there is no such commit."""
        row = self._commits.get(commit_id)
        if row is None:
            row = self.metastore.get_commit(commit_id)
            if row is not None:
                self._commits[commit_id] = row
        return row

    def forget_all(self) -> None:
        """Drop cached commits and snapshots (read again from the metastore when next needed)."""
        with self._lock:
            self._commits.clear()
            self._snapshots.clear()

    def remember(self, row: CommitRow) -> None:
        """Cache the row of a commit this process just wrote."""
        self._commits[row.id] = row

    def snapshot(self, commit_id: str | None) -> Snapshot:
        """The state at ``commit_id`` (None: the empty state before the first commit).

        Raises
        ------
        RefNotFoundError
            If there is no such commit.
        """
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
            while len(self._snapshots) > MAX_CACHED_SNAPSHOTS:
                self._snapshots.popitem(last=False)
        return snap

    def ancestry(self, commit_id: str | None, limit: int | None = None) -> list[CommitRow]:
        """``commit_id`` and its ancestors, newest first (at most ``limit`` of them)."""
        if commit_id is None:
            return []
        out: list[CommitRow] = []
        cid: str | None = commit_id
        while cid is not None and (limit is None or len(out) < limit):
            row = self._commits.get(cid)
            if row is None:
                # One query for the rest of the chain beats one per commit.
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

    def reachable(self, tips: Iterable[str | None]) -> list[CommitSummary]:
        """The commits reachable from ``tips``, newest first (children before their parents).

        One scan of the commits table, however many refs and commits there are.

        Parameters
        ----------
        tips
            Commit ids (None entries, e.g. empty branches, are skipped).
        """
        wanted = {t for t in tips if t}
        out: list[CommitSummary] = []
        if not wanted:
            return out
        for row in self.metastore.commit_summaries():
            if row.id in wanted:
                out.append(row)
                if row.parent_id:
                    wanted.add(row.parent_id)
        return out

    def node_deltas(self, head: str | None, path: str) -> list[NodeDelta]:
        """The commits in the ancestry of ``head`` that touched node ``path``, newest first.

        A commit touched the node when its own segments hold one of the node's
        metadata keys (created, rewritten, deleted, also by deleting a group
        holding it) or chunks of the array at ``path``. Only the path is
        followed: a node moved here starts its history with the move.

        Parameters
        ----------
        head
            Where the ancestry starts (None: no commits, an empty list).
        path
            Node path (``"a/b"``; ``""`` for the root group).
        """
        keys = [zkeys.join(path, name) for name in _NODE_KEY_NAMES]
        needles = [k.encode() for k in keys]
        found: dict[int, dict[str, Change]] = {}
        chunks: dict[int, int] = {}
        table_segs: dict[int, int] = {}
        rows = self.ancestry(head)
        for i, row in enumerate(rows):
            for seg, owner in row.delta_segments():
                if owner is not None:
                    if owner == path:
                        chunks[i] = chunks.get(i, 0) + len(self.cache.segment(seg))
                    continue
                if not is_inline(seg):
                    table_segs[seg] = i
                    continue
                blob = row.inline_segments
                # Keys are stored as they are, so a blob not holding one holds no change of it.
                if blob is not None and not any(n in blob for n in needles):
                    continue
                entries = self.cache.segment(seg)
                hit = {k: entries[k] for k in keys if k in entries}
                if hit:
                    found.setdefault(i, {}).update(hit)
        if table_segs:
            for key in keys:
                for seg, *columns in self.metastore.lookup(list(table_segs), key):
                    found.setdefault(table_segs[int(seg)], {})[key] = decode_table_row(*columns)
        return [
            NodeDelta(rows[i], {zkeys.split(k)[1]: v for k, v in found.get(i, {}).items()}, chunks.get(i, 0))
            for i in sorted(set(found) | set(chunks))
        ]

    def resolve(self, ref: str) -> ResolvedRef:
        """Resolve a branch, then a tag, then a commit id (or unique id prefix).

        Raises
        ------
        RefNotFoundError
            If nothing matches, or an id prefix matches several commits.
        """
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
        """The commit ``branch`` points at now (None before its first commit).

        Raises
        ------
        RefNotFoundError
            If the branch does not exist.
        """
        row = self.metastore.get_ref("branch", branch)
        if row is None:
            raise RefNotFoundError(
                f"Branch {branch!r} does not exist (it may have been deleted). "
                "Create it with repo.new_branch() or check out another branch."
            )
        return row.commit_id
