"""Sharing one DuckDB file between processes: a brief, polite lease.

DuckDB lets one process hold a database file at a time; a second cannot even
open it read-only. Reopening for every query would cost 15-50 ms, so a process
keeps the file open while it works and gives it up when it has been idle for
``idle_seconds`` or, between two operations, as soon as another process is
waiting (a background thread checks every 20 ms, so a waiter never waits for
the idle time to run out; the idle time only spares this process a reopen). Waiting processes announce themselves with a shared lock on a second
file, which the holder can test without blocking.

While a process holds the lease continuously, nobody else can change the
database, so anything it read under the same ``epoch`` is still current; the
epoch changes each time the lease is acquired anew.

The holder writes ``pid host acquired-at`` into the lock file each time it
acquires the lease (a write and a truncate, microseconds next to opening
DuckDB), so a process that gives up waiting can say who holds the metastore
and since when. A waiter gives up after ``timeout`` seconds:
``$ARRAYLAKE_NB_LEASE_TIMEOUT`` as read when the lease is created, else 120.
"""

from __future__ import annotations

import atexit
import fcntl
import math
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from arraylake_nb.errors import ConfigError, MetastoreBusyError

_LIVE: weakref.WeakSet[Lease] = weakref.WeakSet()

#: Environment variable: seconds a process waits for the metastore before giving up.
LEASE_TIMEOUT_ENV = "ARRAYLAKE_NB_LEASE_TIMEOUT"
DEFAULT_LEASE_TIMEOUT = 120.0
_HOST = socket.gethostname()


def check_timeout(value: object, source: str) -> float:
    """``value`` as a number of seconds to wait for the metastore.

    Parameters
    ----------
    value
        A number, or a string holding one (``"inf"`` waits forever).
    source
        Where the value came from, named in the message (e.g. ``"lease_timeout"``).

    Raises
    ------
    ConfigError
        If ``value`` is not a number of seconds, is negative, or is NaN.
    """
    try:
        seconds = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        seconds = math.nan
    if math.isnan(seconds) or seconds < 0:
        raise ConfigError(
            f"{source} must be a number of seconds to wait for a busy metastore (e.g. 300), got {value!r}. "
            f"Fix it, or leave it unset to wait {DEFAULT_LEASE_TIMEOUT:g} s."
        )
    return seconds


def default_timeout() -> float:
    """The wait from ``$ARRAYLAKE_NB_LEASE_TIMEOUT``, else 120 seconds."""
    env = os.environ.get(LEASE_TIMEOUT_ENV)
    if env is None or not env.strip():
        return DEFAULT_LEASE_TIMEOUT
    return check_timeout(env.strip(), f"${LEASE_TIMEOUT_ENV}")


