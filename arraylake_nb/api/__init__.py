"""The public API: :class:`Client`, :class:`Repo`, :class:`AsyncRepo` and sessions.

Front ends (the notebook layer, the CLI, the Jupyter server extension) use
only this package, :mod:`arraylake_nb.models` and :mod:`arraylake_nb.display`.
"""

from arraylake_nb.api.client import AsyncClient, Client
from arraylake_nb.api.repo import AsyncRepo, LocalSession, Repo

__all__ = ["AsyncClient", "AsyncRepo", "Client", "LocalSession", "Repo"]
