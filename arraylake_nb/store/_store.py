"""The zarr-python 3 Store over a session of a repository.

Reads see the session's base commit plus its uncommitted changes; writes go
to the session (chunk bytes to the chunk store, a journal record for the
key). Every blocking step (DuckDB, file I/O, hashing) runs in a worker thread,
never on zarr's event-loop thread, and no lock is held while chunk bytes are
hashed or written, so chunk writes proceed in parallel.
"""

from __future__ import annotations

import asyncio
import threading
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

import zarr.core.sync
from zarr.abc.store import (
    ByteRequest,
    OffsetByteRequest,
    RangeByteRequest,
    Store,
    SuffixByteRequest,
)
from zarr.core.buffer import Buffer, BufferPrototype, default_buffer_prototype

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.progress import Progress
from arraylake_nb.engine.repository import RepoEngine
from arraylake_nb.engine.session import READ_ONLY_MESSAGE, SessionView
from arraylake_nb.engine.values import ChunkRef, Doc, Value, VirtualRef
from arraylake_nb.errors import ReadOnlyError, SessionError, SessionNotFoundError
from arraylake_nb.storage import reader_for, slice_range

T = TypeVar("T")

# The session one store operation is bound to, carried into its worker thread
# (asyncio.to_thread copies the context); see CheckoutStore.
_OPERATION_VIEW: ContextVar[SessionView | None] = ContextVar("arraylake_nb_operation_view", default=None)


def _bounds(byte_range: ByteRequest, size: int) -> tuple[int, int | None]:
    """zarr's byte request as ``(start, end)`` for :func:`~arraylake_nb.storage.slice_range`."""
    if isinstance(byte_range, RangeByteRequest):
        return byte_range.start, byte_range.end
    if isinstance(byte_range, OffsetByteRequest):
        return byte_range.offset, None
    if isinstance(byte_range, SuffixByteRequest):
        # A start of -0 would mean the whole value, not its last 0 bytes.
        return (-byte_range.suffix if byte_range.suffix else size), None
    raise TypeError(f"Unexpected byte_range, got {byte_range}.")


def _slice(data: bytes, byte_range: ByteRequest | None) -> bytes:
    if byte_range is None:
        return data
    return slice_range(data, *_bounds(byte_range, len(data)))


