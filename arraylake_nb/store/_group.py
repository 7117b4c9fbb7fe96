"""Groups the tutorial way, and arrays that show themselves in notebooks.

:class:`Group` is a zarr ``Group`` with attribute access to its members and a
working ``move`` (zarr 3.1's raises ``NotImplementedError``), without patching
zarr: only groups reached from ``repo.root_group`` are of this class. Arrays
reached through such a group are :class:`Array`: zarr's ``Array`` plus
notebook reprs and nothing else, so zarr, xarray and dask see a plain zarr
array (arrays zarr or xarray open themselves stay plain ``zarr.Array``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import zarr

from arraylake_nb import display
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.models import ArraySummary, GroupSummary
from arraylake_nb.store._summary import array_summary, group_summary, repo_name

if TYPE_CHECKING:
    from arraylake_nb.engine.session import SessionView
    from arraylake_nb.store._store import ArraylakeStore


def _wrap(node: Any) -> Any:
    if isinstance(node, zarr.Group) and not isinstance(node, Group):
        return Group(node._async_group)
    if isinstance(node, zarr.Array) and not isinstance(node, Array):
        return Array(node._async_array)
    return node


def _html_or_repr(obj: Any, summary: Callable[[], Any]) -> str:
    # A repr must never break a notebook's output (a deleted node, an expired session): fall back to repr().
    try:
        return display.html(summary())
    except Exception:  # noqa: BLE001
        from html import escape

        return f"<code>{escape(repr(obj))}</code>"


def _checkout_words(store: Any) -> str:
    try:
        meta = store.session.meta
    except Exception:  # noqa: BLE001 - see _html_or_repr
        return ""
    if meta.branch is None:
        return f" at {(meta.base_commit or 'empty')[:8]}, read-only"
    return f" on {meta.branch}" + (", read-only" if store.read_only else "")


class Array(zarr.Array):
    """A zarr Array of an arraylake_nb repository: zarr's ``Array`` with notebook reprs.

    It adds no public attribute, and compares equal to a plain ``zarr.Array``
    of the same array, so code written for zarr treats it as one.
    """

    def __eq__(self, other: object) -> bool:
        # zarr's dataclass equality requires the same class; a plain zarr.Array of the same array is equal.
        if isinstance(other, zarr.Array):
            return self._async_array == other._async_array
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # as zarr.Array: mutable, so unhashable

    def _summary(self) -> ArraySummary:
        return array_summary(self)

    def _repr_html_(self) -> str:
        return _html_or_repr(self, self._summary)

    def __rich__(self) -> Any:
        return display.rich_renderable(self._summary())


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
        """As zarr's ``Group.members``, with groups returned as :class:`Group` and arrays as :class:`Array`.

        ``use_consolidated_for_children`` is accepted for compatibility and ignored.
        """
        return tuple((name, _wrap(node)) for name, node in super().members(max_depth=max_depth))

    def arrays(self) -> Iterator[tuple[str, Array]]:  # type: ignore[override]
        """(name, :class:`Array`) of each child array, as zarr's ``Group.arrays``."""
        for name, a in super().arrays():
            yield name, _wrap(a)

    def array_values(self) -> Iterator[Array]:  # type: ignore[override]
        """Each child array as an :class:`Array`, as zarr's ``Group.array_values``."""
        for a in super().array_values():
            yield _wrap(a)

    def group_values(self) -> Iterator[Group]:  # type: ignore[override]
        """Each child group as a :class:`Group`, as zarr's ``Group.group_values``."""
        for g in super().group_values():
            yield _wrap(g)

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

    # Notebook reprs. No public name is added: `group.summary` would hide a member called "summary".
    def _summary(self) -> GroupSummary:
        return group_summary(self)

    def _repr_html_(self) -> str:
        return _html_or_repr(self, self._summary)

    def __rich__(self) -> Any:
        return display.rich_renderable(self._summary())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        # Terminal IPython and a notebook's text/plain: the summary's text, as print(...) of a model shows.
        if cycle:
            p.text(repr(self))
            return
        try:
            p.text(display.text(self._summary()))
        except Exception:  # noqa: BLE001 - see _html_or_repr
            p.text(repr(self))

    def __repr__(self) -> str:
        # Cheap, in-memory facts only: repr() also runs in tracebacks and debuggers.
        store = self.store_path.store
        if not hasattr(store, "session"):  # pragma: no cover - only our stores make Groups
            return f"<arraylake_nb.Group '/{self.path}'>"
        return f"<arraylake_nb.Group '/{self.path}' in {repo_name(store)}{_checkout_words(store)}>"


def _returning_wrapped(name: str) -> Callable[..., Any]:
    """Zarr's ``Group.<name>``, returning :class:`Group` and :class:`Array` instead of zarr's classes."""
    method = getattr(zarr.Group, name)

    @functools.wraps(method)
    def wrapped(self: Group, *args: Any, **kwargs: Any) -> Any:
        return _wrap(method(self, *args, **kwargs))

    return wrapped


# The array factories; deprecated ones (create_dataset, require_dataset, array) keep zarr's plain arrays.
for _name in ("create", "create_array", "require_array", "empty", "zeros", "ones", "full",
              "empty_like", "zeros_like", "ones_like", "full_like"):
    setattr(Group, _name, _returning_wrapped(_name))
del _name


def root_group(store: ArraylakeStore) -> Group:
    """Open (on a branch: create if missing) the root group of a session's store."""
    mode = "r" if store.read_only else "a"
    return _wrap(zarr.open_group(store=store, mode=mode, zarr_format=3))
