"""The commit-graph lane layout (synthetic DAGs, merges included) and history pages of real repositories."""

from __future__ import annotations

import random
import warnings

import pytest

from arraylake_nb import views
from arraylake_nb.errors import InvalidSelectionError
from arraylake_nb.views import graph as graph_module
from arraylake_nb.views.graph import LaneLayout, history_page, layout


def check_layout(commits: list[tuple[str, list[str]]]) -> LaneLayout:
    """Lay out ``commits`` and check that the drawing is consistent.

    Every line leaving a commit reaches exactly its parents, passing no other
    commit; lines never appear from nowhere; two lines never share a lane
    between two rows, except where they converge into the next commit or a
    merge commit's line joins the line already running to that parent.
    """
    g = LaneLayout(commits)
    g.extend()
    n = len(commits)
    row_of = {c: i for i, (c, _) in enumerate(commits)}
    for r in range(n):
        edges = g.edges(r)
        nxt = g.lane(r + 1) if r + 1 < n else None
        targets = [t for _, t, _ in edges if t != nxt]
        for t in set(targets):
            into = [s for s, tt, _ in edges if tt == t]
            assert len(into) == 1 or (len(into) == 2 and t in into and g.lane(r) in into), (r, edges)
        sources = [s for s, _, _ in edges]
        assert all(s == g.lane(r) or sources.count(s) == 1 for s in sources), (r, edges)
        if r:
            arriving = {t for _, t, _ in g.edges(r - 1)}
            # A line leaves a lane only if one arrived there, or from this row's commit.
            assert all(s in arriving or s == g.lane(r) for s in sources), (r, edges, arriving)
    for c, parents in commits:
        r0 = row_of[c]
        reached: set[str] = set()
        frontier = {(r0 + 1, t) for s, t, _ in g.edges(r0) if s == g.lane(r0)}
        while frontier:
            row, lane = frontier.pop()
            if row >= n:
                continue
            if lane == g.lane(row):
                reached.add(commits[row][0])
                continue
            frontier |= {(row + 1, t) for s, t, _ in g.edges(row) if s == lane}
        inside = {p for p in parents if p in row_of}
        assert reached == inside, (c, reached, inside)
    return g


def test_a_line() -> None:
    g = check_layout([("c", ["b"]), ("b", ["a"]), ("a", [])])
    assert [g.lane(i) for i in range(3)] == [0, 0, 0]
    assert [g.edges(i) for i in range(3)] == [[(0, 0, 0)], [(0, 0, 0)], []]


def test_branches_converge_at_their_fork() -> None:
    # main: a-b-d, feature: b-c (c newer than d)
    g = check_layout([("c", ["b"]), ("d", ["b"]), ("b", ["a"]), ("a", [])])
    assert [g.lane(i) for i in range(4)] == [0, 1, 0, 0]
    assert g.edges(1) == [(0, 0, 0), (1, 0, 1)]  # both lines bend into b
    assert g.colour(1) != g.colour(0)


def test_merge_commits_draw_a_line_to_each_parent() -> None:
    # m merges x (lane 0) and y; y and x fork from a
    commits = [("m", ["x", "y"]), ("x", ["a"]), ("y", ["a"]), ("a", [])]
    g = check_layout(commits)
    assert g.lane(0) == 0 and g.lane(2) == 1
    assert sorted(g.edges(0)) == [(0, 0, 0), (0, 1, 1)]
    octopus = [("o", ["p", "q", "r"]), ("p", ["z"]), ("q", ["z"]), ("r", ["z"]), ("z", [])]
    g = check_layout(octopus)
    assert {t for _, t, _ in g.edges(0)} == {0, 1, 2}
    # A merge whose second parent already has a line joins that line.
    shared = [("t", ["b"]), ("m", ["a", "b"]), ("b", ["a"]), ("a", [])]
    g = check_layout(shared)
    assert (g.lane(1), g.lane(0)) == (1, 0)
    assert (1, 0, 0) in g.edges(1) or any(s == 1 and t == 0 for s, t, _ in g.edges(1))


def test_several_roots_and_parents_outside_the_page() -> None:
    g = check_layout([("b", []), ("a", []), ("x", ["missing"])])
    assert [g.lane(i) for i in range(3)] == [0, 0, 0]
    assert g.edges(2) == [(0, 0, g.colour(2))]  # runs off the bottom


def test_freed_lanes_are_reused() -> None:
    commits = [("t1", ["f"]), ("t2", ["f"]), ("f", ["r"]), ("t3", ["r"]), ("r", [])]
    g = check_layout(commits)
    assert g.lane(3) == 1  # lane 1 ended at f and is free again


def test_random_dags_draw_consistently() -> None:
    rng = random.Random(7)
    for _ in range(40):
        ids = [f"c{i}" for i in range(60)]
        # Oldest last: a commit's parents are later in the list.
        commits = []
        for i, c in enumerate(ids):
            older = ids[i + 1:]
            k = 0 if not older else rng.choice([1, 1, 1, 1, 2, 2, 3]) if rng.random() > 0.05 else 0
            commits.append((c, rng.sample(older, min(k, len(older)))))
        check_layout(commits)


def test_layout_is_lazy_and_rows_are_json(strict_json) -> None:
    commits = [(f"c{i}", [f"c{i + 1}"]) for i in range(999)] + [("c999", [])]
    g = LaneLayout(commits)
    assert g.laid_out == 0
    g.row(9)
    assert g.laid_out == 10
    rows = layout(commits[:3])
    assert strict_json(rows)[0] == {"id": "c0", "lane": 0, "colour": 0, "edges": [[0, 0, 0]], "width": 1}