class ArraylakeStore(Store):
    """A zarr Store over one session of an arraylake_nb repository.

    Parameters
    ----------
    repo_path
        The repository's directory.
    session_id
        The session to read and write through.
    read_only
        Refuse writes even if the session could accept them.
    base_commit, branch
        Where a read-only (never persisted) session stands; lets a pickled
        store rebuild its view in another process.

    Notes
    -----
    Two stores built from the same arguments are equal and share state; a
    store pickles to its arguments, so dask workers in other processes open
    the same session (writable sessions are persisted before pickling).
    """

    supports_writes = True
    supports_deletes = True
    supports_listing = True
    supports_partial_writes = False
    supports_consolidated_metadata = False
    # Where long writes report (the API's reporter, for repo.store); a store
    # bound to one session, or unpickled on a worker, reports nothing.
    _progress: Progress | None = None

    def __init__(
        self,
        repo_path: str | Path,
        session_id: str,
        *,
        read_only: bool = False,
        base_commit: str | None = None,
        branch: str | None = None,
    ) -> None:
        super().__init__(read_only=read_only)
        self.repo_path = str(Path(repo_path).resolve())
        self.session_id = session_id
        self.base_commit = base_commit
        self.branch = branch
        self._state_ref: SessionView | None = None
        self._engine: RepoEngine | None = None

    # -- identity -------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ArraylakeStore)
            and not isinstance(other, CheckoutStore)
            and self.repo_path == other.repo_path
            and self.session_id == other.session_id
            and self.read_only == other.read_only
        )

    def __hash__(self) -> int:
        return hash((self.repo_path, self.session_id, self.read_only))

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "read-write"
        return f"ArraylakeStore('{self.repo_path}', session={self.session_id[:8]}, {mode})"

    def __getstate__(self) -> dict[str, Any]:
        state = self._state_ref
        if state is not None and state.writable and not state.persisted:
            RepoEngine.open(Path(self.repo_path)).persist_session(state)
        return {
            "repo_path": self.repo_path,
            "session_id": self.session_id,
            "read_only": self._read_only,
            "base_commit": state.meta.base_commit if state is not None else self.base_commit,
            "branch": state.meta.branch if state is not None else self.branch,
        }

    def __setstate__(self, d: dict[str, Any]) -> None:
        self.__init__(  # type: ignore[misc]
            d["repo_path"], d["session_id"], read_only=d["read_only"],
            base_commit=d["base_commit"], branch=d["branch"],
        )

    @classmethod
    def for_session(cls, path: str | Path, view: SessionView) -> ArraylakeStore:
        """The store of a session view this process already holds (read-only unless it can write)."""
        store = cls(path, view.meta.id, read_only=not view.writable,
                    base_commit=view.meta.base_commit, branch=view.meta.branch)
        store._state_ref = view
        return store

    def with_read_only(self, read_only: bool = False) -> ArraylakeStore:
        """A new, unopened store on the same session with another read_only setting."""
        return type(self)(
            self.repo_path, self.session_id, read_only=read_only,
            base_commit=self.base_commit if self._state_ref is None else self._state_ref.meta.base_commit,
            branch=self.branch if self._state_ref is None else self._state_ref.meta.branch,
        )

    # -- session --------------------------------------------------------
    @property
    def engine(self) -> RepoEngine:
        """The shared engine of this store's repository."""
        if self._engine is None:
            self._engine = RepoEngine.open(Path(self.repo_path))
        return self._engine

    def _state(self) -> SessionView:
        state = self._state_ref
        if state is not None:
            return state
        engine = self.engine
        live = engine.live_session(self.session_id)
        if live is not None:
            state = live
        else:
            try:
                state = engine.join_session(self.session_id)
            except SessionNotFoundError:
                # A read-only view that was never persisted: rebuild it.
                state = engine.read_only_view(self.base_commit, session_id=self.session_id, branch=self.branch)
        self._state_ref = state
        return state

    def _operation_view(self) -> SessionView | None:
        """The session the running operation is bound to, if the store decides it per operation."""
        return None

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        # Blocking work goes to a worker thread, carrying the operation's session.
        view = self._operation_view()
        if view is None:
            return await asyncio.to_thread(fn, *args)
        token = _OPERATION_VIEW.set(view)
        try:
            return await asyncio.to_thread(fn, *args)
        finally:
            _OPERATION_VIEW.reset(token)

    async def _open(self) -> None:
        await self._in_thread(self._state)
        await super()._open()

    @property
    def session(self) -> SessionView:
        """The live session state this store reads and writes."""
        return self._state()

    def _check_writable(self) -> None:
        if self.read_only:
            state = self._state_ref
            if state is not None and not state.writable:
                state.check_writable()  # names the reason: old commit, tag, read-only checkout
            raise ReadOnlyError(
                f"{READ_ONLY_MESSAGE}: this store was opened read-only. "
                "Use store.with_read_only(False) on a branch checkout to write."
            )

    # -- reading --------------------------------------------------------
    def _value(self, key: str) -> Value | None:
        return self._state().get(key)

    def _read(self, key: str, byte_range: ByteRequest | None) -> bytes | None:
        v = self._value(key)
        if v is None:
            return None
        if isinstance(v, Doc):
            data = v.data
        elif isinstance(v, VirtualRef):
            data = self._read_virtual(key, v)
        else:
            data = self.engine.chunks.get(v.digest, key)
        return _slice(data, byte_range)

    def _read_virtual(self, key: str, ref: VirtualRef) -> bytes:
        state = self._state()

        def what() -> str:  # only when a read fails: finding the array costs lookups
            owner = state.owner(key)
            rel = key[len(owner) + 1 :] if owner else key
            return f"array {owner!r} (chunk {rel})" if owner is not None else f"key {key!r}"

        return reader_for(ref.location).read(ref.location, ref.offset, ref.length, ref.fingerprint, what)

    def get_sync(
        self, key: str, *, prototype: BufferPrototype | None = None, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        """Blocking :meth:`get` for callers outside an event loop."""
        if byte_range is not None and not isinstance(byte_range, (RangeByteRequest, OffsetByteRequest, SuffixByteRequest)):
            raise TypeError(f"Unexpected byte_range, got {byte_range}.")
        data = self._read(key, byte_range)
        if data is None:
            return None
        return (prototype or default_buffer_prototype()).buffer.from_bytes(data)

    async def get(
        self, key: str, prototype: BufferPrototype, byte_range: ByteRequest | None = None
    ) -> Buffer | None:
        """Read a key (or a byte range of it); None if it does not exist."""
        if byte_range is not None and not isinstance(byte_range, (RangeByteRequest, OffsetByteRequest, SuffixByteRequest)):
            raise TypeError(f"Unexpected byte_range, got {byte_range}.")
        data = await self._in_thread(self._read, key, byte_range)
        if data is None:
            return None
        return prototype.buffer.from_bytes(data)

    async def get_partial_values(
        self, prototype: BufferPrototype, key_ranges: Iterable[tuple[str, ByteRequest | None]]
    ) -> list[Buffer | None]:
        """Read several keys or ranges concurrently."""
        return list(await asyncio.gather(*(self.get(k, prototype, r) for k, r in key_ranges)))

    async def exists(self, key: str) -> bool:
        """True if ``key`` holds a value in the session's view."""
        return await self._in_thread(self._value, key) is not None

    async def getsize(self, key: str) -> int:
        """The size in bytes of the value at ``key``.

        Raises
        ------
        FileNotFoundError
            If ``key`` does not exist.
        """
        v = await self._in_thread(self._value, key)
        if v is None:
            raise FileNotFoundError(key)
        return v.size

    async def getsize_prefix(self, prefix: str) -> int:
        """The total size in bytes of the values inside directory ``prefix``."""
        def total() -> int:
            return sum(v.size for _, v in self._state().iter_items(zkeys.dir_prefix(prefix)))

        return await self._in_thread(total)

    # -- writing --------------------------------------------------------
    def _write(self, key: str, data: bytes | memoryview) -> None:
        state = self._state()
        state.check_writable()
        value: Value
        if zkeys.is_metadata_key(key):
            value = Doc.for_key(key, bytes(data))
        else:
            value = ChunkRef(self.engine.chunk_store(state.durability).put(data), len(data))
        state.set(key, value)

    def set_sync(self, key: str, value: Buffer) -> None:
        """Blocking :meth:`set`."""
        self._check_writable()
        self._write(key, value.to_bytes())

    async def set(self, key: str, value: Buffer) -> None:
        """Write a key in the session (visible to others only after commit)."""
        self._check_writable()
        if not isinstance(value, Buffer):
            raise TypeError(f"ArraylakeStore.set(): `value` must be a Buffer instance. Got {type(value)}.")
        # A view, not a copy: the chunk store hashes and writes it directly.
        await self._in_thread(self._write, key, memoryview(value.as_buffer_like()).cast("B"))
        if self._progress is not None and not zkeys.is_metadata_key(key):
            _count_write(self._progress)

    async def set_if_not_exists(self, key: str, value: Buffer) -> None:
        """Write ``key`` only if it holds no value (checked and written atomically in this process).

        Raises
        ------
        ReadOnlyError, SessionError
            If the store or the session takes no writes.
        """
        self._check_writable()

        def write() -> None:
            state = self._state()
            with state.lock:
                if state.get(key) is None:
                    self._write(key, value.to_bytes())

        await self._in_thread(write)

    def delete_sync(self, key: str) -> None:
        """Blocking :meth:`delete`."""
        self._check_writable()
        self._state().delete(key)

    async def delete(self, key: str) -> None:
        """Delete a key in the session; deleting a missing key is not an error."""
        self._check_writable()
        await self._in_thread(self._state().delete, key)

    async def delete_dir(self, prefix: str) -> None:
        """Delete everything inside a directory, in time proportional to its nodes."""
        self._check_writable()
        await self._in_thread(self._state().delete_prefix, zkeys.dir_prefix(prefix))

    async def clear(self) -> None:
        """Delete every key in the session's view."""
        await self.delete_dir("")

    # -- listing --------------------------------------------------------
    async def _keys(self, prefix: str) -> list[str]:
        return await self._in_thread(lambda: list(self._state().iter_keys(prefix)))

    async def list(self) -> AsyncIterator[str]:
        """Every key in the session's view."""
        for k in await self._keys(""):
            yield k

    async def list_prefix(self, prefix: str) -> AsyncIterator[str]:
        """Keys inside directory ``prefix`` (``"a/t"`` never matches ``a/t_array``)."""
        for k in await self._keys(zkeys.dir_prefix(prefix)):
            yield k

    async def list_dir(self, prefix: str) -> AsyncIterator[str]:
        """Names of the keys and subdirectories directly inside ``prefix``."""
        d = zkeys.dir_prefix(prefix)
        seen: set[str] = set()
        for k in await self._keys(d):
            name = zkeys.child_name(k, d)
            if name not in seen:
                seen.add(name)
                yield name

    async def is_empty(self, prefix: str) -> bool:
        """True if directory ``prefix`` holds no key."""
        d = zkeys.dir_prefix(prefix)

        def empty() -> bool:
            for _ in self._state().iter_keys(d):
                return False
            return True

        return await self._in_thread(empty)


class Checkout:
    """Which session a repository's current checkout is on.

    The owner (the API's ``Repo``) moves :attr:`view` on checkout, commit and
    join; a :class:`CheckoutStore` reads it at every operation. Lives in this
    layer so the store never imports the API.

    An operation belongs to the checkout in force when it started. zarr runs
    one array write as a tree of concurrent tasks on its event loop; when one
    task fails, ``gather`` raises while its siblings are still queued and may
    spawn tasks of their own. Moving the checkout pins every task then in
    flight on zarr's loop to the previous session, and a task inherits the pin
    of its outermost pinned ancestor: a refused write's siblings stay refused,
    and a write racing a commit fails with the committed session's error
    instead of landing, half of it, in the next session.
    """

    __slots__ = ("_lock", "_pinned", "_view")

    def __init__(self, view: SessionView | None = None) -> None:
        self._view = view
        self._pinned: weakref.WeakKeyDictionary[asyncio.Task[Any], SessionView] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    @property
    def view(self) -> SessionView | None:
        """The session of the current checkout (None before the first checkout)."""
        return self._view

    @view.setter
    def view(self, new: SessionView | None) -> None:
        with self._lock:
            old = self._view
            if old is not None and new is not old:
                for task in _tasks_in_flight():
                    self._pinned.setdefault(task, old)
            self._view = new

    def current(self) -> SessionView:
        """The session of the current checkout.

        Raises
        ------
        SessionError
            Before the first checkout.
        """
        view = self._view
        if view is None:
            raise SessionError("This repository has no checkout yet; call repo.checkout().")
        return view

    def for_operation(self) -> SessionView:
        """The session the calling operation is bound to: its pinned one, else the current one."""
        bound = _OPERATION_VIEW.get()
        if bound is not None:
            return bound
        try:
            task = asyncio.current_task()
        except RuntimeError:  # not on an event loop: a synchronous call
            task = None
        pinned = None
        with self._lock:
            while task is not None:
                pinned = self._pinned.get(task, pinned)
                task = _parents.get(task)
        return pinned if pinned is not None else self.current()


# Which task created which, on zarr's loop: an operation is a tree of tasks.
_parents: weakref.WeakKeyDictionary[asyncio.Task[Any], asyncio.Task[Any]] = weakref.WeakKeyDictionary()


def track_operations() -> None:
    """Record task parentage on zarr's event loop (idempotent), so pins reach subtasks."""
    loop = zarr.core.sync._get_loop()
    if getattr(loop, "_arraylake_nb_tracked", False):
        return
    previous = loop.get_task_factory()

    def factory(loop: asyncio.AbstractEventLoop, coro: Any, context: Any = None) -> asyncio.Task[Any]:
        kwargs = {} if context is None else {"context": context}
        task = previous(loop, coro, **kwargs) if previous is not None else asyncio.Task(coro, loop=loop, **kwargs)
        parent = asyncio.current_task(loop)
        if parent is not None:
            _parents[task] = parent
        else:
            # Registered before zarr's sync() chains the task to its caller's
            # future, so a write's progress is gone before the call returns.
            task.add_done_callback(_operation_done)
        return task

    loop.set_task_factory(factory)
    loop._arraylake_nb_tracked = True  # type: ignore[attr-defined]


WRITE_PROGRESS_AFTER = 1.0
"""Seconds one operation (say ``array[:] = data``) writes before it shows progress."""


class _WriteMeter:
    __slots__ = ("advance", "reporter", "start", "written")

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.written = 0
        self.reporter: Any = None
        self.advance: Callable[..., None] | None = None

    def close(self) -> None:
        if self.reporter is not None:
            self.reporter.__exit__(None, None, None)
            self.reporter = self.advance = None


# One meter per operation (the root task of its tree), touched only on zarr's loop.
_meters: weakref.WeakKeyDictionary[asyncio.Task[Any], _WriteMeter] = weakref.WeakKeyDictionary()


def _operation_done(task: asyncio.Task[Any]) -> None:
    meter = _meters.pop(task, None)
    if meter is not None:
        meter.close()


def _count_write(progress: Progress) -> None:
    # The total of an array write is not known to the store; a counter appears
    # once the operation has written for WRITE_PROGRESS_AFTER seconds, and goes
    # when its root task ends.
    task = asyncio.current_task()
    if task is None:
        return
    while (parent := _parents.get(task)) is not None:
        task = parent
    meter = _meters.get(task)
    if meter is None:
        meter = _meters[task] = _WriteMeter()
    meter.written += 1
    if meter.advance is not None:
        meter.advance()
    elif time.monotonic() - meter.start >= WRITE_PROGRESS_AFTER and not task.done():
        meter.reporter = progress(None, "Writing chunks")
        meter.advance = meter.reporter.__enter__()
        meter.advance(meter.written)


def _tasks_in_flight() -> set[asyncio.Task[Any]]:
    # Only zarr's own loop: it runs the synchronous API's operations. A caller
    # awaiting zarr on its own loop is the one moving the checkout, and follows it.
    loop = zarr.core.sync.loop[0]
    if loop is None or loop.is_closed():
        return set()
    return asyncio.all_tasks(loop)  # safe from another thread: it copies the task set first


def _bound(state: dict[str, Any]) -> ArraylakeStore:
    store = ArraylakeStore.__new__(ArraylakeStore)
    store.__setstate__(state)
    return store


class CheckoutStore(ArraylakeStore):
    """The store of a repository's current checkout (``repo.store``), whatever session that is.

    Every operation goes to the session the :class:`Checkout` points at when it
    runs, so arrays and groups opened through it keep working after a commit
    (writes land in the new session), read an old commit read-only after a
    checkout of it, and write again after a checkout of a branch.
    :attr:`read_only` is true exactly while the checkout cannot write.

    Pickling pins the session current at that moment: the clone is a plain
    :class:`ArraylakeStore` bound to it (dask workers join that session).
    :meth:`with_read_only` likewise returns a store bound to the current session.
    """

    def __init__(self, repo_path: str | Path, checkout: Checkout, progress: Progress | None = None) -> None:
        Store.__init__(self, read_only=False)
        self.repo_path = str(Path(repo_path).resolve())
        self._checkout = checkout
        self._engine = None
        self._progress = progress
        track_operations()

    # The bound store's attributes, read from the current session.
    @property  # type: ignore[override]
    def _state_ref(self) -> SessionView:
        return self._checkout.current()

    @property  # type: ignore[override]
    def session_id(self) -> str:
        return self._checkout.current().meta.id

    @property  # type: ignore[override]
    def base_commit(self) -> str | None:
        return self._checkout.current().meta.base_commit

    @property  # type: ignore[override]
    def branch(self) -> str | None:
        return self._checkout.current().meta.branch

    @property
    def read_only(self) -> bool:
        """Whether the current checkout refuses writes (an old commit, a tag, ``for_writing=False``)."""
        return not self._checkout.for_operation().writable

    @property  # type: ignore[override]
    def _read_only(self) -> bool:
        return self.read_only

    @_read_only.setter
    def _read_only(self, value: bool) -> None:
        pass  # zarr's Store.__init__ sets it; the checkout decides.

    def _state(self) -> SessionView:
        return self._checkout.for_operation()

    def _operation_view(self) -> SessionView | None:
        return self._checkout.for_operation()

    def _check_writable(self) -> None:
        view = self._checkout.for_operation()
        if not view.writable:
            view.check_writable()  # names the reason: old commit, tag, read-only checkout
            raise ReadOnlyError(f"{READ_ONLY_MESSAGE}: the current checkout cannot write.")

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CheckoutStore)
            and self.repo_path == other.repo_path
            and self._checkout is other._checkout
        )

    def __hash__(self) -> int:
        return hash((self.repo_path, id(self._checkout)))

    def __repr__(self) -> str:
        view = self._checkout.view
        if view is None:
            return f"ArraylakeStore('{self.repo_path}', following the checkout, no checkout yet)"
        mode = "read-write" if view.writable else "read-only"
        return f"ArraylakeStore('{self.repo_path}', following the checkout, session={view.meta.id[:8]}, {mode})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_bound, (self.__getstate__(),))

    def with_read_only(self, read_only: bool = False) -> ArraylakeStore:
        """A store bound to the current session (it does not follow later checkouts)."""
        view = self._checkout.current()
        return ArraylakeStore(
            self.repo_path, view.meta.id, read_only=read_only,
            base_commit=view.meta.base_commit, branch=view.meta.branch,
        )
