"""The local backend passes the chunk-storage conformance suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from arraylake_nb.storage import ChunkStorage, LocalChunkStorage
from arraylake_nb.storage.testing import ChunkStorageTests


def _damage(storage: ChunkStorage, digest: bytes, how: str) -> None:
    assert isinstance(storage, LocalChunkStorage)
    path = storage.path_for(digest)
    if how == "delete":
        path.unlink()
        return
    data = bytearray(path.read_bytes())
    if how == "flip":
        data[len(data) // 2] ^= 0xFF
    else:
        data = data[: len(data) // 2]
    path.write_bytes(bytes(data))
    os.utime(path)


class TestLocalChunkStorage(ChunkStorageTests):
    @pytest.fixture
    def storage(self, tmp_path: Path) -> LocalChunkStorage:
        return LocalChunkStorage(tmp_path / "chunks")

    @pytest.fixture
    def damage(self):
        return _damage
