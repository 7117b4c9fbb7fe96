"""HTML renderers for notebooks: pure functions from a model to an HTML string.

Every output is one ``<div class="alnb alnb-{model}">`` carrying the package
stylesheet inline. The stylesheet only decorates: GitHub, nbviewer and
untrusted notebooks drop ``<style>``, so structure carries the meaning (table
cells, list items, one block per line, and explicit separators such as
`` · `` between fields of a line). Times are ``<time>`` elements showing the
human form of :mod:`._time` with the exact value on hover. Every user string
goes through :func:`html.escape`.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib.resources
import itertools
from collections.abc import Callable, Sequence
from html import escape

from arraylake_nb.display import _time
from arraylake_nb.display._rich import (
    EMPTY_TREE,
    MAX_PROBLEMS,
    NO_BRANCH,
    NO_COMMIT,
    NO_COMMITS_YET,
    array_facts,
    attribute_names,
    author,
    base_commit_line,
    branch_line,
    changes_line,
    checkout_line,
    diff_lines,
    empty_members,
    fsck_leftovers,
    fsck_summary,
    log_more_note,
    next_page_note,
    node_change_line,
    node_history_rows,
    node_history_time_header,
    node_key_count,
    problem_count,
    problems,
    ref_columns,
    ref_time,
    session_expiry_line,
    status_truncated_note,
    summary_more_note,
)
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
    NodeHistory,
    RefList,
    RepoSummary,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
    TreeNode,
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


SEP = '<span class="alnb-sep"> · </span>'
"""Between the fields of one line: the text itself separates them when no stylesheet is applied."""


def _id(commit_id: str | None, short: bool = False) -> str:
    if not commit_id:
        return f'<span class="alnb-none">{NO_COMMIT}</span>'
    shown = commit_id[:8] if short else commit_id
    return f'<code class="alnb-id" title="{escape(commit_id)}">{escape(shown)}</code>'


def _time_element(t: dt.datetime, at: dt.datetime | None = None, *, with_zone: bool = False,
                  text: str | None = None) -> str:
    """``text`` (default: the human form of ``t``), the exact time on hover, machine-readable in ``datetime``."""
    machine = t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t
    shown = text if text is not None else _time.human(t, at, with_zone=with_zone)
    return (
        f'<time class="alnb-date" datetime="{escape(machine.isoformat())}" title="{escape(_time.exact(t))}">'
        f"{escape(shown)}</time>"
    )


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


def _kv_table(rows: Sequence[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{escape(key)}</th><td>{value}</td></tr>" for key, value in rows)
    return f'<table class="alnb-table alnb-kv"><tbody>{body}</tbody></table>'


def _lines(body: str) -> str:
    return f'<div class="alnb-lines">{body}</div>'


def _labels(labels: Sequence[str]) -> str:
    # The parentheses and commas read as git's "(main, tag: v1)" without a stylesheet; with it the labels are
    # pills and the punctuation is hidden.
    if not labels:
        return ""
    inner = '<span class="alnb-punct">, </span>'.join(
        f'<span class="alnb-label">{escape(label)}</span>' for label in labels
    )
    return f' <span class="alnb-labels"><span class="alnb-punct">(</span>{inner}<span class="alnb-punct">)</span></span>'


def _message(text: str) -> str:
    # <br> rather than a newline: a stylesheet's white-space: pre-wrap would be gone with it.
    return escape(text).replace("\r\n", "\n").replace("\n", "<br>")


def _entry(c: Commit, short: bool, at: dt.datetime, *, with_zone: bool, provenance: bool = True) -> str:
    extra = ""
    if provenance and (c.notebook or c.cell_source):
        where = f"<div>📓 {escape(c.notebook)}</div>" if c.notebook else ""
        cell = f"<pre>{escape(c.cell_source)}</pre>" if c.cell_source else ""
        extra = f'<details class="alnb-provenance"><summary>cell</summary>{where}{cell}</details>'
    return (
        '<div class="alnb-commit">'
        f'<div class="alnb-commit-head">{_id(c.id, short)}{_labels(c.labels)}{SEP}'
        f'<span class="alnb-author">{escape(c.author_entry)}</span>{SEP}'
        f"{_time_element(c.commit_time, at, with_zone=with_zone)}</div>"
        f'<div class="alnb-message">{_message(c.message)}</div>'
        f"{extra}</div>"
    )


def _log(commits: Sequence[Commit], provenance: bool, notes: Sequence[str]) -> str:
    at = _time.now()
    body = "".join(_entry(c, short=True, at=at, with_zone=False, provenance=provenance) for c in commits)
    notes = [*notes, _time.zone_note(c.commit_time for c in commits)]
    return _wrap("commitlog", body + "".join(_note(n) for n in notes))


def commit(c: Commit) -> str:
    """One commit: full id, labels, author, date (with its zone) and message.

    Parameters
    ----------
    c : Commit

    Returns
    -------
    str
    """
    return _wrap("commit", _entry(c, short=False, at=_time.now(), with_zone=True))


def commit_log(log: CommitLog) -> str:
    """The newest ``log.page_size`` commits, short ids, a count of the rest, and the time zone.

    Parameters
    ----------
    log : CommitLog
        The log; only its first page is fetched.

    Returns
    -------
    str
    """
    if len(log) == 0:
        return _wrap("commitlog", _empty(NO_COMMITS_YET))
    note = log_more_note(log)
    return _log(log[: log.page_size], log.show_provenance, [note] if note else [])


def commit_page(page: CommitPage) -> str:
    """One page of history, short ids, how to get the next, and the time zone.

    Parameters
    ----------
    page : CommitPage

    Returns
    -------
    str
    """
    if not page.commits:
        return _wrap("commitlog", _empty(NO_COMMITS_YET))
    return _log(page.commits, False, [next_page_note(page)] if page.next_cursor else [])


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
    """``name -> commit``, and when the tip was committed if known.

    Parameters
    ----------
    b : Branch

    Returns
    -------
    str
    """
    when = f'<span class="alnb-dim">, last commit {_time_element(b.tip_time, with_zone=True)}</span>' if b.tip_time else ""
    return _wrap("branch", f'<span class="alnb-branch">{escape(b.name)}</span> -&gt; {_id(b.commit_id)}{when}')


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


def ref_list(refs: RefList) -> str:
    """Table of names and commits; tags add message and creation time, branches their last commit's time.

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
    columns = ref_columns(shown)
    headers = ["Name", "Commit"] + ["Message"] * columns.message + ([columns.time] if columns.time else [])
    at = _time.now()
    rows = []
    for ref in shown:
        name_class = "alnb-label" if isinstance(ref, Tag) else "alnb-branch"
        cells = [f'<span class="{name_class}">{escape(ref.name)}</span>', _id(ref.commit_id)]
        if columns.message:
            cells.append(escape(ref.message or "") if isinstance(ref, Tag) else "")
        if columns.time:
            when = ref_time(ref)
            cells.append(_time_element(when, at) if when else "")
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    return _wrap("reflist", _rows(rows, len(refs), _table(headers)))


