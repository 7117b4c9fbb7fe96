"""What users see: text, Rich and HTML renderings of the models, from a real repository."""

from __future__ import annotations

import io

import rich.console

from arraylake_nb import Client


def _rich_text(obj: object) -> str:
    buf = io.StringIO()
    rich.console.Console(file=buf, width=120, color_system=None, force_jupyter=False).print(obj)
    return buf.getvalue()


def test_status_renderings(repo) -> None:
    empty = repo.status()
    for rendering in (str(empty), _rich_text(empty)):
        assert "🧊 Using repo earthmover/ocean" in rendering
        assert "🌿 On branch main" in rendering
        assert "No changes in current session" in rendering
    repo.root_group.attrs["title"] = "[b]not markup[/b]"
    arr = repo.root_group.create_array("t", shape=(4,), chunks=(1,), dtype="i1")
    arr[:] = 1
    status = repo.status()
    text = str(status)
    assert "📝 t/c/0" in text and "📝 zarr.json" in text
    assert "paths modified in session" in text
    html = status._repr_html_()
    assert html.startswith('<div class="alnb') and "t/c/3" in html and "<style>" in html


def test_status_limit_says_how_many_more(repo) -> None:
    repo.root_group.create_array("many", shape=(50,), chunks=(1,), dtype="i1")[:] = 1
    status = repo.status(limit=10)
    assert len(status.modified_paths) == 10 and status.total == 52
    assert "42 more" in str(status) and "limit=0" in str(status)
    assert "limit=10" not in str(status)
    assert len(repo.status(limit=0).modified_paths) == 52


def test_deleted_paths_and_detached_checkout(repo) -> None:
    import warnings

    repo.root_group.create_group("g")
    cid = repo.commit("add g")
    del repo.root_group["g"]
    assert "❌ g/zarr.json" in str(repo.status())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        repo.checkout(cid)
    text = str(repo.status())
    assert "Not on a branch" in text and ":shrug:" not in text
    assert f"📌 Base commit {cid}" in text


def test_commit_log_renders_first_page_with_labels(client: Client) -> None:
    repo = client.create_repo("org/log")
    for i in range(60):
        repo.root_group.attrs["i"] = i
        repo.commit(f"commit number {i}")
    repo.tag("v1")
    log = repo.commit_log
    text = str(log)
    head = log[0]
    assert text.startswith(f"commit {head.id} (main, tag: v1)")
    assert "Author: Ada Lovelace <ada@example.org>" in text
    assert "    commit number 59" in text and "commit number 0" not in text
    assert "10 older commits" in text
    html = log._repr_html_()
    assert head.short_id in html and "commit number 59" in html
    assert str(client.create_repo("org/empty").commit_log).strip() == "No commits yet"


def test_refs_and_sessions_render(repo) -> None:
    repo.root_group.attrs["a"] = 1
    cid = repo.commit("a")
    repo.new_branch("dev")
    repo.tag("v1", message="first <release>")
    branches = str(repo.branches)
    assert "main" in branches and "dev" in branches and cid in branches
    assert "first <release>" in str(repo.tags)
    assert "first &lt;release&gt;" in repo.tags._repr_html_()
    repo.root_group.attrs["b"] = 2
    sessions = repo.list_active_sessions()
    assert repo.session.id in _rich_text(sessions) or repo.session.id[:8] in _rich_text(sessions)
    assert "No active sessions" in str(Client(root=repo.path.parent.parent).create_repo("x/y").list_active_sessions())



def test_terminal_ipython_shows_the_rich_text_of_every_model(client: Client) -> None:
    from IPython.lib.pretty import pretty

    repo = client.create_repo("org/pretty")
    repo.root_group.create_array("a", shape=(4,), chunks=(2,), dtype="i4")[:] = 1
    status = repo.status()
    repo.commit("one")
    for model in (status, repo.commit_log, repo.branches, repo.tree(), repo.list_active_sessions(), repo.fsck()):
        shown = pretty(model)
        assert shown == str(model) and not shown.startswith("<") and "object at" not in shown
    assert "a" in pretty(repo.tree()) and "one" in pretty(repo.commit_log)
