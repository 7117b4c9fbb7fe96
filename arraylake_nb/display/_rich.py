"""Rich renderables for the models: pure functions from a model to a renderable.

User data always goes into :class:`rich.text.Text` objects, never into markup
strings, so square brackets in keys, names or messages are printed as is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from arraylake_nb.display import _time
from arraylake_nb.engine.keys import METADATA_NAMES as _METADATA_NAMES
from arraylake_nb.models import (
    ArraySummary,
    Branch,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    Diff,
    FsckReport,
    GroupSummary,
    NodeChange,
    NodeHistory,
    RefList,
    RepoSummary,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
    virtual_note,
)

MAX_LINES = 50
"""Rows (modified paths, refs, sessions) rendered before the rest is counted."""

MAX_PROBLEMS = 20
"""Missing or corrupt chunks listed in an integrity report."""

NO_COMMIT = "(no commits)"
NO_COMMITS_YET = "No commits yet"
NO_BRANCH = "none (read-only checkout)"
EMPTY_TREE = "Empty: no groups or arrays here (create arrays with repo.root_group.create_array(...))."

_ID = "yellow"
_LABEL = "bold cyan"
_BRANCH = "green"
_DIM = "dim"


# -- facts shared with the HTML renderers -------------------------------------


def author(name: str | None, email: str | None) -> str:
    """``name <email>``, whichever parts are known, else ``unknown``."""
    if name and email:
        return f"{name} <{email}>"
    return name or email or "unknown"


def session_line(session: SessionInfo) -> str:
    """The status line naming a session and when it started (the zone named: the only time shown)."""
    return f"📟 Session {session.id} started at {_time.human(session.start_time, with_zone=True)}"


def next_page_note(page: CommitPage) -> str:
    """The line saying how to get the page after ``page``."""
    return f"Next page: repo.log_page(cursor={page.next_cursor!r})"


class RefColumns(NamedTuple):
    """Optional columns of a table of refs: ``message`` (tags), ``time`` (its header, naming the zone)."""

    message: bool
    time: str | None


def ref_time(ref: Branch | Tag) -> dt.datetime | None:
    """The time a table of refs shows: a tag's creation, a branch's last commit."""
    return ref.created_at if isinstance(ref, Tag) else ref.tip_time


def ref_columns(refs: Sequence[Branch | Tag]) -> RefColumns:
    """Which optional columns a table of ``refs`` needs, with the time column's header."""
    times = [t for t in map(ref_time, refs) if t is not None]
    message = any(isinstance(r, Tag) and r.message for r in refs)
    if not times:
        return RefColumns(message, None)
    kinds = {isinstance(r, Tag) for r in refs}
    what = "Time" if len(kinds) > 1 else "Created" if True in kinds else "Last commit"
    return RefColumns(message, f"{what} ({_time.zones(times)})")


def base_commit_line(session: SessionInfo) -> str:
    """The status line naming the commit a session started from."""
    return f"📌 Base commit {session.base_commit}" if session.base_commit else "📌 No commits yet"


def branch_line(session: SessionInfo) -> str:
    """The status line naming the branch a session writes to."""
    if session.branch is None:
        return "🌿 Not on a branch (read-only checkout)"
    return f"🌿 On branch {session.branch}"


def status_more_note(status: SessionStatus, shown: int) -> str | None:
    """The line counting modified paths left out after ``shown`` rows, if any."""
    hidden = len(status.modified_paths) - shown + max(status.truncated, 0)
    if hidden <= 0:
        return None
    if status.truncated > 0:
        return f"... and {hidden} more; call repo.status(limit=0) to list all"
    return f"... and {hidden} more; see .modified_paths for all"


#: Keys listed under each node of a status in Rich and text.
KEYS_PER_NODE = 3

_KIND_ICONS = {"array": "🇦", "group": "📁", "other": "📄"}


def node_change_line(node: NodeChange) -> str:
    """One status line for a node: ``🇦 array big: 60,000 chunks written, metadata changed``."""
    kind = "keys in" if node.kind == "other" else node.kind
    return f"{_KIND_ICONS.get(node.kind, '📄')} {kind} {node.path or '/'}: {node.describe()}"


def node_key_count(node: NodeChange, listed: list[tuple[str, bool]]) -> int:
    """How many keys of ``node`` changed, at least as many as are ``listed``."""
    meta = sum(1 for key, _ in listed if key.rpartition("/")[2] in _METADATA_NAMES)
    return max(len(listed), node.chunks_written + node.chunks_deleted + meta)


