"""Move, copy, tree and metadata search at scale.

Run:  python benchmarks/bench_hierarchy.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import sys
import tempfile
import warnings
from pathlib import Path

import zarr
from zarr.core.buffer import default_buffer_prototype
from zarr.storage import LocalStore

sys.path.insert(0, str(Path(__file__).parent))
from _common import record_chunk_refs, timed  # noqa: E402

from arraylake_nb import Client  # noqa: E402
from arraylake_nb.engine.journal import SetValue  # noqa: E402
from arraylake_nb.engine.values import Doc  # noqa: E402

warnings.filterwarnings("ignore")


def move_and_copy(work: Path, n_chunks: int) -> dict[str, float]:
    repo = Client(root=work / "move").create_repo("bench/move")
    g = zarr.open_group(repo.store, mode="a")
    g.create_group("src")
    record_chunk_refs(repo, "src/data", n_chunks)
    repo.commit("a group holding many chunks")
    t_move = timed(lambda: (repo.root_group.move("src", "dst"), repo.commit("move")))
    t_copy = timed(lambda: (repo.copy("dst", "dst_copy"), repo.commit("copy")))
    check = repo.root_group
    assert check["dst_copy/data"][n_chunks - 1] == 7 and check["dst/data"][n_chunks - 1] == 7
    return {"move + commit": t_move, "copy + commit": t_copy}


def localstore_move(work: Path, n_chunks: int) -> float:
    """What a move costs through zarr's Store API: read, write and delete every key."""
    store = LocalStore(work / "local-move")
    a = zarr.create_array(store, name="src/data", shape=(n_chunks,), chunks=(1,), dtype="u1", compressors=None, fill_value=0)
    a[:] = 7
    proto = default_buffer_prototype()

    async def move() -> None:
        keys = [k async for k in store.list_prefix("src/")]
        for i in range(0, len(keys), 1000):
            batch = keys[i : i + 1000]
            values = await asyncio.gather(*(store.get(k, proto) for k in batch))
            await asyncio.gather(*(store.set("dst/" + k[4:], v) for k, v in zip(batch, values, strict=True)))
            await asyncio.gather(*(store.delete(k) for k in batch))

    t = timed(lambda: asyncio.run(move()))
    assert zarr.open_array(store, path="dst/data")[n_chunks - 1] == 7
    shutil.rmtree(work / "local-move")
    return t


def tree_and_search(work: Path, n_nodes: int) -> dict[str, float]:
    repo = Client(root=work / "tree").create_repo("bench/tree")
    zarr.open_group(repo.store, mode="a")
    template = zarr.create_array(repo.store, name="tmpl", shape=(10,), dtype="f4")
    array_doc = repo.store.session.get("tmpl/zarr.json").data
    records = []
    for i in range(n_nodes // 10):
        group = f"g{i:04d}"
        doc = ('{"zarr_format": 3, "node_type": "group", "attributes": {"index": %d}}' % i).encode()
        records.append(SetValue(f"{group}/zarr.json", Doc.for_key(f"{group}/zarr.json", doc)))
        for j in range(9):
            key = f"{group}/a{j}/zarr.json"
            data = array_doc.replace(b'"attributes": {}', b'"attributes": {"number": %d, "units": "m"}' % (i * 9 + j))
            records.append(SetValue(key, Doc.for_key(key, data)))
    repo.store.session._write(records)
    repo.commit(f"{n_nodes} nodes")
    del template
    tree_t = statistics.median(timed(lambda: str(repo.tree())) for _ in range(5))
    tree_model_t = statistics.median(timed(lambda: repo.tree()) for _ in range(5))
    search_t = statistics.median(timed(lambda: repo.filter_metadata("number >= `3` && number <= `15`")) for _ in range(5))
    assert len(repo.filter_metadata("number >= `3` && number <= `15`")) == 13
    return {"tree (model)": tree_model_t, "tree rendered as text": tree_t, "filter_metadata": search_t}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_chunks, n_local, n_nodes = (20_000, 2_000, 1_000) if args.quick else (1_000_000, 100_000, 10_000)
    work = Path(tempfile.mkdtemp(prefix="alnb-hier-"))
    try:
        print(f"## Move and copy of a group holding {n_chunks} chunks (ms)\n")
        print("| operation | ms |\n|---|---|")
        for k, v in move_and_copy(work, n_chunks).items():
            print(f"| {k} | {v * 1e3:.1f} |")
        print(f"| zarr LocalStore: move through the Store API, {n_local} chunks | {localstore_move(work, n_local) * 1e3:.0f} |")
        print(f"\n## Tree and metadata search over {n_nodes} nodes (ms, median of 5)\n")
        print("| operation | ms |\n|---|---|")
        for k, v in tree_and_search(work, n_nodes).items():
            print(f"| {k} | {v * 1e3:.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
