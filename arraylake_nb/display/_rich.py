"""Rich renderables for the models: pure functions from a model to a renderable.

User data always goes into :class:`rich.text.Text` objects, never into markup
strings, so square brackets in keys, names or messages are printed as is.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from arraylake_nb.engine.keys import METADATA_NAMES as _METADATA_NAMES
from arraylake_nb.models import (
    Branch,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    Diff,
    FsckReport,
    NodeChange,
    NodeHistory,
    RefList,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
)

MAX_LINES = 50
"""Rows (modified paths, refs, sessions) rendered before the rest is counted."""

MAX_PROBLEMS = 20
"""Missing or corrupt chunks listed in an integrity report."""

NO_COMMIT = "(no commits)"

_ID = "yellow"
_LABEL = "bold cyan"
_BRANCH = "green"
_DIM = "dim"


# -- facts shared with the HTML renderers -------------------------------------


def iso(t: dt.datetime) -> str:
    """A timestamp as ISO 8601 to the second, date and time apart, for tables."""
    return t.isoformat(sep=" ", timespec="seconds")


def author(name: str | None, email: str | None) -> str:
    """``name <email>``, whichever parts are known, else ``unknown``."""
    if name and email:
        return f"{name} <{email}>"
    return name or email or "unknown"


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
    """``(kind, key, digest)`` for each missing, then each corrupt chunk."""
    yield from (("missing", k, d) for k, d in report.missing.items())
    yield from (("corrupt", k, d) for k, d in report.corrupt.items())


def fsck_summary(report: FsckReport) -> str:
    """The headline of an integrity report."""
    if report.ok:
        return f"✅ {report.checked_chunks} chunks verified, no problems"
    return (
        f"❌ {report.checked_chunks} chunks checked: "
        f"{len(report.missing)} missing, {len(report.corrupt)} corrupt"
    )


def fsck_leftovers(report: FsckReport) -> str:
    """The line counting unreachable chunks and stale journals."""
    return f"unreachable chunks: {report.unreachable_chunks}, stale journals: {len(report.stale_journals)}"


# -- renderers -----------------------------------------------------------------


def _utc_minute(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")


def _more(n: int) -> Text:
    return Text(f"... and {n} more", style=_DIM)


def _commit_id(commit_id: str | None) -> Text:
    return Text(commit_id, style=_ID) if commit_id else Text(NO_COMMIT, style=_DIM)


def commit(c: Commit) -> RenderableType:
    """``git log``-style entry: id and labels, author, date, indented message.

    Parameters
    ----------
    c : Commit
        The commit to render.

    Returns
    -------
    rich.console.RenderableType
    """
    head = Text.assemble(("commit ", _ID), (c.id, _ID))
    if c.labels:
        head.append(" (", _ID)
        head.append_text(Text(", ", style=_ID).join(Text(label, style=_LABEL) for label in c.labels))
        head.append(")", _ID)
    message = "\n".join(f"    {line}" for line in c.message.splitlines() or [""])
    return Group(
        head,
        Text(f"Author: {c.author_entry}"),
        Text(f"Date:   {c.commit_time}"),
        Text(""),
        Text(message),
        *provenance_lines(c),
    )


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


def _commit_in_log(c: Commit, provenance: bool) -> RenderableType:
    if provenance:
        return commit(c)
    return commit(Commit(c.id, c.parent_commit, c.message, c.author_name, c.author_email, c.commit_time, {}, c.labels))


def commit_log(log: CommitLog) -> RenderableType:
    """The newest ``log.page_size`` commits of a log, newest first, and a count of the rest.

    Parameters
    ----------
    log : CommitLog
        The log; only its first page is fetched.

    Returns
    -------
    rich.console.RenderableType
    """
    if len(log) == 0:
        return Text("No commits yet", style=_DIM)
    parts: list[RenderableType] = []
    for c in log[: log.page_size]:
        if parts:
            parts.append(Text(""))
        parts.append(_commit_in_log(c, log.show_provenance))
    note = log_more_note(log)
    if note:
        parts += [Text(""), Text(note, style=_DIM)]
    return Group(*parts)


def commit_page(page: CommitPage) -> RenderableType:
    """One page of history, newest first, and how to get the next.

    Parameters
    ----------
    page : CommitPage

    Returns
    -------
    rich.console.RenderableType
    """
    if not page.commits:
        return Text("No commits yet", style=_DIM)
    parts: list[RenderableType] = []
    for c in page.commits:
        if parts:
            parts.append(Text(""))
        parts.append(_commit_in_log(c, False))
    if page.next_cursor:
        parts += [Text(""), Text(f"Next page: repo.log_page(cursor={page.next_cursor!r})", style=_DIM)]
    return Group(*parts)


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
    """``name -> commit``.

    Parameters
    ----------
    b : Branch

    Returns
    -------
    rich.console.RenderableType
    """
    return Text.assemble((b.name, _BRANCH), " -> ", _commit_id(b.commit_id))


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
    """Table of names and commits (tags add message and creation time when known).

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
    tags = [r for r in shown if isinstance(r, Tag)]
    with_message = any(t.message for t in tags)
    with_created = any(t.created_at for t in tags)
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    table.add_column("Name", no_wrap=True)
    table.add_column("Commit", no_wrap=True)
    if with_message:
        table.add_column("Message")
    if with_created:
        table.add_column("Created", no_wrap=True)
    for ref in shown:
        if isinstance(ref, Tag):
            style, message, created = _LABEL, ref.message or "", iso(ref.created_at) if ref.created_at else ""
        else:
            style, message, created = _BRANCH, "", ""
        row = [Text(ref.name, style=style), _commit_id(ref.commit_id)]
        row += [Text(message)] * with_message + [Text(created)] * with_created
        table.add_row(*row)
    if len(refs) > len(shown):
        return Group(table, _more(len(refs) - len(shown)))
    return table


