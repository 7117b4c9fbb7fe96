"""Many writers on one session, and the failures around them.

Every test here goes through the public API only (Client, Repo, repo.store,
repo.session.id, repo.join_session, repo.commit, repo.gc, repo.fsck and
xarray/dask/zarr on repo.store), runs real processes on real files, and checks
the result from a process that did not take part in the writing. Where a test
damages files on purpose (journals, chunks, a full disk) it does so the way a
crash or a full disk would, without relying on how the engine lays out its
files beyond ``<repo.path>/chunks/`` holding chunk files and
``<repo.path>/sessions/`` holding a session's uncommitted changes in files
named after the session or in a folder named after it.
"""

from __future__ import annotations

import json
import os
import queue
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from arraylake_nb import ArraylakeNbError, Client, CorruptChunkError, InvalidNameError
from arraylake_nb.errors import NothingToCommitWarning

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHILD_ENV = dict(os.environ, PYTHONPATH=str(PROJECT_ROOT))


# ---------------------------------------------------------------------------
# Child processes
# ---------------------------------------------------------------------------


class Child:
    """A ``python -c CODE args`` subprocess with line-wise, time-bounded stdout.

    stderr goes to a file (a chatty child can never block on a full pipe); a
    reader thread collects stdout lines so a test can wait for one with a
    timeout.
    """

    def __init__(self, code: str, *args: object, log_dir: Path, name: str) -> None:
        self.name = name
        self.err_path = log_dir / f"{name}.stderr"
        self._err = open(self.err_path, "wb")  # noqa: SIM115 - closed in finish()
        self.p = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(code), *map(str, args)],
            env=CHILD_ENV,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._err,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.p.stdout is not None
        for raw in self.p.stdout:
            self._lines.put(raw.decode(errors="replace").rstrip("\n"))
        self._lines.put(None)

    @property
    def pid(self) -> int:
        return self.p.pid

    def running(self) -> bool:
        return self.p.poll() is None

    def stderr(self) -> str:
        try:
            return self.err_path.read_text(errors="replace")[-4000:]
        except FileNotFoundError:
            return ""

    def line(self, timeout: float = 60) -> str:
        """The next stdout line (fails the test on timeout or end of output)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"{self.name}: no output within {timeout} s. stderr:\n{self.stderr()}")
        if line is None:
            self.p.wait(timeout=30)
            pytest.fail(
                f"{self.name}: ended (exit code {self.p.returncode}) before printing the expected line. "
                f"stderr:\n{self.stderr()}"
            )
        return line

    def expect(self, text: str, timeout: float = 60) -> str:
        line = self.line(timeout)
        assert line.startswith(text), f"{self.name}: expected {text!r}, got {line!r}. stderr:\n{self.stderr()}"
        return line

    def drain(self) -> list[str]:
        """The stdout lines received so far and not consumed yet (no waiting)."""
        lines = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return lines
            if line is None:  # keep the end-of-output marker for line()
                self._lines.put(None)
                return lines
            lines.append(line)

    def send(self, text: str) -> None:
        assert self.p.stdin is not None
        self.p.stdin.write((text + "\n").encode())
        self.p.stdin.flush()

    def finish(self, timeout: float = 120) -> list[str]:
        """Wait for a clean exit; return the stdout lines not consumed yet."""
        try:
            self.p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"{self.name}: still running after {timeout} s. stderr:\n{self.stderr()}")
        self._reader.join(timeout=10)
        rest = []
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                rest.append(line)
        assert self.p.returncode == 0, (
            f"{self.name}: exit code {self.p.returncode}. stdout: {rest}\nstderr:\n{self.stderr()}"
        )
        return rest

    def kill(self) -> None:
        if self.p.poll() is None:
            os.kill(self.p.pid, signal.SIGKILL)
            self.p.wait(timeout=30)

    def close(self) -> None:
        self.kill()
        for stream in (self.p.stdin, self.p.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass
        self._err.close()


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator:
    """``spawn(code, *args)`` starts a child; every child still running at teardown is killed."""
    children: list[Child] = []
    log_dir = tmp_path / "logs"
    log_dir.mkdir()

    def start(code: str, *args: object, name: str | None = None) -> Child:
        child = Child(code, *args, log_dir=log_dir, name=name or f"child{len(children)}")
        children.append(child)
        return child

    yield start
    for child in children:
        child.close()


def run_child(spawn, code: str, *args: object, timeout: float = 120) -> list[str]:
    """Run a child to completion and return its stdout lines."""
    return spawn(code, *args).finish(timeout)


# ---------------------------------------------------------------------------
# Files of a repository (only what a crash or a full disk could touch)
# ---------------------------------------------------------------------------


def session_files(repo_path: Path, session_id: str) -> list[Path]:
    """Every regular file under ``sessions/`` that belongs to a session.

    A file belongs to the session when its name contains the session id or it
    lies in a folder named after the session (one folder per session with a log
    per writer process, or a single ``<id>.journal``: both are found).
    """
    base = Path(repo_path) / "sessions"
    found = []
    for path in sorted(base.rglob("*")):
        if not path.is_file() or path.is_symlink():
            continue
        rel = path.relative_to(base)
        if session_id in path.name or any(session_id in part for part in rel.parts[:-1]):
            found.append(path)
    return found


def chunk_files(repo_path: Path) -> list[Path]:
    """Chunk files (temporary files excluded)."""
    return sorted(p for p in (Path(repo_path) / "chunks").rglob("*") if p.is_file() and not p.name.startswith(".tmp"))


def tree_bytes(path: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(path):
        for f in files:
            try:
                total += os.lstat(os.path.join(dirpath, f)).st_size
            except FileNotFoundError:
                pass
    return total


def fresh(root: Path, name: str, ref: str | None = None):
    """A read-only view of ``ref`` (default main) through a new Client."""
    repo = Client(root=root).get_repo(name, read_only=True)
    if ref is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            repo.checkout(ref, for_writing=False)
    return repo


# ---------------------------------------------------------------------------
# 1. dask: distributed workers in other processes, and the threaded scheduler
# ---------------------------------------------------------------------------

# Shared by the test process and the checking process: the data is
# regenerated from a seed, never sent across.
DATA_CODE = """
import numpy as np

