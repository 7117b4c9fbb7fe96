"""Behaviour of repositories, refs, sessions and commits through the public API."""

from __future__ import annotations

import datetime as dt
import time
import warnings

import numpy as np
import pytest
import zarr

from arraylake_nb import (
    ArraylakeNbError,
    Client,
    ConflictError,
    CorruptChunkError,
    InvalidNameError,
    NotOnBranchError,
    ReadOnlyError,
    RefExistsError,
    RefNotFoundError,
    RepoExistsError,
    RepoNotFoundError,
    SessionAbandonedError,
    SessionExpiredError,
)
from arraylake_nb.errors import NothingToCommitWarning, SessionError


def test_tutorial_story(client: Client) -> None:
    repo = client.create_repo("earthmover/ocean")
    assert repo.status().total == 0
    repo.root_group.attrs["title"] = "Ocean Data Repository 🐳"
    assert repo.status().modified_paths == [("zarr.json", False)]
    cid = repo.commit("My first commit 🥹")
    assert isinstance(cid, str) and len(cid) == 24
    assert [c.message for c in repo.commit_log] == ["My first commit 🥹"]
    repo.root_group.attrs["description"] = "Data about the ocean."
    cid2 = repo.commit("Added description field")
    log = repo.commit_log
    assert [c.id for c in log] == [cid2, cid] and len(log) == 2
    assert log[0].parent_commit == cid and log[0].author_name == "Ada Lovelace"
    with pytest.warns(UserWarning, match="You are not on a branch tip, so you can't commit changes."):
        assert repo.checkout(cid) == cid
    assert dict(repo.root_group.attrs) == {"title": "Ocean Data Repository 🐳"}
    with pytest.raises(NotOnBranchError, match="not a branch tip"):
        repo.root_group.attrs["x"] = 1
    assert repo.checkout("main") == cid2
    assert dict(repo.root_group.attrs) == {"title": "Ocean Data Repository 🐳", "description": "Data about the ocean."}

    atlantic = repo.root_group.create_group("atlantic")
    atlantic.attrs["title"] = "Atlantic Ocean"
    temp = atlantic.create(name="temperature", shape=100, chunks=10, dtype="f4", fill_value=np.nan)
    temp.attrs["units"] = "degrees Celsius"
    assert np.isnan(temp[:]).all()
    temp[:50] = 10.0
    changed = {k for k, _ in repo.status().modified_paths}
    assert {f"atlantic/temperature/c/{i}" for i in range(5)} <= changed
    assert {"atlantic/zarr.json", "atlantic/temperature/zarr.json"} <= changed
    repo.commit("Created a group and array")
    temp = repo.root_group["atlantic/temperature"]
    assert temp.nchunks_initialized == 5
    temp.resize((200,))
    temp[100:] = 99
    repo.commit("extended temperature array")
    data = repo.root_group["atlantic/temperature"][:]
    assert (data[:50] == 10).all() and np.isnan(data[50:100]).all() and (data[100:] == 99).all()
    client.delete_repo("earthmover/ocean", imsure=True, imreallysure=True)
    assert client.list_repos() == []


def test_commit_with_nothing_warns_and_creates_no_commit(repo) -> None:
    repo.root_group.attrs["a"] = 1
    repo.commit("one")
    with pytest.warns(NothingToCommitWarning):
        assert repo.commit("nothing") is None
    assert len(repo.commit_log) == 1


def test_writing_then_deleting_a_new_key_is_nothing_to_commit(repo) -> None:
    zarr.open_group(repo.store, mode="a")
    repo.commit("root")
    repo.root_group.create_array("tmp", shape=(2,), dtype="i1")
    del repo.root_group["tmp"]
    with pytest.warns(NothingToCommitWarning):
        assert repo.commit("noop") is None


def test_repo_names_are_validated_before_touching_disk(client: Client) -> None:
    for bad in ["", "noslash", "a/b/c", "../x", "/abs/x", "a/..", "a b/c", "org/na me", "org/", "/x"]:
        with pytest.raises(InvalidNameError):
            client.create_repo(bad)
    assert not client.root.exists() or not any(client.root.iterdir())


