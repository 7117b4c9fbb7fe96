"""Validation of repository, branch and tag names.

Names are checked before anything touches the disk: a repository name becomes
two directory levels under the client's root, so anything that could escape
that root (``..``, absolute paths, separators) is refused here.
"""

from __future__ import annotations

import re

from arraylake_nb.errors import InvalidNameError

_PART = re.compile(r"^[A-Za-z0-9._-]+$")
_REF = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")
MAX_NAME_LENGTH = 128


def validate_repo_name(name: object) -> tuple[str, str]:
    """Split an ``org/name`` repository name into its two parts.

    Raises
    ------
    InvalidNameError
        If the name is not a string of exactly two parts made of letters,
        digits, ``.``, ``_`` and ``-`` (and neither part is ``.`` or ``..``).
    """
    hint = "Repository names look like 'org/name', each part made of letters, digits, '.', '_' or '-'."
    if not isinstance(name, str):
        raise InvalidNameError(f"Repository name must be a string, got {type(name).__name__}. {hint}")
    parts = name.split("/")
    if len(parts) != 2:
        raise InvalidNameError(f"Invalid repository name {name!r}: expected two parts separated by '/'. {hint}")
    for part in parts:
        if not part or not _PART.match(part) or part in (".", "..") or len(part) > MAX_NAME_LENGTH:
            raise InvalidNameError(f"Invalid repository name {name!r}: bad part {part!r}. {hint}")
    return parts[0], parts[1]


def validate_org(org: object) -> str:
    """Check an organisation name (one part of a repository name)."""
    if not isinstance(org, str) or not _PART.match(org) or org in (".", ".."):
        raise InvalidNameError(
            f"Invalid organisation name {org!r}: use letters, digits, '.', '_' or '-'."
        )
    return org


def validate_ref_name(name: object, kind: str = "branch") -> str:
    """Check a branch or tag name.

    Branch and tag names may contain letters, digits, ``.``, ``_``, ``-`` and
    ``/`` (for names like ``feature/x``); they may not start with ``.``, ``-``
    or ``/``, end with ``/`` or ``.``, or contain ``..`` or ``//``.
    """
    hint = f"A {kind} name uses letters, digits, '.', '_', '-' and '/', e.g. 'dev' or 'feature/cleanup'."
    if not isinstance(name, str):
        raise InvalidNameError(f"A {kind} name must be a string, got {type(name).__name__}. {hint}")
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or not _REF.match(name)
        or ".." in name
        or "//" in name
        or name.endswith(("/", "."))
    ):
        raise InvalidNameError(f"Invalid {kind} name {name!r}. {hint}")
    return name
