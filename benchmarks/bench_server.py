"""The sidebar's server extension next to a kernel that commits, and its memory with 100 repositories.

Run:  python benchmarks/bench_server.py [--quick]

1. Commit latency of a kernel-like process (another process: write one chunk, commit,
   sleep) while a real Jupyter server with ``arraylake_nb.server`` runs on the same root:
   - ``idle``: nobody asks the server anything (the reference);
   - ``settled``: the sidebar's way: a long poll ``GET .../watch?since=&timeout=5&settle=1.5``
     and, when it reports a settled change (or commits have kept landing for 30 s), a refetch
     of what the sidebar shows (repo summary, first history page, sessions);
   - ``watch``: ``GET .../watch?since=`` every second without settling, and the same refetch
     when the token moves;
   - ``naive``: a sidebar that refetches the summary and the first history page every
     second without watching (what the watch route exists to avoid).
   Phases alternate (the order rotates every round) so load drifts hit all
   alike; two cadences: commits 0.2 s apart (the kernel keeps the metastore open between
   them) and 1.2 s apart (a notebook's pace: it gives the file back between them anyway).
2. Server memory (RSS) with 100 repositories under the root: started, after ``GET repos``
   and ``GET watch``, after every repository's summary, and after that again.
3. The sidebar's first history page of a 10,000-commit repository over HTTP (the history
   bench_views.py builds and caches), against ``views.history_page`` in this process.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

from arraylake_nb import Client

WORKTREE = Path(__file__).resolve().parents[1]
TOKEN = "benchtoken"

KERNEL = r"""
import json, sys, time
import numpy as np
from arraylake_nb import Client
root, n, pause = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
repo = Client(root=root).get_repo("bench/ocean")
a = repo.root_group["temp"]
times = []
for i in range(n):
    a[i % 8, :] = np.float32(i)
    t = time.perf_counter()
    repo.commit(f"kernel {i}")
    times.append(time.perf_counter() - t)
    time.sleep(pause)
