"""HTML renderers for notebooks: pure functions from a model to an HTML string.

Every output is one ``<div class="alnb alnb-{model}">`` carrying the package
stylesheet inline, so it renders the same wherever the notebook is opened.
Every user string goes through :func:`html.escape`.
"""

from __future__ import annotations

import functools
import importlib.resources
import itertools
from collections.abc import Callable, Sequence
from html import escape

from arraylake_nb.display._rich import (
    MAX_PROBLEMS,
    NO_COMMIT,
    author,
    base_commit_line,
    branch_line,
    diff_lines,
    fsck_leftovers,
    fsck_summary,
    iso,
    log_more_note,
    node_change_line,
    node_history_rows,
    node_key_count,
    problems,
    status_truncated_note,
)
from arraylake_nb.models import (
    Branch,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    Diff,
    FsckReport,
    NodeHistory,
    RefList,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
)

VISIBLE_ROWS = 20
"""Rows shown before the rest is folded into ``<details>``."""

MAX_ROWS = 1000
"""Rows emitted at most; the rest is only counted."""


@functools.cache
def _css() -> str:
    return (importlib.resources.files("arraylake_nb.display") / "static" / "style.css").read_text(encoding="utf-8")


def _wrap(name: str, body: str) -> str:
    return f'<div class="alnb alnb-{name}"><style>{_css()}</style>{body}</div>'


def _note(text: str) -> str:
    return f'<div class="alnb-note">{escape(text)}</div>'


def _empty(text: str) -> str:
    return f'<div class="alnb-empty">{escape(text)}</div>'


def _id(commit_id: str | None, short: bool = False) -> str:
    if not commit_id:
        return f'<span class="alnb-none">{NO_COMMIT}</span>'
    shown = commit_id[:8] if short else commit_id
    return f'<code class="alnb-id" title="{escape(commit_id)}">{escape(shown)}</code>'


def _rows(rows: Sequence[str], total: int, container: Callable[[str], str]) -> str:
    """``rows`` (at most :data:`MAX_ROWS` of ``total``) in ``container``, the tail folded."""
    out = container("".join(rows[:VISIBLE_ROWS]))
    rest = rows[VISIBLE_ROWS:]
    if rest:
        out += f"<details><summary>{len(rest)} more</summary>{container(''.join(rest))}</details>"
    if total > len(rows):
        out += _note(f"... {total - len(rows)} more not shown")
    return out


def _table(headers: Sequence[str]) -> Callable[[str], str]:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    return lambda body: f'<table class="alnb-table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _lines(body: str) -> str:
    return f'<div class="alnb-lines">{body}</div>'


def _entry(c: Commit, short: bool, provenance: bool = True) -> str:
    labels = "".join(f'<span class="alnb-label">{escape(label)}</span>' for label in c.labels)
    extra = ""
    if provenance and (c.notebook or c.cell_source):
        where = f"<div>📓 {escape(c.notebook)}</div>" if c.notebook else ""
        cell = f"<pre>{escape(c.cell_source)}</pre>" if c.cell_source else ""
        extra = f'<details class="alnb-provenance"><summary>cell</summary>{where}{cell}</details>'
    return (
        '<div class="alnb-commit">'
        f'<div class="alnb-commit-head">{_id(c.id, short)}{labels}'
        f'<span class="alnb-author">{escape(c.author_entry)}</span>'
        f'<span class="alnb-date">{escape(str(c.commit_time))}</span></div>'
        f'<div class="alnb-message">{escape(c.message)}</div>'
        f"{extra}</div>"
    )


def commit(c: Commit) -> str:
    """One commit: full id, labels, author, date and message.

    Parameters
    ----------
    c : Commit

    Returns
    -------
    str
    """
    return _wrap("commit", _entry(c, short=False))


def commit_log(log: CommitLog) -> str:
    """The newest ``log.page_size`` commits, short ids, and a count of the rest.

    Parameters
    ----------
    log : CommitLog
        The log; only its first page is fetched.

    Returns
    -------
    str
    """
    if len(log) == 0:
        return _wrap("commitlog", _empty("No commits yet"))
    body = "".join(_entry(c, short=True, provenance=log.show_provenance) for c in log[: log.page_size])
    note = log_more_note(log)
    return _wrap("commitlog", body + (_note(note) if note else ""))


def commit_page(page: CommitPage) -> str:
    """One page of history, short ids, and how to get the next.

    Parameters
    ----------
    page : CommitPage

    Returns
    -------
    str
    """
    if not page.commits:
        return _wrap("commitlog", _empty("No commits yet"))
    body = "".join(_entry(c, short=True) for c in page.commits)
    note = f"Next page: repo.log_page(cursor={page.next_cursor!r})" if page.next_cursor else None
    return _wrap("commitlog", body + (_note(note) if note else ""))