N_EXTRA = 10


def dataset_arrays(seed):
    rng = np.random.default_rng(seed)
    return {
        "temp": rng.standard_normal((200, 300)).astype("f4"),
        "count": rng.integers(-2**31, 2**31 - 1, size=(200, 300), dtype="i4"),
        "pressure": rng.standard_normal((200, 300)) * 1000.0,
    }


def extra_array(seed, k):
    return np.random.default_rng([seed, k]).standard_normal((200, 200))
"""
exec(DATA_CODE)  # noqa: S102 - defines N_EXTRA, dataset_arrays, extra_array

CHECK_DASK = (
    DATA_CODE
    + """
import json, sys
from arraylake_nb import Client
root, name, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
repo = Client(root=root).get_repo(name, read_only=True)
g = repo.root_group
wrong = {}
for var, expected in dataset_arrays(seed).items():
    wrong[f"ds/{var}"] = int(np.count_nonzero(g[f"ds/{var}"][:] != expected))
for k in range(N_EXTRA):
    wrong[f"extra{k}"] = int(np.count_nonzero(g[f"extra{k}"][:] != extra_array(seed, k)))
print(json.dumps(wrong), flush=True)
"""
)


def _write_with_dask(repo, seed: int) -> None:
    import dask.array as da
    import xarray as xr

    arrays = dataset_arrays(seed)  # noqa: F821 - defined by exec(DATA_CODE)
    ds = xr.Dataset({name: (("y", "x"), a) for name, a in arrays.items()}).chunk({"y": 20, "x": 30})
    ds.to_zarr(repo.store, group="ds", mode="w", consolidated=False)
    # More arrays through dask.array.to_zarr, each its own computation: every
    # computation makes the workers open the session again while the other
    # worker is writing, which is where writes went missing.
    for k in range(N_EXTRA):  # noqa: F821
        da.to_zarr(da.from_array(extra_array(seed, k), chunks=(20, 20)), repo.store, component=f"extra{k}")  # noqa: F821


def _check_dask_commit(spawn, root: Path, name: str, seed: int) -> None:
    out = run_child(spawn, CHECK_DASK, root, name, seed, timeout=120)
    wrong = json.loads(out[-1])
    bad = {k: v for k, v in wrong.items() if v}
    assert not bad, (
        f"the commit read back in a new process differs from what dask wrote: wrong elements per array {bad} "
        f"({sum(bad.values())} in all)"
    )


def test_dask_distributed_workers_in_other_processes_write_one_session_exactly(
    client: Client, spawn, monkeypatch
) -> None:
    from distributed import Client as DaskClient
    from distributed import LocalCluster

    repo = client.create_repo("org/dask-distributed")
    repo.root_group.attrs["title"] = "dask"
    repo.commit("root")
    # Worker processes must import this checkout of arraylake_nb.
    monkeypatch.setenv("PYTHONPATH", str(PROJECT_ROOT))
    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, env={"PYTHONPATH": str(PROJECT_ROOT)}
    )
    try:
        dask_client = DaskClient(cluster)
        try:
            _write_with_dask(repo, seed=11)
        finally:
            dask_client.close()
    finally:
        cluster.close()
    assert repo.commit("written by two dask worker processes")
    _check_dask_commit(spawn, client.root, "org/dask-distributed", seed=11)


def test_dask_threaded_scheduler_writes_one_session_exactly(client: Client, spawn) -> None:
    import dask

    repo = client.create_repo("org/dask-threads")
    repo.root_group.attrs["title"] = "dask"
    repo.commit("root")
    with dask.config.set(scheduler="threads", num_workers=4):
        _write_with_dask(repo, seed=12)
    assert repo.commit("written by dask threads")
    _check_dask_commit(spawn, client.root, "org/dask-threads", seed=12)


# ---------------------------------------------------------------------------
# 2. Processes joining a session while another process writes it
# ---------------------------------------------------------------------------

ONE_ELEMENT_WRITER = """
import sys
from arraylake_nb import Client
root, name, sid, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
a = repo.root_group["a"]
print("ready", flush=True)
for i in range(n):
    a[i] = i
