"""REST handlers of the sidebar (see ``docs/rest.md``): thin wrappers of the public API and the views.

Every handler is a jupyter_server ``APIHandler`` whose methods are
``@tornado.web.authenticated`` and ``@authorized`` (resource ``arraylake_nb``),
so tokens, cookies and XSRF work as for the server's own API. Work that touches
a repository runs in a small thread pool, never on the IO loop, and ends with
:meth:`~arraylake_nb.Repo.release` so the server never holds a metastore while
idle. Our errors become 4xx JSON documents ``{"error": <class>, "message": ...}``.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join

from arraylake_nb import display, views
from arraylake_nb.api import Client, Repo
from arraylake_nb.errors import (
    ArraylakeNbError,
    ConflictError,
    InvalidNameError,
    MetastoreBusyError,
    RefExistsError,
    RefNotFoundError,
    RepoExistsError,
    RepoNotFoundError,
    SessionAbandonedError,
    SessionCommittedError,
    SessionExpiredError,
    SessionNotFoundError,
)

T = TypeVar("T")

#: Where the routes live, below the server's base URL.
API_PREFIX = "arraylake-nb/api"
AUTH_RESOURCE = "arraylake_nb"
#: Longest a watch request waits for a change before answering "unchanged".
MAX_WATCH_SECONDS = 30.0
#: Longest a watch request waits for the token to stop moving.
MAX_SETTLE_SECONDS = 10.0
WATCH_INTERVAL = 0.1
#: Keys of a session looked at to name its changed nodes in ``GET .../sessions`` (the count is exact).
SESSION_KEYS = 1000

# A repository segment of a route: the checks that matter (no '..', no '/', the
# allowed characters) are the library's own name validation, run on every request.
_PART = r"(?P<org>[^/]+)/(?P<name>[^/]+)"


class BadRequest(ArraylakeNbError, ValueError):
    """A query parameter or request body is missing or malformed."""


_STATUS: tuple[tuple[type[BaseException], int], ...] = (
    (RepoNotFoundError, 404),
    (RefNotFoundError, 404),
    (SessionNotFoundError, 404),
    (RefExistsError, 409),
    (RepoExistsError, 409),
    (ConflictError, 409),
    (SessionAbandonedError, 409),
    (SessionCommittedError, 409),
    (SessionExpiredError, 410),
    (MetastoreBusyError, 503),
    (KeyError, 404),  # NodeNotFoundError and the like: a thing named in the request is not there
    (ArraylakeNbError, 400),
)


def status_of(exc: BaseException) -> int:
    """The HTTP status an error of ours maps to (400 unless more specific)."""
    return next(code for cls, code in _STATUS if isinstance(exc, cls))


@dataclass
class Context:
    """What every handler shares: the client on the configured root and the worker threads."""

    client: Client
    pool: ThreadPoolExecutor

    def inside_root(self, name: str) -> bool:
        """Whether ``org/name`` resolves (symlinks followed) to a directory inside the root."""
        root = self.client.root.resolve()
        return (root / name).resolve().is_relative_to(root)

    def open(self, name: str) -> Repo:
        """Open ``org/name`` without a checkout, refusing anything that leads outside the root."""
        parts = name.split("/")
        if len(parts) != 2 or any(p in ("", ".", "..") for p in parts):
            raise InvalidNameError(f"Repository names look like 'org/name' (no '.' or '..' parts), got {name!r}.")
        # Before anything is opened: a symlink under the root must not lead the server elsewhere.
        if not self.inside_root(name):
            raise RepoNotFoundError(f"Repository {name!r} is not under {self.client.root}.")
        return self.client.get_repo(name, checkout=False)  # the library's full name validation

    def repos(self) -> list[str]:
        """The repositories under the root, sorted; none whose directory leads outside it."""
        return [n for n in self.client.list_repos() if self.inside_root(n)]


class Base(APIHandler):
    """Common plumbing: JSON replies, error mapping, work off the IO loop."""

    auth_resource = AUTH_RESOURCE

    @property
    def ctx(self) -> Context:
        return self.settings["arraylake_nb"]

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the worker pool (a big repository must not freeze the server)."""
        return await asyncio.get_running_loop().run_in_executor(self.ctx.pool, fn, *args)

    async def with_repo(self, org: str, name: str, fn: Callable[[Repo], T]) -> T:
        """Open ``org/name``, apply ``fn``, and give the metastore back whatever happens."""

        def work() -> T:
            repo = self.ctx.open(f"{org}/{name}")
            try:
                return fn(repo)
            finally:
                repo.release()

        return await self.run(work)

    def reply(self, doc: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(doc, allow_nan=False))

    def fail(self, exc: ArraylakeNbError) -> None:
        self.reply({"error": type(exc).__name__, "message": str(exc)}, status_of(exc))

    # -- parameters -----------------------------------------------------
    def text(self, key: str, default: str | None = None, *, required: bool = False) -> str | None:
        value = self.get_query_argument(key, None)
        if value is None:
            if required:
                raise BadRequest(f"Missing query parameter {key!r}; see docs/rest.md.")
            return default
        if "\x00" in value or len(value) > 4096:
            raise BadRequest(f"Query parameter {key!r} is not acceptable (too long, or contains a NUL).")
        return value

    def integer(self, key: str, default: int) -> int:
        raw = self.text(key)
        if raw is None:
            return default
        try:
            return int(raw)
        except ValueError:
            raise BadRequest(f"Query parameter {key!r} must be an integer, got {raw!r}.") from None

    def seconds(self, key: str, default: float, most: float) -> float:
        raw = self.text(key)
        try:
            value = default if raw is None else float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= most:  # also NaN
            raise BadRequest(f"Query parameter {key!r} must be a number of seconds between 0 and {most:g}, got {raw!r}.")
        return value

    def body(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.request.body or b"{}")
        except ValueError:
            raise BadRequest("The request body must be a JSON object.") from None
        if not isinstance(doc, dict):
            raise BadRequest("The request body must be a JSON object.")
        return doc

    def field(self, doc: dict[str, Any], key: str, *, required: bool = True) -> str | None:
        value = doc.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or not value:
            raise BadRequest(f"The request body needs a non-empty string {key!r}; see docs/rest.md.")
        return value


