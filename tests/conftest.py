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


@pytest.fixture
def run_in_kernel():
    """Run code in a real IPython kernel (a fresh one per call); return the iopub messages of that run."""
    from jupyter_client.manager import start_new_kernel

    def run(code: str, timeout: float = 120) -> list[dict]:
        km, kc = start_new_kernel(kernel_name="python3")
        try:
            messages = []
            msg_id = kc.execute(code)
            while True:
                msg = kc.get_iopub_msg(timeout=timeout)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                messages.append(msg)
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    return messages
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)

    return run
