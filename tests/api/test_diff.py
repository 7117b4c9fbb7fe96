"""repo.diff between commits and against the current session."""

from __future__ import annotations

import numpy as np

from arraylake_nb.api._diff import chunk_coords


def test_diff_reports_nodes_attributes_chunks_and_moves(repo) -> None:
    g = repo.root_group.create_group("atlantic")
    t = g.create_array("temperature", shape=(4, 4), chunks=(2, 2), dtype="f4", fill_value=np.nan)
    t.attrs["units"] = "C"
    t[:] = 1
    g.create_group("gone")
    c1 = repo.commit("one")
    assert repo.diff(c1).empty
    t = repo.root_group.atlantic.temperature
    t[0, 0] = 5
    t[3, 3] = 6
    t.attrs["units"] = "K"
    t.attrs["added"] = 1
    del repo.root_group.atlantic["gone"]
    repo.root_group.create_array("fresh", shape=(1,), dtype="i1")
    uncommitted = repo.diff(c1)
    assert uncommitted.added == [("fresh", "array")]
    assert uncommitted.deleted == [("atlantic/gone", "group")]
    assert [(c.key, c.old, c.new) for c in uncommitted.attributes] == [("added", None, 1), ("units", "C", "K")]
    (chunks,) = uncommitted.chunks
    assert chunks.path == "atlantic/temperature" and chunks.count == 2
    assert set(chunks.coords) == {(0, 0), (1, 1)}
    c2 = repo.commit("two")
    committed = repo.diff(c1, c2)
    assert committed.added == uncommitted.added and committed.deleted == uncommitted.deleted
    assert committed.chunks == uncommitted.chunks
    assert "units: 'C' → 'K'" in str(committed)
    assert "2 chunk(s) changed" in committed._repr_html_()
    # Moves are recognised across commits, also when the moved array was written.
    repo.root_group.atlantic.temperature[0, 1] = 9
    repo.root_group.move("atlantic", "north")
    c3 = repo.commit("move")
    moved = repo.diff(c2, c3)
    assert moved.moved == [("atlantic", "north"), ("atlantic/temperature", "north/temperature")]
    assert moved.added == [] and moved.deleted == []
    assert [(c.path, c.count) for c in moved.chunks] == [("north/temperature", 1)]
    backwards = repo.diff("main", c1)
    assert backwards.moved == [("north", "atlantic"), ("north/temperature", "atlantic/temperature")]
    assert backwards.deleted == [("fresh", "array")] and backwards.added == [("atlantic/gone", "group")]


def test_diff_of_identical_versions_says_so(repo) -> None:
    repo.root_group.attrs["x"] = 1
    cid = repo.commit("x")
    d = repo.diff(cid, "main")
    assert d.empty and "No differences" in str(d)


def test_chunk_coordinates_from_keys() -> None:
    assert chunk_coords("c/0/12") == (0, 12)
    assert chunk_coords("c.1.2") == (1, 2)
    assert chunk_coords("3.4") == (3, 4)
    assert chunk_coords("c") == ()
    assert chunk_coords("c/x") is None


def test_an_untouched_nan_attribute_is_not_a_change(repo) -> None:
    t = repo.root_group.create_array("t", shape=(2,), dtype="f4")
    t.attrs["missing_value"] = float("nan")
    t.attrs["nested"] = {"limits": [float("nan"), 1.0]}
    t.attrs["units"] = "K"
    first = repo.commit("with NaN")
    repo.root_group["t"].attrs["units"] = "degC"
    second = repo.commit("units")
    changes = repo.diff(first, second).attributes
    assert [(c.path, c.key, c.old, c.new) for c in changes] == [("t", "units", "K", "degC")]


def test_a_moved_group_takes_its_empty_subgroups_and_chunkless_arrays_along(repo) -> None:
    old = repo.root_group.create_group("old")
    old.create_group("sub").create_group("deeper")
    old.create_array("empty", shape=(4,), dtype="i2")
    old.create_array("a", shape=(4,), chunks=(2,), dtype="i2")[:] = 1
    first = repo.commit("old")
    repo.move("old", "new")
    second = repo.commit("moved")
    d = repo.diff(first, second)
    assert d.added == [] and d.deleted == []
    assert sorted(d.moved) == [("old", "new"), ("old/a", "new/a"), ("old/empty", "new/empty"),
                               ("old/sub", "new/sub"), ("old/sub/deeper", "new/sub/deeper")]
