"""The exception hierarchy of arraylake_nb.

Every error the library raises on purpose derives from :class:`ArraylakeNbError`,
and every message says what to do next. Where a built-in exception type is part
of the contract that zarr or Python expects (``ValueError`` for writes to a
read-only store, ``KeyError`` for a missing repository), the error derives from
that type as well, so both ``except ArraylakeNbError`` and the built-in work.
"""

from __future__ import annotations

from collections.abc import Iterable


class ArraylakeNbError(Exception):
    """Base class of every error raised by arraylake_nb."""


class InvalidNameError(ArraylakeNbError, ValueError):
    """A repository, branch, tag or path name is not acceptable."""


class RepoNotFoundError(ArraylakeNbError, KeyError):
    """No repository with that name exists under the client's root."""

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return str(self.args[0]) if self.args else ""


class RepoExistsError(ArraylakeNbError, FileExistsError):
    """A repository with that name already exists."""


class RefNotFoundError(ArraylakeNbError, KeyError):
    """A branch, tag or commit id could not be resolved."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class RefExistsError(ArraylakeNbError, ValueError):
    """A branch or tag with that name already exists."""


class ReadOnlyError(ArraylakeNbError, ValueError):
    """A write was attempted through a read-only checkout or store.

    The message always starts with zarr's own wording ("store was opened in
    read-only mode and does not support writing") so zarr-level code that
    matches on it keeps working.
    """


class SessionError(ArraylakeNbError):
    """Base class for problems with a write session."""


class SessionNotFoundError(SessionError, KeyError):
    """No session with that id exists in this repository."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class SessionExpiredError(SessionError):
    """The session expired; its changes can no longer be written or committed."""


class SessionAbandonedError(SessionError):
    """The session was abandoned; its changes were discarded."""


class SessionCommittedError(SessionError):
    """The session was committed (perhaps by another process); it takes no more writes.

    Attributes
    ----------
    commit_id
        The commit the session became, when known.
    """

    def __init__(self, message: str, *, commit_id: str | None = None):
        super().__init__(message)
        self.commit_id = commit_id


class UncommittedChangesError(SessionError):
    """An action that would leave the session's uncommitted changes behind was refused.

    Attributes
    ----------
    session_id
        The session holding the changes.
    count
        How many keys it changed.
    """

    def __init__(self, message: str, *, session_id: str = "", count: int = 0):
        super().__init__(message)
        self.session_id = session_id
        self.count = count


class ConflictError(ArraylakeNbError):
    """A commit could not land because the branch moved in an incompatible way.

    Attributes
    ----------
    paths
        The zarr keys or node paths changed both in this session and upstream
        (empty when the conflict is not about paths, e.g. ``auto_ff=False``).
    tip
        The commit id the branch points to now.
    """

    def __init__(self, message: str, *, paths: Iterable[str] = (), tip: str | None = None):
        super().__init__(message)
        self.paths = sorted(set(paths))
        self.tip = tip


class NodeNotFoundError(ArraylakeNbError, KeyError):
    """No group or array exists at that path."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotAnArrayError(ArraylakeNbError, ValueError):
    """The node at that path is a group, where an array is needed (a preview, a chunk)."""


class InvalidSelectionError(ArraylakeNbError, ValueError):
    """A selection is out of range or malformed: of an array (dimensions, indices, windows,
    chunk coordinates) or of a listing (offset, page size)."""


class NodeExistsError(ArraylakeNbError, ValueError):
    """A group or array already exists at the destination path."""


class InvalidMoveError(ArraylakeNbError, ValueError):
    """A move or copy that cannot be done (into itself, into a missing parent, ...)."""


class NodeMovedError(ArraylakeNbError, KeyError):
    """A handle refers to a node that this session moved elsewhere."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NotOnBranchError(ReadOnlyError):
    """The session is not on a branch tip, so it cannot commit or write."""


class CorruptChunkError(ArraylakeNbError):
    """A chunk file is missing or its bytes do not match their checksum."""


class VirtualSourceError(ArraylakeNbError):
    """A file a virtual chunk points at cannot be used (base class).

    Attributes
    ----------
    location
        The source's URI (``file:///...``, ``https://...``, ``s3://...``).
    """

    def __init__(self, message: str, *, location: str = "") -> None:
        super().__init__(message)
        self.location = location


class VirtualSourceChangedError(VirtualSourceError):
    """The file a virtual chunk points at changed since it was referenced.

    Reading it could return wrong data, so nothing is returned.
    """


class VirtualSourceMissingError(VirtualSourceError):
    """The file a virtual chunk points at is gone or cannot be reached.

    Deliberately not a ``FileNotFoundError``: zarr could take that for a
    missing chunk and return the fill value instead of failing.
    """


class VirtualDatasetError(ArraylakeNbError, ValueError):
    """A file or a set of references cannot be added as a virtual dataset
    (unsupported format, malformed kerchunk references, unsupported location)."""


class MetastoreBusyError(ArraylakeNbError, TimeoutError):
    """Another process held the repository's metastore for too long.

    The message names that process (pid and host, when it recorded them) and
    how long it has held the metastore.
    """


class MetastoreDamagedError(ArraylakeNbError):
    """The repository's DuckDB metastore file cannot be read (damaged or not a database).

    The original DuckDB error is the exception's ``__cause__``.
    """


class ConfigError(ArraylakeNbError, ValueError):
    """A setting (an environment variable or an argument) has an unusable value."""


class DiskFullError(ArraylakeNbError, OSError):
    """The disk filled up during a write; nothing half-written was kept."""


class InvalidQueryError(ArraylakeNbError, ValueError):
    """A JMESPath expression could not be parsed or evaluated."""


class NothingToCommitWarning(UserWarning):
    """Emitted by ``commit`` when the session has no changes."""


class UncommittedChangesWarning(UserWarning):
    """Emitted when a checkout leaves uncommitted changes behind in a session."""


class NotOnBranchWarning(UserWarning):
    """Emitted by ``checkout`` of a tag or commit: the session is read-only.

    The message starts with "You are not on a branch tip, so you can't commit
    changes." (code filters on it) and goes on with how to write again.

    Attributes
    ----------
    short_id
        The short id of the commit checked out ("empty" for none).
    branch
        The branch to check out to write again.
    notice
        The one-line notice the notebook shows instead of the warning block.
    """

    def __init__(self, message: str, short_id: str = "", branch: str = "main") -> None:
        super().__init__(message)
        self.short_id = short_id
        self.branch = branch

    @property
    def notice(self) -> str:
        return f"read-only at {self.short_id} — repo.checkout({self.branch!r}) to write again"
