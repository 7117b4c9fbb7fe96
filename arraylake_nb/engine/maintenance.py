"""Keeping a repository's files tidy and checking them: reachability, gc, fsck.

Everything here reads the whole history (every commit, every session folder,
every chunk file), so it runs on request, never as part of reading or writing.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from arraylake_nb.engine import keys as zkeys
from arraylake_nb.engine.journal import SessionFolder, SetExpiration, SetValue, is_moved_aside
from arraylake_nb.engine.metastore import Metastore
from arraylake_nb.engine.progress import Progress, no_progress
from arraylake_nb.engine.session import SessionView
from arraylake_nb.engine.snapshot import SegmentCache
from arraylake_nb.engine.values import ChunkRef, Doc, VirtualRef, decode_chain
from arraylake_nb.errors import SessionError, VirtualSourceError
from arraylake_nb.storage import ChunkStorage, reader_for


@dataclass(frozen=True, slots=True)
class FsckResult:
    """What :meth:`Maintenance.fsck` found.

    Attributes
    ----------
    checked_chunks
        Chunks referenced by a commit or a live session, all verified.
    missing, corrupt
        Key naming a referenced chunk -> its digest in hex, for chunks whose
        file is absent or whose bytes fail their hash. Chunks only a live
        session references are named ``"(uncommitted, session <id>)"``.
    unreachable_chunks
        Chunk files nothing references (what gc would remove once old enough).
    stale_sessions
        Names of session folders whose session ended (committed, abandoned,
        expired), sorted; gc removes them.
    checked_sources
        Distinct sources (file and fingerprint) of virtual chunks of any commit or
        live session, all checked.
    bad_sources
        Source location -> what is wrong with it (changed since referenced, or
        unreachable) and an array referencing it.
    """

    checked_chunks: int
    missing: dict[str, str]
    corrupt: dict[str, str]
    unreachable_chunks: int
    stale_sessions: list[str]
    checked_sources: int = 0
    bad_sources: dict[str, str] = field(default_factory=dict)


def folder_status(folder: SessionFolder, now: float) -> tuple[str, set[bytes]]:
    """Whether a session folder's session is still live, and the chunks its logs name.

    Parameters
    ----------
    folder
        The session folder.
    now
        The time to judge expiration at (epoch seconds).

    Returns
    -------
    status : str
        ``"live"``, ``"committed"``, ``"abandoned"``, ``"expired"`` or
        ``"gone"`` (removed meanwhile).
    digests : set of bytes
        Chunk digests the logs of a live or expired session name (empty for
        ended sessions).
    """
    closed = folder.closed()
    if closed is not None and closed.state != "committing":
        return closed.state, set()
    try:
        expiration = float(folder.description().get("expiration", math.inf))  # type: ignore[arg-type]
    except FileNotFoundError:
        return "gone", set()
    digests: set[bytes] = set()
    last_extension = (-1, "")
    for batch in folder.read_all():
        for stamp, r in batch.stamped():
            if isinstance(r, SetValue) and isinstance(r.value, ChunkRef):
                digests.add(r.value.digest)
            elif isinstance(r, SetExpiration) and stamp > last_extension:
                last_extension, expiration = stamp, r.timestamp
    return ("live" if expiration > now else "expired"), digests


def folder_sources(folder: SessionFolder) -> dict[tuple[str, str], str]:
    """The virtual sources (location, fingerprint) a session folder's logs name, with a key using each."""
    sources: dict[tuple[str, str], str] = {}
    for batch in folder.read_all():
        for _, r in batch.stamped():
            if isinstance(r, SetValue) and isinstance(r.value, VirtualRef):
                sources.setdefault((r.value.location, r.value.fingerprint), r.key)
    return sources