def test_repo_lifecycle_errors(client: Client) -> None:
    with pytest.raises(RepoNotFoundError, match="create_repo"):
        client.get_repo("nope/missing")
    client.create_repo("org/one")
    with pytest.raises(RepoExistsError):
        client.create_repo("org/one")
    assert client.get_or_create_repo("org/two").name == "org/two"
    client.create_repo("other/three")
    assert client.list_repos() == ["org/one", "org/two", "other/three"]
    assert client.list_repos("org") == ["org/one", "org/two"]
    with pytest.raises(ValueError, match="imsure=True, imreallysure=True"):
        client.delete_repo("org/one", imsure=True)
    assert "org/one" in client.list_repos()


def test_unknown_ref_names_the_ref(repo) -> None:
    with pytest.raises(RefNotFoundError, match="Ref 'nope' was not found in branches, tags, or commits"):
        repo.checkout("nope")


def test_branches_and_tags(repo) -> None:
    repo.root_group.attrs["v"] = 1
    c1 = repo.commit("v1")
    tag = repo.tag("v1.0", message="first release")
    assert tag.commit_id == c1
    with pytest.raises(RefExistsError):
        repo.tag("v1.0")
    with pytest.raises(InvalidNameError):
        repo.tag("bad name")
    repo.new_branch("dev")
    assert "dev" in repo.branches and "main" in repo.branches
    repo.checkout("dev")
    repo.root_group.attrs["v"] = 2
    c2 = repo.commit("on dev")
    assert repo.branches[0].name in {"dev", "main"}
    assert {b.name: b.commit_id for b in repo.branches} == {"main": c1, "dev": c2}
    repo.checkout("main")
    assert repo.root_group.attrs["v"] == 1
    with pytest.warns(UserWarning):
        repo.checkout("v1.0")
    assert repo.root_group.attrs["v"] == 1
    repo.checkout("main")
    with pytest.raises(ArraylakeNbError, match="Check out another branch"):
        repo.delete_branch("main")
    repo.delete_branch("dev")
    assert "dev" not in repo.branches
    with pytest.raises(RefNotFoundError):
        repo.delete_branch("dev")
    repo.delete_tag("v1.0")
    assert len(repo.tags) == 0
    with pytest.raises(RefNotFoundError):
        repo.delete_tag("v1.0")
    # The commit made on the deleted branch is still reachable by id.
    with pytest.warns(UserWarning):
        repo.checkout(c2)
    assert repo.root_group.attrs["v"] == 2
    # ... and by a unique prefix.
    with pytest.warns(UserWarning):
        assert repo.checkout(c2[:12]) == c2


def test_read_only_checkout_refuses_writes(client: Client) -> None:
    client.create_repo("org/r")
    repo = client.get_repo("org/r", read_only=True)
    with pytest.raises(ReadOnlyError, match="store was opened in read-only mode"):
        repo.store.with_read_only(False)._state().check_writable()
    with pytest.raises(ValueError, match="read-only"):
        zarr.open_group(repo.store, mode="a")


def test_session_abandon_and_expiry(repo) -> None:
    repo.root_group.attrs["x"] = 1
    session = repo.session
    session.abandon()
    with pytest.raises(SessionAbandonedError):
        repo.root_group.attrs["y"] = 2
    repo.checkout("main")
    repo.root_group.attrs["z"] = 3
    repo.session.update_expiration(dt.timedelta(seconds=0.2))
    time.sleep(0.3)
    with pytest.raises(SessionExpiredError, match="expired"):
        repo.root_group.attrs["w"] = 4
    with pytest.raises(SessionError, match="at most 7 days"):
        repo.session.update_expiration(dt.timedelta(days=8))


def test_sessions_persist_and_can_be_joined(client: Client) -> None:
    repo = client.create_repo("org/s")
    repo.root_group.attrs["draft"] = True
    sid = repo.session.id
    assert [s.id for s in repo.list_active_sessions()] == [sid]
    other = Client(root=client.root).get_repo("org/s")
    other.join_session(sid)
    assert other.root_group.attrs["draft"] is True
    cid = other.commit("finished elsewhere")
    assert cid is not None
    assert repo.list_active_sessions().sessions == []