print("done", flush=True)
"""

JOINER = """
import sys
from arraylake_nb import Client
root, name, sid = sys.argv[1], sys.argv[2], sys.argv[3]
repo = Client(root=root).get_repo(name)
print("ready", flush=True)
sys.stdin.readline()
repo.join_session(sid)
repo.root_group["a"][:10]
print("joined", flush=True)
"""


def test_processes_joining_a_session_never_lose_another_process_writes(client: Client, spawn) -> None:
    n = 3000
    repo = client.create_repo("org/joiners")
    repo.root_group.create_array("a", shape=(n,), chunks=(1,), dtype="i4", fill_value=-1)
    repo.commit("empty array")
    sid = repo.create_session().id

    joiners = [spawn(JOINER, client.root, "org/joiners", sid, name=f"joiner{i}") for i in range(10)]
    for j in joiners:
        j.expect("ready")
    writer = spawn(ONE_ELEMENT_WRITER, client.root, "org/joiners", sid, n, name="writer")
    writer.expect("ready")
    rng = random.Random(2024)
    start = time.monotonic()
    during = 0
    for j, at in zip(joiners, sorted(rng.uniform(0.1, 2.5) for _ in joiners), strict=True):
        time.sleep(max(0.0, start + at - time.monotonic()))
        during += writer.running()
        j.send("join")
    failed_joins = []
    for j in joiners:
        j.p.wait(timeout=120)
        if j.p.returncode != 0:
            failed_joins.append(f"{j.name}: {(j.stderr().strip().splitlines() or ['?'])[-1]}")
    assert writer.line(timeout=120) == "done", writer.stderr()
    writer.finish()
    assert during >= 5, f"the writer finished too early: only {during} of 10 joins happened while it wrote"

    repo.join_session(sid)
    assert repo.commit("3000 one-element writes, joined by 10 processes")
    a = fresh(client.root, "org/joiners").root_group["a"][:]
    missing = np.flatnonzero(a != np.arange(n))
    assert missing.size == 0 and not failed_joins, (
        f"{missing.size} of {n} acknowledged writes are missing from the commit after 10 processes joined "
        f"the session while it was written (first indices: {missing[:10].tolist()}); "
        f"{len(failed_joins)} join(s) failed: {failed_joins}"
    )


# ---------------------------------------------------------------------------
# 3. A process still writing a session that another process commits
# ---------------------------------------------------------------------------

CO_WRITER = """
import json, sys
from arraylake_nb import ArraylakeNbError, Client
root, name, sid, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
a = repo.root_group["a"]
print("ready", flush=True)
count, error, ours = 0, None, None
for i in range(n):
    try:
        a[i] = i
    except ArraylakeNbError as e:
        error, ours = type(e).__name__, True
        break
    except Exception as e:
        error, ours = f"{type(e).__module__}.{type(e).__name__}: {e}", False
        break
    count = i + 1
