"""JSON documents for the models: pure functions from a model to JSON-compatible values.

One serializer per model class, shared by the command line (``--output json``)
and front ends that render in a browser. The output holds only ``str``, ``int``,
``float`` (always finite), ``bool``, ``None``, ``list`` and ``dict`` with ``str``
keys, so ``json.dumps(doc, allow_nan=False)`` never fails and
``json.loads(json.dumps(doc)) == doc``.

The schema is the contract documented in ``docs/json-schema.md``; change both
together and bump :data:`SCHEMA_VERSION` when a field changes meaning or goes away.

Conventions:

* every object standing for a model carries ``"type"``: the model's class name in
  snake_case (``"commit_log"``, ``"tree_node"``), nested ones included;
* times are ISO 8601 in UTC to the second with a trailing ``Z``
  (``"2026-11-21T13:05:09Z"``), next to a ``<name>_ts`` field holding the exact
  time in seconds since the Unix epoch (a number, possibly fractional);
* commit ids are always full; a commit also carries ``short_id``;
* free-form values (commit metadata, attribute values) go through :func:`plain`:
  NaN and infinities become the strings ``"NaN"``, ``"Infinity"`` and
  ``"-Infinity"`` (as Zarr writes them), tuples become lists, mapping keys strings.
"""

from __future__ import annotations

import base64
import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from arraylake_nb.models import (
    ArraySummary,
    AttributeChange,
    Branch,
    ChunkChanges,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    CommitSequence,
    Diff,
    FsckReport,
    GcReport,
    GroupSummary,
    NodeChange,
    NodeHistory,
    NodeVersion,
    RefList,
    RepoSummary,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Transaction,
    Tree,
    TreeNode,
)

SCHEMA_VERSION = 1
"""Version of the documents' schema (``docs/json-schema.md``)."""

Document = dict[str, Any]


def type_name(cls: type) -> str:
    """The ``"type"`` of a model's documents: its class name in snake_case (``CommitLog`` -> ``commit_log``)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).lower()


# -- values ----------------------------------------------------------------------


def timestamp(t: dt.datetime) -> str:
    """``t`` in UTC, ISO 8601 to the second with a trailing ``Z``; a naive ``t`` is taken as UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch_seconds(t: dt.datetime) -> float:
    """``t`` as seconds since the Unix epoch; a naive ``t`` is taken as UTC."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.timestamp()


def _time_fields(name: str, t: dt.datetime | None) -> Document:
    if t is None:
        return {name: None, f"{name}_ts": None}
    return {name: timestamp(t), f"{name}_ts": epoch_seconds(t)}


def _float(x: float) -> float | str:
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return x


def plain(value: Any) -> Any:
    """A free-form value (metadata, attribute) as JSON-compatible data.

    Non-finite floats become ``"NaN"``, ``"Infinity"`` or ``"-Infinity"``; tuples
    and sets lists; mapping keys strings; datetimes :func:`timestamp` strings;
    NumPy scalars and arrays Python numbers and lists; bytes base64 text; anything
    else its ``str()``. The API only stores JSON, so the last three are defensive.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float(float(value))
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        items = [plain(v) for v in value]
        try:
            return sorted(items)
        except TypeError:
            return items
    if isinstance(value, dt.datetime):
        return timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if type(value).__module__ == "numpy":
        tolist = getattr(value, "tolist", None)  # NumPy scalars and arrays: Python values
        if callable(tolist):
            return plain(tolist())
    return str(value)


# -- models ----------------------------------------------------------------------


def commit(c: Commit) -> Document:
    """A commit: ids, message, author, time, metadata and the refs pointing at it."""
    return {
        "type": "commit",
        "id": c.id,
        "short_id": c.short_id,
        "parent_commit": c.parent_commit,
        "message": c.message,
        "author_name": c.author_name,
        "author_email": c.author_email,
        **_time_fields("commit_time", c.commit_time),
        "labels": list(c.labels),
        "metadata": plain(c.metadata),
    }


def commit_log(log: CommitLog, *, offset: int = 0, limit: int | None = None) -> Document:
    """One page of a commit log: ``limit`` commits (default ``log.page_size``) from ``offset``, newest first.

    Only the commits up to ``offset + limit`` are fetched.

    Raises
    ------
    ValueError
        If ``offset`` is negative or ``limit`` is not positive.
    """
    limit = log.page_size if limit is None else limit
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise ValueError(f"offset must be a non-negative integer, not {offset!r}")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive integer, not {limit!r}")
    return {
        "type": "commit_log",
        "head": log.head,
        "total": len(log),
        "offset": offset,
        "limit": limit,
        "show_provenance": log.show_provenance,
        "commits": [commit(c) for c in log[offset : offset + limit]],
    }


