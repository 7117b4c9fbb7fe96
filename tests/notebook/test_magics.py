"""The %arraylake magics, driven through IPython's real InteractiveShell."""

from __future__ import annotations

import traceback

import pytest
from IPython.core.error import UsageError
from IPython.core.getipython import get_ipython as running_shell
from IPython.testing.globalipapp import get_ipython as start_test_shell

import arraylake_nb
from arraylake_nb import Client
from arraylake_nb.models import CommitLog, SessionStatus, Tree


@pytest.fixture
def ip(client: Client, monkeypatch):
    # The test shell starts once per process; later calls return None.
    shell = start_test_shell() or running_shell()
    shell.run_line_magic("load_ext", "arraylake_nb")
    monkeypatch.setenv("ARRAYLAKE_NB_ROOT", str(client.root))
    arraylake_nb.use_repo(None)
    for name in [k for k, v in shell.user_ns.items() if isinstance(v, arraylake_nb.Repo)]:
        del shell.user_ns[name]
    yield shell
    arraylake_nb.use_repo(None)


def test_use_and_every_subcommand(ip, client: Client) -> None:
    repo = ip.run_line_magic("arraylake", "use earthmover/ocean --create")
    assert repo.name == "earthmover/ocean"
    ip.run_cell("import numpy as np\nrepo = __import__('arraylake_nb').Client().get_repo('earthmover/ocean')")
    repo.root_group.attrs["title"] = "ocean"
    assert isinstance(ip.run_line_magic("arraylake", "status"), SessionStatus)
    cid = ip.run_line_magic("arraylake", 'commit -m "first commit"')
    assert cid == repo.commit_log[0].id
    log = ip.run_line_magic("arraylake", "log -n 5")
    assert isinstance(log, CommitLog) and log.page_size == 5 and log[0].message == "first commit"
    repo.root_group.create_group("atlantic").create_array("t", shape=(4,), dtype="f4").attrs["units"] = "m"
    assert isinstance(ip.run_line_magic("arraylake", "tree --depth 2"), Tree)
    assert ip.run_line_magic("arraylake", "search units == 'm'") == ["atlantic/t"]
    ip.run_line_magic("arraylake", "commit -m second")
    assert "dev" in ip.run_line_magic("arraylake", "branch dev").name
    assert "dev" in ip.run_line_magic("arraylake", "branch")
    assert ip.run_line_magic("arraylake", f"tag v1 --at {cid}").commit_id == cid
    assert "v1" in ip.run_line_magic("arraylake", "tag")
    diff = ip.run_line_magic("arraylake", f"diff {cid} main")
    assert diff.added == [("atlantic", "group"), ("atlantic/t", "array")]
    with pytest.warns(UserWarning):
        assert ip.run_line_magic("arraylake", "checkout v1") == cid
    ip.run_line_magic("arraylake", "checkout main")
    ip.run_line_magic("arraylake", "branch -d dev")
    ip.run_line_magic("arraylake", "tag -d v1")
    assert len(repo.tags) == 0
    repo.root_group.attrs["draft"] = 1
    assert ip.run_line_magic("arraylake", "sessions")[0].id == repo.session.id
    assert ip.run_line_magic("arraylake", "abandon").total == 0
    assert ip.run_line_magic("arraylake", "fast-forward") == repo.commit_log[0].id


def test_the_only_repo_in_the_namespace_is_used(ip, client: Client) -> None:
    with pytest.raises(UsageError, match="None is open"):
        ip.run_line_magic("arraylake", "status")
    ip.user_ns["r"] = client.create_repo("org/only")
    assert ip.run_line_magic("arraylake", "status").repo_name == "org/only"
    ip.user_ns["r2"] = client.create_repo("org/second")
    with pytest.raises(UsageError, match="Several are open"):
        ip.run_line_magic("arraylake", "status")


def test_bad_arguments_are_usage_errors(ip, client: Client, capsys) -> None:
    ip.user_ns["r"] = client.create_repo("org/u")
    for line in ["", "frobnicate", "commit", "log -n x", 'commit -m "unterminated', "transaction -m x"]:
        with pytest.raises(UsageError, match="usage: %arraylake|transaction is a cell magic|Give a command"):
            ip.run_line_magic("arraylake", line)
    with pytest.raises(UsageError, match="was not found"):
        ip.run_line_magic("arraylake", "checkout nowhere")
    assert ip.run_line_magic("arraylake", "--help") is None
    assert "usage: %arraylake" in capsys.readouterr().out
    assert "transaction" in ip.find_line_magic("arraylake").__doc__


def test_transaction_commits_on_success_and_rolls_back_exactly_the_cell(ip, client: Client) -> None:
    repo = client.create_repo("org/tx")
    ip.user_ns["repo"] = repo
    ip.run_cell("g = repo.root_group\ng.attrs['before'] = 1")
    with pytest.raises(ValueError, match="boom"):
        ip.run_cell_magic(
            "arraylake", "transaction -m 'failed work'",
            "g.attrs['inside'] = 2\na = g.create_array('x', shape=(3,), dtype='i4')\na[:] = 7\nraise ValueError('boom')",
        )
    # The cell's exception propagated and exactly its changes are gone.
    assert ip.user_ns["a"] is not None
    assert dict(repo.root_group.attrs) == {"before": 1}
    assert "x" not in repo.root_group
    assert len(repo.commit_log) == 0
    result = ip.run_cell("%%arraylake transaction -m 'good work'\ng.attrs['inside'] = 3")
    assert result.success
    assert [c.message for c in repo.commit_log] == ["good work"]
    assert repo.commit_log[0].cell_source == "g.attrs['inside'] = 3\n"
    assert dict(repo.root_group.attrs) == {"before": 1, "inside": 3}


