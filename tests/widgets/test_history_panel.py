"""HistoryPanel without a browser: front-end messages fed through ``_handle_msg``, replies recorded,
and each action's effect checked on the repository itself."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

pytest.importorskip("anywidget")

from arraylake_nb import views
from arraylake_nb.errors import ReadOnlyError
from arraylake_nb.widgets import HistoryPanel, StatusPanel
from arraylake_nb.widgets._base import refresh_live_panels

from .conftest import request


@pytest.fixture
def two_branches(repo):
    """main: 4 commits; dev (from main's 2nd commit): 3 commits. Returns the commit ids by name."""
    ids = {}
    g = repo.root_group
    for i in range(1, 5):
        g.attrs["step"] = i
        ids[f"main{i}"] = repo.commit(f"main step {i}")
        if i == 2:
            repo.new_branch("dev")
    repo.checkout("dev")
    for i in range(1, 4):
        g.attrs["dev"] = i
        ids[f"dev{i}"] = repo.commit(f"dev work {i}")
    repo.checkout("main")
    return ids


def test_traits_and_reprs(repo, two_branches):
    panel = HistoryPanel(repo)
    assert repr(panel) == "HistoryPanel(repo='earthmover/ocean')"
    assert panel.repo_name == "earthmover/ocean"
    assert panel.checkout["branch"] == "main" and panel.checkout["head"] == two_branches["main4"]
    assert panel.checkout["last_branch"] == "main" and panel.checkout["for_writing"] is True
    assert {"kind": "branch", "name": "dev", "commit_id": two_branches["dev3"]} in panel.refs
    assert panel.compare is None and panel.problem is None and panel.version == 1
    with pytest.raises(TypeError, match="Repo"):
        HistoryPanel("not a repo")


def test_html_fallback_lists_the_newest_commits_as_text(repo, two_branches):
    repo.root_group.attrs["x"] = 1
    repo.commit("<script>alert(1)</script> & more")
    data, _ = HistoryPanel(repo)._repr_mimebundle_()
    assert data["text/plain"] == "HistoryPanel(repo='earthmover/ocean')"
    page = data["text/html"]
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert page.count("<li>") == 8  # every commit of both branches (fewer than 10)
    assert "dev work 3" in page and "main step 1" in page and "(main)" in page and "(dev)" in page
    assert "UTC" in page and "on main" in page


def test_pages_are_the_views_pages(repo, two_branches):
    panel = HistoryPanel(repo)
    reply, _ = request(panel, "page", offset=0, limit=3, search=None)
    assert reply["ok"] and reply["result"] == views.history_page(repo, 0, 3)
    first = reply["result"]
    assert first["total"] == 7 and len(first["rows"]) == 3 and first["incoming"] == []
    second, _ = request(panel, "page", offset=3, limit=3)
    assert [r["id"] for r in second["result"]["rows"]] == [r["id"] for r in views.history_page(repo, 0, 7)["rows"][3:6]]
    assert second["result"]["incoming"] == first["rows"][-1]["edges"]
    # Both branches' commits are in one graph, each on its lane.
    everything = views.history_page(repo, 0, 7)["rows"]
    assert {r["id"] for r in everything} == set(two_branches.values())
    assert len({r["lane"] for r in everything}) == 2
    bad, _ = request(panel, "page", offset=-1, limit=3)
    assert not bad["ok"] and bad["error"]["type"] == "InvalidSelectionError"


def test_search_by_message_and_author(repo, two_branches):
    panel = HistoryPanel(repo)
    reply, _ = request(panel, "page", offset=0, limit=100, search="DEV WORK")
    rows = reply["result"]["rows"]
    assert reply["result"]["total"] == 3 and [r["message"] for r in rows] == ["dev work 3", "dev work 2", "dev work 1"]
    assert all(r["edges"] == [] for r in rows)
    paged, _ = request(panel, "page", offset=2, limit=1, search="dev work")
    assert [r["message"] for r in paged["result"]["rows"]] == ["dev work 1"]
    by_author, _ = request(panel, "page", offset=0, limit=100, search="ada lovelace")
    assert by_author["result"]["total"] == 7
    none, _ = request(panel, "page", offset=0, limit=100, search="nothing like this")
    assert none["result"]["total"] == 0 and none["result"]["rows"] == []


def test_a_cancelled_request_never_runs(repo, two_branches):
    panel = HistoryPanel(repo)

    def send(content):
        panel._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})

    async def scroll_past() -> None:
        # In a kernel requests run on the event loop after the message that brought them; the
        # page scrolled past and the checkout cancelled at once never start.
        send({"type": "page", "id": "p1", "offset": 0, "limit": 5})
        send({"type": "cancel", "id": "p1"})
        send({"type": "page", "id": "p2", "offset": 5, "limit": 5})
        await asyncio.sleep(0)
        await asyncio.sleep(0)

    async def cancel_checkout() -> None:
        send({"type": "checkout", "id": "c2", "commit": two_branches["main1"]})
        send({"type": "cancel", "id": "c2"})
        await asyncio.sleep(0)

    asyncio.run(scroll_past())
    replies = {r["id"]: r for r, _ in panel.comm.replies()}
    assert replies["p1"]["ok"] is False and replies["p1"]["cancelled"] is True
    assert replies["p2"]["ok"] and [r["id"] for r in replies["p2"]["result"]["rows"]] == [
        r["id"] for r in views.history_page(repo, 5, 5)["rows"]]
    asyncio.run(cancel_checkout())
    replies = {r["id"]: r for r, _ in panel.comm.replies()}
    assert replies["c2"]["cancelled"] is True
    assert repo.session.info.branch == "main"