def test_conflicting_commits_never_silently_win(client: Client) -> None:
    a = client.create_repo("org/c")
    g = a.root_group
    arr = g.create_array("x", shape=(4,), chunks=(1,), dtype="i4")
    a.commit("create")
    b = Client(root=client.root).get_repo("org/c")
    a.root_group["x"][0] = 1
    b.root_group["x"][0] = 2
    b.root_group["x"][3] = 5
    a.commit("a writes chunk 0")
    with pytest.raises(ConflictError) as info:
        b.commit("b writes chunk 0 too")
    assert info.value.paths == ["x/c/0"]
    # b's session is intact
    assert b.root_group["x"][0] == 2
    assert ("x/c/0", False) in b.status().modified_paths
    del arr


def test_disjoint_commits_rebase_automatically_or_refuse_without_auto_ff(client: Client) -> None:
    a = client.create_repo("org/d")
    a.root_group.create_array("x", shape=(2,), chunks=(1,), dtype="i4")
    a.root_group.create_array("y", shape=(2,), chunks=(1,), dtype="i4")
    a.commit("create")
    b = Client(root=client.root).get_repo("org/d")
    a.root_group["x"][:] = 1
    tip = a.commit("x")
    b.root_group["y"][:] = 2
    with pytest.raises(ConflictError, match=tip):
        b.commit("y", auto_ff=False)
    b.commit("y")
    a.checkout("main")
    assert a.root_group["x"][:].tolist() == [1, 1]
    assert a.root_group["y"][:].tolist() == [2, 2]
    assert [c.message for c in a.commit_log] == ["y", "x", "create"]


def test_fast_forward(client: Client) -> None:
    a = client.create_repo("org/ff")
    a.root_group.attrs["a"] = 1
    a.commit("a")
    b = Client(root=client.root).get_repo("org/ff")
    a.root_group.attrs["a"] = 2
    a.commit("a again")
    b.root_group.create_group("g")
    new_base = b.fast_forward()
    assert new_base == a.commit_log[0].id
    assert b.root_group.attrs["a"] == 2
    assert b.root_group["g"] is not None


def test_corrupt_chunk_raises_and_fsck_reports(repo) -> None:
    arr = repo.root_group.create_array("x", shape=(4,), chunks=(2,), dtype="f8", compressors=None)
    arr[:] = [1.0, 2.0, 3.0, 4.0]
    repo.commit("data")
    assert repo.fsck().ok
    ref = repo.store.session.get("x/c/0")
    path = repo.store.engine.chunks.path_for(ref.digest)
    path.write_bytes(b"garbage" + path.read_bytes()[7:])
    with pytest.raises(CorruptChunkError, match="fsck"):
        repo.root_group["x"][:]
    report = repo.fsck()
    assert not report.ok and list(report.corrupt) == ["x/c/0"]
    assert repo.root_group["x"][2:].tolist() == [3.0, 4.0]


def test_identical_chunks_are_stored_once(repo) -> None:
    arr = repo.root_group.create_array("x", shape=(100,), chunks=(10,), dtype="i8", compressors=None)
    arr[:] = 7
    repo.commit("constant")
    assert len(list(repo.store.engine.chunks.iter_digests())) == 1


def test_async_api(root) -> None:
    import asyncio

    from arraylake_nb import AsyncClient

    async def main() -> None:
        client = AsyncClient(root=root)
        repo = await client.create_repo("org/async")
        assert (await repo.status()).total == 0
        await zarr.api.asynchronous.open_group(store=repo.store, mode="a")
        cid = await repo.commit("root group")
        assert [c.id for c in await repo.commit_log()] == [cid]
        with pytest.warns(NothingToCommitWarning):
            assert await repo.commit("nothing new") is None
        with pytest.warns(UserWarning, match="not on a branch tip"):
            await repo.checkout(cid)
        assert await client.list_repos() == ["org/async"]
        assert await repo.filter_metadata("missing == `1`") == []
        assert "/" in str(await repo.tree())
        session = await repo.create_session()
        await session.abandon()
        await client.delete_repo("org/async", imsure=True, imreallysure=True)

    asyncio.run(main())


