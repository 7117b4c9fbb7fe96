"""Repo.change_token (what the sidebar polls) and Repo.release (how the server gives the metastore back)."""

from __future__ import annotations

import subprocess
import sys

from arraylake_nb import Client


def test_change_token_moves_with_writes_and_not_with_reads(client, repo) -> None:
    repo.root_group.attrs["a"] = 1
    repo.commit("one")
    # Closing the file moves DuckDB's log into it: a change of the file (the token may move), not of the content.
    repo.release()
    reader = Client(root=client.root).get_repo("earthmover/ocean", checkout=False)
    token = reader.change_token()
    assert len(token) == 24 and int(token, 16) >= 0
    list(reader.branches), reader.log_page("main"), reader.list_active_sessions(), reader.tree(ref="main")
    reader.release()
    assert reader.change_token() == token  # reads leave it alone
    repo.tag("v1")
    after_tag = reader.change_token()
    assert after_tag != token
    repo.root_group.attrs["b"] = 2  # an uncommitted write in a session
    after_write = reader.change_token()
    assert after_write != after_tag
    repo.commit("two")
    assert reader.change_token() not in (token, after_tag, after_write)


def test_release_lets_another_process_in_without_waiting(client, repo) -> None:
    repo.root_group.attrs["a"] = 1
    repo.commit("one")  # this process now holds the metastore (for up to a second of idleness)
    probe = (
        "import sys\nfrom arraylake_nb import Client, MetastoreBusyError\n"
        "try:\n    Client(root=sys.argv[1], lease_timeout=0).get_repo('earthmover/ocean', checkout=False).branches\n"
        "    print('free')\nexcept MetastoreBusyError:\n    print('busy')\n"
    )
    repo.release()
    out = subprocess.run([sys.executable, "-c", probe, str(client.root)], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": ":".join(sys.path), "PATH": "/usr/bin:/bin"})
    assert out.stdout.strip() == "free", out.stderr
    list(repo.branches)  # still usable: it reopens the file
