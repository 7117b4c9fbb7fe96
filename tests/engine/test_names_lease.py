"""Names with hidden characters, a metastore held too long, and a damaged metastore.

Everything here goes through the public API, real files and real processes:
the holder of the lease is a separate Python process stopped with SIGSTOP, and
damage is done to the bytes of metastore.duckdb on disk.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest

from arraylake_nb import ArraylakeNbError, Client, InvalidNameError
from arraylake_nb.engine.repository import METASTORE_FILE, RepoEngine
from arraylake_nb.errors import MetastoreBusyError, MetastoreDamagedError

# -- names ------------------------------------------------------------------

# (name, words the message must contain to name the offending character)
BAD_REPO_NAMES = [
    ("org/name\n", ["newline", "U+000A", "position 8"]),
    ("org\n/name", ["newline", "U+000A", "position 3"]),
    ("org/na\tme", ["tab", "U+0009", "position 6"]),
    (" org/name", ["starts with a space"]),
    ("org/name ", ["ends with a space"]),
    ("org/\x00name", ["U+0000", "position 4"]),
    ("org/name\u200b", ["U+200B"]),
]


@pytest.mark.parametrize(("name", "words"), BAD_REPO_NAMES)
def test_repo_names_with_hidden_characters_are_refused_and_the_character_named(
    client: Client, name: str, words: list[str]
) -> None:
    with pytest.raises(InvalidNameError) as info:
        client.create_repo(name)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(InvalidNameError):
        client.get_repo(name)
    assert client.list_repos() == []


def test_org_names_are_full_match(client: Client) -> None:
    client.create_repo("org/name")
    with pytest.raises(InvalidNameError, match="newline"):
        client.list_repos("org\n")
    assert client.list_repos("org") == ["org/name"]


BAD_REF_NAMES = [
    ("main\n", ["newline", "U+000A", "position 4"]),
    ("ma\tin", ["tab", "U+0009", "position 2"]),
    ("\tmain", ["tab", "U+0009", "position 0"]),
    (" main", ["starts with a space"]),
    ("main ", ["ends with a space"]),
    ("main\r", ["carriage return", "U+000D"]),
    ("ma in", ["space", "position 2"]),
]


@pytest.mark.parametrize(("name", "words"), BAD_REF_NAMES)
def test_branch_and_tag_names_with_hidden_characters_are_refused(repo, name: str, words: list[str]) -> None:
    repo.root_group.attrs["v"] = 1
    repo.commit("first")
    with pytest.raises(InvalidNameError) as info:
        repo.new_branch(name)
    for word in words:
        assert word in str(info.value)
    with pytest.raises(InvalidNameError) as info:
        repo.tag(name.replace("main", "v1"))
    assert words[0] in str(info.value)
    assert repo.branches.names == ["main"]
    assert repo.tags.names == []


def test_refused_names_leave_exactly_one_main(repo) -> None:
    repo.root_group.attrs["v"] = 1
    repo.commit("first")
    for name in ["main\n", "main\t", " main", "main ", "main\r\n", "\nmain"]:
        with pytest.raises(InvalidNameError):
            repo.new_branch(name)
    with pytest.raises(InvalidNameError):
        repo.tag("v1\n")
    assert repo.branches.names == ["main"]
    assert repo.tags.names == []


def test_valid_names_still_work(client: Client) -> None:
    repo = client.create_repo("org-1/name.v2_x")
    repo.root_group.attrs["v"] = 1
    repo.commit("first")
    repo.new_branch("feature/cleanup")
    repo.new_branch("dev")
    repo.tag("v1.0")
    assert sorted(repo.branches.names) == ["dev", "feature/cleanup", "main"]
    assert repo.tags.names == ["v1.0"]
    assert client.list_repos("org-1") == ["org-1/name.v2_x"]


# -- a metastore held too long ------------------------------------------------

HOLDER = textwrap.dedent(
    """
    import os, signal, sys
    from arraylake_nb import Client
    repo = Client(root=sys.argv[1]).get_repo(sys.argv[2], checkout=False)
    # Private access: hold the lease the way a long operation would, then freeze.
    with repo._engine.metastore.connection():
        print("holding", flush=True)
        os.kill(os.getpid(), signal.SIGSTOP)
    print("released", flush=True)
    """
)

WAITER = textwrap.dedent(
    """
    import sys, time
    from arraylake_nb import ArraylakeNbError, Client
    start = time.monotonic()
    try:
        Client(root=sys.argv[1]).get_repo(sys.argv[2])
    except ArraylakeNbError as e:
        print(type(e).__name__, f"{time.monotonic() - start:.1f}", e, sep="\\n")
    else:
        print("no error")
    """
)


def _spawn(code: str, *args: object, **env: str) -> subprocess.Popen:
    environ = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]), **env)
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_stopped(p: subprocess.Popen, limit: float = 60.0) -> None:
    assert p.stdout is not None
    assert p.stdout.readline().strip() == "holding", p.stderr.read() if p.stderr else ""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{p.pid}/stat").read_text()
        if stat.rsplit(")", 1)[1].split()[0] == "T":
            return
        time.sleep(0.01)
    raise AssertionError(f"process {p.pid} did not stop")


def _end(p: subprocess.Popen) -> None:
    if p.poll() is None:
        os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)


def _check_busy_message(msg: str, pid: int, metastore: Path) -> None:
    assert f"Process {pid}" in msg
    assert socket.gethostname() in msg
    assert str(metastore) in msg
    assert re.search(r"for \d+ s", msg), msg
    assert "ARRAYLAKE_NB_LEASE_TIMEOUT" in msg
    assert f"kill {pid}" in msg


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the holder stop")
def test_busy_error_names_the_holder_and_how_long_it_held(client: Client) -> None:
    repo = client.create_repo("org/held")
    repo.root_group.attrs["before"] = 1
    repo.commit("before")
    holder = _spawn(HOLDER, client.root, "org/held")
    try:
        _wait_stopped(holder)
        start = time.monotonic()
        with pytest.raises(MetastoreBusyError) as info:
            Client(root=client.root, lease_timeout=1).get_repo("org/held")
        assert time.monotonic() - start < 10
        _check_busy_message(str(info.value), holder.pid, repo.path / METASTORE_FILE)
        assert "longer than the 1 s" in str(info.value)
        assert isinstance(info.value, TimeoutError)

        os.kill(holder.pid, signal.SIGCONT)
        out, err = holder.communicate(timeout=60)
        assert holder.returncode == 0, err
        assert out.strip() == "released"
    finally:
        _end(holder)
    again = Client(root=client.root, lease_timeout=1).get_repo("org/held")
    assert again.root_group.attrs["before"] == 1
    again.root_group.attrs["after"] = 2
    again.commit("after")
    assert [c.message for c in again.commit_log][:2] == ["after", "before"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to see the holder stop")
def test_lease_timeout_comes_from_the_environment_and_a_killed_holder_frees_it(client: Client) -> None:
    client.create_repo("org/env")
    holder = _spawn(HOLDER, client.root, "org/env")
    waiter = None
    try:
        _wait_stopped(holder)
        waiter = _spawn(WAITER, client.root, "org/env", ARRAYLAKE_NB_LEASE_TIMEOUT="1")
        out, err = waiter.communicate(timeout=30)
        kind, seconds, msg = out.split("\n", 2)
        assert kind == "MetastoreBusyError", out + err
        assert float(seconds) < 10
        _check_busy_message(msg, holder.pid, client.root / "org" / "env" / METASTORE_FILE)
    finally:
        _end(holder)
        if waiter is not None:
            _end(waiter)
    assert holder.returncode == -signal.SIGKILL
    Client(root=client.root, lease_timeout=5).get_repo("org/env").root_group.attrs["ok"] = True


@pytest.mark.parametrize("value", ["soon", "-1", "nan"])
def test_unusable_lease_timeout_setting_is_refused(root: Path, monkeypatch, value: str) -> None:
    monkeypatch.setenv("ARRAYLAKE_NB_LEASE_TIMEOUT", value)
    with pytest.raises(ArraylakeNbError, match="ARRAYLAKE_NB_LEASE_TIMEOUT"):
        Client(root=root).create_repo("org/x")
    monkeypatch.delenv("ARRAYLAKE_NB_LEASE_TIMEOUT")
    with pytest.raises(ArraylakeNbError, match="lease_timeout"):
        Client(root=root, lease_timeout=float(value) if value != "soon" else -5)


# -- a damaged metastore ----------------------------------------------------


def _digests(path: Path) -> dict[str, str]:
    return {
        str(p.relative_to(path)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(path.rglob("*"))
        if p.is_file()
    }


def _garbage_head(db: Path) -> str:
    with open(db, "r+b") as f:
        f.write(np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    return "not a valid DuckDB database file"


def _flip_refs_block(db: Path) -> str:
    # Ask DuckDB where the refs table's data lives, then flip bytes there:
    # DuckDB checksums each block, so reading refs (which every checkout
    # does) fails its checksum while the file still opens.
    con = duckdb.connect(str(db), read_only=True)
    try:
        (block_size,) = con.execute("SELECT block_size FROM pragma_database_size()").fetchone()
        block, offset = con.execute(
            "SELECT block_id, block_offset FROM pragma_storage_info('refs') WHERE block_id >= 0 "
            "ORDER BY block_id, block_offset LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    at = 3 * 4096 + block * block_size + 8 + offset  # three 4 KiB headers, 8-byte block checksum
    with open(db, "r+b") as f:
        f.seek(at)
        data = f.read(16)
        f.seek(at)
        f.write(bytes(b ^ 0xFF for b in data))
    # The file still opens: the damage shows only when a query reads that
    # block, so this case covers the mapping of errors raised by queries.
    duckdb.connect(str(db), read_only=True).close()
    return "checksum"


def _truncate(db: Path) -> str:
    with open(db, "r+b") as f:
        f.truncate(7)
    return "not a valid DuckDB database file"


def _truncate_after_header(db: Path) -> str:
    with open(db, "r+b") as f:
        f.truncate(3 * 4096 + 100)
    return "Could not read enough bytes"


@pytest.mark.parametrize("damage", [_garbage_head, _flip_refs_block, _truncate, _truncate_after_header])
def test_damaged_metastore_is_reported_and_sessions_and_chunks_are_kept(client: Client, damage) -> None:
    repo = client.create_repo("org/damaged")
    a = repo.root_group.create_array("t", shape=(64,), chunks=(8,), dtype="i4")
    a[:] = np.arange(64)
    repo.commit("first")
    # Enough history that the file has several blocks.
    for i in range(5):
        repo.root_group.create_array(f"more{i}", shape=(4096,), chunks=(16,), dtype="i4")[:] = i
        repo.commit(f"more {i}")
    repo.root_group["t"][:8] = -1  # uncommitted: lives in a journal under sessions/
    sid = repo.session.id
    path = repo.path
    del repo, a
    RepoEngine.forget(path)

    db = path / METASTORE_FILE
    backup = path.parent / "metastore.backup"
    shutil.copyfile(db, backup)
    kept_before = {d: _digests(path / d) for d in ("sessions", "chunks")}
    assert kept_before["sessions"] and kept_before["chunks"]

    complaint = damage(db)
    damaged_bytes = db.read_bytes()
    with pytest.raises(MetastoreDamagedError) as info:
        Client(root=client.root).get_repo("org/damaged")
    msg = str(info.value)
    assert isinstance(info.value, ArraylakeNbError)
    assert str(db) in msg
    assert complaint.lower() in msg.lower()
    assert "backup" in msg
    assert f"{path / 'sessions'}" in msg
    assert "repo.join_session(" in msg
    assert isinstance(info.value.__cause__, duckdb.Error)

    # Nothing was repaired, rewritten or removed behind the user's back.
    assert {d: _digests(path / d) for d in ("sessions", "chunks")} == kept_before
    assert db.read_bytes() == damaged_bytes

    # Following the message: restore the file, then rejoin the session.
    os.replace(backup, db)
    again = Client(root=client.root).get_repo("org/damaged")
    assert [c.message for c in again.commit_log][-1] == "first"
    again.join_session(sid)
    assert again.root_group["t"][:8].tolist() == [-1] * 8
    assert again.root_group["t"][8:16].tolist() == list(range(8, 16))


def test_ordinary_duckdb_errors_are_not_called_damage(repo) -> None:
    ms = repo._engine.metastore  # private: run a broken query on a healthy file
    with pytest.raises(duckdb.Error) as info, ms.connection() as con:
        con.execute("SELECT no_such_column FROM refs")
    assert not isinstance(info.value, MetastoreDamagedError)
    with pytest.raises(duckdb.ConstraintException), ms.transaction() as con:
        con.execute("INSERT INTO refs (kind, name) VALUES (NULL, 'x')")
    assert repo.branches.names == ["main"]


KILLED_AFTER_COMMIT = textwrap.dedent(
    """
    import os, signal, sys
    from arraylake_nb import Client
    repo = Client(root=sys.argv[1]).get_repo(sys.argv[2])
    repo.root_group.attrs["late"] = True
    repo.commit("late")
    # Die holding the file: the commit is only in the write-ahead log.
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def test_damaged_write_ahead_log_is_reported_with_its_own_remedy(client: Client) -> None:
    repo = client.create_repo("org/wal")
    repo.root_group.attrs["early"] = True
    repo.commit("early")
    p = _spawn(KILLED_AFTER_COMMIT, client.root, "org/wal")
    _, err = p.communicate(timeout=120)
    assert p.returncode == -signal.SIGKILL, err
    wal = repo.path / (METASTORE_FILE + ".wal")
    assert wal.stat().st_size > 100
    with open(wal, "r+b") as f:
        f.seek(wal.stat().st_size // 2)
        data = f.read(16)
        f.seek(wal.stat().st_size // 2)
        f.write(bytes(b ^ 0xFF for b in data))

    with pytest.raises(MetastoreDamagedError) as info:
        Client(root=client.root).get_repo("org/wal")
    msg = str(info.value)
    assert str(wal) in msg and "metastore.duckdb.wal, the log" in msg
    assert "move metastore.duckdb.wal aside" in msg

    os.replace(wal, repo.path / "metastore.duckdb.wal.damaged")
    again = Client(root=client.root).get_repo("org/wal")
    assert [c.message for c in again.commit_log] == ["early"]
