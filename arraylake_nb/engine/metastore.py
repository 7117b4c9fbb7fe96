"""The DuckDB metastore of one repository. All SQL of the package lives here.

Tables
------
``commits``   one row per commit: parent, author, message, time, the chain of
              the snapshot's path map, and the segments holding the commit's
              own changes (so diffs and conflict checks never rescan history).
``refs``      branches and tags.
``entries``   the rows of every immutable segment: path-map segments (key ->
              metadata document, chunk reference, or array document with its
              manifest chain) and array manifest segments (chunk key relative
              to the array -> chunk reference). ``deleted`` rows are tombstones.
              A virtual chunk (a byte range of another file) has no digest:
              ``vloc``, ``voff`` and ``size`` locate it and ``vfp`` is the
              fingerprint its source had when it was referenced.
``sessions``  write sessions that have been persisted (on first write, or when
              created or joined explicitly).

No table has an index: indexes slow the small inserts a commit makes, and
segments are written in id order so DuckDB's zone maps find a segment's rows
without one.

A damaged file (overwritten header, a block that fails its checksum, a
truncated file) surfaces as :class:`~arraylake_nb.errors.MetastoreDamagedError`,
whether DuckDB notices when opening the file or only when a query reads the
bad block; other DuckDB errors pass through unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import duckdb
import numpy as np

from arraylake_nb.engine.lease import Lease
from arraylake_nb.engine.segments import commit_seq, is_inline
from arraylake_nb.errors import MetastoreDamagedError

SCHEMA_VERSION = "1"

_SCHEMA = [
    "CREATE TABLE IF NOT EXISTS repo_info (key VARCHAR, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS commits (
        id VARCHAR NOT NULL, seq BIGINT NOT NULL, depth BIGINT NOT NULL, parent_id VARCHAR,
        session_id VARCHAR, message VARCHAR, author_name VARCHAR, author_email VARCHAR,
        created_at DOUBLE, root_chain VARCHAR, deltas VARCHAR, metadata VARCHAR,
        branch VARCHAR, inline_segments BLOB)""",
    """CREATE TABLE IF NOT EXISTS refs (
        kind VARCHAR NOT NULL, name VARCHAR NOT NULL, commit_id VARCHAR, message VARCHAR,
        created_at DOUBLE, author_name VARCHAR, author_email VARCHAR, set_seq BIGINT NOT NULL DEFAULT 0)""",
    """CREATE TABLE IF NOT EXISTS entries (
        seg UBIGINT NOT NULL, key VARCHAR NOT NULL, digest BLOB, size BIGINT, doc BLOB,
        is_array BOOLEAN, chain VARCHAR, deleted BOOLEAN NOT NULL,
        vloc VARCHAR, voff BIGINT, vfp VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS sessions (
        id VARCHAR NOT NULL, branch VARCHAR, base_commit VARCHAR, author_name VARCHAR,
        author_email VARCHAR, message VARCHAR, start_time DOUBLE, expiration DOUBLE,
        status VARCHAR NOT NULL, for_writing BOOLEAN)""",
]

_COMMIT_COLUMNS = (
    "id, seq, depth, parent_id, session_id, message, author_name, author_email, created_at, "
    "root_chain, deltas, metadata, branch, inline_segments"
)
_ENTRY_COLUMNS = "seg, key, digest, size, doc, is_array, chain, deleted, vloc, voff, vfp"
# Columns added after schema version 1 was first released; a repository made
# before gets them when this version first opens it (adding a column of NULLs
# rewrites nothing).
_ADDED_ENTRY_COLUMNS = (("vloc", "VARCHAR"), ("voff", "BIGINT"), ("vfp", "VARCHAR"))
# A branch's tip is the newest commit made on it since its ref row was last
# set, else the commit the ref row names: a commit is then a single INSERT,
# with no UPDATE of the ref (the lease makes check-and-insert atomic).
_REF_SELECT = """
    SELECT r.kind, r.name,
           CASE WHEN r.kind = 'branch' AND t.top > r.set_seq THEN t.tip ELSE r.commit_id END AS commit_id,
           r.message, r.created_at, r.author_name, r.author_email
    FROM refs r
    LEFT JOIN (SELECT branch, arg_max(id, seq) AS tip, max(seq) AS top FROM commits GROUP BY branch) t
      ON t.branch = r.name
"""
_SESSION_COLUMNS = (
    "id, branch, base_commit, author_name, author_email, message, start_time, expiration, status, for_writing"
)
# Below this many rows a parameterised VALUES list is fastest; above it, a
# columnar scan of numpy arrays (100k rows in ~70 ms).
_BULK_ROWS = 16

