"""Chunk store put throughput in each durability mode, against plain file writes.

256 distinct random 1 MiB chunks are written from 6 threads (what zarr's
thread pool does) into a fresh directory each time:

* plain open/write/close of the same paths (no hashing, no rename, no fsync);
* the same, with an fsync of each file before close;
* ``ChunkStore.put`` in ``"none"``, ``"commit"`` (then one ``sync`` of all
  digests, timed separately) and ``"write"`` mode;
* ``put`` of the same data again in ``"write"`` mode (every put a dedup hit,
  which re-reads, re-hashes, fsyncs and refreshes the existing file).

Each variant runs ``REPEATS`` times (environment variable, default 5), in rotating order, with ``os.sync()``
before each run (outside the timing) so that one run's dirty pages are not
flushed during the next; the median and the range are printed.

Usage: ``python benchmarks/bench_chunkstore.py [directory on the disk to measure]``
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from arraylake_nb.storage._local import ChunkStore, chunk_hash

N, SIZE, THREADS = 256, 1 << 20, 6
REPEATS = int(os.environ.get("REPEATS", "5"))


def plain(root: Path, datas: list[bytes], fsync: bool) -> None:
    def one(data: bytes) -> None:
        name = chunk_hash(data).hex()
        d = root / name[:2]
        d.mkdir(parents=True, exist_ok=True)
        with open(d / name, "wb") as f:
            f.write(data)
            if fsync:
                f.flush()
                os.fsync(f.fileno())

    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(one, datas))


def puts(store: ChunkStore, datas: list[bytes]) -> list[bytes]:
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(store.put, datas))


def main() -> None:
    base = Path(tempfile.mkdtemp(prefix="bench-chunkstore-", dir=sys.argv[1] if len(sys.argv) > 1 else None))
    datas = [os.urandom(SIZE) for _ in range(N)]
    results: dict[str, list[float]] = {}

    def run(name: str, fn: Callable[[Path], None]) -> None:
        root = base / name.replace(" ", "_")
        shutil.rmtree(root, ignore_errors=True)
        os.sync()
        t = time.perf_counter()
        fn(root)
        results.setdefault(name, []).append(time.perf_counter() - t)

    def commit_mode(root: Path) -> None:
        store = ChunkStore(root, durability="commit")
        t = time.perf_counter()
        digests = puts(store, datas)
        results.setdefault("put, commit mode (puts only)", []).append(time.perf_counter() - t)
        t = time.perf_counter()
        store.sync(digests)
        results.setdefault("  sync() of the 256 digests", []).append(time.perf_counter() - t)

    def dedup(root: Path) -> None:
        puts(ChunkStore(root, durability="write"), datas)
        os.sync()
        t = time.perf_counter()
        puts(ChunkStore(root, durability="write"), datas)
        results.setdefault("put again, write mode (all dedup hits)", []).append(time.perf_counter() - t)

    variants: list[tuple[str, Callable[[Path], None]]] = [
        ("plain open/write/close", lambda r: plain(r, datas, fsync=False)),
        ("plain write + fsync each file", lambda r: plain(r, datas, fsync=True)),
        ("put, none mode", lambda r: puts(ChunkStore(r, durability="none"), datas)),
        ("put + sync, commit mode", commit_mode),
        ("put, write mode", lambda r: puts(ChunkStore(r, durability="write"), datas)),
        ("(setup for dedup)", dedup),
    ]
    for rep in range(REPEATS):
        for name, fn in variants[rep % len(variants):] + variants[: rep % len(variants)]:
            run(name, fn)
    shutil.rmtree(base, ignore_errors=True)

    mib = N * SIZE / 2**20
    print(f"{N} x 1 MiB random chunks, {THREADS} threads, {REPEATS} runs: median s (MiB/s), min-max s")
    for name, times in results.items():
        if name.startswith("("):
            continue
        t = statistics.median(times)
        print(f"  {name:<40} {t:6.3f} ({mib / t:5.0f})  {min(times):.3f}-{max(times):.3f}")


if __name__ == "__main__":
    main()