def test_failed_transaction_raises_through_the_shell(ip, client: Client) -> None:
    ip.user_ns["repo"] = client.create_repo("org/tx2")
    result = ip.run_cell("%%arraylake transaction -m 'x'\nrepo.root_group.attrs['k'] = 1\n1/0")
    assert isinstance(result.error_in_exec, ZeroDivisionError)
    assert "k" not in ip.user_ns["repo"].root_group.attrs


def test_failed_transaction_says_what_was_rolled_back_and_shows_only_the_cells_frames(
        ip, client: Client, capsys) -> None:
    ip.user_ns["repo"] = client.create_repo("org/tx3")
    shown: list[str] = []
    ip._showtraceback = lambda etype, value, stb: shown.extend(stb)  # what a terminal or kernel would print
    cell = ("%%arraylake transaction -m 'x'\nrepo.root_group.attrs['k'] = 1\nrepo.root_group.create_group('g')\n"
            "def fail():\n    return {}['missing key']\nfail()")
    result = ip.run_cell(cell)
    del ip._showtraceback
    assert isinstance(result.error_in_exec, KeyError)
    err = capsys.readouterr().err
    assert "Rolled back 2 changes made by this cell; the session is as it was before it." in err
    text = "\n".join(shown)
    assert "arraylake_nb/" not in text and "IPython/core" not in text
    assert "return {}['missing key']" in text and "fail()" in text and "KeyError" in text
    assert "line 6" in text  # the notebook cell's own line numbers (the magic's line is line 1)
    # The raised exception's own traceback starts at the cell too (below the frames re-raising adds).
    frames = traceback.extract_tb(result.error_in_exec.__traceback__)
    cell_frames = [f for f in frames if "arraylake_nb" not in f.filename and "IPython" not in f.filename]
    assert [f.name for f in cell_frames][-2:] == ["<module>", "fail"]
    assert "k" not in ip.user_ns["repo"].root_group.attrs


def test_commits_from_a_cell_record_its_source(ip, client: Client) -> None:
    ip.user_ns["repo"] = client.create_repo("org/prov")
    ip.run_cell("repo.root_group.attrs['a'] = 1\ncid = repo.commit('from a cell')")
    commit = ip.user_ns["repo"].get_commit(ip.user_ns["cid"])
    assert "repo.commit('from a cell')" in commit.cell_source
    assert "cell:" in str(commit)
    shown = ip.run_line_magic("arraylake", "log --cells")
    assert "repo.commit('from a cell')" in str(shown)
    assert "repo.commit" not in str(ip.run_line_magic("arraylake", "log"))


def test_checkout_of_an_old_commit_shows_a_one_line_notice(ip, client: Client) -> None:
    import contextlib
    import io
    import warnings

    from arraylake_nb.errors import NotOnBranchWarning

    repo = client.create_repo("earthmover/notice")
    repo.root_group.attrs["v"] = 1
    first = repo.commit("first")
    repo.root_group.attrs["v"] = 2
    repo.commit("second")
    ip.user_ns["notice_repo"] = repo
    ip.user_ns["first_id"] = first
    err = io.StringIO()
    passed_on = []
    # pytest records warnings around each test; show them as a kernel does.
    with warnings.catch_warnings(), contextlib.redirect_stderr(err):
        warnings.simplefilter("always")
        previous = warnings.showwarning = lambda m, c, f, n, file=None, line=None: passed_on.append((c, str(m), f))
        ip.run_line_magic("load_ext", "arraylake_nb")
        ip.extension_manager.reload_extension("arraylake_nb")  # install the hook inside this block
        ip.run_cell("notice_repo.checkout(first_id)")
        ip.run_cell("import warnings; warnings.warn('something else', UserWarning)")
        # unloading the extension puts the previous showwarning back
        ip.run_line_magic("unload_ext", "arraylake_nb")
        assert warnings.showwarning is previous
        ip.run_line_magic("load_ext", "arraylake_nb")
    shown = err.getvalue()
    lines = shown.splitlines()
    assert f"read-only at {first[:8]} — repo.checkout('main') to write again" in lines
    assert "not on a branch tip" not in shown.split("something else")[0]
    notice = lines[lines.index(f"read-only at {first[:8]} — repo.checkout('main') to write again")]
    assert "/tmp/ipykernel" not in notice and ".py:" not in notice
    # every other warning goes to the previous showwarning, this one does not
    assert [(c, m) for c, m, _ in passed_on] == [(UserWarning, "something else")]
    # and code that filters the warning still sees its category and text
    with pytest.warns(NotOnBranchWarning, match="You are not on a branch tip"):
        repo.checkout(first)


def test_in_a_kernel_the_notice_needs_no_extension(tmp_path, run_in_kernel) -> None:
    code = f"""
from arraylake_nb import Client
repo = Client(root={str(tmp_path)!r}).create_repo("earthmover/notice")
repo.root_group.attrs["v"] = 1
first = repo.commit("first")
repo.root_group.attrs["v"] = 2
repo.commit("second")
repo.checkout(first)
print(first[:8])
"""
    messages = run_in_kernel(code)
    assert not [m for m in messages if m["msg_type"] == "error"]
    streams = [m["content"] for m in messages if m["msg_type"] == "stream"]
    short = "".join(s["text"] for s in streams if s["name"] == "stdout").strip()
    stderr = "".join(s["text"] for s in streams if s["name"] == "stderr")
    assert stderr == f"read-only at {short} — repo.checkout('main') to write again\n"
