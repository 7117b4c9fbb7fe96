"""JSON documents of every model (arraylake_nb.display.to_json), from a real repository.

The documents are the contract with browser front ends (docs/json-schema.md):
strictly JSON, a "type" on every model object, UTC times with a trailing Z.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import inspect
import re
import warnings
from typing import Any

import numpy as np
import pytest
from json_checks import strict_json

from arraylake_nb import Client, display, models
from arraylake_nb.api import hooks
from arraylake_nb.display import _json
from arraylake_nb.models import AttributeChange, ChunkChanges, Commit, GcReport, Tag, TreeNode

ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def check_time(doc: dict[str, Any], name: str, expected: dt.datetime | None) -> None:
    if expected is None:
        assert doc[name] is None and doc[f"{name}_ts"] is None
        return
    assert ISO_UTC.match(doc[name]), doc[name]
    assert doc[name] == expected.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert doc[f"{name}_ts"] == pytest.approx(expected.timestamp(), abs=1e-6)
    from_ts = dt.datetime.fromtimestamp(doc[f"{name}_ts"], dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert from_ts == doc[name]


def check_commit(doc: dict[str, Any], c: Commit) -> None:
    assert doc["type"] == "commit"
    assert doc["id"] == c.id and doc["short_id"] == c.short_id and c.id.startswith(doc["short_id"])
    assert doc["parent_commit"] == c.parent_commit
    assert doc["message"] == c.message
    assert (doc["author_name"], doc["author_email"]) == (c.author_name, c.author_email)
    assert doc["labels"] == list(c.labels)
    check_time(doc, "commit_time", c.commit_time)


PROVENANCE = {
    "notebook": "analysis.ipynb",
    "cell": "t[:] = t[:] * 1.02\n",
    "params": {"threshold": float("nan"), "limit": float("inf"), "levels": (1, 2)},
}


@pytest.fixture
def history(client: Client):
    """Two branches, a tag, commits with metadata, a move, and a session with changes."""
    repo = client.create_repo("org/json")
    provider = lambda: PROVENANCE  # what the notebook layer registers
    hooks.add_commit_metadata_provider(provider)
    try:
        repo.root_group.attrs["title"] = "ocean"
        g = repo.root_group.create_group("atlantic")
        t = g.create_array("temperature", shape=(4, 4), chunks=(2, 2), dtype="f4")
        t.attrs["units"] = "C"
        t[:] = 1
        repo.root_group.create_group("empty")
        c1 = repo.commit("create atlantic")
    finally:
        hooks.remove_commit_metadata_provider(provider)
    v1 = repo.tag("v1", message="first <release>")
    repo.new_branch("dev")
    t = repo.root_group.atlantic.temperature
    t[0, 0] = 5
    t[3, 3] = 6
    t.attrs["units"] = "K"
    t.attrs["missing"] = float("nan")
    repo.move("atlantic", "north")
    c2 = repo.commit("move and recalibrate")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout("dev")
    repo.root_group.attrs["branch"] = "dev"
    c3 = repo.commit("on dev")
    repo.checkout("main")
    repo.root_group.attrs["draft"] = True
    repo.root_group.create_array("fresh", shape=(3,), chunks=(1,), dtype="i2")[:] = 7
    del repo.root_group["empty"]
    return repo, {"c1": c1, "c2": c2, "c3": c3, "v1": v1}


def test_commit_and_log(history) -> None:
    repo, ids = history
    first = repo.get_commit(ids["c1"])
    doc = strict_json(first.to_json())
    check_commit(doc, first)
    assert doc["id"] == ids["c1"] and doc["parent_commit"] is None
    assert doc["author_name"] == "Ada Lovelace" and doc["author_email"] == "ada@example.org"
    assert doc["labels"] == ["tag: v1"]
    # metadata as stored, with non-finite floats as strings and tuples as lists
    assert doc["metadata"] == {
        "notebook": "analysis.ipynb",
        "cell": "t[:] = t[:] * 1.02\n",
        "params": {"threshold": "NaN", "limit": "Infinity", "levels": [1, 2]},
    }
    second = repo.get_commit(ids["c2"])
    assert strict_json(second.to_json())["labels"] == ["main"] and second.to_json()["parent_commit"] == ids["c1"]

    log = repo.commit_log
    page = strict_json(log.to_json())
    assert page == display.to_json(log)
    assert page["type"] == "commit_log" and page["head"] == ids["c2"]
    assert (page["total"], page["offset"], page["limit"]) == (2, 0, log.page_size)
    assert page["show_provenance"] is False
    assert [c["id"] for c in page["commits"]] == [ids["c2"], ids["c1"]]
    for c_doc, c in zip(page["commits"], log):
        check_commit(c_doc, c)


def test_commit_log_pages_tile(client: Client) -> None:
    repo = client.create_repo("org/long")
    for i in range(121):
        repo.root_group.attrs["i"] = i
        repo.commit(f"commit {i}")
    log = repo.commit_log
    pages = [strict_json(log.to_json(offset=offset, limit=50)) for offset in range(0, 150, 50)]
    assert [p["total"] for p in pages] == [121] * 3
    assert [(p["offset"], p["limit"], len(p["commits"])) for p in pages] == [(0, 50, 50), (50, 50, 50), (100, 50, 21)]
    ids = [c["id"] for p in pages for c in p["commits"]]
    assert len(set(ids)) == 121 and ids == [c.id for c in repo.commit_log]
    assert [c["message"] for c in pages[0]["commits"][:2]] == ["commit 120", "commit 119"]
    assert pages[2]["commits"][-1]["message"] == "commit 0" and pages[2]["commits"][-1]["parent_commit"] is None
    assert all(c["commits"][i]["parent_commit"] == c["commits"][i + 1]["id"]
               for c in pages for i in range(len(c["commits"]) - 1))
    # keyword-only paging through display.to_json too; past the end is an empty page
    assert display.to_json(log, offset=50, limit=50) == pages[1]
    assert display.to_json(log, offset=500, limit=50)["commits"] == []
    # the default page is the log's page_size
    assert len(repo.log(page_size=7).to_json()["commits"]) == 7
    for bad in ({"offset": -1}, {"limit": 0}, {"limit": 2.5}, {"offset": True}):
        with pytest.raises(ValueError):
            log.to_json(**bad)
    with pytest.raises(TypeError):
        log.to_json(0, 50)  # type: ignore[misc]  - paging is keyword-only
    empty = strict_json(client.create_repo("org/empty").commit_log.to_json())
    assert (empty["head"], empty["total"], empty["commits"]) == (None, 0, [])


def test_refs(history) -> None:
    repo, ids = history
    branches = strict_json(repo.branches.to_json())
    assert branches["type"] == "ref_list" and branches["kind"] == "branches"
    assert {(b["type"], b["name"], b["commit_id"]) for b in branches["refs"]} == {
        ("branch", "main", ids["c2"]), ("branch", "dev", ids["c3"]),
    }
    assert [b["name"] for b in branches["refs"]] == repo.branches.names
    assert strict_json(repo.branches[0].to_json()) == branches["refs"][0]

    tags = strict_json(repo.tags.to_json())
    assert tags["type"] == "ref_list" and tags["kind"] == "tags"
    (tag,) = tags["refs"]
    v1: Tag = ids["v1"]
    assert tag["type"] == "tag" and tag["name"] == "v1" and tag["commit_id"] == ids["c1"]
    assert tag["message"] == "first <release>"
    assert (tag["author_name"], tag["author_email"]) == ("Ada Lovelace", "ada@example.org")
    check_time(tag, "created_at", v1.created_at)
    assert strict_json(v1.to_json()) == tag
    bare = strict_json(Tag("t", None).to_json())
    assert bare["commit_id"] is None and bare["created_at"] is None and bare["created_at_ts"] is None


def test_sessions_and_status(history, client: Client) -> None:
    repo, ids = history
    other = Client(root=client.root, author="Grace Hopper <grace@example.org>").get_repo("org/json")
    other.root_group.attrs["other"] = 1
    sessions = strict_json(repo.list_active_sessions().to_json())
    assert sessions["type"] == "session_list" and sessions["repo_name"] == "org/json"
    by_id = {s["id"]: s for s in sessions["sessions"]}
    assert {repo.session.id, other.session.id} <= set(by_id)
    mine = by_id[repo.session.id]
    info = repo.session.info
    assert mine["type"] == "session_info"
    assert (mine["branch"], mine["base_commit"], mine["for_writing"]) == ("main", ids["c2"], True)
    assert (mine["author_name"], mine["author_email"], mine["message"]) == ("Ada Lovelace", "ada@example.org", None)
    check_time(mine, "start_time", info.start_time)
    check_time(mine, "expiration", info.expiration)
    assert mine["expiration_ts"] > mine["start_time_ts"]
    assert by_id[other.session.id]["author_name"] == "Grace Hopper"
    assert strict_json(info.to_json()) == mine

    status_model = repo.status()
    status = strict_json(status_model.to_json())
    assert status["type"] == "session_status" and status["repo_name"] == "org/json"
    assert status["session"] == mine
    assert status["total"] == status_model.total == len(status["modified_paths"]) and status["truncated"] == 0
    assert status["modified_paths"] == [{"path": p, "deleted": d} for p, d in status_model.modified_paths]
    paths = {p["path"]: p["deleted"] for p in status["modified_paths"]}
    assert paths["zarr.json"] is False and paths["fresh/c/0"] is False
    assert paths["empty/zarr.json"] is True
    short = strict_json(repo.status(limit=2).to_json())
    assert len(short["modified_paths"]) == 2 and short["total"] == status["total"]
    assert short["truncated"] == status["total"] - 2


def test_diff_between_commits_and_with_session(history) -> None:
    repo, ids = history
    model = repo.diff(ids["c1"], ids["c2"])
    d = strict_json(model.to_json())
    assert d["type"] == "diff" and d["empty"] is False
    assert (d["from_ref"], d["to_ref"]) == (ids["c1"], ids["c2"])
    assert d["moved"] == [
        {"old_path": "atlantic", "new_path": "north"},
        {"old_path": "atlantic/temperature", "new_path": "north/temperature"},
    ]
    assert d["added"] == [] and d["deleted"] == []
    assert d["added"] == [{"path": p, "kind": k} for p, k in model.added]
    assert d["attributes"] == [
        {"type": "attribute_change", "path": "north/temperature", "key": "missing", "old": None, "new": "NaN"},
        {"type": "attribute_change", "path": "north/temperature", "key": "units", "old": "C", "new": "K"},
    ]
    (chunks,) = d["chunks"]
    assert chunks["type"] == "chunk_changes" and chunks["path"] == "north/temperature" and chunks["count"] == 2
    assert sorted(chunks["coords"]) == [[0, 0], [1, 1]]
    assert [strict_json(c.to_json()) for c in model.chunks] == d["chunks"]
    assert [strict_json(c.to_json()) for c in model.attributes] == d["attributes"]

    pending = strict_json(repo.diff(ids["c2"]).to_json())
    assert pending["to_ref"].startswith("session ")
    assert pending["added"] == [{"path": "fresh", "kind": "array"}]
    assert pending["deleted"] == [{"path": "empty", "kind": "group"}]
    assert {"type": "attribute_change", "path": "", "key": "draft", "old": None, "new": True} in pending["attributes"]
    assert pending["chunks"] == []  # chunks are compared for arrays on both sides only

    same = strict_json(repo.diff(ids["c1"], "v1").to_json())
    assert same["to_ref"] == f"v1 ({ids['c1'][:8]})"
    assert same["empty"] is True and same["moved"] == same["attributes"] == same["chunks"] == []


def test_tree(history) -> None:
    repo, _ = history
    model = repo.tree()
    t = strict_json(model.to_json())
    assert t["type"] == "tree" and t["truncated"] == 0 and t["node_count"] == len(model) == 3
    root = t["root"]
    assert (root["type"], root["name"], root["path"], root["kind"]) == ("tree_node", "/", "", "group")
    assert [c["path"] for c in root["children"]] == ["north", "fresh"]  # groups before arrays
    north, fresh = root["children"]
    assert fresh == {"type": "tree_node", "name": "fresh", "path": "fresh", "kind": "array", "shape": [3],
                     "dtype": "int16", "chunks": [1], "has_children": False, "virtual_sources": [],
                     "children": []}
    assert [c["path"] for c in north["children"]] == ["north/temperature"]
    temperature = north["children"][0]
    assert temperature["shape"] == [4, 4] and temperature["dtype"] == "float32"
    assert north["shape"] is None and north["dtype"] is None and north["chunks"] is None
    assert north["has_children"] is True and root["has_children"] is True
    shallow = strict_json(repo.tree(depth=1).to_json())["root"]
    assert [c["has_children"] for c in shallow["children"]] == [True, False]  # listed or not
    assert shallow["children"][0]["children"] == []
    assert strict_json(model.root.to_json()) == root
    sub = strict_json(repo.tree("north").to_json())
    assert sub["root"]["path"] == "north" and sub["node_count"] == 1


def test_deep_tree_nests_without_recursion_limits() -> None:
    node = TreeNode("leaf", "/".join(["g"] * 3000), "array", (1,), "int8")
    for depth in range(2999, 0, -1):
        node = TreeNode("g", "/".join(["g"] * depth), "group", children=(node,))
    doc = node.to_json()  # (json.dumps itself would recurse 3000 levels deep)
    for _ in range(2999):
        (doc,) = doc["children"]
    assert doc["name"] == "leaf" and doc["shape"] == [1]


def test_fsck_and_gc_reports(history) -> None:
    repo, _ = history
    repo.commit("everything")
    fsck = strict_json(repo.fsck().to_json())
    assert fsck["type"] == "fsck_report" and fsck["ok"] is True
    assert fsck["checked_chunks"] > 0 and fsck["missing"] == [] and fsck["corrupt"] == []
    assert isinstance(fsck["unreachable_chunks"], int) and isinstance(fsck["stale_journals"], list)

    repo.root_group["fresh"][:] = 1
    repo.session.abandon()
    gc_model = repo.gc(older_than=dt.timedelta(0))
    gc = strict_json(gc_model.to_json())
    assert gc == {"type": "gc_report", "chunks_removed": gc_model.chunks_removed,
                  "bytes_freed": gc_model.bytes_freed, "journals_removed": gc_model.journals_removed}
    assert gc["chunks_removed"] >= 1 and gc["journals_removed"] == 1

    broken = models.FsckReport(4, {"x/c/0": "ab" * 16}, {"x/c/1": "cd" * 16}, 2, ["s1"])
    doc = strict_json(broken.to_json())
    assert doc["ok"] is False
    assert doc["missing"] == [{"key": "x/c/0", "digest": "ab" * 16}]
    assert doc["corrupt"] == [{"key": "x/c/1", "digest": "cd" * 16}]
    assert (doc["unreachable_chunks"], doc["stale_journals"]) == (2, ["s1"])


def test_free_form_values_become_json() -> None:
    change = AttributeChange(
        "a", "k",
        old={"nan": float("nan"), 1: np.float32("-inf"), "t": (np.int64(3), np.bool_(True))},
        new=[np.arange(2), b"\x00\xff", dt.datetime(2026, 11, 21, 14, 5, 9, 999, tzinfo=dt.timezone(dt.timedelta(hours=1)))],
    )
    doc = strict_json(change.to_json())
    assert doc["old"] == {"nan": "NaN", "1": "-Infinity", "t": [3, True]}
    assert doc["new"] == [[0, 1], "AP8=", "2026-11-21T13:05:09Z"]
    naive = Commit("f" * 24, None, "m", None, None, dt.datetime(2026, 11, 21, 13, 5, 9))
    assert naive.to_json()["commit_time"] == "2026-11-21T13:05:09Z"
    assert ChunkChanges("x", 1, ((np.int64(2), 3),)).to_json()["coords"] == [[2, 3]]
    with pytest.raises(TypeError):
        display.to_json(object())
    with pytest.raises(TypeError):
        display.to_json(GcReport(0, 0, 0), offset=1)  # paging only applies to commit logs


def _public_models() -> list[type]:
    return [
        obj for name, obj in vars(models).items()
        if inspect.isclass(obj) and obj.__module__ == models.__name__ and not name.startswith("_")
        and not getattr(obj, "_is_protocol", False)
    ]


def test_every_model_has_a_serializer() -> None:
    classes = _public_models()
    rendered = [c for c in classes if dataclasses.is_dataclass(c) and issubclass(c, models._Rendered)]
    assert len(rendered) >= 8 and models.Commit in rendered and models.Diff in rendered
    assert {c.__name__ for c in classes} >= {
        "Commit", "CommitLog", "Branch", "Tag", "RefList", "SessionInfo", "SessionList", "SessionStatus",
        "Tree", "TreeNode", "Diff", "AttributeChange", "ChunkChanges", "FsckReport", "GcReport",
    }
    fallback = display.to_json.dispatch(object)
    for cls in classes:
        assert issubclass(cls, models._Serialised), f"{cls.__name__} has no to_json() (derive from _Serialised)"
        assert display.to_json.dispatch(cls) is not fallback, f"no JSON serializer registered for {cls.__name__}"
        assert f"## `{_json.type_name(cls)}`" in _schema_doc(), f"{cls.__name__} is missing from docs/json-schema.md"


def test_type_names_are_snake_case_class_names() -> None:
    assert _json.type_name(models.CommitLog) == "commit_log"
    assert _json.type_name(models.FsckReport) == "fsck_report"
    assert GcReport(1, 2, 3).to_json()["type"] == "gc_report"


def _schema_doc() -> str:
    from pathlib import Path

    return (Path(__file__).resolve().parents[2] / "docs" / "json-schema.md").read_text(encoding="utf-8")
