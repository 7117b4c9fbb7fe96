"""The commit author from git config is looked up once per process, not once per repository opened."""

from __future__ import annotations

import subprocess

from arraylake_nb import Client, config


def test_git_config_is_read_once_per_key(monkeypatch, tmp_path) -> None:
    for var in ("ARRAYLAKE_NB_AUTHOR_NAME", "ARRAYLAKE_NB_AUTHOR_EMAIL", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    config._git_config.cache_clear()
    runs: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(args, *rest, **kwargs):
        runs.append(list(args))
        return real_run(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "run", counting_run)
    client = Client(root=tmp_path)
    client.create_repo("o/r").release()
    first = client.get_repo("o/r", checkout=False).author
    for _ in range(5):
        assert client.get_repo("o/r", checkout=False).author == first
    # user.name, and user.email when a name is configured: at most two runs of git in all.
    assert len([r for r in runs if r[:1] == ["git"]]) <= 2, runs
    config._git_config.cache_clear()
