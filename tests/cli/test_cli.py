"""The arraylake-nb command line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import arraylake_nb
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
        "chunks": [2], "has_children": False, "virtual_sources": [], "children": [],
    }
    assert "🇦 t (4,) float32" in run(capsys, client.root, "tree", "org/cli", "--ref", "v1")[1]
    diff = json.loads(run(capsys, client.root, "--output", "json", "diff", "org/cli", "v1")[1])
    assert diff["type"] == "diff"
    assert diff["chunks"][0]["path"] == "atlantic/t" and diff["chunks"][0]["count"] == 2
    branches = json.loads(run(capsys, client.root, "--output", "json", "branches", "org/cli")[1])
    tip = repo.commit_log[0]
    assert branches == {
        "type": "ref_list", "kind": "branches",
        "refs": [{"type": "branch", "name": "main", "commit_id": tip.id,
                  "tip_time": tip.to_json()["commit_time"], "tip_time_ts": tip.to_json()["commit_time_ts"]}],
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
    # One line, plus a "hint:" line with the CLI command where the CLI knows one.
    for argv in (["log", "nope/x"], ["tree", "bad name"], ["diff", "nope/x", "a"]):
        code, out, err = run(capsys, client.root, *argv)
        lines = err.splitlines()
        assert code == 1 and out == "" and lines[0].startswith("arraylake-nb: error: ") and len(lines) <= 2
        assert all(line.startswith("hint: ") for line in lines[1:])


def test_error_hints_are_cli_commands(filled, client: Client, capsys) -> None:
    code, _, err = run(capsys, client.root, "log", "org/cli", "--ref", "nowhere")
    assert code == 1 and "'nowhere'" in err
    hint = err.splitlines()[1]
    assert hint.startswith("hint: see: arraylake-nb") and "branches org/cli" in hint and "log org/cli" in hint
    code, _, err = run(capsys, client.root, "tree", "org/missing")
    hint = err.splitlines()[1]
    assert code == 1 and "repo list" in hint and "repo create org/missing" in hint and "client." not in hint


def test_version_and_did_you_mean(client: Client, capsys) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"arraylake-nb {arraylake_nb.__version__}"
    code, out, err = run(capsys, client.root, "lgo", "org/x")
    assert code == 2 and out == ""
    assert "unknown command 'lgo'; did you mean 'log'?" in err
    code, _, err = run(capsys, client.root, "branch", "craete", "org/x", "dev")
    assert code == 2 and "did you mean 'create'?" in err
    code, _, err = run(capsys, client.root, "zzzzzz")
    assert code == 2 and "unknown command 'zzzzzz' (choose from repo, " in err


def test_log_footer_says_how_to_see_more_in_cli_terms(filled, client: Client, capsys) -> None:
    code, out, _ = run(capsys, client.root, "log", "org/cli", "-n", "1")
    assert code == 0 and f"... 1 more commit: arraylake-nb --root {client.root} log org/cli -n 2" in out
    assert "repo.commit_log" not in out
    out = run(capsys, client.root, "log", "org/cli", "--ref", "v1", "-n", "1")[1]
    assert "more commit" not in out  # v1 has one commit: nothing more
    assert "more commit" not in run(capsys, client.root, "log", "org/cli")[1]


def test_branch_and_tag_create_and_delete(filled, client: Client, capsys) -> None:
    repo, first = filled
    code, out, _ = run(capsys, client.root, "branch", "create", "org/cli", "dev", "--at", "v1")
    assert code == 0 and out == f"created: branch dev\nat: {first}\n"
    assert {b.name: b.commit_id for b in client.get_repo("org/cli", checkout=False).branches}["dev"] == first
    code, out, _ = run(capsys, client.root, "tag", "create", "org/cli", "v2", "-m", "release 2")
    tip = repo.commit_log[0].id
    assert code == 0 and out == f"created: tag v2\nat: {tip}\n"
    tag = {t.name: t for t in client.get_repo("org/cli", checkout=False).tags}["v2"]
    assert (tag.commit_id, tag.message) == (tip, "release 2")
    code, _, err = run(capsys, client.root, "tag", "create", "org/cli", "v3", "--at", "nowhere")
    assert code == 1 and "hint: see: arraylake-nb" in err
    for kind in ("branch", "tag"):
        name = "dev" if kind == "branch" else "v2"
        code, _, err = run(capsys, client.root, kind, "delete", "org/cli", name)
        assert code == 1 and "--yes" in err
        assert run(capsys, client.root, kind, "delete", "org/cli", name, "--yes") == (
            0, f"deleted: {kind} {name}\n", "")
    fresh = client.get_repo("org/cli", checkout=False)
    assert fresh.branches.names == ["main"] and fresh.tags.names == ["v1"]


def test_empty_tags_say_so(client: Client, capsys) -> None:
    client.create_repo("org/empty")
    assert run(capsys, client.root, "tags", "org/empty") == (0, "no tags\n", "")
    assert json.loads(run(capsys, client.root, "--output", "json", "tags", "org/empty")[1])["refs"] == []


def test_ascii_output_forced_and_detected(filled, client: Client, capsys) -> None:
    repo, _ = filled
    for argv in (["--ascii", "tree", "org/cli"], ["tree", "org/cli", "--ascii"]):
        out = run(capsys, client.root, *argv)[1]
        assert "[group] atlantic" in out and "[array] t (4,) float32" in out and out.isascii()
    repo.root_group.attrs["draft"] = 1
    out = run(capsys, client.root, "status", "org/cli", "--session", repo.session.id, "--ascii")[1]
    assert "M zarr.json" in out and out.isascii()
    # The terminal cannot show emoji: ASCII without being asked, and no UnicodeEncodeError.
    env = dict(os.environ, ARRAYLAKE_NB_ROOT=str(client.root), PYTHONIOENCODING="ascii")
    for argv in (["tree", "org/cli"], ["status", "org/cli", "--session", repo.session.id],
                 ["diff", "org/cli", "v1"], ["log", "org/cli", "-n", "1"]):
        done = subprocess.run([sys.executable, "-m", "arraylake_nb", *argv], capture_output=True, env=env,
                              timeout=120, check=False)
        assert done.returncode == 0 and b"UnicodeEncodeError" not in done.stderr, done.stderr
        assert done.stdout.isascii()
    out = subprocess.run([sys.executable, "-m", "arraylake_nb", "tree", "org/cli"], capture_output=True, env=env,
                         timeout=120, text=True, check=True).stdout
    assert "[array] t (4,) float32" in out
    env = dict(env, PYTHONIOENCODING="utf-8", TERM="dumb")
    out = subprocess.run([sys.executable, "-m", "arraylake_nb", "tree", "org/cli"], capture_output=True, env=env,
                         timeout=120, text=True, check=True).stdout
    assert "[array] t (4,) float32" in out and out.isascii()


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
