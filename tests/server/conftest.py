"""A real Jupyter server (pytest-jupyter) with the sidebar's extension on a temporary root of real repositories."""

from __future__ import annotations

import json
from contextlib import closing
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import tornado.httpserver

# The fixtures of pytest-jupyter (jp_fetch, jp_serverapp, ...), imported here rather than
# declared as a plugin in the top-level conftest, so only these tests need jupyter_server.
from pytest_jupyter.jupyter_core import *
from pytest_jupyter.jupyter_server import *

from arraylake_nb import Client


@pytest.fixture
def sidebar_root(tmp_path: Path) -> Path:
    """Two repositories: ``earthmover/ocean`` with history, branches, a tag and a live session; ``lab/empty``."""
    root = tmp_path / "sidebar-root"
    client = Client(root=root, author="Ada Lovelace <ada@example.org>")
    repo = client.create_repo("earthmover/ocean")
    g = repo.root_group.create_group("ocean")
    t = g.create_array("temp", shape=(4, 4), chunks=(2, 2), dtype="f4", fill_value=0)
    t[:] = 1
    repo.commit("create temp")
    t[:2, :2] = 5
    repo.root_group.attrs["title"] = "Ocean"
    repo.commit("warm a corner")
    repo.tag("v1", message="first release")
    repo.new_branch("feature/x")
    client.create_repo("lab/empty")
    # A session with uncommitted work, started by "another kernel".
    writer = Client(root=root, author="Grace Hopper <grace@example.org>").get_repo("earthmover/ocean")
    writer.root_group["ocean/temp"][2:, 2:] = np.float32(7)
    writer.release()
    repo.release()
    return root


@pytest.fixture
def jp_server_config(sidebar_root: Path) -> dict[str, Any]:
    # The default (unauthenticated access allowed unless a handler asks for it) is kept on purpose:
    # then only our own @authenticated decorators refuse anonymous requests, which is what the tests check.
    return {
        "ServerApp": {"jpserver_extensions": {"arraylake_nb.server": True}},
        "ArraylakeNb": {"root": str(sidebar_root)},
    }


@pytest.fixture
async def http_server(http_server_port, jp_web_app):
    """pytest-jupyter's server, started in the test's own event loop (pytest-asyncio >= 1)."""
    server = tornado.httpserver.HTTPServer(jp_web_app)
    server.add_socket(http_server_port[0])
    yield server
    server.stop()


@pytest.fixture
async def http_server_client(http_server):
    """pytest-jupyter's client, in the test's own event loop (pytest-asyncio >= 1)."""
    from pytest_jupyter.pytest_tornasync import AsyncHTTPServerClient

    client = AsyncHTTPServerClient(http_server=http_server)
    with closing(client) as context:
        yield context


@pytest.fixture
def api(jp_fetch):
    """``await api("repos", "earthmover/ocean", "history", params={...})`` → (status, JSON body or None)."""

    async def call(*parts: str, method: str = "GET", body: Any = None, params: dict | None = None,
                   headers: dict | None = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"method": method, "raise_error": False}
        if body is not None:
            kwargs["body"] = body if isinstance(body, str | bytes) else json.dumps(body)
        elif method == "POST":
            kwargs["body"] = b""
        r = await jp_fetch("arraylake-nb", "api", *parts, params=params, headers=headers, **kwargs)
        return r.code, (json.loads(r.body) if r.body else None)

    return call
