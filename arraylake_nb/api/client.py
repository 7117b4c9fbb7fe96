"""Clients: open, create, list and delete repositories under a root directory."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
from pathlib import Path
from typing import Self

from arraylake_nb.api.repo import AsyncRepo, Repo
from arraylake_nb.config import Author, default_root, resolve_author, resolve_durability
from arraylake_nb.engine.journal import finish_removals
from arraylake_nb.engine.lease import check_timeout
from arraylake_nb.engine.names import validate_org, validate_repo_name
from arraylake_nb.engine.repository import METASTORE_FILE, RepoEngine
from arraylake_nb.errors import RepoExistsError, RepoNotFoundError


class _ClientCore:
    def __init__(self, root: str | Path | None, author: Author | str | None,
                 lease_timeout: float | None = None, durability: str | None = None) -> None:
        self.root = Path(root).expanduser() if root is not None else default_root()
        self._author = author
        self.lease_timeout = None if lease_timeout is None else check_timeout(lease_timeout, "lease_timeout")
        self.durability = resolve_durability(durability)

    def _engine(self, path: Path) -> RepoEngine:
        engine = RepoEngine.open(path)
        if self.lease_timeout is not None:
            # The engine is shared by every client of this repository in the
            # process, so the last client to open it sets the wait.
            engine.metastore.lease.timeout = self.lease_timeout
        return engine

    @property
    def author(self) -> Author:
        return resolve_author(self._author)

    def repo_path(self, name: str) -> Path:
        org, repo = validate_repo_name(name)
        return self.root / org / repo

    def exists(self, name: str) -> bool:
        return (self.repo_path(name) / METASTORE_FILE).exists()

    def create(self, name: str) -> Repo:
        path = self.repo_path(name)
        if path.exists():
            raise RepoExistsError(f"Repository {name!r} already exists at {path}; open it with client.get_repo({name!r}).")
        path.parent.mkdir(parents=True, exist_ok=True)
        # Build in a private directory and rename it into place, so a crash
        # never leaves a half-made repository under the real name.
        tmp = path.parent / f".creating-{path.name}-{secrets.token_hex(4)}"
        try:
            RepoEngine.create(tmp, name)
            RepoEngine.forget(tmp)
            try:
                os.rename(tmp, path)
            except OSError:
                raise RepoExistsError(f"Repository {name!r} was created by someone else meanwhile; open it with client.get_repo({name!r}).") from None
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
        return Repo(self._engine(path), name, self.author, self.durability)

    def open(self, name: str) -> Repo:
        path = self.repo_path(name)
        if not (path / METASTORE_FILE).exists():
            raise RepoNotFoundError(
                f"Repository {name!r} does not exist under {self.root}. Create it with client.create_repo({name!r}) "
                "or see client.list_repos()."
            )
        return Repo(self._engine(path), name, self.author, self.durability)

    def list(self, org: str | None = None) -> list[str]:
        if not self.root.exists():
            return []
        orgs = [validate_org(org)] if org is not None else sorted(p.name for p in self.root.iterdir() if p.is_dir())
        names = []
        for o in orgs:
            d = self.root / o
            if d.is_dir():
                names += [f"{o}/{p.name}" for p in sorted(d.iterdir()) if (p / METASTORE_FILE).exists()]
        return names

    def delete(self, name: str, imsure: bool, imreallysure: bool) -> None:
        if not (imsure and imreallysure):
            raise ValueError(
                "Deleting a repository destroys all its data and history. "
                f"If you mean it, call delete_repo({name!r}, imsure=True, imreallysure=True)."
            )
        path = self.repo_path(name)
        if not (path / METASTORE_FILE).exists():
            raise RepoNotFoundError(f"Repository {name!r} does not exist under {self.root}.")
        RepoEngine.forget(path)
        finish_removals()  # our cleanup thread must not be deleting inside it as it goes
        trash = path.parent / f".deleting-{path.name}-{secrets.token_hex(4)}"
        os.rename(path, trash)
        shutil.rmtree(trash)


class Client:
    """Entry point to repositories stored under a local root directory.

    Parameters
    ----------
    root
        Directory holding the repositories; default ``$ARRAYLAKE_NB_ROOT``,
        else a per-user data directory (``~/.local/share/arraylake_nb`` on Linux).
    author
        Commit author as :class:`~arraylake_nb.config.Author` or ``"Name <email>"``;
        default from the environment or git config.
    lease_timeout
        Seconds to wait while another process holds a repository's metastore
        (each commit or read holds it briefly) before raising
        :class:`~arraylake_nb.errors.MetastoreBusyError`, which names that
        process. Default ``$ARRAYLAKE_NB_LEASE_TIMEOUT``, else 120. Applies to
        every repository this client opens or creates, and, since a process
        shares one engine per repository, to other clients of those
        repositories in this process as well.

    durability
        When written bytes reach the disk: ``"write"`` (default: every acknowledged
        write is fsynced before it returns, so it survives a power cut),
        ``"commit"`` (writes survive a killed process at once and a power cut once
        committed) or ``"none"`` (scratch work). Default ``$ARRAYLAKE_NB_DURABILITY``,
        else ``"write"``. Every process writing a session uses the durability the
        session was created with.

    Raises
    ------
    ConfigError
        If ``lease_timeout`` is negative or not a number.
        Also if ``durability`` is not one of the three settings.
    """

    def __init__(self, root: str | Path | None = None, author: Author | str | None = None,
                 lease_timeout: float | None = None, *, durability: str | None = None) -> None:
        self._core = _ClientCore(root, author, lease_timeout, durability)

    @property
    def root(self) -> Path:
        """The directory holding the repositories (as ``root/org/name``)."""
        return self._core.root

    def create_repo(self, name: str) -> Repo:
        """Create ``org/name`` with an empty ``main`` branch and check it out for writing."""
        repo = self._core.create(name)
        repo.checkout("main")
        return repo

    def get_repo(self, name: str, checkout: bool = True, read_only: bool = False) -> Repo:
        """Open ``org/name``; check out ``main`` (read-only if asked) unless ``checkout=False``."""
        repo = self._core.open(name)
        if checkout:
            repo.checkout("main", for_writing=not read_only)
        return repo

    def get_or_create_repo(self, name: str, checkout: bool = True) -> Repo:
        """Open ``org/name``, creating it first if it does not exist."""
        try:
            return self.get_repo(name, checkout=checkout)
        except RepoNotFoundError:
            try:
                return self.create_repo(name)
            except RepoExistsError:
                return self.get_repo(name, checkout=checkout)

    def list_repos(self, org: str | None = None) -> list[str]:
        """Names of the repositories (of one org, if given), sorted."""
        return self._core.list(org)

    def delete_repo(self, name: str, imsure: bool = False, imreallysure: bool = False) -> None:
        """Delete a repository and all its data; refuses unless both flags are True."""
        self._core.delete(name, imsure, imreallysure)

    def close(self) -> None:
        """Finish this process's background work on repositories: deleting committed sessions' folders.

        Call it before removing the root directory yourself (a tutorial's
        temporary root, say): afterwards nothing in this process deletes files
        under the root until the next commit. The client stays usable.
        ``with Client(...) as client:`` calls it on leaving the block.
        """
        finish_removals()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<arraylake_nb.Client root='{self.root}'>"


class AsyncClient:
    """Asynchronous twin of :class:`Client`; methods run in a worker thread.

    Parameters
    ----------
    root, author, lease_timeout, durability
        As for :class:`Client`.
    """

    def __init__(self, root: str | Path | None = None, author: Author | str | None = None,
                 lease_timeout: float | None = None, *, durability: str | None = None) -> None:
        self._core = _ClientCore(root, author, lease_timeout, durability)

    @property
    def root(self) -> Path:
        """The directory holding the repositories (as ``root/org/name``)."""
        return self._core.root

    async def create_repo(self, name: str) -> AsyncRepo:
        """Create ``org/name`` and check out ``main`` for writing."""
        repo = AsyncRepo._wrapping(await asyncio.to_thread(self._core.create, name))
        await repo.checkout("main")
        return repo

    async def get_repo(self, name: str, checkout: bool = True, read_only: bool = False) -> AsyncRepo:
        """Open ``org/name``."""
        repo = AsyncRepo._wrapping(await asyncio.to_thread(self._core.open, name))
        if checkout:
            await repo.checkout("main", for_writing=not read_only)
        return repo

    async def get_or_create_repo(self, name: str, checkout: bool = True) -> AsyncRepo:
        """Open ``org/name``, creating it first if needed."""
        try:
            return await self.get_repo(name, checkout=checkout)
        except RepoNotFoundError:
            try:
                return await self.create_repo(name)
            except RepoExistsError:
                return await self.get_repo(name, checkout=checkout)

    async def list_repos(self, org: str | None = None) -> list[str]:
        """Names of the repositories (of one org, if given)."""
        return await asyncio.to_thread(self._core.list, org)

    async def delete_repo(self, name: str, imsure: bool = False, imreallysure: bool = False) -> None:
        """Delete a repository; refuses unless both flags are True."""
        await asyncio.to_thread(self._core.delete, name, imsure, imreallysure)

    async def close(self) -> None:
        """Finish this process's background work on repositories (see :meth:`Client.close`)."""
        await asyncio.to_thread(finish_removals)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
