"""A session's view of the repository: its base snapshot plus its own changes.

The changes (the *overlay*) are rebuilt from the session folder's logs, the
single source of truth: a write appends a batch to this process's log and
applies it; reads first pick up batches other processes appended (a few
``stat`` calls when nothing changed). Batches carry Lamport stamps and the
overlay applies them so that the result does not depend on the order in
which logs are read, so every process converges on the same state.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.journal import (
    Batch,
    ClosedSignal,
    Delete,
    DeletePrefix,
    Moved,
    Record,
    Rollback,
    SessionFolder,
    SetExpiration,
    SetValue,
    StaleSealError,
)
from arraylake_nb.engine.metastore import SessionRecord
from arraylake_nb.engine.snapshot import Manifest, Snapshot
from arraylake_nb.engine.values import CHUNK_VALUE_TYPES, DELETED, EMPTY_CHAIN, Chain, Change, Doc, Value
from arraylake_nb.errors import (
    InvalidMoveError,
    NodeExistsError,
    NodeMovedError,
    NodeNotFoundError,
    NotOnBranchError,
    ReadOnlyError,
    SessionAbandonedError,
    SessionCommittedError,
    SessionError,
    SessionExpiredError,
)

READ_ONLY_MESSAGE = "store was opened in read-only mode and does not support writing"

#: (Lamport time, writer log name): a total order on records that respects causality.
Stamp = tuple[int, str]
_NEVER: Stamp = (-1, "")


@dataclass(slots=True)
class Overlay:
    """The changes of a session: per-key changes and deleted directories.

    Every change keeps the stamp of the record that made it. A record loses
    to a later-stamped change of the same key or to a later-stamped deletion
    of a directory holding it, so applying records in any order gives the
    same overlay.
    """

    changes: dict[str, Change] = field(default_factory=dict)
    stamps: dict[str, Stamp] = field(default_factory=dict)
    deleted_prefixes: dict[str, Stamp] = field(default_factory=dict)
    moved: dict[str, str] = field(default_factory=dict)  # "src/" -> dest path

    def covered(self, key: str) -> bool:
        """True if ``key`` lies in a directory this session deleted."""
        if not self.deleted_prefixes:
            return False
        if "" in self.deleted_prefixes:
            return True
        for d in zkeys.ancestors(key):
            if d and f"{d}/" in self.deleted_prefixes:
                return True
        return False

    def _deleted_after(self, key: str, stamp: Stamp) -> bool:
        dp = self.deleted_prefixes
        if not dp:
            return False
        for d in zkeys.ancestors(key):
            s = dp.get(f"{d}/" if d else "")
            if s is not None and s > stamp:
                return True
        return False

    def apply(self, record: Record, stamp: Stamp) -> None:
        """Apply one record written at ``stamp``.

        A change older than a change of the same key, or than a deletion of a directory
        holding it, is ignored, so the order records arrive in does not matter.

        Parameters
        ----------
        record
            A set, delete, directory deletion or move record.
        stamp
            Its ``(lamport, writer)`` stamp.
        """
        if isinstance(record, (SetValue, Delete)):
            key = record.key
            if self.stamps.get(key, _NEVER) > stamp or self._deleted_after(key, stamp):
                return
            self.changes[key] = record.value if isinstance(record, SetValue) else DELETED
            self.stamps[key] = stamp
        elif isinstance(record, DeletePrefix):
            p = record.prefix
            # Subsumed by a later deletion of the same or an enclosing directory.
            if any(p.startswith(q) and s >= stamp for q, s in self.deleted_prefixes.items()):
                return
            for k in [k for k in self.changes if k.startswith(p) and self.stamps[k] < stamp]:
                del self.changes[k]
                del self.stamps[k]
            for q in [q for q, s in self.deleted_prefixes.items() if q.startswith(p) and s < stamp]:
                del self.deleted_prefixes[q]
            self.deleted_prefixes[p] = stamp
        elif isinstance(record, Moved):
            self.moved[zkeys.dir_prefix(record.source)] = record.dest

    def __bool__(self) -> bool:
        return bool(self.changes or self.deleted_prefixes)


class SessionView:
    """The live state of one session in this process (shared by its stores).

    Parameters
    ----------
    meta
        The session's description.
    base
        The snapshot the session started from.
    folder
        The session's folder (``None`` for a view that can never write).
    """

    def __init__(self, meta: SessionRecord, base: Snapshot, folder: SessionFolder | None) -> None:
        self.meta = meta
        self.base = base
        self.folder = folder
        self.overlay = Overlay()
        self._clock = 0
        self._voids: set[tuple[int, int]] = set()
        self._expiration_stamp = _NEVER
        #: Held while a change is decided and appended, so check-then-write is atomic in this process.
        self.lock = threading.RLock()
        self._abandoned = meta.status == "abandoned"
        self.committed_as: str | None = None
        self.persisted = False
        self.on_first_write: Callable[[SessionView], None] | None = None
        #: Asked, when a committer died while sealing, whether its commit landed.
        self.commit_lookup: Callable[[], str | None] = lambda: None

    @property
    def durability(self) -> str:
        """The session's durability setting; ``"none"`` for a view that can never write."""
        return self.folder.durability if self.folder is not None else "none"

    # -- logs -------------------------------------------------------------
    def sync(self, *, final: bool = False) -> None:
        """Apply batches other processes appended (``final``: the session is sealed)."""
        folder = self.folder
        if folder is None or not self.persisted:
            return
        with self.lock:
            if not final and not folder.changed():
                return
            for batch in folder.read_new(final=final):
                self._apply_batch(batch)

    def _apply_batch(self, batch: Batch) -> None:
        self._clock = max(self._clock, batch.last)
        rebuild = False
        for stamp, r in batch.stamped():
            if isinstance(r, Rollback):
                self._voids.add((r.mark, stamp[0]))
                rebuild = True
            elif isinstance(r, SetExpiration):
                if stamp > self._expiration_stamp:
                    self._expiration_stamp = stamp
                    self.meta.expiration = r.timestamp
            elif not self._void(stamp[0]):
                self.overlay.apply(r, stamp)
        if rebuild:
            self._rebuild()

    def _void(self, lamport: int) -> bool:
        return any(mark < lamport < at for mark, at in self._voids)

    def _rebuild(self) -> None:
        # Rollbacks are rare: replay every log from the start with the voids known now.
        assert self.folder is not None
        self.overlay = Overlay()
        batches = self.folder.read_all()
        for batch in batches:
            for stamp, r in batch.stamped():
                if isinstance(r, Rollback):
                    self._voids.add((r.mark, stamp[0]))
        for batch in batches:
            for stamp, r in batch.stamped():
                if not isinstance(r, (Rollback, SetExpiration)) and not self._void(stamp[0]):
                    self.overlay.apply(r, stamp)

    def _write(self, records: list[Record]) -> None:
        with self.lock:
            self.sync()
            self.check_writable()
            if not self.persisted and self.on_first_write is not None:
                self.on_first_write(self)
            end = self._append(records)
        # Outside the lock, so that one fdatasync serves every thread waiting here.
        assert self.folder is not None
        self.folder.wait_durable(end)

    def _append(self, records: list[Record]) -> int:
        assert self.folder is not None
        lamport = self._clock + 1
        for _ in range(3):
            try:
                end = self.folder.append(lamport, records)
                break
            except StaleSealError:
                self.folder.resolve_stale_seal(self.commit_lookup())
            except ClosedSignal as closed:
                self._closed(closed.marker.state, closed.marker.commit_id)
        else:  # pragma: no cover - a committer would have to die three times in a row
            self._closed("committing", None)
        self._apply_batch(Batch(lamport, self.folder.own_log_name() or "", tuple(records)))
        return end

    def _closed(self, state: str, commit_id: str | None) -> None:
        """Raise the error that says the session took no more writes, and why."""
        if state == "abandoned":
            self._abandoned = True
            self.meta.status = "abandoned"
            self.check_writable()
        if state == "expired":
            self.meta.expiration = min(self.meta.expiration, time.time())
            self.check_writable()
        if state == "gone" and commit_id is None:
            commit_id = self.commit_lookup()
            if commit_id is not None:
                state = "committed"
        if state == "gone":
            raise SessionError(
                f"Session {self.meta.id} no longer exists: it ended and its folder was cleaned up. "
                "This write was not applied; check out a branch (repo.checkout('main')) to write again."
            )
        self.meta.status = "committed"
        self.committed_as = commit_id or self.committed_as
        self.check_writable()

    # -- permissions ----------------------------------------------------
    @property
    def writable(self) -> bool:
        """True if the view was checked out for writing on a branch.

        Does not look at expiry, abandonment or commit; :meth:`check_writable` does.
        """
        return self.meta.for_writing and self.meta.branch is not None and self.folder is not None

    def check_writable(self) -> None:
        """Raise unless a write to this session would be accepted now.

        Raises
        ------
        NotOnBranchError
            If the checkout is a commit, not a branch tip.
        ReadOnlyError
            If the session was checked out with ``for_writing=False``.
        SessionCommittedError
            If the session was committed.
        SessionAbandonedError
            If the session was abandoned.
        SessionExpiredError
            If the session's expiration time has passed.
        """
        if self.meta.branch is None:
            raise NotOnBranchError(
                f"{READ_ONLY_MESSAGE}: this checkout is commit {self.meta.base_commit}, not a branch tip, "
                "so you can't commit changes. Check out a branch (repo.checkout('main')) to write."
            )
        if not self.meta.for_writing or self.folder is None:
            raise ReadOnlyError(
                f"{READ_ONLY_MESSAGE}: this session was checked out with for_writing=False. "
                f"Check out branch {self.meta.branch!r} with for_writing=True to write."
            )
        if self.meta.status == "committed":
            as_commit = f" as commit {self.committed_as}" if self.committed_as else ""
            raise SessionCommittedError(
                f"Session {self.meta.id} was committed{as_commit}; it takes no more writes, and this write "
                "was not applied. Write it again in a new session: repo.checkout("
                f"{self.meta.branch!r}) starts one (arrays and groups reached through repo.root_group or "
                "repo.store follow it); other processes join it with repo.join_session(id).",
                commit_id=self.committed_as,
            )
        if self._abandoned:
            raise SessionAbandonedError(
                f"Session {self.meta.id} was abandoned and cannot be written to. "
                "Start a new one with repo.checkout()."
            )
        if time.time() > self.meta.expiration:
            raise SessionExpiredError(
                f"Session {self.meta.id} expired at {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(self.meta.expiration))}. "
                "Its changes can no longer be written or committed; start a new session with "
                "repo.checkout(), or extend a live session earlier with session.update_expiration()."
            )

    @property
    def abandoned(self) -> bool:
        """True once this process knows the session was abandoned."""
        return self._abandoned

    # -- reading --------------------------------------------------------
    def doc_at(self, key: str) -> Value | None:
        """The value of a non-chunk key (metadata or loose) in this view."""
        v = self.overlay.changes.get(key)
        if v is not None:
            return None if v is DELETED else v  # type: ignore[return-value]
        if self.overlay.covered(key):
            return None
        return self.base.paths.get(key)

    def array_doc_key(self, path: str) -> str | None:
        """The key of the array document of ``path`` if ``path`` is an array here."""
        for name in zkeys.ARRAY_DOC_NAMES:
            key = zkeys.join(path, name)
            v = self.doc_at(key)
            if isinstance(v, Doc) and v.is_array:
                return key
        return None

    def array_chain(self, path: str) -> Chain:
        """The manifest chain of array ``path`` in this view (base chain if inherited)."""
        key = self.array_doc_key(path)
        if key is None:
            return EMPTY_CHAIN
        v = self.doc_at(key)
        assert isinstance(v, Doc)
        if v.manifest is not None:
            return v.manifest
        return self.base.arrays.get(path, EMPTY_CHAIN)

    def owner(self, key: str) -> str | None:
        """The array whose chunk ``key`` is, or None for loose and metadata keys."""
        if zkeys.is_metadata_key(key):
            return None
        for d in zkeys.ancestors(key):
            if self.array_doc_key(d) is not None:
                return d
        return None

    def explicit_chain(self, path: str) -> bool:
        """True if array ``path`` got its chunk references in this session (move, copy)."""
        key = self.array_doc_key(path)
        v = self.overlay.changes.get(key) if key is not None else None
        return isinstance(v, Doc) and v.manifest is not None

    def _check_not_moved(self, key: str, owner: str | None) -> None:
        if owner is not None or not self.overlay.moved or zkeys.is_metadata_key(key):
            return
        for src, dest in self.overlay.moved.items():
            if key.startswith(src):
                raise NodeMovedError(
                    f"{src.rstrip('/')!r} was moved to {dest!r} in this session, so this handle no longer "
                    f"points at data. Reopen it from its new place, e.g. repo.root_group[{dest!r}]."
                )

    def get(self, key: str) -> Value | None:
        """The value of any key in this view."""
        self.sync()
        v = self.overlay.changes.get(key)
        if v is not None:
            return None if v is DELETED else v  # type: ignore[return-value]
        owner = self.owner(key)
        self._check_not_moved(key, owner)
        covered = self.overlay.covered(key)
        if owner is not None and (not covered or self.explicit_chain(owner)):
            ref = self.base.manifest(self.array_chain(owner)).get(key[len(owner) + 1 :] if owner else key)
            if ref is not None:
                return ref
        if covered:
            return None
        return self.base.paths.get(key)

    def arrays(self) -> dict[str, Chain]:
        """Every array in this view and its manifest chain."""
        result: dict[str, Chain] = {}
        candidates = set(self.base.arrays)
        candidates.update(zkeys.node_path(k) for k, v in self.overlay.changes.items() if isinstance(v, Doc) and v.is_array)
        for path in candidates:
            if self.array_doc_key(path) is not None:
                result[path] = self.array_chain(path)
        return result

    def iter_keys(self, prefix: str = "") -> Iterator[str]:
        """Every key in directory ``prefix`` (``""`` or ``"a/b/"``) in this view."""
        for k, _ in self.iter_items(prefix):
            yield k

    def iter_items(self, prefix: str = "") -> Iterator[tuple[str, Value]]:
        """Every key in directory ``prefix`` and its value, as :meth:`get` would return it.

        One pass over the view, with no lookup per key (what sizing a
        directory of a million chunks needs).
        """
        self.sync()
        with self.lock:
            changes = dict(self.overlay.changes)
        seen: set[str] = set()
        for k, v in changes.items():
            if k.startswith(prefix) and v is not DELETED:
                seen.add(k)
                yield k, v  # type: ignore[misc]
        covered = self.overlay.covered
        for k, v in self.base.paths.items():
            if k.startswith(prefix) and k not in changes and not covered(k):
                seen.add(k)
                yield k, v
        for path, chain in self.arrays().items():
            base_dir = f"{path}/" if path else ""
            if not (base_dir.startswith(prefix) or prefix.startswith(base_dir)):
                continue
            hide = (lambda k: False) if self.explicit_chain(path) else covered
            for rel, ref in self.base.manifest(chain).items():
                k = base_dir + rel
                if k.startswith(prefix) and k not in changes and k not in seen and not hide(k):
                    yield k, ref

    def manifest(self, path: str) -> Manifest:
        """The chunk references array ``path`` has through its chain.

        Chunks written or deleted in this session are not included; :meth:`get` sees them.

        Parameters
        ----------
        path
            Node path of the array; an empty manifest if it is not an array.
        """
        return self.base.manifest(self.array_chain(path))

    # -- writing --------------------------------------------------------
    def set(self, key: str, value: Value) -> None:
        """Record that ``key`` now holds ``value`` (chunk bytes already stored)."""
        if isinstance(value, CHUNK_VALUE_TYPES):
            self._check_not_moved(key, self.owner(key))
        records: list[Record] = []
        if isinstance(value, Doc):
            if value.is_array:
                value = Doc(value.data, True, self._chain_for_new_doc(key))
            records += self._unbind_if_array_lost(key, value)
        records.append(SetValue(key, value))
        self._write(records)

    def set_many(self, items: Iterable[tuple[str, Value]]) -> None:
        """Record several keys at once, in one durable batch: all land or none does.

        Array documents may come in the same batch as their chunks (what adding
        a virtual dataset writes); the chunks then belong to those arrays.

        Parameters
        ----------
        items
            ``(key, value)`` pairs, written in order (chunk bytes already stored).
        """
        items = list(items)
        new_arrays = {zkeys.node_path(k) for k, v in items if isinstance(v, Doc) and v.is_array}
        with self.lock:
            self.sync()
            records: list[Record] = []
            for key, value in items:
                if isinstance(value, Doc):
                    if value.is_array:
                        value = Doc(value.data, True, self._chain_for_new_doc(key))
                    records += self._unbind_if_array_lost(key, value)
                elif not any(a in new_arrays for a in zkeys.ancestors(key)):
                    self._check_not_moved(key, self.owner(key))
                records.append(SetValue(key, value))
            self._write(records)

    def delete(self, key: str) -> None:
        """Record that ``key`` is deleted; deleting a missing key is not an error.

        Parameters
        ----------
        key
            A zarr key (metadata or chunk).

        Raises
        ------
        NodeMovedError
            If ``key`` lies in a directory this session moved elsewhere.
        ReadOnlyError, SessionError
            If the session takes no writes (see :meth:`check_writable`).
        """
        self._check_not_moved(key, self.owner(key))
        records: list[Record] = self._unbind_if_array_lost(key, None)
        records.append(Delete(key))
        self._write(records)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key inside directory ``prefix`` (``""`` or ``"a/b/"``)."""
        records: list[Record] = []
        # Chunks an array got in this session (move, copy) are not hidden by a
        # deleted directory; a directory deleted inside such an array is spelled
        # out key by key (cost follows the chunks deleted).
        for path in self.arrays():
            adir = f"{path}/" if path else ""
            if prefix.startswith(adir) and prefix != adir and self.explicit_chain(path):
                records += [Delete(adir + rel) for rel in self.manifest(path).keys()  # noqa: SIM118
                            if (adir + rel).startswith(prefix)]
        records.append(DeletePrefix(prefix))
        self._write(records)

    # -- hierarchy ------------------------------------------------------
    def node_exists(self, path: str) -> bool:
        """True if a group or array document exists at ``path`` in this view."""
        return any(self.doc_at(zkeys.join(path, name)) is not None for name in zkeys.NODE_DOC_NAMES)

    def _node_records(self, source: str, dest: str) -> list[Record]:
        """Records that recreate everything under ``source`` at ``dest``, sharing chunks."""
        if not source:
            raise InvalidMoveError("The root group cannot be moved or copied; move its members instead.")
        if not self.node_exists(source):
            raise NodeNotFoundError(f"No group or array at {source!r} to move or copy.")
        if dest == source or dest.startswith(source + "/"):
            raise InvalidMoveError(f"Cannot move or copy {source!r} into itself ({dest!r}).")
        if self.node_exists(dest) or any(True for _ in self.iter_keys(zkeys.dir_prefix(dest))):
            raise NodeExistsError(f"{dest!r} already exists; delete it first or choose another name.")
        parent = zkeys.split(dest)[0]
        if parent and not self.node_exists(parent):
            raise InvalidMoveError(f"The parent group {parent!r} of {dest!r} does not exist; create it first.")
        src_dir = zkeys.dir_prefix(source)
        records: list[Record] = []
        arrays = {p for p in self.arrays() if p == source or p.startswith(src_dir)}
        covered = self.overlay.covered
        # Metadata and loose keys (O(nodes)); array documents take their chain along.
        for key in list(self.overlay.changes) + [k for k in self.base.paths if not covered(k)]:
            if not key.startswith(src_dir):
                continue
            v = self.get(key)
            if v is None:
                continue
            owner = self.owner(key)
            if owner is not None and owner in arrays and not zkeys.is_metadata_key(key):
                continue  # chunks travel with the array's chain
            if isinstance(v, Doc) and v.is_array:
                v = Doc(v.data, True, self.array_chain(zkeys.node_path(key)))
            records.append(SetValue(dest + key[len(source):], v))
        # Uncommitted chunk writes of arrays in the subtree.
        for key, v in list(self.overlay.changes.items()):
            if key.startswith(src_dir) and not zkeys.is_metadata_key(key) and self.owner(key) in arrays:
                records.append(Delete(dest + key[len(source):]) if v is DELETED else SetValue(dest + key[len(source):], v))  # type: ignore[arg-type]
        # Deduplicate (a key both in the overlay and the base): the last value wins.
        seen: dict[str, Record] = {}
        for r in records:
            seen[r.key] = r  # type: ignore[union-attr]
        return list(seen.values())

    def move(self, source: str, dest: str) -> None:
        """Move the node at ``source`` (and everything in it) to ``dest`` without copying chunks."""
        with self.lock:
            self.sync()
            self.check_writable()
            records = self._node_records(source, dest)
            self._write([DeletePrefix(zkeys.dir_prefix(source)), *records, Moved(source, dest)])

    def copy(self, source: str, dest: str) -> None:
        """Copy the node at ``source`` to ``dest``; both share the chunks."""
        with self.lock:
            self.sync()
            self.check_writable()
            self._write(self._node_records(source, dest))

    def savepoint(self) -> int:
        """A mark of the session's changes now, to return to with :meth:`rollback_to`."""
        with self.lock:
            self.sync()
            return self._clock

    def rollback_to(self, mark: int) -> None:
        """Undo every change made since ``mark`` (earlier changes stay), durably.

        Changes other processes made to this session in the meantime are undone
        too: the session returns to what it was at ``mark``.
        """
        with self.lock:
            self.sync()
            if self._clock == mark or self.folder is None or not self.persisted:
                return
            end = self._append([Rollback(mark)])
        self.folder.wait_durable(end)

    def changes_since(self, mark: int) -> int:
        """How many keys and deleted directories changed since :meth:`savepoint` returned ``mark``."""
        with self.lock:
            self.sync()
            ov = self.overlay
            return sum(1 for s in ov.stamps.values() if s[0] > mark) + sum(
                1 for s in ov.deleted_prefixes.values() if s[0] > mark
            )

    def mark_abandoned(self) -> None:
        """Record in this process that the session was abandoned (the folder is sealed elsewhere)."""
        with self.lock:
            self._abandoned = True
            self.meta.status = "abandoned"

    def set_expiration(self, timestamp: float) -> None:
        """Set when the session expires, recording it in the log if the session is persisted.

        Parameters
        ----------
        timestamp
            Expiration time, in seconds since the epoch.

        Raises
        ------
        SessionError
            If another process closed the session (committed, abandoned, expired or cleaned up).
        """
        with self.lock:
            if self.folder is not None and self.persisted:
                end = self._append([SetExpiration(timestamp)])
                self.folder.wait_durable(end)
            self.meta.expiration = timestamp

    def _chain_for_new_doc(self, key: str) -> Chain | None:
        """Which chunk references an array document written at ``key`` keeps.

        Rewriting an existing array's document (resize, attributes) keeps its
        references; writing one where the session deleted the node starts empty.
        ``None`` means "inherit from the base", resolved late so that a rebase
        sees upstream chunk changes.
        """
        prior = self.overlay.changes.get(key)
        if isinstance(prior, Doc) and prior.is_array:
            return prior.manifest
        if prior is DELETED or (prior is None and self.overlay.covered(key)):
            return EMPTY_CHAIN
        if isinstance(prior, (Doc, *CHUNK_VALUE_TYPES)):
            return EMPTY_CHAIN
        return None

    def _unbind_if_array_lost(self, key: str, new: Value | None) -> list[Record]:
        """Keep an array's chunks as plain keys when its document alone goes away.

        zarr deletes whole directories, so this only happens through raw store
        use; cost follows the number of chunks of that array.
        """
        if zkeys.split(key)[1] not in zkeys.ARRAY_DOC_NAMES:
            return []
        if isinstance(new, Doc) and new.is_array:
            return []
        path = zkeys.node_path(key)
        if self.array_doc_key(path) != key:
            return []
        manifest = self.manifest(path)
        base_dir = f"{path}/" if path else ""
        records: list[Record] = []
        for rel, ref in manifest.items():
            full = base_dir + rel
            if full not in self.overlay.changes and not self.overlay.covered(full):
                records.append(SetValue(full, ref))
        return records

    # -- status ---------------------------------------------------------
    def changed_keys(self) -> list[tuple[str, bool]]:
        """(key, deleted?) for every change of this session, deletions of whole
        directories expanded to the keys they removed from the base."""
        self.sync()
        with self.lock:
            changes = dict(self.overlay.changes)
            prefixes = set(self.overlay.deleted_prefixes)
        out = [(k, v is DELETED) for k, v in changes.items()]
        if prefixes:
            out += [(k, True) for k in self._base_keys_under(prefixes, changes)]
        return out

    def _base_keys_under(self, prefixes: set[str], changes: dict[str, Change]) -> Iterable[str]:
        # Whole nodes are reported by their metadata keys; chunks only when a
        # directory inside an array (e.g. "a/c/") was deleted.
        for k in self.base.paths:
            if k not in changes and any(k.startswith(p) for p in prefixes):
                yield k
        for path, chain in self.base.arrays.items():
            base_dir = f"{path}/" if path else ""
            inside = [p for p in prefixes if p.startswith(base_dir) and p != base_dir]
            if not inside or any(base_dir.startswith(p) for p in prefixes):
                continue
            for rel in self.base.manifest(chain).keys():  # noqa: SIM118 - a Manifest is not a dict
                k = base_dir + rel
                if k not in changes and any(k.startswith(p) for p in inside):
                    yield k

    @property
    def has_changes(self) -> bool:
        """True if the session changed or deleted anything (after reading other processes' writes)."""
        self.sync()
        return bool(self.overlay)
