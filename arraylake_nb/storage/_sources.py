"""Where virtual chunks' sources are: normalising their locations and finding their reader."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from arraylake_nb.errors import VirtualDatasetError
from arraylake_nb.storage._base import ByteRangeReader
from arraylake_nb.storage._file import FileRangeReader
from arraylake_nb.storage._http import HttpRangeReader
from arraylake_nb.storage._s3 import S3RangeReader

#: The URI schemes a virtual chunk's source may have.
SOURCE_SCHEMES = ("file", "http", "https", "s3")

_READERS: dict[str, ByteRangeReader] = {}
_LOCK = threading.Lock()


def normalize_location(uri: str | os.PathLike[str]) -> str:
    """The canonical URI of a source: ``file:///abs/path`` for local paths, else the URI itself.

    Parameters
    ----------
    uri
        A local path (relative paths are made absolute), a ``file://`` URI, an
        ``http(s)://`` URL or an ``s3://bucket/key`` URI.

    Raises
    ------
    VirtualDatasetError
        For another scheme, or a URI without a host or bucket.
    """
    text = os.fspath(uri)
    if not isinstance(text, str) or not text:
        raise VirtualDatasetError(f"A source must be a path or a URI; got {uri!r}.")
    parts = urlsplit(text)
    if len(parts.scheme) <= 1:  # no scheme, or a Windows drive letter
        return Path(text).expanduser().resolve().as_uri()
    scheme = parts.scheme.lower()
    if scheme == "file":
        return Path(unquote(parts.path)).resolve().as_uri()
    if scheme not in SOURCE_SCHEMES:
        raise VirtualDatasetError(
            f"Unsupported location {text!r}: virtual datasets can point at local paths, file://, http(s):// "
            "and s3:// URIs (for S3-compatible servers set AWS_ENDPOINT_URL_S3)."
        )
    if not parts.netloc:
        raise VirtualDatasetError(f"The URI {text!r} names no host or bucket.")
    return text


def reader_for(location: str) -> ByteRangeReader:
    """The shared reader for a (normalised) source location, by its scheme."""
    scheme = urlsplit(location).scheme.lower()
    with _LOCK:
        reader = _READERS.get(scheme)
        if reader is None:
            if scheme == "file":
                reader = FileRangeReader()
            elif scheme in ("http", "https"):
                reader = HttpRangeReader()
            elif scheme == "s3":
                reader = S3RangeReader()
            else:
                raise VirtualDatasetError(f"No reader for {location!r}; supported schemes: {', '.join(SOURCE_SCHEMES)}.")
            for s in reader.schemes:
                _READERS.setdefault(s, reader)
        return reader


def set_reader(reader: ByteRangeReader) -> None:
    """Use ``reader`` for its schemes from now on (e.g. an :class:`S3RangeReader` with another endpoint)."""
    with _LOCK:
        for s in reader.schemes:
            _READERS[s] = reader