class Maintenance:
    """Reachability, garbage collection and integrity checks of one repository.

    Parameters
    ----------
    metastore
        The repository's metastore (every commit is a root).
    cache
        The decoded-segment cache.
    chunks
        The repository's chunk storage.
    sessions_dir
        ``<repo>/sessions``, holding one folder per session.
    live_sessions
        Session id -> the live view of that session in this process, told
        when gc finds its session expired.
    """

    def __init__(self, metastore: Metastore, cache: SegmentCache, chunks: ChunkStorage, sessions_dir: Path,
                 live_sessions: Mapping[str, SessionView]) -> None:
        self.metastore = metastore
        self.cache = cache
        self.chunks = chunks
        self.sessions_dir = sessions_dir
        self.live_sessions = live_sessions

    def reachable(self) -> tuple[set[int], dict[bytes, str]]:
        """Segments, and chunk digests with a key naming each, reachable from any commit.

        Every segment referenced by a commit's path-map chain, its own changes,
        or the manifest chain of an array document in those is read once; a
        reference shadowed within one chain is still kept, because an older
        commit sees it (so this errs on the side of keeping data).
        """
        segs, digests, _ = self._walk()
        return segs, digests

    def _walk(self) -> tuple[set[int], dict[bytes, str], dict[tuple[str, str], str]]:
        """:meth:`reachable`, plus every virtual source (location, fingerprint) with an array using it.

        Virtual chunks name bytes outside the repository: gc never touches them.
        """
        todo: list[tuple[int, str | None]] = []
        for commit in self.metastore.all_commits():
            todo += [(s, None) for s, _ in decode_chain(commit.root_chain) or ()]
            todo += commit.delta_segments()
        segs: set[int] = set()
        digests: dict[bytes, str] = {}
        sources: dict[tuple[str, str], str] = {}
        while todo:
            seg, array = todo.pop()
            if seg in segs:
                continue
            segs.add(seg)
            for key, v in self.cache.segment(seg).items():
                if isinstance(v, ChunkRef):
                    digests.setdefault(v.digest, key if array is None else zkeys.join(array, key))
                elif isinstance(v, VirtualRef):
                    sources.setdefault((v.location, v.fingerprint), array if array is not None else key)
                elif isinstance(v, Doc) and v.is_array and v.manifest:
                    todo += [(s, zkeys.node_path(key)) for s, _ in v.manifest]
        return segs, digests, sources

    def session_folders(self) -> list[SessionFolder]:
        """Every session folder on disk (not those being removed)."""
        if not self.sessions_dir.exists():
            return []
        return [SessionFolder(p) for p in sorted(self.sessions_dir.iterdir())
                if p.is_dir() and not p.name.startswith(".")]

    def folder_status(self, folder: SessionFolder, now: float) -> tuple[str, set[bytes]]:
        """See :func:`folder_status`."""
        return folder_status(folder, now)

    def gc(self, older_than_seconds: float, progress: Progress | None = None) -> tuple[int, int, int]:
        """Remove chunk files and session folders nothing can reach any more.

        Kept: chunks reachable from any commit, chunks named by the logs of any
        live session, and any file younger than ``older_than_seconds`` (a chunk
        a writer has stored but not yet logged). Removed: older chunk files
        nothing references, and folders of sessions that were committed,
        abandoned or have expired. Returns (chunks removed, bytes freed,
        session folders removed). ``progress(total, "Sweeping chunks")`` reports
        the chunk files looked at.

        Live sessions are read *before* commits: a session that commits in
        between is then found among the commits, and one that starts in between
        writes only young files. A writer that reuses an old chunk file
        refreshes its time, and the chunk store's removal re-checks that time
        after taking the file out of place (see ChunkStorage.remove_if_older).
        """
        now = time.time()
        cutoff = now - older_than_seconds
        keep: set[bytes] = set()
        ended: list[SessionFolder] = []
        for folder in self.session_folders():
            status, digests = folder_status(folder, now)
            keep |= digests
            if status != "live":
                ended.append(folder)
        _, reachable = self.reachable()
        keep |= set(reachable)
        removed = freed = 0
        stored = list(self.chunks.iter_digests())
        with (progress or no_progress)(len(stored), "Sweeping chunks") as advance:
            for digest in stored:
                if digest not in keep:
                    size = self.chunks.remove_if_older(digest, cutoff)
                    if size is not None:
                        removed += 1
                        freed += size
                advance()
        self.chunks.remove_stale_temps(older_than_seconds)
        folders_removed = sum(self._remove_folder(f, cutoff) for f in ended)
        # Folders a committer moved aside but did not get to delete before it exited.
        for p in self.sessions_dir.iterdir() if self.sessions_dir.exists() else ():
            try:
                old = is_moved_aside(p.name) and p.stat().st_mtime < cutoff
            except FileNotFoundError:  # its own process deleted it meanwhile
                continue
            if old:
                shutil.rmtree(p, ignore_errors=True)
        return removed, freed, folders_removed

    def _remove_folder(self, folder: SessionFolder, cutoff: float) -> bool:
        """Remove an ended session's folder once it is older than ``cutoff``; True if removed."""
        try:
            if max(p.stat().st_mtime for p in folder.path.iterdir()) > cutoff:
                return False
        except (FileNotFoundError, ValueError):
            pass
        try:
            with folder.sealed() as seal:
                # Re-check under the seal: an expired session may have been extended meanwhile.
                if seal.previous is None or seal.previous.state == "committing":
                    status = folder_status(folder, time.time())[0]
                else:
                    status = seal.previous.state
                if status == "live":
                    return False
                if status == "expired":
                    seal.close("expired")
                trash = folder.move_aside()
        except (SessionError, FileNotFoundError):
            return False  # removed by another collector meanwhile
        finally:
            folder.close()
        shutil.rmtree(trash, ignore_errors=True)
        live = self.live_sessions.get(folder.path.name)
        if live is not None and status == "expired":
            live.meta.status = "expired"
        return True

    def fsck(self, progress: Progress | None = None) -> FsckResult:
        """Verify every chunk a commit or a live session references.

        Parameters
        ----------
        progress
            Reports the verification, one step per chunk
            (``progress(total, "Verifying chunks")``).

        Returns
        -------
        FsckResult
            Missing and corrupt chunks by key, counts, and stale session folders.
        """
        _, digests, sources = self._walk()
        now = time.time()
        stale = []
        for folder in self.session_folders():
            status, live_digests = folder_status(folder, now)
            if status == "live":
                for d in live_digests:
                    digests.setdefault(d, f"(uncommitted, session {folder.path.name})")
                for source, key in folder_sources(folder).items():
                    sources.setdefault(source, f"{key} (uncommitted, session {folder.path.name})")
            else:
                stale.append(folder.path.name)
        missing: dict[str, str] = {}
        corrupt: dict[str, str] = {}
        with (progress or no_progress)(len(digests), "Verifying chunks") as advance:
            for digest, key in digests.items():
                problem = self.chunks.verify(digest)
                if problem == "missing":
                    missing[key] = digest.hex()
                elif problem == "corrupt":
                    corrupt[key] = digest.hex()
                advance()
        on_disk = set(self.chunks.iter_digests())
        bad_sources = self.check_sources(sources, progress)
        return FsckResult(len(digests), missing, corrupt, len(on_disk - set(digests)), sorted(stale),
                          len(sources), bad_sources)

    @staticmethod
    def check_sources(sources: Mapping[tuple[str, str], str], progress: Progress | None = None) -> dict[str, str]:
        """Which virtual sources changed since they were referenced, or cannot be reached.

        Parameters
        ----------
        sources
            (location, fingerprint) -> an array whose chunks point there.
        progress
            Reports one step per source (``progress(total, "Checking virtual sources")``).

        Returns
        -------
        dict
            Location -> what is wrong with it, naming the array.
        """
        bad: dict[str, str] = {}
        with (progress or no_progress)(len(sources), "Checking virtual sources") as advance:
            for (location, fingerprint), array in sources.items():
                try:
                    now = reader_for(location).fingerprint(location)
                except VirtualSourceError as exc:
                    bad[location] = f"unreachable ({exc}); referenced by array {array!r}"
                else:
                    if now != fingerprint:
                        bad[location] = (f"changed since it was referenced by array {array!r} "
                                         f"(it was {fingerprint}, it is {now})")
                advance()
        return bad
