"""views.commit_details and views.array_history (with preview and node_info at each of its commits)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from arraylake_nb import views
from arraylake_nb.errors import NodeNotFoundError, NotAnArrayError, RefNotFoundError


def test_commit_details(repo, strict_json) -> None:
    g = repo.root_group.create_group("g")
    t = g.create_array("t", shape=(4,), chunks=(2,), dtype="f4", fill_value=0)
    t[:] = 0.5  # (moves are recognised by the chunks that travel)
    g.create_group("gone")
    first = repo.commit("first\n\nwith a body")
    t[:] = 1
    t.attrs["units"] = "K"
    del repo.root_group["g/gone"]
    repo.move("g", "h")
    second = repo.commit("second", metadata={
        "cell": "t[:] = 1\n", "notebook": "work.ipynb", "params": {"eps": float("nan")},
    })
    repo.tag("v2", message="release")
    d = strict_json(views.commit_details(repo, second[:8]))
    assert d["type"] == "commit_details" and d["id"] == second and d["short_id"] == second[:8]
    assert d["parents"] == [first] and d["message"] == "second" and d["author_name"] == "Ada Lovelace"
    assert d["time"].endswith("Z") and d["time_ts"] > 0
    assert d["refs"] == [{"kind": "branch", "name": "main", "current": True},
                         {"kind": "tag", "name": "v2", "current": False, "message": "release"}]
    assert d["provenance"] == {"notebook": "work.ipynb", "cell": "t[:] = 1\n"}
    assert d["metadata"] == {"params": {"eps": "NaN"}}
    c = d["changes"]
    assert c["empty"] is False and c["deleted"] == [{"path": "g/gone", "kind": "group"}]
    assert {"old_path": "g/t", "new_path": "h/t"} in c["moved"]
    assert c["attributes"] == [{"path": "h/t", "key": "units", "old": None, "new": "K"}]
    assert c["arrays"] == [{"path": "h/t", "chunks_changed": 2}]
    root = views.commit_details(repo, first)
    assert root["parents"] == [] and root["provenance"] is None and root["refs"] == []
    assert {"path": "g/t", "kind": "array"} in root["changes"]["added"] and root["message"] == "first\n\nwith a body"
    with pytest.raises(RefNotFoundError):
        views.commit_details(repo, "ffffffff")


def test_array_history_drives_time_travel(repo, strict_json) -> None:
    t = repo.root_group.create_array("t", shape=(2, 3), chunks=(1, 3), dtype="i4", fill_value=0)
    created = repo.commit("create")
    t[0] = [1, 2, 3]
    wrote = repo.commit("write row 0")
    repo.root_group.attrs["other"] = True
    repo.commit("unrelated")
    t.resize((3, 3))
    t[2] = 9
    grew = repo.commit("grow")
    repo.new_branch("exp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout("exp")
    repo.root_group["t"].attrs["note"] = "experiment"
    exp = repo.commit("on exp")

    h = strict_json(views.array_history(repo, "t", "main"))
    assert h["type"] == "array_history" and h["ref"] == "main" and h["path"] == "t"
    assert [v["commit_id"] for v in h["versions"]] == [grew, wrote, created]
    assert [v["shape"] for v in h["versions"]] == [[3, 3], [2, 3], [2, 3]]
    assert h["versions"][0]["metadata_changed"] and h["versions"][0]["chunks_changed"] == 1
    assert h["versions"][2]["created"] and h["versions"][1]["message"] == "write row 0"
    assert views.array_history(repo, "t", None)["versions"][0]["commit_id"] == exp
    # Every stop of the slider previews and describes the array as it was.
    frames = []
    for v in h["versions"]:
        header, data = views.preview(repo, v["commit_id"], "t")
        assert header["shape"] == v["shape"]
        frames.append(np.frombuffer(data, "<f4").reshape(header["shape"]).tolist())
        assert views.node_info(repo, v["commit_id"], "t")["array"]["shape"] == v["shape"]
    assert frames == [[[1, 2, 3], [0, 0, 0], [9, 9, 9]], [[1, 2, 3], [0, 0, 0]], [[0, 0, 0], [0, 0, 0]]]


def test_array_history_errors(repo) -> None:
    repo.root_group.create_group("g")
    repo.commit("group")
    with pytest.raises(NotAnArrayError, match="views.children"):
        views.array_history(repo, "g")
    with pytest.raises(NodeNotFoundError, match="No commit in the history of 'main'"):
        views.array_history(repo, "nothing")
    with pytest.raises(RefNotFoundError):
        views.array_history(repo, "g", "nope")
