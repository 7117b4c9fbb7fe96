"""Everything the engine knows about the shape of zarr keys, in one place.

A zarr store key is a ``/``-separated path such as ``ocean/temp/zarr.json``
(a metadata document) or ``ocean/temp/c/0/1`` (a chunk). The engine stores
metadata documents inline in the metastore and everything else as chunks in
the content-addressed chunk store. A chunk belongs to the *array* whose
directory is the longest prefix of its key; its key relative to that array
(``c/0/1``) is what the array's manifest records, so moving the array never
touches its chunk references.

Prefixes have directory semantics throughout, as in zarr's ``LocalStore``:
``list_prefix("a/t")`` means "everything inside directory ``a/t``" and never
matches ``a/t_array/...``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from arraylake_nb.errors import InvalidNameError

#: Key names of metadata documents for zarr format 3 and 2.
METADATA_NAMES = frozenset({"zarr.json", ".zarray", ".zgroup", ".zattrs", ".zmetadata"})
#: Key names whose presence makes their directory an array.
ARRAY_DOC_NAMES = frozenset({"zarr.json", ".zarray"})


def split(key: str) -> tuple[str, str]:
    """Split a key into (directory, name); the root directory is ``""``."""
    head, _, tail = key.rpartition("/")
    return head, tail


def join(directory: str, name: str) -> str:
    """Join a directory and a relative key, treating ``""`` as the root."""
    return f"{directory}/{name}" if directory else name


def is_metadata_key(key: str) -> bool:
    """True for keys of metadata documents (``zarr.json``, ``.zarray``, ...)."""
    return split(key)[1] in METADATA_NAMES


def node_path(metadata_key: str) -> str:
    """The node directory of a metadata key (``a/b/zarr.json`` -> ``a/b``)."""
    return split(metadata_key)[0]


def dir_prefix(prefix: str) -> str:
    """Normalise a listing prefix to directory form: ``""`` or ``"a/b/"``."""
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


def is_under(key: str, directory_prefix: str) -> bool:
    """True if ``key`` lies inside ``directory_prefix`` (as from :func:`dir_prefix`)."""
    return key.startswith(directory_prefix)


def ancestors(key: str) -> Iterator[str]:
    """Directories containing ``key``, deepest first, ending with the root ``""``."""
    head = key
    while head:
        head = split(head)[0]
        yield head


def child_name(key: str, directory_prefix: str) -> str:
    """The first path component of ``key`` below ``directory_prefix``."""
    return key[len(directory_prefix) :].split("/", 1)[0]


def array_doc_kind(key: str, value: bytes) -> bool:
    """True if ``value`` stored under ``key`` makes its directory a zarr array.

    Zarr format 3 arrays have a ``zarr.json`` with ``"node_type": "array"``;
    format 2 arrays have a ``.zarray`` document. Anything unparsable is not an
    array: a store is free to hold arbitrary bytes under any key.
    """
    name = split(key)[1]
    if name == ".zarray":
        return True
    if name != "zarr.json":
        return False
    try:
        doc = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("node_type") == "array"


def normalize_node_path(path: str) -> str:
    """Normalise a user-facing node path (``/a/b/``, ``a/b``) to ``a/b``.

    Raises
    ------
    InvalidNameError
        If the path has empty, ``.`` or ``..`` components.
    """
    if not isinstance(path, str):
        raise InvalidNameError(f"A node path must be a string, got {type(path).__name__}.")
    stripped = path.strip("/")
    if not stripped:
        return ""
    parts = stripped.split("/")
    for part in parts:
        if part in ("", ".", ".."):
            raise InvalidNameError(
                f"Invalid path {path!r}: components may not be empty, '.' or '..'."
            )
    return "/".join(parts)