def test_xarray_round_trip(repo) -> None:
    xr = pytest.importorskip("xarray")
    ds = xr.Dataset(
        {"temp": (("time", "x"), np.arange(12.0).reshape(3, 4), {"units": "degC"})},
        coords={"time": np.arange(3), "x": np.linspace(0, 1, 4)},
        attrs={"title": "test"},
    )
    ds.to_zarr(repo.store, group="ocean", zarr_format=3, consolidated=False)
    repo.commit("add dataset")
    back = repo.to_xarray("ocean")
    xr.testing.assert_identical(back.load(), ds)
    xr.testing.assert_identical(xr.open_zarr(repo.store, group="ocean", consolidated=False).load(), ds)


def test_checkout_warns_when_leaving_uncommitted_changes(repo) -> None:
    repo.root_group.attrs["pending"] = 1
    sid = repo.session.id
    from arraylake_nb.errors import UncommittedChangesWarning

    with pytest.warns(UncommittedChangesWarning, match=sid):
        repo.checkout("main")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        repo.join_session(sid)
    assert repo.root_group.attrs["pending"] == 1


def test_gc_reclaims_abandoned_sessions_and_keeps_everything_reachable(client: Client) -> None:
    repo = client.create_repo("org/gc")
    arr = repo.root_group.create_array("x", shape=(8,), chunks=(2,), dtype="i4", compressors=None)
    arr[:] = np.arange(8)
    first = repo.commit("data")
    repo.root_group["x"][:] = np.arange(8) + 100
    repo.commit("overwrite")
    # A session that writes and is abandoned leaves garbage behind.
    repo.root_group["x"][:] = np.arange(8) + 200
    repo.session.abandon()
    # A live session in another Repo object must keep its chunks.
    other = Client(root=client.root).get_repo("org/gc")
    other.root_group["x"][:2] = [7, 7]
    before = len(list(repo.store.engine.chunks.iter_digests()))
    report = repo.gc(older_than=dt.timedelta(0))
    assert report.chunks_removed == 4 and report.journals_removed == 1
    assert len(list(repo.store.engine.chunks.iter_digests())) == before - 4
    repo.checkout("main")
    assert repo.fsck().ok
    assert repo.root_group["x"][:].tolist() == list(range(100, 108))
    with pytest.warns(UserWarning):
        repo.checkout(first)
    assert repo.root_group["x"][:].tolist() == list(range(8))
    other.commit("from the live session")
    repo.checkout("main")
    assert repo.root_group["x"][:2].tolist() == [7, 7]
    # A grace period protects recent files.
    repo.root_group["x"][:] = 5
    repo.session.abandon()
    assert repo.gc().chunks_removed == 0
    assert repo.gc(older_than=dt.timedelta(0)).chunks_removed == 1


def test_identical_changes_on_both_sides_are_not_a_conflict(client: Client) -> None:
    client.create_repo("org/same")
    a = client.get_repo("org/same")
    b = Client(root=client.root).get_repo("org/same")
    a.root_group.create_array("x", shape=(2,), dtype="i4")[:] = [1, 2]
    b.root_group.create_array("x", shape=(2,), dtype="i4")[:] = [1, 2]
    b.root_group.create_array("y", shape=(2,), dtype="i4")[:] = [3, 4]
    a.commit("a")
    b.commit("b: same x, plus y")  # root group and x are identical: no conflict
    a.checkout("main")
    assert a.root_group["y"][:].tolist() == [3, 4]
    b.root_group["x"][:] = [9, 9]
    a.root_group["x"][:] = [8, 8]
    b.commit("b changes x")
    with pytest.raises(ConflictError):
        a.commit("a changes x differently")


def test_handles_bound_to_a_committed_session_refuse_writes(repo) -> None:
    # Handles through repo.root_group follow the checkout (tests/store/test_following_handles.py);
    # a store bound to one session keeps it, and refuses writes once it is committed.
    repo.root_group.create_array("x", shape=(4,), chunks=(2,), dtype="i4")
    arr = zarr.open_array(repo.store.with_read_only(False), path="x")
    arr[:] = 1
    repo.commit("x")
    with pytest.raises(SessionError, match="was committed"):
        arr[:] = 2
    assert repo.root_group["x"][:].tolist() == [1, 1, 1, 1]
    assert arr[:].tolist() == [1, 1, 1, 1]