print(json.dumps({"acknowledged": count, "error": error, "arraylake_error": ours}), flush=True)
"""


def test_commit_keeps_every_write_a_co_writer_had_acknowledged_and_stops_it(client: Client, spawn) -> None:
    n = 3000
    repo = client.create_repo("org/cowriter")
    repo.root_group.create_array("a", shape=(n,), chunks=(1,), dtype="i4", fill_value=-1)
    repo.commit("empty array")
    sid = repo.create_session().id

    writer = spawn(CO_WRITER, client.root, "org/cowriter", sid, n, name="co-writer")
    writer.expect("ready")
    time.sleep(0.7)
    assert writer.running(), "the co-writer finished before the commit; make n larger"
    repo.join_session(sid)
    cid = repo.commit("committed while another process writes")
    assert cid is not None
    result = json.loads(writer.line(timeout=120))
    writer.finish()

    acknowledged = result["acknowledged"]
    a = fresh(client.root, "org/cowriter", cid).root_group["a"][:]
    lost = np.flatnonzero(a[:acknowledged] != np.arange(acknowledged))
    assert lost.size == 0, (
        f"the co-writer had {acknowledged} writes acknowledged, but {lost.size} of them are not in the commit "
        f"(only {acknowledged - lost.size} are); they went nowhere (first lost indices: {lost[:10].tolist()}; "
        f"the co-writer stopped with: {result['error']})"
    )
    assert acknowledged < n and result["error"] is not None, (
        f"the co-writer kept writing into the committed session without an error ({acknowledged} writes acknowledged)"
    )
    assert result["arraylake_error"], (
        f"the co-writer stopped with an exception outside arraylake_nb's hierarchy: {result['error']}"
    )


# ---------------------------------------------------------------------------
# 4. gc in another process while a session is committed
# ---------------------------------------------------------------------------

GC_LOOP = """
import datetime as dt, os, sys
from arraylake_nb import ArraylakeNbError, Client
root, name, stop = sys.argv[1], sys.argv[2], sys.argv[3]
repo = Client(root=root).get_repo(name)
runs = refused = 0
print("ready", flush=True)
while not os.path.exists(stop):
    try:
        repo.gc(older_than=dt.timedelta(seconds=1))
        runs += 1
    except ArraylakeNbError:
        refused += 1
    print("pass", flush=True)
