"""The sidebar's REST routes (docs/rest.md), through a real Jupyter server on a root of real repositories."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from json_checks import strict_json

from arraylake_nb import Client, SessionAbandonedError
from arraylake_nb.server.handlers import ROUTES

OCEAN = ("repos", "earthmover/ocean")


def _ocean(root: Path):
    return Client(root=root).get_repo("earthmover/ocean", checkout=False)


async def test_version_names_the_package_version_and_the_configured_root(api, sidebar_root) -> None:
    import importlib.metadata

    import arraylake_nb

    code, doc = await api("version")
    assert code == 200 and doc == {"version": importlib.metadata.version("arraylake_nb"), "root": str(sidebar_root)}
    assert doc["version"] == arraylake_nb.__version__


async def test_repos_lists_what_is_under_the_root_and_nothing_outside(api, sidebar_root, tmp_path) -> None:
    code, doc = await api("repos")
    assert code == 200 and doc["root"] == str(sidebar_root)
    assert [r["name"] for r in doc["repos"]] == ["earthmover/ocean", "lab/empty"]
    # A repository elsewhere, reached through a symlink under the root, is neither listed nor opened.
    Client(root=tmp_path / "elsewhere").create_repo("secret/vault").release()
    os.symlink(tmp_path / "elsewhere" / "secret", sidebar_root / "secret")
    _, doc = await api("repos")
    assert [r["name"] for r in doc["repos"]] == ["earthmover/ocean", "lab/empty"]
    code, doc = await api("repos", "secret/vault", "history")
    assert code == 404 and "not under" in doc["message"]
    code, doc = await api("watch")
    assert code == 200 and sorted(doc["repos"]) == ["earthmover/ocean", "lab/empty"]


@pytest.mark.parametrize(("name", "code", "words"), [
    ("../ocean", 400, "'.' or '..'"),
    ("earthmover/..", 400, "'.' or '..'"),
    ("earth mover/ocean", 400, "contains a space"),
    ("earthmover/atlantic", 404, "does not exist"),
])
async def test_repository_names_are_validated(api, name, code, words) -> None:
    got, doc = await api("repos", name, "history")
    assert got == code and words in doc["message"], doc
    assert doc["error"] in ("InvalidNameError", "RepoNotFoundError")


async def test_repo_summary(api, sidebar_root) -> None:
    code, doc = await api(*OCEAN)
    assert code == 200 and strict_json(doc)["name"] == "earthmover/ocean"
    assert sorted(b["name"] for b in doc["branches"]) == ["feature/x", "main"]
    assert [t["name"] for t in doc["tags"]] == ["v1"] and doc["sessions"] == 1
    assert doc["token"] == _ocean(sidebar_root).change_token()


async def test_history_pages_and_search(api) -> None:
    code, doc = await api(*OCEAN, "history")
    assert code == 200 and strict_json(doc)["type"] == "history_page"
    assert [r["message"] for r in doc["rows"]] == ["warm a corner", "create temp"] and doc["total"] == 2
    _, page = await api(*OCEAN, "history", params={"offset": 1, "limit": 1})
    assert [r["message"] for r in page["rows"]] == ["create temp"]
    _, found = await api(*OCEAN, "history", params={"search": "WARM"})
    assert [r["message"] for r in found["rows"]] == ["warm a corner"] and found["total"] == 1
    code, doc = await api(*OCEAN, "history", params={"limit": "many"})
    assert code == 400 and "'limit' must be an integer" in doc["message"]
    code, doc = await api(*OCEAN, "history", params={"limit": 0})
    assert code == 400 and doc["error"] == "InvalidSelectionError" and doc["message"]


async def test_commit_details(api) -> None:
    _, page = await api(*OCEAN, "history")
    newest = page["rows"][0]["id"]
    code, doc = await api(*OCEAN, "commits", newest[:8])
    assert code == 200 and strict_json(doc)["id"] == newest and doc["message"] == "warm a corner"
    assert doc["changes"]["attributes"] == [{"path": "", "key": "title", "old": None, "new": "Ocean"}]
    code, doc = await api(*OCEAN, "commits", "ffffffff")
    assert code == 404 and doc["error"] == "RefNotFoundError" and "ffffffff" in doc["message"]


# The server checks the commit out read-only to branch from it; its extension ignores the notice meant
# for notebook users (a filter pytest resets for each test, so it is repeated here).
@pytest.mark.filterwarnings("ignore::arraylake_nb.errors.NotOnBranchWarning")
async def test_branches_create_from_a_commit_and_delete(api) -> None:
    _, page = await api(*OCEAN, "history")
    first = page["rows"][-1]["id"]
    code, doc = await api(*OCEAN, "branches", method="POST", body={"name": "old/look", "commit": first[:10]})
    assert code == 201 and doc["name"] == "old/look" and doc["commit_id"] == first
    _, doc = await api(*OCEAN, "branches")
    assert {b["name"]: b["commit_id"] for b in doc["refs"]}["old/look"] == first
    code, doc = await api(*OCEAN, "branches", method="POST", body={"name": "old/look", "commit": "main"})
    assert code == 409 and "already exists" in doc["message"]
    code, doc = await api(*OCEAN, "branches", method="POST", body={"name": "bad..name", "commit": "main"})
    assert code == 400 and doc["error"] == "InvalidNameError"
    code, doc = await api(*OCEAN, "branches", method="POST", body={"name": "x", "commit": "nowhere"})
    assert code == 404 and "nowhere" in doc["message"]
    code, doc = await api(*OCEAN, "branches", method="POST", body={"name": "x"})
    assert code == 400 and "'commit'" in doc["message"]
    code, doc = await api(*OCEAN, "branches", method="POST", body="not json")
    assert code == 400 and "JSON object" in doc["message"]
    code, doc = await api(*OCEAN, "branches", method="DELETE", params={"name": "old/look"})
    assert code == 204 and doc is None
    _, doc = await api(*OCEAN, "branches")
    assert "old/look" not in [b["name"] for b in doc["refs"]]
    code, doc = await api(*OCEAN, "branches", method="DELETE", params={"name": "old/look"})
    assert code == 404 and "does not exist" in doc["message"]
    code, doc = await api(*OCEAN, "branches", method="DELETE")
    assert code == 400 and "Missing query parameter 'name'" in doc["message"]


async def test_tags_create_and_delete(api) -> None:
    code, doc = await api(*OCEAN, "tags", method="POST", body={"name": "v2", "commit": "main", "message": "two"})
    assert code == 201 and doc["name"] == "v2" and doc["message"] == "two"
    _, doc = await api(*OCEAN, "tags")
    assert sorted(t["name"] for t in doc["refs"]) == ["v1", "v2"]
    code, doc = await api(*OCEAN, "tags", method="POST", body={"name": "v2", "commit": "main"})
    assert code == 409 and "never move" in doc["message"]
    code, doc = await api(*OCEAN, "tags", method="POST", body={"name": "v3", "commit": "main", "message": 3})
    assert code == 400 and "'message'" in doc["message"]
    assert (await api(*OCEAN, "tags", method="DELETE", params={"name": "v2"}))[0] == 204
    code, doc = await api(*OCEAN, "tags", method="DELETE", params={"name": "v2"})
    assert code == 404 and doc["error"] == "RefNotFoundError"


async def test_sessions_list_and_abandon(api, sidebar_root) -> None:
    code, doc = await api(*OCEAN, "sessions")
    assert code == 200 and strict_json(doc)["type"] == "sessions"
    [s] = doc["sessions"]
    assert s["author_name"] == "Grace Hopper" and s["branch"] == "main"
    assert 0 <= s["age_seconds"] < 600 and s["expires_in_seconds"] > 3600
    assert s["changed_keys"] >= 1 and [n["path"] for n in s["changed_nodes"]] == ["ocean/temp"]
    assert s["changed_nodes"][0]["chunks_written"] == 1 and s["changed_nodes_partial"] is False
    code, doc = await api(*OCEAN, "sessions", method="DELETE", params={"id": s["id"]})
    assert code == 204
    _, doc = await api(*OCEAN, "sessions")
    assert doc["sessions"] == []
    # The writer finds out at its next commit (the sidebar changed no kernel's state behind its back
    # beyond what the user confirmed: the session is gone).
    writer = Client(root=sidebar_root).get_repo("earthmover/ocean", checkout=False)
    with pytest.raises(SessionAbandonedError):
        writer.join_session(s["id"])
    code, doc = await api(*OCEAN, "sessions", method="DELETE", params={"id": "nosuchsession"})
    assert code == 404 and doc["message"]


async def test_tree_and_node_at_a_ref(api) -> None:
    code, doc = await api(*OCEAN, "tree")
    assert code == 200 and [c["path"] for c in strict_json(doc)["children"]] == ["ocean"]
    _, doc = await api(*OCEAN, "tree", params={"path": "ocean", "ref": "v1"})
    assert [(c["name"], c["shape"]) for c in doc["children"]] == [("temp", [4, 4])]
    code, doc = await api(*OCEAN, "node", params={"path": "ocean/temp", "ref": "main"})
    assert code == 200 and doc["array"]["shape"] == [4, 4] and doc["array"]["chunk_shape"] == [2, 2]
    _, doc = await api(*OCEAN, "node", params={"path": ""})
    assert doc["attributes"] == {"title": "Ocean"}
    code, doc = await api(*OCEAN, "node", params={"path": "ocean/salt"})
    assert code == 404 and "ocean/salt" in doc["message"]
    code, doc = await api(*OCEAN, "tree", params={"ref": "nowhere"})
    assert code == 404 and "nowhere" in doc["message"]
    code, doc = await api(*OCEAN, "tree", params={"path": "o" * 5000})
    assert code == 400 and "too long" in doc["message"]


async def test_diff_and_chunk_detail(api) -> None:
    _, page = await api(*OCEAN, "history")
    new, old = page["rows"][0]["id"], page["rows"][1]["id"]
    code, doc = await api(*OCEAN, "diff", params={"a": old, "b": new})
    assert code == 200 and strict_json(doc)["type"] == "diff_summary"
    [arr] = doc["arrays"]
    assert arr["path"] == "ocean/temp" and arr["chunks_changed"] == 1 and arr["heatmap"]["changed"] == [[1, 0], [0, 0]]
    code, doc = await api(*OCEAN, "chunk", params={"a": old, "b": new, "path": "ocean/temp", "coords": "0,0"})
    assert code == 200 and doc["a"]["mean"] == 1 and doc["b"]["mean"] == 5
    code, doc = await api(*OCEAN, "chunk", params={"a": old, "b": new, "path": "ocean/temp", "coords": "0,x"})
    assert code == 400 and "comma-separated integers" in doc["message"]
    code, doc = await api(*OCEAN, "chunk", params={"a": old, "b": new, "path": "ocean/temp", "coords": "9,9"})
    assert code == 400 and doc["error"] == "InvalidSelectionError"
    code, doc = await api(*OCEAN, "diff", params={"a": old})
    assert code == 400 and "'b'" in doc["message"]
    # The heat map's axes, as the diff view's picker asks for them.
    code, doc = await api(*OCEAN, "diff", params={"a": old, "b": new, "dims": json.dumps({"ocean/temp": [1, 0]})})
    assert code == 200 and doc["arrays"][0]["heatmap"]["dims"] == [1, 0]
    assert doc["arrays"][0]["heatmap"]["changed"] == [[1, 0], [0, 0]]
    for bad in ("[1, 0]", "{oops", json.dumps({"ocean/temp": ["x"]})):
        code, doc = await api(*OCEAN, "diff", params={"a": old, "b": new, "dims": bad})
        assert code == 400 and "'dims' must be JSON" in doc["message"], bad
    code, doc = await api(*OCEAN, "diff", params={"a": old, "b": new, "dims": json.dumps({"ocean/temp": [0, 7]})})
    assert code == 400 and doc["error"] == "InvalidSelectionError"


async def test_array_history(api) -> None:
    code, doc = await api(*OCEAN, "array-history", params={"path": "ocean/temp"})
    assert code == 200 and [v["message"] for v in strict_json(doc)["versions"]] == ["warm a corner", "create temp"]
    code, doc = await api(*OCEAN, "array-history", params={"path": "ocean/salt"})
    assert code == 404 and "ocean/salt" in doc["message"]
    code, doc = await api(*OCEAN, "array-history")
    assert code == 400 and "'path'" in doc["message"]


async def test_watch_token_moves_with_commits_not_with_reads(api, sidebar_root) -> None:
    code, doc = await api(*OCEAN, "watch")
    assert code == 200 and doc["changed"] is True  # no 'since': anything is news
    token = doc["token"]
    for route in ("history", "sessions", "branches", "tree"):
        await api(*OCEAN, route)
    _, doc = await api(*OCEAN, "watch", params={"since": token})
    assert doc == {"token": token, "changed": False, "settled": True}

    def commit_later() -> None:
        time.sleep(0.5)
        other = Client(root=sidebar_root).get_repo("earthmover/ocean")
        other.root_group.attrs["more"] = 1
        other.commit("from another writer")
        other.release()

    writer = threading.Thread(target=commit_later)
    start = time.monotonic()
    writer.start()
    code, doc = await api(*OCEAN, "watch", params={"since": token, "timeout": 10})
    waited = time.monotonic() - start
    writer.join()
    assert code == 200 and doc["changed"] is True and doc["token"] != token
    assert 0.4 < waited < 8, waited  # it waited for the commit, and answered soon after it
    _, page = await api(*OCEAN, "history")
    assert page["rows"][0]["message"] == "from another writer"
    code, doc = await api(*OCEAN, "watch", params={"since": token, "timeout": 31})
    assert code == 400 and "between 0 and 30" in doc["message"]


async def test_watch_settles_after_a_burst_of_commits(api, sidebar_root) -> None:
    _, doc = await api(*OCEAN, "watch")
    token = doc["token"]
    finished: list[float] = []

    def burst() -> None:
        other = Client(root=sidebar_root).get_repo("earthmover/ocean")
        for i in range(5):
            other.root_group.attrs["n"] = i
            other.commit(f"burst {i}")
            time.sleep(0.2)
        finished.append(time.monotonic())

    writer = threading.Thread(target=burst)
    writer.start()
    # Asked with a short timeout in the middle of the burst: changed, but not settled.
    await asyncio.sleep(0.3)
    code, doc = await api(*OCEAN, "watch", params={"since": token, "timeout": 0.3, "settle": 1.5})
    assert code == 200 and doc["changed"] is True and doc["settled"] is False
    code, doc = await api(*OCEAN, "watch", params={"since": token, "timeout": 20, "settle": 1.5})
    answered = time.monotonic()
    writer.join()
    assert code == 200 and doc["changed"] is True and doc["settled"] is True
    # Not in the middle of the burst: after its last commit, once the token stood still for 1.5 s.
    assert finished and answered - finished[0] > 1.0, answered - finished[0]
    _, page = await api(*OCEAN, "history", params={"limit": 1})
    assert page["rows"][0]["message"] == "burst 4"
    code, doc = await api(*OCEAN, "watch", params={"settle": "soon"})
    assert code == 400 and "'settle' must be a number of seconds" in doc["message"]


async def test_a_session_write_elsewhere_moves_the_token(api, sidebar_root) -> None:
    _, doc = await api(*OCEAN, "watch")
    other = Client(root=sidebar_root).get_repo("earthmover/ocean")
    other.root_group["ocean/temp"][0, 0] = 3
    other.release()
    _, after = await api(*OCEAN, "watch", params={"since": doc["token"]})
    assert after["changed"] is True


_HOLDER_CHECK = """
import sys
from arraylake_nb import Client, MetastoreBusyError
root = sys.argv[1]
for line in sys.stdin:
    try:
        Client(root=root, lease_timeout=0).get_repo("earthmover/ocean", checkout=False).branches
        print("free", flush=True)
    except MetastoreBusyError:
        print("busy", flush=True)
