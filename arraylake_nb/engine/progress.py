"""How the engine reports progress of long work without knowing who watches.

The engine calls whatever reporter it is handed; the API layer hands it the
registered one (see :mod:`arraylake_nb.api.hooks`), which may draw bars.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

#: ``progress(total, description)`` -> context manager yielding ``advance(n=1)``;
#: ``total`` is None when the length of the work is not known in advance.
Progress = Callable[[int | None, str], AbstractContextManager[Callable[..., None]]]


@contextmanager
def no_progress(total: int | None, description: str) -> Iterator[Callable[..., None]]:
    """A :data:`Progress` reporter that reports nothing.

    Parameters
    ----------
    total
        Steps the work will take (ignored).
    description
        What the work is (ignored).

    Yields
    ------
    callable
        ``advance(n=1)``, which does nothing.
    """
    yield lambda n=1: None
