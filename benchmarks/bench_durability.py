"""What durable writes cost: our durability settings against zarr's LocalStore.

Run:  python benchmarks/bench_durability.py [--quick]   (about 4.5 minutes on 2 cores; --quick: ~35 s)

1. Bulk write of 256 MiB float32 in 1 MiB chunks, plus our commit, interleaved with
   zarr's LocalStore in the same run (uncompressed and zstd):
   - durability "write" (every acknowledged write fsynced) and "commit" (fsync at
     commit) vs LocalStore followed by an fsync of every file and directory it wrote
     (the same guarantee);
   - durability "none" vs plain LocalStore (no fsync);
   - reads of the whole array after ``os.sync()``: ours (written with "write") vs
     LocalStore.
2. One session written by 1, 2 and 4 processes (disjoint 1 MiB chunks of one array,
   128 MiB in total); the writers import, join the session and prepare their data
   first, then wait for a start signal, so interpreter start-up is not timed. The
   parent then commits the session (timed separately).
3. One-chunk commit latency over 1,000 commits (durability "write" and "none").

The durability setting is passed as ``Client(root, durability=...)`` when ``Client``
takes that keyword, else through ``$ARRAYLAKE_NB_DURABILITY`` (read when a session
is created); the script prints which. An engine without the option ignores both and
behaves like "none".

Prints tables of medians and ratios (ours / LocalStore) and checks no targets;
copy the figures into benchmarks/RESULTS.md. Scratch data goes under
benchmarks/_work/ (gitignored) and is removed at the end.
"""

from __future__ import annotations

import argparse
import inspect
import multiprocessing as mp
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import zarr
from zarr.storage import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
from _common import timed  # noqa: E402

import arraylake_nb  # noqa: E402
from arraylake_nb import Client  # noqa: E402

warnings.filterwarnings("ignore")

DURABILITY_ENV = "ARRAYLAKE_NB_DURABILITY"
HAS_KEYWORD = "durability" in inspect.signature(Client).parameters
WORK_ROOT = Path(__file__).parent / "_work"
CHUNKS = (512, 512)  # 1 MiB of float32


def make_client(root: Path | str, durability: str) -> Client:
    """A Client with the given durability, through the keyword if it exists, else the environment."""
    if HAS_KEYWORD:
        return Client(root=root, durability=durability)  # type: ignore[call-arg]
    os.environ[DURABILITY_ENV] = durability  # stays set: sessions made after each commit read it too
    return Client(root=root)


def mechanism() -> str:
    if HAS_KEYWORD:
        return "Client(root, durability=...)"
    src = Path(arraylake_nb.__file__).parent
    known = any(DURABILITY_ENV in p.read_text(errors="ignore") for p in src.rglob("*.py"))
    note = "the engine reads it" if known else "the engine never mentions it: every run behaves like 'none'"
    return f"${DURABILITY_ENV} (Client has no durability keyword; {note})"


def field(rows: int, cols: int) -> np.ndarray:
    """A smooth, compressible float32 field."""
    y = np.linspace(0, 8 * np.pi, rows, dtype=np.float32)[:, None]
    x = np.linspace(0, 4 * np.pi, cols, dtype=np.float32)[None, :]
    return (np.sin(y) * np.cos(x) * 10 + 15).astype(np.float32)