def test_details_of_a_commit(repo, two_branches):
    panel = HistoryPanel(repo)
    reply, _ = request(panel, "details", commit=two_branches["dev2"])
    assert reply["ok"] and reply["result"] == views.commit_details(repo, two_branches["dev2"])
    assert reply["result"]["parents"] == [two_branches["dev1"]]
    missing, _ = request(panel, "details", commit="ffffffffffff")
    assert not missing["ok"] and missing["error"]["type"] == "RefNotFoundError"
    empty, _ = request(panel, "details", commit="")
    assert not empty["ok"] and "id" in empty["error"]["message"]


def test_checkout_detaches_read_only_and_back_to_branch(repo, two_branches):
    panel = HistoryPanel(repo)
    status = StatusPanel(repo)  # shown elsewhere: follows the panel's actions
    version = panel.version
    target = two_branches["main2"]
    reply, _ = request(panel, "checkout", commit=target[:10])
    assert reply["ok"], reply
    assert reply["result"]["head"] == target and reply["result"]["branch"] is None
    assert "repo.checkout('main') to write again" in reply["result"]["notice"]
    # The kernel's repo is where repo.checkout(id) puts it: that commit, read-only.
    assert repo.session.info.branch is None and repo.session.info.base_commit == target
    assert repo.root_group.attrs["step"] == 2
    with pytest.raises(ReadOnlyError):
        repo.root_group.attrs["step"] = 99
    assert panel.checkout["branch"] is None and panel.checkout["head"] == target
    assert panel.checkout["last_branch"] == "main" and panel.version == version + 1
    assert status.status["session"]["branch"] is None and status.status["session"]["base_commit"] == target
    # HEAD is labelled in the graph.
    rows = views.history_page(repo, 0, 10)["rows"]
    assert next(r for r in rows if r["id"] == target)["refs"][0] == {"kind": "head", "name": "HEAD", "current": True}

    back, _ = request(panel, "back")
    assert back["ok"] and back["result"]["branch"] == "main" and back["result"]["notice"] is None
    assert repo.session.info.branch == "main" and repo.root_group.attrs["step"] == 4
    repo.root_group.attrs["step"] = 5  # writable again
    assert panel.checkout["branch"] == "main" and status.status["session"]["branch"] == "main"
    # Back to another branch, by name; an unknown one is refused with what exists.
    repo.root_group.attrs["step"] = 4
    assert request(panel, "back", branch="dev")[0]["ok"] is False  # uncommitted changes on main
    gone, _ = request(panel, "back", branch="nope")
    assert not gone["ok"] and gone["error"]["type"] == "RefNotFoundError" and "dev, main" in gone["error"]["message"]


def test_checkout_with_uncommitted_changes_is_refused_unless_kept(repo, two_branches):
    panel = HistoryPanel(repo)
    repo.root_group.attrs["draft"] = True
    session = repo.session.info.id
    reply, _ = request(panel, "checkout", commit=two_branches["main1"])
    assert not reply["ok"] and reply["error"]["type"] == "UncommittedChangesError"
    assert "1 uncommitted change on main" in reply["error"]["message"]
    assert f"repo.join_session('{session}')" in reply["error"]["message"]
    # Nothing changed: same session, same changes.
    assert repo.session.info.id == session and repo.status().total == 1 and panel.checkout["branch"] == "main"
    kept, _ = request(panel, "checkout", commit=two_branches["main1"], keep_changes=True)
    assert kept["ok"] and repo.session.info.base_commit == two_branches["main1"]
    assert kept["result"]["kept_in_session"] == session
    repo.join_session(session)
    assert repo.root_group.attrs["draft"] is True


