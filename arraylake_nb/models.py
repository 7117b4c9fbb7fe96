"""Plain data models returned by the API and rendered by every front end.

Each model renders through Rich (``__rich_console__``), as HTML in notebooks
(``_repr_html_``) and as plain text (``__str__``), and every model serialises
to a JSON document (``to_json()``, schema in ``docs/json-schema.md``); the
renderers live in :mod:`arraylake_nb.display` so all front ends share one model.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, overload

from arraylake_nb.engine import keys as _zkeys

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult


def _utc(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, tz=dt.UTC)


class Renderers(Protocol):
    """What :mod:`arraylake_nb.display` provides to render models (it registers itself)."""

    def rich_renderable(self, model: object) -> Any:
        """A Rich renderable showing ``model``."""
        ...

    def html(self, model: object) -> str:
        """``model`` as HTML, for notebooks."""
        ...

    def text(self, model: object) -> str:
        """``model`` as plain text (its ``str()``)."""
        ...

    def to_json(self, model: object, **options: Any) -> dict[str, Any]:
        """``model`` as a JSON document (JSON values only, with a ``"type"``)."""
        ...


_renderers: Renderers | None = None


def register_renderers(renderers: Renderers) -> None:
    """Called by :mod:`arraylake_nb.display` when imported (models know nothing of display)."""
    global _renderers
    _renderers = renderers


def _display() -> Renderers:
    # Importing arraylake_nb imports arraylake_nb.display, which registers itself.
    assert _renderers is not None, "arraylake_nb.display registers the renderers when imported"
    return _renderers


class _Serialised:
    """Mixin of every model: its JSON document, by the registered renderers."""

    __slots__ = ()  # slotted models stay slotted

    def to_json(self) -> dict[str, Any]:
        """This model as a JSON document (see ``docs/json-schema.md``): JSON values only, with a ``"type"``."""
        return _display().to_json(self)


class _Rendered(_Serialised):
    """Mixin: Rich, HTML and text renderings (and JSON), by the registered renderers."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield _display().rich_renderable(self)

    def _repr_html_(self) -> str:
        return _display().html(self)

    def __str__(self) -> str:
        return _display().text(self)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # Terminal IPython shows what print() shows, not the dataclass repr.
        p.text(repr(self) if cycle else _display().text(self))

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # IPython prefers a __repr__ found earlier in the MRO (every dataclass has one)
        # over an inherited _repr_pretty_, so each model carries its own.
        cls._repr_pretty_ = _Rendered._repr_pretty_  # type: ignore[method-assign]


@dataclass(frozen=True, slots=True)
class Commit(_Rendered):
    """One commit: its id, parent, message, author and time (UTC)."""

    id: str
    parent_commit: str | None
    message: str
    author_name: str | None
    author_email: str | None
    commit_time: dt.datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    labels: tuple[str, ...] = ()

    @property
    def short_id(self) -> str:
        """The first 8 characters of the id."""
        return self.id[:8]

    @property
    def cell_source(self) -> str | None:
        """The notebook cell that made this commit, when it was made from a notebook."""
        return self.metadata.get("cell")

    @property
    def notebook(self) -> str | None:
        """The notebook that made this commit, when the kernel knew its path."""
        return self.metadata.get("notebook")

    @property
    def author_entry(self) -> str:
        """The author as ``Name <email>`` (``unknown <>`` when not recorded)."""
        return f"{self.author_name or 'unknown'} <{self.author_email or ''}>"

    def __repr__(self) -> str:
        return f"<Commit {self.short_id} {self.message!r}>"


