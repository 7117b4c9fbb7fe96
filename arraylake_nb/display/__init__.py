"""Rendering of :mod:`arraylake_nb.models` for the terminal, notebooks and plain text.

Four entry points dispatch on the model type: :func:`rich_renderable` (Rich),
:func:`html` (``_repr_html_``), :func:`text` (``__str__``) and :func:`to_json`
(JSON documents, ``model.to_json()``). The renderers themselves live in
:mod:`._rich`, :mod:`._html` and :mod:`._json`; plain text is the Rich rendering
printed without styles. The JSON schema is documented in ``docs/json-schema.md``.
"""

from __future__ import annotations

import functools
import io
import sys
from typing import Any

from rich.console import Console, RenderableType

from arraylake_nb import models as _models
from arraylake_nb.display import _html, _json, _rich
from arraylake_nb.display._json import plain, timestamp
from arraylake_nb.display._progress import progress as progress_bars
from arraylake_nb.display._time import human as human_time
from arraylake_nb.models import (
    ArraySummary,
    AttributeChange,
    Branch,
    ChunkChanges,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    CommitSequence,
    Diff,
    FsckReport,
    GcReport,
    GroupSummary,
    NodeChange,
    NodeHistory,
    NodeVersion,
    RefList,
    RepoSummary,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Transaction,
    Tree,
    TreeNode,
)

__all__ = [
    "SCHEMA_VERSION",
    "html",
    "human_time",
    "plain",
    "progress_bars",
    "rich_renderable",
    "text",
    "timestamp",
    "to_json",
]

SCHEMA_VERSION = _json.SCHEMA_VERSION

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
rich_renderable.register(RepoSummary, _rich.repo_summary)
rich_renderable.register(GroupSummary, _rich.group_summary)
rich_renderable.register(ArraySummary, _rich.array_summary)
rich_renderable.register(NodeHistory, _rich.node_history)

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
html.register(RepoSummary, _html.repo_summary)
html.register(GroupSummary, _html.group_summary)
html.register(ArraySummary, _html.array_summary)
html.register(NodeHistory, _html.node_history)


@functools.singledispatch
def to_json(model: object, **options: Any) -> dict[str, Any]:
    """A JSON document for ``model``: only JSON values, with ``"type"`` naming the model.

    ``json.dumps(to_json(model), allow_nan=False)`` always succeeds; the
    documents' schema is in ``docs/json-schema.md``.

    Parameters
    ----------
    model : object
        One of the models in :mod:`arraylake_nb.models`.
    **options
        Keyword-only options of some models: a :class:`~arraylake_nb.models.CommitLog`
        takes ``offset`` (default 0) and ``limit`` (default its ``page_size``)
        and serialises that page of commits.

    Returns
    -------
    dict
        Strings, finite numbers, booleans, ``None``, lists and dicts with string keys.

    Raises
    ------
    TypeError
        If ``model`` is not a model, or an option does not apply to it.
    ValueError
        If a paging option is out of range.
    """
    raise TypeError(f"no JSON serialisation for {type(model).__name__}")


to_json.register(Commit, _json.commit)
to_json.register(CommitLog, _json.commit_log)
to_json.register(CommitPage, _json.commit_page)
to_json.register(CommitData, _json.commit_data)
to_json.register(CommitSequence, _json.commit_sequence)
to_json.register(Transaction, _json.transaction)
to_json.register(Branch, _json.branch)
to_json.register(Tag, _json.tag)
to_json.register(RefList, _json.ref_list)
to_json.register(SessionInfo, _json.session_info)
to_json.register(SessionList, _json.session_list)
to_json.register(SessionStatus, _json.session_status)
to_json.register(NodeChange, _json.node_change)
to_json.register(FsckReport, _json.fsck_report)
to_json.register(GcReport, _json.gc_report)
to_json.register(TreeNode, _json.tree_node)
to_json.register(Tree, _json.tree)
to_json.register(AttributeChange, _json.attribute_change)
to_json.register(ChunkChanges, _json.chunk_changes)
to_json.register(Diff, _json.diff)
to_json.register(RepoSummary, _json.repo_summary)
to_json.register(GroupSummary, _json.group_summary)
to_json.register(ArraySummary, _json.array_summary)
to_json.register(NodeVersion, _json.node_version)
to_json.register(NodeHistory, _json.node_history)


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
