"""DiffPanel without a browser: diff requests through a recording comm, replies checked against the views."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("anywidget")

from arraylake_nb import views
from arraylake_nb.errors import RefNotFoundError
from arraylake_nb.widgets import DiffPanel
from arraylake_nb.widgets.diff_panel import diff_actions

from .conftest import request


@pytest.fixture
def branches(repo):
    """main: a 3-D array and a group; experiment: two chunks rewritten, an attribute, a group moved."""
    t = repo.root_group.create(name="sst", shape=(4, 6, 8), chunks=(2, 3, 4), dtype="f4")
    t[:] = 1.0
    repo.root_group.create_group("old").create(name="x", shape=4, chunks=2, dtype="i4")[:] = 7
    repo.commit("First")
    repo.new_branch("experiment")
    repo.checkout("experiment")
    t = repo.root_group["sst"]
    t[0:2, 0:3, :] = 5.0
    t.attrs["units"] = "K"
    repo.move("old", "new")
    repo.commit("Experiment")
    return repo


def test_traits_reprs_and_fallback(branches):
    panel = DiffPanel(branches, "main", "experiment")
    assert repr(panel) == "DiffPanel(repo='earthmover/ocean', a='main', b='experiment')"
    assert repr(DiffPanel(branches, "main")) == "DiffPanel(repo='earthmover/ocean', a='main', b=None)"
    assert panel.a == "main" and panel.b == "experiment" and panel.repo_name == "earthmover/ocean"
    assert {r["name"] for r in panel.refs} == {"main", "experiment"}
    data, _ = panel._repr_mimebundle_()
    assert data["text/plain"] == repr(panel)
    fallback = data["text/html"]
    assert "<code>/old</code> → <code>/new</code>" in fallback and "units" in fallback and "/sst" in fallback
    assert "2 changed" in fallback


def test_bad_arguments_raise_in_the_cell(branches):
    with pytest.raises(TypeError):
        DiffPanel("not a repo", "main")
    with pytest.raises(RefNotFoundError):
        DiffPanel(branches, "nope")
    with pytest.raises(TypeError):
        DiffPanel(branches, "main", 3)


def test_summary_and_chunk_detail_replies(branches):
    panel = DiffPanel(branches, "main", "experiment")
    reply, buffers = request(panel, "diff_summary", a="main", b="experiment")
    assert reply["ok"] and buffers == []
    assert reply["result"] == views.diff_summary(branches, "main", "experiment")
    (sst,) = [x for x in reply["result"]["arrays"] if x["path"] == "sst"]
    assert sst["heatmap"]["dims"] == [1, 2] and sst["heatmap"]["state"] == [[1, 1], [0, 0]]
    # The axis picker: rows and columns of the heat map along grid dims 0 and 1.
    reply, _ = request(panel, "diff_summary", a="main", b="experiment", dims={"sst": [0, 1]})
    (sst,) = [x for x in reply["result"]["arrays"] if x["path"] == "sst"]
    assert sst["heatmap"]["dims"] == [0, 1] and sst["heatmap"]["changed"] == [[2, 0], [0, 0]]
    # A click on a cell: the chunk key and its old and new values.
    reply, _ = request(panel, "chunk_detail", a="main", b="experiment", path="sst", coords=[0, 0, 1])
    assert reply["ok"] and reply["result"]["key"] == "c/0/0/1"
    assert reply["result"]["a"]["mean"] == 1.0 and reply["result"]["b"]["mean"] == 5.0


def test_against_the_session(branches):
    branches.root_group["sst"][3, 5, 7] = np.nan
    panel = DiffPanel(branches, "experiment")
    reply, _ = request(panel, "diff_summary", a="experiment", b=None)
    assert reply["ok"] and reply["result"]["b"] is None
    (sst,) = reply["result"]["arrays"]
    assert sst["chunks_changed"] == 1 and sst["heatmap"]["state"][1][1] == 1
    reply, _ = request(panel, "chunk_detail", a="experiment", b=None, path="sst", coords=[1, 1, 1])
    assert reply["result"]["b"]["nan_count"] == 1 and reply["result"]["a"]["nan_count"] == 0


def test_errors_leave_the_repository_unchanged(branches):
    panel = DiffPanel(branches, "main", "experiment")
    before = (branches.get_commit("main").id, branches.get_commit("experiment").id, branches.status().to_json())
    reply, _ = request(panel, "diff_summary", a="nope", b="main")
    assert not reply["ok"] and reply["error"]["type"] == "RefNotFoundError" and "nope" in reply["error"]["message"]
    reply, _ = request(panel, "diff_summary", a="", b="main")
    assert not reply["ok"] and reply["error"]["type"] == "TypeError"
    reply, _ = request(panel, "diff_summary", a="main", b="experiment", dims={"sst": [0, 9]})
    assert not reply["ok"] and reply["error"]["type"] == "InvalidSelectionError"
    reply, _ = request(panel, "chunk_detail", a="main", b="experiment", path="nothing", coords=[0])
    assert not reply["ok"] and reply["error"]["type"] == "NodeNotFoundError"
    reply, _ = request(panel, "chunk_detail", a="main", b="experiment", path="sst", coords=[0, -1, 0])
    assert not reply["ok"] and reply["error"]["type"] == "InvalidSelectionError"
    after = (branches.get_commit("main").id, branches.get_commit("experiment").id, branches.status().to_json())
    assert after == before


def test_cancel_before_it_runs(branches, monkeypatch):
    panel = DiffPanel(branches, "main", "experiment")
    ran = []
    monkeypatch.setattr(panel, "_run", lambda rid: ran.append(rid))  # hold requests as a busy kernel would
    panel._handle_msg({"content": {"data": {"method": "custom", "content": {"type": "diff_summary", "id": "r1", "a": "main", "b": None}}}, "buffers": []})
    panel._handle_msg({"content": {"data": {"method": "custom", "content": {"type": "cancel", "id": "r1"}}}, "buffers": []})
    (reply,) = [c for c, _ in panel.comm.replies() if c["id"] == "r1"]
    assert reply["cancelled"] and not reply["ok"]
    assert "r1" not in panel._queued


def test_diff_actions_plug_into_another_panel(branches):
    actions = diff_actions(branches)
    assert set(actions) == {"diff_summary", "chunk_detail"}
    assert actions["diff_summary"]({"a": "main", "b": "experiment"}) == views.diff_summary(branches, "main", "experiment")
