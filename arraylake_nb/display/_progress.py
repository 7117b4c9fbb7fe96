"""Progress of long work: a widget in notebooks, a bar in terminals, nothing when nobody watches.

In a Jupyter kernel the bar is an ipywidgets progress bar with a text label,
or, without ipywidgets, one line of text updated in place; both are display
outputs, never stderr, so no ``TqdmWarning`` and no stderr strip is left
behind, and both are cleared when the work ends. In a terminal it is a tqdm
bar on stderr that erases itself. Elsewhere (pipes, CI logs) nothing is drawn.
``ARRAYLAKE_NB_PROGRESS=0`` turns bars off everywhere; ``=1`` forces them on.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

REFRESH_SECONDS = 0.2
"""Least time between two redraws of a bar (updates in between are only counted)."""


class Advance(Protocol):
    """Advances a progress bar by ``n`` steps (default 1)."""

    def __call__(self, n: int = 1) -> None: ...


def _in_kernel() -> bool:
    if "IPython" not in sys.modules:
        return False
    from IPython import get_ipython

    return getattr(get_ipython(), "kernel", None) is not None


def where() -> str | None:
    """Where bars go now: ``"notebook"``, ``"terminal"`` or None (not drawn)."""
    setting = os.environ.get("ARRAYLAKE_NB_PROGRESS")
    if setting is not None and setting.strip().lower() in ("0", "false", "no", "off", ""):
        return None
    if _in_kernel():
        return "notebook"
    if setting is not None or sys.stderr.isatty():
        return "terminal"
    return None


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def describe(description: str, done: int, total: int | None, unit: str, elapsed: float) -> str:
    """One line of text for a bar: ``"Verifying chunks: 1,200 of 60,000 chunks (2%) · 3.1 s"``.

    Parameters
    ----------
    description
        What the work is.
    done, total
        Steps done and to do; ``total`` None when not known in advance.
    unit
        What a step is, plural ("chunks").
    elapsed
        Seconds since the work started.
    """
    if total:
        return f"{description}: {done:,} of {total:,} {unit} ({100 * done // total}%) · {_duration(elapsed)}"
    rate = f" · {done / elapsed:,.0f} {unit}/s" if elapsed > 0.5 else ""
    return f"{description}: {done:,} {unit} · {_duration(elapsed)}{rate}"


class Bar:
    """A progress bar, updated from any thread; :meth:`close` removes it.

    Parameters
    ----------
    total
        Steps the work will take, or None when unknown (a counter, no bar).
    description
        What the work is ("Verifying chunks").
    unit
        What one step is, plural.
    """

    def __init__(self, total: int | None, description: str, unit: str = "items") -> None:
        self.total, self.description, self.unit = total, description, unit
        self.done = 0
        self._start = time.monotonic()
        self._drawn_at = 0.0
        self._lock = threading.Lock()
        self._closed = False

    def text(self) -> str:
        """The bar's current line of text."""
        return describe(self.description, self.done, self.total, self.unit, time.monotonic() - self._start)

    def update(self, n: int = 1) -> None:
        """Count ``n`` more steps done; redraw at most every :data:`REFRESH_SECONDS`."""
        with self._lock:
            self.done += n
            now = time.monotonic()
            if self._closed or now - self._drawn_at < REFRESH_SECONDS:
                return
            self._drawn_at = now
            self._draw()

    def close(self) -> None:
        """Remove the bar (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._remove()

    def _draw(self) -> None:
        raise NotImplementedError

    def _remove(self) -> None:
        raise NotImplementedError


class NotebookBar(Bar):
    """A bar in the output of the running cell: an ipywidgets bar, else a line of text."""

    def __init__(self, total: int | None, description: str, unit: str = "items") -> None:
        super().__init__(total, description, unit)
        from IPython.display import display

        try:
            import ipywidgets as widgets
        except ImportError:
            widgets = None
        self._box: Any = None
        if widgets is not None:
            self._label = widgets.Label(value=self.text())
            parts: list[Any] = [self._label]
            self._progress = None
            if total:
                self._progress = widgets.IntProgress(value=0, min=0, max=total, layout=widgets.Layout(width="16em"))
                parts.insert(0, self._progress)
            self._box = widgets.HBox(parts)
            self._handle = display(self._box, display_id=True)
        else:
            self._handle = display({"text/plain": self.text()}, raw=True, display_id=True)

    def _draw(self) -> None:
        if self._box is not None:
            if self._progress is not None:
                self._progress.value = min(self.done, self.total or 0)
            self._label.value = self.text()
        else:
            self._handle.update({"text/plain": self.text()}, raw=True)

    def _remove(self) -> None:
        if self._box is not None:
            self._box.close()
        # An empty plain-text output: nothing visible stays in the cell.
        self._handle.update({"text/plain": ""}, raw=True)


class TerminalBar(Bar):
    """A tqdm bar on stderr that erases itself when the work ends."""

    def __init__(self, total: int | None, description: str, unit: str = "items") -> None:
        super().__init__(total, description, unit)
        from tqdm import tqdm

        self._tqdm = tqdm(total=total, desc=description, unit=f" {unit}", leave=False, dynamic_ncols=True,
                          file=sys.stderr, mininterval=REFRESH_SECONDS)

    def update(self, n: int = 1) -> None:  # tqdm throttles itself
        with self._lock:
            self.done += n
            if not self._closed:
                self._tqdm.update(n)

    def _remove(self) -> None:
        self._tqdm.close()


def open_bar(total: int | None, description: str, unit: str = "items") -> Bar | None:
    """A bar where the user looks (see :func:`where`), or None if nobody does."""
    place = where()
    if place == "notebook":
        return NotebookBar(total, description, unit)
    if place == "terminal":
        return TerminalBar(total, description, unit)
    return None


@contextmanager
def progress(total: int | None, description: str, min_total: int = 10_000, unit: str = "items") -> Iterator[Advance]:
    """Yield a function that advances a bar of ``total`` steps (a no-op when hidden).

    Parameters
    ----------
    total
        Steps the work will take (None: unknown, drawn as a counter).
    description
        What the work is.
    min_total
        Work of fewer known steps draws no bar.
    unit
        What one step is, plural.
    """
    bar = None if total is not None and total < min_total else open_bar(total, description, unit)
    if bar is None:
        yield lambda n=1: None
        return
    try:
        yield bar.update
    finally:
        bar.close()
