"""Differences between two versions of a repository (commits or a session's view)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from arraylake_nb.api import _tree, _virtual
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.keys import chunk_coords
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.values import CHUNK_VALUE_TYPES, Chain, ChunkValue
from arraylake_nb.models import AttributeChange, ChunkChanges, Diff

MAX_COORDS = 1000
_MISSING = object()


def _same_value(old: Any, new: Any) -> bool:
    # Attribute values as stored: NaN (zarr writes it as "NaN" in JSON, read back as a
    # float) equals itself here, at any depth, so an untouched NaN is not a change.
    if old is _MISSING or new is _MISSING:
        return old is new
    return json.dumps(old, sort_keys=True) == json.dumps(new, sort_keys=True)


class VersionView:
    """Node documents and chunk references of one version, read lazily."""

    def __init__(self, state: SessionView, label: str) -> None:
        self.state = state
        self.label = label
        self.docs = _tree.node_documents(state)
        self.arrays = state.arrays()

    def chain(self, path: str) -> Chain | None:
        """The manifest chain of array ``path`` in this version, or None if ``path`` is not an array.

        Parameters
        ----------
        path
            Node path of the array (``"a/b"``, no leading slash).
        """
        return self.arrays.get(path)

    def untouched(self, path: str) -> bool:
        """True if the session changed no chunk of this array (its chain says it all)."""
        prefix = zkeys.dir_prefix(path)
        ov = self.state.overlay
        if any(k.startswith(prefix) and not zkeys.is_metadata_key(k) for k in ov.changes):
            return False
        return not any(p.startswith(prefix) for p in ov.deleted_prefixes)

    def chunks(self, path: str) -> dict[str, ChunkValue]:
        """The chunk references of array ``path`` in this version, by key relative to the array.

        Parameters
        ----------
        path
            Node path of the array.

        Returns
        -------
        dict
            ``{"c/0/1": ChunkRef or VirtualRef, ...}``; chunks of nested arrays are left out.
        """
        if self.untouched(path):
            # The manifest holds exactly this array's chunks: no per-key lookups needed.
            return {k: v for k, v in self.state.manifest(path).items() if isinstance(v, CHUNK_VALUE_TYPES)}
        prefix = zkeys.dir_prefix(path)
        out: dict[str, ChunkValue] = {}
        for key in self.state.iter_keys(prefix):
            if zkeys.is_metadata_key(key) or self.state.owner(key) != path:
                continue
            v = self.state.get(key)
            if isinstance(v, CHUNK_VALUE_TYPES):
                out[key[len(prefix):]] = v
        return out


def _kind(doc: dict[str, Any]) -> str:
    return "array" if doc.get("node_type") == "array" else "group"


def diff_views(a: VersionView, b: VersionView, progress: Callable[[int], None] | None = None,
               max_coords: int | None = MAX_COORDS) -> Diff:
    """Compare two versions node by node, then chunk by chunk for arrays present in both.

    ``max_coords`` caps the chunk coordinates listed per array (None: all of them).
    """
    added = {p: _kind(d) for p, d in b.docs.items() if p not in a.docs}
    deleted = {p: _kind(d) for p, d in a.docs.items() if p not in b.docs}
    moved: list[tuple[str, str]] = []
    # An array deleted here and added there whose chunk references descend from
    # the deleted one's (its chain ends with the old chain) was moved, and maybe written.
    # (Comparing backwards in history, the old chain ends with the new one.)
    by_suffix: dict[Chain, str] = {}
    for p, k in deleted.items():
        chain = a.chain(p) if k == "array" else None
        for i in range(len(chain or ())):
            by_suffix.setdefault(chain[i:], p)  # type: ignore[index]
    by_chain = {a.chain(p): p for p, k in deleted.items() if k == "array" and a.chain(p)}
    for p, k in list(added.items()):
        chain = b.chain(p) if k == "array" else None
        if not chain:
            continue
        src = next((by_chain[chain[i:]] for i in range(len(chain)) if chain[i:] in by_chain), None)
        src = src or by_suffix.get(chain)
        if src is not None and src in deleted and all(s != src for s, _ in moved):
            moved.append((src, p))
    for src, dst in list(moved):
        # Groups deleted on one side and added on the other along a moved array's path moved too.
        s, d = zkeys.split(src)[0], zkeys.split(dst)[0]
        while s in deleted and d in added and (s, d) not in moved:
            moved.append((s, d))
            s, d = zkeys.split(s)[0], zkeys.split(d)[0]
    # What sits under a moved node and reappears at the same place under its
    # destination moved with it: empty groups and arrays without chunks have no
    # chain to recognise them by.
    sources = {src for src, _ in moved}
    for src, dst in list(moved):
        for p in [p for p in deleted if p.startswith(src + "/") and p not in sources]:
            q = dst + p[len(src):]
            if added.get(q) == deleted[p]:
                moved.append((p, q))
                sources.add(p)
    for src, dst in moved:
        deleted.pop(src, None)
        added.pop(dst, None)
    moved_to = dict(moved)

    attributes: list[AttributeChange] = []
    chunks: list[ChunkChanges] = []
    pairs = [(p, p) for p in a.docs if p in b.docs] + [(s, d) for s, d in moved_to.items()]
    for i, (pa, pb) in enumerate(sorted(pairs)):
        da, db = a.docs[pa], b.docs[pb]
        attrs_a, attrs_b = da.get("attributes") or {}, db.get("attributes") or {}
        for key in sorted(set(attrs_a) | set(attrs_b)):
            old, new = attrs_a.get(key, _MISSING), attrs_b.get(key, _MISSING)
            if not _same_value(old, new):
                attributes.append(AttributeChange(pb, key, None if old is _MISSING else old, None if new is _MISSING else new))
        if _kind(da) == "array" and _kind(db) == "array":
            if a.chain(pa) == b.chain(pb) and a.untouched(pa) and b.untouched(pb):
                continue
            ca, cb = a.chunks(pa), b.chunks(pb)
            changed = sorted(k for k in set(ca) | set(cb) if ca.get(k) != cb.get(k))
            if changed:
                listed = [(k, c) for k in changed[:max_coords] if (c := chunk_coords(k)) is not None]
                states = tuple(
                    "added" if k not in ca else "deleted" if k not in cb else "modified" for k, _ in listed
                )
                chunks.append(ChunkChanges(pb, len(changed), tuple(c for _, c in listed), states))
        if progress is not None:
            progress(i + 1)
    virtual = _virtual.virtual_arrays(
        b.state, [p for p, k in added.items() if k == "array"] + [c.path for c in chunks])
    return Diff(
        a.label, b.label,
        sorted(added.items()), sorted(deleted.items()), sorted(moved), attributes, chunks, virtual,
    )