# What DuckDB (2.0) says about a damaged file. A block failing its checksum
# raises the base duckdb.Error, a missing or overwritten header and a file
# shorter than its headers claim raise IOException; IOException also covers
# disk-full and lock conflicts, hence the match on the message. A damaged
# write-ahead log (left by a process killed before its changes were
# checkpointed) fails while being replayed on open.
_DAMAGE_SIGNS = (
    "not a valid duckdb database file",
    "corrupt database file",
    "corrupt wal file",
    "computed checksum",
    "could not read enough bytes from file",
    "failure while replaying wal file",
    "failed to deserialize",
)
_DAMAGE_TYPES = (duckdb.IOException, duckdb.SerializationException, duckdb.InternalException, duckdb.FatalException)


def _damage(exc: BaseException) -> duckdb.Error | None:
    """The DuckDB error saying the file is damaged, in ``exc`` or what it interrupted.

    The context is searched too because a failed ``ROLLBACK`` after a damaged
    read replaces the error that matters.
    """
    e: BaseException | None = exc
    for _ in range(3):
        if e is None:
            return None
        plausible = type(e) is duckdb.Error or isinstance(e, _DAMAGE_TYPES)
        if plausible and (
            isinstance(e, duckdb.SerializationException) or any(s in str(e).lower() for s in _DAMAGE_SIGNS)
        ):
            return e
        e = e.__context__
    return None


@dataclass(frozen=True, slots=True)
class CommitRow:
    """A commit as stored."""

    id: str
    seq: int
    depth: int
    parent_id: str | None
    session_id: str | None
    message: str
    author_name: str | None
    author_email: str | None
    created_at: float
    root_chain: str
    deltas: str
    metadata: str | None
    branch: str | None = None
    inline_segments: bytes | None = None

    def as_params(self) -> list[Any]:
        """The field values in column order, as parameters of an INSERT."""
        return [getattr(self, f) for f in self.__dataclass_fields__]

    def delta_segments(self) -> list[tuple[int, str | None]]:
        """(segment, array path or None for the path map) of the commit's own changes."""
        return [(int(s), p) for s, p in json.loads(self.deltas)]

    @staticmethod
    def encode_deltas(deltas: Sequence[tuple[int, str | None]]) -> str:
        """The ``deltas`` column text for ``deltas`` (the inverse of :meth:`delta_segments`).

        Parameters
        ----------
        deltas
            (segment, array path or None for the path map) pairs.
        """
        return json.dumps([[s, p] for s, p in deltas])


class CommitSummary(NamedTuple):
    """What describes a commit to a reader, without its snapshot (a light :class:`CommitRow`)."""

    id: str
    parent_id: str | None
    message: str
    author_name: str | None
    author_email: str | None
    created_at: float
    metadata: str | None


_SUMMARY_COLUMNS = ", ".join(CommitSummary._fields)


@dataclass(frozen=True, slots=True)
class RefRow:
    """A branch or tag as stored.

    ``kind`` is ``"branch"`` or ``"tag"``; ``commit_id`` is None for a branch without
    commits; ``message`` is a tag's message (None for branches); ``created_at`` is in
    seconds since the epoch.
    """

    kind: str
    name: str
    commit_id: str | None
    message: str | None
    created_at: float | None
    author_name: str | None
    author_email: str | None


@dataclass(slots=True)
class SessionRecord:
    """What identifies a session and governs what it may do (stored as one row)."""

    id: str
    branch: str | None
    base_commit: str | None
    author_name: str | None
    author_email: str | None
    message: str | None
    start_time: float
    expiration: float
    status: str = "active"
    for_writing: bool = True


@dataclass(slots=True)
class EntryBatch:
    """Columns of rows to insert into ``entries`` (one list per column)."""

    seg: list[int] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    digest: list[bytes | None] = field(default_factory=list)
    size: list[int | None] = field(default_factory=list)
    doc: list[bytes | None] = field(default_factory=list)
    is_array: list[bool | None] = field(default_factory=list)
    chain: list[str | None] = field(default_factory=list)
    deleted: list[bool] = field(default_factory=list)
    vloc: list[str | None] = field(default_factory=list)
    voff: list[int | None] = field(default_factory=list)
    vfp: list[str | None] = field(default_factory=list)

    def add(self, seg: int, key: str, digest: bytes | None, size: int | None, doc: bytes | None,
            is_array: bool | None, chain: str | None, deleted: bool,
            vloc: str | None = None, voff: int | None = None, vfp: str | None = None) -> None:
        """Append one row (one value per column; the ``v*`` ones only for a virtual chunk)."""
        self.seg.append(seg)
        self.key.append(key)
        self.digest.append(digest)
        self.size.append(size)
        self.doc.append(doc)
        self.is_array.append(is_array)
        self.chain.append(chain)
        self.deleted.append(deleted)
        self.vloc.append(vloc)
        self.voff.append(voff)
        self.vfp.append(vfp)

    def __len__(self) -> int:
        return len(self.seg)


