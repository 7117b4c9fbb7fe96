"""Costs of the views behind the notebook panels and the sidebar (arraylake_nb.views).

Run:  python benchmarks/bench_views.py [--quick] [--rebuild]

The 10,000-commit repository is built once through the public API (several
Repo handles of one repository, each committing to its own branch, so four
branches run side by side through the whole history) and kept under
``benchmarks/.cache/`` (gitignored); ``--rebuild`` builds it again.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from _common import timed

from arraylake_nb import Client, views
from arraylake_nb.views import graph as graph_module

warnings.filterwarnings("ignore")

CACHE = Path(__file__).parent / ".cache"
#: Bump when the shape of the cached history changes.
HISTORY_VERSION = 2


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f}"


def build_history(root: Path, n_commits: int) -> float:
    """``n_commits`` one-chunk commits on main and three side branches that fork every 1,000 commits."""
    from zarr.core.buffer import default_buffer_prototype

    client = Client(root=root, author="Bench <bench@example.org>", durability="none")
    main = client.create_repo("bench/history")
    main.root_group.create_array("x", shape=(1000,), chunks=(10,), dtype="f4", fill_value=0)
    main.commit("init")
    handles = {"main": main}
    buffer = default_buffer_prototype().buffer
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    generation = 0
    for i in range(1, n_commits):
        if i % 1000 == 1:  # new side branches fork from main's tip
            generation += 1
            for name in ("dev", "feature-a", "feature-b"):
                branch = f"{name}-{generation}"
                main.new_branch(branch)
                repo = client.get_repo("bench/history", checkout=False)
                repo.checkout(branch)
                handles[name] = repo
        if i % 500 == 0:
            main.tag(f"v{i // 500}")
        name = rng.choice(["main", "main", "main", "dev", "feature-a", "feature-b"])
        repo = handles[name]
        repo.store.set_sync(f"x/c/{i % 100}", buffer.from_bytes(np.full(10, i, dtype="<f4").tobytes()))
        assert repo.commit(f"{name} commit {i}\n\nchanges chunk {i % 100}") is not None
    return time.perf_counter() - start


def history_repo(n_commits: int, rebuild: bool) -> tuple[Client, float | None]:
    root = CACHE / f"views-{n_commits}-v{HISTORY_VERSION}"
    built = None
    if rebuild or not (root / "done").exists():
        shutil.rmtree(root, ignore_errors=True)
        built = build_history(root, n_commits)
        (root / "done").write_text(f"{built:.1f}\n")
    return Client(root=root, author="Bench <bench@example.org>"), built


def graph_figures(client: Client, reps: int) -> dict[str, float]:
    repo = client.get_repo("bench/history")
    out: dict[str, float] = {}
    t = time.perf_counter()
    views.history_page(repo, 0, 100)
    out["history first page (100 rows), first call in the process"] = time.perf_counter() - t
    data = repo.commit_data(all_refs=True)
    pairs = data.commits.graph
    out[f"commits in the graph ({len(pairs)}), count"] = len(pairs)

    def full_layout() -> None:
        g = views.LaneLayout(pairs)
        g.extend()

    out["lane layout of every commit (pure)"] = statistics.median(timed(full_layout) for _ in range(reps))
    out["commit_data(all_refs=True): read every commit"] = statistics.median(
        timed(lambda: repo.commit_data(all_refs=True)) for _ in range(reps)
    )

    def cold(offset: int, search: str | None = None) -> float:
        graph_module._graphs.clear()
        return timed(lambda: views.history_page(repo, offset, 100, search))

    out["history first page, cold (layout cache empty)"] = statistics.median(cold(0) for _ in range(reps))
    views.history_page(repo, 0, 100)
    out["history first page, warm"] = statistics.median(
        timed(lambda: views.history_page(repo, 0, 100)) for _ in range(reps)
    )
    last = len(pairs) - 100
    out[f"history page at offset {last:,} (the last), cold"] = statistics.median(cold(last) for _ in range(reps))
    views.history_page(repo, last, 100)
    out[f"history page at offset {last:,} (the last), warm"] = statistics.median(
        timed(lambda: views.history_page(repo, last, 100)) for _ in range(reps)
    )
    out["search 'feature-a' first page, cold"] = statistics.median(cold(0, "feature-a") for _ in range(reps))
    out["search 'feature-a' first page, warm"] = statistics.median(
        timed(lambda: views.history_page(repo, 0, 100, "feature-a")) for _ in range(reps)
    )
    tip = repo.session.base_commit
    out["commit_details of the tip"] = statistics.median(
        timed(lambda: views.commit_details(repo, tip)) for _ in range(reps)
    )
    out["array_history of an array changed by every commit"] = statistics.median(
        timed(lambda: views.array_history(repo, "x", "main")) for _ in range(reps)
    )
    return out


def fresh_process_first_page(client: Client) -> float:
    code = (
        "import sys, time, warnings; warnings.filterwarnings('ignore')\n"
        "from arraylake_nb import Client, views\n"
        "repo = Client(root=sys.argv[1]).get_repo('bench/history')\n"
        "t = time.perf_counter(); views.history_page(repo, 0, 100); print(time.perf_counter() - t)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(client.root)], capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def preview_figures(work: Path, side: int, reps: int) -> dict[str, float]:
    repo = Client(root=work / "preview", durability="none").create_repo("bench/preview")
    a = repo.root_group.create_array("field", shape=(side, side), chunks=(512, 512), dtype="f4", fill_value=np.nan)
    y, x = np.mgrid[0:side, 0:side].astype("f4")
    a[:] = np.sin(x / 300) * np.cos(y / 200)
    first = repo.commit("field")
    window = {0: [1000, 2000], 1: [1000, 2000]}
    out: dict[str, float] = {}
    # A TimeTravel step: the same slice at a commit id (read through that commit's store).
    sel = {"window": window, "method": "mean"}
    out["preview of the 1,000 x 1,000 slice at a commit id (a TimeTravel step)"] = statistics.median(
        timed(lambda: views.preview(repo, first, "field", sel)) for _ in range(reps)
    )
    for method in ("mean", "stride"):
        sel = {"window": window, "method": method}
        header, _ = views.preview(repo, None, "field", sel)
        out[f"preview of a 1,000 x 1,000 slice -> {header['shape'][0]} x {header['shape'][1]} ({method})"] = (
            statistics.median(timed(lambda s=sel: views.preview(repo, None, "field", s)) for _ in range(reps))
        )
    header, _ = views.preview(repo, "main", "field")
    out[f"preview of the whole {side} x {side} array -> {header['shape'][0]} x {header['shape'][1]} "
        f"({header['method']})"] = statistics.median(
        timed(lambda: views.preview(repo, "main", "field")) for _ in range(reps)
    )
    out["node_info of the array"] = statistics.median(
        timed(lambda: views.node_info(repo, None, "field")) for _ in range(reps)
    )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="1,000 commits and a 2,048 x 2,048 array")
    parser.add_argument("--rebuild", action="store_true", help="build the cached history again")
    parser.add_argument("--previews", action="store_true",
                        help="only the previews (TreePanel, TimeTravel): no commit history to build")
    args = parser.parse_args()
    n_commits, side, reps = (1000, 2048, 3) if args.quick else (10_000, 4096, 7)
    if args.previews:
        print_previews(side, reps)
        return
    client, built = history_repo(n_commits, args.rebuild)
    print(f"\n## Commit graph of {n_commits:,} commits (milliseconds, medians of {reps})\n")
    if built is not None:
        print(f"(built the history through the API in {built:.1f} s: {built / n_commits * 1000:.1f} ms a commit)\n")
    print("| what | ms |\n|---|---|")
    for k, v in graph_figures(client, reps).items():
        print(f"| {k} | {v if k.endswith('count') else _ms(v).strip()} |")
    print(f"| history first page in a fresh process (first call) | {_ms(fresh_process_first_page(client)).strip()} |")
    print_previews(side, reps)


def print_previews(side: int, reps: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench_views_"))
    try:
        print(f"\n## Previews of a {side:,} x {side:,} float32 array, 512 x 512 chunks (milliseconds, medians)\n")
        print("| what | ms |\n|---|---|")
        for k, v in preview_figures(work, side, reps).items():
            print(f"| {k} | {_ms(v).strip()} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
