"""Hooks the layers above the API plug into: commit metadata providers and progress.

The notebook layer registers a provider that adds the running cell's source
to every commit's metadata, and may replace the progress reporter; the API
never reads IPython state itself, and the engine only calls what it is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from arraylake_nb.engine.progress import Progress, no_progress

_lock = threading.Lock()
_providers: list[Callable[[], dict[str, Any]]] = []
_progress: Progress | None = None


def add_commit_metadata_provider(provider: Callable[[], dict[str, Any]]) -> None:
    """Merge ``provider()`` into the metadata of every commit made from now on.

    Explicit ``metadata=`` passed to :meth:`arraylake_nb.Repo.commit` wins over providers.
    """
    with _lock:
        if provider not in _providers:
            _providers.append(provider)


def remove_commit_metadata_provider(provider: Callable[[], dict[str, Any]]) -> None:
    """Stop calling a provider added with :func:`add_commit_metadata_provider`."""
    with _lock:
        if provider in _providers:
            _providers.remove(provider)


def commit_metadata() -> dict[str, Any]:
    """The metadata every registered provider contributes now."""
    with _lock:
        providers = list(_providers)
    merged: dict[str, Any] = {}
    for p in providers:
        merged.update(p())
    return merged


def set_progress(progress: Progress | None) -> None:
    """Report long work through ``progress``; None: the default bars.

    ``progress(total, description)`` returns a context manager yielding
    ``advance(n=1)``; ``total`` is None for work of unknown length (a long
    array write). Reported: commit preparation, fsck, gc, diff, long writes.
    """
    global _progress
    _progress = progress


def progress(total: int | None, description: str, min_total: int = 10_000,
             unit: str = "items") -> AbstractContextManager[Callable[..., None]]:
    """A reporter for ``total`` steps (None: unknown): the registered one, else the display layer's bars.

    Work of fewer than ``min_total`` known steps reports nothing.
    """
    if total is not None and total < min_total:
        return no_progress(total, description)
    if _progress is not None:
        return _progress(total, description)
    from arraylake_nb.display import progress_bars

    return progress_bars(total, description, min_total=0, unit=unit)
