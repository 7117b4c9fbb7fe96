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

#: The node document of zarr format 3 (groups and arrays alike).
ZARR_JSON = "zarr.json"
#: The array document of zarr format 2.
ZARRAY = ".zarray"
#: The group document of zarr format 2.
ZGROUP = ".zgroup"
#: Attributes of a zarr format 2 node.
ZATTRS = ".zattrs"
#: Consolidated metadata of zarr format 2.
ZMETADATA = ".zmetadata"

#: Key names of metadata documents for zarr format 3 and 2.
METADATA_NAMES = frozenset({ZARR_JSON, ZARRAY, ZGROUP, ZATTRS, ZMETADATA})
#: Key names that can make their directory an array, in the order they are looked for.
ARRAY_DOC_NAMES = (ZARR_JSON, ZARRAY)
#: Key names whose presence makes their directory a node (group or array).
NODE_DOC_NAMES = (ZARR_JSON, ZARRAY, ZGROUP)


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


def node_dir(metadata_key: str) -> str:
    """The directory (as from :func:`dir_prefix`) of the node a metadata key describes.

    Deleting a node's metadata document deletes the node, so this is the
    directory whose keys go with it (``a/b/zarr.json`` -> ``a/b/``).
    """
    return dir_prefix(node_path(metadata_key))


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
    if name == ZARRAY:
        return True
    if name != ZARR_JSON:
        return False
    try:
        doc = json.loads(value)
    except (ValueError, UnicodeDecodeError):
        return False
    return isinstance(doc, dict) and doc.get("node_type") == "array"


def chunk_coords(rel_key: str) -> tuple[int, ...] | None:
    """Grid coordinates of a chunk from its key relative to its array.

    Parameters
    ----------
    rel_key
        ``c/0/1`` (zarr format 3, default encoding), ``c.0.1`` (format 3,
        ``.`` separator), ``0.1`` (format 2) or ``c`` (a 0-d array).

    Returns
    -------
    tuple of int or None
        The coordinates (``()`` for a 0-d array), or None if ``rel_key`` is
        not a chunk key.
    """
    if rel_key == "c":
        return ()
    body = rel_key[2:] if rel_key.startswith(("c/", "c.")) else rel_key
    try:
        return tuple(int(p) for p in body.replace(".", "/").split("/"))
    except ValueError:
        return None


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
