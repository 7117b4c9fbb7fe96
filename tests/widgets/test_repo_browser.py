"""RepoBrowser and ``%arraylake panel``: the panels of one repository together, wired to each other."""

from __future__ import annotations

import ipywidgets
import numpy as np
import pytest
from IPython.core.error import UsageError

from arraylake_nb.widgets import DiffPanel, HistoryPanel, RepoBrowser, StatusPanel, TimeTravel, TreePanel

from .conftest import request


@pytest.fixture
def sst(repo):
    a = repo.root_group.create_array("sst", shape=(4, 6), chunks=(2, 3), dtype="f4")
    a[:] = np.arange(24, dtype="f4").reshape(4, 6)
    first = repo.commit("First")
    a[:2, :3] = -1
    second = repo.commit("Second")
    return first, second


def test_tabs_hold_every_panel_on_the_same_repo(repo, sst):
    browser = RepoBrowser(repo)
    (tabs,) = browser.children
    assert isinstance(tabs, ipywidgets.Tab)
    kinds = [StatusPanel, HistoryPanel, TreePanel, TimeTravel, DiffPanel]
    assert len(tabs.children) == len(kinds) and all(isinstance(c, k) for c, k in zip(tabs.children, kinds, strict=True))
    assert tabs.titles == ("Status", "History", "Tree", "Time travel", "Diff")
    assert all(panel.repo is repo for panel in tabs.children)
    # The diff tab starts at the checkout's branch against the session, as %arraylake diff does.
    assert (browser.diff.a, browser.diff.b) == ("main", "")
    # In a browser, the history's comparisons open the diff tab instead of a diff of its own.
    assert browser.history.embed_diff is False and HistoryPanel(repo).embed_diff is True


def test_compare_in_the_history_opens_the_diff_tab(repo, sst):
    first, second = sst
    browser = RepoBrowser(repo)
    reply, _ = request(browser.history, "compare", a=first[:8], b=second)
    assert reply["ok"]
    assert (browser.diff.a, browser.diff.b) == (first, second)
    assert browser.children[0].selected_index == 4
    # What the diff tab then asks for is the diff between the two.
    summary, _ = request(browser.diff, "diff_summary", a=browser.diff.a, b=browser.diff.b)
    assert summary["ok"] and [x["path"] for x in summary["result"]["arrays"]] == ["sst"]


def test_split_view_and_its_compare(repo, sst):
    first, second = sst
    browser = RepoBrowser(repo, view="split")
    (row,) = browser.children
    left, right = row.children
    assert left.children == (browser.status, browser.history)
    (tabs,) = right.children
    assert tabs.children == (browser.tree, browser.time_travel, browser.diff)
    request(browser.history, "compare", a=first, b=second)
    assert tabs.selected_index == 2 and browser.diff.b == second


def test_reprs_and_bad_arguments(repo, sst):
    browser = RepoBrowser(repo)
    assert repr(browser) == "RepoBrowser(repo='earthmover/ocean', view='tabs')"
    data = browser._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == repr(browser)
    assert "earthmover/ocean" in data["text/html"]  # the repository's own summary without a widget front end
    with pytest.raises(ValueError, match="view must be one of 'tabs', 'split'"):
        RepoBrowser(repo, view="grid")
    with pytest.raises(TypeError, match="takes an arraylake_nb Repo"):
        RepoBrowser("earthmover/ocean")


def test_a_standalone_history_answers_the_diff_of_its_comparison(repo, sst):
    first, second = sst
    panel = HistoryPanel(repo)
    summary, _ = request(panel, "diff_summary", a=first, b=second)
    assert summary["ok"] and summary["result"]["arrays"][0]["path"] == "sst"
    detail, _ = request(panel, "chunk_detail", a=first, b=second, path="sst", coords=[0, 0])
    assert detail["ok"] and detail["result"]["key"].endswith("c/0/0")


@pytest.fixture
def shell(repo):
    from IPython.testing.globalipapp import get_ipython

    from arraylake_nb.notebook import use_repo

    shell = get_ipython()
    shell.run_line_magic("load_ext", "arraylake_nb")
    use_repo(repo)
    yield shell
    use_repo(None)


@pytest.mark.parametrize(("line", "kind"), [
    ("panel status", StatusPanel),
    ("panel history", HistoryPanel),
    ("panel tree", TreePanel),
    ("panel time-travel sst", TimeTravel),
    ("panel diff", DiffPanel),
    ("panel browser", RepoBrowser),
])
def test_magic_opens_each_panel(shell, repo, sst, line, kind):
    panel = shell.run_line_magic("arraylake", line)
    assert isinstance(panel, kind) and panel.repo is repo


def test_magic_arguments(shell, repo, sst):
    first, second = sst
    diff = shell.run_line_magic("arraylake", f"panel diff {first[:8]} {second[:8]}")
    assert (diff.a, diff.b) == (first[:8], second[:8])
    assert shell.run_line_magic("arraylake", "panel time-travel sst").path == "sst"
    assert shell.run_line_magic("arraylake", "panel browser --split").view == "split"
    with pytest.raises(UsageError, match="takes at most 0"):
        shell.run_line_magic("arraylake", "panel tree sst")
    with pytest.raises(UsageError, match="--split applies to %arraylake panel browser only"):
        shell.run_line_magic("arraylake", "panel status --split")
