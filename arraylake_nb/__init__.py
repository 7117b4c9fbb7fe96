"""arraylake_nb: git-like version control for Zarr data, next to your notebooks.

>>> from arraylake_nb import Client
>>> repo = Client().create_repo("earthmover/ocean")      # doctest: +SKIP
>>> repo.root_group.attrs["title"] = "Ocean"              # doctest: +SKIP
>>> repo.commit("first commit")                           # doctest: +SKIP
"""

from arraylake_nb.client import AsyncClient, Client
from arraylake_nb.config import Author
from arraylake_nb.errors import (
    ArraylakeNbError,
    ConflictError,
    CorruptChunkError,
    InvalidNameError,
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
from arraylake_nb.repo import AsyncRepo, LocalSession, Repo
from arraylake_nb.store import ArraylakeStore

__version__ = "0.1.0"

__all__ = [
    "ArraylakeNbError",
    "ArraylakeStore",
    "AsyncClient",
    "AsyncRepo",
    "Author",
    "Client",
    "ConflictError",
    "CorruptChunkError",
    "InvalidNameError",
    "LocalSession",
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
]
