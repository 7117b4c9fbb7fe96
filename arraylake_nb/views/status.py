"""The StatusPanel's data: where the checkout stands and what its session changed, per node."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from arraylake_nb.views._common import time_fields

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

#: Zarr keys listed per node at most (the counts cover them all).
MAX_KEYS_PER_NODE = 20


def status_summary(repo: Repo, limit: int = 1000) -> dict[str, Any]:
    """The repository, the checkout (branch, or detached at a commit), the session and its changes per node.

    Built from :meth:`Repo.status <arraylake_nb.Repo.status>`: the per-node
    summary and grouping are the status model's own (``summary()``,
    ``keys_by_node()``), so the panel and ``repo.status()`` always agree.

    Parameters
    ----------
    repo
        The repository.
    limit
        Zarr keys read for the per-node key lists (0: all); the per-node counts always cover every change.

    Returns
    -------
    dict
        ``{"type": "status_summary", "repo_name", "checkout", "branch", "detached",
        "base_commit", "base_short_id", "session", "total", "nodes"}``; see ``docs/views.md``.
    """
    status = repo.status(limit=limit)
    s = status.session
    base = s.base_commit
    detached = s.branch is None
    checkout = f"detached at {base[:8]}" if detached and base else s.branch or "detached (no commits)"
    grouped = status.keys_by_node()
    nodes = []
    for n in status.summary():
        keys = grouped.get(n.path, [])
        nodes.append({
            "path": n.path,
            "kind": n.kind,
            "created": n.created,
            "deleted": n.deleted,
            "metadata_changed": n.metadata_changed,
            "chunks_written": n.chunks_written,
            "chunks_deleted": n.chunks_deleted,
            "description": n.describe(),
            "keys": [{"key": k, "deleted": bool(d)} for k, d in keys[:MAX_KEYS_PER_NODE]],
            "keys_listed": len(keys),
        })
    return {
        "type": "status_summary",
        "repo_name": status.repo_name,
        "checkout": checkout,
        "branch": s.branch,
        "detached": detached,
        "writable": s.for_writing,
        "base_commit": base,
        "base_short_id": base[:8] if base else None,
        "session": {
            "id": s.id,
            "short_id": s.id[:8],
            **time_fields("start_time", s.start_time),
            **time_fields("expiration", s.expiration),
            "expires_in_seconds": max(0.0, s.expiration.timestamp() - time.time()),
            "author_name": s.author_name,
            "author_email": s.author_email,
        },
        "total": status.total,
        "truncated": max(status.truncated, 0),
        "nodes": nodes,
    }
