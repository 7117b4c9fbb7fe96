"""views.diff_summary (chunk heat maps) and views.chunk_detail."""

from __future__ import annotations

import numpy as np
import pytest

from arraylake_nb import views
from arraylake_nb.errors import InvalidSelectionError, NodeNotFoundError, NotAnArrayError
from arraylake_nb.views.diff import STATES

U, M, A, D, X = (STATES.index(s) for s in ("unchanged", "modified", "added", "deleted", "mixed"))


@pytest.fixture
def changed(repo):
    root = repo.root_group
    img = root.create_array("img", shape=(40, 60), chunks=(10, 20), dtype="f4", fill_value=np.nan)
    img[:20, :] = 1.0
    line = root.create_array("line", shape=(10,), chunks=(2,), dtype="i2", fill_value=0)
    line[:] = 1
    cube = root.create_array("cube", shape=(3, 4, 4), chunks=(1, 2, 2), dtype="u1", fill_value=0)
    cube[:] = 1
    root.create_group("old")
    before = repo.commit("before")
    img[0:10, 0:20] = 2.0  # modified (0, 0)
    img[30:40, 40:60] = 3.0  # added (3, 2)
    repo.store.delete_sync("img/c/1/1")  # deleted (1, 1)
    line[8:] = 5  # modified (4,)
    cube[0, 0:2, 0:2] = 7
    cube[2, 0:2, 0:2] = 7
    cube[1, 2:4, 2:4] = 7
    img.attrs["units"] = "K"
    del root["old"]
    root.create_group("new")
    return repo, before


def test_heat_maps_per_array(changed, strict_json) -> None:
    repo, before = changed
    s = strict_json(views.diff_summary(repo, before))  # against the live session
    assert s["type"] == "diff_summary" and s["b"] is None and s["to_ref"].startswith("session ")
    assert s["added"] == [{"path": "new", "kind": "group"}] and s["deleted"] == [{"path": "old", "kind": "group"}]
    assert s["attributes"] == [{"path": "img", "key": "units", "old": None, "new": "K"}]
    assert s["states"] == ["unchanged", "modified", "added", "deleted", "mixed"]
    arrays = {a["path"]: a for a in s["arrays"]}
    img = arrays["img"]
    assert (img["chunks_changed"], img["added"], img["deleted"], img["modified"]) == (3, 1, 1, 1)
    hm = img["heatmap"]
    assert hm["grid"] == [4, 3] and hm["shape"] == [4, 3] and not hm["binned"] and hm["chunks_per_cell"] == 1
    assert hm["state"] == [[M, U, U], [U, D, U], [U, U, U], [U, U, A]]
    assert hm["changed"] == [[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 1]]
    line = arrays["line"]["heatmap"]
    assert line["shape"] == [1, 5] and line["state"] == [[U, U, U, U, M]] and line["dims"] == [0]
    cube = arrays["cube"]["heatmap"]  # the first dimension is reduced: cells count along it
    assert cube["dims"] == [1, 2] and cube["reduced"] == [0] and cube["chunks_per_cell"] == 3
    assert cube["changed"] == [[2, 0], [0, 1]] and cube["state"] == [[M, U], [U, M]]
    # A cell standing for several chunks names its first changed one (not the unchanged [1, 0, 0]).
    assert cube["first"] == [[0, 0, [0, 0, 0]], [1, 1, [1, 1, 1]]]
    assert hm["first"] == [[0, 0, [0, 0]], [1, 1, [1, 1]], [3, 2, [3, 2]]]
    assert line["first"] == [[0, 4, [4]]]
    other = views.diff_summary(repo, before, dims={"cube": [0, 2]})["arrays"]
    assert next(a for a in other if a["path"] == "cube")["heatmap"]["changed"] == [[1, 0], [0, 1], [1, 0]]


def test_large_grids_are_binned_and_states_mix(changed) -> None:
    repo, before = changed
    small = {a["path"]: a["heatmap"] for a in views.diff_summary(repo, before, max_side=2)["arrays"]}
    img = small["img"]
    assert img["binned"] and img["bin"] == [2, 2] and img["shape"] == [2, 2] and img["chunks_per_cell"] == 4
    assert img["state"] == [[X, U], [U, A]] and img["changed"] == [[2, 0], [0, 1]]
    assert img["first"] == [[0, 0, [0, 0]], [1, 1, [3, 2]]]
    assert small["line"]["bin"] == [3] and small["line"]["shape"] == [1, 2]


def test_committed_diffs_and_moves(changed) -> None:
    repo, before = changed
    after = repo.commit("after")
    repo.move("img", "picture")
    moved = repo.commit("move")
    s = views.diff_summary(repo, before, "main")
    assert s["b"] == "main" and {"old_path": "img", "new_path": "picture"} in s["moved"]
    pic = next(a for a in s["arrays"] if a["path"] == "picture")
    assert pic["old_path"] == "img" and pic["heatmap"]["state"][3][2] == A
    assert views.diff_summary(repo, after, moved)["arrays"] == []
    with pytest.raises(InvalidSelectionError):
        views.diff_summary(repo, before, "main", dims={"cube": [0, 5]})


def test_chunk_detail_reads_one_chunk_on_each_side(changed, strict_json) -> None:
    repo, before = changed
    d = strict_json(views.chunk_detail(repo, before, None, "img", [0, 0]))
    assert d["type"] == "chunk_detail" and d["key"] == "c/0/0" and d["coords"] == [0, 0]
    assert d["a"]["exists"] and d["a"]["shape"] == [10, 20] and d["a"]["mean"] == 1.0
    assert d["b"]["min"] == d["b"]["max"] == 2.0 and d["b"]["stored_bytes"] > 0
    gone = views.chunk_detail(repo, before, None, "img", [1, 1])
    assert gone["a"]["exists"] and not gone["b"]["exists"] and gone["b"]["nan_count"] == 200
    assert gone["b"]["min"] is None
    new = views.chunk_detail(repo, before, None, "img", (3, 2))
    assert not new["a"]["exists"] and new["b"]["mean"] == 3.0
    for bad in ([0], [9, 9], [-1, 0], "0,0"):
        with pytest.raises(InvalidSelectionError):
            views.chunk_detail(repo, before, None, "img", bad)
    with pytest.raises(NodeNotFoundError):
        views.chunk_detail(repo, before, None, "nothing", [0])
    with pytest.raises(NotAnArrayError):
        views.chunk_detail(repo, before, None, "", [0])
