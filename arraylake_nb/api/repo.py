"""Repositories: the synchronous :class:`Repo` and the asynchronous :class:`AsyncRepo`.

Both wrap one blocking implementation (``_RepoCore``); ``AsyncRepo`` runs it in
a worker thread so an event loop is never blocked by DuckDB or disk I/O.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from arraylake_nb.api import _tree

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.config import Author
from arraylake_nb.api._diff import VersionView, diff_views
from arraylake_nb.engine.repository import RepoEngine
from arraylake_nb.errors import (
    ArraylakeNbError,
    NothingToCommitWarning,
    RefExistsError,
    RefNotFoundError,
    SessionError,
    UncommittedChangesWarning,
)
from arraylake_nb.engine.metastore import CommitRow, RefRow, SessionRecord
from arraylake_nb.models import (
    Branch,
    Commit,
    CommitLog,
    Diff,
    FsckReport,
    GcReport,
    RefList,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
    _utc,
)
from arraylake_nb.engine.names import validate_ref_name
from arraylake_nb.api import hooks
from arraylake_nb.engine.session import SessionView
from arraylake_nb.store import ArraylakeStore, root_group

if TYPE_CHECKING:
    import xarray as xr

    from arraylake_nb.store import Group

T = TypeVar("T")
DEFAULT_SESSION_TIMEOUT = dt.timedelta(days=1)
NOT_ON_TIP_WARNING = "You are not on a branch tip, so you can't commit changes."


def _seconds(expires_in: dt.timedelta | float) -> float:
    return expires_in.total_seconds() if isinstance(expires_in, dt.timedelta) else float(expires_in)


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

    def __init__(self, core: _RepoCore, state: SessionView) -> None:
        self._core = core
        self._state = state

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(_session_info(self._state.meta), name)

    @property
    def info(self) -> SessionInfo:
        """A snapshot of this session's description."""
        return _session_info(self._state.meta)

    def abandon(self) -> None:
        """Discard the session and its changes; later writes through it fail."""
        self._core.engine.abandon(self._state)

    def update_expiration(self, expires_in: dt.timedelta) -> None:
        """Set the expiration to ``start_time + expires_in`` (at most 7 days)."""
        self._core.engine.update_expiration(self._state, _seconds(expires_in))

    def __repr__(self) -> str:
        m = self._state.meta
        return f"<LocalSession {m.id} on {m.branch or 'no branch'} base={m.base_commit} {m.status}>"

    def _repr_html_(self) -> str:
        return self.info._repr_html_()


