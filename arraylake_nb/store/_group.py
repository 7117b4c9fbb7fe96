"""Groups the tutorial way.

:class:`Group` is a zarr ``Group`` with attribute access to its members and a
working ``move`` (zarr 3.1's raises ``NotImplementedError``), without patching
zarr: only groups reached from ``repo.root_group`` are of this class.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import zarr

from arraylake_nb.engine import keys as zkeys

if TYPE_CHECKING:
    from arraylake_nb.engine.session import SessionView
    from arraylake_nb.store._store import ArraylakeStore


def _wrap(node: Any) -> Any:
    if isinstance(node, zarr.Group) and not isinstance(node, Group):
        return Group(node._async_group)
    return node


class Group(zarr.Group):
    """A zarr Group of an arraylake_nb repository.

    Adds attribute access to members (``group.atlantic.temperature``) and
    :meth:`move` / :meth:`copy`, which re-point chunk references instead of
    copying chunks. Everything else is zarr's ``Group``.
    """

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError:
            raise AttributeError(
                f"Group '/{self.path}' has no member or attribute {name!r}; members: "
                f"{', '.join(sorted(self.keys())) or 'none'}."
            ) from None

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | {k for k in self.keys() if k.isidentifier()})

    def __getitem__(self, path: str) -> Any:
        return _wrap(super().__getitem__(path))

    def get(self, path: str, default: Any = None) -> Any:
        """As zarr's ``Group.get``, with groups returned as :class:`Group`."""
        return _wrap(super().get(path, default))

    def create_group(self, name: str, **kwargs: Any) -> Group:
        """As zarr's ``Group.create_group``, returning a :class:`Group`."""
        return _wrap(super().create_group(name, **kwargs))

    def require_group(self, name: str, **kwargs: Any) -> Group:
        """As zarr's ``Group.require_group``, returning a :class:`Group`."""
        return _wrap(super().require_group(name, **kwargs))

    def groups(self) -> Iterator[tuple[str, Group]]:  # type: ignore[override]
        """(name, :class:`Group`) of each child group, as zarr's ``Group.groups``."""
        for name, g in super().groups():
            yield name, _wrap(g)

    def members(self, max_depth: int | None = 0, *, use_consolidated_for_children: bool = True) -> tuple:  # type: ignore[override]
        """As zarr's ``Group.members``, with groups returned as :class:`Group`.

        ``use_consolidated_for_children`` is accepted for compatibility and ignored.
        """
        return tuple((name, _wrap(node)) for name, node in super().members(max_depth=max_depth))

    def _session(self) -> SessionView:
        store = self.store_path.store
        from arraylake_nb.store._store import ArraylakeStore

        if not isinstance(store, ArraylakeStore):  # pragma: no cover - only our stores make Groups
            raise TypeError("move and copy need a group of an arraylake_nb repository")
        store._check_writable()
        return store.session

    def _resolve(self, path: str) -> str:
        if path.startswith("/"):
            return zkeys.normalize_node_path(path)
        return zkeys.normalize_node_path(zkeys.join(self.path, zkeys.normalize_node_path(path)))

    def move(self, source: str, dest: str) -> None:
        """Move a member (and everything in it) to ``dest`` without copying chunks.

        Paths are relative to this group, or absolute from the root with a
        leading ``/``. The cost follows the number of groups and arrays moved,
        never the number of chunks. Handles opened on the old path refuse to
        read or write (they do not silently see fill values).

        Raises
        ------
        NodeNotFoundError, NodeExistsError, InvalidMoveError
            Nothing at ``source``; something at ``dest``; ``dest`` inside
            ``source`` or under a missing parent. Nothing is changed.
        """
        self._session().move(self._resolve(source), self._resolve(dest))

    def copy(self, source: str, dest: str) -> None:
        """Copy a member to ``dest``; the copy shares the chunks (no bytes are copied)."""
        self._session().copy(self._resolve(source), self._resolve(dest))

    def __repr__(self) -> str:
        return f"<arraylake_nb.Group '/{self.path}'>"


def root_group(store: ArraylakeStore) -> Group:
    """Open (on a branch: create if missing) the root group of a session's store."""
    mode = "r" if store.read_only else "a"
    return _wrap(zarr.open_group(store=store, mode=mode, zarr_format=3))
