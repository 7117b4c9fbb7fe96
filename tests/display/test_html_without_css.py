"""Every HTML repr reads well with its stylesheet stripped (issue 11, item 2).

GitHub, nbviewer and untrusted notebooks drop ``<style>``; the log then read
``6b00ddc4 mainAda Lovelace <ada@example.org>2026-11-20 23:54:44…``. Here each
model's HTML is turned into the text a browser shows without CSS
(html_without_css.visible_text) and its distinct fields must stand apart.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings

import pytest
from html_without_css import assert_separated, visible_text

from arraylake_nb import Client, display
from arraylake_nb.display import _time
from arraylake_nb.models import (
    AttributeChange,
    Branch,
    ChunkChanges,
    Commit,
    CommitData,
    CommitLog,
    CommitPage,
    Diff,
    FsckReport,
    NodeChange,
    NodeHistory,
    RefList,
    SessionInfo,
    SessionList,
    SessionStatus,
    Tag,
    Tree,
    TreeNode,
)

NOW = _time.now()
RECENT = NOW - dt.timedelta(minutes=3)


@pytest.fixture(autouse=True)
def _clock_stands_still(request, monkeypatch):
    # Relative times ("3 min ago") of the models built here from NOW are
    # computed against the clock: fix it at NOW, or a test run minutes after
    # collection reads "4 min ago". Real repositories keep the real clock.
    if "filled" not in request.fixturenames:
        monkeypatch.setattr(_time, "now", lambda: NOW)

OLD = NOW - dt.timedelta(days=90)
ID1 = "6b00ddc4e5f60718293a4b5c"
ID2 = "77aa0b1c2d3e4f5061728394"
SESSION = "5e55104d" + "9" * 24
AUTHOR = "Ada Lovelace <ada@example.org>"

C1 = Commit(ID1, ID2, "Calibrate sensors\nsecond line", "Ada Lovelace", "ada@example.org", RECENT,
            {"notebook": "analysis.ipynb", "cell": "t[:] = t[:] * 1.02"}, ("main", "tag: v1"))
C2 = Commit(ID2, None, "First data", "Grace Hopper", "grace@example.org", OLD)
BRANCHES = RefList([Branch("main", ID1, RECENT), Branch("dev", ID2, OLD), Branch("empty", None)], "branches")
TAGS = RefList([Tag("v1", ID1, "first release", RECENT, "Ada Lovelace", "ada@example.org"), Tag("v0", ID2)], "tags")
INFO = SessionInfo(SESSION, RECENT, NOW + dt.timedelta(hours=23, minutes=57), "main", ID1, "Ada Lovelace",
                   "ada@example.org", "tidy up", True)


def _text(model: object) -> str:
    html = display.html(model)
    assert "<style>" in html  # the stylesheet is there to strip
    text = visible_text(html)
    assert "{" not in text and "var(--jp" not in text  # no CSS leaks into the text
    return text


def test_visible_text_renders_structure_not_styles() -> None:
    html = (
        '<div class="x"><style>.x { color: red }</style><span>a</span><span>b</span>'
        "<div>line</div><table><tr><th>k</th><td>v</td><td>w</td></tr><tr><td>1</td></tr></table>"
        "<ul><li>one</li><li>two</li></ul>c<br>d<details><summary>more</summary><p>inside</p></details>"
        "<pre>  kept\n  lines</pre><script>alert(1)</script></div>"
    )
    assert visible_text(html).splitlines() == [
        "ab", "line", "k | v | w", "1", "one", "two", "c", "d", "more", "inside", "kept", "lines",
    ]


def test_glued_fields_are_caught() -> None:
    with pytest.raises(AssertionError, match="glued"):
        assert_separated("6b00ddc4 mainAda Lovelace <ada@example.org>2026-11-20 23:54:44", "main")
    with pytest.raises(AssertionError, match="glued"):
        assert_separated("Ada Lovelace <ada@example.org>2026-11-20 23:54:44", "2026-11-20 23:54:44")
    assert_separated("6b00ddc4 (main) · Ada Lovelace <ada@example.org> · 2026-11-20 23:54:44",
                     "6b00ddc4", "main", AUTHOR, "2026-11-20 23:54:44")


def test_commit() -> None:
    text = _text(C1)
    assert_separated(text, ID1, "main", "tag: v1", AUTHOR, _time.clock(RECENT), "3 min ago", "Calibrate sensors",
                     "second line", "analysis.ipynb", "t[:] = t[:] * 1.02")
    assert "(main, tag: v1)" in text  # git's reading, without the label pills


def test_commit_log_and_pages() -> None:
    log = CommitLog(ID1, 60, lambda n: [C1, C2][:n] if n else [C1, C2], page_size=2)
    text = _text(log)
    assert "mainAda" not in text and not re.search(r">\d{4}", text)
    assert_separated(text, ID1[:8], ID2[:8], "main", AUTHOR, "Grace Hopper <grace@example.org>",
                     _time.clock(RECENT), "3 min ago", _time.clock(OLD), "Calibrate sensors", "First data",
                     "58 older commits", "Times in UTC")
    assert text.splitlines()[0] == f"{ID1[:8]} (main, tag: v1) · {AUTHOR} · {_time.clock(RECENT)} (3 min ago)"
    page = CommitPage((C1, C2), ID2, 10)
    assert_separated(_text(page), ID1[:8], AUTHOR, "First data", f"repo.log_page(cursor='{ID2}')")
    data = CommitData((C1, C2), BRANCHES, TAGS, ID1)
    assert_separated(_text(data), ID1[:8], ID1, "dev", "empty", "v1", "v0", "first release", "Calibrate sensors")


def test_refs() -> None:
    assert_separated(_text(Branch("main", ID1, RECENT)), "main", ID1, _time.clock(RECENT), "UTC", "3 min ago")
    assert_separated(_text(Branch("empty", None)), "empty", "(no commits)")
    assert_separated(_text(Tag("v1", ID1, "first release")), "v1", ID1, "first release")
    text = _text(BRANCHES)
    assert text.splitlines()[0] == "Name | Commit | Last commit (UTC)"
    assert_separated(text, "main", "dev", "empty", ID1, ID2, _time.clock(RECENT), "3 min ago", _time.clock(OLD))
    text = _text(TAGS)
    assert text.splitlines()[0] == "Name | Commit | Message | Created (UTC)"
    assert_separated(text, "v1", "v0", ID1, ID2, "first release", _time.clock(RECENT))
    assert _text(RefList([], "tags")) == "No tags"


def test_sessions_and_status() -> None:
    text = _text(INFO)
    assert_separated(text, SESSION, "main", ID1, AUTHOR, _time.clock(RECENT), "3 min ago", "in 23 h", "tidy up",
                     "Time zone", "UTC")
    assert "Session | " + SESSION in text.splitlines()
    text = _text(SessionList("org/name", [INFO, INFO]))
    assert_separated(text, "org/name", SESSION, "main", ID1[:8], AUTHOR, _time.clock(RECENT), "in 23 h")
    paths = [("atlantic/temperature/c/0", False), ("atlantic/temperature/zarr.json", False), ("old/zarr.json", True)]
    nodes = [NodeChange("atlantic/temperature", "array", created=True, chunks_written=1),
             NodeChange("old", "group", deleted=True)]
    text = _text(SessionStatus("org/name", INFO, paths, 3, nodes))
    assert_separated(text, "org/name", ID1, SESSION, _time.clock(RECENT), "main", "atlantic/temperature/c/0",
                     "old/zarr.json", "created, 1 chunk written", "deleted")
    assert_separated(_text(SessionStatus("org/name", INFO, [], 0)), "No changes in current session")


def test_fsck_tree_and_diff() -> None:
    report = FsckReport(7, {"x/c/0": "ab" * 16}, {"x/c/1": "cd" * 16}, 2, ["s1"])
    assert_separated(_text(report), "x/c/0", "x/c/1", "ab" * 16, "cd" * 16, "missing", "corrupt", "2")
    temperature = TreeNode("temperature", "atlantic/temperature", "array", (100,), "float32")
    root = TreeNode("/", "", "group", children=(TreeNode("atlantic", "atlantic", "group", children=(temperature,)),
                                                TreeNode("sst", "sst", "array", (4, 5), "int16")))
    assert_separated(_text(Tree(root)), "atlantic", "temperature", "(100,)", "float32", "sst", "(4, 5)", "int16")
    assert "Empty" in _text(Tree(TreeNode("/", "", "group")))
    diff = Diff("v1 (6b00ddc4)", "main (77aa0b1c)", [("atlantic/salinity", "array")], [("old", "group")],
                [("atlantic", "pacific")], [AttributeChange("atlantic", "units", "degC", "K")],
                [ChunkChanges("sst", 2, ((0, 0), (1, 1)))])
    assert_separated(_text(diff), "v1 (6b00ddc4)", "main (77aa0b1c)", "atlantic/salinity", "old", "pacific",
                     "units", "'degC'", "'K'", "sst", "(0, 0)", "(1, 1)")


@pytest.fixture
def filled(client: Client):
    repo = client.create_repo("org/sep")
    repo.root_group.attrs["title"] = "Ocean"
    repo.root_group.attrs["description"] = "Data about the ocean"
    atlantic = repo.root_group.create_group("atlantic")
    t = atlantic.create_array("temperature", shape=(100,), chunks=(10,), dtype="f4", fill_value=float("nan"))
    t.attrs["units"] = "degC"
    repo.commit("First data")
    repo.root_group.atlantic.temperature[:10] = 1.0
    return repo


def test_repo_group_and_array_reprs(filled) -> None:
    repo = filled
    state = repo.session
    text = visible_text(repo._repr_html_())
    assert_separated(text, "org/sep", "main", repo.commit_log[0].short_id, state.id[:8], "expires in 23 h",
                     "1 uncommitted change", "atlantic", "temperature", "(100,)", "float32")
    group = repo.root_group
    text = visible_text(group._repr_html_())
    assert_separated(text, "org/sep", "main", "title", "description", "atlantic", "temperature")
    assert "Attributes (2) | title, description" in text.splitlines()
    text = visible_text(group.atlantic.temperature._repr_html_())
    assert_separated(text, "/atlantic/temperature", "(100,)", "float32", "(10,)", "nan", "units", "org/sep")
    assert {"Shape | (100,)", "Data type | float32", "Chunks | (10,)", "Fill value | nan"} <= set(text.splitlines())


def test_node_history(filled) -> None:
    repo = filled
    second = repo.commit("Warm the first chunk")
    history = repo.node_history("atlantic/temperature")
    text = visible_text(display.html(history))
    newest, oldest = history.versions
    assert_separated(text, "/atlantic/temperature", second[:8], newest.describe(), "(100,)", "Warm the first chunk",
                     oldest.commit.short_id, oldest.describe(), "First data", "Time (UTC)")


def test_every_html_renderer_is_checked_here() -> None:
    checked = {Commit, CommitLog, CommitPage, CommitData, Branch, Tag, RefList, SessionInfo, SessionList,
               SessionStatus, FsckReport, Tree, Diff, NodeHistory}
    summaries = {"RepoSummary", "GroupSummary", "ArraySummary"}  # from the repo in test_repo_group_and_array_reprs
    registered = {cls for cls in display.html.registry if cls is not object}
    assert {c.__name__ for c in registered - checked} == summaries


def test_a_detached_checkout_reads_without_css_too(filled) -> None:
    cid = filled.commit("more")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        filled.checkout(cid)
    text = visible_text(filled._repr_html_())
    assert_separated(text, f"Detached at {cid[:8]} (read-only)", "No uncommitted changes")