def commit_data(data: CommitData) -> str:
    """The log of the checkout, then its branches and tags.

    Parameters
    ----------
    data : CommitData

    Returns
    -------
    str
    """
    return commit_page(CommitPage(data.commits, None, len(data.commits))) + ref_list(data.branches) + ref_list(data.tags)


def branch(b: Branch) -> str:
    """``name -> commit``.

    Parameters
    ----------
    b : Branch

    Returns
    -------
    str
    """
    return _wrap("branch", f'<span class="alnb-branch">{escape(b.name)}</span> -&gt; {_id(b.commit_id)}')


def tag(t: Tag) -> str:
    """``name -> commit`` and the tag message, if any.

    Parameters
    ----------
    t : Tag

    Returns
    -------
    str
    """
    message = f': <span class="alnb-tag-message">{escape(t.message)}</span>' if t.message else ""
    return _wrap("tag", f'<span class="alnb-label">{escape(t.name)}</span> -&gt; {_id(t.commit_id)}{message}')


def _ref_row(ref: Branch | Tag, with_message: bool, with_created: bool) -> str:
    if isinstance(ref, Tag):
        name_class, message, created = "alnb-label", ref.message or "", iso(ref.created_at) if ref.created_at else ""
    else:
        name_class, message, created = "alnb-branch", "", ""
    cells = [f'<span class="{name_class}">{escape(ref.name)}</span>', _id(ref.commit_id)]
    cells += [escape(message)] * with_message + [escape(created)] * with_created
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def ref_list(refs: RefList) -> str:
    """Table of names and commits (tags add message and creation time when known).

    Parameters
    ----------
    refs : RefList

    Returns
    -------
    str
    """
    if not refs:
        return _wrap("reflist", _empty(f"No {refs.kind}"))
    shown: list[Branch | Tag] = refs[:MAX_ROWS]
    tags = [r for r in shown if isinstance(r, Tag)]
    with_message = any(t.message for t in tags)
    with_created = any(t.created_at for t in tags)
    headers = ["Name", "Commit"] + ["Message"] * with_message + ["Created"] * with_created
    rows = [_ref_row(r, with_message, with_created) for r in shown]
    return _wrap("reflist", _rows(rows, len(refs), _table(headers)))


def session_info(s: SessionInfo) -> str:
    """Key/value table: id, branch, base commit, author, start, expiration, message.

    Parameters
    ----------
    s : SessionInfo

    Returns
    -------
    str
    """
    branch_cell = (
        f'<span class="alnb-branch">{escape(s.branch)}</span>'
        if s.branch
        else '<span class="alnb-none">none (read-only checkout)</span>'
    )
    rows = [
        ("Session", f'<code class="alnb-id">{escape(s.id)}</code>'),
        ("Branch", branch_cell),
        ("Base commit", _id(s.base_commit)),
        ("Author", escape(author(s.author_name, s.author_email))),
        ("Started", escape(s.start_time.isoformat())),
        ("Expires", escape(s.expiration.isoformat())),
        ("Message", escape(s.message or "")),
    ]
    body = "".join(f"<tr><th>{key}</th><td>{value}</td></tr>" for key, value in rows)
    return _wrap("sessioninfo", f'<table class="alnb-table alnb-kv"><tbody>{body}</tbody></table>')


def _session_row(s: SessionInfo) -> str:
    cells = [
        f'<code class="alnb-id">{escape(s.id)}</code>',
        f'<span class="alnb-branch">{escape(s.branch)}</span>' if s.branch else '<span class="alnb-none">none</span>',
        _id(s.base_commit, short=True),
        escape(author(s.author_name, s.author_email)),
        escape(iso(s.start_time)),
        escape(iso(s.expiration)),
    ]
    return "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>"


def session_list(sessions: SessionList) -> str:
    """Table of active sessions.

    Parameters
    ----------
    sessions : SessionList

    Returns
    -------
    str
    """
    if not sessions.sessions:
        return _wrap("sessionlist", _empty("No active sessions"))
    rows = [_session_row(s) for s in sessions.sessions[:MAX_ROWS]]
    headers = ["Session", "Branch", "Base commit", "Author", "Started", "Expires"]
    title = f'<div class="alnb-heading">Active sessions in {escape(sessions.repo_name)}</div>'
    return _wrap("sessionlist", title + _rows(rows, len(sessions.sessions), _table(headers)))


