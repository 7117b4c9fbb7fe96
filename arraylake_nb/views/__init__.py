"""What the notebook panels and the JupyterLab sidebar show, computed in Python.

Pure functions of a :class:`~arraylake_nb.Repo` returning JSON-ready data
(dicts and lists of str, int, float, bool and None) or, for previews, a small
header and raw little-endian bytes: the commit graph and its pages, commit
details, a lazy tree, node details, previews of array slices, the commits that
changed an array, diffs with chunk heat maps, and the status of the session.
The anywidget panels (in the kernel) and the sidebar's server extension (in the
Jupyter server) call the same functions, so both show the same thing. The
documents are described in ``docs/views.md``.

Views use only the public API, the models and their JSON form; nothing here
knows about widgets or HTTP.
"""

from arraylake_nb.views.diff import chunk_detail, diff_summary
from arraylake_nb.views.graph import LaneLayout, history_page, layout
from arraylake_nb.views.history import array_history, commit_details
from arraylake_nb.views.preview import preview
from arraylake_nb.views.tree import children, node_info

__all__ = [
    "LaneLayout",
    "array_history",
    "children",
    "chunk_detail",
    "commit_details",
    "diff_summary",
    "history_page",
    "layout",
    "node_info",
    "preview",
]