class _RepoCore:
    """The blocking implementation behind Repo and AsyncRepo."""

    def __init__(self, engine: RepoEngine, name: str, author: Author, durability: str = "write") -> None:
        self.engine = engine
        self.name = name
        self.author = author
        self.durability = durability
        self.state: SessionView | None = None
        self._store: ArraylakeStore | None = None

    # -- session plumbing -------------------------------------------------
    def _require_state(self) -> SessionView:
        if self.state is None:
            raise SessionError(
                f"Repo {self.name!r} has no checkout yet; call repo.checkout() (or get the repo with checkout=True)."
            )
        return self.state

    def _switch(self, state: SessionView) -> None:
        old = self.state
        if old is not None and old is not state and old.writable and not old.abandoned and old.has_changes:
            warnings.warn(
                f"Uncommitted changes remain in session {old.meta.id}; they are kept. Rejoin it with "
                f"repo.join_session('{old.meta.id}') or discard it with its abandon() method.",
                UncommittedChangesWarning,
                stacklevel=4,
            )
        self.state = state
        self._store = None

    def checkout(self, ref: str = "main", session_token: str | None = None, for_writing: bool = True,
                 expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT) -> str | None:
        if session_token is not None:
            self.join_session(session_token)
            return self._require_state().meta.base_commit
        resolved = self.engine.resolve(ref)
        branch = resolved.name if resolved.kind == "branch" else None
        state = self.engine.new_session(
            branch=branch, base_commit=resolved.commit_id, for_writing=for_writing,
            expires_in_seconds=_seconds(expires_in), author=self.author, durability=self.durability,
        )
        if branch is None:
            warnings.warn(NOT_ON_TIP_WARNING, UserWarning, stacklevel=3)
        self._switch(state)
        return resolved.commit_id

    def create_session(self, ref: str = "main", for_writing: bool = True,
                       expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT, message: str | None = None) -> SessionView:
        resolved = self.engine.resolve(ref)
        branch = resolved.name if resolved.kind == "branch" else None
        return self.engine.new_session(
            branch=branch, base_commit=resolved.commit_id, for_writing=for_writing,
            expires_in_seconds=_seconds(expires_in), author=self.author, message=message, persist=True,
            durability=self.durability,
        )

    def join_session(self, session_id: str) -> SessionView:
        state = self.engine.join_session(session_id)
        self._switch(state)
        return state

    def list_active_sessions(self) -> SessionList:
        return SessionList(self.name, [_session_info(r) for r in self.engine.list_active_sessions()])

    # -- commits ----------------------------------------------------------
    def commit(self, message: str, auto_ff: bool = True, checkout_for_writing: bool = True,
               metadata: dict[str, Any] | None = None) -> str | None:
        if not isinstance(message, str):
            raise TypeError("commit message must be a string")
        state = self._require_state()
        metadata = {**hooks.commit_metadata(), **(metadata or {})}
        row = self.engine.commit(
            state, message, auto_ff=auto_ff, author=self.author,
            metadata=json.dumps(metadata) if metadata else None, progress=hooks.progress,
        )
        if row is None:
            warnings.warn("No changes to commit.", NothingToCommitWarning, stacklevel=3)
            return None
        fresh = self.engine.new_session(
            branch=state.meta.branch, base_commit=row.id, for_writing=checkout_for_writing,
            expires_in_seconds=DEFAULT_SESSION_TIMEOUT.total_seconds(), author=self.author,
            durability=self.durability,
        )
        self.state = fresh
        self._store = None
        return row.id

    def fast_forward(self) -> str | None:
        return self.engine.fast_forward(self._require_state())

    def _labels(self) -> dict[str, list[str]]:
        labels: dict[str, list[str]] = {}
        for kind in ("branch", "tag"):
            for r in self.engine.metastore.list_refs(kind):
                if r.commit_id:
                    labels.setdefault(r.commit_id, []).append(r.name if kind == "branch" else f"tag: {r.name}")
        return labels

    def _commit(self, row: CommitRow, labels: dict[str, list[str]] | None = None) -> Commit:
        meta: dict[str, Any] = json.loads(row.metadata) if row.metadata else {}
        return Commit(
            id=row.id, parent_commit=row.parent_id, message=row.message,
            author_name=row.author_name, author_email=row.author_email,
            commit_time=_utc(row.created_at),  # type: ignore[arg-type]
            metadata=meta, labels=tuple((labels or {}).get(row.id, ())),
        )

    def commit_log(self, page_size: int = 50, show_provenance: bool = False) -> CommitLog:
        head = self._require_state().meta.base_commit or None
        if head is None:
            return CommitLog(None, 0, lambda n: [], page_size=page_size, show_provenance=show_provenance)
        row = self.engine.commit_row(head)
        assert row is not None

        def fetch(n: int | None) -> list[Commit]:
            labels = self._labels()
            return [self._commit(r, labels) for r in self.engine.ancestry(head, n)]

        return CommitLog(head, row.depth + 1, fetch, page_size=page_size, show_provenance=show_provenance)

    def get_commit(self, ref: str) -> Commit:
        resolved = self.engine.resolve(ref)
        if resolved.commit_id is None:
            raise RefNotFoundError(f"{resolved.kind.capitalize()} {ref!r} has no commits yet.")
        row = self.engine.commit_row(resolved.commit_id)
        assert row is not None
        return self._commit(row, self._labels())

    # -- refs -------------------------------------------------------------
    def branches(self) -> RefList:
        return RefList([Branch(r.name, r.commit_id) for r in self.engine.metastore.list_refs("branch")], "branches")

    def tags(self) -> RefList:
        return RefList([self._tag(r) for r in self.engine.metastore.list_refs("tag")], "tags")

    @staticmethod
    def _tag(r: RefRow) -> Tag:
        return Tag(r.name, r.commit_id, r.message, _utc(r.created_at), r.author_name, r.author_email)

    def tag(self, tag_name: str, commit_id: str | None = None, message: str | None = None) -> Tag:
        validate_ref_name(tag_name, "tag")
        if commit_id is None:
            target = self._require_state().meta.base_commit or None
        else:
            target = self.engine.resolve(commit_id).commit_id
        if target is None:
            raise RefNotFoundError("There is no commit to tag yet: commit something first, or pass commit_id.")
        row = RefRow("tag", tag_name, target, message, dt.datetime.now(dt.timezone.utc).timestamp(),
                     self.author.name, self.author.email)
        if not self.engine.metastore.insert_ref(row):
            raise RefExistsError(f"Tag {tag_name!r} already exists; tags never move. Delete it first with repo.delete_tag({tag_name!r}).")
        return self._tag(row)

    def delete_tag(self, tag_name: str) -> None:
        if not self.engine.metastore.delete_ref("tag", tag_name):
            raise RefNotFoundError(f"Tag {tag_name!r} does not exist. Existing tags: {', '.join(self.tags().names) or 'none'}.")

    def new_branch(self, branch_name: str) -> Branch:
        validate_ref_name(branch_name, "branch")
        base = self._require_state().meta.base_commit or None
        row = RefRow("branch", branch_name, base, None, dt.datetime.now(dt.timezone.utc).timestamp(),
                     self.author.name, self.author.email)
        if not self.engine.metastore.insert_ref(row):
            raise RefExistsError(f"Branch {branch_name!r} already exists; check it out with repo.checkout({branch_name!r}).")
        return Branch(branch_name, base)

    def delete_branch(self, branch: str) -> None:
        if self.state is not None and self.state.meta.branch == branch:
            raise ArraylakeNbError(
                f"Cannot delete branch {branch!r}: the current checkout is on it. Check out another branch first."
            )
        if not self.engine.metastore.delete_ref("branch", branch):
            raise RefNotFoundError(f"Branch {branch!r} does not exist. Existing branches: {', '.join(self.branches().names)}.")

    # -- status and data ------------------------------------------------
    def status(self, limit: int = 1000) -> SessionStatus:
        state = self._require_state()
        paths = sorted(state.changed_keys())
        shown = paths if not limit else paths[:limit]
        return SessionStatus(self.name, _session_info(state.meta), shown, len(paths))

    def store(self) -> ArraylakeStore:
        state = self._require_state()
        if self._store is None or self._store.session_id != state.meta.id:
            self._store = ArraylakeStore(
                self.engine.path, state.meta.id, read_only=not state.writable,
                base_commit=state.meta.base_commit, branch=state.meta.branch,
            )
            self._store._state_ref = state
        return self._store

    def root_group(self) -> Group:
        return root_group(self.store())

    def _node_path(self, path: str) -> str:
        return zkeys.normalize_node_path(path)

    def move(self, source: str, dest: str) -> None:
        state = self._require_state()
        self.store()._check_writable()
        state.move(self._node_path(source), self._node_path(dest))

    def copy(self, source: str, dest: str) -> None:
        state = self._require_state()
        self.store()._check_writable()
        state.copy(self._node_path(source), self._node_path(dest))

    def _version(self, ref: str | None) -> VersionView:
        if ref is None:
            state = self._require_state()
            state.sync()
            return VersionView(state, f"session {state.meta.id[:8]} (uncommitted)")
        resolved = self.engine.resolve(ref)
        view = self.engine.read_only_view(resolved.commit_id)
        return VersionView(view, ref if ref == resolved.commit_id else f"{ref} ({(resolved.commit_id or 'empty')[:8]})")

    def diff(self, from_ref: str, to_ref: str | None = None) -> Diff:
        a, b = self._version(from_ref), self._version(to_ref)
        with hooks.progress(len(a.docs), "Comparing nodes", min_total=500) as advance:
            return diff_views(a, b, progress=lambda i: advance())

    def tree(self, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
        state = self._require_state()
        state.sync()
        return _tree.build_tree(state, prefix, depth, filter)

    def filter_metadata(self, filter: str) -> list[str]:
        state = self._require_state()
        state.sync()
        return _tree.filter_metadata(state, filter)

    def to_xarray(self, group: str | None = None, **kwargs: Any) -> xr.Dataset:
        import xarray as xr

        kwargs.setdefault("consolidated", False)
        kwargs.setdefault("chunks", None)
        return xr.open_dataset(self.store(), engine="zarr", group=group, **kwargs)

    def gc(self, older_than: dt.timedelta) -> GcReport:
        removed, freed, journals = self.engine.gc(_seconds(older_than))
        return GcReport(removed, freed, journals)

    def fsck(self) -> FsckReport:
        _, digests = self.engine.reachable()
        now = time.time()
        stale = []
        for folder in self.engine.session_folders():
            status, live_digests = self.engine.folder_status(folder, now)
            if status == "live":
                for d in live_digests:
                    digests.setdefault(d, f"(uncommitted, session {folder.path.name})")
            else:
                stale.append(folder.path.name)
        missing: dict[str, str] = {}
        corrupt: dict[str, str] = {}
        with hooks.progress(len(digests), "Verifying chunks", min_total=1000) as advance:
            for digest, key in digests.items():
                problem = self.engine.chunks.verify(digest)
                if problem == "missing":
                    missing[key] = digest.hex()
                elif problem == "corrupt":
                    corrupt[key] = digest.hex()
                advance()
        on_disk = set(self.engine.chunks.iter_digests())
        return FsckReport(len(digests), missing, corrupt, len(on_disk - set(digests)), sorted(stale))


class AsyncRepo:
    """Asynchronous interface to a repository.

    Every method runs the blocking engine in a worker thread. Zarr data is
    read and written through :attr:`store` (zarr's own async API) or through
    the synchronous :class:`Repo`.
    """

    def __init__(self, core: _RepoCore) -> None:
        self._core = core

    @property
    def name(self) -> str:
        return self._core.name

    async def _run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def _run_warning(self, fn: Callable[..., T], *args: Any) -> T:
        # Warnings raised in the worker thread would be lost to the caller's
        # filters; record them there and re-emit them here.
        def call() -> tuple[T, list[warnings.WarningMessage]]:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                return fn(*args), caught

        result, caught = await asyncio.to_thread(call)
        for w in caught:
            warnings.warn(w.message, w.category, stacklevel=3)
        return result

    async def ping(self) -> None:
        """Check that the metastore can be opened."""
        await self._run(self._core.engine.metastore.info)

    async def checkout(self, ref: str = "main", session_token: str | None = None, for_writing: bool = True,
                       expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT) -> str | None:
        """Check out a branch, tag or commit id and start a new session; return the commit id."""
        return await self._run_warning(self._core.checkout, ref, session_token, for_writing, expires_in)

    async def commit(self, message: str, auto_ff: bool = True, checkout_for_writing: bool = True) -> str | None:
        """Commit this session's changes and start a new session; return the new commit id."""
        return await self._run_warning(self._core.commit, message, auto_ff, checkout_for_writing)

    async def fast_forward(self) -> str | None:
        """Rebase the session onto its branch tip; ConflictError if paths overlap."""
        return await self._run(self._core.fast_forward)

    async def commit_log(self) -> CommitLog:
        """The commits reachable from the checkout, newest first."""
        return await self._run(self._core.commit_log)

    async def status(self, limit: int = 1000) -> SessionStatus:
        """The paths this session modified (``limit=0``: all of them)."""
        return await self._run(self._core.status, limit)

    async def tags(self) -> RefList:
        """All tags."""
        return await self._run(self._core.tags)

    async def branches(self) -> RefList:
        """All branches."""
        return await self._run(self._core.branches)

    async def tag(self, tag_name: str, commit_id: str | None = None, message: str | None = None) -> Tag:
        """Tag a commit (default: the checkout's commit)."""
        return await self._run(self._core.tag, tag_name, commit_id, message)

    async def delete_tag(self, tag_name: str) -> None:
        """Delete a tag."""
        await self._run(self._core.delete_tag, tag_name)

    async def new_branch(self, branch_name: str) -> Branch:
        """Create a branch at the checkout's commit (the checkout stays where it is)."""
        return await self._run(self._core.new_branch, branch_name)

    async def delete_branch(self, branch: str) -> None:
        """Delete a branch (not the one checked out)."""
        await self._run(self._core.delete_branch, branch)

    async def list_active_sessions(self) -> SessionList:
        """Sessions with uncommitted changes that have neither expired nor been abandoned."""
        return await self._run(self._core.list_active_sessions)

    async def create_session(self, ref: str = "main", for_writing: bool = True,
                             expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT,
                             message: str | None = None) -> AsyncLocalSession:
        """Create and persist a new session (the checkout does not switch to it)."""
        state = await self._run(self._core.create_session, ref, for_writing, expires_in, message)
        return AsyncLocalSession(self._core, state)

    async def join_session(self, session_id: str) -> AsyncLocalSession:
        """Switch the checkout to an existing session, seeing its uncommitted changes."""
        state = await self._run(self._core.join_session, session_id)
        return AsyncLocalSession(self._core, state)

    @property
    def session(self) -> AsyncLocalSession:
        """The current session."""
        return AsyncLocalSession(self._core, self._core._require_state())

    @property
    def store(self) -> ArraylakeStore:
        """The zarr Store of the current session."""
        return self._core.store()

    async def fsck(self) -> FsckReport:
        """Verify every reachable chunk; report missing, corrupt and unreachable data."""
        return await self._run(self._core.fsck)

    async def diff(self, from_ref: str, to_ref: str | None = None) -> Diff:
        """What changed between two refs, or from a ref to this session (see :meth:`Repo.diff`)."""
        return await self._run(self._core.diff, from_ref, to_ref)

    async def tree(self, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
        """The hierarchy under ``prefix`` (see :meth:`Repo.tree`)."""
        return await self._run(self._core.tree, prefix, depth, filter)

    async def filter_metadata(self, filter: str) -> list[str]:
        """Paths of groups and arrays whose attributes match a JMESPath expression."""
        return await self._run(self._core.filter_metadata, filter)

    async def move(self, source: str, dest: str) -> None:
        """Move a group or array without copying chunks."""
        await self._run(self._core.move, source, dest)

    async def copy(self, source: str, dest: str) -> None:
        """Copy a group or array, sharing its chunks."""
        await self._run(self._core.copy, source, dest)

    def __repr__(self) -> str:
        return f"<arraylake_nb.AsyncRepo '{self.name}'>"


class AsyncLocalSession(LocalSession):
    """A session whose ``abandon`` and ``update_expiration`` are coroutines."""

    async def abandon(self) -> None:  # type: ignore[override]
        await asyncio.to_thread(LocalSession.abandon, self)

    async def update_expiration(self, expires_in: dt.timedelta) -> None:  # type: ignore[override]
        await asyncio.to_thread(LocalSession.update_expiration, self, expires_in)


class Repo:
    """A repository of versioned Zarr data, with git-like commits, branches and tags.

    Get one from :class:`~arraylake_nb.Client` (``client.get_repo("org/name")``).
    The repo has a current *checkout*: a session on a branch (writable) or on
    a tag or old commit (read-only). ``repo.store`` and ``repo.root_group`` read
    and write through it; ``repo.commit()`` makes its changes visible to all.
    """

    def __init__(self, arepo: AsyncRepo) -> None:
        self._arepo = arepo
        self._core = arepo._core

    @property
    def name(self) -> str:
        """The repository's ``org/name``."""
        return self._core.name

    @property
    def path(self) -> Path:
        """The repository's directory on disk."""
        return self._core.engine.path

    def ping(self) -> None:
        """Check that the metastore can be opened."""
        self._core.engine.metastore.info()

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
        Checking out a tag or commit warns that you are not on a branch tip;
        writes then raise :class:`~arraylake_nb.errors.NotOnBranchError`.
        """
        return self._core.checkout(ref, session_token, for_writing, expires_in)

    def commit(self, message: str, auto_ff: bool = True, checkout_for_writing: bool = True) -> str | None:
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

        Returns
        -------
        The new commit id, or None (with a warning) when there was nothing to commit.
        """
        return self._core.commit(message, auto_ff, checkout_for_writing)

    def fast_forward(self) -> str | None:
        """Rebase the session onto the current branch tip, keeping its changes.

        Raises ConflictError (listing the paths) when a path changed both in
        this session and upstream; the session is left as it was.
        """
        return self._core.fast_forward()

    @property
    def commit_log(self) -> CommitLog:
        """Commits reachable from the checkout, newest first (``len``, iteration, slicing)."""
        return self._core.commit_log()

    def get_commit(self, ref: str) -> Commit:
        """The commit a branch, tag or commit id refers to."""
        return self._core.get_commit(ref)

    @property
    def tags(self) -> RefList:
        """All tags (``"v1" in repo.tags`` works)."""
        return self._core.tags()

    @property
    def branches(self) -> RefList:
        """All branches (``"main" in repo.branches`` works)."""
        return self._core.branches()

    def tag(self, tag_name: str, commit_id: str | None = None, message: str | None = None) -> Tag:
        """Tag a commit (default: the checkout's commit). Tags never move."""
        return self._core.tag(tag_name, commit_id, message)

    def delete_tag(self, tag_name: str) -> None:
        """Delete a tag (the commit stays)."""
        self._core.delete_tag(tag_name)

    def new_branch(self, branch_name: str) -> Branch:
        """Create a branch at the checkout's commit; check it out to write on it."""
        return self._core.new_branch(branch_name)

    def delete_branch(self, branch: str) -> None:
        """Delete a branch (not the one checked out); its commits stay reachable by id and tags."""
        self._core.delete_branch(branch)

    def status(self, limit: int = 1000) -> SessionStatus:
        """What this session changed: repo, base commit, session, branch and modified paths.

        ``limit=0`` lists every path.
        """
        return self._core.status(limit)

    @property
    def session(self) -> LocalSession:
        """The current session (id, branch, base commit, expiration; ``abandon()``)."""
        return LocalSession(self._core, self._core._require_state())

    def create_session(self, ref: str = "main", for_writing: bool = True,
                       expires_in: dt.timedelta = DEFAULT_SESSION_TIMEOUT,
                       message: str | None = None) -> LocalSession:
        """Create and persist a session on ``ref`` without switching to it (join it later by id)."""
        return LocalSession(self._core, self._core.create_session(ref, for_writing, expires_in, message))

    def join_session(self, session_id: str) -> LocalSession:
        """Switch to an existing session (also one started by another process)."""
        return LocalSession(self._core, self._core.join_session(session_id))

    def list_active_sessions(self) -> SessionList:
        """Persisted sessions not yet committed, abandoned or expired, oldest first."""
        return self._core.list_active_sessions()

    @property
    def store(self) -> ArraylakeStore:
        """The zarr Store of the current session (read-only off a branch tip)."""
        return self._core.store()

    @property
    def root_group(self) -> Group:
        """The root group of the current session (created on a branch if missing).

        A zarr ``Group`` with attribute access to members (``repo.root_group.atlantic``)
        and a working ``move``.
        """
        return self._core.root_group()

    def move(self, source: str, dest: str) -> None:
        """Move a group or array (paths from the root) without copying any chunk."""
        self._core.move(source, dest)

    def copy(self, source: str, dest: str) -> None:
        """Copy a group or array; the copy shares its chunks, so no bytes are copied."""
        self._core.copy(source, dest)

    def diff(self, from_ref: str, to_ref: str | None = None) -> Diff:
        """What changed from ``from_ref`` to ``to_ref`` (default: this session, uncommitted changes included).

        Lists groups and arrays added, deleted and moved, attributes changed
        (old → new) and, per array, the chunks changed (count and grid coordinates).
        """
        return self._core.diff(from_ref, to_ref)

    def tree(self, prefix: str = "", depth: int = 10, filter: str | None = None) -> Tree:
        """The hierarchy under ``prefix``: groups before arrays, ``📁 name`` / ``🇦 name (shape) dtype``.

        ``filter`` is a JMESPath expression over each node's attributes; matching
        nodes are shown with the groups that lead to them.
        """
        return self._core.tree(prefix, depth, filter)

    def filter_metadata(self, filter: str) -> list[str]:
        """Paths of the groups and arrays whose attributes match a JMESPath expression.

        Nuances: NaN is matched as the string ``'NaN'``; two missing keys compare
        equal (``null == null``); keys with special characters need double quotes
        (``'"eo:val" == `12`'``). An invalid expression raises InvalidQueryError.
        """
        return self._core.filter_metadata(filter)

    def to_xarray(self, group: str | None = None, **kwargs: Any) -> xr.Dataset:
        """Open a group as an :class:`xarray.Dataset` (kwargs go to ``xarray.open_dataset``)."""
        return self._core.to_xarray(group, **kwargs)

    def fsck(self) -> FsckReport:
        """Verify every chunk reachable from any commit; report missing or corrupt ones by key."""
        return self._core.fsck()

    def gc(self, older_than: dt.timedelta = dt.timedelta(hours=1)) -> GcReport:
        """Reclaim disk space: delete chunks and journals no commit or live session can reach.

        Chunks written by abandoned or expired sessions become garbage; so do
        journals of sessions that were committed, abandoned or expired. Only
        files older than ``older_than`` are removed, which protects chunks a
        writer in another process has stored but not yet recorded.
        """
        return self._core.gc(older_than)

    def __repr__(self) -> str:
        return f"<arraylake_nb.Repo '{self.name}'>"

    def _repr_html_(self) -> str:
        import html

        return f"<code>&lt;arraylake_nb.Repo '{html.escape(self.name)}'&gt;</code>"