def session_info(s: SessionInfo) -> RenderableType:
    """Key/value grid: id, branch, base commit, author, start, expiration, message.

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
    grid.add_row("Session", Text(s.id, style=_ID))
    grid.add_row("Branch", Text(s.branch, style=_BRANCH) if s.branch else Text("none (read-only checkout)", style=_DIM))
    grid.add_row("Base commit", _commit_id(s.base_commit))
    grid.add_row("Author", Text(author(s.author_name, s.author_email)))
    grid.add_row("Started", Text(s.start_time.isoformat()))
    grid.add_row("Expires", Text(s.expiration.isoformat()))
    grid.add_row("Message", Text(s.message or ""))
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
    )
    table.add_column("Session", no_wrap=True, min_width=max(len(s.id) for s in shown))
    table.add_column("Branch", overflow="fold")
    table.add_column("Base commit", no_wrap=True, min_width=8)
    table.add_column("Author", overflow="fold")
    table.add_column("Started (UTC)", overflow="fold")
    table.add_column("Expires (UTC)", overflow="fold")
    for s in shown:
        table.add_row(
            Text(s.id, style=_ID),
            Text(s.branch, style=_BRANCH) if s.branch else Text("none", style=_DIM),
            Text(s.base_commit[:8], style=_ID) if s.base_commit else Text("none", style=_DIM),
            Text(author(s.author_name, s.author_email)),
            Text(_utc_minute(s.start_time)),
            Text(_utc_minute(s.expiration)),
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
        Text(f"📟 Session {s.id} started at {s.start_time.isoformat()}"),
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
    bad = len(report.missing) + len(report.corrupt)
    if bad > MAX_PROBLEMS:
        parts.append(_more(bad - MAX_PROBLEMS))
    parts.append(Text(fsck_leftovers(report), style=_DIM))
    return Group(*parts)


def tree(t: Tree) -> RenderableType:
    """A Rich tree: ``📁 name`` for groups, ``🇦 name (shape) dtype`` for arrays."""
    from rich.tree import Tree as RichTree

    root = RichTree(Text(f"/{t.root.path}" if t.root.path else "/"))
    stack = [(root, child) for child in reversed(t.root.children)]
    while stack:
        parent, node = stack.pop()
        branch = parent.add(Text(node.label))
        stack.extend((branch, child) for child in reversed(node.children))
    if t.truncated:
        return Group(root, Text(f"... and {t.truncated} more node(s); narrow the prefix or depth"))
    return root


def diff_lines(d: Diff) -> list[tuple[str, str]]:
    """(style, line) pairs of a diff, shared by the Rich and HTML renderings."""
    lines: list[tuple[str, str]] = [("bold", f"Diff {d.from_ref} → {d.to_ref}")]
    if d.empty:
        return lines + [(_DIM, "No differences")]
    lines += [("green", f"➕ {kind} {path}") for path, kind in d.added]
    lines += [("red", f"➖ {kind} {path}") for path, kind in d.deleted]
    lines += [("cyan", f"🔀 {old} → {new}") for old, new in d.moved]
    lines += [("yellow", f"✏️  {c.path or '/'}: {c.key}: {c.old!r} → {c.new!r}") for c in d.attributes]
    for c in d.chunks:
        shown = ", ".join(str(t) for t in c.coords[:10])
        more = f", ... ({c.count - min(len(c.coords), 10)} more)" if c.count > 10 else ""
        lines.append(("magenta", f"🧩 {c.path}: {c.count} chunk(s) changed: {shown}{more}"))
    return lines


def diff(d: Diff) -> RenderableType:
    """Nodes added, deleted and moved, attribute changes, and changed chunks per array."""
    lines = diff_lines(d)
    shown = [Text(line, style=style) for style, line in lines[: MAX_LINES + 1]]
    if len(lines) > MAX_LINES + 1:
        shown.append(Text(f"... and {len(lines) - MAX_LINES - 1} more lines", style=_DIM))
    return Group(*shown)


def node_history_rows(h: NodeHistory) -> list[tuple[str, str, str, str, str]]:
    """(short id, UTC minute, what changed, shape, first message line) per version, newest first."""
    return [
        (v.commit.short_id, _utc_minute(v.commit.commit_time), v.describe(),
         "" if v.shape is None else str(tuple(v.shape)), (v.commit.message.splitlines() or [""])[0])
        for v in h.versions
    ]


def node_history(h: NodeHistory) -> RenderableType:
    """Table of the commits that changed one node: id, time, what changed, shape, message."""
    title = Text(f"History of /{h.path} from {h.ref}", style="bold")
    if not h.versions:
        return Group(title, Text("No commit changed this node", style=_DIM))
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for name in ("Commit", "Time (UTC)", "Change", "Shape", "Message"):
        table.add_column(name, no_wrap=name != "Message")
    rows = node_history_rows(h)
    for cid, when, what, shape, message in rows[:MAX_LINES]:
        table.add_row(Text(cid, style=_ID), when, what, shape, message)
    if len(rows) > MAX_LINES:
        return Group(title, table, _more(len(rows) - MAX_LINES))
    return Group(title, table)