def commit_page(page: CommitPage) -> Document:
    """One page of history from ``repo.log_page``, and the cursor of the next page."""
    return {
        "type": "commit_page",
        "total": page.total,
        "next_cursor": page.next_cursor,
        "commits": [commit(c) for c in page.commits],
    }


def commit_data(data: CommitData) -> Document:
    """The checkout's commits, branches and tags, for drawing its history."""
    return {
        "type": "commit_data",
        "head": data.head,
        "commits": [commit(c) for c in data.commits],
        "branches": ref_list(data.branches),
        "tags": ref_list(data.tags),
    }


def commit_sequence(commits: CommitSequence) -> Document:
    """Commits of a long history, in order (every one is built)."""
    return {"type": "commit_sequence", "commits": [commit(c) for c in commits]}


def transaction(tx: Transaction) -> Document:
    """What ``repo.transaction`` did."""
    return {
        "type": "transaction",
        "message": tx.message,
        "commit_id": tx.commit_id,
        "included_earlier_changes": tx.included_earlier_changes,
        "rolled_back_changes": tx.rolled_back_changes,
    }


def branch(b: Branch) -> Document:
    """A branch: its name, the commit it points to (``None`` on an empty branch) and that commit's time."""
    return {"type": "branch", "name": b.name, "commit_id": b.commit_id, **_time_fields("tip_time", b.tip_time)}


def tag(t: Tag) -> Document:
    """A tag: name, commit, and message, creation time and author when known."""
    return {
        "type": "tag",
        "name": t.name,
        "commit_id": t.commit_id,
        "message": t.message,
        **_time_fields("created_at", t.created_at),
        "author_name": t.author_name,
        "author_email": t.author_email,
    }


def _ref(r: Branch | Tag) -> Document:
    return tag(r) if isinstance(r, Tag) else branch(r)


def ref_list(refs: RefList) -> Document:
    """Branches or tags (``kind``), in the order the API listed them."""
    return {"type": "ref_list", "kind": refs.kind, "refs": [_ref(r) for r in refs]}


def session_info(s: SessionInfo) -> Document:
    """A write session's description."""
    return {
        "type": "session_info",
        "id": s.id,
        "branch": s.branch,
        "base_commit": s.base_commit,
        "author_name": s.author_name,
        "author_email": s.author_email,
        "message": s.message,
        "for_writing": s.for_writing,
        **_time_fields("start_time", s.start_time),
        **_time_fields("expiration", s.expiration),
    }


def session_list(sessions: SessionList) -> Document:
    """The active sessions of a repository."""
    return {
        "type": "session_list",
        "repo_name": sessions.repo_name,
        "sessions": [session_info(s) for s in sessions.sessions],
    }


def session_status(status: SessionStatus) -> Document:
    """What a session changed: the modified zarr keys listed and the total count."""
    return {
        "type": "session_status",
        "repo_name": status.repo_name,
        "session": session_info(status.session),
        "total": status.total,
        "truncated": max(status.truncated, 0),
        "modified_paths": [{"path": path, "deleted": bool(deleted)} for path, deleted in status.modified_paths],
        "nodes": [node_change(n) for n in status.summary()],
        "session_closed": status.session_closed,
    }


def node_change(n: NodeChange) -> Document:
    """What a session did to one group or array (or to loose keys in one directory)."""
    return {
        "type": "node_change",
        "path": n.path,
        "kind": n.kind,
        "created": n.created,
        "deleted": n.deleted,
        "metadata_changed": n.metadata_changed,
        "chunks_written": n.chunks_written,
        "chunks_deleted": n.chunks_deleted,
        "virtual_sources": list(n.virtual_sources),
    }


def fsck_report(report: FsckReport) -> Document:
    """An integrity check: counts, missing and corrupt chunks, leftovers."""
    return {
        "type": "fsck_report",
        "ok": report.ok,
        "checked_chunks": report.checked_chunks,
        "missing": [{"key": k, "digest": d} for k, d in report.missing.items()],
        "corrupt": [{"key": k, "digest": d} for k, d in report.corrupt.items()],
        "unreachable_chunks": report.unreachable_chunks,
        "stale_journals": list(report.stale_journals),
        "checked_sources": report.checked_sources,
        "bad_sources": [{"location": loc, "problem": why} for loc, why in report.bad_sources.items()],
    }