def test_attribute_change_rebases_over_upstream_chunk_writes(client: Client) -> None:
    a = client.create_repo("org/attrs")
    a.root_group.create_array("x", shape=(4,), chunks=(2,), dtype="f4")[:] = 1
    a.commit("x")
    b = Client(root=client.root).get_repo("org/attrs")
    b.root_group.x[0] = 9
    b.commit("chunk write")
    a.root_group.x.attrs["units"] = "K"
    a.commit("attribute")  # the chunk write upstream does not conflict with the attribute
    a.checkout("main")
    assert a.root_group.x[:].tolist() == [9, 1, 1, 1]
    assert a.root_group.x.attrs["units"] == "K"


def test_commits_made_within_one_second_have_distinct_short_ids(client: Client) -> None:
    repo = client.create_repo("earthmover/burst")
    start = time.time()
    ids = []
    for i in range(5):
        repo.root_group.attrs["i"] = i
        ids.append(repo.commit(f"commit {i}"))
    assert time.time() - start < 5  # a tight loop; ids used to start with the second
    commits = list(repo.commit_log)
    assert [c.id for c in commits] == ids[::-1]
    assert all(len(c.id) == 24 and len(c.short_id) == 8 and c.id.startswith(c.short_id) for c in commits)
    assert len({c.short_id for c in commits}) == 5
    for c in commits:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            assert repo.checkout(c.short_id) == c.id
        assert repo.get_commit(c.short_id).id == c.id
        assert dict(repo.root_group.attrs) == {"i": int(c.message.split()[-1])}


def test_checkout_of_a_commit_warns_with_the_way_back(client: Client) -> None:
    from arraylake_nb.errors import NotOnBranchWarning

    repo = client.create_repo("earthmover/back")
    repo.root_group.attrs["v"] = 1
    first = repo.commit("first")
    repo.new_branch("dev")
    repo.checkout("dev")
    with pytest.warns(UserWarning, match="You are not on a branch tip") as caught:
        repo.checkout(first)
    (w,) = caught
    assert w.category is NotOnBranchWarning and w.filename == __file__  # points at the caller
    assert str(w.message).startswith("You are not on a branch tip, so you can't commit changes.")
    assert f"{first[:8]} — repo.checkout('dev') to write again" in str(w.message)
    assert w.message.notice == f"read-only at {first[:8]} — repo.checkout('dev') to write again"
    # a second read-only checkout still names the branch the repo was last on
    with pytest.warns(NotOnBranchWarning, match=r"repo.checkout\('dev'\)"):
        repo.checkout(first[:8])


def test_close_finishes_background_cleanup_so_the_root_can_be_removed(tmp_path) -> None:
    import shutil

    root = tmp_path / "root"
    with Client(root=root) as client:
        repo = client.create_repo("org/tmp")
        for i in range(5):
            repo.root_group.attrs["i"] = i
            repo.commit(f"c{i}")
        # Committed sessions' folders are deleted by a background thread once the process is quiet.
        pending = list((root / "org" / "tmp" / "sessions").glob(".removing-*"))
        assert pending
    assert not list((root / "org" / "tmp" / "sessions").glob(".removing-*"))
    shutil.rmtree(root)


def test_new_branch_at_a_commit_and_last_branch(repo) -> None:
    repo.root_group.attrs["v"] = 1
    c1 = repo.commit("v1")
    repo.root_group.attrs["v"] = 2
    c2 = repo.commit("v2")
    assert repo.new_branch("old", commit_id=c1[:8]).commit_id == c1
    assert repo.new_branch("tip").commit_id == c2  # default: the checkout's commit
    assert {b.name: b.commit_id for b in repo.branches} == {"main": c2, "old": c1, "tip": c2}
    with pytest.raises(RefNotFoundError):
        repo.new_branch("nowhere", commit_id="0000dead")
    assert "nowhere" not in repo.branches
    assert repo.last_branch == "main"
    repo.checkout("old")
    with pytest.warns(UserWarning, match=r"repo.checkout\('old'\)"):
        repo.checkout(c2)
    assert repo.last_branch == "old" and repo.session.info.branch is None
