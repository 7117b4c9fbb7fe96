"""Helpers shared by the virtual-dataset tests."""

from __future__ import annotations

from arraylake_nb.engine.repository import RepoEngine
from arraylake_nb.engine.values import VirtualRef


def fresh(client, repo):
    """The same repository through a new engine: everything read back from its files."""
    RepoEngine.forget(repo.path)
    return client.get_repo(repo.name)


def virtual_refs(repo, prefix: str) -> list[VirtualRef]:
    """The virtual chunk references under ``prefix`` in the repo's checkout."""
    return [v for _, v in repo._require_state().iter_items(prefix) if isinstance(v, VirtualRef)]