class CommitLog(_Rendered):
    """The commits reachable from a checkout, newest first.

    Iterating, ``len()`` and slicing (``log[:20]``) fetch only what they need,
    so the first page of a long history renders fast.
    """

    def __init__(
        self,
        head: str | None,
        length: int,
        fetch: Callable[[int | None], Sequence[Commit]],
        *,
        page_size: int = 50,
        show_provenance: bool = False,
    ) -> None:
        self.page_size = page_size
        self.show_provenance = show_provenance
        self.head = head
        self._length = length
        self._fetch = fetch
        self._loaded: list[Commit] = []
        self._complete = head is None

    def _ensure(self, n: int | None) -> None:
        if self._complete or (n is not None and len(self._loaded) >= n):
            return
        self._loaded = list(self._fetch(n))
        if n is None or len(self._loaded) < n:
            self._complete = True

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[Commit]:
        self._ensure(None)
        return iter(self._loaded)

    @overload
    def __getitem__(self, i: int) -> Commit: ...
    @overload
    def __getitem__(self, i: slice) -> list[Commit]: ...
    def __getitem__(self, i: int | slice) -> Commit | list[Commit]:
        if isinstance(i, slice):
            stop = i.stop
            if stop is None or stop < 0 or (i.start is not None and i.start < 0):
                self._ensure(None)
            else:
                self._ensure(stop)
            return self._loaded[i]
        if i < 0:
            self._ensure(None)
        else:
            self._ensure(i + 1)
        return self._loaded[i]

    def to_json(self, *, offset: int = 0, limit: int | None = None) -> dict[str, Any]:
        """One page of this log as a JSON document: ``limit`` commits (default ``page_size``) from ``offset``.

        Only the commits up to ``offset + limit`` are fetched; ``total`` in the
        document counts the whole log.
        """
        return _display().to_json(self, offset=offset, limit=limit)

    def __repr__(self) -> str:
        return f"<CommitLog of {self._length} commit(s) from {self.head}>"



@dataclass(frozen=True, slots=True)
class CommitPage(_Rendered):
    """One page of history (newest first) and the cursor of the next page.

    Attributes
    ----------
    commits
        The commits of this page.
    next_cursor
        Pass to ``repo.log_page(cursor=...)`` for the next page; None at the root.
    total
        How many commits the history holds from where the first page started.
    """

    commits: tuple[Commit, ...]
    next_cursor: str | None
    total: int


class CommitSequence(Sequence[Commit], _Serialised):
    """The commits of a long history, each :class:`Commit` built when first read.

    Indexing, slicing, iteration and ``len()`` work as on a tuple; :attr:`graph`
    gives every commit's id and parents without building any commit, which is
    all a commit-graph layout needs.
    """

    def __init__(self, ids: Sequence[str], parents: Sequence[tuple[str, ...]],
                 build: Callable[[int], Commit]) -> None:
        self._ids = list(ids)
        self._parents = list(parents)
        self._build = build
        self._built: list[Commit | None] = [None] * len(self._ids)

    @property
    def graph(self) -> list[tuple[str, tuple[str, ...]]]:
        """``(commit id, parent ids)`` of every commit, in order."""
        return list(zip(self._ids, self._parents, strict=True))

    def __len__(self) -> int:
        return len(self._ids)

    def _at(self, i: int) -> Commit:
        c = self._built[i]
        if c is None:
            c = self._built[i] = self._build(i)
        return c

    @overload
    def __getitem__(self, i: int) -> Commit: ...
    @overload
    def __getitem__(self, i: slice) -> list[Commit]: ...
    def __getitem__(self, i: int | slice) -> Commit | list[Commit]:
        if isinstance(i, slice):
            return [self._at(j) for j in range(*i.indices(len(self._ids)))]
        if i < 0:
            i += len(self._ids)
        if not 0 <= i < len(self._ids):
            raise IndexError("commit index out of range")
        return self._at(i)

    def __repr__(self) -> str:
        return f"<CommitSequence of {len(self._ids)} commit(s)>"


@dataclass(frozen=True, slots=True)
class CommitData(_Rendered):
    """What drawing history needs: commits (newest first), branches, tags and the checkout's commit.

    ``commits`` is a tuple, or for the history of every ref a :class:`CommitSequence`
    (built as read).
    """

    commits: Sequence[Commit]
    branches: RefList
    tags: RefList
    head: str | None


@dataclass(slots=True)
class Transaction(_Serialised):
    """What :meth:`arraylake_nb.Repo.transaction` did.

    Attributes
    ----------
    message
        The commit message.
    included_earlier_changes
        The session already held changes when the block started; they are in the commit too.
    commit_id
        The commit made (None until the block succeeds, or if nothing changed).
    rolled_back_changes
        How many changes the block had made when it failed and they were rolled back.
    """

    message: str
    included_earlier_changes: bool = False
    commit_id: str | None = None
    rolled_back_changes: int = 0

@dataclass(frozen=True, slots=True)
class Branch(_Rendered):
    """A branch, the commit it points to (None on an empty branch) and, when known, that commit's time."""

    name: str
    commit_id: str | None
    tip_time: dt.datetime | None = None

    def __repr__(self) -> str:
        return f"<Branch {self.name} -> {self.commit_id}>"


