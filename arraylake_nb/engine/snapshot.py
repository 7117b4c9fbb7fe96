"""Read access to committed state: segments, chains and snapshots.

Segments never change once written, so anything decoded from one is cached
for the life of the process without invalidation. A *snapshot* is the state
of the repository at one commit: its path map (every key that is not a chunk
of an array, i.e. metadata documents and loose values) and, reachable from the
array documents in it, the manifest chain of each array.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator

from arraylake_nb.engine import journal
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.metastore import CommitRow, Metastore
from arraylake_nb.engine.segments import inline_index, is_inline
from arraylake_nb.engine.values import (
    DELETED,
    EMPTY_CHAIN,
    Chain,
    Change,
    ChunkRef,
    Doc,
    Value,
    VirtualRef,
    chain_size,
    decode_chain,
)

#: Chains with more entries than this are read key by key instead of whole.
LARGE_CHAIN = 250_000


def decode_table_segment(columns: dict) -> dict[str, Change]:
    """Decode the ``entries`` rows of one segment (columns, from DuckDB) into a dict of changes.

    Inline segments are decoded by :func:`arraylake_nb.engine.journal.decode_inline_segment`.
    """
    out: dict[str, Change] = {}
    keys = columns["key"].tolist()
    if not keys:
        return out
    deleted = columns["deleted"].tolist()
    docs = columns["doc"].tolist()
    digests = columns["digest"].tolist()
    sizes = columns["size"].tolist()
    is_array = columns["is_array"].tolist()
    chains = columns["chain"].tolist()
    vlocs = columns["vloc"].tolist()
    voffs = columns["voff"].tolist()
    vfps = columns["vfp"].tolist()
    for i, key in enumerate(keys):
        if deleted[i]:
            out[key] = DELETED
        elif docs[i] is not None:
            arr = bool(is_array[i]) if is_array[i] is not None else False
            out[key] = Doc(bytes(docs[i]), arr, decode_chain(chains[i]) if arr else None)
        elif vlocs[i] is not None:
            out[key] = VirtualRef(vlocs[i], int(voffs[i]), int(sizes[i]), vfps[i])
        else:
            out[key] = ChunkRef(bytes(digests[i]), int(sizes[i]))
    return out


def decode_table_row(digest: bytes | None, size: int | None, doc: bytes | None, is_array: bool | None,
                     chain: str | None, deleted: bool, vloc: str | None = None, voff: int | None = None,
                     vfp: str | None = None) -> Change:
    """Decode one ``entries`` row (without its segment and key) into a change."""
    if deleted:
        return DELETED
    if doc is not None:
        arr = bool(is_array)
        return Doc(bytes(doc), arr, decode_chain(chain) if arr else None)
    if vloc is not None:
        return VirtualRef(vloc, int(voff), int(size), vfp)  # type: ignore[arg-type]
    return ChunkRef(bytes(digest), int(size))


class SegmentCache:
    """Decoded segments and resolved chains, bounded by total entries held."""

    def __init__(self, metastore: Metastore, max_entries: int = 4_000_000) -> None:
        self.metastore = metastore
        self.max_entries = max_entries
        self._segments: OrderedDict[int, dict[str, Change]] = OrderedDict()
        self._resolved: OrderedDict[Chain, dict[str, Value]] = OrderedDict()
        self._held = 0
        self._lock = threading.Lock()

    def segment(self, seg: int) -> dict[str, Change]:
        """Segment ``seg`` decoded (key -> change), loaded from the metastore on a miss.

        Parameters
        ----------
        seg
            Segment id (table-stored or inline).
        """
        with self._lock:
            hit = self._segments.get(seg)
            if hit is not None:
                self._segments.move_to_end(seg)
                return hit
        loaded = self.metastore.load_segment(seg)
        if isinstance(loaded, bytes):
            entries = journal.decode_inline_segment(loaded, inline_index(seg))  # type: ignore[assignment]
        else:
            entries = decode_table_segment(loaded)
        self.put(seg, entries)
        return entries

    def put(self, seg: int, entries: dict[str, Change]) -> None:
        """Cache a decoded segment, unless it is cached already.

        The oldest segments are dropped while more than ``max_entries`` entries are
        held (the newest is always kept).

        Parameters
        ----------
        seg
            Segment id.
        entries
            Its decoded entries, key -> change.
        """
        with self._lock:
            if seg in self._segments:
                return
            self._segments[seg] = entries
            self._held += len(entries)
            while self._held > self.max_entries and len(self._segments) > 1:
                _, old = self._segments.popitem(last=False)
                self._held -= len(old)

    def resolve(self, chain: Chain) -> dict[str, Value]:
        """The live entries of a chain (newest segment wins, tombstones applied)."""
        if not chain:
            return {}
        with self._lock:
            hit = self._resolved.get(chain)
            if hit is not None:
                self._resolved.move_to_end(chain)
                return hit
        if len(chain) == 1:
            seg = self.segment(chain[0][0])
            result = {k: v for k, v in seg.items() if v is not DELETED}  # type: ignore[misc]
        else:
            result = {}
            for seg_id, _ in reversed(chain):
                for k, v in self.segment(seg_id).items():
                    if v is DELETED:
                        result.pop(k, None)
                    else:
                        result[k] = v  # type: ignore[assignment]
        with self._lock:
            self._resolved[chain] = result
            while len(self._resolved) > 64:
                self._resolved.popitem(last=False)
        return result


class Manifest:
    """The chunk references of one array at one version (read side)."""

    __slots__ = ("_cache", "_whole", "chain")

    def __init__(self, chain: Chain, cache: SegmentCache) -> None:
        self.chain = chain
        self._cache = cache
        self._whole: dict[str, Value] | None = None

    def _entries(self) -> dict[str, Value]:
        if self._whole is None:
            self._whole = self._cache.resolve(self.chain)
        return self._whole

    def get(self, rel_key: str) -> ChunkRef | VirtualRef | None:
        """The chunk reference at ``rel_key``, or None if the array has no such chunk.

        Parameters
        ----------
        rel_key
            Chunk key relative to the array's directory (``"c/0/1"``).
        """
        if not self.chain:
            return None
        if self._whole is None and chain_size(self.chain) > LARGE_CHAIN:
            return self._lookup(rel_key)
        v = self._entries().get(rel_key)
        return v if isinstance(v, (ChunkRef, VirtualRef)) else None

    def _lookup(self, rel_key: str) -> ChunkRef | VirtualRef | None:
        # Small (inline) and already-decoded segments answer from memory; the
        # large table-stored ones are asked in one query. Newest segment wins.
        table_segs = []
        for seg, _ in self.chain:
            with self._cache._lock:
                cached = self._cache._segments.get(seg)
            if cached is None and not is_inline(seg):
                table_segs.append(seg)
        rows = {int(r[0]): r for r in self._cache.metastore.lookup(table_segs, rel_key)} if table_segs else {}
        for seg, _ in self.chain:
            if seg in rows:
                v = decode_table_row(*rows[seg][1:])
            elif seg in table_segs:
                continue
            else:
                v = self._cache.segment(seg).get(rel_key)  # type: ignore[assignment]
                if v is None:
                    continue
            return v if isinstance(v, (ChunkRef, VirtualRef)) else None
        return None

    def items(self) -> Iterator[tuple[str, Value]]:
        """(relative key, reference) of every chunk (resolves the whole chain)."""
        return iter(self._entries().items())

    def keys(self) -> Iterator[str]:
        """The relative key of every chunk (resolves the whole chain)."""
        return iter(self._entries())

    def __len__(self) -> int:
        return len(self._entries())


class Snapshot:
    """The committed state of the repository at one commit (or the empty state)."""

    def __init__(self, commit: CommitRow | None, cache: SegmentCache) -> None:
        self.commit = commit
        self.cache = cache
        self.root_chain: Chain = (decode_chain(commit.root_chain) or EMPTY_CHAIN) if commit else EMPTY_CHAIN
        self._paths: dict[str, Value] | None = None
        self._arrays: dict[str, Chain] | None = None
        self._children: dict[str, list[str]] | None = None

    @property
    def commit_id(self) -> str | None:
        """The commit's id, or None for the empty state."""
        return self.commit.id if self.commit else None

    @property
    def paths(self) -> dict[str, Value]:
        """Every non-chunk key of the snapshot and its value."""
        if self._paths is None:
            self._paths = self.cache.resolve(self.root_chain)
        return self._paths

    @property
    def arrays(self) -> dict[str, Chain]:
        """Array node path -> manifest chain."""
        if self._arrays is None:
            arrays: dict[str, Chain] = {}
            for key, v in self.paths.items():
                if isinstance(v, Doc) and v.is_array:
                    arrays[zkeys.node_path(key)] = v.manifest or EMPTY_CHAIN
            self._arrays = arrays
        return self._arrays

    @property
    def node_children(self) -> dict[str, list[str]]:
        """Node path -> paths of the nodes directly inside it, sorted.

        Nodes are the directories holding a ``zarr.json`` document (zarr format 3).
        Built once per snapshot (snapshots never change), so listing the
        children of one group afterwards costs what the listing holds.
        """
        if self._children is None:
            children: dict[str, list[str]] = {}
            for key in self.paths:
                if key.endswith(zkeys.ZARR_JSON) and zkeys.split(key)[1] == zkeys.ZARR_JSON:
                    node = zkeys.node_path(key)
                    if node:
                        children.setdefault(zkeys.split(node)[0], []).append(node)
            for names in children.values():
                names.sort()
            self._children = children
        return self._children

    def manifest(self, chain: Chain) -> Manifest:
        """The chunk references of a manifest chain, read lazily through this snapshot's cache."""
        return Manifest(chain, self.cache)