def status_truncated_note(status: SessionStatus) -> str | None:
    """The line saying how many keys ``repo.status(limit=...)`` left out of the listing, if any."""
    if status.truncated <= 0:
        return None
    return f"{status.truncated} more changed keys not listed; call repo.status(limit=0) to list all"


def log_more_note(log: CommitLog) -> str | None:
    """The line counting commits older than the first page, if any."""
    older = len(log) - log.page_size
    if older <= 0:
        return None
    return f"... {older} older commits; use repo.commit_log[{log.page_size}:] to see more"


def problems(report: FsckReport) -> Iterator[tuple[str, str, str]]:
    """``(kind, key, detail)`` for each missing, then each corrupt chunk (detail: its digest),
    then each changed or unreachable virtual source (key: its location; detail: what is wrong)."""
    yield from (("missing", k, d) for k, d in report.missing.items())
    yield from (("corrupt", k, d) for k, d in report.corrupt.items())
    yield from (("virtual source", loc, why) for loc, why in report.bad_sources.items())


def problem_count(report: FsckReport) -> int:
    """How many problems :func:`problems` yields."""
    return len(report.missing) + len(report.corrupt) + len(report.bad_sources)


def fsck_summary(report: FsckReport) -> str:
    """The headline of an integrity report."""
    sources = f" and {report.checked_sources} virtual source(s)" if report.checked_sources else ""
    if report.ok:
        return f"✅ {report.checked_chunks} chunks{sources} verified, no problems"
    bad_sources = f", {len(report.bad_sources)} virtual source(s) changed or unreachable" if report.bad_sources else ""
    return (
        f"❌ {report.checked_chunks} chunks{sources} checked: "
        f"{len(report.missing)} missing, {len(report.corrupt)} corrupt{bad_sources}"
    )


def fsck_leftovers(report: FsckReport) -> str:
    """The line counting unreachable chunks and stale journals."""
    return f"unreachable chunks: {report.unreachable_chunks}, stale journals: {len(report.stale_journals)}"


def checkout_line(branch: str | None, base_commit: str | None, read_only: bool) -> str:
    """Where a checkout stands: ``On branch main at 1a2b3c4d``, ``Detached at 1a2b3c4d (read-only)``."""
    if branch is None:
        return f"Detached at {base_commit[:8]} (read-only)" if base_commit else "Detached (read-only)"
    where = f"On branch {branch} at {base_commit[:8]}" if base_commit else f"On branch {branch}, no commits yet"
    return where + (" (read-only)" if read_only else "")


def changes_line(changes: int) -> str:
    """The uncommitted changes of a repo summary, and where to see them."""
    if changes == 0:
        return "No uncommitted changes"
    return f"{changes:,} uncommitted change{'s' if changes != 1 else ''}; see repo.status()"


def session_expiry_line(session: SessionInfo, closed: str | None = None) -> str:
    """``Session 1a2b3c4d, expires in 23 h``: a short id and the expiration in words (or why it is closed)."""
    if closed:
        return f"Session {session.id[:8]} was {closed}; repo.checkout() starts a new one"
    return f"Session {session.id[:8]}, {_time.expiry(session.expiration)}"


#: Attribute names a summary lists before counting the rest.
MAX_ATTRIBUTE_NAMES = 10


def attribute_names(names: Sequence[str]) -> str:
    """The first attribute names, comma separated, and a count of the rest; ``none`` without any."""
    if not names:
        return "none"
    shown = ", ".join(names[:MAX_ATTRIBUTE_NAMES])
    rest = len(names) - MAX_ATTRIBUTE_NAMES
    return f"{shown}, ... and {rest} more" if rest > 0 else shown


def group_handle(path: str) -> str:
    """Python that reaches the group at ``path`` from a repo."""
    return "repo.root_group" if not path else f"repo.root_group[{path!r}]"


def empty_members(path: str, read_only: bool) -> str:
    """What an empty summary tree says: nothing here, and (when writable) how to add something."""
    if read_only:
        return "Empty: no groups or arrays here in this checkout."
    return f"Empty: create arrays with {group_handle(path)}.create_array(name, shape=..., dtype=...)"


def summary_more_note(t: Tree) -> str:
    """The line counting nodes a summary's tree leaves out, and how to see them all."""
    where = f"({t.root.path!r})" if t.root.path else "()"
    return f"... and {t.truncated} more; see repo.tree{where}"


