"""The Jupyter server extension behind the JupyterLab sidebar: REST routes under ``/arraylake-nb/api/``.

The wheel enables it with ``etc/jupyter/jupyter_server_config.d/arraylake_nb.json``,
so ``pip install arraylake_nb`` and ``jupyter lab`` are all it takes. The
repositories served are those under the root given by ``c.ArraylakeNb.root`` in
the server's configuration, else ``$ARRAYLAKE_NB_ROOT``, else the library's
per-user default. The routes are written down in ``docs/rest.md``.

The server is a separate process from the kernels: it opens a repository per
request through the public API and gives its metastore back after each one
(:meth:`~arraylake_nb.Repo.release`), so a kernel committing never waits for
an idle sidebar.
"""

from __future__ import annotations

import warnings
from typing import Any

from traitlets import Unicode
from traitlets.config import Configurable

from arraylake_nb.errors import NotOnBranchWarning


class ArraylakeNb(Configurable):
    """Settings of the sidebar's server extension (``c.ArraylakeNb.*`` in ``jupyter_server_config.py``)."""

    root = Unicode(
        None,
        allow_none=True,
        config=True,
        help="Directory holding the repositories the sidebar lists (as root/org/name). "
             "Default: $ARRAYLAKE_NB_ROOT, else the library's per-user data directory.",
    )


def _jupyter_server_extension_points() -> list[dict[str, Any]]:
    """Tell jupyter_server which module holds the extension (``arraylake_nb.server``)."""
    return [{"module": "arraylake_nb.server"}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    """Register the REST handlers on the server's web application.

    Parameters
    ----------
    serverapp
        The running ``jupyter_server.serverapp.ServerApp``.
    """
    from arraylake_nb.server.handlers import setup_handlers

    # The server checks out commits only to branch from them; the notice meant for
    # notebook users would only clutter the server's log.
    warnings.filterwarnings("ignore", category=NotOnBranchWarning)
    settings = ArraylakeNb(parent=serverapp)
    setup_handlers(serverapp.web_app, settings.root)
    serverapp.log.info("arraylake_nb server extension: repositories under %s",
                       serverapp.web_app.settings["arraylake_nb"].client.root)


__all__ = ["ArraylakeNb"]
