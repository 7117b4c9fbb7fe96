from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from arraylake_nb import Client

os.environ.setdefault("ARRAYLAKE_NB_AUTHOR_NAME", "Test Author")
os.environ.setdefault("ARRAYLAKE_NB_AUTHOR_EMAIL", "test@example.org")


@pytest.fixture(autouse=True)
def _times_in_utc(monkeypatch):
    """Renderings show times in the local zone: make it UTC so tests do not depend on the machine."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def client(root: Path) -> Client:
    return Client(root=root, author="Ada Lovelace <ada@example.org>")


@pytest.fixture
def repo(client: Client):
    return client.create_repo("earthmover/ocean")
