"""The history of one node: which commits changed it, and how (see :meth:`Repo.node_history`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from arraylake_nb.api._tree import _parse
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.history import NodeDelta
from arraylake_nb.engine.metastore import CommitRow
from arraylake_nb.engine.values import Doc
from arraylake_nb.models import Commit, NodeVersion


class _NodeState:
    """A node's metadata documents (zarr format 3 and 2) as far as the commits read so far left them."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any] | None] = {}

    def apply(self, delta: NodeDelta) -> None:
        for name, value in delta.docs.items():
            self.docs[name] = _parse(value.data) if isinstance(value, Doc) else None

    def _doc(self, name: str) -> dict[str, Any] | None:
        return self.docs.get(name)

    @property
    def kind(self) -> str | None:
        v3 = self._doc(zkeys.ZARR_JSON)
        if v3 is not None and v3.get("node_type") in ("array", "group"):
            return str(v3["node_type"])
        if self._doc(zkeys.ZARRAY) is not None:
            return "array"
        if self._doc(zkeys.ZGROUP) is not None:
            return "group"
        return None

    def metadata(self) -> Any:
        """Everything but the attributes, to compare two states."""
        v3 = self._doc(zkeys.ZARR_JSON)
        if v3 is not None:
            return {k: v for k, v in v3.items() if k != "attributes"}
        return self._doc(zkeys.ZARRAY) or self._doc(zkeys.ZGROUP)

    def attributes(self) -> Any:
        v3 = self._doc(zkeys.ZARR_JSON)
        if v3 is not None:
            return v3.get("attributes") or {}
        return self._doc(zkeys.ZATTRS) or {}

    def shape(self) -> tuple[int, ...] | None:
        doc = self._doc(zkeys.ZARR_JSON) or self._doc(zkeys.ZARRAY)
        if self.kind != "array" or doc is None or not isinstance(doc.get("shape"), list):
            return None
        return tuple(int(n) for n in doc["shape"])


def node_versions(deltas: Sequence[NodeDelta], commit: Callable[[CommitRow], Commit]) -> tuple[NodeVersion, ...]:
    """What each commit in ``deltas`` (newest first, as from ``History.node_deltas``) did to the node.

    Every state change of the node's documents is in some commit of the
    ancestry, so replaying them oldest first tells each commit's before and after.
    Commits that rewrote the documents unchanged and wrote no chunk are left out.

    Parameters
    ----------
    deltas
        The commits touching the node, newest first.
    commit
        Builds the :class:`~arraylake_nb.models.Commit` of a commit row.
    """
    state = _NodeState()
    out: list[NodeVersion] = []
    for delta in reversed(deltas):
        kind_before, meta_before, attrs_before = state.kind, state.metadata(), state.attributes()
        state.apply(delta)
        kind = state.kind
        both = kind_before is not None and kind is not None
        version = NodeVersion(
            commit(delta.commit),
            kind,
            created=kind_before is None and kind is not None,
            deleted=kind_before is not None and kind is None,
            metadata_changed=both and state.metadata() != meta_before,
            attributes_changed=both and state.attributes() != attrs_before,
            chunks_changed=delta.chunks_changed,
            shape=state.shape(),
        )
        if (version.created or version.deleted or version.metadata_changed or version.attributes_changed
                or version.chunks_changed):
            out.append(version)
    return tuple(reversed(out))