@dataclass(frozen=True, slots=True)
class Tag(_Rendered):
    """A tag: an immutable name for a commit."""

    name: str
    commit_id: str | None
    message: str | None = None
    created_at: dt.datetime | None = None
    author_name: str | None = None
    author_email: str | None = None

    def __repr__(self) -> str:
        return f"<Tag {self.name} -> {self.commit_id}>"


class RefList(list, _Rendered):  # type: ignore[type-arg]
    """A list of branches or tags that renders as a table."""

    kind = "refs"

    def __init__(self, items: Sequence[Branch | Tag], kind: str) -> None:
        super().__init__(items)
        self.kind = kind

    @property
    def names(self) -> list[str]:
        """The names of the refs, in list order."""
        return [r.name for r in self]

    def __contains__(self, item: object) -> bool:
        if isinstance(item, str):
            return item in self.names
        return super().__contains__(item)

    def __repr__(self) -> str:
        return f"{self.kind.capitalize()}({', '.join(self.names)})"

    __str__ = _Rendered.__str__


@dataclass(frozen=True, slots=True)
class SessionInfo(_Rendered):
    """A write session: where it started, who owns it, when it expires."""

    id: str
    start_time: dt.datetime
    expiration: dt.datetime
    branch: str | None
    base_commit: str | None
    author_name: str | None
    author_email: str | None
    message: str | None
    for_writing: bool

    def __repr__(self) -> str:
        return f"<Session {self.id} on {self.branch or 'no branch'} from {self.base_commit}>"


@dataclass(frozen=True, slots=True)
class NodeChange(_Serialised):
    """What a session did to one group, array or other directory of loose keys.

    ``kind`` is ``"array"``, ``"group"`` or ``"other"`` (keys outside any node).
    """

    path: str
    kind: str
    created: bool = False
    deleted: bool = False
    metadata_changed: bool = False
    chunks_written: int = 0
    chunks_deleted: int = 0
    virtual_sources: tuple[str, ...] = ()

    def describe(self) -> str:
        """What happened, in words: ``"created, 12 chunks written"`` (``"..., virtual: file.nc"``)."""
        parts = []
        if self.created:
            parts.append("created")
        if self.deleted:
            parts.append("deleted")
        if self.metadata_changed:
            parts.append("metadata changed")
        noun = "chunk" if self.kind == "array" else "key"
        if self.chunks_written:
            parts.append(f"{self.chunks_written:,} {noun}{'s' if self.chunks_written != 1 else ''} written")
        if self.chunks_deleted:
            parts.append(f"{self.chunks_deleted:,} {noun}{'s' if self.chunks_deleted != 1 else ''} deleted")
        if self.virtual_sources:
            parts.append(virtual_note(self.virtual_sources).strip(" ⇢"))
        return ", ".join(parts) or "unchanged"


def virtual_note(sources: Sequence[str], shown: int = 2) -> str:
    """`` ⇢ virtual: a.nc, b.nc (+3 more)`` for an array whose chunks are in those files; ``""`` for none.

    Parameters
    ----------
    sources
        The source locations (URIs); each is named by its last path component.
    shown
        At most this many are named.
    """
    if not sources:
        return ""
    names = [s.rstrip("/").rsplit("/", 1)[-1] or s for s in sources[:shown]]
    more = f" (+{len(sources) - shown} more)" if len(sources) > shown else ""
    return f" ⇢ virtual: {', '.join(names)}{more}"


def _key_node(key: str, nodes: Sequence[str] | set[str]) -> str | None:
    head = key
    while head:
        head = _zkeys.split(head)[0]
        if head in nodes:
            return head
    return None


