"""Byte ranges of objects in S3-compatible storage (``s3://bucket/key`` sources of virtual chunks).

Credentials, region and endpoint come from the standard AWS settings, read by
botocore: the environment (``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``,
``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, ``AWS_REGION``/``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL_S3``/``AWS_ENDPOINT_URL`` for MinIO, Ceph and the like) and
the shared ``~/.aws/config`` and ``~/.aws/credentials`` files. An
:class:`S3RangeReader` can also be given an endpoint and a region.

The fingerprint is the object's ``ETag``; a ranged ``GET`` carries
``If-Match`` with it, and the ETag of the answer is compared too.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import unquote, urlsplit

from arraylake_nb.storage._base import PerRequestRangeReader, What, changed_error, check_length, missing_error

_THREADS = 8


def split_s3(location: str) -> tuple[str, str]:
    """``(bucket, key)`` of an ``s3://bucket/key`` URI."""
    parts = urlsplit(location)
    return parts.netloc, unquote(parts.path.lstrip("/"))


class S3RangeReader(PerRequestRangeReader):
    """Reads byte ranges of S3 objects; see the module docstring.

    Parameters
    ----------
    endpoint_url
        The S3-compatible server (``http://127.0.0.1:9000``); ``None``: botocore's
        setting (``AWS_ENDPOINT_URL_S3``, ``AWS_ENDPOINT_URL``, the config file), else AWS.
    region
        The region; ``None``: botocore's setting.
    """

    schemes = ("s3",)

    def __init__(self, endpoint_url: str | None = None, region: str | None = None) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self._client: Any = None
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(_THREADS, thread_name_prefix="arraylake-nb-s3")

    @property
    def client(self) -> Any:
        """The boto3 S3 client (made on first use; boto3 clients are thread-safe)."""
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                except ImportError as exc:  # pragma: no cover - boto3 comes with the "virtual" extra
                    raise missing_error("s3://", "", "boto3 is not installed: pip install 'arraylake_nb[virtual]'") from exc
                self._client = boto3.session.Session().client(
                    "s3", endpoint_url=self.endpoint_url, region_name=self.region)
            return self._client

    def _call(self, location: str, what: What, fn: Any, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(**kwargs)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "PreconditionFailed" or status == 412:
                raise changed_error(location, what, "its ETag no longer matches") from exc
            raise missing_error(location, what, f"S3 says {code or status}") from exc
        except BotoCoreError as exc:
            raise missing_error(location, what, str(exc)) from exc

    def fingerprint(self, location: str) -> str:
        """``etag=...`` of the object now."""
        bucket, key = split_s3(location)
        head = self._call(location, "", self.client.head_object, Bucket=bucket, Key=key)
        return f"etag={head['ETag']}"

    def size(self, location: str) -> int:
        """The object's ``ContentLength``."""
        bucket, key = split_s3(location)
        return int(self._call(location, "", self.client.head_object, Bucket=bucket, Key=key)["ContentLength"])

    def _get(self, location: str, offset: int, length: int, fingerprint: str, what: What) -> bytes:
        bucket, key = split_s3(location)
        etag = fingerprint.partition("=")[2]
        resp = self._call(location, what, self.client.get_object, Bucket=bucket, Key=key,
                          Range=f"bytes={offset}-{offset + length - 1}", IfMatch=etag)
        if resp.get("ETag") != etag:
            raise changed_error(location, what, f"its ETag was {etag}, it is {resp.get('ETag')}")
        data = resp["Body"].read()
        return check_length(data, location, offset, length, what)
