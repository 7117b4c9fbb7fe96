"""Progress bars appear for long work when someone watches, and never otherwise."""

from __future__ import annotations

import numpy as np

from arraylake_nb.display._progress import progress


def test_bar_only_when_interactive_and_long(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ARRAYLAKE_NB_PROGRESS", "1")
    with progress(20_000, "Working") as advance:
        advance(20_000)
    assert "Working" in capsys.readouterr().err
    with progress(10, "Short work") as advance:
        advance()
    assert capsys.readouterr().err == ""
    monkeypatch.setenv("ARRAYLAKE_NB_PROGRESS", "0")
    with progress(20_000, "Hidden") as advance:
        advance(20_000)
    assert capsys.readouterr().err == ""


def test_fsck_and_large_commits_show_progress(repo, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ARRAYLAKE_NB_PROGRESS", "1")
    a = repo.root_group.create_array("x", shape=(12_000,), chunks=(1,), dtype="u2", compressors=None)
    a[:] = np.arange(12_000)
    repo.commit("many chunks")
    assert "Preparing commit" in capsys.readouterr().err
    assert repo.fsck().ok
    assert "Verifying chunks" in capsys.readouterr().err


def test_long_writes_and_gc_show_progress_in_a_terminal(repo, monkeypatch, capsys) -> None:
    from arraylake_nb.store import _store

    monkeypatch.setenv("ARRAYLAKE_NB_PROGRESS", "1")
    monkeypatch.setattr(_store, "WRITE_PROGRESS_AFTER", 0.0)
    a = repo.root_group.create_array("x", shape=(300,), chunks=(1,), dtype="u2")
    a[:] = np.arange(300)
    err = capsys.readouterr().err
    assert err.count("Writing chunks: 0 chunks") == 1  # one bar, for the chunks (not the metadata)
    # A short write stays silent: the counter appears only after the delay.
    monkeypatch.setattr(_store, "WRITE_PROGRESS_AFTER", 60.0)
    a[:] = 1
    assert capsys.readouterr().err == ""
    repo.commit("numbers")
    a[:] = 2
    repo.session.abandon()
    repo.checkout("main")
    from arraylake_nb.api import hooks

    monkeypatch.setattr(hooks, "progress", _eager(hooks.progress))
    repo.gc(older_than=0)
    assert "Sweeping chunks" in capsys.readouterr().err


def _eager(progress):
    # gc draws a bar from 10,000 chunk files; a test repository has fewer.
    return lambda total, description, min_total=0, unit="items": progress(total, description, 0, unit)


KERNEL_CODE = """
import numpy as np
from arraylake_nb import Client
from arraylake_nb.store import _store
_store.WRITE_PROGRESS_AFTER = 0.0
repo = Client(root={root!r}).create_repo("demo/progress")
a = repo.root_group.create_array("x", shape=(400,), chunks=(1,), dtype="u2")
a[:] = np.arange(400)
print("written", repo.status().total)
"""


def _outputs(messages: list[dict]) -> tuple[list[dict], list[str], str]:
    displays = [m for m in messages if m["msg_type"] in ("display_data", "update_display_data")]
    stderr = [m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stderr"]
    stdout = "".join(m["content"]["text"] for m in messages if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
    errors = [m for m in messages if m["msg_type"] == "error"]
    assert not errors, errors[0]["content"]["traceback"]
    return displays, stderr, stdout


def test_a_long_write_in_a_notebook_shows_a_widget_and_leaves_nothing(tmp_path, run_in_kernel) -> None:
    messages = run_in_kernel(KERNEL_CODE.format(root=str(tmp_path)))
    displays, stderr, stdout = _outputs(messages)
    # Cleared before the write returns: the next line of the cell prints after it.
    kinds = [m["msg_type"] for m in messages]
    assert kinds.index("update_display_data") < kinds.index("stream")
    assert "written 402" in stdout
    assert stderr == []  # no TqdmWarning, no stderr strip
    shown = [d for d in displays if d["msg_type"] == "display_data"]
    assert any("application/vnd.jupyter.widget-view+json" in d["content"]["data"] for d in shown)
    # The bar's output is emptied when the write ends.
    last = displays[-1]
    assert last["msg_type"] == "update_display_data" and last["content"]["data"] == {"text/plain": ""}
    assert last["content"]["transient"]["display_id"] == shown[-1]["content"]["transient"]["display_id"]


def test_without_ipywidgets_the_notebook_bar_is_a_line_of_text(tmp_path, run_in_kernel) -> None:
    code = "import sys\nsys.modules['ipywidgets'] = None\n" + KERNEL_CODE.format(root=str(tmp_path))
    displays, stderr, stdout = _outputs(run_in_kernel(code))
    assert "written 402" in stdout and stderr == []
    texts = [d["content"]["data"].get("text/plain", "") for d in displays]
    assert any(t.startswith("Writing chunks: ") and " chunks · " in t for t in texts)
    assert texts[-1] == ""