def summarise_changes(
    paths: Sequence[tuple[str, bool]],
    kinds: dict[str, str] | None = None,
    existed: set[str] | None = None,
) -> list[NodeChange]:
    """One :class:`NodeChange` per node touched by ``paths`` ((zarr key, deleted?) pairs), by path.

    ``kinds`` maps node paths to ``"array"``/``"group"`` where known and
    ``existed`` names the nodes of the base commit; without them the kind is
    guessed from the key names and a written node document counts as a
    metadata change, not a creation.
    """
    kinds = dict(kinds or {})
    meta: dict[str, bool] = {}  # node -> deleted? (a written document wins)
    for key, deleted in paths:
        directory, name = _zkeys.split(key)
        if name in _zkeys.METADATA_NAMES:
            meta[directory] = meta.get(directory, True) and bool(deleted)
            if directory not in kinds:
                if name == _zkeys.ZARRAY:
                    kinds[directory] = "array"
                elif name == _zkeys.ZGROUP:
                    kinds[directory] = "group"
    for key, _ in paths:
        directory, name = _zkeys.split(key)
        if name not in _zkeys.METADATA_NAMES and "/c/" in f"/{key}":
            array = f"/{key}".rpartition("/c/")[0][1:]
            if array not in kinds:
                kinds[array] = "array"
    for directory in meta:
        kinds.setdefault(directory, "group")
    counts: dict[str, list[int]] = {}
    for key, deleted in paths:
        directory, name = _zkeys.split(key)
        if name in _zkeys.METADATA_NAMES:
            counts.setdefault(directory, [0, 0])
            continue
        node = _key_node(key, kinds)
        if node is None:
            node = f"/{key}".rpartition("/c/")[0][1:] if "/c/" in f"/{key}" else directory
            kinds.setdefault(node, "array" if "/c/" in f"/{key}" else "other")
        counts.setdefault(node, [0, 0])[1 if deleted else 0] += 1
    out = []
    for node in sorted(counts):
        written, removed = counts[node]
        touched = node in meta
        gone = touched and meta[node]
        new = touched and not gone and existed is not None and node not in existed
        out.append(
            NodeChange(
                node, kinds.get(node, "other"), created=new, deleted=gone,
                metadata_changed=touched and not gone and not new,
                chunks_written=written, chunks_deleted=removed,
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class SessionStatus(_Rendered):
    """What a session has changed: (zarr key, deleted?) per path, newest state.

    ``total`` counts all modified paths; ``modified_paths`` holds at most the
    ``limit`` asked for. ``nodes`` summarises every change (not only the listed
    ones) per group or array; :meth:`summary` derives it from
    ``modified_paths`` when it was not given. ``session_closed`` says why the
    session takes no more writes (``"abandoned"``, ``"expired"``,
    ``"committed as 1a2b3c4d"``, as :class:`RepoSummary`), None for a live one.
    """

    repo_name: str
    session: SessionInfo
    modified_paths: list[tuple[str, bool]]
    total: int
    nodes: list[NodeChange] | None = None
    session_closed: str | None = None

    def summary(self) -> list[NodeChange]:
        """One :class:`NodeChange` per group or array changed, sorted by path."""
        return self.nodes if self.nodes is not None else summarise_changes(self.modified_paths)

    def keys_by_node(self) -> dict[str, list[tuple[str, bool]]]:
        """The entries of ``modified_paths`` grouped by the path of the node (from :meth:`summary`) they belong to."""
        summary = self.summary()
        nodes = {n.path for n in summary if n.kind != "other"}
        out: dict[str, list[tuple[str, bool]]] = {n.path: [] for n in summary}
        for key, deleted in self.modified_paths:
            directory, name = _zkeys.split(key)
            owner = directory if name in _zkeys.METADATA_NAMES else _key_node(key, nodes)
            out.setdefault(directory if owner is None else owner, []).append((key, deleted))
        return out

    @property
    def truncated(self) -> int:
        """How many modified paths ``modified_paths`` leaves out."""
        return self.total - len(self.modified_paths)

    def __repr__(self) -> str:
        return f"<SessionStatus {self.repo_name} session={self.session.id[:8]} modified={self.total}>"


@dataclass(frozen=True, slots=True)
class SessionList(_Rendered):
    """Active sessions of a repository."""

    repo_name: str
    sessions: list[SessionInfo]

    def __iter__(self) -> Iterator[SessionInfo]:
        return iter(self.sessions)

    def __len__(self) -> int:
        return len(self.sessions)

    def __getitem__(self, i: int) -> SessionInfo:
        return self.sessions[i]


@dataclass(frozen=True, slots=True)
class FsckReport(_Rendered):
    """Result of an integrity check: missing and corrupt chunks by key, unreachable files."""

    checked_chunks: int
    missing: dict[str, str]
    corrupt: dict[str, str]
    unreachable_chunks: int
    stale_journals: list[str]
    checked_sources: int = 0
    bad_sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True if no chunk is missing or corrupt and every virtual source is reachable and unchanged
        (unreachable chunk files do not count)."""
        return not self.missing and not self.corrupt and not self.bad_sources

    def __repr__(self) -> str:
        state = "OK" if self.ok else f"{len(self.missing)} missing, {len(self.corrupt)} corrupt"
        if self.bad_sources:
            state += f", {len(self.bad_sources)} virtual source(s) changed or unreachable"
        sources = f", {self.checked_sources} virtual source(s)" if self.checked_sources else ""
        return f"<FsckReport {self.checked_chunks} chunks{sources} checked: {state}>"


@dataclass(frozen=True, slots=True)
class GcReport(_Serialised):
    """What :meth:`~arraylake_nb.Repo.gc` removed."""

    chunks_removed: int
    bytes_freed: int
    journals_removed: int

    def __repr__(self) -> str:
        return (
            f"<GcReport {self.chunks_removed} chunk(s), {self.bytes_freed} bytes freed, "
            f"{self.journals_removed} journal(s) removed>"
        )


@dataclass(frozen=True, slots=True)
class TreeNode(_Serialised):
    """A group or array in a :class:`Tree`; arrays carry shape, dtype and chunk shape.

    ``has_children`` is true when the node has child nodes in its version,
    whether or not ``children`` lists them (a tree cut at its depth does not),
    so a lazily expanded tree knows where to show an expander.
    """

    name: str
    path: str
    kind: str  # "group" or "array"
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    children: tuple[TreeNode, ...] = ()
    chunks: tuple[int, ...] | None = None
    has_children: bool = False
    virtual_sources: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The node's one-line label: an icon, the name, for arrays shape and dtype, and where
        a virtual array's chunks are (``⇢ virtual: file.nc``)."""
        if self.kind == "array":
            return f"🇦 {self.name} {self.shape} {self.dtype}{virtual_note(self.virtual_sources)}"
        return f"📁 {self.name}"


@dataclass(frozen=True, slots=True)
class Tree(_Rendered):
    """The hierarchy below a prefix: groups before arrays, each sorted by name.

    ``truncated`` counts nodes left out to keep the rendering short.
    """

    root: TreeNode
    truncated: int = 0

    def walk(self) -> Iterator[TreeNode]:
        """Every node, depth first, groups before arrays."""
        stack = [self.root]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children))

    def __len__(self) -> int:
        return sum(1 for _ in self.walk()) - 1

    def __repr__(self) -> str:
        return f"<Tree of {len(self)} node(s) under '/{self.root.path}'>"


