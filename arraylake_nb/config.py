"""Where repositories live and who authors commits."""

from __future__ import annotations

import functools
import getpass
import os
import socket
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from arraylake_nb.errors import ConfigError

ROOT_ENV = "ARRAYLAKE_NB_ROOT"
DURABILITY_ENV = "ARRAYLAKE_NB_DURABILITY"


def default_root() -> Path:
    """The embedded default root: ``$ARRAYLAKE_NB_ROOT``, else a per-user data directory."""
    env = os.environ.get(ROOT_ENV)
    if env:
        return Path(env).expanduser()
    if sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    elif os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "arraylake_nb"


#: How the bytes a session depends on reach the disk (see :func:`check_durability`).
DURABILITY_MODES = ("write", "commit", "none")


def check_durability(value: object) -> str:
    """Validate a durability setting.

    ``"write"``: every acknowledged write is on disk (fsynced) before the call
    returns, so it survives a power cut. ``"commit"``: a process killed at any
    moment loses nothing, but uncommitted writes are fsynced only when they are
    committed. ``"none"``: nothing is fsynced (scratch work).
    """
    if value not in DURABILITY_MODES:
        raise ConfigError(
            f"durability must be one of {', '.join(map(repr, DURABILITY_MODES))}; got {value!r}. "
            "Set it with Client(durability=...) or the ARRAYLAKE_NB_DURABILITY environment variable."
        )
    return value  # type: ignore[return-value]



def resolve_durability(durability: str | None = None) -> str:
    """The durability of new sessions: explicit, else ``$ARRAYLAKE_NB_DURABILITY``, else ``"write"``.

    ``"write"``: every acknowledged write is fsynced before the call returns (it
    survives a power cut). ``"commit"``: writes survive a killed process at once
    and a power cut once committed. ``"none"``: nothing is fsynced (scratch work).
    """
    return check_durability(durability if durability is not None else os.environ.get(DURABILITY_ENV) or "write")


@dataclass(frozen=True, slots=True)
class Author:
    """The name and email recorded on commits, tags and sessions."""

    name: str
    email: str | None = None

    def __str__(self) -> str:
        return f"{self.name} <{self.email or ''}>"


# One entry per key: with room for a single entry, looking up user.name and then user.email
# evicted each other, and every repository opened ran git twice (~5 ms; 0.5 s for the sidebar's
# 100 repositories).
@functools.lru_cache(maxsize=8)
def _git_config(key: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", "config", "--get", key], capture_output=True, text=True, timeout=2, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    value = out.stdout.strip()
    return value or None


def resolve_author(author: Author | str | None = None) -> Author:
    """The commit author: explicit, else environment, else git config, else the login name.

    Environment variables, in order: ``ARRAYLAKE_NB_AUTHOR_NAME`` /
    ``ARRAYLAKE_NB_AUTHOR_EMAIL``, then git's ``GIT_AUTHOR_NAME`` /
    ``GIT_AUTHOR_EMAIL``.
    """
    if isinstance(author, Author):
        return author
    if isinstance(author, str):
        name, _, rest = author.partition("<")
        return Author(name.strip(), rest.rstrip(">").strip() or None)
    for name_var, email_var in (
        ("ARRAYLAKE_NB_AUTHOR_NAME", "ARRAYLAKE_NB_AUTHOR_EMAIL"),
        ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"),
    ):
        if os.environ.get(name_var):
            return Author(os.environ[name_var], os.environ.get(email_var) or None)
    name = _git_config("user.name")
    if name:
        return Author(name, _git_config("user.email"))
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return Author(user, f"{user}@{socket.gethostname()}")
