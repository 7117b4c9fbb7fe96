"""A model-checked history: random sequences of public API calls against a plain model.

The model knows, for every commit, the arrays (name -> values) and root
attributes it holds; for the checkout, its base commit, branch and the changes
it has not committed. After every step the repository must show exactly what
the model says: data, attributes, branches, tags and the commit log.
"""

from __future__ import annotations

import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import hypothesis.strategies as st
import pytest
import zarr
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from arraylake_nb import Client, NotOnBranchError
from arraylake_nb.errors import NothingToCommitWarning

ARRAYS = ("a", "b", "c")  # written by the main session
OTHERS = ("x", "y")  # written by a second session in another Repo object
NAMES = st.sampled_from(["dev", "feature", "v1", "v2"])
DELETED = object()


@dataclass
class Snapshot:
    arrays: dict[str, tuple[int, ...]] = field(default_factory=dict)
    attrs: dict[str, int] = field(default_factory=dict)


@dataclass
class Working:
    base: str | None
    branch: str | None
    arrays: dict[str, object] = field(default_factory=dict)  # name -> values or DELETED
    attrs: dict[str, int] = field(default_factory=dict)
    has_root: bool = False

    def changed(self) -> bool:
        return bool(self.arrays or self.attrs)


class HistoryMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.tmp = tempfile.TemporaryDirectory()
        self.root = Path(self.tmp.name)
        self.client = Client(root=self.root, author="Model <model@example.org>")
        self.repo = self.client.create_repo("model/history")
        # The root group is made and committed first, so later commits only ever
        # touch array documents and root attributes.
        zarr.open_group(self.repo.store, mode="a")
        first = self.repo.commit("root group")
        self.snapshots: dict[str | None, Snapshot] = {None: Snapshot(), first: Snapshot()}
        self.parents: dict[str, str | None] = {first: None}
        self.messages: dict[str, str] = {first: "root group"}
        self.branches: dict[str, str | None] = {"main": first}
        self.tags: dict[str, str] = {}
        self.work = Working(base=first, branch="main")
        self.counter = 0

    def teardown(self) -> None:
        self.client.delete_repo("model/history", imsure=True, imreallysure=True)
        self.tmp.cleanup()

    # -- model helpers ------------------------------------------------------
    def view(self) -> Snapshot:
        base = self.snapshots[self.work.base]
        arrays = dict(base.arrays)
        for k, v in self.work.arrays.items():
            if v is DELETED:
                arrays.pop(k, None)
            else:
                arrays[k] = v  # type: ignore[assignment]
        return Snapshot(arrays, {**base.attrs, **self.work.attrs})

    def record_commit(self, cid: str, parent: str | None, snap: Snapshot, message: str, branch: str) -> None:
        self.snapshots[cid] = snap
        self.parents[cid] = parent
        self.messages[cid] = message
        self.branches[branch] = cid

    # -- rules --------------------------------------------------------------
    @precondition(lambda self: self.work.branch is not None)
    @rule(name=st.sampled_from(ARRAYS), values=st.lists(st.integers(-5, 5), min_size=4, max_size=4))
    def write_array(self, name: str, values: list[int]) -> None:
        g = self.repo.root_group
        if name in self.view().arrays:
            g[name][:] = values
        else:
            g.create_array(name, shape=(4,), chunks=(2,), dtype="i4", fill_value=0)[:] = values
        self.work.arrays[name] = tuple(values)

    @precondition(lambda self: self.work.branch is not None)
    @rule(name=st.sampled_from(ARRAYS))
    def delete_array(self, name: str) -> None:
        if name not in self.view().arrays:
            return
        del self.repo.root_group[name]
        self.work.arrays[name] = DELETED

    @precondition(lambda self: self.work.branch is not None)
    @rule(key=st.sampled_from(["k1", "k2"]), value=st.integers(0, 3))
    def set_attr(self, key: str, value: int) -> None:
        self.repo.root_group.attrs[key] = value
        self.work.attrs[key] = value

    @precondition(lambda self: self.work.branch is None)
    @rule()
    def write_when_detached_fails(self) -> None:
        with pytest.raises(NotOnBranchError):
            self.repo.root_group.attrs["k1"] = 99

    @precondition(lambda self: self.work.branch is not None)
    @rule()
    def commit(self) -> None:
        self.counter += 1
        message = f"commit {self.counter}"
        view = self.view()
        branch = self.work.branch
        assert branch is not None
        tip = self.branches[branch]
        if view == self.snapshots[self.work.base]:
            # Nothing differs from the base (no writes, or writes undone):
            # no commit, and the session simply stands on the current tip.
            with pytest.warns(NothingToCommitWarning):
                assert self.repo.commit(message) is None
            self.work = Working(base=tip, branch=branch)
            return
        cid = self.repo.commit(message)
        assert cid is not None
        # Rebased onto the tip: the tip's state plus this session's changes.
        self.work.base = tip
        self.record_commit(cid, tip, self.view(), message, branch)
        self.work = Working(base=cid, branch=branch)

    @rule(data=st.data())
    def other_session_commits_to_main(self, data: st.DataObject) -> None:
        name = data.draw(st.sampled_from(OTHERS))
        values = tuple(data.draw(st.lists(st.integers(0, 9), min_size=4, max_size=4)))
        other = Client(root=self.root).get_repo("model/history")
        g = other.root_group
        if name in self.snapshots[self.branches["main"]].arrays:
            g[name][:] = values
        else:
            g.create_array(name, shape=(4,), chunks=(2,), dtype="i4", fill_value=0)[:] = values
        tip = self.branches["main"]
        snap = self.snapshots[tip]
        if snap.arrays.get(name) == values:
            # Rewriting identical bytes (or only fill values) changes nothing.
            with pytest.warns(NothingToCommitWarning):
                assert other.commit("other") is None
            return
        cid = other.commit("other")
        self.record_commit(cid, tip, Snapshot({**snap.arrays, name: values}, dict(snap.attrs)), "other", "main")

    @rule(name=NAMES)
    def new_branch(self, name: str) -> None:
        if name in self.branches or name in self.tags:
            return
        self.repo.new_branch(name)
        self.branches[name] = self.work.base

    @rule(name=NAMES)
    def delete_branch(self, name: str) -> None:
        if name not in self.branches or name == "main" or name == self.work.branch:
            return
        self.repo.delete_branch(name)
        del self.branches[name]

    @rule(name=NAMES)
    def tag(self, name: str) -> None:
        if name in self.tags or name in self.branches or self.work.base is None:
            return
        self.repo.tag(name)
        self.tags[name] = self.work.base

    @rule(data=st.data())
    def checkout(self, data: st.DataObject) -> None:
        if self.work.changed() and self.work.branch is not None:
            self.repo.session.abandon()
        kind = data.draw(st.sampled_from(["branch", "tag", "commit"]))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if kind == "branch":
                name = data.draw(st.sampled_from(sorted(self.branches)))
                assert self.repo.checkout(name) == self.branches[name]
                self.work = Working(base=self.branches[name], branch=name)
            elif kind == "tag" and self.tags:
                name = data.draw(st.sampled_from(sorted(self.tags)))
                assert self.repo.checkout(name) == self.tags[name]
                self.work = Working(base=self.tags[name], branch=None)
            else:
                cid = data.draw(st.sampled_from(sorted(c for c in self.parents)))
                assert self.repo.checkout(cid) == cid
                self.work = Working(base=cid, branch=None)

    @precondition(lambda self: self.work.changed() and self.work.branch is not None)
    @rule()
    def abandon(self) -> None:
        self.repo.session.abandon()
        branch = self.work.branch
        assert branch is not None
        self.repo.checkout(branch)
        self.work = Working(base=self.branches[branch], branch=branch)

    @precondition(lambda self: self.work.branch is not None)
    @rule()
    def reopen_and_join(self) -> None:
        sid = self.repo.session.id
        has_changes = self.repo.status().total > 0
        repo = Client(root=self.root, author="Model <model@example.org>").get_repo("model/history", checkout=False)
        if has_changes:
            repo.join_session(sid)
        else:
            repo.checkout(self.work.branch)
            self.work = Working(base=self.branches[self.work.branch], branch=self.work.branch)  # type: ignore[index]
        self.repo = repo

    # -- invariants -----------------------------------------------------------
    @invariant()
    def contents_match(self) -> None:
        expected = self.view()
        g = self.repo.root_group
        assert dict(g.attrs) == expected.attrs
        names = sorted(n for n, _ in g.arrays())
        assert names == sorted(expected.arrays)
        for name, values in expected.arrays.items():
            assert tuple(g[name][:].tolist()) == values

    @invariant()
    def refs_match(self) -> None:
        assert {b.name: b.commit_id for b in self.repo.branches} == self.branches
        assert {t.name: t.commit_id for t in self.repo.tags} == self.tags

    @invariant()
    def log_matches(self) -> None:
        expected = []
        cid = self.work.base
        while cid is not None:
            expected.append((cid, self.messages[cid]))
            cid = self.parents[cid]
        log = self.repo.commit_log
        assert [(c.id, c.message) for c in log] == expected
        assert len(log) == len(expected)


HistoryMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestHistory = HistoryMachine.TestCase