@dataclass(frozen=True, slots=True)
class RepoSummary(_Rendered):
    """What a repository's notebook repr shows: its checkout, session, uncommitted changes and the top of its tree.

    Attributes
    ----------
    name
        The repository's ``org/name``.
    session
        The checked-out session; None before anything is checked out.
    changes
        Keys the session changed and has not committed (``repo.status().total``).
    tree
        The first few groups and arrays (``tree.truncated`` counts the rest); None before a checkout.
    session_closed
        Why the session takes no more writes, if it does not: ``"abandoned"``, ``"expired"``,
        ``"committed as 1a2b3c4d"``; None for a live session.
    """

    name: str
    session: SessionInfo | None
    changes: int = 0
    tree: Tree | None = None
    session_closed: str | None = None

    @property
    def branch(self) -> str | None:
        """The branch checked out; None when detached (a tag or an old commit) or not checked out."""
        return self.session.branch if self.session else None

    @property
    def base_commit(self) -> str | None:
        """The commit the session started from; None on an empty branch."""
        return self.session.base_commit if self.session else None

    @property
    def read_only(self) -> bool:
        """True when the checkout cannot write: detached, opened read-only, or not checked out."""
        return self.session is None or self.session.branch is None or not self.session.for_writing

    def __repr__(self) -> str:
        return f"<RepoSummary {self.name} branch={self.branch} base={(self.base_commit or '')[:8]} changes={self.changes}>"


@dataclass(frozen=True, slots=True)
class GroupSummary(_Rendered):
    """What a group's notebook repr shows: where it is, its attribute names and the top of its members' tree.

    ``tree`` is rooted at the group; ``tree.truncated`` counts the members left out.
    """

    repo_name: str
    path: str
    attributes: tuple[str, ...]
    tree: Tree
    branch: str | None
    base_commit: str | None
    read_only: bool

    def __repr__(self) -> str:
        return f"<GroupSummary /{self.path} in {self.repo_name}: {len(self.tree) + self.tree.truncated} member(s)>"


