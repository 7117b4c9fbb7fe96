"""Repositories: the synchronous :class:`Repo` and its asynchronous twin :class:`AsyncRepo`.

:class:`Repo` is the one implementation. :class:`AsyncRepo` wraps a Repo and
runs each of its verbs in a worker thread, so an event loop is never blocked
by DuckDB or disk I/O; its methods are generated from Repo's, never written
twice.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import functools
import html
import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from arraylake_nb import display
from arraylake_nb.api import _history, _tree, _virtual, hooks
from arraylake_nb.api._diff import MAX_COORDS, VersionView, diff_views
from arraylake_nb.config import Author
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.metastore import CommitRow, CommitSummary, Metastore, RefRow, SessionRecord
from arraylake_nb.engine.names import validate_ref_name
from arraylake_nb.engine.repository import RepoEngine
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.values import Doc
from arraylake_nb.errors import (
    ArraylakeNbError,
    NothingToCommitWarning,
    NotOnBranchWarning,
    RefExistsError,
    RefNotFoundError,
    SessionError,
    UncommittedChangesWarning,
    VirtualDatasetError,
)
from arraylake_nb.models import (
    Branch,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    CommitSequence,
    Diff,
    FsckReport,
    GcReport,
    NodeHistory,
    RefList,
    RepoSummary,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Transaction,
    Tree,
    _utc,
    summarise_changes,
)
from arraylake_nb.storage import ChunkStorage
from arraylake_nb.store import ArraylakeStore, Checkout, CheckoutStore, root_group, short_tree

if TYPE_CHECKING:
    import xarray as xr

    from arraylake_nb.store import Group

T = TypeVar("T")
DEFAULT_SESSION_TIMEOUT = dt.timedelta(days=1)
NOT_ON_TIP_WARNING = "You are not on a branch tip, so you can't commit changes."


def _refuse_storage_kwargs(kwargs: dict[str, Any]) -> None:
    for name in ("storage_options", "inline_threshold"):
        if name in kwargs:
            raise VirtualDatasetError(
                f"Do not pass {name}: sources are read through the repository's own readers "
                "(S3 settings come from the standard AWS environment and config files), and chunks are "
                "never inlined."
            )


def _seconds(expires_in: dt.timedelta | float) -> float:
    return expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else float(expires_in)


def _node_kinds(state: SessionView, paths: list[tuple[str, bool]]) -> tuple[dict[str, str], set[str]]:
    """Kinds of the nodes touched by ``paths`` (now, or in the base if deleted) and the base's nodes."""
    base = state.base.paths
    existed = {zkeys.node_path(k) for k in base if zkeys.split(k)[1] in zkeys.NODE_DOC_NAMES}
    kinds = {path: "array" for path in state.base.arrays}
    kinds.update((path, "array") for path in state.arrays())
    for key, _ in paths:
        if zkeys.split(key)[1] not in zkeys.NODE_DOC_NAMES:
            continue
        path = zkeys.node_path(key)
        doc = state.doc_at(key)
        if isinstance(doc, Doc):
            kinds[path] = "array" if doc.is_array else "group"
        else:
            kinds.setdefault(path, "group")
    return kinds, existed


def _session_info(meta: SessionRecord) -> SessionInfo:
    return SessionInfo(
        id=meta.id,
        start_time=_utc(meta.start_time),  # type: ignore[arg-type]
        expiration=_utc(meta.expiration),  # type: ignore[arg-type]
        branch=meta.branch,
        base_commit=meta.base_commit or None,
        author_name=meta.author_name,
        author_email=meta.author_email,
        message=meta.message,
        for_writing=bool(meta.for_writing),
    )


class LocalSession:
    """A write session of a repository.

    Attributes mirror :class:`~arraylake_nb.models.SessionInfo` (``id``,
    ``start_time``, ``expiration``, ``branch``, ``base_commit``, ``author_name``,
    ``author_email``, ``message``, ``for_writing``) and always show the current
    state. ``abandon()`` and ``update_expiration()`` are plain methods.
    """

    def __init__(self, repo: Repo, view: SessionView) -> None:
        self._repo = repo
        self._view = view

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(_session_info(self._view.meta), name)

    @property
    def info(self) -> SessionInfo:
        """A snapshot of this session's description."""
        return _session_info(self._view.meta)

    def abandon(self) -> None:
        """Discard the session and its changes; later writes through it fail."""
        self._repo._engine.abandon(self._view)

    def update_expiration(self, expires_in: dt.timedelta) -> None:
        """Set the expiration to ``start_time + expires_in`` (at most 7 days)."""
        self._repo._engine.update_expiration(self._view, _seconds(expires_in))

    def __repr__(self) -> str:
        m = self._view.meta
        return f"<LocalSession {m.id} on {m.branch or 'no branch'} base={m.base_commit} {m.status}>"

    def _repr_html_(self) -> str:
        return self.info._repr_html_()