def _errors(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn our errors (raised in a handler or its worker) into 4xx JSON replies."""

    async def wrapper(self: Base, *args: Any, **kwargs: Any) -> None:
        try:
            await method(self, *args, **kwargs)
        except ArraylakeNbError as exc:
            self.fail(exc)

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _refs(repo: Repo) -> dict[str, Any]:
    return {"branches": display.to_json(repo.branches)["refs"], "tags": display.to_json(repo.tags)["refs"]}


class VersionHandler(Base):
    """``GET version``: the package version (for the front end's check) and the root."""

    @tornado.web.authenticated
    @authorized
    async def get(self) -> None:
        # The installed distribution's version: the one the labextension was built with.
        self.reply({"version": importlib.metadata.version("arraylake_nb"), "root": str(self.ctx.client.root)})


class ReposHandler(Base):
    """``GET repos``: the repositories under the root."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self) -> None:
        names = await self.run(self.ctx.repos)
        self.reply({"root": str(self.ctx.client.root), "repos": [{"name": n} for n in names]})


class WatchAllHandler(Base):
    """``GET watch``: every repository's change token, in one cheap call."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self) -> None:
        def tokens() -> dict[str, str]:
            out = {}
            for n in self.ctx.repos():
                try:
                    out[n] = self.ctx.client.get_repo(n, checkout=False).change_token()
                except RepoNotFoundError:
                    continue  # deleted while we listed
            return out

        self.reply({"repos": await self.run(tokens)})


class RepoHandler(Base):
    """``GET repos/{org}/{name}``: branches, tags, active sessions and the change token."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        def summary(repo: Repo) -> dict[str, Any]:
            token = repo.change_token()  # before reading: a change meanwhile shows as a newer token later
            return {"name": repo.name, "token": token, **_refs(repo),
                    "sessions": len(repo.list_active_sessions())}

        self.reply(await self.with_repo(org, name, summary))


class RepoWatchHandler(Base):
    """``GET repos/{org}/{name}/watch?since=&timeout=&settle=``: wait for the token to move, then settle.

    With ``settle`` > 0 the answer waits until the token has stood still for
    that long (``"settled": true``), so a sidebar refreshes after a burst of
    commits rather than in the middle of it: by then the writing process has
    given the metastore back on its own (after a second of idleness), and the
    sidebar's reads never make it reopen the file. At ``timeout`` it answers
    anyway; ``"settled": false`` then tells a sidebar that commits are still
    landing, and it decides how stale it may get before refreshing regardless.
    """

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        since = self.text("since")
        timeout = self.seconds("timeout", 0.0, MAX_WATCH_SECONDS)
        settle = self.seconds("settle", 0.0, MAX_SETTLE_SECONDS)
        repo = await self.run(self.ctx.open, f"{org}/{name}")
        start = time.monotonic()
        last, stable_since = since, start
        while True:
            token = await self.run(repo.change_token)
            now = time.monotonic()
            if token != last:
                last, stable_since = token, now
            settled = now - stable_since >= settle
            if (token != since and settled) or now - start >= timeout:
                break
            await asyncio.sleep(WATCH_INTERVAL)
        self.reply({"token": token, "changed": token != since, "settled": settled})


class HistoryHandler(Base):
    """``GET .../history?offset=&limit=&search=``: a page of the commit graph."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        offset, limit = self.integer("offset", 0), self.integer("limit", views.graph.DEFAULT_PAGE)
        search = self.text("search") or None
        self.reply(await self.with_repo(org, name, lambda r: views.history_page(r, offset, limit, search)))


class CommitHandler(Base):
    """``GET .../commits/{id}``: one commit in full."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str, commit: str) -> None:
        self.reply(await self.with_repo(org, name, lambda r: views.commit_details(r, commit)))


class BranchesHandler(Base):
    """``GET / POST / DELETE .../branches``: list, create from a commit, delete."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        self.reply(await self.with_repo(org, name, lambda r: display.to_json(r.branches)))

    @tornado.web.authenticated
    @authorized
    @_errors
    async def post(self, org: str, name: str) -> None:
        doc = self.body()
        branch, commit = self.field(doc, "name"), self.field(doc, "commit")

        def create(repo: Repo) -> dict[str, Any]:
            repo.checkout(commit, for_writing=False)  # read-only: nothing persisted, nothing locked
            return display.to_json(repo.new_branch(branch))

        self.reply(await self.with_repo(org, name, create), 201)

    @tornado.web.authenticated
    @authorized
    @_errors
    async def delete(self, org: str, name: str) -> None:
        branch = self.text("name", required=True)
        await self.with_repo(org, name, lambda r: r.delete_branch(branch))
        self.set_status(204)
        self.finish()


class TagsHandler(Base):
    """``GET / POST / DELETE .../tags``: list, tag a commit, delete."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        self.reply(await self.with_repo(org, name, lambda r: display.to_json(r.tags)))

    @tornado.web.authenticated
    @authorized
    @_errors
    async def post(self, org: str, name: str) -> None:
        doc = self.body()
        tag, commit = self.field(doc, "name"), self.field(doc, "commit")
        message = doc.get("message")
        if message is not None and not isinstance(message, str):
            raise BadRequest("'message' must be a string.")
        self.reply(await self.with_repo(org, name, lambda r: display.to_json(r.tag(tag, commit, message))), 201)

    @tornado.web.authenticated
    @authorized
    @_errors
    async def delete(self, org: str, name: str) -> None:
        tag = self.text("name", required=True)
        await self.with_repo(org, name, lambda r: r.delete_tag(tag))
        self.set_status(204)
        self.finish()


def _sessions(repo: Repo) -> dict[str, Any]:
    now = time.time()
    out = []
    for info in repo.list_active_sessions():
        doc = display.to_json(info)
        doc["age_seconds"] = max(now - info.start_time.timestamp(), 0.0)
        doc["expires_in_seconds"] = info.expiration.timestamp() - now
        try:
            repo.join_session(info.id)  # reads its logs; writes nothing
            status = display.to_json(repo.status(limit=SESSION_KEYS))
            doc.update(changed_keys=status["total"], changed_nodes=status["nodes"],
                       changed_nodes_partial=status["truncated"] > 0)
        except (SessionExpiredError, SessionAbandonedError, SessionCommittedError, SessionNotFoundError):
            continue  # ended between the listing and the join
        out.append(doc)
    return {"type": "sessions", "sessions": out}


class SessionsHandler(Base):
    """``GET .../sessions`` and ``DELETE .../sessions?id=`` (abandon)."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        self.reply(await self.with_repo(org, name, _sessions))

    @tornado.web.authenticated
    @authorized
    @_errors
    async def delete(self, org: str, name: str) -> None:
        session_id = self.text("id", required=True)
        await self.with_repo(org, name, lambda r: r.join_session(session_id).abandon())
        self.set_status(204)
        self.finish()


class TreeHandler(Base):
    """``GET .../tree?ref=&path=``: the children of a group."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        ref, path = self.text("ref", "main"), self.text("path", "")
        self.reply(await self.with_repo(org, name, lambda r: views.children(r, ref, path)))


class NodeHandler(Base):
    """``GET .../node?ref=&path=``: a group's or array's details."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        ref, path = self.text("ref", "main"), self.text("path", "")
        self.reply(await self.with_repo(org, name, lambda r: views.node_info(r, ref, path)))


class DiffHandler(Base):
    """``GET .../diff?a=&b=&dims=``: what changed from ``a`` to ``b``, with chunk heat maps."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        a, b = self.text("a", required=True), self.text("b", required=True)
        dims = _dims(self.text("dims"))
        self.reply(await self.with_repo(org, name, lambda r: views.diff_summary(r, a, b, dims=dims)))


def _dims(raw: str | None) -> dict[str, list[int]] | None:
    """The ``dims`` parameter of ``diff``: JSON ``{array path: [grid dims]}``, the heat maps' axes."""
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, list) and all(isinstance(i, int) and not isinstance(i, bool) for i in v)
        for k, v in value.items()
    ):
        raise BadRequest(f"'dims' must be JSON mapping array paths to lists of grid dimensions, "
                         f'e.g. {{"ocean/temp": [1, 0]}}, got {raw!r}.')
    return value