def array_facts(a: ArraySummary) -> list[tuple[str, str]]:
    """(label, value) of an array summary: shape, data type, chunks, fill value."""
    return [
        ("Shape", str(a.shape)),
        ("Data type", a.dtype),
        ("Chunks", str(a.chunks) if a.chunks is not None else "irregular"),
        ("Fill value", repr(a.fill_value) if isinstance(a.fill_value, str) else str(a.fill_value)),
    ]


# -- renderers -----------------------------------------------------------------


def _more(n: int) -> Text:
    return Text(f"... and {n} more", style=_DIM)


def _commit_id(commit_id: str | None) -> Text:
    return Text(commit_id, style=_ID) if commit_id else Text(NO_COMMIT, style=_DIM)


def _commit_lines(c: Commit, at: dt.datetime, *, with_zone: bool, provenance: bool) -> list[RenderableType]:
    head = Text.assemble(("commit ", _ID), (c.id, _ID))
    if c.labels:
        head.append(" (", _ID)
        head.append_text(Text(", ", style=_ID).join(Text(label, style=_LABEL) for label in c.labels))
        head.append(")", _ID)
    message = "\n".join(f"    {line}" for line in c.message.splitlines() or [""])
    return [
        head,
        Text(f"Author: {c.author_entry}"),
        Text(f"Date:   {_time.human(c.commit_time, at, with_zone=with_zone)}"),
        Text(""),
        Text(message),
        *(provenance_lines(c) if provenance else []),
    ]


def commit(c: Commit) -> RenderableType:
    """``git log``-style entry: id and labels, author, date (with its zone), indented message.

    Parameters
    ----------
    c : Commit
        The commit to render.

    Returns
    -------
    rich.console.RenderableType
    """
    return Group(*_commit_lines(c, _time.now(), with_zone=True, provenance=True))


def provenance_lines(c: Commit) -> list[Text]:
    """The notebook and cell a commit came from, if recorded (shown on demand)."""
    lines = []
    if c.notebook:
        lines.append(Text(f"    📓 {c.notebook}", style=_DIM))
    if c.cell_source:
        src = c.cell_source.splitlines()
        shown = "\n".join(f"    │ {line}" for line in src[:20])
        more = f"\n    │ ... ({len(src) - 20} more lines)" if len(src) > 20 else ""
        lines.append(Text(f"    cell:\n{shown}{more}", style=_DIM))
    return lines


def _log(commits: Sequence[Commit], provenance: bool, notes: Sequence[str]) -> RenderableType:
    """Entries separated by blank lines, their dates without a zone, then the notes and the zone once."""
    at = _time.now()
    parts: list[RenderableType] = []
    for c in commits:
        if parts:
            parts.append(Text(""))
        parts += _commit_lines(c, at, with_zone=False, provenance=provenance)
    parts.append(Text(""))
    parts += [Text(note, style=_DIM) for note in notes]
    parts.append(Text(_time.zone_note(c.commit_time for c in commits), style=_DIM))
    return Group(*parts)


def commit_log(log: CommitLog) -> RenderableType:
    """The newest ``log.page_size`` commits of a log, newest first, a count of the rest, and the time zone.

    Parameters
    ----------
    log : CommitLog
        The log; only its first page is fetched.

    Returns
    -------
    rich.console.RenderableType
    """
    if len(log) == 0:
        return Text(NO_COMMITS_YET, style=_DIM)
    note = log_more_note(log)
    return _log(log[: log.page_size], log.show_provenance, [note] if note else [])


def commit_page(page: CommitPage) -> RenderableType:
    """One page of history, newest first, how to get the next, and the time zone.

    Parameters
    ----------
    page : CommitPage

    Returns
    -------
    rich.console.RenderableType
    """
    if not page.commits:
        return Text(NO_COMMITS_YET, style=_DIM)
    return _log(page.commits, False, [next_page_note(page)] if page.next_cursor else [])


def commit_data(data: CommitData) -> RenderableType:
    """The log of the checkout, then its branches and tags.

    Parameters
    ----------
    data : CommitData

    Returns
    -------
    rich.console.RenderableType
    """
    return Group(commit_page(CommitPage(data.commits, None, len(data.commits))), Text(""),
                 ref_list(data.branches), ref_list(data.tags))