def session_status(status: SessionStatus) -> str:
    """Repo, base commit, session and branch, then the modified paths (tail folded).

    Parameters
    ----------
    status : SessionStatus

    Returns
    -------
    str
    """
    s = status.session
    facts = [
        f"🧊 Using repo {escape(status.repo_name)}",
        escape(base_commit_line(s)),
        f"📟 Session {escape(s.id)} started at {escape(s.start_time.isoformat())}",
        escape(branch_line(s)),
    ]
    body = '<div class="alnb-facts">' + "".join(f"<div>{fact}</div>" for fact in facts) + "</div>"
    if status.total == 0:
        return _wrap("sessionstatus", body + _empty("No changes in current session"))
    by_node = status.keys_by_node()
    nodes = status.summary()
    items = []
    for node in nodes[:MAX_ROWS]:
        listed = by_node.get(node.path, [])
        keys = "".join(
            f'<li class="alnb-deleted">❌ <code>{escape(key)}</code></li>'
            if deleted
            else f'<li class="alnb-written">📝 <code>{escape(key)}</code></li>'
            for key, deleted in listed[:MAX_ROWS]
        )
        hidden = node_key_count(node, listed) - min(len(listed), MAX_ROWS)
        if hidden > 0:
            keys += f"<li>... and {hidden:,} more not listed</li>"
        line = escape(node_change_line(node))
        items.append(f"<li><details><summary>{line}</summary><ul>{keys}</ul></details></li>" if keys else f"<li>{line}</li>")
    body += '<div class="alnb-heading">paths modified in session</div><ul class="alnb-nodes">' + "".join(items) + "</ul>"
    if len(nodes) > MAX_ROWS:
        body += _note(f"... and {len(nodes) - MAX_ROWS} more nodes; see .summary()")
    note = status_truncated_note(status)
    return _wrap("sessionstatus", body + (_note(note) if note else ""))


def fsck_report(report: FsckReport) -> str:
    """Headline, up to :data:`~arraylake_nb.display._rich.MAX_PROBLEMS` bad chunks, leftover counts.

    Parameters
    ----------
    report : FsckReport

    Returns
    -------
    str
    """
    state = "alnb-ok" if report.ok else "alnb-bad"
    body = f'<div class="alnb-heading {state}">{escape(fsck_summary(report))}</div>'
    rows = [
        f'<div class="alnb-deleted">{kind}: <code>{escape(key)}</code> ({escape(digest)})</div>'
        for kind, key, digest in itertools.islice(problems(report), MAX_PROBLEMS)
    ]
    if rows:
        body += _rows(rows, len(report.missing) + len(report.corrupt), _lines)
    return _wrap("fsckreport", body + _note(fsck_leftovers(report)))


def tree(t: Tree) -> str:
    """Nested lists, groups before arrays; deep levels open on demand."""

    def render(node, level: int) -> str:
        items = []
        for child in node.children:
            label = escape(child.label)
            if child.children:
                opened = " open" if level < 2 else ""
                items.append(f"<li><details{opened}><summary>{label}</summary>{render(child, level + 1)}</details></li>")
            else:
                items.append(f"<li>{label}</li>")
        return f'<ul class="alnb-tree">{"".join(items)}</ul>'

    head = escape(f"/{t.root.path}" if t.root.path else "/")
    more = _note(f"... and {t.truncated} more node(s); narrow the prefix or depth") if t.truncated else ""
    return _wrap("tree", f"<div><code>{head}</code></div>{render(t.root, 0)}{more}")


def diff(d: Diff) -> str:
    """The diff's lines; beyond 20 they fold into a details element."""
    lines = diff_lines(d)
    head, rest = lines[:21], lines[21:1001]
    def row(style: str, line: str) -> str:
        return f'<div class="alnb-diff-{escape(style.split()[0])}">{escape(line)}</div>'
    body = "".join(row(style, line) for style, line in head)
    if rest:
        body += f"<details><summary>{len(rest)} more</summary>{''.join(row(style, line) for style, line in rest)}</details>"
    if len(lines) > 1001:
        body += _note(f"... and {len(lines) - 1001} more lines not shown")
    return _wrap("diff", body)


def node_history(h: NodeHistory) -> str:
    """Table of the commits that changed one node; beyond 20 rows they fold into a details element."""
    head = f'<div class="alnb-heading">{escape(f"History of /{h.path} from {h.ref}")}</div>'
    if not h.versions:
        return _wrap("nodehistory", head + _empty("No commit changed this node"))
    rows = [
        f"<tr><td>{_id(v.commit.id, short=True)}</td>" + "".join(f"<td>{escape(x)}</td>" for x in row[1:]) + "</tr>"
        for v, row in zip(h.versions, node_history_rows(h)[:MAX_ROWS], strict=False)
    ]
    table = _table(["Commit", "Time (UTC)", "Change", "Shape", "Message"])
    return _wrap("nodehistory", head + _rows(rows, len(h.versions), table))
