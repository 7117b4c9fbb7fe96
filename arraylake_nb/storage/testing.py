"""The conformance suite every chunk-storage backend must pass.

Subclass :class:`ChunkStorageTests` in a test module and provide two fixtures,
as zarr's ``StoreTests`` asks of a store:

``storage``
    A fresh, empty backend with durability ``"write"``.
``damage``
    A function ``damage(storage, digest, how)`` that damages a stored chunk
    behind the backend's back, ``how`` being ``"flip"`` (one byte changed),
    ``"truncate"`` (bytes lost at the end) or ``"delete"``.

The tests use pytest only (imported when this module is).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from arraylake_nb.errors import CorruptChunkError
from arraylake_nb.storage._base import ChunkStorage
from arraylake_nb.storage._local import chunk_hash

Damage = Callable[[ChunkStorage, bytes, str], None]


class ChunkStorageTests:
    """Behaviour the engine relies on, for any :class:`~arraylake_nb.storage.ChunkStorage`.

    Subclass it in a test module and define the ``storage`` and ``damage``
    fixtures described in this module's docstring; each ``test_*`` name states
    the behaviour it checks.
    """

    def test_put_returns_the_content_address(self, storage: ChunkStorage) -> None:
        data = b"some chunk bytes" * 100
        assert storage.put(data) == chunk_hash(data)
        assert storage.put(memoryview(data)) == chunk_hash(data)

    def test_get_returns_what_was_put(self, storage: ChunkStorage) -> None:
        datas = [bytes([i]) * (i * 37 + 1) for i in range(20)] + [b""]
        digests = [storage.put(d) for d in datas]
        assert [storage.get(d) for d in digests] == datas

    def test_identical_chunks_are_stored_once(self, storage: ChunkStorage) -> None:
        a = storage.put(b"x" * 1000)
        b = storage.put(b"x" * 1000)
        assert a == b and list(storage.iter_digests()).count(a) == 1

    def test_get_range(self, storage: ChunkStorage) -> None:
        data = bytes(range(256))
        d = storage.put(data)
        assert storage.get_range(d, 10, 20) == data[10:20]
        assert storage.get_range(d, 250) == data[250:]
        assert storage.get_range(d, 300, 400) == b""

    def test_missing_chunk_raises_with_the_key(self, storage: ChunkStorage) -> None:
        with pytest.raises(CorruptChunkError, match="a/c/0"):
            storage.get(chunk_hash(b"never stored"), "a/c/0")
        assert storage.verify(chunk_hash(b"never stored")) == "missing"
        assert not storage.exists(chunk_hash(b"never stored"))

    @pytest.mark.parametrize("how", ["flip", "truncate"])
    def test_damage_is_detected_never_returned(self, storage: ChunkStorage, damage: Damage, how: str) -> None:
        data = b"precious" * 512
        d = storage.put(data)
        damage(storage, d, how)
        assert storage.verify(d) == "corrupt"
        with pytest.raises(CorruptChunkError, match="k/c/1"):
            storage.get(d, "k/c/1")
        with pytest.raises(CorruptChunkError):
            storage.get_range(d, 0, 4)

    @pytest.mark.parametrize("how", ["flip", "truncate", "delete"])
    def test_putting_the_data_again_repairs_it(self, storage: ChunkStorage, damage: Damage, how: str) -> None:
        data = b"repairable" * 300
        d = storage.put(data)
        damage(storage, d, how)
        assert storage.put(data) == d
        assert storage.get(d) == data and storage.verify(d) is None

    def test_iter_digests_lists_exactly_what_is_stored(self, storage: ChunkStorage) -> None:
        digests = {storage.put(f"chunk {i}".encode()) for i in range(50)}
        assert set(storage.iter_digests()) == digests
        victim = next(iter(digests))
        storage.remove(victim)
        assert set(storage.iter_digests()) == digests - {victim}
        assert not storage.exists(victim)

    def test_age_follows_the_last_put(self, storage: ChunkStorage) -> None:
        d = storage.put(b"aging")
        age = storage.age(d)
        assert age is not None and 0 <= age < 60
        assert storage.age(chunk_hash(b"absent")) is None

    def test_remove_if_older_keeps_young_chunks_and_removes_old_ones(self, storage: ChunkStorage) -> None:
        d = storage.put(b"young")
        assert storage.remove_if_older(d, cutoff=time.time() - 3600) is None
        assert storage.exists(d)
        freed = storage.remove_if_older(d, cutoff=time.time() + 3600)
        assert freed == len(b"young") and not storage.exists(d)
        assert storage.remove_if_older(d, cutoff=time.time() + 3600) is None

    def test_a_chunk_put_again_survives_a_concurrent_removal(self, storage: ChunkStorage) -> None:
        # The garbage collector's race with a writer reusing an old chunk: whatever
        # the interleaving, a put that returned leaves the chunk readable.
        data = b"shared" * 100
        d = storage.put(data)
        failures: list[str] = []
        stop = threading.Event()

        def collector() -> None:
            while not stop.is_set():
                storage.remove_if_older(d, cutoff=time.time() - 0.05)

        t = threading.Thread(target=collector)
        t.start()
        try:
            for i in range(200):
                storage.put(data)
                try:
                    if storage.get(d) != data:
                        failures.append(f"round {i}: wrong bytes")
                except CorruptChunkError as e:
                    failures.append(f"round {i}: {e}")
                time.sleep(0.001)
        finally:
            stop.set()
            t.join()
        assert failures == []

    def test_concurrent_puts_of_the_same_and_different_data(self, storage: ChunkStorage) -> None:
        datas = [bytes([i % 7]) * 4096 for i in range(64)]
        results: list[bytes] = []
        lock = threading.Lock()

        def writer(chunk: list[bytes]) -> None:
            for data in chunk:
                d = storage.put(data)
                with lock:
                    results.append(d)

        threads = [threading.Thread(target=writer, args=(datas[i::4],)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(results) == 64
        assert set(storage.iter_digests()) == {chunk_hash(d) for d in datas}
        assert all(storage.get(chunk_hash(d)) == d for d in datas)

    def test_sync_accepts_stored_chunks(self, storage: ChunkStorage) -> None:
        digests = [storage.put(f"s{i}".encode()) for i in range(10)]
        storage.sync(digests)
        assert all(storage.verify(d) is None for d in digests)

    def test_remove_stale_temps_leaves_chunks_alone(self, storage: ChunkStorage) -> None:
        digests = {storage.put(f"t{i}".encode()) for i in range(10)}
        storage.remove_stale_temps(0)
        assert set(storage.iter_digests()) == digests