def branch(b: Branch) -> RenderableType:
    """``name -> commit``, and when the tip was committed if known.

    Parameters
    ----------
    b : Branch

    Returns
    -------
    rich.console.RenderableType
    """
    line = Text.assemble((b.name, _BRANCH), " -> ", _commit_id(b.commit_id))
    if b.tip_time is not None:
        line.append(f", last commit {_time.human(b.tip_time, with_zone=True)}", style=_DIM)
    return line


def tag(t: Tag) -> RenderableType:
    """``name -> commit``, then ``: message`` if the tag has one.

    Parameters
    ----------
    t : Tag

    Returns
    -------
    rich.console.RenderableType
    """
    line = Text.assemble((t.name, _LABEL), " -> ", _commit_id(t.commit_id))
    if t.message:
        line.append(f": {t.message}")
    return line


def ref_list(refs: RefList) -> RenderableType:
    """Table of names and commits; tags add message and creation time, branches their last commit's time.

    Parameters
    ----------
    refs : RefList

    Returns
    -------
    rich.console.RenderableType
    """
    if not refs:
        return Text(f"No {refs.kind}", style=_DIM)
    shown = refs[:MAX_LINES]
    columns = ref_columns(shown)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Name", no_wrap=True)
    table.add_column("Commit", no_wrap=True)
    if columns.message:
        table.add_column("Message")
    if columns.time:
        table.add_column(columns.time, overflow="fold")
    at = _time.now()
    for ref in shown:
        row = [Text(ref.name, style=_LABEL if isinstance(ref, Tag) else _BRANCH), _commit_id(ref.commit_id)]
        if columns.message:
            row.append(Text((ref.message or "") if isinstance(ref, Tag) else ""))
        if columns.time:
            when = ref_time(ref)
            row.append(Text(_time.human(when, at) if when else ""))
        table.add_row(*row)
    if len(refs) > len(shown):
        return Group(table, _more(len(refs) - len(shown)))
    return table


def session_info(s: SessionInfo) -> RenderableType:
    """Key/value grid: id, branch, base commit, author, start, expiration, message, time zone.

    Parameters
    ----------
    s : SessionInfo

    Returns
    -------
    rich.console.RenderableType
    """
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    at = _time.now()
    grid.add_row("Session", Text(s.id, style=_ID))
    grid.add_row("Branch", Text(s.branch, style=_BRANCH) if s.branch else Text(NO_BRANCH, style=_DIM))
    grid.add_row("Base commit", _commit_id(s.base_commit))
    grid.add_row("Author", Text(author(s.author_name, s.author_email)))
    grid.add_row("Started", Text(_time.human(s.start_time, at)))
    grid.add_row("Expires", Text(_time.human(s.expiration, at)))
    grid.add_row("Message", Text(s.message or ""))
    grid.add_row("Time zone", Text(_time.zones([s.start_time, s.expiration]), style=_DIM))
    return grid