print("stopped", runs, refused, flush=True)
"""


def test_gc_running_during_commits_never_deletes_a_committed_chunk(client: Client, spawn, tmp_path: Path) -> None:
    repo = client.create_repo("org/gc-race")
    history = 150
    repo.root_group.create_array("h", shape=(history * 4,), chunks=(4,), dtype="i4", fill_value=-1)
    repo.commit("history array")
    h = repo.root_group["h"]
    for i in range(history):
        h[i * 4 : (i + 1) * 4] = i
        repo.commit(f"history {i}")
        h = repo.root_group["h"]

    n = 200
    attempts = 12
    rng = random.Random(7)
    stop = tmp_path / "stop-gc"
    gc_proc = spawn(GC_LOOP, client.root, "org/gc-race", stop, name="gc-loop")
    gc_proc.expect("ready")
    failures = []
    try:
        for attempt in range(attempts):
            name = f"s{attempt}"
            values = np.arange(n, dtype="i8") + 1_000_000 * (attempt + 1)
            arr = repo.root_group.create_array(name, shape=(n,), chunks=(1,), dtype="i8", fill_value=-1)
            arr[:] = values
            # Let every gc pass that started before these writes end, so that
            # making the files look old below cannot fool a pass that never
            # saw the session: the next pass but one started after the writes.
            gc_proc.drain()
            for _ in range(2):
                assert gc_proc.line(timeout=120) == "pass"
            # The session's chunks look old, as after a long-running session.
            old = time.time() - 3600
            for path in chunk_files(repo.path):
                os.utime(path, (old, old))
            time.sleep(rng.uniform(0.05, 0.4))
            cid = repo.commit(f"session {attempt}, committed while gc runs")
            assert cid is not None
            time.sleep(0.3)  # let gc finish the pass the commit landed in
            view = fresh(client.root, "org/gc-race", cid)
            report = view.fsck()  # covers every commit: count only this attempt's array
            missing = [k for k in [*report.missing, *report.corrupt] if k.startswith(f"{name}/")]
            try:
                problem = "" if (view.root_group[name][:] == values).all() else "wrong values"
            except CorruptChunkError as e:
                problem = str(e).splitlines()[0][:140]
            if missing or problem:
                failures.append(f"attempt {attempt}: {len(missing)} of {n} chunks missing; reading: {problem}")
    finally:
        stop.touch()
    while (last := gc_proc.line(timeout=120)) == "pass":
        pass
    gc_proc.finish()
    assert last.startswith("stopped") and int(last.split()[1]) > 0, f"gc never completed a pass: {last}"
    assert not failures, (
        f"gc running in another process deleted chunks of a session committed meanwhile in "
        f"{len(failures)} of {attempts} attempts:\n" + "\n".join(failures)
    )
    assert fresh(client.root, "org/gc-race").fsck().ok


# ---------------------------------------------------------------------------
# 5. Rewriting data repairs a corrupt chunk file
# ---------------------------------------------------------------------------


def test_writing_the_same_data_again_repairs_a_corrupt_chunk(client: Client) -> None:
    repo = client.create_repo("org/repair")
    values = np.arange(100, dtype="i4") * 3 + 1
    x = repo.root_group.create_array("x", shape=(100,), chunks=(10,), dtype="i4", fill_value=-1)
    x[:] = values
    repo.commit("data")
    files = chunk_files(repo.path)
    assert len(files) == 10
    victim = files[3]
    raw = bytearray(victim.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    victim.write_bytes(bytes(raw))

    reader = fresh(client.root, "org/repair")
    with pytest.raises(CorruptChunkError):
        reader.root_group["x"][:]
    assert len(reader.fsck().corrupt) == 1

    repo.root_group["x"][:] = values  # the same data again
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NothingToCommitWarning)
        repo.commit("rewrite the same data")

    view = fresh(client.root, "org/repair")
    try:
        got = view.root_group["x"][:]
    except CorruptChunkError as e:
        pytest.fail(f"rewriting the same data did not repair the chunk file: {e}")
    assert (got == values).all()
    report = view.fsck()
    assert report.ok and not report.corrupt and not report.missing, report


# ---------------------------------------------------------------------------
# 6. Damaged journals
# ---------------------------------------------------------------------------

WRITE_KEYS = """
import sys, numpy as np
from arraylake_nb import Client
root, name, sid, array, n, offset = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6])
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
print("joined", flush=True)
if len(sys.argv) > 7:
    sys.stdin.readline()  # wait for the go-ahead