def session_info(s: SessionInfo) -> str:
    """Key/value table: id, branch, base commit, author, start, expiration, message, time zone.

    Parameters
    ----------
    s : SessionInfo

    Returns
    -------
    str
    """
    at = _time.now()
    branch_cell = (
        f'<span class="alnb-branch">{escape(s.branch)}</span>' if s.branch else f'<span class="alnb-none">{NO_BRANCH}</span>'
    )
    rows = [
        ("Session", f'<code class="alnb-id">{escape(s.id)}</code>'),
        ("Branch", branch_cell),
        ("Base commit", _id(s.base_commit)),
        ("Author", escape(author(s.author_name, s.author_email))),
        ("Started", _time_element(s.start_time, at)),
        ("Expires", _time_element(s.expiration, at)),
        ("Message", escape(s.message or "")),
        ("Time zone", escape(_time.zones([s.start_time, s.expiration]))),
    ]
    return _wrap("sessioninfo", _kv_table(rows))


def _session_row(s: SessionInfo, at: dt.datetime) -> str:
    cells = [
        f'<code class="alnb-id">{escape(s.id)}</code>',
        f'<span class="alnb-branch">{escape(s.branch)}</span>' if s.branch else '<span class="alnb-none">none</span>',
        _id(s.base_commit, short=True),
        escape(author(s.author_name, s.author_email)),
        _time_element(s.start_time, at),
        _time_element(s.expiration, text=_time.relative(s.expiration, at)),
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
    shown = sessions.sessions[:MAX_ROWS]
    at = _time.now()
    rows = [_session_row(s, at) for s in shown]
    zone = _time.zones(s.start_time for s in shown)
    headers = ["Session", "Branch", "Base", "Author", f"Started ({zone})", "Expires"]
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
        f"📟 Session {escape(s.id)} started at {_time_element(s.start_time, with_zone=True)}",
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
        body += _rows(rows, problem_count(report), _lines)
    return _wrap("fsckreport", body + _note(fsck_leftovers(report)))


def _tree_list(t: Tree) -> str:
    """Nested ``<ul>`` of the nodes below the root; the first levels open, deeper ones on demand."""

    def render(node: TreeNode, level: int) -> str:
        items = []
        for child in node.children:
            label = escape(child.label)
            if child.children:
                opened = " open" if level < 2 else ""
                items.append(f"<li><details{opened}><summary>{label}</summary>{render(child, level + 1)}</details></li>")
            else:
                items.append(f"<li>{label}</li>")
        return f'<ul class="alnb-tree">{"".join(items)}</ul>'

    return render(t.root, 0) if t.root.children else ""


def tree(t: Tree) -> str:
    """Nested lists, groups before arrays, deep levels open on demand; a sentence when empty.

    Parameters
    ----------
    t : Tree

    Returns
    -------
    str
    """
    head = escape(f"/{t.root.path}" if t.root.path else "/")
    if t.truncated:
        more = _note(f"... and {t.truncated} more node(s); narrow the prefix or depth")
    else:
        more = "" if t.root.children else _empty(EMPTY_TREE)
    return _wrap("tree", f"<div><code>{head}</code></div>{_tree_list(t)}{more}")


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


def _summary_tree(t: Tree, read_only: bool) -> str:
    if not t.root.children:
        return _empty(empty_members(t.root.path, read_only))
    head = escape(f"/{t.root.path}" if t.root.path else "/")
    more = _note(summary_more_note(t)) if t.truncated else ""
    return f"<div><code>{head}</code></div>{_tree_list(t)}{more}"


def _checkout_cell(branch: str | None, base_commit: str | None, read_only: bool) -> str:
    # The sentence of the text rendering, with the branch and the commit marked up.
    text = escape(checkout_line(branch, base_commit, read_only))
    if branch is not None:
        text = text.replace(escape(f"branch {branch}"), f'branch <span class="alnb-branch">{escape(branch)}</span>', 1)
    if base_commit:
        text = text.replace(escape(base_commit[:8]), _id(base_commit, short=True), 1)
    return text


def repo_summary(r: RepoSummary) -> str:
    """Heading, a key/value table (checkout, session and expiry, uncommitted changes), the first nodes of the tree.

    Parameters
    ----------
    r : RepoSummary

    Returns
    -------
    str
    """
    heading = f'<div class="alnb-heading">🧊 Repo {escape(r.name)}</div>'
    if r.session is None:
        return _wrap("reposummary", heading + _empty("Not checked out; call repo.checkout()"))
    s = r.session
    if r.session_closed:
        session = escape(session_expiry_line(s, r.session_closed))
    else:
        expiry = _time_element(s.expiration, text=_time.expiry(s.expiration))
        session = f'<code class="alnb-id" title="{escape(s.id)}">{escape(s.id[:8])}</code>, {expiry}'
    rows = [
        ("Checkout", _checkout_cell(r.branch, r.base_commit, r.read_only)),
        ("Session", session),
        ("Changes", escape(changes_line(r.changes))),
    ]
    tree_part = _summary_tree(r.tree, r.read_only) if r.tree is not None else ""
    return _wrap("reposummary", heading + _kv_table(rows) + tree_part)


def group_summary(g: GroupSummary) -> str:
    """Heading, a key/value table (repository, checkout, attributes), then the first members as a tree.

    Parameters
    ----------
    g : GroupSummary

    Returns
    -------
    str
    """
    heading = f'<div class="alnb-heading">📁 Group <code>/{escape(g.path)}</code></div>'
    rows = [
        ("Repository", escape(g.repo_name)),
        ("Checkout", _checkout_cell(g.branch, g.base_commit, g.read_only)),
        (f"Attributes ({len(g.attributes)})", escape(attribute_names(g.attributes))),
    ]
    return _wrap("groupsummary", heading + _kv_table(rows) + _summary_tree(g.tree, g.read_only))


def array_summary(a: ArraySummary) -> str:
    """Heading and a key/value table: shape, data type, chunks, fill value, attributes, repository, checkout.

    Parameters
    ----------
    a : ArraySummary

    Returns
    -------
    str
    """
    heading = f'<div class="alnb-heading">🇦 Array <code>/{escape(a.path)}</code></div>'
    rows = [(label, f"<code>{escape(value)}</code>") for label, value in array_facts(a)]
    rows += [
        (f"Attributes ({len(a.attributes)})", escape(attribute_names(a.attributes))),
        ("Repository", escape(a.repo_name)),
        ("Checkout", _checkout_cell(a.branch, a.base_commit, a.read_only)),
    ]
    return _wrap("arraysummary", heading + _kv_table(rows))


def node_history(h: NodeHistory) -> str:
    """Table of the commits that changed one node; beyond 20 rows they fold into a details element."""
    head = f'<div class="alnb-heading">{escape(f"History of /{h.path} from {h.ref}")}</div>'
    if not h.versions:
        return _wrap("nodehistory", head + _empty("No commit changed this node"))
    rows = [
        f"<tr><td>{_id(v.commit.id, short=True)}</td>" + "".join(f"<td>{escape(x)}</td>" for x in row[1:]) + "</tr>"
        for v, row in zip(h.versions, node_history_rows(h)[:MAX_ROWS], strict=False)
    ]
    table = _table(["Commit", node_history_time_header(h), "Change", "Shape", "Message"])
    return _wrap("nodehistory", head + _rows(rows, len(h.versions), table))
