"""TreePanel without a browser: front-end messages fed through ``_handle_msg``, replies (and buffers) recorded."""

from __future__ import annotations

import numpy as np
import pytest

from arraylake_nb import views
from arraylake_nb.widgets import TreePanel

from .conftest import request


@pytest.fixture
def ocean(repo):
    g = repo.root_group.create_group("atlantic")
    t = g.create(name="temperature", shape=(6, 8), chunks=(3, 4), dtype="f4")
    t[:] = np.arange(48, dtype="f4").reshape(6, 8)
    t.attrs["units"] = "degC"
    first = repo.commit("First data")
    repo.tag("v1", first)
    g.create(name="salinity", shape=10, chunks=5, dtype="f8")
    repo.root_group.create_group("pacific")
    repo.commit("More")
    return first


def test_traits_and_reprs(repo, ocean):
    panel = TreePanel(repo)
    assert repr(panel) == "TreePanel(repo='earthmover/ocean')"
    assert repr(TreePanel(repo, ref="v1")) == "TreePanel(repo='earthmover/ocean', ref='v1')"
    assert panel.repo_name == "earthmover/ocean" and panel.ref == ""
    assert {"kind": "branch", "name": "main", "commit_id": repo.get_commit("main").id} in panel.refs
    assert {"kind": "tag", "name": "v1", "commit_id": ocean} in panel.refs
    data, _ = panel._repr_mimebundle_()
    assert data["text/plain"] == repr(panel)
    assert "atlantic" in data["text/html"] and "pacific" in data["text/html"]
    with pytest.raises(TypeError):
        TreePanel("not a repo")


def test_children_root_nested_and_at_older_refs(repo, ocean):
    panel = TreePanel(repo)
    reply, buffers = request(panel, "children", ref="main", path="")
    assert reply["ok"] and buffers == []
    assert reply["result"] == views.children(repo, "main", "")
    assert [c["name"] for c in reply["result"]["children"]] == ["atlantic", "pacific"]
    nested, _ = request(panel, "children", ref="main", path="atlantic")
    assert [c["name"] for c in nested["result"]["children"]] == ["salinity", "temperature"]
    # The tag and the first commit show the older tree.
    for old in ("v1", ocean):
        top, _ = request(panel, "children", ref=old, path="")
        assert [c["name"] for c in top["result"]["children"]] == ["atlantic"]
        inner, _ = request(panel, "children", ref=old, path="atlantic")
        assert [c["name"] for c in inner["result"]["children"]] == ["temperature"]
    # ref null or "": the checkout.
    checkout, _ = request(panel, "children", ref=None, path="")
    assert checkout["result"] == views.children(repo, None, "")


def test_node_info_of_an_array(repo, ocean):
    panel = TreePanel(repo)
    reply, _ = request(panel, "node_info", ref="main", path="atlantic/temperature")
    assert reply["ok"]
    info = reply["result"]
    assert info == views.node_info(repo, "main", "atlantic/temperature")
    assert info["attributes"] == {"units": "degC"}
    assert info["array"]["shape"] == [6, 8] and info["array"]["chunk_grid"] == [2, 2]
    assert info["array"]["chunks_stored"] == 4 and info["array"]["chunks_total"] == 4


def test_preview_reply_carries_one_buffer(repo, ocean):
    panel = TreePanel(repo)
    reply, buffers = request(panel, "preview", ref="main", path="atlantic/temperature", selection={})
    assert reply["ok"]
    header, data = views.preview(repo, "main", "atlantic/temperature", {})
    assert reply["result"] == header
    assert len(buffers) == 1 and len(buffers[0]) == 6 * 8 * 4
    assert bytes(buffers[0]) == data
    values = np.frombuffer(bytes(buffers[0]), dtype="<f4").reshape(6, 8)
    assert values[5, 7] == 47.0
    # A 1-D line, and a selection passed through.
    line, buffers = request(panel, "preview", ref="main", path="atlantic/salinity", selection=None)
    assert line["ok"] and line["result"]["kind"] == "line" and len(buffers[0]) == 10 * 4


def test_errors_come_back_with_class_and_message(repo, ocean):
    panel = TreePanel(repo)
    reply, _ = request(panel, "children", ref="nope", path="")
    assert not reply["ok"] and reply["error"]["type"] == "RefNotFoundError" and "nope" in reply["error"]["message"]
    reply, buffers = request(panel, "preview", ref="main", path="atlantic", selection={})
    assert not reply["ok"] and reply["error"]["type"] == "NotAnArrayError" and buffers == []
    reply, _ = request(panel, "node_info", ref="v1", path="pacific")
    assert not reply["ok"] and reply["error"]["type"] == "NodeNotFoundError"
    reply, _ = request(panel, "preview", ref="main", path="atlantic/temperature", selection={"index": {"0": 99}})
    assert not reply["ok"] and reply["error"]["type"] == "InvalidSelectionError"
    reply, _ = request(panel, "children", ref="main", path=3)
    assert not reply["ok"] and reply["error"]["type"] == "TypeError"


def test_array_history_lists_the_commits_that_changed_it(repo, ocean):
    panel = TreePanel(repo)
    repo.root_group["atlantic/temperature"][0, 0] = -1.0
    third = repo.commit("Fix a cell")
    reply, _ = request(panel, "array_history", ref="main", path="atlantic/temperature")
    assert reply["ok"] and [v["commit_id"] for v in reply["result"]["versions"]] == [third, ocean]
    at_tag, _ = request(panel, "array_history", ref="v1", path="atlantic/temperature")
    assert [v["commit_id"] for v in at_tag["result"]["versions"]] == [ocean]
    group, _ = request(panel, "array_history", ref="main", path="atlantic")
    assert not group["ok"] and group["error"]["type"] == "NotAnArrayError"