a = repo.root_group[array]
for i in range(n):
    a[i] = offset + i
print("done", flush=True)
"""

JOIN_AND_COMMIT = """
import sys
from arraylake_nb import Client
root, name, sid = sys.argv[1], sys.argv[2], sys.argv[3]
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
print(repo.commit(sys.argv[4]), flush=True)
"""


def _session_with_arrays(client: Client, name: str, *arrays: str, n: int = 200):
    repo = client.create_repo(name)
    for a in arrays:
        repo.root_group.create_array(a, shape=(n,), chunks=(1,), dtype="i4", fill_value=-1)
    repo.commit("empty arrays")
    return repo, repo.create_session().id


def test_join_and_commit_a_session_whose_journal_ends_in_zero_bytes(client: Client, spawn) -> None:
    n = 200
    repo, sid = _session_with_arrays(client, "org/zeros", "p", n=n)
    run_child(spawn, WRITE_KEYS, client.root, "org/zeros", sid, "p", n, 0)
    files = session_files(repo.path, sid)
    assert files, f"no file under {repo.path / 'sessions'} belongs to session {sid}"
    for path in files:  # what a power loss can leave: a tail of zeros
        with open(path, "ab") as f:
            f.write(b"\0" * 4096)

    out = run_child(spawn, JOIN_AND_COMMIT, client.root, "org/zeros", sid, "rescued")
    cid = out[-1]
    p = fresh(client.root, "org/zeros", cid).root_group["p"][:]
    assert (p == np.arange(n)).all(), f"{np.count_nonzero(p != np.arange(n))} elements wrong after the rescue"


def test_a_torn_record_in_the_middle_of_a_journal_hides_nothing_written_after_it(client: Client, spawn) -> None:
    n = 200
    repo, sid = _session_with_arrays(client, "org/torn", "p1", "p2", n=n)
    run_child(spawn, WRITE_KEYS, client.root, "org/torn", sid, "p1", n, 0)
    p1_files = session_files(repo.path, sid)  # what P1 (now dead) wrote to
    assert p1_files

    # P2 has joined and waits; then P1's files get the remains of a record cut
    # short (as a process killed in the middle of a large write leaves them);
    # then P2 writes.
    p2 = spawn(WRITE_KEYS, client.root, "org/torn", sid, "p2", n, 1000, "wait", name="p2")
    p2.expect("joined")
    torn = (1_000_000).to_bytes(4, "little") + (0x1234ABCD).to_bytes(4, "little") + os.urandom(100)
    for path in p1_files:
        with open(path, "ab") as f:
            f.write(torn)
    p2.send("go")
    p2.expect("done")
    p2.finish()

    out = run_child(spawn, JOIN_AND_COMMIT, client.root, "org/torn", sid, "rescued")
    g = fresh(client.root, "org/torn", out[-1]).root_group
    p1, p2v = g["p1"][:], g["p2"][:]
    assert (p1 == np.arange(n)).all(), f"P1 (before the damage): {np.count_nonzero(p1 != np.arange(n))} of {n} wrong"
    assert (p2v == 1000 + np.arange(n)).all(), (
        f"P2 (after the damage): {np.count_nonzero(p2v != 1000 + np.arange(n))} of {n} writes missing from the commit"
    )


BIG_WRITE = """
import sys
from arraylake_nb import Client
root, name, sid, n, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
a = repo.root_group["p1"]
for i in range(n):
    a[i] = i
