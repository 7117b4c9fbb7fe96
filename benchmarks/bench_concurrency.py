"""Several processes on one repository, and the cost of durable session writes.

Run:  python benchmarks/bench_concurrency.py [--quick]

1. Commit throughput: 1, 2 and 4 processes each commit N one-chunk changes to
   their own array on ``main`` at the same time (every commit must land).
   Reported: commits per second in total, and the median / 95th percentile of
   one commit call as a process sees it, including the wait for the metastore.
2. Durable writes: every chunk write also appends a record to the session's
   journal. Chunk writes per second through our store vs zarr's LocalStore
   (which keeps no journal) for small and 1 MiB chunks, interleaved.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import zarr
from zarr.storage import LocalStore

from arraylake_nb import Client

warnings.filterwarnings("ignore")


def _committer(root: str, idx: int, n: int, barrier, out) -> None:  # noqa: ANN001
    repo = Client(root=root).get_repo("bench/concurrent")
    arr = repo.root_group.create_array(f"w{idx}", shape=(64,), chunks=(8,), dtype="i4")
    repo.commit(f"create w{idx}")
    barrier.wait()
    times = []
    start = time.perf_counter()
    for i in range(n):
        arr = zarr.open_array(repo.store, path=f"w{idx}")
        arr[(i % 8) * 8 : (i % 8) * 8 + 8] = i + 1
        t = time.perf_counter()
        assert repo.commit(f"w{idx} {i}") is not None
        times.append(time.perf_counter() - t)
    out.put((idx, time.perf_counter() - start, times))


def commit_throughput(work: Path, procs: int, n: int) -> tuple[float, float, float]:
    root = work / f"conc-{procs}"
    repo = Client(root=root).create_repo("bench/concurrent")
    zarr.open_group(repo.store, mode="a")
    repo.commit("root group")
    ctx = mp.get_context("spawn")
    barrier, out = ctx.Barrier(procs), ctx.Queue()
    ps = [ctx.Process(target=_committer, args=(str(root), i, n, barrier, out)) for i in range(procs)]
    for p in ps:
        p.start()
    results = [out.get(timeout=600) for _ in ps]
    for p in ps:
        p.join()
    wall = max(r[1] for r in results)
    latencies = sorted(t for r in results for t in r[2])
    repo = Client(root=root).get_repo("bench/concurrent")
    assert len(repo.commit_log) == procs * (n + 1) + 1, "a commit was lost"
    return procs * n / wall, statistics.median(latencies), latencies[int(0.95 * (len(latencies) - 1))]


def chunk_writes(work: Path, chunk_bytes: int, n_chunks: int, reps: int) -> tuple[float, float]:
    per_chunk = chunk_bytes // 4
    data = np.arange(per_chunk * n_chunks, dtype="f4")
    ours, local = [], []
    for i in range(reps):
        order = ["local", "ours"] if i % 2 == 0 else ["ours", "local"]
        for which in order:
            if which == "local":
                store = LocalStore(work / f"lw-{i}")
                t = time.perf_counter()
                zarr.create_array(store, name="a", shape=data.shape, chunks=(per_chunk,), dtype="f4", compressors=None)[:] = data
                local.append(time.perf_counter() - t)
                shutil.rmtree(work / f"lw-{i}")
            else:
                client = Client(root=work / f"ow-{i}")
                repo = client.create_repo("bench/writes")
                t = time.perf_counter()
                zarr.create_array(repo.store, name="a", shape=data.shape, chunks=(per_chunk,), dtype="f4", compressors=None)[:] = data
                ours.append(time.perf_counter() - t)
                client.delete_repo("bench/writes", imsure=True, imreallysure=True)
    return n_chunks / statistics.median(ours), n_chunks / statistics.median(local)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n = 20 if args.quick else 100
    work = Path(tempfile.mkdtemp(prefix="alnb-conc-"))
    try:
        print(f"## Commit throughput, {n} one-chunk commits per process, disjoint arrays, one branch\n")
        print("| processes | commits/s (total) | commit call median (ms) | p95 (ms) |\n|---|---|---|---|")
        for procs in (1, 2, 4):
            rate, med, p95 = commit_throughput(work, procs, n)
            print(f"| {procs} | {rate:.0f} | {med * 1e3:.1f} | {p95 * 1e3:.1f} |")
        print("\n## Chunk writes with the session journal vs LocalStore (uncompressed, interleaved)\n")
        print("| chunk size | chunks | ours (chunks/s) | LocalStore (chunks/s) | ours / LocalStore |\n|---|---|---|---|---|")
        for size, count in ((4096, 500 if args.quick else 4000), (1 << 20, 32 if args.quick else 256)):
            ours, local = chunk_writes(work, size, count, 2 if args.quick else 6)
            print(f"| {size // 1024} KiB | {count} | {ours:.0f} | {local:.0f} | {ours / local:.2f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
