"""One commit in detail, and the commits that changed one array (the TimeTravel slider's stops)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from arraylake_nb.errors import NodeNotFoundError, NotAnArrayError, SessionError
from arraylake_nb.models import Diff
from arraylake_nb.views._common import describe_ref, plain, time_fields

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

#: Commit metadata keys that notebook provenance writes (see ``arraylake_nb.notebook.provenance``).
_PROVENANCE_KEYS = ("notebook", "cell")


def _refs_at(repo: Repo, commit_id: str) -> list[dict[str, Any]]:
    try:
        branch = repo.session.info.branch
    except SessionError:  # no checkout: no branch is current
        branch = None
    refs: list[dict[str, Any]] = [
        {"kind": "branch", "name": b.name, "current": b.name == branch}
        for b in sorted(repo.branches, key=lambda r: r.name) if b.commit_id == commit_id
    ]
    refs += [
        {"kind": "tag", "name": t.name, "current": False, "message": t.message}
        for t in sorted(repo.tags, key=lambda r: r.name) if t.commit_id == commit_id
    ]
    return refs


def _changes(d: Diff) -> dict[str, Any]:
    doc = d.to_json()
    return {
        "empty": d.empty,
        "added": doc["added"],
        "deleted": doc["deleted"],
        "moved": doc["moved"],
        "attributes": [{k: a[k] for k in ("path", "key", "old", "new")} for a in doc["attributes"]],
        "arrays": [{"path": c.path, "chunks_changed": c.count} for c in d.chunks],
    }


def commit_details(repo: Repo, commit_id: str) -> dict[str, Any]:
    """A commit in full: ids, parents, author, time, message, refs, what it changed, and its provenance.

    Parameters
    ----------
    repo
        The repository.
    commit_id
        A commit id (or unique prefix of at least 4 characters), branch or tag.

    Returns
    -------
    dict
        ``{"type": "commit_details", "id", "short_id", "parents", "author_name",
        "author_email", "time", "time_ts", "message", "refs", "provenance",
        "metadata", "changes"}``; ``changes`` compares the commit with its parent
        (the first commit with an empty repository), ``provenance`` holds the
        notebook and cell that made it or is None. See ``docs/views.md``.

    Raises
    ------
    RefNotFoundError
        If ``commit_id`` names no commit.
    """
    c = repo.get_commit(commit_id)
    provenance = {k: c.metadata[k] for k in _PROVENANCE_KEYS if c.metadata.get(k) is not None}
    return {
        "type": "commit_details",
        "id": c.id,
        "short_id": c.short_id,
        "parents": [c.parent_commit] if c.parent_commit else [],
        "author_name": c.author_name,
        "author_email": c.author_email,
        **time_fields("time", c.commit_time),
        "message": c.message,
        "refs": _refs_at(repo, c.id),
        "provenance": plain(provenance) or None,
        "metadata": plain({k: v for k, v in c.metadata.items() if k not in _PROVENANCE_KEYS}),
        "changes": _changes(repo.commit_changes(c.id, max_coords=0)),
    }


def array_history(repo: Repo, path: str, ref: str | None = "main") -> dict[str, Any]:
    """The commits in the ancestry of ``ref`` that changed an array, newest first, with its shape at each.

    Each entry's ``commit_id`` works as the ``ref`` of :func:`~arraylake_nb.views.preview`
    and :func:`~arraylake_nb.views.node_info`, which is what a time-travel slider needs.
    A commit counts when it changed the array's metadata, attributes or chunks, created
    it or deleted it; only the path is followed (an array moved here starts with the move).

    Parameters
    ----------
    repo
        The repository.
    path
        The array.
    ref
        Branch, tag or commit whose ancestry is searched; None for the checkout's commit.

    Returns
    -------
    dict
        ``{"type": "array_history", "path", "ref", "versions": [...]}``; see ``docs/views.md``.

    Raises
    ------
    NodeNotFoundError
        If no commit in that ancestry ever had a node at ``path``.
    NotAnArrayError
        If the node at ``path`` is a group there.
    RefNotFoundError
        If ``ref`` names no branch, tag or commit.
    """
    history = repo.node_history(path, ref)
    if not history.versions:
        raise NodeNotFoundError(
            f"No commit in the history of {describe_ref(ref)} has a node at /{history.path}; "
            "check the path with views.children, or the ref."
        )
    last_kind = next((v.kind for v in history.versions if v.kind is not None), None)
    if last_kind == "group":
        raise NotAnArrayError(
            f"/{history.path} is a group in {describe_ref(ref)}, not an array; pick one of its arrays "
            "(views.children lists them)."
        )
    return {
        "type": "array_history",
        "path": history.path,
        "ref": ref,
        "versions": [
            {
                "commit_id": v.commit.id,
                "short_id": v.commit.short_id,
                **time_fields("time", v.commit.commit_time),
                "author_name": v.commit.author_name,
                "message": v.commit.message.split("\n", 1)[0],
                "kind": v.kind,
                "created": v.created,
                "deleted": v.deleted,
                "metadata_changed": v.metadata_changed,
                "attributes_changed": v.attributes_changed,
                "chunks_changed": v.chunks_changed,
                "shape": None if v.shape is None else list(v.shape),
            }
            for v in history.versions
        ],
    }
