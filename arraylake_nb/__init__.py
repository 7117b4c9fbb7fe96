"""arraylake_nb: git-like version control for Zarr data, next to your notebooks.

>>> from arraylake_nb import Client
>>> repo = Client().create_repo("earthmover/ocean")      # doctest: +SKIP
>>> repo.root_group.attrs["title"] = "Ocean"              # doctest: +SKIP
>>> repo.commit("first commit")                           # doctest: +SKIP
"""

from arraylake_nb import display  # noqa: F401 - registers the renderers of every model
from arraylake_nb.api.client import AsyncClient, Client
from arraylake_nb.api.repo import AsyncRepo, LocalSession, Repo
from arraylake_nb.config import Author
from arraylake_nb.errors import (
    ArraylakeNbError,
    ConfigError,
    ConflictError,
    CorruptChunkError,
    InvalidNameError,
    MetastoreBusyError,
    MetastoreDamagedError,
    NotOnBranchError,
    ReadOnlyError,
    RefExistsError,
    RefNotFoundError,
    RepoExistsError,
    RepoNotFoundError,
    SessionAbandonedError,
    SessionExpiredError,
    SessionNotFoundError,
)
from arraylake_nb.store import ArraylakeStore

__version__ = "0.1.0"


def _notices_in_ipython() -> None:
    # In IPython (a notebook, a terminal) a checkout off a branch tip says so in
    # one line instead of a warning block naming the cell's temporary file; the
    # category stays a UserWarning, so filters keep working.
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is not None:
        from arraylake_nb.notebook.magics import _install_notice_hook

        _install_notice_hook(shell)


_notices_in_ipython()


def load_ipython_extension(ipython):
    """``%load_ext arraylake_nb``: the ``%arraylake`` magics and commit provenance."""
    from arraylake_nb.notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython):
    """``%unload_ext arraylake_nb``: stop recording commit provenance.

    Parameters
    ----------
    ipython
        The running IPython shell.
    """
    from arraylake_nb.notebook.magics import unload_ipython_extension as unload

    unload(ipython)


def use_repo(repo):
    """Make ``repo`` the repository the ``%arraylake`` magics act on."""
    from arraylake_nb.notebook.magics import use_repo as use

    use(repo)

__all__ = [
    "ArraylakeNbError",
    "ArraylakeStore",
    "AsyncClient",
    "AsyncRepo",
    "Author",
    "Client",
    "ConfigError",
    "ConflictError",
    "CorruptChunkError",
    "InvalidNameError",
    "LocalSession",
    "MetastoreBusyError",
    "MetastoreDamagedError",
    "NotOnBranchError",
    "ReadOnlyError",
    "RefExistsError",
    "RefNotFoundError",
    "Repo",
    "RepoExistsError",
    "RepoNotFoundError",
    "SessionAbandonedError",
    "SessionExpiredError",
    "SessionNotFoundError",
    "load_ipython_extension",
    "use_repo",
]