class ChunkHandler(Base):
    """``GET .../chunk?a=&b=&path=&coords=``: one chunk in two versions."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        a, b = self.text("a", required=True), self.text("b", required=True)
        path, raw = self.text("path", required=True), self.text("coords", required=True)
        try:
            coords = [int(c) for c in raw.split(",")] if raw else []
        except ValueError:
            raise BadRequest(f"'coords' must be comma-separated integers, got {raw!r}.") from None
        self.reply(await self.with_repo(org, name, lambda r: views.chunk_detail(r, a, b, path, coords)))


class ArrayHistoryHandler(Base):
    """``GET .../array-history?path=&ref=``: the commits that changed one array."""

    @tornado.web.authenticated
    @authorized
    @_errors
    async def get(self, org: str, name: str) -> None:
        path, ref = self.text("path", required=True), self.text("ref", "main")
        self.reply(await self.with_repo(org, name, lambda r: views.array_history(r, path, ref)))


#: (route below the API prefix, handler); the repository routes start with ``repos/{org}/{name}``.
ROUTES: list[tuple[str, type[Base]]] = [
    ("version", VersionHandler),
    ("repos", ReposHandler),
    ("watch", WatchAllHandler),
    (f"repos/{_PART}", RepoHandler),
    (f"repos/{_PART}/watch", RepoWatchHandler),
    (f"repos/{_PART}/history", HistoryHandler),
    (f"repos/{_PART}/commits/(?P<commit>[^/]+)", CommitHandler),
    (f"repos/{_PART}/branches", BranchesHandler),
    (f"repos/{_PART}/tags", TagsHandler),
    (f"repos/{_PART}/sessions", SessionsHandler),
    (f"repos/{_PART}/tree", TreeHandler),
    (f"repos/{_PART}/node", NodeHandler),
    (f"repos/{_PART}/diff", DiffHandler),
    (f"repos/{_PART}/chunk", ChunkHandler),
    (f"repos/{_PART}/array-history", ArrayHistoryHandler),
]


def setup_handlers(web_app: Any, root: str | None) -> Context:
    """Add the routes to a tornado web application and store the shared context in its settings.

    Parameters
    ----------
    web_app
        The server's ``tornado.web.Application``.
    root
        The repositories' root, or None for the library's default.

    Returns
    -------
    Context
        The client and worker pool the handlers use.
    """
    ctx = Context(Client(Path(root) if root else None), ThreadPoolExecutor(4, thread_name_prefix="arraylake-nb"))
    web_app.settings["arraylake_nb"] = ctx
    base = url_path_join(web_app.settings["base_url"], API_PREFIX)
    web_app.add_handlers(".*$", [(url_path_join(base, route) + "/?$", handler) for route, handler in ROUTES])
    return ctx
