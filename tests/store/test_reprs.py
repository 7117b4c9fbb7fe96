"""Notebook reprs of Repo, AsyncRepo, Group and arrays (issue 11, item 9), and what the Array class must not change."""

from __future__ import annotations

import asyncio
import json
import pickle
import time
import warnings

import numpy as np
import pytest
import zarr

from arraylake_nb import AsyncRepo, Client, Repo, display
from arraylake_nb.models import ArraySummary, GroupSummary, RepoSummary
from arraylake_nb.store import Array, Group
from arraylake_nb.store._summary import SUMMARY_NODES


def _pretty(obj: object) -> str:
    from IPython.lib.pretty import pretty

    return pretty(obj)


def test_an_empty_repo_says_how_to_start(repo: Repo) -> None:
    summary = repo.summary()
    assert isinstance(summary, RepoSummary) and summary.tree is not None and len(summary.tree) == 0
    hint = "create arrays with repo.root_group.create_array("
    for shown in (str(summary), _pretty(repo), repo._repr_html_(), _pretty(repo.root_group),
                  repo.root_group._repr_html_()):
        assert hint in shown, shown
    assert "On branch main, no commits yet" in str(summary) and "No uncommitted changes" in str(summary)
    assert repr(repo) == "<arraylake_nb.Repo 'earthmover/ocean' on main, no commits yet>"
    sub = repo.root_group.create_group("atlantic")
    assert 'repo.root_group[\'atlantic\'].create_array(' in _pretty(sub)
    assert "Empty" in str(repo.tree("atlantic"))


def test_repo_repr_shows_checkout_session_changes_and_a_short_tree(repo: Repo) -> None:
    root = repo.root_group
    for i in range(15):
        root.create_group(f"g{i:02d}")
    root.create_array("sst", shape=(4, 5), chunks=(2, 5), dtype="i2")[:] = 1
    cid = repo.commit("fifteen groups and an array")
    root = repo.root_group
    root.attrs["draft"] = True
    root["sst"][0] = 2
    summary = repo.summary()
    assert summary.changes == repo.status().total == 2
    assert summary.branch == "main" and summary.base_commit == cid and not summary.read_only
    assert len(summary.tree) == SUMMARY_NODES and summary.tree.truncated == 16 - SUMMARY_NODES
    text = str(summary)
    assert text.splitlines()[:4] == [
        "🧊 Repo earthmover/ocean",
        f"🌿 On branch main at {cid[:8]}",
        f"📟 Session {repo.session.id[:8]}, expires in 23 h",
        "📝 2 uncommitted changes; see repo.status()",
    ]
    assert "... and 6 more; see repo.tree()" in text and "g00" in text and "g10" not in text
    assert _pretty(repo) == text
    assert repr(repo) == f"<arraylake_nb.Repo 'earthmover/ocean' on main at {cid[:8]}>"
    html = repo._repr_html_()
    assert html.startswith('<div class="alnb alnb-reposummary">') and f'title="{repo.session.id}"' in html
    doc = json.loads(json.dumps(summary.to_json(), allow_nan=False))
    assert doc["type"] == "repo_summary" and doc["changes"] == 2 and doc["tree"]["truncated"] == 6
    assert doc["session"]["id"] == repo.session.id and doc["branch"] == "main" and doc["read_only"] is False

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout(cid)
    assert repr(repo) == f"<arraylake_nb.Repo 'earthmover/ocean' detached at {cid[:8]}, read-only>"
    assert f"🌿 Detached at {cid[:8]} (read-only)" in str(repo.summary()) and repo.summary().read_only


def test_reprs_stay_cheap_on_a_big_hierarchy(repo: Repo) -> None:
    root = repo.root_group
    for i in range(300):
        root.create_group(f"g{i:03d}")
    repo.commit("many groups")
    start = time.perf_counter()
    html = repo._repr_html_()
    assert time.perf_counter() - start < 2.0
    assert html.count("<li") == SUMMARY_NODES and "290 more" in html


