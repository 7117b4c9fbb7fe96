"""Engine benchmarks against zarr's LocalStore, measured in one process, interleaved.

Run:  python benchmarks/bench_engine.py [--quick]   (about 4 minutes; --quick: seconds)

Prints a table of medians and ratios (ours / LocalStore) and writes nothing
else; copy the figures into benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import zarr
from zarr.storage import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
from _common import record_chunk_refs, timed  # noqa: E402

from arraylake_nb import Client  # noqa: E402

warnings.filterwarnings("ignore")


def field(n_mib: int) -> np.ndarray:
    """A smooth, compressible float32 field of n_mib MiB, shaped (n_mib*256, 1024)."""
    rows = n_mib * 256
    y = np.linspace(0, 8 * np.pi, rows, dtype=np.float32)[:, None]
    x = np.linspace(0, 4 * np.pi, 1024, dtype=np.float32)[None, :]
    return (np.sin(y) * np.cos(x) * 10 + 15).astype(np.float32)


def bulk_io(work: Path, n_mib: int, reps: int) -> list[tuple[str, float, float]]:
    data = field(n_mib)
    chunks = (256, 1024)  # 1 MiB of float32
    rows = []
    for label, compressors in (("uncompressed", None), ("zstd (zarr default)", "auto")):
        ours_w, ours_r, local_w, local_r = [], [], [], []
        for i in range(reps):
            # Alternate which store goes first, so neither always gets the
            # warmer page cache or the quieter half of the run.
            runs = [("local", local_w, local_r), ("ours", ours_w, ours_r)]
            for which, w_times, r_times in runs if i % 2 == 0 else runs[::-1]:
                if which == "local":
                    lpath = work / f"local-{i}"
                    store = LocalStore(lpath)

                    def lw() -> None:
                        a = zarr.create_array(store, name="f", shape=data.shape, chunks=chunks, dtype="f4", compressors=compressors)
                        a[:] = data

                    w_times.append(timed(lw))
                    os.sync()  # flush dirty pages outside the timings, so reads do not race writeback
                    r_times.append(timed(lambda: zarr.open_array(store, path="f", mode="r")[:]))
                    shutil.rmtree(lpath)
                else:
                    client = Client(root=work / f"ours-{i}")
                    repo = client.create_repo("bench/bulk")

                    def ow() -> None:  # the write includes the commit
                        a = zarr.create_array(repo.store, name="f", shape=data.shape, chunks=chunks, dtype="f4", compressors=compressors)
                        a[:] = data
                        repo.commit("bulk write")

                    w_times.append(timed(ow))
                    os.sync()
                    r_times.append(timed(lambda: zarr.open_array(repo.store, path="f", mode="r")[:]))
                    got = zarr.open_array(repo.store, path="f", mode="r")[:]
                    assert np.array_equal(got, data)
                    client.delete_repo("bench/bulk", imsure=True, imreallysure=True)
        mw, mr, lw_, lr_ = (statistics.median(x) for x in (ours_w, ours_r, local_w, local_r))
        rows.append((f"write {n_mib} MiB, {label}", mw, lw_))
        rows.append((f"read {n_mib} MiB, {label}", mr, lr_))
    return rows


def history(work: Path, n_commits: int) -> dict[str, float]:
    client = Client(root=work / "history")
    repo = client.create_repo("bench/history")
    arr = zarr.create_array(repo.store, name="a", shape=(1000, 1024), chunks=(10, 1024), dtype="f4", compressors=None)
    arr[:] = 1.0
    repo.commit("init")
    chunk = np.ones((10, 1024), dtype="f4")
    times = []
    for i in range(n_commits):
        a = zarr.open_array(repo.store, path="a")
        a[(i % 100) * 10 : (i % 100) * 10 + 10] = chunk * i
        times.append(timed(lambda: repo.commit(f"commit {i}")))
    oldest = repo.commit_log[-2].id  # the first one-chunk commit
    log_times = []
    for _ in range(20):
        log_times.append(timed(lambda: list(repo.commit_log)))
    co = []
    for _ in range(20):
        def checkout_read() -> None:
            repo.checkout(oldest)
            zarr.open_array(repo.store, path="a", mode="r")[0:10]
        co.append(timed(checkout_read))
    repo.checkout("main")
    return {
        "commit median (first 20)": statistics.median(times[:20]),
        "commit median (last 20)": statistics.median(times[-20:]),
        "commit median (all)": statistics.median(times),
        "commit log of all": statistics.median(log_times),
        "checkout oldest + read 1 chunk": statistics.median(co),
    }


def million_refs(work: Path, n_refs: int) -> dict[str, float]:
    """One-chunk commits in a repo holding ``n_refs`` chunk references."""
    client = Client(root=work / "million")
    repo = client.create_repo("bench/million")
    t_record = timed(lambda: record_chunk_refs(repo, "big", n_refs))
    t_commit_bulk = timed(lambda: repo.commit("bulk"))
    times = []
    for i in range(30):
        zarr.open_array(repo.store, path="big")[i] = (i % 250) + 2
        times.append(timed(lambda: repo.commit(f"one chunk {i}")))
    check = zarr.open_array(repo.store, path="big", mode="r")
    assert check[n_refs - 1] == 7 and check[3] == 5
    return {
        f"record {n_refs} chunk refs in a session": t_record,
        f"commit of {n_refs} new chunk refs": t_commit_bulk,
        "one-chunk commit median (30 commits)": statistics.median(times),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="small sizes for a smoke run")
    args = parser.parse_args()
    n_mib, reps, n_commits, n_refs = (16, 2, 30, 20_000) if args.quick else (256, 6, 200, 1_000_000)
    work = Path(tempfile.mkdtemp(prefix="alnb-bench-"))
    try:
        print(f"## Bulk I/O ({reps} reps, medians, seconds)\n")
        print("| operation | arraylake_nb | LocalStore | ratio |\n|---|---|---|---|")
        for name, ours, local in bulk_io(work, n_mib, reps):
            print(f"| {name} | {ours:.3f} | {local:.3f} | {ours / local:.2f}x |")
        print(f"\n## History of {n_commits} one-chunk commits (milliseconds)\n")
        print("| measure | ms |\n|---|---|")
        for k, v in history(work, n_commits).items():
            print(f"| {k} | {v * 1e3:.2f} |")
        print(f"\n## {n_refs} chunk references (milliseconds)\n")
        print("| measure | ms |\n|---|---|")
        for k, v in million_refs(work, n_refs).items():
            print(f"| {k} | {v * 1e3:.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