def fsync_tree(root: Path) -> None:
    """fsync every file under ``root``, every directory, and ``root``'s parent."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        fd = os.open(dirpath, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(root.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- 1. bulk write and read ---------------------------------------------------

VARIANTS = ("local", "local+fsync", "write", "commit", "none")


def bulk(work: Path, data: np.ndarray, compressors: object, reps: int) -> dict[str, dict[str, list[float]]]:
    w: dict[str, list[float]] = {v: [] for v in VARIANTS}
    r: dict[str, list[float]] = {v: [] for v in VARIANTS}
    bad: list[str] = []
    for i in range(reps):
        # Rotate, and reverse every other repetition, so no variant always
        # runs first (cold) or right after a large write.
        order = list(VARIANTS[i % len(VARIANTS):] + VARIANTS[: i % len(VARIANTS)])
        if i % 2:
            order.reverse()
        for v in order:
            path = work / f"{v.replace('+', '-')}-{i}"
            os.sync()  # the previous variant's dirty pages must not be flushed inside this timing
            if v.startswith("local"):
                store = LocalStore(path)

                def lw(store: LocalStore = store, path: Path = path, v: str = v) -> None:
                    zarr.create_array(store, name="f", shape=data.shape, chunks=CHUNKS, dtype="f4",
                                      compressors=compressors)[:] = data
                    if v == "local+fsync":
                        fsync_tree(path)

                w[v].append(timed(lw))
                os.sync()
                r[v].append(timed(lambda store=store: zarr.open_array(store, path="f", mode="r")[:]))
                shutil.rmtree(path)
            else:
                client = make_client(path, v)
                repo = client.create_repo("bench/durable")

                def ow(repo=repo) -> None:  # noqa: ANN001 - the write includes the commit
                    zarr.create_array(repo.store, name="f", shape=data.shape, chunks=CHUNKS, dtype="f4",
                                      compressors=compressors)[:] = data
                    repo.commit("bulk write")

                w[v].append(timed(ow))
                os.sync()
                r[v].append(timed(lambda repo=repo: zarr.open_array(repo.store, path="f", mode="r")[:]))
                if not np.array_equal(zarr.open_array(repo.store, path="f", mode="r")[:], data):
                    bad.append(f"{v} rep {i}")
                client.delete_repo("bench/durable", imsure=True, imreallysure=True)
                shutil.rmtree(path, ignore_errors=True)
    return {"write": w, "read": r, "bad": bad}  # type: ignore[dict-item]


def report_bulk(work: Path, n_mib: int, reps: int, zstd: bool) -> None:
    side = int((n_mib * 2**20 / 4) ** 0.5)
    data = field(side, side)
    print(f"## 1. Bulk write + commit of {n_mib} MiB float32, shape {data.shape}, chunks {CHUNKS} "
          f"(1 MiB); {reps} interleaved reps, medians, seconds\n")
    print("| operation | arraylake_nb (s) | LocalStore (s) | ratio | target |\n|---|---|---|---|---|")
    for label, compressors in (("uncompressed", None), ("zstd", "auto"))[: 2 if zstd else 1]:
        res = bulk(work, data, compressors, reps)
        w = {k: statistics.median(v) for k, v in res["write"].items()}
        r = {k: statistics.median(v) for k, v in res["read"].items()}
        rows = [
            (f"write, {label}: durability 'write' vs LocalStore + fsync of all files and dirs", w["write"], w["local+fsync"], "≤ 1.1x"),
            (f"write, {label}: durability 'commit' vs LocalStore + fsync of all files and dirs", w["commit"], w["local+fsync"], ""),
            (f"write, {label}: durability 'none' vs LocalStore (no fsync)", w["none"], w["local"], "≤ 1.1x"),
            (f"read, {label}: ours (written with 'write') vs LocalStore, after os.sync()", r["write"], r["local"], "≤ 1.0x"),
        ]
        for name, ours, local, target in rows:
            print(f"| {name} | {ours:.3f} | {local:.3f} | {ours / local:.2f}x | {target} |")
        if res["bad"]:
            print(f"| DATA MISMATCH reading back: {', '.join(res['bad'])} | | | | |")
    print()


# -- 2. one session, several writer processes -----------------------------------

SHAPE2 = (4096, 8192)  # 128 MiB of float32, 8 x 16 chunks of 1 MiB


def _writer(root: str, durability: str, session_id: str, rows: tuple[int, int],
            ready, go, done) -> None:  # noqa: ANN001
    repo = make_client(root, durability).get_repo("bench/shared", checkout=False)
    repo.join_session(session_id)
    arr = zarr.open_array(repo.store, path="a")
    block = field(SHAPE2[0], SHAPE2[1])[rows[0]:rows[1]] + np.float32(rows[0])
    ready.put(os.getpid())
    go.wait()
    arr[rows[0]:rows[1]] = block
    done.put(os.getpid())


def shared_session(work: Path, durability: str, procs: int, run: int) -> tuple[float, float, bool]:
    root = work / f"shared-{durability}-{procs}-{run}"
    client = make_client(root, durability)
    repo = client.create_repo("bench/shared")
    zarr.create_array(repo.store, name="a", shape=SHAPE2, chunks=CHUNKS, dtype="f4", compressors=None)
    repo.commit("empty array")
    sid = repo.create_session().id
    repo.join_session(sid)
    block_rows = SHAPE2[0] // procs  # a multiple of the chunk height for 1, 2, 4 and 8 writers
    ctx = mp.get_context("spawn")
    ready, done, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    ps = [ctx.Process(target=_writer, args=(str(root), durability, sid, (k * block_rows, (k + 1) * block_rows),
                                             ready, go, done)) for k in range(procs)]
    for p in ps:
        p.start()
    for _ in ps:
        ready.get(timeout=300)
    os.sync()
    t0 = time.perf_counter()
    go.set()
    for _ in ps:
        done.get(timeout=300)
    wall = time.perf_counter() - t0
    for p in ps:
        p.join()
    t_commit = timed(lambda: repo.commit(f"{procs} writers"))
    expect = field(*SHAPE2)
    for k in range(procs):
        expect[k * block_rows:(k + 1) * block_rows] += np.float32(k * block_rows)
    fresh = make_client(root, durability).get_repo("bench/shared", read_only=True)
    ok = np.array_equal(zarr.open_array(fresh.store, path="a", mode="r")[:], expect)
    client.delete_repo("bench/shared", imsure=True, imreallysure=True)
    shutil.rmtree(root, ignore_errors=True)
    return wall, t_commit, ok


def report_shared(work: Path, reps: int, durabilities: tuple[str, ...]) -> None:
    mib = SHAPE2[0] * SHAPE2[1] * 4 / 2**20
    print(f"## 2. One session written by N processes: {mib:.0f} MiB in 1 MiB chunks, disjoint; "
          f"{reps} reps (writer counts interleaved), medians\n")
    print("| durability | writers | write wall time (s) | MiB/s (total) | vs 1 writer | commit in parent (ms) | data |\n"
          "|---|---|---|---|---|---|---|")
    counts = (1, 2, 4)
    for durability in durabilities:
        walls: dict[int, list[float]] = {n: [] for n in counts}
        commits: dict[int, list[float]] = {n: [] for n in counts}
        ok = {n: True for n in counts}
        for i in range(reps):
            for n in counts if i % 2 == 0 else counts[::-1]:
                wall, tc, good = shared_session(work, durability, n, i)
                walls[n].append(wall)
                commits[n].append(tc)
                ok[n] &= good
        base = mib / statistics.median(walls[1])
        for n in counts:
            rate = mib / statistics.median(walls[n])
            print(f"| {durability} | {n} | {statistics.median(walls[n]):.3f} | {rate:.0f} | {rate / base:.2f}x | "
                  f"{statistics.median(commits[n]) * 1e3:.1f} | {'ok' if ok[n] else 'MISMATCH'} |")
    print()


# -- 3. one-chunk commits over a long history -----------------------------------

def commit_history(work: Path, durability: str, n_commits: int) -> dict[str, float]:
    root = work / f"history-{durability}"
    client = make_client(root, durability)
    repo = client.create_repo("bench/history")
    n_chunks = 1000
    arr = zarr.create_array(repo.store, name="a", shape=(n_chunks, 1024), chunks=(1, 1024), dtype="f4",
                            compressors=None)
    arr[:] = 0.0
    repo.commit("init")
    row = np.ones((1, 1024), dtype="f4")
    commit_t, write_t = [], []
    for i in range(n_commits):
        a = zarr.open_array(repo.store, path="a")
        k = i % n_chunks

        def write(a=a, k=k, i=i) -> None:  # noqa: ANN001
            a[k:k + 1] = row * (i + 1)

        write_t.append(timed(write))
        commit_t.append(timed(lambda i=i: repo.commit(f"commit {i}")))
    n_log = len(repo.commit_log)
    client.delete_repo("bench/history", imsure=True, imreallysure=True)
    shutil.rmtree(root, ignore_errors=True)
    ordered = sorted(commit_t)
    return {
        "commit median, first 50": statistics.median(commit_t[:50]),
        "commit median, last 50": statistics.median(commit_t[-50:]),
        "commit median, all": statistics.median(commit_t),
        "commit p95, all": ordered[int(0.95 * (len(ordered) - 1))],
        "one-chunk write (4 KiB) median": statistics.median(write_t),
        "commits in log": n_log,
    }


def report_history(work: Path, n_commits: int) -> None:
    print(f"## 3. {n_commits} one-chunk commits on one branch (milliseconds)\n")
    results = {d: commit_history(work, d, n_commits) for d in ("write", "none")}
    print("| measure | durability 'write' | durability 'none' | target |\n|---|---|---|---|")
    targets = {"commit median, first 50": "≤ 2 ms", "commit median, last 50": "≤ 2 ms, flat"}
    for k in results["write"]:
        if k == "commits in log":
            print(f"| {k} | {results['write'][k]:.0f} | {results['none'][k]:.0f} | {n_commits + 1} |")
        else:
            print(f"| {k} | {results['write'][k] * 1e3:.2f} | {results['none'][k] * 1e3:.2f} | {targets.get(k, '')} |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    n_mib, reps, shared_reps, n_commits = (16, 2, 1, 100) if args.quick else (256, 4, 3, 1000)
    WORK_ROOT.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="durability-", dir=WORK_ROOT))
    saved_env = os.environ.get(DURABILITY_ENV)
    start = time.perf_counter()
    try:
        print(f"Durability set through: {mechanism()}\n")
        report_bulk(work, n_mib, reps, zstd=True)
        report_shared(work, shared_reps, ("write", "none"))
        report_history(work, n_commits)
    finally:
        shutil.rmtree(work, ignore_errors=True)
        try:
            WORK_ROOT.rmdir()
        except OSError:
            pass
        if saved_env is None:
            os.environ.pop(DURABILITY_ENV, None)
        else:
            os.environ[DURABILITY_ENV] = saved_env
    print(f"Total time: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