class Repo:
    """A repository of versioned Zarr data, with git-like commits, branches and tags.

    Get one from :class:`~arraylake_nb.Client` (``client.get_repo("org/name")``),
    or from existing parts with :meth:`from_metastore_and_chunkstore`. The repo
    has a current *checkout*: a session on a branch (writable) or on a tag or
    old commit (read-only). ``repo.store`` and ``repo.root_group`` read and
    write through it; ``repo.commit()`` makes its changes visible to all.
    """

    def __init__(self, engine: RepoEngine, name: str, author: Author, durability: str = "write") -> None:
        self._engine = engine
        self._name = name
        self._author = author
        self._durability = durability
        self._checkout = Checkout()  # the current session; repo.store follows it
        self._store: CheckoutStore | None = None
        # The branch to name when a checkout of a tag or commit makes the repo read-only.
        self._last_branch = "main"

    @classmethod
    def from_metastore_and_chunkstore(cls, metastore_db: Metastore, chunkstore: ChunkStorage, name: str,
                                      author: Author) -> Repo:
        """A Repo over an initialized metastore database and chunk storage (not checked out).

        Parameters
        ----------
        metastore_db
            The repository's :class:`~arraylake_nb.engine.metastore.Metastore`
            (``<repo>/metastore.duckdb``).
        chunkstore
            Where its chunks live: a :class:`~arraylake_nb.storage.ChunkStorage`.
        name
            The name of the repo, purely for display.
        author
            The author recorded on commits.
        """
        engine = RepoEngine.from_parts(metastore_db, chunkstore)
        return cls(engine, name, author, chunkstore.durability)

    @property
    def name(self) -> str:
        """The repository's ``org/name``."""
        return self._name

    @property
    def path(self) -> Path:
        """The repository's directory on disk."""
        return self._engine.path

    @property
    def last_branch(self) -> str:
        """The branch checked out most recently: where to go back to from a tag or commit ("main" at first)."""
        return self._last_branch

    @property
    def author(self) -> Author:
        """Who commits made through this Repo are by."""
        return self._author

    def ping(self) -> None:
        """Check that the metastore can be opened."""
        self._engine.metastore.info()

    def release(self) -> None:
        """Let other processes have the metastore now, rather than after a second of idleness.

        The repository stays usable: the next call that needs the metastore
        opens it again (15-50 ms). Long-lived readers that act now and then
        (the Jupyter server's sidebar) call it after each request, so they
        never hold the file while idle.
        """
        self._engine.metastore.lease.release()

    def change_token(self) -> str:
        """A short string that changes whenever commits, refs or sessions of this repository may have changed.

        Cheap (a few file stats) and taking no lease, so polling it never
        delays a writer in another process; reads leave it unchanged. Compare
        it with the previous value to know when to refresh a view. It may also
        move once without a visible change, when the process that wrote last
        closes the metastore (DuckDB then folds its log into the file).

        Returns
        -------
        str
            24 hexadecimal characters.
        """
        return self._engine.change_token()

    # -- session plumbing -------------------------------------------------
    @property
    def _state(self) -> SessionView | None:
        return self._checkout.view

    @_state.setter
    def _state(self, state: SessionView) -> None:
        # Stores, groups and arrays reached through repo.store follow this pointer.
        self._checkout.view = state

    def _require_state(self) -> SessionView:
        if self._state is None:
            raise SessionError(
                f"Repo {self._name!r} has no checkout yet; call repo.checkout() (or get the repo with checkout=True)."
            )
        return self._state

    def _switch(self, state: SessionView) -> None:
        old = self._state
        if old is not None and old is not state and old.writable and not old.abandoned and old.has_changes:
            warnings.warn(
                f"Uncommitted changes remain in session {old.meta.id}; they are kept. Rejoin it with "
                f"repo.join_session('{old.meta.id}') or discard it with its abandon() method.",
                UncommittedChangesWarning,
                stacklevel=3,
            )
        self._state = state
        if state.meta.branch is not None:
            self._last_branch = state.meta.branch

    def checkout(self, ref: str = "main", session_token: str | None = None, for_writing: bool = True,
                 expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT) -> str | None:
        """Check out a branch, tag or commit id (resolved in that order) and start a new session.

        Parameters
        ----------
        ref
            Branch, tag, or commit id (a unique prefix of at least 4 characters works).
        session_token
            Join this existing session instead (see :meth:`join_session`).
        for_writing
            Whether the session may write (only on a branch).
        expires_in
            How long the session lives (at most 7 days).

        Returns
        -------
        The commit id checked out (None on a branch with no commits yet).
        Checking out a tag or commit warns that you are not on a branch tip
        (:class:`~arraylake_nb.errors.NotOnBranchWarning`, a ``UserWarning`` naming the
        branch to check out to write again; with ``%load_ext arraylake_nb`` a notebook
        shows it as a one-line notice); writes then raise :class:`~arraylake_nb.errors.NotOnBranchError`.
        """
        if session_token is not None:
            self.join_session(session_token)
            return self._require_state().meta.base_commit
        resolved = self._engine.resolve(ref)
        branch = resolved.name if resolved.kind == "branch" else None
        state = self._engine.new_session(
            branch=branch, base_commit=resolved.commit_id, for_writing=for_writing,
            expires_in_seconds=_seconds(expires_in), author=self._author, durability=self._durability,
        )
        if branch is None:
            short = (resolved.commit_id or "empty")[:8]
            warnings.warn(
                NotOnBranchWarning(
                    f"{NOT_ON_TIP_WARNING} Read-only at {short} — repo.checkout({self._last_branch!r}) to write again.",
                    short, self._last_branch,
                ),
                stacklevel=2,
            )
        self._switch(state)
        return resolved.commit_id

    def create_session(self, ref: str = "main", for_writing: bool = True,
                       expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT, message: str | None = None) -> LocalSession:
        """Create and persist a session on ``ref`` without switching to it (join it later by id)."""
        resolved = self._engine.resolve(ref)
        branch = resolved.name if resolved.kind == "branch" else None
        return LocalSession(self, self._engine.new_session(
            branch=branch, base_commit=resolved.commit_id, for_writing=for_writing,
            expires_in_seconds=_seconds(expires_in), author=self._author, message=message, persist=True,
            durability=self._durability,
        ))

    def join_session(self, session_id: str) -> LocalSession:
        """Switch to an existing session (also one started by another process)."""
        state = self._engine.join_session(session_id)
        self._switch(state)
        return LocalSession(self, state)

    @property
    def session(self) -> LocalSession:
        """The current session (id, branch, base commit, expiration; ``abandon()``)."""
        return LocalSession(self, self._require_state())

    def list_active_sessions(self) -> SessionList:
        """Persisted sessions not yet committed, abandoned or expired, oldest first."""
        return SessionList(self._name, [_session_info(r) for r in self._engine.list_active_sessions()])

    # -- commits ----------------------------------------------------------
    def commit(self, message: str, auto_ff: bool = True, checkout_for_writing: bool = True,
               metadata: dict[str, Any] | None = None) -> str | None:
        """Commit this session's changes and start a new session.

        Parameters
        ----------
        message
            The commit message.
        auto_ff
            If the branch moved since the session started, rebase onto it when
            no path changed on both sides (else raise ConflictError); with
            ``False``, raise ConflictError naming the new tip instead.
        checkout_for_writing
            Whether the new session may write.
        metadata
            JSON-serialisable metadata stored with the commit (``commit.metadata``);
            it wins over what registered providers add (see
            :func:`arraylake_nb.api.hooks.add_commit_metadata_provider`).

        Returns
        -------
        The new commit id, or None (with a warning) when there was nothing to commit.
        """
        if not isinstance(message, str):
            raise TypeError("commit message must be a string")
        state = self._require_state()
        metadata = {**hooks.commit_metadata(), **(metadata or {})}
        row = self._engine.commit(
            state, message, auto_ff=auto_ff, author=self._author,
            metadata=json.dumps(metadata) if metadata else None,
            progress=lambda total, what: hooks.progress(total, what, unit="changes"),
        )
        if row is None:
            warnings.warn("No changes to commit.", NothingToCommitWarning, stacklevel=2)
            return None
        fresh = self._engine.new_session(
            branch=state.meta.branch, base_commit=row.id, for_writing=checkout_for_writing,
            expires_in_seconds=DEFAULT_SESSION_TIMEOUT.total_seconds(), author=self._author,
            durability=self._durability,
        )
        self._state = fresh
        return row.id

    @contextmanager
    def transaction(self, message: str, *, auto_ff: bool = True,
                    metadata: dict[str, Any] | None = None) -> Iterator[Transaction]:
        """Group changes into one commit that happens only if the block succeeds.

        On success the session is committed (including changes made before the
        block; :attr:`Transaction.included_earlier_changes` says so). If the block
        raises, exactly the changes made in it are rolled back, durably (other
        processes writing the session see the rollback too), and the exception
        propagates.

        Examples
        --------
        >>> with repo.transaction("Calibrate") as tx:        # doctest: +SKIP
        ...     t = repo.root_group.atlantic.temperature
        ...     t[:] = t[:] * 1.02
        >>> tx.commit_id                                      # doctest: +SKIP
        """
        state = self._require_state()
        state.check_writable()
        tx = Transaction(message, included_earlier_changes=state.has_changes)
        mark = state.savepoint()
        try:
            yield tx
        except BaseException:
            tx.rolled_back_changes = state.changes_since(mark)
            state.rollback_to(mark)
            raise
        if self._state is not state:
            raise SessionError(
                "The transaction's block switched to another session (a checkout or commit inside it); "
                "nothing was committed by the transaction, and the changes stay in session "
                f"{state.meta.id}."
            )
        tx.commit_id = self.commit(message, auto_ff=auto_ff, metadata=metadata)

    def fast_forward(self) -> str | None:
        """Rebase the session onto the current branch tip, keeping its changes.

        Raises ConflictError (listing the paths) when a path changed both in
        this session and upstream; the session is left as it was.
        """
        return self._engine.fast_forward(self._require_state())

    def _labels(self) -> dict[str, list[str]]:
        labels: dict[str, list[str]] = {}
        for kind in ("branch", "tag"):
            for r in self._engine.metastore.list_refs(kind):
                if r.commit_id:
                    labels.setdefault(r.commit_id, []).append(r.name if kind == "branch" else f"tag: {r.name}")
        return labels

    def _commit(self, row: CommitRow | CommitSummary, labels: dict[str, list[str]] | None = None) -> Commit:
        meta: dict[str, Any] = json.loads(row.metadata) if row.metadata else {}
        return Commit(
            id=row.id, parent_commit=row.parent_id, message=row.message,
            author_name=row.author_name, author_email=row.author_email,
            commit_time=_utc(row.created_at),  # type: ignore[arg-type]
            metadata=meta, labels=tuple((labels or {}).get(row.id, ())),
        )

    @property
    def commit_log(self) -> CommitLog:
        """Commits reachable from the checkout, newest first (``len``, iteration, slicing)."""
        return self.log()

    def log(self, *, page_size: int = 50, show_provenance: bool = False) -> CommitLog:
        """The commit log of the checkout, rendering ``page_size`` commits (``show_provenance``:
        with the notebook cell that made each commit)."""
        head = self._require_state().meta.base_commit or None
        if head is None:
            return CommitLog(None, 0, lambda n: [], page_size=page_size, show_provenance=show_provenance)
        row = self._engine.commit_row(head)
        assert row is not None

        def fetch(n: int | None) -> list[Commit]:
            labels = self._labels()
            return [self._commit(r, labels) for r in self._engine.ancestry(head, n)]

        return CommitLog(head, row.depth + 1, fetch, page_size=page_size, show_provenance=show_provenance)

    def log_page(self, ref: str | None = None, *, limit: int = 50, cursor: str | None = None) -> CommitPage:
        """One page of history, newest first, and the cursor of the next page.

        Parameters
        ----------
        ref
            Where history starts: a branch, tag or commit (default: the checkout).
        limit
            At most this many commits.
        cursor
            ``next_cursor`` of the previous page; None for the first page.

        The cost follows ``limit``, not the length of the history.
        """
        if not isinstance(limit, int) or limit < 1:
            raise ValueError(f"limit must be a positive integer, got {limit!r}.")
        if cursor is not None:
            head: str | None = cursor
            if self._engine.commit_row(cursor) is None:
                raise RefNotFoundError(f"Cursor {cursor!r} is not a commit of this repository; start again from None.")
        elif ref is None:
            head = self._require_state().meta.base_commit or None
        else:
            head = self._engine.resolve(ref).commit_id
        if head is None:
            return CommitPage((), None, 0)
        rows = self._engine.ancestry(head, limit + 1)
        labels = self._labels()
        top = self._engine.commit_row(head)
        assert top is not None
        commits = tuple(self._commit(r, labels) for r in rows[:limit])
        return CommitPage(commits, rows[limit].id if len(rows) > limit else None, top.depth + 1)

    def commit_data(self, refresh: bool = False, *, all_refs: bool = False) -> CommitData:
        """Everything needed to draw history: commits, branches and tags.

        Parameters
        ----------
        refresh
            Drop cached history first (e.g. after restoring a metastore backup).
        all_refs
            Every commit reachable from any branch or tag (and the checkout),
            newest first, children before their parents (for a commit graph of
            all branches), as a :class:`~arraylake_nb.models.CommitSequence`;
            read in one scan, however long the history. By default, only the
            commits reachable from the checkout.
        """
        if refresh:
            self._engine.drop_caches()
        if not all_refs:
            head = self._require_state().meta.base_commit or None
            return CommitData(tuple(self.commit_log), self.branches, self.tags, head)
        # Every ref's history needs no checkout (a server reading the repository has none).
        head = (self._state.meta.base_commit or None) if self._state is not None else None
        branches, tags = self.branches, self.tags
        rows = self._engine.history.reachable([head, *(r.commit_id for r in [*branches, *tags])])
        labels = self._labels()
        # Building 10,000 Commit objects costs more than reading them; a page needs a hundred.
        commits = CommitSequence([r.id for r in rows], [(r.parent_id,) if r.parent_id else () for r in rows],
                                 lambda i: self._commit(rows[i], labels))
        return CommitData(commits, branches, tags, head)

    def get_commit(self, ref: str) -> Commit:
        """The commit a branch, tag or commit id refers to."""
        resolved = self._engine.resolve(ref)
        if resolved.commit_id is None:
            raise RefNotFoundError(f"{resolved.kind.capitalize()} {ref!r} has no commits yet.")
        row = self._engine.commit_row(resolved.commit_id)
        assert row is not None
        return self._commit(row, self._labels())

    # -- refs -------------------------------------------------------------
    @property
    def branches(self) -> RefList:
        """All branches (``"main" in repo.branches`` works)."""
        return RefList([Branch(r.name, r.commit_id, self._commit_time(r.commit_id))
                        for r in self._engine.metastore.list_refs("branch")], "branches")

    def _commit_time(self, commit_id: str | None) -> dt.datetime | None:
        row = self._engine.commit_row(commit_id) if commit_id else None
        return _utc(row.created_at) if row is not None else None

    @property
    def tags(self) -> RefList:
        """All tags (``"v1" in repo.tags`` works)."""
        return RefList([self._tag(r) for r in self._engine.metastore.list_refs("tag")], "tags")

    @staticmethod
    def _tag(r: RefRow) -> Tag:
        return Tag(r.name, r.commit_id, r.message, _utc(r.created_at), r.author_name, r.author_email)

    def tag(self, tag_name: str, commit_id: str | None = None, message: str | None = None) -> Tag:
        """Tag a commit (default: the checkout's commit). Tags never move."""
        validate_ref_name(tag_name, "tag")
        if commit_id is None:
            target = self._require_state().meta.base_commit or None
        else:
            target = self._engine.resolve(commit_id).commit_id
        if target is None:
            raise RefNotFoundError("There is no commit to tag yet: commit something first, or pass commit_id.")
        row = RefRow("tag", tag_name, target, message, dt.datetime.now(dt.UTC).timestamp(),
                     self._author.name, self._author.email)
        if not self._engine.metastore.insert_ref(row):
            raise RefExistsError(f"Tag {tag_name!r} already exists; tags never move. Delete it first with repo.delete_tag({tag_name!r}).")
        return self._tag(row)

    def delete_tag(self, tag_name: str) -> None:
        """Delete a tag (the commit stays)."""
        if not self._engine.metastore.delete_ref("tag", tag_name):
            raise RefNotFoundError(f"Tag {tag_name!r} does not exist. Existing tags: {', '.join(self.tags.names) or 'none'}.")

    def new_branch(self, branch_name: str, commit_id: str | None = None) -> Branch:
        """Create a branch at the checkout's commit, or at ``commit_id``; check it out to write on it.

        Parameters
        ----------
        branch_name
            The new branch's name (letters, digits, ``.``, ``_``, ``-``, ``/``).
        commit_id
            Where the branch starts: a commit id (or unique prefix), branch or tag.
            Default: the checkout's commit.
        """
        validate_ref_name(branch_name, "branch")
        if commit_id is None:
            base = self._require_state().meta.base_commit or None
        else:
            base = self._engine.resolve(commit_id).commit_id
        row = RefRow("branch", branch_name, base, None, dt.datetime.now(dt.UTC).timestamp(),
                     self._author.name, self._author.email)
        if not self._engine.metastore.insert_ref(row):
            raise RefExistsError(f"Branch {branch_name!r} already exists; check it out with repo.checkout({branch_name!r}).")
        return Branch(branch_name, base, self._commit_time(base))

    def delete_branch(self, branch: str) -> None:
        """Delete a branch (not the one checked out); its commits stay reachable by id and tags."""
        if self._state is not None and self._state.meta.branch == branch:
            raise ArraylakeNbError(
                f"Cannot delete branch {branch!r}: the current checkout is on it. Check out another branch first."
            )
        if not self._engine.metastore.delete_ref("branch", branch):
            raise RefNotFoundError(f"Branch {branch!r} does not exist. Existing branches: {', '.join(self.branches.names)}.")

    # -- status and data ------------------------------------------------
    def status(self, limit: int = 1000) -> SessionStatus:
        """What this session changed: repo, base commit, session, branch and modified paths.

        ``limit=0`` lists every path.
        """
        state = self._require_state()
        paths = sorted(state.changed_keys())
        shown = paths if not limit else paths[:limit]
        kinds, existed = _node_kinds(state, paths)
        nodes = summarise_changes(paths, kinds, existed)
        virtual = _virtual.virtual_arrays(state, [n.path for n in nodes if n.kind == "array" and not n.deleted])
        nodes = [dataclasses.replace(n, virtual_sources=virtual[n.path]) if n.path in virtual else n for n in nodes]
        return SessionStatus(self._name, _session_info(state.meta), shown, len(paths), nodes, _session_closed(state))

    @property
    def store(self) -> ArraylakeStore:
        """The zarr Store of the current checkout (read-only off a branch tip).

        One store per Repo that follows the checkout: arrays and groups opened
        through it (or :attr:`root_group`) keep working after :meth:`commit`
        (writes go to the new session), read an old commit read-only after
        :meth:`checkout` of it, and write again after a checkout of a branch.
        Pickled (e.g. to dask workers), it is pinned to the session current at
        that moment; ``store.with_read_only()`` is bound to the current session too.
        """
        self._require_state()
        if self._store is None:
            self._store = CheckoutStore(
                self._engine.path, self._checkout,
                progress=lambda total, what: hooks.progress(total, what, unit="chunks"),
            )
        return self._store

    @property
    def root_group(self) -> Group:
        """The root group of the current session (created on a branch if missing).

        A zarr ``Group`` with attribute access to members (``repo.root_group.atlantic``)
        and a working ``move``.
        """
        return root_group(self.store)

    def _node_path(self, path: str) -> str:
        return zkeys.normalize_node_path(path)

    def move(self, source: str, dest: str) -> None:
        """Move a group or array (paths from the root) without copying any chunk."""
        state = self._require_state()
        state.check_writable()
        state.move(self._node_path(source), self._node_path(dest))

    def copy(self, source: str, dest: str) -> None:
        """Copy a group or array; the copy shares its chunks, so no bytes are copied."""
        state = self._require_state()
        state.check_writable()
        state.copy(self._node_path(source), self._node_path(dest))

    # -- virtual datasets ---------------------------------------------------
    def _add_virtual(self, path: str | Path, nodes: Callable[[], _virtual.VirtualNodes]) -> None:
        state = self._require_state()
        state.check_writable()
        node = self._node_path(str(path))
        _virtual.write_nodes(state, self._engine.chunk_store(state.durability), node, nodes())

    def add_kerchunk_references(self, refs: dict[str, Any] | str, path: str | Path, **kwargs: Any) -> None:
        """Add kerchunk references to the repo as a virtual dataset.

        Parameters
        ----------
        refs
            A dictionary of kerchunk references (version 1, or a version-0 mapping of
            keys), or the path of a JSON file holding one.
        path
            The path within the repo where the virtual dataset should be created (a new group).
        **kwargs
            Options for reading the JSON file (``encoding``); only used when ``refs`` is a path.

        Raises
        ------
        VirtualDatasetError
            If the references use ``templates`` or ``gen`` (not supported), are of another
            version, or are malformed. The repository is left unchanged.
        NodeExistsError
            If something already exists at ``path``.
        VirtualSourceMissingError
            If a file the references point at cannot be reached.

        Notes
        -----
        Chunks point at byte ranges of the referenced files (local paths, ``file://``,
        ``http(s)://`` and ``s3://``), which stay where they are; each file's size and
        modification time (ETag or Last-Modified for HTTP and S3) is recorded, and reading
        a chunk of a file that changed since raises
        :class:`~arraylake_nb.errors.VirtualSourceChangedError`. Inline values are stored
        in the repository. Commit to record the dataset.
        """
        self._add_virtual(path, lambda: _virtual.kerchunk_nodes(refs, **kwargs))

    def add_virtual_netcdf(self, netcdf_uri: str | Path, path: str | Path, **kwargs: Any) -> None:
        """Add a netCDF file (netCDF4/HDF5 or netCDF3) to the repo as a virtual dataset.

        Parameters
        ----------
        netcdf_uri
            The file: a local path, or a ``file://``, ``http(s)://`` or ``s3://`` URI.
            S3 credentials, region and endpoint come from the
            standard AWS environment variables and config files (``AWS_ENDPOINT_URL_S3`` for
            S3-compatible servers).
        path
            The path within the repo where the virtual dataset should be created (a new group).
        **kwargs
            Passed to the parser (VirtualiZarr's ``HDFParser``: ``group``, ``drop_variables``;
            ``NetCDF3Parser``: ``group``, ``skip_variables``). ``storage_options`` and
            ``inline_threshold`` are not accepted.

        Raises
        ------
        VirtualDatasetError
            If the file is not netCDF, or cannot be parsed. The repository is left unchanged.
        VirtualSourceMissingError
            If the file cannot be reached.
        NodeExistsError
            If something already exists at ``path``.

        Notes
        -----
        No data is copied: chunks point at byte ranges of the file, whose fingerprint (size
        and modification time; ETag or Last-Modified for HTTP and S3) is checked on every
        read. ``repo.to_xarray(path)`` then opens it as ``xarray.open_dataset(file)`` would.
        Commit to record the dataset.
        """
        _refuse_storage_kwargs(kwargs)
        self._add_virtual(path, lambda: _virtual.netcdf_nodes(netcdf_uri, **kwargs))

    def add_virtual_hdf(self, hdf_uri: str | Path, path: str | Path) -> None:
        """Add an HDF5 file to the repo as a virtual dataset.

        Parameters
        ----------
        hdf_uri
            The file: a local path, or a ``file://``, ``http(s)://`` or ``s3://`` URI.
        path
            The path within the repo where the virtual dataset should be created (a new group).

        Raises
        ------
        VirtualDatasetError
            If the file is not HDF5 or cannot be parsed. The repository is left unchanged.
        VirtualSourceMissingError
            If the file cannot be reached.
        NodeExistsError
            If something already exists at ``path``.

        Notes
        -----
        Datasets become arrays (chunked and compressed ones keep their chunks and filters),
        groups become groups; see :meth:`add_virtual_netcdf` for how sources are checked.
        """
        self._add_virtual(path, lambda: _virtual.hdf_nodes(hdf_uri))

    def add_virtual_zarr(self, zarr_uri: str | Path, path: str | Path) -> None:
        """Add a Zarr store (format 2) to the repo as a virtual dataset.

        Parameters
        ----------
        zarr_uri
            The store: a local directory, or a ``file://``, ``http(s)://`` or ``s3://`` URI.
        path
            The path within the repo where the virtual dataset should be created (a new group).

        Raises
        ------
        VirtualDatasetError
            If no Zarr store is there, or it cannot be parsed. The repository is left unchanged.
        NodeExistsError
            If something already exists at ``path``.

        Notes
        -----
        Every chunk points at its own file (object) in the store, fingerprinted when
        referenced; see :meth:`add_virtual_netcdf` for how sources are checked.
        """
        self._add_virtual(path, lambda: _virtual.zarr_nodes(zarr_uri))

    def add_virtual_tiff(self, tiff_uri: str | Path, path: str | Path, name: str, **kwargs: Any) -> None:
        """Add a TIFF file to the repo as a virtual dataset.

        Parameters
        ----------
        tiff_uri
            The file: a local path, or a ``file://``, ``http(s)://`` or ``s3://`` URI.
        path
            The path within the repo of the group that holds the image (created if missing).
        name
            TIFF files contain bare arrays and no name: the image becomes array ``path/name``
            with dimensions ``Y``, ``X`` (and ``band``); a TIFF with overviews becomes group
            ``path/name`` with one array per level, ``0`` (full resolution), ``1``, ``2``, ...
        **kwargs
            Passed to ``tifffile.TiffFile``. ``storage_options`` and ``inline_threshold``
            are not accepted.

        Raises
        ------
        VirtualDatasetError
            If the file is not a TIFF tifffile can map to chunks. The repository is left unchanged.
        NodeExistsError
            If something already exists at ``path``.
        """
        _refuse_storage_kwargs(kwargs)
        self._add_virtual(path, lambda: _virtual.tiff_nodes(tiff_uri, name, **kwargs))

    def add_virtual_grib(self, grib_uri: str | Path, path: str | Path, **kwargs: Any) -> None:
        """Add a GRIB2 file to the repo as a virtual dataset.

        Each message's data is one chunk; messages are concatenated along ``time`` and/or
        ``step`` (those that vary between them) into one dataset.

        Parameters
        ----------
        grib_uri
            The file: a local path, or a ``file://``, ``http(s)://`` or ``s3://`` URI.
        path
            The path within the repo where the virtual dataset should be created (a new group).
        **kwargs
            Passed to kerchunk's ``scan_grib`` (e.g. ``filter={"typeOfLevel": "surface"}``).
            ``storage_options`` and ``inline_threshold`` are not accepted.

        Raises
        ------
        VirtualDatasetError
            If the file is not GRIB2, or its messages cannot be combined into one dataset
            (add them in parts with ``filter``). The repository is left unchanged.
        NodeExistsError
            If something already exists at ``path``.

        Notes
        -----
        This has been tried on a limited number of GRIB2 files; chunks are decoded with
        eccodes when read (and cannot be written).
        """
        _refuse_storage_kwargs(kwargs)
        self._add_virtual(path, lambda: _virtual.grib_nodes(grib_uri, **kwargs))

    def _view(self, ref: str | None) -> tuple[SessionView, str]:
        """The session (synced) or a read-only view of ``ref``, and its label for diffs."""
        if ref is None:
            state = self._require_state()
            state.sync()
            return state, f"session {state.meta.id[:8]} (uncommitted)"
        resolved = self._engine.resolve(ref)
        view = self._engine.read_only_view(resolved.commit_id)
        return view, ref if ref == resolved.commit_id else f"{ref} ({(resolved.commit_id or 'empty')[:8]})"

    def _version(self, ref: str | None) -> VersionView:
        return VersionView(*self._view(ref))

    def diff(self, from_ref: str, to_ref: str | None = None, *, max_coords: int | None = MAX_COORDS) -> Diff:
        """What changed from ``from_ref`` to ``to_ref`` (default: this session, uncommitted changes included).

        Lists groups and arrays added, deleted and moved, attributes changed
        (old → new) and, per array, the chunks changed: their count, and the
        grid coordinates and state (added, deleted, modified) of the first
        ``max_coords`` of them (None: all).
        """
        return self._diff(self._version(from_ref), self._version(to_ref), max_coords)

    def _diff(self, a: VersionView, b: VersionView, max_coords: int | None) -> Diff:
        with hooks.progress(len(a.docs), "Comparing nodes", min_total=500, unit="nodes") as advance:
            return diff_views(a, b, progress=lambda i: advance(), max_coords=max_coords)

    def commit_changes(self, commit_id: str, *, max_coords: int | None = MAX_COORDS) -> Diff:
        """What one commit changed relative to its parent (the first commit: relative to an empty repository).

        Parameters
        ----------
        commit_id
            A commit id (or unique prefix), branch or tag.
        max_coords
            As in :meth:`diff`.
        """
        commit = self.get_commit(commit_id)
        parent = commit.parent_commit
        before = self._version(parent) if parent else VersionView(self._engine.read_only_view(None), "(empty)")
        return self._diff(before, self._version(commit.id), max_coords)

    def node_history(self, path: str, ref: str | None = None) -> NodeHistory:
        """The commits that changed a group or array, newest first, and what each did to it.

        A commit counts when it created, deleted or rewrote the node's metadata
        (attributes included) or wrote or deleted chunks of the array; each entry
        says which and the array's shape after the commit. Only the path is
        followed: a node moved to ``path`` starts its history with the move.
        The cost follows the length of the history, not the size of the data.

        Parameters
        ----------
        path
            Node path (``"a/b"``; ``""`` for the root group).
        ref
            Branch, tag or commit whose ancestry is searched (default: the checkout's commit).
        """
        node = self._node_path(path)
        if ref is None:
            head, label = self._require_state().meta.base_commit or None, "the checkout"
        else:
            head, label = self._engine.resolve(ref).commit_id, ref
        deltas = self._engine.history.node_deltas(head, node)
        labels = self._labels()
        return NodeHistory(node, label, _history.node_versions(deltas, lambda row: self._commit(row, labels)))

    def tree(self, prefix: str = "", depth: int = 10, filter: str | None = None, *, ref: str | None = None) -> Tree:
        """The hierarchy under ``prefix``: groups before arrays, ``📁 name`` / ``🇦 name (shape) dtype``.

        ``filter`` is a JMESPath expression over each node's attributes; matching
        nodes are shown with the groups that lead to them. ``ref`` shows a branch,
        tag or commit instead of the checkout (which it leaves as it is). Without
        a filter only the nodes within ``depth`` are read (``depth=1`` lists a
        group's children at the cost of the listing); nodes carry ``has_children``
        so deeper levels can be listed on demand.
        """
        return _tree.build_tree(self._view(ref)[0], prefix, depth, filter)

    def store_at(self, ref: str | None = None) -> ArraylakeStore:
        """A read-only zarr Store of a branch, tag or commit, leaving the checkout as it is.

        ``ref=None`` gives :attr:`store`, the checkout's own store. Open arrays
        with zarr, e.g. ``zarr.open_array(repo.store_at("v1"), path="a/t", mode="r")``.
        A store of a branch stays at the commit the branch pointed at when it was made.
        """
        if ref is None:
            return self.store
        return ArraylakeStore.for_session(self._engine.path, self._view(ref)[0])

    def filter_metadata(self, filter: str) -> list[str]:
        """Paths of the groups and arrays whose attributes match a JMESPath expression.

        Nuances: NaN is matched as the string ``'NaN'``; two missing keys compare
        equal (``null == null``); keys with special characters need double quotes
        (``'"eo:val" == `12`'``). An invalid expression raises InvalidQueryError.
        """
        state = self._require_state()
        state.sync()
        return _tree.filter_metadata(state, filter)

    def to_xarray(self, group: str | None = None, **kwargs: Any) -> xr.Dataset:
        """Open a group as an :class:`xarray.Dataset` (kwargs go to ``xarray.open_dataset``)."""
        import xarray as xr

        kwargs.setdefault("consolidated", False)
        kwargs.setdefault("chunks", None)
        return xr.open_dataset(self.store, engine="zarr", group=group, **kwargs)

    def gc(self, older_than: dt.timedelta = dt.timedelta(hours=1)) -> GcReport:
        """Reclaim disk space: delete chunks and session folders no commit or live session can reach.

        Chunks written by abandoned or expired sessions become garbage; so do
        folders of sessions that were committed, abandoned or expired. Only
        files older than ``older_than`` are removed, which protects chunks a
        writer in another process has stored but not yet recorded.
        """
        removed, freed, journals = self._engine.gc(
            _seconds(older_than),
            progress=lambda total, what: hooks.progress(total, what, min_total=10_000, unit="chunks"),
        )
        return GcReport(removed, freed, journals)

    def fsck(self) -> FsckReport:
        """Verify every chunk reachable from any commit or live session; report missing or corrupt ones by key.

        Every source file of virtual chunks (of any commit or live session) is checked too:
        reachable, and unchanged since it was referenced (``bad_sources`` names those that are not).
        """
        r = self._engine.fsck(progress=lambda total, what: hooks.progress(total, what, min_total=1000, unit="chunks"))
        return FsckReport(r.checked_chunks, r.missing, r.corrupt, r.unreachable_chunks, r.stale_sessions,
                          r.checked_sources, r.bad_sources)

    def summary(self) -> RepoSummary:
        """What the repo's notebook repr shows: checkout, session, uncommitted changes and the first nodes.

        Cheap on any repository: the tree holds the first 10 groups and arrays,
        level by level (``tree.truncated`` counts the rest; :meth:`tree` lists them),
        and no node document but those of the arrays shown is parsed.

        Returns
        -------
        RepoSummary
            Renders like the other models (Rich, text, HTML, ``to_json()``).
        """
        state = self._state
        if state is None:
            return RepoSummary(self._name, None)
        state.sync()
        closed = _session_closed(state)
        changes = 0 if closed else len(state.changed_keys())
        return RepoSummary(self._name, _session_info(state.meta), changes, short_tree(state), closed)

    def __repr__(self) -> str:
        # Cheap, in-memory facts only: repr() also runs in tracebacks and debuggers.
        return f"<arraylake_nb.Repo '{self._name}'{_checkout_words(self._state)}>"

    def _repr_html_(self) -> str:
        return _html_or_repr(self, self.summary)

    def __rich__(self) -> Any:
        return display.rich_renderable(self.summary())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # Terminal IPython and a notebook's text/plain show the summary, as print() of a model does.
        p.text(repr(self) if cycle else _text_or_repr(self, self.summary))