"""


async def test_the_server_never_holds_a_metastore_after_a_request(api, sidebar_root) -> None:
    # Another process, ready before the requests, tries to read the metastore without waiting at all
    # right after each reply: it can only succeed if the server gave the file back.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    # A long-lived peer process, talked to off the event loop below.
    child = subprocess.Popen([sys.executable, "-c", _HOLDER_CHECK, str(sidebar_root)],  # noqa: ASYNC220
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    try:
        child.stdin.write("warm-up\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "free"
        for route, params in (("history", None), ("sessions", None), ("tree", {"path": "ocean"}),
                              ("array-history", {"path": "ocean/temp"}), ("", None)):
            code, _ = await api(*OCEAN, *([route] if route else []), params=params)
            assert code == 200
            child.stdin.write("check\n")
            child.stdin.flush()
            answer = await asyncio.to_thread(child.stdout.readline)
            assert answer.strip() == "free", route
    finally:
        child.stdin.close()
        child.wait(timeout=30)


# -- authentication -------------------------------------------------------


def _our_rules(app) -> list[tuple[str, type]]:
    """The routes the running server actually has under /arraylake-nb/api/, from its router."""
    found = []
    for rule in app.default_router.rules + app.wildcard_router.rules:
        for sub in getattr(rule.target, "rules", [rule]):
            pattern = getattr(sub.matcher, "regex", None)
            if pattern is not None and "arraylake-nb/api" in pattern.pattern:
                found.append((pattern.pattern, sub.target))
    return found


def _sample_url(pattern: str) -> str:
    import re

    url = pattern.rstrip("$").removesuffix("/?")
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: {"org": "earthmover", "name": "ocean"}.get(m[1], "main"), url)
    return url


async def test_every_route_refuses_requests_without_credentials(jp_serverapp, http_server_client) -> None:
    rules = _our_rules(jp_serverapp.web_app)
    assert len(rules) == len(ROUTES)  # the test covers every route the extension registered
    tried = 0
    for pattern, handler in rules:
        url = _sample_url(pattern)
        for method in ("GET", "POST", "DELETE"):
            if getattr(handler, method.lower()) is getattr(handler.__mro__[-2], method.lower(), None):
                continue  # tornado's default: 405 for everyone
            r = await http_server_client.fetch(url, method=method, raise_error=False,
                                               body=b"{}" if method == "POST" else None)
            assert r.code == 403, (method, url, r.code, r.body[:200])
            tried += 1
    assert tried >= len(ROUTES) + 4  # GET everywhere, plus create/delete of branches and tags, session abandon


async def test_a_wrong_token_is_refused_and_the_right_one_accepted(jp_fetch) -> None:
    r = await jp_fetch("arraylake-nb", "api", "repos", headers={"Authorization": "token wrong"}, raise_error=False)
    assert r.code == 403
    r = await jp_fetch("arraylake-nb", "api", "repos")
    assert r.code == 200


async def test_a_cookie_session_needs_the_xsrf_token_to_change_anything(jp_serverapp, http_server_client,
                                                                       jp_auth_header) -> None:
    # Log in with the token in the URL, as a browser does; the server answers with a login cookie.
    base = "/a%40b/arraylake-nb/api/"
    token = jp_auth_header["Authorization"].split()[1]
    r = await http_server_client.fetch(f"{base}repos?token={token}", raise_error=False)
    assert r.code == 200
    login = r.headers.get_list("Set-Cookie")[0].split(";")[0]
    # The login page hands out the XSRF cookie, which the front end echoes in a header.
    r = await http_server_client.fetch("/a%40b/login", raise_error=False, follow_redirects=False)
    xsrf_cookie = next(c.split(";")[0] for c in r.headers.get_list("Set-Cookie") if c.startswith("_xsrf="))
    xsrf = xsrf_cookie.split("=", 1)[1]
    cookies = f"{login}; {xsrf_cookie}"
    r = await http_server_client.fetch(f"{base}repos/earthmover/ocean/tags", method="POST", raise_error=False,
                                       body=b'{"name": "sneaky", "commit": "main"}', headers={"Cookie": cookies})
    assert r.code == 403  # a cross-site form could do this much, and no more
    r = await http_server_client.fetch(f"{base}repos/earthmover/ocean/tags", method="POST", raise_error=False,
                                       body=b'{"name": "v9", "commit": "main"}',
                                       headers={"Cookie": cookies, "X-XSRFToken": xsrf})
    assert r.code == 201, r.body