def test_group_and_array_reprs(repo: Repo) -> None:
    root = repo.root_group
    root.attrs["title"] = "Ocean"
    atlantic = root.create_group("atlantic")
    atlantic.attrs["basin"] = "Atlantic"
    t = atlantic.create_array("temperature", shape=(100,), chunks=(10,), dtype="f4", fill_value=float("nan"))
    t.attrs["units"] = "degC"
    group = repo.root_group.atlantic
    summary = group._summary()
    assert isinstance(summary, GroupSummary) and summary.attributes == ("basin",) and summary.path == "atlantic"
    text = _pretty(group)
    assert text.splitlines()[:3] == [
        "📁 Group /atlantic", "in earthmover/ocean, on branch main, no commits yet", "Attributes (1): basin",
    ]
    assert "🇦 temperature (100,) float32" in text
    assert repr(group) == "<arraylake_nb.Group '/atlantic' in earthmover/ocean on main>"
    assert display.to_json(summary)["tree"]["root"]["children"][0]["shape"] == [100]

    array = group.temperature
    assert isinstance(array, Array) and isinstance(array, zarr.Array)
    a = array._summary()
    assert isinstance(a, ArraySummary) and (a.shape, a.dtype, a.chunks, a.attributes) == ((100,), "float32", (10,),
                                                                                         ("units",))
    assert "Shape (100,), data type float32, chunks (10,), fill value nan" in str(a)
    assert array._repr_html_().startswith('<div class="alnb alnb-arraysummary">')
    assert repr(array).startswith("<Array ArraylakeStore(")  # zarr's own repr, unchanged
    doc = json.loads(json.dumps(a.to_json(), allow_nan=False))
    assert doc["fill_value"] == "NaN" and doc["chunks"] == [10] and doc["type"] == "array_summary"


def test_arrays_reached_through_groups_behave_as_zarr_arrays(repo: Repo) -> None:
    root = repo.root_group
    made = root.create_array("a", shape=(6,), chunks=(2,), dtype="i4", fill_value=0)
    plain = zarr.open_array(repo.store, path="a", mode="r+")
    assert type(plain) is zarr.Array  # what zarr opens itself stays zarr's
    for got in (made, root["a"], root.a, root.get("a"), dict(root.members())["a"], dict(root.arrays())["a"],
                next(root.array_values()), root.require_array("a", shape=(6,), dtype="i4")):
        assert type(got) is Array, type(got)
        assert got == plain and plain == got and got == made
    assert root["a"] != root.create_array("b", shape=(6,), chunks=(2,), dtype="i4")
    with pytest.raises(TypeError):
        hash(made)  # unhashable, like zarr.Array
    made[:] = np.arange(6)
    assert plain[:].tolist() == [0, 1, 2, 3, 4, 5]
    assert type(made.with_config({"write_empty_chunks": True})) is Array
    assert type(root.zeros(name="z", shape=(3,))) is Array
    assert type(next(root.group_values(), None) or root.create_group("g")) is Group
    clone = pickle.loads(pickle.dumps(made))
    assert type(clone) is Array and clone[:].tolist() == [0, 1, 2, 3, 4, 5]


def test_dask_and_xarray_take_them_unchanged(repo: Repo) -> None:
    da = pytest.importorskip("dask.array")
    pytest.importorskip("xarray")
    a = repo.root_group.create_array("a", shape=(8,), chunks=(2,), dtype="f8", fill_value=0.0,
                                     dimension_names=["x"])
    a[:] = np.arange(8.0)
    lazy = da.from_zarr(a)
    assert lazy.chunks == ((2, 2, 2, 2),) and lazy.sum().compute() == 28.0
    da.to_zarr(lazy * 2, a, overwrite=True)
    assert a[:].tolist() == [float(2 * i) for i in range(8)]
    repo.commit("data")
    ds = repo.to_xarray()
    assert ds["a"].values.tolist() == [float(2 * i) for i in range(8)]


def test_async_repo_reprs(client: Client) -> None:
    repo = client.create_repo("org/async")
    repo.root_group.create_array("a", shape=(2,), chunks=(1,), dtype="i1")
    arepo = AsyncRepo._wrapping(repo)
    assert repr(arepo) == "<arraylake_nb.AsyncRepo 'org/async' on main, no commits yet>"
    assert "🇦 a (2,) int8" in _pretty(arepo) and "alnb-reposummary" in arepo._repr_html_()
    summary = asyncio.run(arepo.summary())
    assert isinstance(summary, RepoSummary) and summary.changes == 2


def test_a_repo_not_checked_out_and_a_broken_session_still_show(client: Client) -> None:
    client.create_repo("org/later")
    repo = client.get_repo("org/later", checkout=False)
    assert repr(repo) == "<arraylake_nb.Repo 'org/later', not checked out>"
    assert "Not checked out; call repo.checkout()" in _pretty(repo) and "Not checked out" in repo._repr_html_()
    repo.checkout()
    repo.root_group.attrs["x"] = 1
    repo.session.abandon()
    summary = repo.summary()
    assert summary.session_closed == "abandoned" and summary.changes == 0
    assert f"📟 Session {repo.session.id[:8]} was abandoned; repo.checkout() starts a new one" in _pretty(repo)
    assert "was abandoned" in repo._repr_html_()
    cid = None
    repo.checkout()
    repo.root_group.attrs["y"] = 1
    old = repo.session
    cid = repo.commit("y")
    repo.join_session(old.id)
    assert repo.summary().session_closed == f"committed as {cid[:8]}"