class Metastore:
    """Typed access to one repository's DuckDB file, shared politely between processes.

    Parameters
    ----------
    path
        The DuckDB file, ``<repo>/metastore.duckdb``.
    lease_timeout
        Seconds to wait while another process holds the file; ``None`` reads
        ``$ARRAYLAKE_NB_LEASE_TIMEOUT`` (default 120). Change it later through
        ``metastore.lease.timeout``.
    """

    def __init__(self, path: Path, *, lease_timeout: float | None = None) -> None:
        self.path = Path(path)
        self.lease = Lease(self.path, timeout=lease_timeout)
        # All refs and the last commit sequence number, valid only while the
        # lease is held without interruption (same epoch): then no other
        # process can have changed them, and this process changes them only here.
        self._refs: tuple[int, list[RefRow]] | None = None
        self._seq: tuple[int, int] | None = None
        self._schema_epoch = -1

    @property
    def epoch(self) -> int:
        """The lease's epoch: reads made under the same epoch are still current.

        It changes each time the lease is acquired anew.
        """
        return self.lease.epoch

    @contextmanager
    def connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open connection, held under the lease for the block.

        Raises
        ------
        MetastoreDamagedError
            If DuckDB reports the file damaged, when opening it or during the block.
        """
        try:
            with self.lease.connection() as con:
                if self._schema_epoch != self.lease.epoch:
                    self._upgrade(con)
                    self._schema_epoch = self.lease.epoch
                yield con
        except MetastoreDamagedError:
            self.lease.release()  # an inner block mapped it; drop the connection here too
            raise
        except duckdb.Error as exc:
            damage = _damage(exc)
            if damage is None:
                raise
            # Close the file, so that one restored from a backup is opened afresh.
            self.lease.release()
            raise self._damaged(damage) from damage

    @staticmethod
    def _upgrade(con: duckdb.DuckDBPyConnection) -> None:
        """Add the columns a repository made by an earlier version lacks (checked once per opening)."""
        have = {r[0] for r in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE table_name = 'entries'").fetchall()}
        if not have:
            return  # a repository being created: initialize() makes the full table
        for name, kind in _ADDED_ENTRY_COLUMNS:
            if name not in have:
                con.execute(f"ALTER TABLE entries ADD COLUMN IF NOT EXISTS {name} {kind}")

    def _damaged(self, exc: duckdb.Error) -> MetastoreDamagedError:
        repo = self.path.parent
        complaint = str(exc).strip()
        complaint += "" if complaint.endswith((".", "!")) else "."
        name = self.path.name
        if "wal file" in complaint.lower():
            remedy = (
                f"The damage is in {name}.wal, the log of its latest changes. To recover, stop the processes "
                f"using this repository, then either move {name}.wal aside, which opens the metastore as of its "
                "last checkpoint (losing the changes logged after it), or restore both files from a backup"
            )
        else:
            remedy = (
                "To recover, stop the processes using this repository, keep a copy of the damaged file, "
                f"and restore {name} from a backup"
            )
        return MetastoreDamagedError(
            f"The metastore {self.path} is damaged; DuckDB says: {complaint} "
            "The committed history stored in it (commits, branches, tags) cannot be read. "
            f"Uncommitted sessions under {repo / 'sessions'}/ and chunk files under {repo / 'chunks'}/ are kept "
            f"untouched. {remedy}; sessions recorded in the restored metastore can then be rejoined with "
            "repo.join_session(id) (the ids are the names of the .journal files in sessions/)."
        )

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A write transaction: committed on success, rolled back on any error."""
        with self.connection() as con:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def close(self) -> None:
        """Release the database and its lock files for good."""
        self.lease.close()

    # -- setup ------------------------------------------------------------
    def initialize(self, repo_name: str, created_at: float) -> None:
        """Create the tables of a new repository and its empty ``main`` branch.

        Parameters
        ----------
        repo_name
            The repository's ``org/name``, stored in ``repo_info``.
        created_at
            Creation time, in seconds since the epoch.
        """
        with self.transaction() as con:
            for stmt in _SCHEMA:
                con.execute(stmt)
            con.execute(
                "INSERT INTO repo_info VALUES ('schema_version', ?), ('name', ?), ('created_at', ?)",
                [SCHEMA_VERSION, repo_name, repr(created_at)],
            )
            con.execute(
                "INSERT INTO refs (kind, name, commit_id, created_at, set_seq) VALUES ('branch', 'main', NULL, ?, 0)",
                [created_at],
            )

    def info(self) -> dict[str, str]:
        """The ``repo_info`` table as a dict of strings (``schema_version``, ``name``, ``created_at``)."""
        with self.connection() as con:
            return dict(con.execute("SELECT key, value FROM repo_info").fetchall())

    # -- refs ---------------------------------------------------------------
    def _all_refs(self, con: duckdb.DuckDBPyConnection) -> list[RefRow]:
        epoch = self.lease.epoch
        if self._refs is None or self._refs[0] != epoch:
            rows = con.execute(f"{_REF_SELECT} ORDER BY r.created_at DESC, r.name").fetchall()
            self._refs = (epoch, [RefRow(*r) for r in rows])
        return self._refs[1]

    def get_ref(self, kind: str, name: str) -> RefRow | None:
        """The ref of this kind and name, or None.

        Parameters
        ----------
        kind
            ``"branch"`` or ``"tag"``.
        name
            The ref's name.
        """
        with self.connection() as con:
            return next((r for r in self._all_refs(con) if r.kind == kind and r.name == name), None)

    def find_ref(self, name: str) -> RefRow | None:
        """The branch called ``name``, else the tag called ``name``, else None."""
        return self.get_ref("branch", name) or self.get_ref("tag", name)

    def branch_tip_and_seq(self, con: duckdb.DuckDBPyConnection, branch: str) -> tuple[bool, str | None, int]:
        """(exists, tip, last commit seq) for a commit, cached per lease epoch."""
        ref = next((r for r in self._all_refs(con) if r.kind == "branch" and r.name == branch), None)
        epoch = self.lease.epoch
        if self._seq is None or self._seq[0] != epoch:
            (seq,) = con.execute("SELECT coalesce(max(seq), 0) FROM commits").fetchone()
            self._seq = (epoch, int(seq))
        return ref is not None, (ref.commit_id if ref is not None else None), self._seq[1]

    def list_refs(self, kind: str) -> list[RefRow]:
        """Branches or tags, newest first."""
        with self.connection() as con:
            return [r for r in self._all_refs(con) if r.kind == kind]

    def insert_ref(self, ref: RefRow) -> bool:
        """Insert a ref unless one of that kind and name exists; True if inserted."""
        with self.transaction() as con:
            exists = con.execute(
                "SELECT count(*) FROM refs WHERE kind = ? AND name = ?", [ref.kind, ref.name]
            ).fetchone()[0]
            if exists:
                return False
            con.execute(
                "INSERT INTO refs (kind, name, commit_id, message, created_at, author_name, author_email, set_seq) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, (SELECT coalesce(max(seq), 0) FROM commits))",
                [ref.kind, ref.name, ref.commit_id, ref.message, ref.created_at, ref.author_name, ref.author_email],
            )
            self._refs = None
            return True

    def delete_ref(self, kind: str, name: str) -> bool:
        """Delete a ref; True if it existed.

        Parameters
        ----------
        kind
            ``"branch"`` or ``"tag"``.
        name
            The ref's name.
        """
        with self.transaction() as con:
            (n,) = con.execute("DELETE FROM refs WHERE kind = ? AND name = ?", [kind, name]).fetchone()
            self._refs = None
        return bool(n)

    # -- commits --------------------------------------------------------
    def get_commit(self, commit_id: str) -> CommitRow | None:
        """The commit with this full id, or None."""
        with self.connection() as con:
            row = con.execute(f"SELECT {_COMMIT_COLUMNS} FROM commits WHERE id = ?", [commit_id]).fetchone()
        return CommitRow(*row) if row else None

    def commits_with_prefix(self, prefix: str, limit: int = 5) -> list[str]:
        """Ids of commits starting with ``prefix``, oldest first (to resolve short ids).

        Parameters
        ----------
        prefix
            The start of a commit id.
        limit
            At most this many ids are returned.
        """
        with self.connection() as con:
            rows = con.execute(
                "SELECT id FROM commits WHERE starts_with(id, ?) ORDER BY seq LIMIT ?", [prefix, limit]
            ).fetchall()
        return [r[0] for r in rows]

    def ancestors(self, commit_id: str, limit: int | None = None) -> list[CommitRow]:
        """``commit_id`` and its ancestors, newest first (at most ``limit``)."""
        sql = f"""
            WITH RECURSIVE chain(id, parent_id, n) AS (
                SELECT id, parent_id, 1 FROM commits WHERE id = ?
                UNION ALL
                SELECT c.id, c.parent_id, chain.n + 1 FROM commits c JOIN chain ON c.id = chain.parent_id
                {"WHERE chain.n < ?" if limit is not None else ""}
            )
            SELECT {", ".join("c." + c.strip() for c in _COMMIT_COLUMNS.split(","))}
            FROM chain JOIN commits c USING (id) ORDER BY chain.n
        """
        params: list[Any] = [commit_id] + ([limit] if limit is not None else [])
        with self.connection() as con:
            rows = con.execute(sql, params).fetchall()
        return [CommitRow(*r) for r in rows]

    def all_commits(self) -> list[CommitRow]:
        """Every commit, oldest first: the roots for fsck and garbage collection."""
        with self.connection() as con:
            rows = con.execute(f"SELECT {_COMMIT_COLUMNS} FROM commits ORDER BY seq").fetchall()
        return [CommitRow(*r) for r in rows]

    def commit_summaries(self) -> list[CommitSummary]:
        """Every commit's description (no snapshot columns), newest first.

        A commit's parents are always older than it, so this order is topological
        (children before parents): what laying out a commit graph needs, in one
        scan instead of one recursive query per ref.
        """
        with self.connection() as con:
            rows = con.execute(f"SELECT {_SUMMARY_COLUMNS} FROM commits ORDER BY seq DESC").fetchall()
        return list(map(CommitSummary._make, rows))

    # -- segments -------------------------------------------------------
    def load_segment(self, seg: int) -> dict[str, np.ndarray] | bytes:
        """One segment: columns of its rows, or the inline blob of its commit."""
        with self.connection() as con:
            if is_inline(seg):
                row = con.execute(
                    "SELECT inline_segments FROM commits WHERE seq = ?", [commit_seq(seg)]
                ).fetchone()
                return row[0] if row and row[0] is not None else b""
            return con.execute(
                "SELECT key, digest, size, doc, is_array, chain, deleted, vloc, voff, vfp FROM entries WHERE seg = ?",
                [seg],
            ).fetchnumpy()

    def lookup(self, segs: Sequence[int], key: str) -> list[tuple[Any, ...]]:
        """Rows for ``key`` in any of the (table-stored) ``segs``."""
        with self.connection() as con:
            return con.execute(
                "SELECT seg, digest, size, doc, is_array, chain, deleted, vloc, voff, vfp FROM entries "
                "WHERE seg IN (SELECT unnest(?::UBIGINT[])) AND key = ?",
                [list(segs), key],
            ).fetchall()

    # -- the commit ---------------------------------------------------------
    def write_commit(
        self,
        con: duckdb.DuckDBPyConnection,
        entries: EntryBatch,
        commit: CommitRow,
    ) -> None:
        """Write a prepared commit atomically; the caller holds the lease.

        A commit whose segments all fit inline is a single INSERT (its own
        transaction); otherwise the segment rows and the commit go in one
        explicit transaction. The branch moves because the commit row names
        it; the caller read the tip under the same lease, so no other
        process can have moved the branch in between.
        """
        insert = f"INSERT INTO commits ({_COMMIT_COLUMNS}) VALUES ({', '.join(['?'] * 14)})"
        if not len(entries):
            con.execute(insert, commit.as_params())
        else:
            con.execute("BEGIN TRANSACTION")
            try:
                self._insert_entries(con, entries)
                con.execute(insert, commit.as_params())
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        if self._refs is not None and commit.branch is not None:
            self._refs = (self._refs[0], [
                RefRow(r.kind, r.name, commit.id, r.message, r.created_at, r.author_name, r.author_email)
                if r.kind == "branch" and r.name == commit.branch else r
                for r in self._refs[1]
            ])
        self._seq = (self.lease.epoch, commit.seq)

    def _insert_entries(self, con: duckdb.DuckDBPyConnection, e: EntryBatch) -> None:
        if not len(e):
            return
        if len(e) <= _BULK_ROWS:
            self._insert_values(con, e, range(len(e)))
            return
        plain = [i for i in range(len(e)) if e.doc[i] is None and e.chain[i] is None]
        rich = [i for i in range(len(e)) if e.doc[i] is not None or e.chain[i] is not None]
        if plain:
            idx = np.asarray(plain, dtype=np.int64)
            frame = {  # noqa: F841 - scanned by name from SQL
                "seg": np.asarray(e.seg, dtype=np.uint64)[idx],
                "key": np.asarray(e.key, dtype=object)[idx],
                "digest": np.asarray(e.digest, dtype=object)[idx],
                "size": np.asarray([-1 if s is None else s for s in e.size], dtype=np.int64)[idx],
                "deleted": np.asarray(e.deleted, dtype=bool)[idx],
                "vloc": np.asarray(e.vloc, dtype=object)[idx],
                "voff": np.asarray([-1 if o is None else o for o in e.voff], dtype=np.int64)[idx],
                "vfp": np.asarray(e.vfp, dtype=object)[idx],
            }
            con.execute(
                "INSERT INTO entries (seg, key, digest, size, deleted, vloc, voff, vfp) "
                "SELECT seg, key, digest, nullif(size, -1), deleted, vloc, nullif(voff, -1), vfp FROM frame"
            )
        for start in range(0, len(rich), _BULK_ROWS):
            self._insert_values(con, e, rich[start : start + _BULK_ROWS])

    def _insert_values(self, con: duckdb.DuckDBPyConnection, e: EntryBatch, rows: Sequence[int]) -> None:
        params: list[Any] = []
        for i in rows:
            params += [e.seg[i], e.key[i], e.digest[i], e.size[i], e.doc[i], e.is_array[i], e.chain[i], e.deleted[i],
                       e.vloc[i], e.voff[i], e.vfp[i]]
        placeholders = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO entries ({_ENTRY_COLUMNS}) VALUES {placeholders}", params)

    # -- sessions -------------------------------------------------------
    def insert_session(self, s: SessionRecord) -> None:
        """Store a session's row; does nothing if a session with its id is already stored."""
        with self.transaction() as con:
            (n,) = con.execute("SELECT count(*) FROM sessions WHERE id = ?", [s.id]).fetchone()
            if n:
                return
            con.execute(
                f"INSERT INTO sessions ({_SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [s.id, s.branch, s.base_commit, s.author_name, s.author_email, s.message,
                 s.start_time, s.expiration, s.status, s.for_writing],
            )

    def get_session(self, session_id: str) -> SessionRecord | None:
        """The stored session with this id, or None."""
        with self.connection() as con:
            row = con.execute(f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE id = ?", [session_id]).fetchone()
        return SessionRecord(*row) if row else None

    def update_session(self, session_id: str, *, status: str | None = None,
                       expiration: float | None = None, base_commit: str | None = None,
                       con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Change the given fields of a session's row (None leaves a field as it is).

        Parameters
        ----------
        session_id
            The session to update; no row changes if it is not stored.
        status, expiration, base_commit
            New values; ``expiration`` in seconds since the epoch.
        con
            Run in this connection (the caller's transaction); else in a transaction of its own.
        """
        sets, params = [], []
        for col, val in (("status", status), ("expiration", expiration), ("base_commit", base_commit)):
            if val is not None:
                sets.append(f"{col} = ?")
                params.append(val)
        if not sets:
            return
        sql = f"UPDATE sessions SET {', '.join(sets)} WHERE id = ?"
        if con is not None:
            con.execute(sql, params + [session_id])
            return
        with self.transaction() as c:
            c.execute(sql, params + [session_id])

    def commit_of_session(self, session_id: str) -> str | None:
        """The commit a session became, if it was committed."""
        with self.connection() as con:
            row = con.execute("SELECT id FROM commits WHERE session_id = ? LIMIT 1", [session_id]).fetchone()
        return row[0] if row else None

    def list_sessions(self, status: str = "active") -> list[SessionRecord]:
        """Sessions with this status; a session that produced a commit is no longer active."""
        with self.connection() as con:
            rows = con.execute(
                f"SELECT {_SESSION_COLUMNS} FROM sessions WHERE status = ? "
                "AND id NOT IN (SELECT session_id FROM commits WHERE session_id IS NOT NULL) "
                "ORDER BY start_time",
                [status],
            ).fetchall()
        return [SessionRecord(*r) for r in rows]