# -- history pages of a real repository -------------------------------------------


@pytest.fixture
def branched(repo):
    """main: 6 commits; dev forks after the 3rd with 2 commits; tag v1 on the 2nd; a detached checkout."""
    ids: dict[str, str] = {}
    for i in range(3):
        repo.root_group.attrs["n"] = i
        ids[f"m{i}"] = repo.commit(f"main {i}\n\nbody {i}")
    repo.new_branch("dev")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout("dev")
        for i in range(2):
            repo.root_group.attrs["d"] = i
            ids[f"d{i}"] = repo.commit(f"dev {i}")
        repo.checkout("main")
    for i in range(3, 6):
        repo.root_group.attrs["n"] = i
        ids[f"m{i}"] = repo.commit(f"main {i}")
    repo.tag("v1", ids["m1"])
    return repo, ids


def test_history_page_lays_out_every_branch(branched, strict_json) -> None:
    repo, ids = branched
    page = strict_json(history_page(repo, 0, 100))
    assert page["type"] == "history_page" and page["total"] == 8 and page["branch"] == "main"
    order = [r["id"] for r in page["rows"]]
    assert order == [ids[k] for k in ("m5", "m4", "m3", "d1", "d0", "m2", "m1", "m0")]
    rows = {r["id"]: r for r in page["rows"]}
    assert rows[ids["m5"]]["refs"] == [{"kind": "branch", "name": "main", "current": True}]
    assert rows[ids["m5"]]["head"] is True and rows[ids["m4"]]["head"] is False
    assert rows[ids["d1"]]["refs"] == [{"kind": "branch", "name": "dev", "current": False}]
    assert rows[ids["m1"]]["refs"] == [{"kind": "tag", "name": "v1", "current": False}]
    assert rows[ids["d1"]]["lane"] == 1 and rows[ids["m3"]]["lane"] == 0
    assert rows[ids["m2"]]["message"] == "main 2" and rows[ids["m0"]]["parents"] == []
    assert rows[ids["m2"]]["short_id"] == ids["m2"][:8] and rows[ids["m2"]]["time"].endswith("Z")
    assert rows[ids["m2"]]["author_name"] == "Ada Lovelace" and page["width"] == 2
    # The fork: both lines bend into m2.
    assert sorted(rows[ids["d0"]]["edges"]) == [[0, 0, 0], [1, 0, rows[ids["d0"]]["colour"]]]


def test_pages_tile_the_graph(branched) -> None:
    repo, _ = branched
    whole = history_page(repo, 0, 100)["rows"]
    for size in (1, 3, 5):
        tiled, offset = [], 0
        while offset < len(whole):
            page = history_page(repo, offset, size)
            if offset:
                assert page["incoming"] == tiled[-1]["edges"]
            else:
                assert page["incoming"] == []
            tiled += page["rows"]
            offset += size
        assert tiled == whole
    assert history_page(repo, 50, 10)["rows"] == []


def test_detached_checkout_is_labelled_head(branched) -> None:
    repo, ids = branched
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout("v1")
    page = history_page(repo)
    assert page["branch"] is None and page["head"] == ids["m1"]
    row = next(r for r in page["rows"] if r["id"] == ids["m1"])
    assert row["refs"][0] == {"kind": "head", "name": "HEAD", "current": True} and row["head"]


def test_search_by_message_or_author(branched) -> None:
    repo, ids = branched
    found = history_page(repo, search="DEV")
    assert found["total"] == 2 and [r["id"] for r in found["rows"]] == [ids["d1"], ids["d0"]]
    assert all(r["edges"] == [] for r in found["rows"]) and found["search"] == "DEV"
    assert history_page(repo, search="body 1")["total"] == 1  # the whole message is searched
    assert history_page(repo, search="lovelace")["total"] == 8
    assert history_page(repo, search="ada@example", limit=2, offset=7)["rows"][0]["id"] == ids["m0"]
    assert history_page(repo, search="no such text")["rows"] == []


def test_the_layout_is_cached_until_the_refs_move(branched) -> None:
    repo, _ = branched
    graph_module._graphs.clear()
    history_page(repo, 0, 2)
    (cached,) = graph_module._graphs.values()
    assert cached.layout.laid_out <= 3  # only as far as the page needs
    history_page(repo, 2, 2)
    assert list(graph_module._graphs.values()) == [cached] and cached.layout.laid_out <= 5
    repo.root_group.attrs["n"] = 99
    new = repo.commit("another")
    page = history_page(repo, 0, 1)
    assert page["rows"][0]["id"] == new and page["total"] == 9
    repo.delete_tag("v1")
    assert history_page(repo, 0, 100)["rows"][-2]["refs"] == []


def test_history_page_checks_its_arguments(repo) -> None:
    assert history_page(repo)["rows"] == [] and history_page(repo)["total"] == 0
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": 10_000}, {"offset": True}):
        with pytest.raises(InvalidSelectionError):
            history_page(repo, **bad)
    assert views.history_page is history_page


def test_history_without_a_checkout(branched, client) -> None:
    _, ids = branched
    server_side = client.get_repo("earthmover/ocean", checkout=False)
    page = history_page(server_side)
    assert page["total"] == 8 and page["head"] is None and page["branch"] is None
    assert not any(r["head"] for r in page["rows"])
    assert views.commit_details(server_side, ids["m5"])["refs"][0] == {"kind": "branch", "name": "main", "current": False}