def _session_closed(state: SessionView) -> str | None:
    """Why the session takes no more writes (``"abandoned"``, ``"expired"``, ``"committed as ..."``), or None."""
    if state.abandoned or state.meta.status == "abandoned":
        return "abandoned"
    if state.committed_as or state.meta.status == "committed":
        return f"committed as {(state.committed_as or '')[:8]}".rstrip()
    if state.writable and state.meta.expiration <= dt.datetime.now(dt.UTC).timestamp():
        return "expired"
    return None


def _checkout_words(state: SessionView | None) -> str:
    if state is None:
        return ", not checked out"
    meta = state.meta
    base = (meta.base_commit or "")[:8]
    if meta.branch is None:
        return f" detached at {base or 'empty'}, read-only"
    where = f" on {meta.branch} at {base}" if base else f" on {meta.branch}, no commits yet"
    return where + ("" if state.writable else ", read-only")


def _html_or_repr(obj: object, summary: Callable[[], Any]) -> str:
    # A repr must not break a notebook's output (an expired or abandoned session): fall back to repr().
    try:
        return display.html(summary())
    except Exception:  # noqa: BLE001
        return f"<code>{html.escape(repr(obj))}</code>"


def _text_or_repr(obj: object, summary: Callable[[], Any]) -> str:
    try:
        return display.text(summary())
    except Exception:  # noqa: BLE001 - see _html_or_repr
        return repr(obj)