class Lease:
    """Exclusive, revocable ownership of a DuckDB file across processes.

    Parameters
    ----------
    db_path
        The DuckDB file; the lock files sit next to it (``.lock``, ``.wait``).
    idle_seconds
        Keep the file open this long after the last use, unless someone waits.
    timeout
        Seconds to wait for another process before raising
        :class:`~arraylake_nb.errors.MetastoreBusyError`; ``None`` reads
        ``$ARRAYLAKE_NB_LEASE_TIMEOUT`` (default 120). Can be changed later
        through the ``timeout`` attribute.
    """

    def __init__(self, db_path: Path, *, idle_seconds: float = 1.0, timeout: float | None = None) -> None:
        self.db_path = Path(db_path)
        self.idle_seconds = idle_seconds
        self.timeout = default_timeout() if timeout is None else timeout
        self._mutex = threading.RLock()
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock_fd: int | None = None
        self._wait_fd: int | None = None
        self._depth = 0
        self._last_used = 0.0
        self.epoch = 0
        self._reaper: threading.Thread | None = None
        self._wake = threading.Event()
        _LIVE.add(self)

    @property
    def timeout(self) -> float:
        """Seconds to wait for another process's lease before giving up."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        """Set the wait, in seconds (``float("inf")`` waits forever).

        Raises
        ------
        ConfigError
            If ``value`` is not a number of seconds, is negative, or is NaN.
        """
        self._timeout = check_timeout(value, "lease_timeout")

    # -- file locks -----------------------------------------------------
    def _open_fds(self) -> None:
        if self._lock_fd is None:
            self._lock_fd = os.open(str(self.db_path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            self._wait_fd = os.open(str(self.db_path) + ".wait", os.O_RDWR | os.O_CREAT, 0o644)

    def _acquire_file(self) -> None:
        self._open_fds()
        assert self._lock_fd is not None and self._wait_fd is not None
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._record_holder()
            return
        except BlockingIOError:
            pass
        fcntl.flock(self._wait_fd, fcntl.LOCK_SH)
        try:
            deadline = time.monotonic() + self.timeout
            delay = 0.0005
            while True:
                try:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    self._record_holder()
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise MetastoreBusyError(self._busy_message()) from None
                    time.sleep(delay)
                    delay = min(delay * 2, 0.01)
        finally:
            fcntl.flock(self._wait_fd, fcntl.LOCK_UN)

    def _record_holder(self) -> None:
        """Write ``pid host acquired-at`` into the lock file, for waiters' messages."""
        assert self._lock_fd is not None
        record = f"{os.getpid()} {_HOST} {time.time():.3f}\n".encode()
        try:
            os.pwrite(self._lock_fd, record, 0)
            os.ftruncate(self._lock_fd, len(record))
        except OSError:
            pass  # only a message depends on it; the lock itself is held

    def _holder(self) -> tuple[int, str, float] | None:
        """(pid, host, acquired-at) the holder recorded, or None if unreadable."""
        assert self._lock_fd is not None
        try:
            pid, host, since = os.pread(self._lock_fd, 512, 0).decode().split()
            return int(pid), host, float(since)
        except (OSError, UnicodeDecodeError, ValueError):
            return None  # written by a version that recorded nothing, or mid-write

    def _busy_message(self) -> str:
        setting = f"set {LEASE_TIMEOUT_ENV} or Client(lease_timeout=...) to wait longer"
        holder = self._holder()
        if holder is None:
            return (
                f"Another process has held the metastore {self.db_path} for more than {self.timeout:g} s "
                f"(the time this process waits; {setting}). If that process is stopped or hung, resume or "
                "end it; a process that exits releases it at once."
            )
        pid, host, since = holder
        kill = f"kill {pid}" if host == _HOST else f"kill {pid} on host '{host}'"
        return (
            f"Process {pid} on host '{host}' has held the metastore {self.db_path} for "
            f"{max(time.time() - since, 0):.0f} s (longer than the {self.timeout:g} s this process waits; "
            f"{setting}). If that process is stopped or hung, resume or end it ({kill}); "
            "a process that exits releases it at once."
        )

    def _others_waiting(self) -> bool:
        if self._wait_fd is None:
            return False
        try:
            fcntl.flock(self._wait_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(self._wait_fd, fcntl.LOCK_UN)
        return False

    # -- connection -----------------------------------------------------
    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open connection, held exclusively by this thread for the block."""
        with self._mutex:
            if self._con is None:
                self._acquire_file()
                try:
                    self._con = duckdb.connect(str(self.db_path))
                except BaseException:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)  # type: ignore[arg-type]
                    raise
                self.epoch += 1
                self._start_reaper()
            self._depth += 1
            try:
                yield self._con
            finally:
                self._depth -= 1
                self._last_used = time.monotonic()
                if self._depth == 0 and self._others_waiting():
                    self._release_locked()

    def _release_locked(self) -> None:
        if self._con is not None:
            try:
                self._con.close()
            finally:
                self._con = None
                if self._lock_fd is not None:
                    fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def release(self) -> None:
        """Close the database and let other processes have it."""
        with self._mutex:
            if self._depth == 0:
                self._release_locked()

    @property
    def held(self) -> bool:
        """True while this process has the database open (holds the lease)."""
        return self._con is not None

    def _start_reaper(self) -> None:
        if self._reaper is None:
            self._reaper = threading.Thread(
                target=_reap, args=(weakref.ref(self),), name="arraylake-nb-lease", daemon=True
            )
            self._reaper.start()

    def close(self) -> None:
        """Release the database and the lock files for good."""
        self.release()
        self._wake.set()
        with self._mutex:
            for fd in (self._lock_fd, self._wait_fd):
                if fd is not None:
                    os.close(fd)
            self._lock_fd = self._wait_fd = None

    # -- fork safety ----------------------------------------------------
    def _before_fork(self) -> None:
        self._mutex.acquire()
        self._release_locked()

    def _after_fork_parent(self) -> None:
        self._mutex.release()

    def _after_fork_child(self) -> None:
        # The child shares no file lock with the parent (flock is per open file
        # description, and the descriptors are shared): start from nothing.
        self._con = None
        self._lock_fd = self._wait_fd = None
        self._reaper = None
        self._depth = 0
        self._wake = threading.Event()
        self._mutex = threading.RLock()


def _reap(ref: weakref.ref[Lease]) -> None:
    """Release the lease when idle, or promptly when another process waits."""
    while True:
        lease = ref()
        if lease is None:
            return
        wake, idle = lease._wake, lease.idle_seconds
        del lease
        if wake.wait(min(idle / 4, 0.02)):
            return
        lease = ref()
        if lease is None:
            return
        with lease._mutex:
            if lease._con is None:
                lease._reaper = None
                return
            if lease._depth == 0 and (
                time.monotonic() - lease._last_used > lease.idle_seconds or lease._others_waiting()
            ):
                lease._release_locked()
                lease._reaper = None
                return
        del lease


def _before_fork() -> None:
    for lease in list(_LIVE):
        lease._before_fork()


def _after_fork_parent() -> None:
    for lease in list(_LIVE):
        lease._after_fork_parent()


def _after_fork_child() -> None:
    for lease in list(_LIVE):
        lease._after_fork_child()


@atexit.register
def _close_all() -> None:
    # Close connections before interpreter teardown: a daemon thread frozen
    # inside DuckDB at exit aborts the process.
    for lease in list(_LIVE):
        lease._wake.set()
        with lease._mutex:
            lease._release_locked()


os.register_at_fork(
    before=_before_fork, after_in_parent=_after_fork_parent, after_in_child=_after_fork_child
)
