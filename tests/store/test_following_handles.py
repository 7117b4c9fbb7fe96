"""Handles reached through ``repo.store`` / ``repo.root_group`` follow the repo's current checkout.

Stores bound to one session (constructed directly, from a joined session of
another Repo, or unpickled on a dask worker) keep their session and its errors.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import zarr

from arraylake_nb import ArraylakeNbError, ArraylakeStore, Client, NotOnBranchError, ReadOnlyError
from arraylake_nb.engine.session import READ_ONLY_MESSAGE
from arraylake_nb.errors import SessionCommittedError


def test_array_handle_survives_commits_and_checkouts(repo) -> None:
    t = repo.root_group.create_array("t", shape=(4,), chunks=(2,), dtype="i4")
    t[:] = 1
    c1 = repo.commit("a")
    t[:] = 2  # lands in the session the commit started
    assert repo.status().total > 0
    c2 = repo.commit("b")
    assert repo.root_group["t"][:].tolist() == [2, 2, 2, 2]

    with pytest.warns(UserWarning, match="You are not on a branch tip"):
        repo.checkout(c1)
    assert t[:].tolist() == [1, 1, 1, 1]
    assert repo.store.read_only and t.read_only
    with pytest.raises(NotOnBranchError, match=READ_ONLY_MESSAGE) as err:
        t[:] = 3
    assert isinstance(err.value, ArraylakeNbError) and isinstance(err.value, ValueError)
    assert isinstance(err.value, ReadOnlyError)

    repo.checkout("main")
    assert not t.read_only
    assert t[:].tolist() == [2, 2, 2, 2]
    t[:2] = 3
    c3 = repo.commit("c")
    assert [c.id for c in repo.commit_log] == [c3, c2, c1]
    assert repo.root_group["t"][:].tolist() == [3, 3, 2, 2]


def test_commit_2_contains_the_write_made_after_commit_1(repo) -> None:
    t = repo.root_group.create_array("t", shape=(2,), chunks=(1,), dtype="i4")
    t[:] = 1
    repo.commit("a")
    t[:] = 2
    c2 = repo.commit("b")
    with pytest.warns(UserWarning):
        repo.checkout(c2)
    assert zarr.open_array(repo.store, path="t", mode="r")[:].tolist() == [2, 2]


def test_group_handle_survives_a_commit(repo) -> None:
    g = repo.root_group
    g.attrs["v"] = 1
    repo.commit("a")
    a = g.create_array("x", shape=(3,), dtype="i2")
    a[:] = [1, 2, 3]
    g.attrs["v"] = 2
    repo.commit("b")
    assert repo.root_group.attrs["v"] == 2
    assert repo.root_group["x"][:].tolist() == [1, 2, 3]
    sub = g.create_group("sub")
    repo.commit("c")
    sub.attrs["k"] = "v"
    repo.commit("d")
    assert repo.root_group.sub.attrs["k"] == "v"


def test_handle_reads_the_branch_checked_out(repo) -> None:
    t = repo.root_group.create_array("t", shape=(2,), chunks=(2,), dtype="i4")
    t[:] = 1
    repo.commit("a")
    repo.new_branch("dev")
    repo.checkout("dev")
    t[:] = 5
    repo.commit("on dev")
    repo.checkout("main")
    assert t[:].tolist() == [1, 1]
    repo.checkout("dev")
    assert t[:].tolist() == [5, 5]


def test_repo_store_is_one_object(repo) -> None:
    s = repo.store
    repo.root_group.attrs["x"] = 1
    repo.commit("a")
    assert repo.store is s
    assert s == repo.store and hash(s) == hash(repo.store)
    other = Client(root=repo.path.parent.parent).get_repo(repo.name)
    assert other.store != s


def test_with_read_only_is_bound_to_the_current_session(repo) -> None:
    repo.root_group.attrs["x"] = 1
    bound = repo.store.with_read_only(False)
    assert type(bound) is ArraylakeStore
    sid = repo.session.id
    assert bound.session_id == sid
    repo.commit("a")
    assert repo.store.session_id != sid
    with pytest.raises(SessionCommittedError):
        zarr.open_group(bound, mode="a").attrs["y"] = 2


def test_pickle_pins_the_current_session(repo) -> None:
    repo.root_group.create_array("x", shape=(3,), dtype="i2")[:] = [1, 2, 3]
    sid = repo.session.id
    clone = pickle.loads(pickle.dumps(repo.store))
    assert type(clone) is ArraylakeStore and clone.session_id == sid
    assert zarr.open_array(clone, path="x")[:].tolist() == [1, 2, 3]
    repo.commit("a")
    with pytest.raises(SessionCommittedError):
        zarr.open_array(clone, path="x")[:] = 0
    # A read-only checkout pickles read-only.
    first = repo.commit_log[0].id
    with pytest.warns(UserWarning):
        repo.checkout(first)
    ro = pickle.loads(pickle.dumps(repo.store))
    assert ro.read_only and zarr.open_array(ro, path="x", mode="r")[:].tolist() == [1, 2, 3]


def test_store_of_a_joined_session_stays_bound(client: Client) -> None:
    repo = client.create_repo("org/joined")
    session = repo.create_session("main")
    other = Client(root=client.root).get_repo("org/joined")
    other.join_session(session.id)
    bound = ArraylakeStore(repo.path, session.id)
    g = zarr.open_group(bound, mode="a")
    g.attrs["a"] = 1
    repo.join_session(session.id)
    assert repo.root_group.attrs["a"] == 1
    repo.commit("finished here")
    # The directly bound store and the other Repo's checkout stay on the committed session.
    with pytest.raises(SessionCommittedError, match="was committed"):
        g.attrs["b"] = 2
    with pytest.raises(SessionCommittedError, match="was committed"):
        other.root_group.attrs["b"] = 2
    # ... while this repo's handles moved on.
    repo.root_group.attrs["b"] = 2
    assert repo.commit("b") is not None


def test_writes_refused_through_held_array_on_read_only_checkout(client: Client) -> None:
    repo = client.create_repo("org/ro")
    t = repo.root_group.create_array("t", shape=(2,), dtype="i4")
    t[:] = np.arange(2)
    repo.commit("a")
    repo.checkout("main", for_writing=False)
    with pytest.raises(ReadOnlyError, match=READ_ONLY_MESSAGE):
        t[:] = 0
    assert t[:].tolist() == [0, 1]


def test_a_refused_write_leaves_nothing_behind_after_checking_out_a_branch(repo) -> None:
    # zarr writes chunks as concurrent tasks; when one is refused, its siblings
    # are still queued. Checking out the branch right away must not let them
    # land in the branch's new session: they belong to the refused operation.
    t = repo.root_group.create_array("t", shape=(400,), chunks=(1,), dtype="i4")
    t[:] = 1
    c1 = repo.commit("a")
    t[:] = 2
    repo.commit("b")
    for _ in range(5):
        with pytest.warns(UserWarning):
            repo.checkout(c1)
        with pytest.raises(NotOnBranchError):
            t[:] = 3
        repo.checkout("main")
        assert repo.status().total == 0
        assert (t[:] == 2).all()



def test_a_write_racing_a_commit_lands_whole_in_one_session(repo) -> None:
    # The operation belongs to the session it started in: its chunks are in
    # that commit, or it fails with the committed session's error; none of it
    # spills into the session the commit opened.
    import threading

    t = repo.root_group.create_array("t", shape=(300,), chunks=(1,), dtype="i4")
    t[:] = 0
    repo.commit("zeros")
    outcomes = []
    for value in range(1, 6):
        started = threading.Event()

        def write(value: int = value, started: threading.Event = started) -> None:
            started.set()
            try:
                t[:] = value
                outcomes.append("written")
            except SessionCommittedError:
                outcomes.append("refused")

        writer = threading.Thread(target=write)
        writer.start()
        started.wait()
        repo.root_group.attrs["round"] = value
        repo.commit(f"during write {value}")
        writer.join()
        spilled = repo.status().total
        assert spilled in (0, 300), f"{spilled} of 300 chunks of one write spilled into the next session"
        if spilled:
            repo.commit(f"write {value}")
    assert outcomes and set(outcomes) <= {"written", "refused"}