@dataclass(frozen=True, slots=True)
class ArraySummary(_Rendered):
    """What an array's notebook repr shows: where it is, shape, data type, chunks, fill value, attribute names.

    ``chunks`` is None when the array has no regular chunk grid.
    """

    repo_name: str
    path: str
    shape: tuple[int, ...]
    dtype: str
    chunks: tuple[int, ...] | None
    fill_value: Any
    attributes: tuple[str, ...]
    branch: str | None
    base_commit: str | None
    read_only: bool

    def __repr__(self) -> str:
        return f"<ArraySummary /{self.path} in {self.repo_name}: {self.shape} {self.dtype}>"


@dataclass(frozen=True, slots=True)
class AttributeChange(_Serialised):
    """One attribute of one node that differs: ``old``/``new`` are None when absent."""

    path: str
    key: str
    old: Any
    new: Any


@dataclass(frozen=True, slots=True)
class ChunkChanges(_Serialised):
    """Chunks of one array that differ; ``coords`` lists at most 1000 unless the diff was asked for more.

    ``states`` runs parallel to ``coords``: ``"added"`` (only in the newer
    version), ``"deleted"`` (only in the older) or ``"modified"`` (in both,
    with other bytes). It is empty for diffs made without it.
    """

    path: str
    count: int
    coords: tuple[tuple[int, ...], ...]
    states: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Diff(_Rendered):
    """What changed between two versions: nodes added, deleted and moved, attributes, chunks."""

    from_ref: str
    to_ref: str
    added: list[tuple[str, str]]  # (path, "group" | "array")
    deleted: list[tuple[str, str]]
    moved: list[tuple[str, str]]  # (old path, new path)
    attributes: list[AttributeChange]
    chunks: list[ChunkChanges]
    #: Arrays added or with changed chunks whose chunks (in the newer version) are virtual -> their sources.
    virtual: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True if nothing changed between the two versions."""
        return not (self.added or self.deleted or self.moved or self.attributes or self.chunks)

    def __repr__(self) -> str:
        return (
            f"<Diff {self.from_ref} → {self.to_ref}: +{len(self.added)} -{len(self.deleted)} "
            f"moved {len(self.moved)}, {len(self.attributes)} attribute(s), "
            f"{sum(c.count for c in self.chunks)} chunk(s)>"
        )


@dataclass(frozen=True, slots=True)
class NodeVersion(_Serialised):
    """One commit that changed a group or array, and the node as that commit left it.

    Attributes
    ----------
    commit
        The commit.
    kind
        ``"array"`` or ``"group"`` after the commit; None if it deleted the node.
    created, deleted
        The commit created the node (also by moving or copying it here) or deleted it.
    metadata_changed
        Its metadata other than attributes changed (shape, data type, codecs, ...).
    attributes_changed
        Its attributes changed.
    chunks_changed
        How many of its chunks the commit wrote or deleted.
    shape
        The array's shape after the commit (None for groups and deleted nodes).
    """

    commit: Commit
    kind: str | None
    created: bool = False
    deleted: bool = False
    metadata_changed: bool = False
    attributes_changed: bool = False
    chunks_changed: int = 0
    shape: tuple[int, ...] | None = None

    def describe(self) -> str:
        """What the commit did to the node, in words: ``"attributes changed, 3 chunks written"``."""
        parts = [w for w, on in (("created", self.created), ("deleted", self.deleted),
                                 ("metadata changed", self.metadata_changed),
                                 ("attributes changed", self.attributes_changed)) if on]
        if self.chunks_changed:
            parts.append(f"{self.chunks_changed:,} chunk{'s' if self.chunks_changed != 1 else ''} written or deleted")
        return ", ".join(parts) or "rewritten unchanged"


@dataclass(frozen=True, slots=True)
class NodeHistory(_Rendered):
    """The commits that changed one group or array, newest first (``repo.node_history``).

    Only the path is followed: a node moved to ``path`` starts its history
    with the move.
    """

    path: str
    ref: str
    versions: tuple[NodeVersion, ...]

    def __iter__(self) -> Iterator[NodeVersion]:
        return iter(self.versions)

    def __len__(self) -> int:
        return len(self.versions)

    def __repr__(self) -> str:
        return f"<NodeHistory '/{self.path}' from {self.ref}: {len(self.versions)} commit(s)>"