def _relay_warnings(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, list[warnings.WarningMessage]]:
    # Warnings raised in the worker thread would be lost to the caller's
    # filters; record them there and re-emit them in the caller's thread.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        return fn(*args, **kwargs), caught


def _in_thread(name: str, *, attribute: bool = False) -> Callable[..., Any]:
    """An async method running ``Repo.<name>`` (a method, or an attribute read) in a worker thread."""
    target = getattr(Repo, name)
    doc = (target.fget if isinstance(target, property) else target).__doc__

    async def method(self: AsyncRepo, *args: Any, **kwargs: Any) -> Any:
        fn = (lambda: getattr(self._repo, name)) if attribute else getattr(self._repo, name)
        result, caught = await asyncio.to_thread(_relay_warnings, fn, *args, **kwargs)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=2)
        if isinstance(result, LocalSession):
            return AsyncLocalSession(result._repo, result._view)
        return result

    method.__name__ = method.__qualname__ = name
    method.__doc__ = doc
    if not attribute:
        functools.update_wrapper(method, target, assigned=("__doc__", "__annotations__"), updated=())
    return method


class AsyncRepo:
    """Asynchronous interface to a repository: every :class:`Repo` verb as a coroutine.

    Zarr data is read and written through :attr:`store` (zarr's own async API)
    or through the synchronous :class:`Repo` (:attr:`sync`).

    Parameters
    ----------
    metastore_db
        The repository's :class:`~arraylake_nb.engine.metastore.Metastore`.
    chunkstore
        Its :class:`~arraylake_nb.storage.ChunkStorage`.
    name
        The name of the repo, purely for display.
    author
        The author recorded on commits.
    """

    def __init__(self, metastore_db: Metastore, chunkstore: ChunkStorage, name: str, author: Author) -> None:
        self._repo = Repo.from_metastore_and_chunkstore(metastore_db, chunkstore, name, author)

    @classmethod
    def _wrapping(cls, repo: Repo) -> AsyncRepo:
        self = cls.__new__(cls)
        self._repo = repo
        return self

    @property
    def sync(self) -> Repo:
        """The synchronous Repo this wraps (same checkout and session)."""
        return self._repo

    @property
    def name(self) -> str:
        """The repository's ``org/name``."""
        return self._repo.name

    @property
    def session(self) -> AsyncLocalSession:
        """The current session."""
        return AsyncLocalSession(self._repo, self._repo._require_state())

    @property
    def store(self) -> ArraylakeStore:
        """The zarr Store of the current checkout (follows checkouts and commits, like ``Repo.store``)."""
        return self._repo.store

    ping = _in_thread("ping")
    release = _in_thread("release")
    change_token = _in_thread("change_token")
    checkout = _in_thread("checkout")
    commit = _in_thread("commit")
    fast_forward = _in_thread("fast_forward")
    commit_log = _in_thread("commit_log", attribute=True)
    log_page = _in_thread("log_page")
    commit_data = _in_thread("commit_data")
    get_commit = _in_thread("get_commit")
    status = _in_thread("status")
    tags = _in_thread("tags", attribute=True)
    branches = _in_thread("branches", attribute=True)
    last_branch = _in_thread("last_branch", attribute=True)
    tag = _in_thread("tag")
    delete_tag = _in_thread("delete_tag")
    new_branch = _in_thread("new_branch")
    delete_branch = _in_thread("delete_branch")
    list_active_sessions = _in_thread("list_active_sessions")
    create_session = _in_thread("create_session")
    join_session = _in_thread("join_session")
    fsck = _in_thread("fsck")
    gc = _in_thread("gc")
    diff = _in_thread("diff")
    commit_changes = _in_thread("commit_changes")
    node_history = _in_thread("node_history")
    store_at = _in_thread("store_at")
    tree = _in_thread("tree")
    filter_metadata = _in_thread("filter_metadata")
    move = _in_thread("move")
    copy = _in_thread("copy")
    summary = _in_thread("summary")
    add_kerchunk_references = _in_thread("add_kerchunk_references")
    add_virtual_netcdf = _in_thread("add_virtual_netcdf")
    add_virtual_zarr = _in_thread("add_virtual_zarr")
    add_virtual_tiff = _in_thread("add_virtual_tiff")
    add_virtual_grib = _in_thread("add_virtual_grib")

    def __repr__(self) -> str:
        return f"<arraylake_nb.AsyncRepo '{self.name}'{_checkout_words(self._repo._state)}>"

    # Reprs run synchronously (a notebook formats outside the event loop) and are cheap: see Repo.summary.
    def _repr_html_(self) -> str:
        return _html_or_repr(self, self._repo.summary)

    def __rich__(self) -> Any:
        return display.rich_renderable(self._repo.summary())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else _text_or_repr(self, self._repo.summary))


class AsyncLocalSession(LocalSession):
    """A session whose ``abandon`` and ``update_expiration`` are coroutines."""

    async def abandon(self) -> None:  # type: ignore[override]
        """Discard the session and its changes; later writes through it fail."""
        await asyncio.to_thread(LocalSession.abandon, self)

    async def update_expiration(self, expires_in: dt.timedelta) -> None:  # type: ignore[override]
        """Set the expiration to ``start_time + expires_in`` (at most 7 days)."""
        await asyncio.to_thread(LocalSession.update_expiration, self, expires_in)
