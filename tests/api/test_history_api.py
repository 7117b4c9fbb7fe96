"""The API the views build on: node_history, commit_changes, commit_data(all_refs), tree(ref), store_at, diff states."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import zarr

from arraylake_nb.errors import NodeNotFoundError, ReadOnlyError, RefNotFoundError
from arraylake_nb.models import CommitSequence, NodeHistory


def _quiet_checkout(repo, ref: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout(ref)


def test_node_history_says_what_each_commit_did(repo) -> None:
    g = repo.root_group.create_group("g")
    a = g.create_array("t", shape=(4, 6), chunks=(2, 3), dtype="f4", fill_value=np.nan)
    created = repo.commit("create")
    a[:2, :3] = 1
    wrote = repo.commit("write one chunk")
    a.attrs["units"] = "m"
    attrs = repo.commit("attributes")
    repo.root_group.attrs["elsewhere"] = 1
    repo.commit("unrelated")
    a.resize((6, 6))
    a[4:, :] = 2
    resized = repo.commit("resize and write")
    del repo.root_group["g"]
    deleted = repo.commit("delete the group holding it")
    repo.root_group.create_group("g").create_array("t", shape=(3,), chunks=(3,), dtype="i2")
    again = repo.commit("recreate")

    h = repo.node_history("/g/t/")
    assert isinstance(h, NodeHistory) and h.path == "g/t" and h.ref == "the checkout"
    assert [v.commit.id for v in h] == [again, deleted, resized, attrs, wrote, created]
    by_id = {v.commit.id: v for v in h}
    assert by_id[created].created and by_id[created].shape == (4, 6) and by_id[created].kind == "array"
    assert by_id[wrote].chunks_changed == 1 and not by_id[wrote].metadata_changed
    assert by_id[attrs].attributes_changed and not by_id[attrs].metadata_changed and not by_id[attrs].chunks_changed
    assert by_id[resized].metadata_changed and by_id[resized].chunks_changed == 2 and by_id[resized].shape == (6, 6)
    assert by_id[deleted].deleted and by_id[deleted].kind is None and by_id[deleted].shape is None
    assert by_id[again].created and by_id[again].shape == (3,)
    # From an older ref only its ancestry counts.
    assert [v.commit.id for v in repo.node_history("g/t", attrs)] == [attrs, wrote, created]
    assert [v.commit.id for v in repo.node_history("g")] == [again, deleted, created]
    assert len(repo.node_history("nowhere")) == 0
    doc = h.to_json()
    assert doc["type"] == "node_history" and doc["versions"][2]["shape"] == [6, 6]
    assert "metadata changed" in str(h) and "resize and write" in h._repr_html_()
    with pytest.raises(RefNotFoundError):
        repo.node_history("g/t", "no-such-ref")


def test_node_history_reads_large_commits_stored_in_the_entries_table(repo) -> None:
    root = repo.root_group
    for i in range(80):  # more path-map entries than fit in a commit row
        root.create_group(f"g{i:02d}")
    a = root.create_array("big", shape=(100,), chunks=(1,), dtype="u1", fill_value=0)
    a[:] = 1
    first = repo.commit("many groups and chunks")
    a.attrs["x"] = 1
    second = repo.commit("small")
    h = repo.node_history("big")
    assert [(v.commit.id, v.created, v.chunks_changed) for v in h] == [(second, False, 0), (first, True, 100)]
    assert h.versions[0].attributes_changed
    assert [v.commit.id for v in repo.node_history("g42")] == [first]


def test_node_history_follows_the_path_not_moves(repo) -> None:
    a = repo.root_group.create_array("src", shape=(2,), chunks=(1,), dtype="i1")
    a[:] = 3
    repo.commit("create")
    repo.move("src", "dst")
    moved = repo.commit("move")
    h = repo.node_history("dst")
    assert [(v.commit.id, v.created) for v in h] == [(moved, True)]
    assert repo.node_history("src").versions[0].deleted


def test_commit_changes_compares_with_the_parent(repo) -> None:
    t = repo.root_group.create_array("t", shape=(4,), chunks=(2,), dtype="i4")
    t[:] = 1
    first = repo.commit("first")
    t[0] = 5
    t.attrs["a"] = 1
    second = repo.commit("second")
    root_changes = repo.commit_changes(first)
    assert root_changes.from_ref == "(empty)" and ("t", "array") in root_changes.added
    changes = repo.commit_changes(second[:10])
    assert changes.added == [] and [(c.path, c.count) for c in changes.chunks] == [("t", 1)]
    assert [(a.key, a.new) for a in changes.attributes] == [("a", 1)]
    assert changes.chunks[0].states == ("modified",)
    assert repo.commit_changes(second, max_coords=0).chunks[0].coords == ()


def test_diff_states_and_every_coordinate(repo) -> None:
    t = repo.root_group.create_array("t", shape=(2000,), chunks=(1,), dtype="u1", fill_value=0)
    t[:1500] = 1
    before = repo.commit("before")
    t[:1200] = 2
    t[1500:] = 3
    repo.store.delete_sync("t/c/1300")
    d = repo.diff(before)
    (c,) = d.chunks
    assert c.count == 1701 and len(c.coords) == len(c.states) == 1000  # the default cap
    full = repo.diff(before, max_coords=None).chunks[0]
    assert len(full.coords) == 1701
    states = dict(zip(full.coords, full.states, strict=True))
    assert states[(0,)] == "modified" and states[(1999,)] == "added" and states[(1300,)] == "deleted"
    assert sorted(set(full.states)) == ["added", "deleted", "modified"]
    assert full.to_json()["states"][:1] == ["modified"]


def test_commit_data_of_all_refs(repo) -> None:
    repo.root_group.attrs["n"] = 0
    base = repo.commit("base")
    repo.new_branch("dev")
    _quiet_checkout(repo, "dev")
    repo.root_group.attrs["n"] = 1
    dev = repo.commit("on dev")
    repo.new_branch("doomed")
    _quiet_checkout(repo, "doomed")
    repo.root_group.attrs["n"] = 2
    repo.commit("on a branch that will be deleted")
    _quiet_checkout(repo, "main")
    repo.delete_branch("doomed")
    repo.root_group.attrs["n"] = 3
    main = repo.commit("on main")
    only_main = repo.commit_data()
    assert [c.id for c in only_main.commits] == [main, base]
    everything = repo.commit_data(all_refs=True)
    assert everything.commits._built == [None, None, None]  # nothing built until read
    assert [c.id for c in everything.commits] == [main, dev, base]  # newest first, no dangling commit
    assert everything.head == main and "dev" in everything.branches
    assert [c.labels for c in everything.commits][:2] == [("main",), ("dev",)]
    seq = repo.commit_data(all_refs=True).commits
    assert isinstance(seq, CommitSequence) and seq.graph == [(main, (base,)), (dev, (base,)), (base, ())]
    assert seq[-1].id == base and seq._built[:2] == [None, None]
    assert [c.id for c in seq[:2]] == [main, dev] and len(seq) == 3
    with pytest.raises(IndexError):
        seq[3]
    assert [c["id"] for c in seq.to_json()["commits"]] == [main, dev, base]
    assert [c["id"] for c in everything.to_json()["commits"]] == [main, dev, base]
    _quiet_checkout(repo, base)
    repo.tag("v0")
    assert [c.id for c in repo.commit_data(all_refs=True).commits] == [main, dev, base]


def test_tree_of_a_ref_lists_one_level_with_expanders(repo) -> None:
    root = repo.root_group
    root.create_group("a").create_group("b").create_array("x", shape=(5, 4), chunks=(2, 2), dtype="f8")
    root.create_array("y", shape=(3,), chunks=(3,), dtype="i1")
    first = repo.commit("first")
    del root["y"]
    root.create_group("c")
    shallow = repo.tree(depth=1)  # the session: one deletion, one new group
    assert [(n.path, n.has_children, n.children) for n in shallow.root.children] == [
        ("a", True, ()), ("c", False, ())
    ]
    assert repo.tree("a/b", depth=1).root.children[0].chunks == (2, 2)
    old = repo.tree(depth=1, ref=first)
    assert [n.path for n in old.root.children] == ["a", "y"] and old.root.children[1].chunks == (3,)
    assert repo.tree(ref=first).to_json()["node_count"] == 4
    assert repo.tree("a", depth=0).root.has_children and repo.tree("a", depth=0).root.children == ()
    with pytest.raises(NodeNotFoundError):
        repo.tree("y", depth=1)
    assert repo.tree("y", ref=first).root.kind == "array"
    assert [n.path for n in repo.tree(filter="x == `1`").walk()] == [""]


def test_store_at_reads_a_version_without_moving_the_checkout(repo) -> None:
    t = repo.root_group.create_array("t", shape=(3,), chunks=(3,), dtype="i4")
    t[:] = 1
    first = repo.commit("first")
    t[:] = 2
    repo.commit("second")
    t[:] = 3  # uncommitted
    old = zarr.open_array(repo.store_at(first), path="t", mode="r")
    assert old[:].tolist() == [1, 1, 1]
    assert zarr.open_array(repo.store_at("main"), path="t", mode="r")[:].tolist() == [2, 2, 2]
    assert zarr.open_array(repo.store_at(), path="t", mode="r")[:].tolist() == [3, 3, 3]
    assert repo.store_at() is repo.store and repo.session.branch == "main"
    with pytest.raises(ReadOnlyError):
        zarr.open_array(repo.store_at(first), path="t")[:] = 0
    with pytest.raises(RefNotFoundError):
        repo.store_at("nope")
