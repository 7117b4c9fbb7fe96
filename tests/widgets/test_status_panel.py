"""StatusPanel without a browser: front-end messages fed through ``_handle_msg``, replies recorded."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest

pytest.importorskip("anywidget")

from arraylake_nb.widgets import StatusPanel
from arraylake_nb.widgets._base import Panel, refresh_live_panels

from .conftest import front_end
from .conftest import request as comm_request


def request(panel: StatusPanel, kind: str, **payload) -> dict:
    return comm_request(panel, kind, **payload)[0]


@pytest.fixture
def temperature(repo):
    arr = repo.root_group.create_group("atlantic").create(name="temperature", shape=20, chunks=10, dtype="f4")
    arr[:] = 1.0
    repo.commit("First data")
    return arr


def test_initial_state_and_reprs(repo, temperature):
    panel = StatusPanel(repo)
    assert repr(panel) == "StatusPanel(repo='earthmover/ocean')"
    assert panel.repo_name == "earthmover/ocean"
    assert panel.status["type"] == "session_status" and panel.status["total"] == 0
    assert panel.status["session"]["branch"] == "main"
    assert panel.status["session"]["base_commit"] == repo.session.base_commit
    assert panel.problem is None
    # The widget view stays; without a widget front end the display layer's HTML shows.
    data, _ = panel._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == "StatusPanel(repo='earthmover/ocean')"
    assert data["text/html"] == __import__("arraylake_nb").display.html(repo.status(limit=200))
    # The front end is the built bundle, not the "not built" stand-in.
    assert "not built" not in panel._esm


def test_commit_from_the_panel_lands(repo, temperature):
    panel = StatusPanel(repo)
    temperature[:10] = 2.0
    refresh_live_panels()
    assert panel.status["total"] == 1
    assert [(n["path"], n["chunks_written"]) for n in panel.status["nodes"]] == [("atlantic/temperature", 1)]

    reply = request(panel, "commit", message="  Warmer  ")
    assert reply["ok"], reply
    assert repo.commit_log[0].message == "Warmer"
    assert reply["result"]["commit_id"] == repo.commit_log[0].id
    # The panel followed the commit: new session, nothing left to commit.
    assert panel.status["total"] == 0
    assert panel.status["session"]["base_commit"] == reply["result"]["commit_id"]
    np.testing.assert_array_equal(repo.root_group.atlantic.temperature[:10], 2.0)


def test_commit_needs_a_message(repo, temperature):
    panel = StatusPanel(repo)
    temperature[:] = 3.0
    reply = request(panel, "commit", message="   ")
    assert not reply["ok"] and reply["error"]["type"] == "ValueError"
    assert len(repo.commit_log) == 1 and repo.status().total == 2  # nothing changed (two chunks written)


def test_abandon_discards_and_starts_a_new_session(repo, temperature):
    panel = StatusPanel(repo)
    old = repo.session.id
    temperature[:] = 5.0
    refresh_live_panels()
    assert panel.status["total"] == 2
    reply = request(panel, "abandon")
    assert reply["ok"] and reply["result"]["abandoned"] == old
    assert repo.session.id != old and repo.session.branch == "main"
    assert repo.status().total == 0 and panel.status["total"] == 0
    assert panel.status["session"]["id"] == repo.session.id
    np.testing.assert_array_equal(repo.root_group.atlantic.temperature[:], 1.0)


def test_fast_forward_and_conflict(client, repo, temperature):
    panel = StatusPanel(repo)
    other = client.get_repo("earthmover/ocean")
    other.root_group.attrs["title"] = "upstream"
    tip = other.commit("Upstream title")

    reply = request(panel, "fast_forward")
    assert reply["ok"] and reply["result"]["base_commit"] == tip
    assert panel.status["session"]["base_commit"] == tip

    # Both sides change the same chunk: the commit is refused, naming the path; the session stays.
    other.root_group.atlantic.temperature[:10] = 7.0
    other.commit("Upstream data")
    temperature[:10] = 8.0
    session = repo.session.id
    reply = request(panel, "commit", message="Mine")
    assert not reply["ok"]
    assert reply["error"]["type"] == "ConflictError"
    assert any("atlantic/temperature" in p for p in reply["error"]["paths"])
    assert reply["error"]["message"]  # says what to do
    assert repo.session.id == session and repo.status().total == 1  # kernel not half-changed
    assert panel.status["total"] == 1


def test_unknown_request_and_refresh(repo, temperature):
    panel = StatusPanel(repo)
    assert request(panel, "explode")["error"]["type"] == "UnknownRequest"
    assert request(panel, "refresh") == {"type": "reply", "id": [r for r, _ in panel.comm.replies()][-1]["id"], "ok": True, "result": False}


def test_updates_are_sent_only_when_the_status_changes(repo, temperature):
    panel = StatusPanel(repo)
    panel.comm.sent.clear()
    refresh_live_panels()
    refresh_live_panels()
    assert panel.comm.updates() == []  # nothing changed, nothing sent
    temperature[10:] = 9.0
    refresh_live_panels()
    (update,) = panel.comm.updates()
    assert update["status"]["total"] == 1


def test_live_update_after_a_cell(repo, temperature):
    from IPython.testing.globalipapp import get_ipython

    shell = get_ipython()
    panel = StatusPanel(repo)
    assert shell in Panel._hooked_shells
    shell.user_ns["panel_repo"] = repo
    try:
        shell.run_cell("panel_repo.root_group.atlantic.temperature[:] = 4.0")
        assert panel.status["total"] == 2
        shell.run_cell("panel_repo.commit('From a cell')")
        assert panel.status["total"] == 0
        assert panel.status["session"]["base_commit"] == repo.commit_log[0].id
    finally:
        shell.user_ns.pop("panel_repo", None)
        panel.close()


async def test_cancel_before_start(repo, temperature):
    panel = StatusPanel(repo)
    temperature[:] = 6.0
    # In a kernel (a running event loop) a request runs after the message that brought it,
    # so a cancel right behind it drops it.
    front_end(panel, {"type": "commit", "id": "r1", "message": "Never"})
    front_end(panel, {"type": "cancel", "id": "r1"})
    await asyncio.sleep(0.01)
    (reply,) = [r for r, _ in panel.comm.replies()]
    assert reply["cancelled"] and not reply["ok"]
    assert len(repo.commit_log) == 1 and repo.status().total == 2
    # A cancel for a request already answered changes nothing.
    front_end(panel, {"type": "commit", "id": "r2", "message": "Kept"})
    await asyncio.sleep(0.01)
    front_end(panel, {"type": "cancel", "id": "r2"})
    assert [r for r, _ in panel.comm.replies()][-1]["ok"] and repo.commit_log[0].message == "Kept"


def test_closed_session_is_shown_with_a_way_on(repo, temperature):
    import datetime as dt
    import time

    panel = StatusPanel(repo)
    temperature[:] = 6.0
    repo.session.abandon()  # from a cell, without a new checkout
    refresh_live_panels()
    assert panel.status["session_closed"] == "abandoned"
    reply = request(panel, "commit", message="Too late")
    assert not reply["ok"] and reply["error"]["type"] == "SessionAbandonedError"
    assert "checkout" in reply["error"]["message"]  # says what to do

    reply = request(panel, "new_session")
    assert reply["ok"] and reply["result"]["checkout"] == "main"
    assert panel.status["session_closed"] is None and panel.status["total"] == 0

    temperature[:] = 7.0
    repo.session.update_expiration(dt.timedelta(seconds=0.01))
    time.sleep(0.05)
    refresh_live_panels()
    assert panel.status["session_closed"] == "expired"
    reply = request(panel, "commit", message="Expired")
    assert reply["error"]["type"] == "SessionExpiredError" and "repo.checkout()" in reply["error"]["message"]
    assert len(repo.commit_log) == 1


def test_problem_when_there_is_no_checkout(client, repo):
    bare = client.get_repo("earthmover/ocean", checkout=False)
    panel = StatusPanel(bare)
    assert panel.status is None
    assert panel.problem["type"] == "SessionError" and "checkout()" in panel.problem["message"]
    data, _ = panel._repr_mimebundle_()
    assert "StatusPanel(repo=" in data["text/html"]


def test_magic_shows_the_panel(repo):
    from IPython.testing.globalipapp import get_ipython

    from arraylake_nb.notebook import use_repo

    shell = get_ipython()
    shell.run_line_magic("load_ext", "arraylake_nb")
    use_repo(repo)
    try:
        panel = shell.run_line_magic("arraylake", "panel status")
        assert isinstance(panel, StatusPanel) and panel.repo is repo
    finally:
        use_repo(None)
