"""zarr's own conformance suite and hypothesis state machines, run on our Store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from zarr.core.buffer import Buffer, cpu, default_buffer_prototype
from zarr.testing.stateful import ZarrHierarchyStateMachine, ZarrStoreStateMachine
from zarr.testing.store import StoreTests

from arraylake_nb import ArraylakeStore, Client
from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.values import ChunkRef, Doc


def _session_store(root: Path) -> ArraylakeStore:
    repo = Client(root=root).create_repo("conformance/store")
    return repo.store


def _persisted_session_kwargs(root: Path) -> dict[str, Any]:
    repo = Client(root=root).create_repo("conformance/store")
    session = repo.create_session("main")
    return {"repo_path": str(repo.path), "session_id": session.id}


class TestArraylakeStore(StoreTests[ArraylakeStore, cpu.Buffer]):
    store_cls = ArraylakeStore
    buffer_cls = cpu.Buffer

    # Back doors: go through the session and chunk store, never the Store class.
    async def set(self, store: ArraylakeStore, key: str, value: Buffer) -> None:
        data = value.to_bytes()
        state = store.session
        if zkeys.is_metadata_key(key):
            state.set(key, Doc.for_key(key, data))
        else:
            state.set(key, ChunkRef(store.engine.chunks.put(data), len(data)))

    async def get(self, store: ArraylakeStore, key: str) -> Buffer:
        v = store.session.get(key)
        assert v is not None, key
        data = v.data if isinstance(v, Doc) else store.engine.chunks.get(v.digest)
        return self.buffer_cls.from_bytes(data)

    @pytest.fixture
    def store_kwargs(self, tmp_path: Path) -> dict[str, Any]:
        return _persisted_session_kwargs(tmp_path)

    def test_store_repr(self, store: ArraylakeStore) -> None:
        assert repr(store).startswith("ArraylakeStore(")
        assert store.session_id[:8] in repr(store)

    def test_store_supports_writes(self, store: ArraylakeStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: ArraylakeStore) -> None:
        assert store.supports_listing


def test_consolidated_metadata_is_not_supported(tmp_path: Path) -> None:
    assert _session_store(tmp_path).supports_consolidated_metadata is False


STATEFUL = settings(
    max_examples=60, deadline=None, stateful_step_count=30,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def test_zarr_hierarchy_state_machine(tmp_path: Path) -> None:
    store = _session_store(tmp_path)
    run_state_machine_as_test(lambda: ZarrHierarchyStateMachine(store), settings=STATEFUL)


def test_zarr_store_state_machine(tmp_path: Path) -> None:
    store = _session_store(tmp_path)
    run_state_machine_as_test(lambda: ZarrStoreStateMachine(store), settings=STATEFUL)


def test_prefix_listing_has_directory_semantics(tmp_path: Path) -> None:
    import zarr

    store = _session_store(tmp_path)
    g = zarr.open_group(store, mode="a")
    a = g.create_array("t", shape=(4,), chunks=(1,), dtype="i4")
    b = g.create_array("t_array", shape=(4,), chunks=(1,), dtype="i4")
    a[:2] = 1
    b[:] = 2
    assert a.nchunks_initialized == 2
    assert b.nchunks_initialized == 4
    assert a.nbytes_stored() < b.nbytes_stored()


def test_store_round_trips_through_pickle_to_same_session(tmp_path: Path) -> None:
    import pickle

    import zarr

    store = _session_store(tmp_path)
    zarr.create_array(store, name="x", shape=(3,), dtype="i2")[:] = [1, 2, 3]
    clone = pickle.loads(pickle.dumps(store))
    # repo.store follows the checkout; its pickle is pinned to the current session.
    assert clone != store and clone.session_id == store.session_id
    assert clone == store.with_read_only(False)
    assert pickle.loads(pickle.dumps(clone)) == clone
    assert zarr.open_array(clone, path="x")[:].tolist() == [1, 2, 3]
    prototype = default_buffer_prototype()
    assert clone.get_sync("x/zarr.json", prototype=prototype) is not None
