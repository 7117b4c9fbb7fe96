"""The arraylake-nb command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from arraylake_nb import Client
from arraylake_nb.cli import main


@pytest.fixture
def filled(client: Client):
    repo = client.create_repo("org/cli")
    g = repo.root_group.create_group("atlantic")
    g.create_array("t", shape=(4,), chunks=(2,), dtype="f4").attrs["units"] = "m"
    first = repo.commit("first")
    repo.root_group.atlantic.t[:] = 1
    repo.commit("second")
    repo.tag("v1", commit_id=first)
    return repo, first


def run(capsys, root: Path, *argv: str) -> tuple[int, str, str]:
    code = main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_repo_list_create_delete(client: Client, capsys) -> None:
    assert run(capsys, client.root, "repo", "create", "org/a")[0] == 0
    code, out, _ = run(capsys, client.root, "--output", "json", "repo", "list")
    assert code == 0 and json.loads(out) == ["org/a"]
    code, _, err = run(capsys, client.root, "repo", "delete", "org/a")
    assert code == 1 and "--yes" in err and err.count("\n") == 1
    assert run(capsys, client.root, "repo", "delete", "org/a", "--yes")[0] == 0
    assert run(capsys, client.root, "repo", "list")[1] == ""


def test_read_commands_text_and_json(filled, client: Client, capsys) -> None:
    repo, first = filled
    code, out, _ = run(capsys, client.root, "log", "org/cli", "-n", "1")
    assert code == 0 and "second" in out and "first" not in out
    # --output json prints the shared documents of arraylake_nb.display.to_json (docs/json-schema.md)
    log = json.loads(run(capsys, client.root, "--output", "json", "log", "org/cli")[1])
    assert log["type"] == "commit_log" and log["total"] == 2
    assert [c["message"] for c in log["commits"]] == ["second", "first"]
    assert log["commits"][1]["id"] == first
    page = json.loads(run(capsys, client.root, "--output", "json", "log", "org/cli", "-n", "1")[1])
    assert page["limit"] == 1 and [c["message"] for c in page["commits"]] == ["second"]
    tree = json.loads(run(capsys, client.root, "--output", "json", "tree", "org/cli")[1])
    assert tree["type"] == "tree"
    assert tree["root"]["children"][0]["children"][0] == {
        "type": "tree_node", "name": "t", "path": "atlantic/t", "kind": "array", "shape": [4], "dtype": "float32",
        "children": [],
    }
    assert "🇦 t (4,) float32" in run(capsys, client.root, "tree", "org/cli", "--ref", "v1")[1]
    diff = json.loads(run(capsys, client.root, "--output", "json", "diff", "org/cli", "v1")[1])
    assert diff["type"] == "diff"
    assert diff["chunks"][0]["path"] == "atlantic/t" and diff["chunks"][0]["count"] == 2
    branches = json.loads(run(capsys, client.root, "--output", "json", "branches", "org/cli")[1])
    assert branches == {
        "type": "ref_list", "kind": "branches",
        "refs": [{"type": "branch", "name": "main", "commit_id": repo.commit_log[0].id}],
    }
    tags = json.loads(run(capsys, client.root, "--output", "json", "tags", "org/cli")[1])
    assert [(t["name"], t["commit_id"]) for t in tags["refs"]] == [("v1", first)]
    assert "v1" in run(capsys, client.root, "tags", "org/cli")[1]


def test_status_lists_sessions_and_shows_one(filled, client: Client, capsys) -> None:
    repo, _ = filled
    repo.root_group.attrs["draft"] = 1
    sessions = json.loads(run(capsys, client.root, "--output", "json", "status", "org/cli")[1])
    assert sessions["type"] == "session_list"
    assert [s["id"] for s in sessions["sessions"]] == [repo.session.id]
    status = json.loads(run(capsys, client.root, "--output", "json", "status", "org/cli", "--session",
                            repo.session.id)[1])
    assert status["type"] == "session_status" and {"path": "zarr.json", "deleted": False} in status["modified_paths"]
    code, out, _ = run(capsys, client.root, "status", "org/cli", "--session", repo.session.id)
    assert code == 0 and "📝 zarr.json" in out


def test_errors_are_one_line_and_exit_nonzero(client: Client, capsys) -> None:
    for argv in (["log", "nope/x"], ["tree", "bad name"], ["diff", "nope/x", "a"]):
        code, out, err = run(capsys, client.root, *argv)
        assert code == 1 and out == "" and err.startswith("arraylake-nb: error: ") and err.count("\n") == 1


def test_module_entry_point(client: Client) -> None:
    env = dict(os.environ, ARRAYLAKE_NB_ROOT=str(client.root))
    out = subprocess.run([sys.executable, "-m", "arraylake_nb", "demo"], capture_output=True, text=True,
                         env=env, timeout=120, check=True).stdout
    assert "Committed" in out and "quickstart run 1" in out
    listed = subprocess.run([sys.executable, "-m", "arraylake_nb", "repo", "list"], capture_output=True,
                            text=True, env=env, timeout=120, check=True).stdout
    assert listed.strip() == "demo/quickstart"


def test_log_shows_distinct_short_ids_for_commits_made_in_one_second(client: Client, capsys) -> None:
    repo = client.create_repo("org/burst")
    ids = []
    for i in range(5):
        repo.root_group.attrs["i"] = i
        ids.append(repo.commit(f"commit {i}"))
    code, out, _ = run(capsys, client.root, "log", "org/burst")
    shown = [line.split()[1] for line in out.splitlines() if line.startswith("commit ")]
    assert shown == ids[::-1] and len({cid[:8] for cid in shown}) == 5
    doc = json.loads(run(capsys, client.root, "--output", "json", "log", "org/burst")[1])
    shorts = [c["short_id"] for c in doc["commits"]]
    assert shorts == [cid[:8] for cid in ids[::-1]] and len(set(shorts)) == 5
    for short, cid in zip(shorts, ids[::-1]):  # each short id shown names its commit
        code, out, _ = run(capsys, client.root, "log", "org/burst", "--ref", short, "-n", "1")
        assert code == 0 and out.startswith(f"commit {cid}")