def gc_report(report: GcReport) -> Document:
    """What a garbage collection removed."""
    return {
        "type": "gc_report",
        "chunks_removed": report.chunks_removed,
        "bytes_freed": report.bytes_freed,
        "journals_removed": report.journals_removed,
    }


def _node_fields(node: TreeNode) -> Document:
    return {
        "type": "tree_node",
        "name": node.name,
        "path": node.path,
        "kind": node.kind,
        "shape": None if node.shape is None else [int(n) for n in node.shape],
        "dtype": node.dtype,
        "chunks": None if node.chunks is None else [int(n) for n in node.chunks],
        "has_children": node.has_children,
        "virtual_sources": list(node.virtual_sources),
        "children": [],
    }


def tree_node(node: TreeNode) -> Document:
    """A group or array with its children, nested (built without recursion, any depth)."""
    top = _node_fields(node)
    stack = [(top, node)]
    while stack:
        doc, n = stack.pop()
        for child in n.children:
            child_doc = _node_fields(child)
            doc["children"].append(child_doc)
            stack.append((child_doc, child))
    return top


def tree(t: Tree) -> Document:
    """A hierarchy: the root node with nested children, the node count and what was left out."""
    return {"type": "tree", "root": tree_node(t.root), "node_count": len(t), "truncated": t.truncated}


def attribute_change(c: AttributeChange) -> Document:
    """One attribute of one node that differs between two versions."""
    return {"type": "attribute_change", "path": c.path, "key": c.key, "old": plain(c.old), "new": plain(c.new)}


def chunk_changes(c: ChunkChanges) -> Document:
    """The chunks of one array that differ: how many, and the grid coordinates of at most 1000."""
    return {
        "type": "chunk_changes", "path": c.path, "count": c.count,
        "coords": [[int(i) for i in xs] for xs in c.coords], "states": list(c.states),
    }


def diff(d: Diff) -> Document:
    """What changed between two versions."""
    return {
        "type": "diff",
        "from_ref": d.from_ref,
        "to_ref": d.to_ref,
        "empty": d.empty,
        "added": [{"path": path, "kind": kind} for path, kind in d.added],
        "deleted": [{"path": path, "kind": kind} for path, kind in d.deleted],
        "moved": [{"old_path": old, "new_path": new} for old, new in d.moved],
        "attributes": [attribute_change(c) for c in d.attributes],
        "chunks": [chunk_changes(c) for c in d.chunks],
        "virtual": [{"path": p, "sources": list(src)} for p, src in d.virtual.items()],
    }


def repo_summary(r: RepoSummary) -> Document:
    """What a repository's repr shows: checkout, session, uncommitted changes and the top of the tree."""
    return {
        "type": "repo_summary",
        "name": r.name,
        "branch": r.branch,
        "base_commit": r.base_commit,
        "read_only": r.read_only,
        "session": None if r.session is None else session_info(r.session),
        "session_closed": r.session_closed,
        "changes": r.changes,
        "tree": None if r.tree is None else tree(r.tree),
    }


def group_summary(g: GroupSummary) -> Document:
    """What a group's repr shows: where it is, its attribute names and the top of its members' tree."""
    return {
        "type": "group_summary",
        "repo_name": g.repo_name,
        "path": g.path,
        "branch": g.branch,
        "base_commit": g.base_commit,
        "read_only": g.read_only,
        "attributes": list(g.attributes),
        "tree": tree(g.tree),
    }


def array_summary(a: ArraySummary) -> Document:
    """What an array's repr shows: where it is, shape, data type, chunks, fill value and attribute names."""
    return {
        "type": "array_summary",
        "repo_name": a.repo_name,
        "path": a.path,
        "branch": a.branch,
        "base_commit": a.base_commit,
        "read_only": a.read_only,
        "shape": [int(n) for n in a.shape],
        "dtype": a.dtype,
        "chunks": None if a.chunks is None else [int(n) for n in a.chunks],
        "fill_value": plain(a.fill_value),
        "attributes": list(a.attributes),
    }


def node_version(v: NodeVersion) -> Document:
    """One commit that changed a node, and the node as it left it."""
    return {
        "type": "node_version",
        "commit": commit(v.commit),
        "kind": v.kind,
        "created": v.created,
        "deleted": v.deleted,
        "metadata_changed": v.metadata_changed,
        "attributes_changed": v.attributes_changed,
        "chunks_changed": v.chunks_changed,
        "shape": None if v.shape is None else [int(n) for n in v.shape],
    }


def node_history(h: NodeHistory) -> Document:
    """The commits that changed one node, newest first."""
    return {"type": "node_history", "path": h.path, "ref": h.ref, "versions": [node_version(v) for v in h.versions]}