print(json.dumps(times))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real ``jupyter server`` with the extension enabled on ``root``."""

    def __init__(self, root: Path, work: Path) -> None:
        self.port = _free_port()
        cfg = work / "jupyter_server_config.json"
        cfg.write_text(json.dumps({
            "ServerApp": {"jpserver_extensions": {"arraylake_nb.server": True}, "open_browser": False, "allow_root": True,
                          "port": self.port, "root_dir": str(work)},
            "IdentityProvider": {"token": TOKEN},
            "ArraylakeNb": {"root": str(root)},
        }))
        env = {**os.environ, "PYTHONPATH": str(WORKTREE), "JUPYTER_CONFIG_DIR": str(work / "cfg"),
               "JUPYTER_RUNTIME_DIR": str(work / "rt")}
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyter", "server", f"--config={cfg}"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.get("version")
                return
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("the Jupyter server did not start") from None
                time.sleep(0.2)

    def get(self, route: str) -> dict:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/arraylake-nb/api/{route}",
                                     headers={"Authorization": f"token {TOKEN}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def rss_mib(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def _sidebar(server: Server, mode: str, stop: threading.Event, counts: dict[str, int]) -> None:
    repo = "repos/bench/ocean"
    token = None
    unsettled_since: float | None = None
    while not stop.is_set():
        if mode in ("watch", "settled"):
            # "settled": the sidebar's way: a long poll that answers once the token stood still for
            # 1.5 s; while commits keep landing, refresh anyway once 30 s stale.
            wait = "&timeout=5&settle=1.5" if mode == "settled" else ""
            doc = server.get(f"{repo}/watch?since={token or ''}{wait}")
            counts["polls"] += 1
            refresh = doc["changed"]
            if refresh and mode == "settled" and not doc["settled"]:
                unsettled_since = unsettled_since or time.monotonic()
                refresh = time.monotonic() - unsettled_since > 30
            if refresh:
                token, unsettled_since = doc["token"], None
                server.get(repo), server.get(f"{repo}/history?limit=100"), server.get(f"{repo}/sessions")
                counts["refreshes"] += 1
        else:
            server.get(repo), server.get(f"{repo}/history?limit=100")
            counts["polls"] += 1
            counts["refreshes"] += 1
        if mode != "settled":
            stop.wait(1.0)


def _phase(server: Server, root: Path, mode: str, n: int, pause: float) -> tuple[list[float], dict[str, int]]:
    stop = threading.Event()
    counts = {"polls": 0, "refreshes": 0}
    poller = threading.Thread(target=_sidebar, args=(server, mode, stop, counts)) if mode != "idle" else None
    if poller:
        poller.start()
    env = {**os.environ, "PYTHONPATH": str(WORKTREE)}
    out = subprocess.run([sys.executable, "-c", KERNEL, str(root), str(n), str(pause)], env=env,
                         capture_output=True, text=True, check=True)
    stop.set()
    if poller:
        poller.join()
    return json.loads(out.stdout), counts


def _make_history(root: Path, commits: int) -> None:
    repo = Client(root=root).create_repo("bench/ocean")
    a = repo.root_group.create_array("temp", shape=(8, 64), chunks=(1, 64), dtype="f4", fill_value=0)
    for i in range(commits):
        a[i % 8, :] = np.float32(i)
        repo.commit(f"setup {i}")
    repo.release()


def latency(work: Path, rounds: int, n: int) -> None:
    root = work / "root"
    _make_history(root, 300)
    server = Server(root, work)
    try:
        for pause, count in ((0.2, n), (1.2, max(n * 2 // 3, 8))):
            modes = ["idle", "settled", "watch", "naive"]
            samples: dict[str, list[float]] = {m: [] for m in modes}
            refreshes: dict[str, list[int]] = {m: [] for m in modes[1:]}
            for r in range(rounds):
                for mode in modes[r % 4:] + modes[:r % 4]:  # rotate, so no mode always runs first
                    times, counts = _phase(server, root, mode, count, pause)
                    samples[mode] += times[2:]  # the first commits pay the process's imports and first open
                    if mode != "idle":
                        refreshes[mode].append(counts["refreshes"])
            ref = statistics.median(samples["idle"])
            ref_mean = statistics.fmean(samples["idle"])
            print(f"\ncommits {pause} s apart, {rounds} rounds x {count - 2} commits per mode")
            print("| sidebar | median commit | vs idle | mean | vs idle | p95 | refreshes per phase |")
            print("|---|---|---|---|---|---|---|")
            for mode, times in samples.items():
                med, mean = statistics.median(times), statistics.fmean(times)
                p95 = sorted(times)[int(0.95 * (len(times) - 1))]
                ref_s = ", ".join(map(str, refreshes.get(mode, []))) or "-"
                print(f"| {mode} | {med * 1e3:.2f} ms | {med / ref:.2f}x | {mean * 1e3:.2f} ms | "
                      f"{mean / ref_mean:.2f}x | {p95 * 1e3:.2f} ms | {ref_s} |")
    finally:
        server.stop()


def memory(work: Path, repos: int) -> None:
    root = work / "root100"
    for i in range(repos):
        repo = Client(root=root).create_repo(f"org{i % 10}/repo{i}")
        repo.root_group.create_array("a", shape=(4,), chunks=(2,), dtype="i4", fill_value=0)[:] = i
        repo.commit("one")
        repo.release()
    server = Server(root, work)
    try:
        time.sleep(1)
        rows = [("started", server.rss_mib(), 0.0)]
        t = time.perf_counter()
        names = [r["name"] for r in server.get("repos")["repos"]]
        tokens = server.get("watch")["repos"]
        assert len(names) == len(tokens) == repos
        rows.append((f"GET repos + GET watch ({repos} tokens)", server.rss_mib(), time.perf_counter() - t))
        for label in ("every repo's summary", "every repo's summary again"):
            t = time.perf_counter()
            for n in names:
                server.get(f"repos/{n}")
            rows.append((label, server.rss_mib(), time.perf_counter() - t))
        t = time.perf_counter()
        server.get("watch")
        rows.append(("GET watch again", server.rss_mib(), time.perf_counter() - t))
        print(f"\nserver RSS with {repos} repositories under the root")
        print("| after | RSS | time |")
        print("|---|---|---|")
        for label, rss, secs in rows:
            print(f"| {label} | {rss:.0f} MiB | {secs * 1e3:.0f} ms |")
    finally:
        server.stop()


def history_over_http(work: Path, n_commits: int, reps: int) -> None:
    from bench_views import history_repo

    from arraylake_nb import views

    client, _ = history_repo(n_commits, rebuild=False)
    server = Server(client.root, work)
    try:
        route = "repos/bench/history/history"
        rows = []
        t = time.perf_counter()
        first = server.get(f"{route}?limit=100")
        rows.append(("first page, first request of the server process", time.perf_counter() - t, None))
        assert first["total"] == n_commits and len(first["rows"]) == 100

        def timed(path: str) -> float:
            t = time.perf_counter()
            server.get(path)
            return time.perf_counter() - t

        repo = client.get_repo("bench/history", checkout=False)
        for label, path, call in (
            ("first page, again", f"{route}?limit=100", lambda: views.history_page(repo, 0, 100)),
            ("page at offset 5,000", f"{route}?offset=5000&limit=100", lambda: views.history_page(repo, 5000, 100)),
            ("search 'feature-a commit 9'", f"{route}?search=feature-a%20commit%209&limit=100",
             lambda: views.history_page(repo, 0, 100, "feature-a commit 9")),
        ):
            call()  # warm this process's layout cache like the server's
            http = statistics.median(timed(path) for _ in range(reps))
            direct = []
            for _ in range(reps):
                t = time.perf_counter()
                call()
                repo.release()  # as the server does after every request
                direct.append(time.perf_counter() - t)
            rows.append((label, http, statistics.median(direct)))
        print(f"\nhistory of {n_commits:,} commits over HTTP (median of {reps}) vs views.history_page in-process")
        print("| request | HTTP | in-process (+ release) |")
        print("|---|---|---|")
        for label, http, direct in rows:
            print(f"| {label} | {http * 1e3:.1f} ms | {'-' if direct is None else f'{direct * 1e3:.1f} ms'} |")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, fewer commits")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-server-"))
    try:
        rounds, n = (1, 12) if args.quick else (3, 32)
        print(f"load average at start: {os.getloadavg()[0]:.1f}")
        latency(work, rounds, n)
        memory(work, 20 if args.quick else 100)
        history_over_http(work, 1000 if args.quick else 10_000, 3 if args.quick else 7)
        print(f"load average at end: {os.getloadavg()[0]:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
