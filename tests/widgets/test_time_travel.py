"""TimeTravel without a browser: history, previews at each commit and checkout through a recording comm."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("anywidget")

from arraylake_nb import views
from arraylake_nb.errors import NodeNotFoundError, NotAnArrayError, NotOnBranchError
from arraylake_nb.widgets import StatusPanel, TimeTravel

from .conftest import request


@pytest.fixture
def commits(repo):
    """sst written three times (values, then more values, then an attribute); one commit not touching it."""
    sst = repo.root_group.create(name="sst", shape=(6, 8), chunks=(3, 4), dtype="f4", fill_value=0)
    sst[:] = 0.0
    ids = [repo.commit("Zeros")]
    sst[:3, :4] = 1.0
    ids.append(repo.commit("A warm corner"))
    repo.root_group.create_group("other").create(name="y", shape=2, chunks=2, dtype="i4")[:] = 1
    repo.commit("Unrelated")
    sst.attrs["units"] = "degC"
    ids.append(repo.commit("Units"))
    return ids


def test_traits_reprs_and_fallback(repo, commits):
    panel = TimeTravel(repo, "sst")
    assert repr(panel) == "TimeTravel(repo='earthmover/ocean', path='sst', ref='main')"
    assert repr(TimeTravel(repo)) == "TimeTravel(repo='earthmover/ocean', ref='main')"
    assert panel.checkout == {"branch": "main", "commit_id": repo.get_commit("main").id, "writable": True}
    data, _ = panel._repr_mimebundle_()
    assert data["text/plain"] == repr(panel)
    html = data["text/html"]
    assert "3 commit(s) changed it" in html and "A warm corner" in html and "Unrelated" not in html
    picker, _ = TimeTravel(repo)._repr_mimebundle_()
    assert "<code>/sst</code>" in picker["text/html"] and "<code>/other/y</code>" in picker["text/html"]


def test_bad_arguments_raise_in_the_cell(repo, commits):
    with pytest.raises(NodeNotFoundError):
        TimeTravel(repo, "nothing")
    with pytest.raises(NotAnArrayError):
        TimeTravel(repo, "other")
    with pytest.raises(TypeError):
        TimeTravel(repo, 3)


def test_arrays_history_and_a_preview_per_commit(repo, commits):
    panel = TimeTravel(repo)
    reply, _ = request(panel, "arrays", ref="main")
    assert reply["ok"] and reply["result"]["arrays"] == ["other/y", "sst"]
    reply, _ = request(panel, "array_history", ref="main", path="sst")
    assert reply["ok"] and reply["result"] == views.array_history(repo, "sst", "main")
    assert [v["commit_id"] for v in reply["result"]["versions"]] == commits[::-1]
    # The slider's steps: each commit's preview shows the array as it was then.
    sums = []
    for commit in commits:
        preview, buffers = request(panel, "preview", ref=commit, path="sst", selection={})
        assert preview["ok"] and len(buffers) == 1
        sums.append(float(np.frombuffer(bytes(buffers[0]), dtype="<f4").sum()))
        info, _ = request(panel, "node_info", ref=commit, path="sst")
        assert info["result"]["array"]["shape"] == [6, 8]
    assert sums == [0.0, 12.0, 12.0]
    info, _ = request(panel, "node_info", ref=commits[-1], path="sst")
    assert info["result"]["attributes"] == {"units": "degC"}


def test_checkout_moves_the_kernels_repo_and_refreshes_panels(repo, commits):
    panel = TimeTravel(repo, "sst")
    status = StatusPanel(repo)
    reply, _ = request(panel, "checkout", commit_id=commits[1])
    assert reply["ok"], reply
    assert reply["result"]["commit_id"] == commits[1]
    assert repo.session.base_commit == commits[1] and repo.session.branch is None
    assert panel.checkout == {"branch": None, "commit_id": commits[1], "writable": False}
    assert any("Read-only" in n for n in reply["result"]["notices"])
    # The live panels followed: the StatusPanel shows the detached checkout.
    assert status.status["session"]["base_commit"] == commits[1] and status.status["session"]["branch"] is None
    with pytest.raises(NotOnBranchError):
        repo.root_group["sst"][0, 0] = 9.0
    # The slider still reaches the newer commits: the history follows main, not the checkout.
    reply, _ = request(panel, "array_history", ref=panel.ref, path="sst")
    assert len(reply["result"]["versions"]) == 3


def test_errors_leave_the_repository_unchanged(repo, commits):
    panel = TimeTravel(repo, "sst")
    where = (repo.session.branch, repo.session.base_commit)
    for payload, kind in (
        ({"commit_id": "ffffffffffff"}, "RefNotFoundError"),
        ({"commit_id": ""}, "TypeError"),
        ({"commit_id": 5}, "TypeError"),
    ):
        reply, _ = request(panel, "checkout", **payload)
        assert not reply["ok"] and reply["error"]["type"] == kind, reply
    reply, _ = request(panel, "array_history", ref="main", path="other")
    assert not reply["ok"] and reply["error"]["type"] == "NotAnArrayError"
    reply, _ = request(panel, "array_history", ref="nope", path="sst")
    assert not reply["ok"] and reply["error"]["type"] == "RefNotFoundError"
    reply, buffers = request(panel, "preview", ref=commits[0], path="nothing")
    assert not reply["ok"] and reply["error"]["type"] == "NodeNotFoundError" and buffers == []
    assert (repo.session.branch, repo.session.base_commit) == where
    assert panel.checkout["branch"] == "main"


def test_a_cancelled_checkout_changes_nothing(repo, commits, monkeypatch):
    panel = TimeTravel(repo, "sst")
    held = []
    monkeypatch.setattr(panel, "_run", held.append)  # a busy kernel: the request waits
    msg = {"type": "checkout", "id": "c1", "commit_id": commits[0]}
    panel._handle_msg({"content": {"data": {"method": "custom", "content": msg}}, "buffers": []})
    panel._handle_msg({"content": {"data": {"method": "custom", "content": {"type": "cancel", "id": "c1"}}}, "buffers": []})
    monkeypatch.undo()
    for rid in held:
        panel._run(rid)  # the kernel gets to it: already dropped
    (reply,) = [c for c, _ in panel.comm.replies() if c["id"] == "c1"]
    assert reply["cancelled"]
    assert repo.session.branch == "main" and repo.session.base_commit == commits[-1]
