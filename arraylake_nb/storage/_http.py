"""Byte ranges of files served over HTTP(S) (``http://`` and ``https://`` sources of virtual chunks).

The fingerprint is the ``ETag`` the server gives (``etag=...``), else its
``Last-Modified`` (``last-modified=...``). A ranged ``GET`` asks the server to
answer only if the file is unchanged (``If-Match`` / ``If-Unmodified-Since``),
and the validator in the answer is compared as well, so a server that ignores
conditional requests still cannot hand back bytes of a changed file. Ranges of
one file are fetched in parallel threads.
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from arraylake_nb.storage._base import PerRequestRangeReader, What, changed_error, check_length, missing_error

_TIMEOUT = 60.0
_THREADS = 8


def _validator(headers: http.client.HTTPMessage) -> str | None:
    etag = headers.get("ETag")
    if etag:
        return f"etag={etag}"
    modified = headers.get("Last-Modified")
    return f"last-modified={modified}" if modified else None


class HttpRangeReader(PerRequestRangeReader):
    """Reads byte ranges of files served over HTTP(S); see the module docstring."""

    schemes = ("http", "https")

    def __init__(self, timeout: float = _TIMEOUT) -> None:
        self.timeout = timeout
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="arraylake-nb-http")

    def _open(self, request: urllib.request.Request, location: str, what: What) -> http.client.HTTPResponse:
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            if exc.code == 412:
                raise changed_error(location, what, "the server says it no longer matches") from exc
            raise missing_error(location, what, f"HTTP {exc.code} {exc.reason}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise missing_error(location, what, f"{reason}") from exc

    def fingerprint(self, location: str) -> str:
        """The ``ETag`` (else ``Last-Modified``) the server gives for the file now."""
        with self._open(urllib.request.Request(location, method="HEAD"), location, "") as resp:
            found = _validator(resp.headers)
        if found is None:
            raise missing_error(
                location, "", "the server gives neither an ETag nor a Last-Modified date, so a change of the "
                "file could not be noticed; serve it from a server that does")
        return found

    def size(self, location: str) -> int:
        """The ``Content-Length`` the server gives for the file."""
        with self._open(urllib.request.Request(location, method="HEAD"), location, "") as resp:
            length = resp.headers.get("Content-Length")
        if length is None:
            raise missing_error(location, "", "the server does not say how long the file is")
        return int(length)

    def _get(self, location: str, offset: int, length: int, fingerprint: str, what: What) -> bytes:
        kind, _, value = fingerprint.partition("=")
        headers = {"Range": f"bytes={offset}-{offset + length - 1}"}
        headers["If-Match" if kind == "etag" else "If-Unmodified-Since"] = value
        with self._open(urllib.request.Request(location, headers=headers), location, what) as resp:
            now = _validator(resp.headers)
            if now != fingerprint:
                raise changed_error(location, what, f"it was {fingerprint}, it is {now}")
            data = resp.read()
            if resp.status == 200:  # the server ignored the range: it sent the whole file
                data = data[offset : offset + length]
        return check_length(data, location, offset, length, what)