g = repo.root_group.create_group("huge")
blob = "x" * size
print("big write", flush=True)
g.attrs.update({"blob": blob})
print("finished", flush=True)
"""

CHECK_AFTER_KILL = """
import json, sys
import numpy as np
from arraylake_nb import Client
root, name, sid, n, size = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
g = repo.root_group
p1 = int(np.count_nonzero(g["p1"][:] != np.arange(n)))
p2 = int(np.count_nonzero(g["p2"][:] != 1000 + np.arange(n)))
blob = len(g["huge"].attrs.get("blob", "")) if "huge" in g else 0
cid = repo.commit("after the kill")
print(json.dumps({"p1_wrong": p1, "p2_wrong": p2, "blob": blob, "commit": cid}), flush=True)
"""


@pytest.mark.parametrize("co_writer", [False, True], ids=["alone", "with-a-live-co-writer"])
def test_sigkill_in_the_middle_of_a_huge_write_keeps_the_session_joinable(
    client: Client, spawn, co_writer: bool
) -> None:
    n, size = 200, 128 * 2**20
    repo, sid = _session_with_arrays(client, f"org/kill-{int(co_writer)}", "p1", "p2", n=n)
    name = repo.name
    if co_writer:
        p2 = spawn(WRITE_KEYS, client.root, name, sid, "p2", n, 1000, "wait", name="p2")
        p2.expect("joined")
    victim = spawn(BIG_WRITE, client.root, name, sid, n, size, name="victim")
    victim.expect("big write", timeout=60)
    # Kill while the big write is reaching the disk: the repository grows by
    # tens of MB within the one write; kill once it has grown by 16 MB.
    base, start, grown = tree_bytes(repo.path), time.monotonic(), 0
    while time.monotonic() - start < 20 and victim.running():
        grown = tree_bytes(repo.path) - base
        if grown > 16 * 2**20:
            break
        time.sleep(0.002)
    assert victim.running(), "the huge write finished before it could be killed"
    victim.kill()
    assert victim.p.returncode == -signal.SIGKILL
    if co_writer:
        p2.send("go")
        p2.expect("done")
        p2.finish()
    else:
        run_child(spawn, WRITE_KEYS, client.root, name, sid, "p2", n, 1000)

    out = run_child(spawn, CHECK_AFTER_KILL, client.root, name, sid, n, size)
    result = json.loads(out[-1])
    assert result["p1_wrong"] == 0, f"changes made before the killed write were lost: {result}"
    assert result["blob"] in (0, size), f"a half-written document is visible: {result}"
    assert result["p2_wrong"] == 0, f"writes of a process after the killed write were lost: {result}"
    g = fresh(client.root, name, result["commit"]).root_group
    assert (g["p1"][:] == np.arange(n)).all() and (g["p2"][:] == 1000 + np.arange(n)).all()


# ---------------------------------------------------------------------------
# 7. Names with a trailing newline
# ---------------------------------------------------------------------------


def test_names_ending_in_a_newline_are_refused(client: Client) -> None:
    repo = client.create_repo("org/names")
    repo.root_group.attrs["a"] = 1
    repo.commit("one")
    with pytest.raises(InvalidNameError):
        client.create_repo("org/name\n")
    with pytest.raises(InvalidNameError):
        repo.new_branch("main\n")
    with pytest.raises(InvalidNameError):
        repo.tag("v1\n")
    assert repo.branches.names == ["main"]


# ---------------------------------------------------------------------------
# 8. A full disk
# ---------------------------------------------------------------------------

JOIN_COMMIT_REPORT = """
import json, sys
from arraylake_nb import Client
root, name, sid = sys.argv[1], sys.argv[2], sys.argv[3]
repo = Client(root=root).get_repo(name)
repo.join_session(sid)
cid = repo.commit("rescued after the disk filled up")
print(json.dumps({"commit": cid}), flush=True)
"""


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 32 MiB tmpfs: a disk that can really fill up."""
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    r = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=32m", "tmpfs", str(mnt)], check=False, capture_output=True, text=True
    )
    if r.returncode != 0:
        pytest.fail(f"this test needs to mount a 32 MiB tmpfs (as root): mount failed: {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False, capture_output=True)


def test_a_full_disk_loses_no_acknowledged_write_and_leaves_the_session_usable(small_disk: Path, spawn) -> None:
    root = small_disk / "root"
    client = Client(root=root, author="Ada Lovelace <ada@example.org>")
    repo = client.create_repo("org/full")
    n = 2**18  # float32 elements: 1 MiB per chunk
    repo.root_group.create_array("big", shape=(4 * n,), chunks=(n,), dtype="f4", fill_value=-1, compressors=None)
    repo.root_group.create_array("small", shape=(16,), chunks=(1,), dtype="i4", fill_value=-1)
    repo.root_group.attrs["title"] = "full disk"
    assert repo.commit("before the disk fills up")
    repo.root_group["small"][0] = 100  # the session exists and holds a change
    sid = repo.session.id

    st = os.statvfs(small_disk)
    filler = small_disk / "filler"
    with open(filler, "wb") as f:
        f.write(b"\0" * (st.f_bavail * st.f_frsize - 3 * 2**19))  # leave ~1.5 MiB

    def chunk(k: int) -> np.ndarray:
        return np.arange(k * n, (k + 1) * n, dtype="f4")

    acked: dict[str, bool] = {}
    errors: dict[str, str] = {}
    big = repo.root_group["big"]
    for k in range(4):
        try:
            big[k * n : (k + 1) * n] = chunk(k)
            acked[f"big/{k}"] = True
        except Exception as e:  # noqa: BLE001 - the type is checked below
            acked[f"big/{k}"] = False
            errors[f"big/{k}"] = f"{type(e).__module__}.{type(e).__name__}" + (
                "" if isinstance(e, ArraylakeNbError) else f" (not an ArraylakeNbError): {e}"
            )
    notes = "n" * 65536
    try:
        repo.root_group.attrs["notes"] = notes  # a metadata document bigger than what is left
        acked["notes"] = True
    except Exception as e:  # noqa: BLE001
        acked["notes"] = False
        errors["notes"] = f"{type(e).__module__}.{type(e).__name__}" + (
            "" if isinstance(e, ArraylakeNbError) else f" (not an ArraylakeNbError): {e}"
        )
    filler.unlink()

    # The session goes on in this process once there is room again.
    problems = []
    repo.root_group["small"][1] = 101
    if repo.root_group["small"][1] != 101:
        problems.append("small[1] = 101, acknowledged once the disk had room again, is not visible in its own session")

    out = run_child(spawn, JOIN_COMMIT_REPORT, root, "org/full", sid)
    cid = json.loads(out[-1])["commit"]
    view = fresh(root, "org/full", cid)
    g = view.root_group
    got = g["big"][:]
    for k in range(4):
        expected = chunk(k) if acked[f"big/{k}"] else np.full(n, -1, dtype="f4")
        wrong = int(np.count_nonzero(got[k * n : (k + 1) * n] != expected))
        if wrong:
            problems.append(
                f"big chunk {k} ({'acknowledged' if acked[f'big/{k}'] else 'failed'}): {wrong} elements wrong"
            )
    small = g["small"][:]
    if small[0] != 100 or small[1] != 101:
        problems.append(f"small[0:2] = {small[:2].tolist()}, expected [100, 101] (both acknowledged)")
    has_notes = g.attrs.get("notes") == notes
    if has_notes != acked["notes"]:
        problems.append(
            f"attribute 'notes' {'acknowledged' if acked['notes'] else 'failed'} but "
            f"{'present' if has_notes else 'absent'} in the commit"
        )
    assert not problems, (
        f"after a full disk (acknowledged: {acked}; errors: {errors}) the commit is wrong:\n" + "\n".join(problems)
    )
    assert not all(acked.values()), "nothing failed: the disk did not fill up"
    assert not [e for e in errors.values() if "not an ArraylakeNbError" in e], (
        f"writes on a full disk failed with exceptions outside arraylake_nb's hierarchy: {errors}"
    )
    report = view.fsck()
    assert report.ok, report

    # And this process goes on with the repository.
    repo.checkout("main")
    repo.root_group["small"][2] = 102
    assert repo.commit("after the rescue")
    assert fresh(root, "org/full").root_group["small"][:3].tolist() == [100, 101, 102]
