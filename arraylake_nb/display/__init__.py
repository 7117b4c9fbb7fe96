"""Rendering of :mod:`arraylake_nb.models` for the terminal, notebooks and plain text.

Three entry points dispatch on the model type: :func:`rich_renderable` (Rich),
:func:`html` (``_repr_html_``) and :func:`text` (``__str__``). The renderers
themselves live in :mod:`._rich` and :mod:`._html`; plain text is the Rich
rendering printed without styles.
"""

from __future__ import annotations

import functools
import io
import sys

from rich.console import Console, RenderableType

from arraylake_nb.display import _html, _rich
from arraylake_nb import models as _models
from arraylake_nb.models import (
    Branch,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    Diff,
    FsckReport,
    RefList,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
)

__all__ = ["html", "rich_renderable", "text"]

_TEXT_WIDTH = 100
"""Columns of the plain-text rendering."""


@functools.singledispatch
def rich_renderable(model: object) -> RenderableType:
    """A Rich renderable for ``model``.

    Parameters
    ----------
    model : object
        One of the models in :mod:`arraylake_nb.models`.

    Returns
    -------
    rich.console.RenderableType

    Raises
    ------
    TypeError
        If ``model`` is not a renderable model.
    """
    raise TypeError(f"no Rich rendering for {type(model).__name__}")


@functools.singledispatch
def html(model: object) -> str:
    """An HTML fragment for ``model``, with its stylesheet inlined.

    Parameters
    ----------
    model : object
        One of the models in :mod:`arraylake_nb.models`.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        If ``model`` is not a renderable model.
    """
    raise TypeError(f"no HTML rendering for {type(model).__name__}")


rich_renderable.register(Commit, _rich.commit)
rich_renderable.register(CommitLog, _rich.commit_log)
rich_renderable.register(CommitPage, _rich.commit_page)
rich_renderable.register(CommitData, _rich.commit_data)
rich_renderable.register(Branch, _rich.branch)
rich_renderable.register(Tag, _rich.tag)
rich_renderable.register(RefList, _rich.ref_list)
rich_renderable.register(SessionInfo, _rich.session_info)
rich_renderable.register(SessionList, _rich.session_list)
rich_renderable.register(SessionStatus, _rich.session_status)
rich_renderable.register(FsckReport, _rich.fsck_report)
rich_renderable.register(Tree, _rich.tree)
rich_renderable.register(Diff, _rich.diff)

html.register(Commit, _html.commit)
html.register(CommitLog, _html.commit_log)
html.register(CommitPage, _html.commit_page)
html.register(CommitData, _html.commit_data)
html.register(Branch, _html.branch)
html.register(Tag, _html.tag)
html.register(RefList, _html.ref_list)
html.register(SessionInfo, _html.session_info)
html.register(SessionList, _html.session_list)
html.register(SessionStatus, _html.session_status)
html.register(FsckReport, _html.fsck_report)
html.register(Tree, _html.tree)
html.register(Diff, _html.diff)


def text(model: object) -> str:
    """Plain text for ``model``: its Rich rendering without colours or ANSI codes.

    Parameters
    ----------
    model : object
        One of the models in :mod:`arraylake_nb.models`.

    Returns
    -------
    str
        Lines of at most :data:`_TEXT_WIDTH` columns, no trailing newline.
    """
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=_TEXT_WIDTH,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,  # in a notebook Rich would otherwise display instead of writing
        legacy_windows=False,
    )
    console.print(rich_renderable(model))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines())


_models.register_renderers(sys.modules[__name__])  # type: ignore[arg-type]
