"""Validation of repository, branch and tag names.

Names are checked before anything touches the disk: a repository name becomes
two directory levels under the client's root, so anything that could escape
that root (``..``, absolute paths, separators) is refused here.

Patterns must match the whole name (``re.fullmatch``): with ``re.match`` and
``$``, a trailing newline slips through, and ``"main\\n"`` would become a second
branch that prints exactly like ``main``. A refused name's message names the
offending character and its position, because the character is often
invisible when the name is printed.
"""

from __future__ import annotations

import re
import unicodedata

from arraylake_nb.errors import InvalidNameError

_PART = re.compile(r"[A-Za-z0-9._-]+")
_REF = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._/-]*")
_PART_CHARS = re.compile(r"[A-Za-z0-9._-]")
_REF_CHARS = re.compile(r"[A-Za-z0-9._/-]")
MAX_NAME_LENGTH = 128

_CHARACTER_NAMES = {
    "\n": "a newline",
    "\r": "a carriage return",
    "\t": "a tab",
    "\v": "a vertical tab",
    "\f": "a form feed",
    "\x00": "a NUL character",
    "\x1b": "an escape character",
    "\x7f": "a delete character",
    " ": "a space",
    "\u00a0": "a no-break space",
    "\u200b": "a zero-width space",
    "\ufeff": "a byte order mark",
}


def describe_character(ch: str) -> str:
    """A readable name for ``ch`` with its code point, e.g. ``a newline (U+000A)``."""
    label = _CHARACTER_NAMES.get(ch)
    if label is None:
        if ch.isprintable():
            label = repr(ch)
        elif unicodedata.category(ch) == "Cc":
            label = "a control character"
        else:
            name = unicodedata.name(ch, "")
            label = f"the invisible character {name.lower()}" if name else "an invisible character"
    return f"{label} (U+{ord(ch):04X})"


def _character_problem(name: str, allowed: re.Pattern[str]) -> str | None:
    """Why ``name`` has a character it may not have, or None.

    Invisible characters come first, since they are what a printed name hides;
    then surrounding whitespace; then any other character outside ``allowed``.
    """
    for i, ch in enumerate(name):
        # isprintable() is False for control characters (category Cc) and for
        # format, separator, surrogate, private-use and unassigned ones.
        if not ch.isprintable():
            return f"contains {describe_character(ch)} at position {i}"
    if name[:1].isspace():
        return f"starts with {describe_character(name[0])}"
    if name[-1:].isspace():
        return f"ends with {describe_character(name[-1])}"
    for i, ch in enumerate(name):
        if ch != "/" and not allowed.fullmatch(ch):
            return f"contains {describe_character(ch)} at position {i}"
    return None


def validate_repo_name(name: object) -> tuple[str, str]:
    """Split an ``org/name`` repository name into its two parts.

    Parameters
    ----------
    name
        The repository name, e.g. ``"earthmover/ocean"``.

    Returns
    -------
    tuple of str
        The organisation and the repository part.

    Raises
    ------
    InvalidNameError
        If the name is not a string of exactly two parts made of letters,
        digits, ``.``, ``_`` and ``-`` (and neither part is ``.`` or ``..``);
        the message names any character that is not allowed.
    """
    hint = "Repository names look like 'org/name', each part made of letters, digits, '.', '_' or '-'."
    if not isinstance(name, str):
        raise InvalidNameError(f"Repository name must be a string, got {type(name).__name__}. {hint}")
    problem = _character_problem(name, _PART_CHARS)
    if problem is not None:
        raise InvalidNameError(f"Invalid repository name {name!r}: it {problem}. {hint}")
    parts = name.split("/")
    if len(parts) != 2:
        raise InvalidNameError(f"Invalid repository name {name!r}: expected two parts separated by '/'. {hint}")
    for part in parts:
        if not part or not _PART.fullmatch(part) or part in (".", "..") or len(part) > MAX_NAME_LENGTH:
            raise InvalidNameError(f"Invalid repository name {name!r}: bad part {part!r}. {hint}")
    return parts[0], parts[1]


def validate_org(org: object) -> str:
    """Check an organisation name (one part of a repository name).

    Raises
    ------
    InvalidNameError
        If ``org`` is not made of letters, digits, ``.``, ``_`` and ``-``, or
        is ``.`` or ``..``; the message names any character that is not allowed.
    """
    hint = "Use letters, digits, '.', '_' or '-'."
    if not isinstance(org, str):
        raise InvalidNameError(f"Organisation name must be a string, got {type(org).__name__}. {hint}")
    problem = _character_problem(org, _PART_CHARS) or ("contains '/'" if "/" in org else None)
    if problem is not None:
        raise InvalidNameError(f"Invalid organisation name {org!r}: it {problem}. {hint}")
    if not _PART.fullmatch(org) or org in (".", "..") or len(org) > MAX_NAME_LENGTH:
        raise InvalidNameError(f"Invalid organisation name {org!r}. {hint}")
    return org


def validate_ref_name(name: object, kind: str = "branch") -> str:
    """Check a branch or tag name.

    Branch and tag names may contain letters, digits, ``.``, ``_``, ``-`` and
    ``/`` (for names like ``feature/x``); they may not start with ``.``, ``-``
    or ``/``, end with ``/`` or ``.``, or contain ``..`` or ``//``.

    Parameters
    ----------
    name
        The proposed name.
    kind
        ``"branch"`` or ``"tag"``, used in the message.

    Returns
    -------
    str
        ``name``, unchanged.

    Raises
    ------
    InvalidNameError
        If the name breaks any of these rules; the message names any character
        that is not allowed (control characters, surrounding whitespace, ...).
    """
    hint = f"A {kind} name uses letters, digits, '.', '_', '-' and '/', e.g. 'dev' or 'feature/cleanup'."
    if not isinstance(name, str):
        raise InvalidNameError(f"A {kind} name must be a string, got {type(name).__name__}. {hint}")
    problem = _character_problem(name, _REF_CHARS)
    if problem is not None:
        raise InvalidNameError(f"Invalid {kind} name {name!r}: it {problem}. {hint}")
    if (
        not name
        or len(name) > MAX_NAME_LENGTH
        or not _REF.fullmatch(name)
        or ".." in name
        or "//" in name
        or name.endswith(("/", "."))
    ):
        raise InvalidNameError(f"Invalid {kind} name {name!r}. {hint}")
    return name
