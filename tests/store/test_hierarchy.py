"""Moves, copies, deletes, the tree and metadata search."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

from arraylake_nb import Client
from arraylake_nb.errors import (
    InvalidMoveError,
    InvalidQueryError,
    NodeExistsError,
    NodeMovedError,
    NodeNotFoundError,
    ReadOnlyError,
)


@pytest.fixture
def ocean(repo):
    g = repo.root_group.create_group("atlantic")
    g.attrs["title"] = "Atlantic Ocean"
    t = g.create_array("temperature", shape=(20,), chunks=(5,), dtype="f4", fill_value=np.nan)
    t.attrs.update({"units": "degrees Celsius", "number": 5})
    t[:] = np.arange(20)
    s = g.create_array("temperature_anomaly", shape=(20,), chunks=(5,), dtype="f4")
    s[:10] = 1
    s.attrs.update({"units": "K", "number": 20})
    repo.commit("ocean")
    return repo


def _chunk_files(repo) -> int:
    return len(list(repo.store.engine.chunks.iter_digests()))


def test_move_shares_chunks_and_mixes_with_writes(ocean) -> None:
    repo = ocean
    files = _chunk_files(repo)
    repo.root_group.atlantic.move("temperature", "/moved")
    assert _chunk_files(repo) == files
    repo.root_group.moved[0] = 100
    assert repo.root_group.moved[:3].tolist() == [100, 1, 2]
    assert "temperature" not in repo.root_group.atlantic
    repo.commit("move and write in one commit")
    assert repo.root_group["moved"][:].tolist() == [100] + list(range(1, 20))
    assert repo.root_group.moved.attrs["units"] == "degrees Celsius"
    assert repo.fsck().ok


def test_move_errors_leave_everything_unchanged(ocean) -> None:
    repo = ocean
    g = repo.root_group
    with pytest.raises(NodeNotFoundError):
        g.move("nope", "x")
    with pytest.raises(NodeExistsError):
        g.atlantic.move("temperature", "temperature_anomaly")
    with pytest.raises(InvalidMoveError, match="into itself"):
        g.move("atlantic", "atlantic/inner")
    with pytest.raises(InvalidMoveError, match="parent group"):
        g.move("atlantic", "missing/parent")
    assert repo.status().total == 0
    assert g.atlantic.temperature[:].tolist() == list(range(20))


def test_stale_handle_after_move_fails_clearly(ocean) -> None:
    repo = ocean
    t = repo.root_group.atlantic.temperature
    repo.root_group.move("atlantic", "north_atlantic")
    with pytest.raises(NodeMovedError, match="north_atlantic"):
        t[:]
    with pytest.raises(NodeMovedError):
        t[0] = 1.0
    assert repo.root_group.north_atlantic.temperature[:2].tolist() == [0, 1]


def test_a_new_node_can_take_a_moved_nodes_place(ocean) -> None:
    repo = ocean
    repo.root_group.atlantic.move("temperature", "old_temperature")
    new = repo.root_group.atlantic.create_array("temperature", shape=(3,), dtype="i2", fill_value=0)
    new[:] = [7, 8, 9]
    repo.commit("replace")
    assert repo.root_group.atlantic.temperature[:].tolist() == [7, 8, 9]
    assert repo.root_group.atlantic.old_temperature[:3].tolist() == [0, 1, 2]


def test_copy_shares_chunks_and_diverges_on_write(ocean) -> None:
    repo = ocean
    files = _chunk_files(repo)
    repo.copy("atlantic", "pacific")
    assert _chunk_files(repo) == files
    repo.root_group.pacific.temperature[:5] = -1
    repo.commit("copy")
    assert repo.root_group.pacific.temperature[:6].tolist() == [-1] * 5 + [5]
    assert repo.root_group.atlantic.temperature[:6].tolist() == list(range(6))
    assert repo.root_group.pacific.attrs["title"] == "Atlantic Ocean"


def test_status_after_move_lists_new_paths_written_and_old_deleted(ocean) -> None:
    ocean.root_group.move("atlantic", "indian")
    paths = dict(ocean.status().modified_paths)
    assert paths["indian/temperature/zarr.json"] is False
    assert paths["atlantic/temperature/zarr.json"] is True


def test_move_on_read_only_checkout_is_refused(ocean) -> None:
    cid = ocean.commit_log[0].id
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ocean.checkout(cid)
    with pytest.raises(ReadOnlyError):
        ocean.move("atlantic", "x")


def test_sibling_names_sharing_a_prefix_are_counted_apart(ocean) -> None:
    t = ocean.root_group.atlantic.temperature
    a = ocean.root_group.atlantic.temperature_anomaly
    assert t.nchunks_initialized == 4
    assert a.nchunks_initialized == 2
    assert t.nbytes_stored() > a.nbytes_stored() > 0
    assert "Chunks Initialized : 4" in str(t.info_complete())


def test_tree(ocean) -> None:
    ocean.root_group.create_group("empty")
    ocean.root_group.create_array("aaa_root_array", shape=(2, 3), dtype="i2")
    text = str(ocean.tree())
    lines = text.splitlines()
    assert lines[0] == "/"
    assert any("📁 atlantic" in line for line in lines)
    # groups before arrays, arrays with shape and dtype
    assert "🇦 temperature (20,) float32" in text
    assert text.index("📁 atlantic") < text.index("📁 empty") < text.index("🇦 aaa_root_array (2, 3) int16")
    filtered = str(ocean.tree(filter="units == 'K'"))
    assert "temperature_anomaly" in filtered and "🇦 temperature (20,)" not in filtered
    assert "📁 atlantic" not in str(ocean.tree(depth=0))
    assert "🇦 temperature (20,)" in str(ocean.tree(prefix="atlantic"))
    assert ocean.tree()._repr_html_().count("<li") >= 4
    with pytest.raises(NodeNotFoundError):
        ocean.tree(prefix="nowhere")


def test_filter_metadata_documented_examples(repo) -> None:
    g = repo.root_group
    g.create_group("a").attrs.update({"flags": [{"spec": ["a", "b", "c"]}], "band": "c", "foo": 10})
    g.create_group("b").attrs.update({"someNaN": float("nan"), "number": 7})
    g.create_group("c").attrs.update({"eo:val": 12, "created:at:time": "2022-04-01", "number": 30})
    g.create_group("d")
    q = repo.filter_metadata
    assert q("flags[0].spec[0] == 'a'") == ["a"]
    assert q("flags[0].spec[0:2] == ['a', 'b']") == ["a"]
    # null == null: nodes with neither key match too (documented nuance)
    assert q("flags[0].spec[2] == band") == ["", "a", "b", "c", "d"]
    assert q("contains(keys(@), 'flags') && contains(keys(@), 'band') && flags[0].spec[2] == band") == ["a"]
    assert q("someNaN == 'NaN'") == ["b"]
    assert q("number >= `3` && number <= `15`") == ["b"]
    assert q('"eo:val" == `12`') == ["c"]
    # strings order lexically, so ISO dates compare as dates
    assert q('"created:at:time" <= `2022-05-01`') == ["c"]
    assert q('"created:at:time" <= `2022-03-01`') == []
    assert q("(!flags == `5` || flags == `10`) && foo == `10`") == []
    assert q("foo == `10` && band == 'c'") == ["a"]
    # two missing keys compare equal (null == null): every node without them matches
    assert q("missing1 == missing2") == ["", "a", "b", "c", "d"]
    assert q("contains(keys(@), 'missing1') && contains(keys(@), 'missing2') && missing1 == missing2") == []
    for bad in ["eo:val == 12", "number >=", "", "[[["]:
        with pytest.raises(InvalidQueryError):
            q(bad)


def test_resize_and_append_are_invisible_until_commit(client: Client) -> None:
    repo = client.create_repo("org/acid")
    a = repo.root_group.create_array("t", shape=(10,), chunks=(5,), dtype="i4")
    a[:] = 1
    repo.commit("ten")
    a = repo.root_group.t
    a.resize((20,))
    a[10:] = 2
    reader = textwrap.dedent(
        """
        import sys
        from arraylake_nb import Client
        repo = Client(root=sys.argv[1]).get_repo("org/acid", read_only=True)
        t = repo.root_group.t
        print(t.shape[0], int(t[:].sum()))
        """
    )
    env_path = str(Path(__file__).resolve().parents[2])
    run = lambda: subprocess.run(
        [sys.executable, "-c", reader, str(client.root)], capture_output=True, text=True,
        env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"}, timeout=120, check=True,
    ).stdout.split()
    assert run() == ["10", "10"]
    repo.commit("resize + append")
    assert run() == ["20", "30"]


def test_copy_of_a_large_array_copies_no_bytes(repo) -> None:
    a = repo.root_group.create_array("big", shape=(2000,), chunks=(1,), dtype="i1", compressors=None)
    a[:] = 1
    repo.commit("big")
    repo.copy("big", "big_copy")
    repo.commit("copy")
    assert repo.root_group.big_copy.nchunks_initialized == 2000
    assert _chunk_files(repo) == 1
