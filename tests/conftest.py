from __future__ import annotations

import os
from pathlib import Path

import pytest

from arraylake_nb import Client

os.environ.setdefault("ARRAYLAKE_NB_AUTHOR_NAME", "Test Author")
os.environ.setdefault("ARRAYLAKE_NB_AUTHOR_EMAIL", "test@example.org")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "root"


@pytest.fixture
def client(root: Path) -> Client:
    return Client(root=root, author="Ada Lovelace <ada@example.org>")


@pytest.fixture
def repo(client: Client):
    return client.create_repo("earthmover/ocean")