def test_tag_and_branch_here(repo, two_branches):
    panel = HistoryPanel(repo)
    status = StatusPanel(repo)
    version = panel.version
    reply, _ = request(panel, "tag", commit=two_branches["dev1"], name="v0.1", message="first dev")
    assert reply["ok"] and reply["result"] == {"kind": "tag", "name": "v0.1", "commit_id": two_branches["dev1"]}
    tag = next(t for t in repo.tags if t.name == "v0.1")
    assert tag.commit_id == two_branches["dev1"] and tag.message == "first dev"
    assert panel.version == version + 1
    assert {"kind": "tag", "name": "v0.1", "commit_id": two_branches["dev1"]} in panel.refs
    reply, _ = request(panel, "branch", commit=two_branches["main3"], name="fix/old")
    assert reply["ok"] and repo.get_commit("fix/old").id == two_branches["main3"]
    # The checkout did not move.
    assert repo.session.info.branch == "main" and status.status["session"]["branch"] == "main"
    page = views.history_page(repo, 0, 10)["rows"]
    labels = {r["id"]: [x["name"] for x in r["refs"]] for r in page}
    assert labels[two_branches["main3"]] == ["fix/old"] and labels[two_branches["dev1"]] == ["v0.1"]


@pytest.mark.parametrize(("kind", "name", "error"), [
    ("tag", "bad name", "InvalidNameError"),
    ("branch", "..", "InvalidNameError"),
    ("branch", "dev", "RefExistsError"),
    ("tag", "", "ValueError"),
])
def test_bad_names_are_refused_and_nothing_changes(repo, two_branches, kind, name, error):
    panel = HistoryPanel(repo)
    repo.tag("v1", two_branches["main1"])
    before = (list(repo.branches), list(repo.tags), panel.version)
    reply, _ = request(panel, kind, commit=two_branches["main2"], name=name)
    assert not reply["ok"] and reply["error"]["type"] == error
    assert reply["error"]["message"]
    assert (list(repo.branches), list(repo.tags)) == before[:2]
    taken, _ = request(panel, "tag", commit=two_branches["main2"], name="v1")
    assert taken["error"]["type"] == "RefExistsError" and "Delete it first" in taken["error"]["message"]
    unknown, _ = request(panel, "branch", commit="0000dead", name="new")
    assert unknown["error"]["type"] == "RefNotFoundError" and "new" not in repo.branches


def test_compare_sets_the_trait(repo, two_branches):
    panel = HistoryPanel(repo)
    reply, _ = request(panel, "compare", a=two_branches["main1"][:8], b=two_branches["dev3"])
    assert reply["ok"]
    assert panel.compare == {"a": two_branches["main1"], "b": two_branches["dev3"]} == reply["result"]
    bad, _ = request(panel, "compare", a=two_branches["main1"], b="nope")
    assert not bad["ok"] and bad["error"]["type"] == "RefNotFoundError"
    assert panel.compare == {"a": two_branches["main1"], "b": two_branches["dev3"]}


def test_commits_made_in_other_cells_show_after_the_cell(repo, two_branches):
    panel = HistoryPanel(repo)
    version = panel.version
    refresh_live_panels()  # nothing changed: no new version, the front end keeps its rows
    assert panel.version == version
    repo.root_group.attrs["step"] = 5
    new = repo.commit("main step 5")
    refresh_live_panels()  # what IPython's post_run_cell does
    assert panel.version == version + 1 and panel.checkout["head"] == new
    reply, _ = request(panel, "page", offset=0, limit=2)
    assert reply["result"]["total"] == 8 and reply["result"]["rows"][0]["id"] == new


def test_an_empty_repository(repo):
    panel = HistoryPanel(repo)
    assert panel.checkout["head"] is None and panel.checkout["branch"] == "main"
    reply, _ = request(panel, "page", offset=0, limit=100)
    assert reply["ok"] and reply["result"]["total"] == 0 and reply["result"]["rows"] == []
    assert "No commits yet." in panel._repr_mimebundle_()[0]["text/html"]
    tag, _ = request(panel, "tag", commit="main", name="v0")
    assert not tag["ok"] and tag["error"]["type"] == "RefNotFoundError" and "no commits yet" in tag["error"]["message"]
    assert list(repo.tags) == []


def test_an_expired_session_with_changes_does_not_block_a_checkout(repo, two_branches):
    panel = HistoryPanel(repo)
    repo.root_group.attrs["late"] = True
    repo.session.update_expiration(dt.timedelta(seconds=0.2))
    time.sleep(0.3)
    # Its changes can no longer be committed: nothing is lost by leaving, so no refusal.
    reply, _ = request(panel, "checkout", commit=two_branches["dev1"])
    assert reply["ok"] and repo.session.info.base_commit == two_branches["dev1"]
    back, _ = request(panel, "back")
    assert back["ok"] and repo.session.info.branch == "main"
    repo.root_group.attrs["fresh"] = 1  # a new, writable session
    assert panel.checkout["session"] == repo.session.info.id
