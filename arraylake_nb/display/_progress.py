"""Progress bars for long work, in notebooks and terminals, off when nobody watches.

A bar appears only for work of at least ``min_total`` steps, and only when the
output is interactive (a terminal, or a Jupyter kernel). ``ARRAYLAKE_NB_PROGRESS=0``
turns bars off everywhere; ``=1`` forces them on (for example in logs).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol


class Advance(Protocol):
    """Advances a progress bar by ``n`` steps (default 1)."""

    def __call__(self, n: int = 1) -> None: ...


def _interactive() -> bool:
    setting = os.environ.get("ARRAYLAKE_NB_PROGRESS")
    if setting is not None:
        return setting not in ("0", "false", "no", "")
    if "ipykernel" in sys.modules:
        return True
    return sys.stderr.isatty()


@contextmanager
def progress(total: int, description: str, min_total: int = 10_000) -> Iterator[Advance]:
    """Yield a function that advances a bar of ``total`` steps (a no-op when hidden)."""
    if total < min_total or not _interactive():
        yield lambda n=1: None
        return
    from tqdm.auto import tqdm

    with tqdm(total=total, desc=description, unit=" items", leave=False, dynamic_ncols=True) as bar:
        yield bar.update
