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
