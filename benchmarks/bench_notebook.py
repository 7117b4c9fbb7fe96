"""Rendering costs of the notebook layer: a long commit log and a large session status.

Run:  python benchmarks/bench_notebook.py [--quick]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _common import timed  # noqa: E402

from arraylake_nb import Client  # noqa: E402
from arraylake_nb.engine.journal import SetValue  # noqa: E402
from arraylake_nb.engine.values import ChunkRef  # noqa: E402

warnings.filterwarnings("ignore")


def long_log(work: Path, n_commits: int) -> dict[str, float]:
    root = work / "log"
    repo = Client(root=root).create_repo("bench/log")
    for i in range(n_commits):
        repo.root_group.attrs["i"] = i
        repo.commit(f"commit {i}")
    fresh = Client(root=root).get_repo("bench/log")
    cold = timed(lambda: fresh.commit_log._repr_html_())
    warm_html = statistics.median(timed(lambda: repo.commit_log._repr_html_()) for _ in range(5))
    warm_text = statistics.median(timed(lambda: str(repo.commit_log)) for _ in range(5))
    assert len(repo.commit_log) == n_commits
    code = (
        "import sys, time; from arraylake_nb import Client; t = time.perf_counter(); "
        "r = Client(root=sys.argv[1]).get_repo('bench/log', read_only=True); t1 = time.perf_counter(); "
        "r.commit_log._repr_html_(); print(t1 - t, time.perf_counter() - t1)"
    )
    opened, rendered = map(float, subprocess.run([sys.executable, "-c", code, str(root)], capture_output=True,
                                                 text=True, check=True).stdout.split())
    return {
        "new process: open the repo and check out main": opened,
        "new process: then the first page as HTML": rendered,"first page as HTML, first render in a new Repo object": cold, "first page as HTML": warm_html, "first page as text": warm_text}


def big_status(work: Path, n_chunks: int) -> dict[str, float]:
    repo = Client(root=work / "status").create_repo("bench/status")
    repo.root_group.create_array("big", shape=(n_chunks,), chunks=(1,), dtype="u1", fill_value=0)[0] = 1
    state = repo.store.session
    ref = state.get("big/c/0")
    assert isinstance(ref, ChunkRef)
    for start in range(1, n_chunks, 50_000):
        state._write([SetValue(f"big/c/{i}", ref) for i in range(start, min(start + 50_000, n_chunks))])
    html = statistics.median(timed(lambda: repo.status()._repr_html_()) for _ in range(5))
    text = statistics.median(timed(lambda: str(repo.status())) for _ in range(5))
    assert repo.status().total == n_chunks + 2
    return {"status() as HTML": html, "status() as text": text}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    n_commits, n_chunks = (500, 5_000) if args.quick else (10_000, 100_000)
    work = Path(tempfile.mkdtemp(prefix="alnb-nb-"))
    try:
        print(f"## Commit log of {n_commits} commits: render the first page (ms)\n")
        print("| measure | ms |\n|---|---|")
        for k, v in long_log(work, n_commits).items():
            print(f"| {k} | {v * 1e3:.1f} |")
        print(f"\n## Status of a session with {n_chunks} modified chunks (ms, median of 5)\n")
        print("| measure | ms |\n|---|---|")
        for k, v in big_status(work, n_chunks).items():
            print(f"| {k} | {v * 1e3:.1f} |")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
