"""A content-addressed store of chunk bytes on local disk.

Each chunk is a file named by the 128-bit XXH3 hash of its bytes, under a
two-character fan-out directory (``chunks/3f/3fa9...``). Identical chunks are
stored once. Files are written to a temporary name and renamed into place, so
a process killed mid-write leaves at worst a stray temporary file, never a
partial chunk under a real name. Every read recomputes the hash and raises
:class:`~arraylake_nb.errors.CorruptChunkError` rather than return wrong data.

XXH3-128 is not a cryptographic hash: it guards against corruption and
accidental collisions (probability ~2**-64 even for billions of chunks), not
against someone crafting colliding chunks, which a local store does not face.
It was chosen because it hashes at ~55 GB/s here, so verifying every read
costs a few percent of reading the file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import xxhash

from arraylake_nb.errors import CorruptChunkError

HASH_BYTES = 16


def chunk_hash(data: bytes | memoryview) -> bytes:
    """The content address of ``data``: its 16-byte XXH3-128 digest."""
    return xxhash.xxh3_128_digest(data)


class ChunkStore:
    """Hash-named chunk files under ``root``.

    All methods are blocking; callers on an event loop run them in a thread.
    """

    def __init__(self, root: Path, durability: str = "write") -> None:
        self.root = Path(root)
        self.durability = durability

    def sync(self, digests) -> None:  # TEMP until the chunk-store branch lands
        pass

    def remove_if_older(self, digest: bytes, cutoff: float) -> int | None:  # TEMP
        path = self.path_for(digest)
        try:
            st = path.stat()
        except FileNotFoundError:
            return None
        if st.st_mtime < cutoff:
            path.unlink(missing_ok=True)
            return st.st_size
        return None

    def remove_stale_temps(self, older_than_seconds: float) -> int:  # TEMP
        return 0

    def path_for(self, digest: bytes) -> Path:
        """Where the chunk with this digest lives."""
        name = digest.hex()
        return self.root / name[:2] / name

    def put(self, data: bytes | memoryview) -> bytes:
        """Store ``data`` (once) and return its digest."""
        digest = chunk_hash(data)
        path = self.path_for(digest)
        try:
            if path.stat().st_size == len(data):
                return digest
        except FileNotFoundError:
            pass
        directory = path.parent
        tmp = directory / f".tmp-{secrets.token_hex(8)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileNotFoundError:
            directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return digest

    def get(self, digest: bytes, key: str = "") -> bytes:
        """Read and verify the chunk with this digest.

        Raises
        ------
        CorruptChunkError
            If the file is missing or its content does not hash to ``digest``.
        """
        path = self.path_for(digest)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            raise CorruptChunkError(
                f"Chunk {digest.hex()} for key {key!r} is missing from {self.root}. "
                "The repository's chunk files were removed or damaged; run repo.fsck() "
                "to list every affected key, and restore the chunks directory from a backup."
            ) from None
        if chunk_hash(data) != digest:
            raise CorruptChunkError(
                f"Chunk {digest.hex()} for key {key!r} is corrupt: its bytes no longer match "
                f"their checksum ({path}). No data was returned. Run repo.fsck() to list every "
                "affected key; rewrite those keys from their source or restore the file from a backup."
            )
        return data

    def exists(self, digest: bytes) -> bool:
        """True if a file for this digest exists (its content is not checked)."""
        return self.path_for(digest).exists()

    def verify(self, digest: bytes) -> str | None:
        """Check one chunk; return ``None`` if sound, else ``"missing"`` or ``"corrupt"``."""
        try:
            data = self.path_for(digest).read_bytes()
        except FileNotFoundError:
            return "missing"
        return None if chunk_hash(data) == digest else "corrupt"

    def iter_digests(self) -> Iterator[bytes]:
        """Every chunk digest that has a file (temporary files excluded)."""
        if not self.root.exists():
            return
        for sub in self.root.iterdir():
            if not sub.is_dir():
                continue
            for f in sub.iterdir():
                if not f.name.startswith(".tmp-"):
                    try:
                        yield bytes.fromhex(f.name)
                    except ValueError:
                        continue

    def remove(self, digest: bytes) -> None:
        """Delete a chunk file (used by garbage collection only)."""
        self.path_for(digest).unlink(missing_ok=True)