def session_list(sessions: SessionList) -> RenderableType:
    """Table of active sessions.

    Parameters
    ----------
    sessions : SessionList

    Returns
    -------
    rich.console.RenderableType
    """
    if not sessions.sessions:
        return Text("No active sessions", style=_DIM)
    shown = sessions.sessions[:MAX_LINES]
    table = Table(
        title=Text(f"Active sessions in {sessions.repo_name}"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,  # two spaces between columns, not three: the full session id is wide
    )
    table.add_column("Session", no_wrap=True, min_width=max(len(s.id) for s in shown))
    table.add_column("Branch", overflow="fold")
    table.add_column("Base", no_wrap=True, min_width=8)
    table.add_column("Author", overflow="fold")
    # A started time wraps after its clock, never inside it. Expiry in words only ("in 23 h"):
    # sessions live days at most, and the table is wide already.
    table.add_column(f"Started ({_time.zones(s.start_time for s in shown)})", overflow="fold", min_width=19)
    table.add_column("Expires", overflow="fold", min_width=7)
    at = _time.now()
    for s in shown:
        table.add_row(
            Text(s.id, style=_ID),
            Text(s.branch, style=_BRANCH) if s.branch else Text("none", style=_DIM),
            Text(s.base_commit[:8], style=_ID) if s.base_commit else Text("none", style=_DIM),
            Text(author(s.author_name, s.author_email)),
            Text(_time.human(s.start_time, at)),
            Text(_time.relative(s.expiration, at)),
        )
    if len(sessions.sessions) > len(shown):
        return Group(table, _more(len(sessions.sessions) - len(shown)))
    return table


def session_status(status: SessionStatus) -> RenderableType:
    """Repo, base commit, session and branch, then the modified paths.

    Parameters
    ----------
    status : SessionStatus

    Returns
    -------
    rich.console.RenderableType
    """
    s = status.session
    parts: list[RenderableType] = [
        Text(f"🧊 Using repo {status.repo_name}"),
        Text(base_commit_line(s)),
        Text(session_line(s)),
        Text(branch_line(s)),
        Text(""),
    ]
    if status.total == 0:
        parts.append(Text("No changes in current session", style=_DIM))
        return Group(*parts)
    parts.append(Text("paths modified in session", style="bold underline"))
    by_node = status.keys_by_node()
    nodes = status.summary()
    for node in nodes[:MAX_LINES]:
        parts.append(Text(node_change_line(node), style="red" if node.deleted else ""))
        listed = by_node.get(node.path, [])
        for key, deleted in listed[:KEYS_PER_NODE]:
            parts.append(Text(f"    ❌ {key}", style="red") if deleted else Text(f"    📝 {key}", style=_DIM))
        hidden = node_key_count(node, listed) - min(len(listed), KEYS_PER_NODE)
        if hidden > 0:
            parts.append(Text(f"    ... and {hidden:,} more", style=_DIM))
    if len(nodes) > MAX_LINES:
        parts.append(Text(f"... and {len(nodes) - MAX_LINES} more nodes; see .summary()", style=_DIM))
    note = status_truncated_note(status)
    if note:
        parts.append(Text(note, style=_DIM))
    return Group(*parts)


def fsck_report(report: FsckReport) -> RenderableType:
    """Headline, up to :data:`MAX_PROBLEMS` bad chunks, unreachable and stale counts.

    Parameters
    ----------
    report : FsckReport

    Returns
    -------
    rich.console.RenderableType
    """
    parts: list[RenderableType] = [Text(fsck_summary(report), style="green" if report.ok else "bold red")]
    for kind, key, digest in itertools.islice(problems(report), MAX_PROBLEMS):
        parts.append(Text(f"{kind}: {key} ({digest})", style="red"))
    bad = problem_count(report)
    if bad > MAX_PROBLEMS:
        parts.append(_more(bad - MAX_PROBLEMS))
    parts.append(Text(fsck_leftovers(report), style=_DIM))
    return Group(*parts)


def tree_renderable(t: Tree) -> RenderableType:
    """The nodes of ``t`` as a Rich tree under its root's path (no note about what was left out)."""
    from rich.tree import Tree as RichTree

    root = RichTree(Text(f"/{t.root.path}" if t.root.path else "/"))
    stack = [(root, child) for child in reversed(t.root.children)]
    while stack:
        parent, node = stack.pop()
        branch = parent.add(Text(node.label))
        stack.extend((branch, child) for child in reversed(node.children))
    return root


def tree(t: Tree) -> RenderableType:
    """A Rich tree: ``📁 name`` for groups, ``🇦 name (shape) dtype`` for arrays; a sentence when empty."""
    root = tree_renderable(t)
    if not t.root.children and not t.truncated:
        return Group(root, Text(EMPTY_TREE, style=_DIM))
    if t.truncated:
        return Group(root, Text(f"... and {t.truncated} more node(s); narrow the prefix or depth"))
    return root


def diff_lines(d: Diff) -> list[tuple[str, str]]:
    """(style, line) pairs of a diff, shared by the Rich and HTML renderings."""
    lines: list[tuple[str, str]] = [("bold", f"Diff {d.from_ref} → {d.to_ref}")]
    if d.empty:
        return lines + [(_DIM, "No differences")]
    lines += [("green", f"➕ {kind} {path}{virtual_note(d.virtual.get(path, ()))}") for path, kind in d.added]
    lines += [("red", f"➖ {kind} {path}") for path, kind in d.deleted]
    lines += [("cyan", f"🔀 {old} → {new}") for old, new in d.moved]
    lines += [("yellow", f"✏️  {c.path or '/'}: {c.key}: {c.old!r} → {c.new!r}") for c in d.attributes]
    for c in d.chunks:
        shown = ", ".join(str(t) for t in c.coords[:10])
        more = f", ... ({c.count - min(len(c.coords), 10)} more)" if c.count > 10 else ""
        note = virtual_note(d.virtual.get(c.path, ()))
        lines.append(("magenta", f"🧩 {c.path}: {c.count} chunk(s) changed: {shown}{more}{note}"))
    return lines


def diff(d: Diff) -> RenderableType:
    """Nodes added, deleted and moved, attribute changes, and changed chunks per array."""
    lines = diff_lines(d)
    shown = [Text(line, style=style) for style, line in lines[: MAX_LINES + 1]]
    if len(lines) > MAX_LINES + 1:
        shown.append(Text(f"... and {len(lines) - MAX_LINES - 1} more lines", style=_DIM))
    return Group(*shown)


def _summary_tree(t: Tree, read_only: bool) -> list[RenderableType]:
    if not t.root.children:
        return [Text(empty_members(t.root.path, read_only), style=_DIM)]
    parts: list[RenderableType] = [tree_renderable(t)]
    if t.truncated:
        parts.append(Text(summary_more_note(t), style=_DIM))
    return parts


def repo_summary(r: RepoSummary) -> RenderableType:
    """Name, checkout, session and its expiry, uncommitted changes, then the first nodes of the tree.

    Parameters
    ----------
    r : RepoSummary

    Returns
    -------
    rich.console.RenderableType
    """
    parts: list[RenderableType] = [Text(f"🧊 Repo {r.name}", style="bold")]
    if r.session is None:
        parts.append(Text("Not checked out; call repo.checkout()", style=_DIM))
        return Group(*parts)
    parts += [
        Text(f"🌿 {checkout_line(r.branch, r.base_commit, r.read_only)}"),
        Text(f"📟 {session_expiry_line(r.session, r.session_closed)}"),
        Text(f"📝 {changes_line(r.changes)}"),
    ]
    if r.tree is not None:
        parts += _summary_tree(r.tree, r.read_only)
    return Group(*parts)


def _where(repo_name: str, branch: str | None, base_commit: str | None, read_only: bool) -> str:
    line = checkout_line(branch, base_commit, read_only)
    return f"in {repo_name}, {line[0].lower()}{line[1:]}"


def group_summary(g: GroupSummary) -> RenderableType:
    """Path, repository and checkout, attribute names, then the first members as a tree.

    Parameters
    ----------
    g : GroupSummary

    Returns
    -------
    rich.console.RenderableType
    """
    return Group(
        Text(f"📁 Group /{g.path}", style="bold"),
        Text(_where(g.repo_name, g.branch, g.base_commit, g.read_only), style=_DIM),
        Text(f"Attributes ({len(g.attributes)}): {attribute_names(g.attributes)}"),
        *_summary_tree(g.tree, g.read_only),
    )


def array_summary(a: ArraySummary) -> RenderableType:
    """Path, repository and checkout, shape, data type, chunks, fill value and attribute names.

    Parameters
    ----------
    a : ArraySummary

    Returns
    -------
    rich.console.RenderableType
    """
    facts = ", ".join(f"{label.lower()} {value}" for label, value in array_facts(a))
    return Group(
        Text(f"🇦 Array /{a.path}", style="bold"),
        Text(_where(a.repo_name, a.branch, a.base_commit, a.read_only), style=_DIM),
        Text(facts[0].upper() + facts[1:]),
        Text(f"Attributes ({len(a.attributes)}): {attribute_names(a.attributes)}"),
    )


def node_history_time_header(h: NodeHistory) -> str:
    """The time column's header, naming the zone once: ``Time (UTC)``."""
    return f"Time ({_time.zones(v.commit.commit_time for v in h.versions)})"


def node_history_rows(h: NodeHistory) -> list[tuple[str, str, str, str, str]]:
    """(short id, time, what changed, shape, first message line) per version, newest first."""
    at = _time.now()
    return [
        (v.commit.short_id, _time.human(v.commit.commit_time, at), v.describe(),
         "" if v.shape is None else str(tuple(v.shape)), (v.commit.message.splitlines() or [""])[0])
        for v in h.versions
    ]


def node_history(h: NodeHistory) -> RenderableType:
    """Table of the commits that changed one node: id, time, what changed, shape, message."""
    title = Text(f"History of /{h.path} from {h.ref}", style="bold")
    if not h.versions:
        return Group(title, Text("No commit changed this node", style=_DIM))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in ("Commit", node_history_time_header(h), "Change", "Shape", "Message"):
        table.add_column(name, no_wrap=name != "Message")
    rows = node_history_rows(h)
    for cid, when, what, shape, message in rows[:MAX_LINES]:
        table.add_row(Text(cid, style=_ID), when, what, shape, message)
    if len(rows) > MAX_LINES:
        return Group(title, table, _more(len(rows) - MAX_LINES))
    return Group(title, table)
