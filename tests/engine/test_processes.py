"""Several real processes on one repository, and processes killed mid-work."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

from arraylake_nb import Client

WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from arraylake_nb import Client
    root, name, idx, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    repo = Client(root=root).get_repo(name)
    for i in range(n):
        repo.root_group.create_array(f"w{idx}_{i}", shape=(8,), chunks=(4,), dtype="i4")[:] = np.full(8, idx * 100 + i)
        repo.commit(f"writer {idx} commit {i}")
    """
)


def _spawn(code: str, *args: object) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_four_processes_commit_disjoint_arrays_and_none_is_lost(client: Client) -> None:
    repo = client.create_repo("org/multi")
    repo.root_group.attrs["shared"] = True
    repo.commit("root")
    procs = [_spawn(WRITER, client.root, "org/multi", i, 5) for i in range(4)]
    for p in procs:
        _, err = p.communicate(timeout=240)
        assert p.returncode == 0, err.decode()
    repo.checkout("main")
    log = list(repo.commit_log)
    assert len(log) == 21
    g = repo.root_group
    for i in range(4):
        for j in range(5):
            assert g[f"w{i}_{j}"][:].tolist() == [i * 100 + j] * 8


def test_session_survives_the_death_of_its_process(client: Client) -> None:
    client.create_repo("org/durable")
    code = textwrap.dedent(
        """
        import sys, os, signal
        from arraylake_nb import Client
        repo = Client(root=sys.argv[1]).get_repo("org/durable")
        repo.root_group.create_array("x", shape=(4,), chunks=(2,), dtype="i4")[:] = [1, 2, 3, 4]
        print(repo.session.id, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    p = _spawn(code, client.root)
    out, _ = p.communicate(timeout=60)
    assert p.returncode == -signal.SIGKILL
    sid = out.decode().strip()
    repo = client.get_repo("org/durable")
    assert sid in [s.id for s in repo.list_active_sessions()]
    repo.join_session(sid)
    assert repo.root_group["x"][:].tolist() == [1, 2, 3, 4]
    repo.commit("rescued")
    repo.checkout("main")
    assert repo.root_group["x"][:].tolist() == [1, 2, 3, 4]


KILLED_WRITER = textwrap.dedent(
    """
    import sys, numpy as np
    from arraylake_nb import Client
    repo = Client(root=sys.argv[1]).get_repo("org/crash")
    i = 0
    while True:
        a = repo.root_group["a"]
        a[:] = np.full(16, i)
        repo.root_group.attrs["i"] = i
        repo.commit(f"value {i}")
        i += 1
    """
)


def test_sigkill_at_random_moments_leaves_every_commit_readable(client: Client) -> None:
    repo = client.create_repo("org/crash")
    repo.root_group.create_array("a", shape=(16,), chunks=(4,), dtype="i8")[:] = -1
    repo.commit("start")
    rng = random.Random(1234)
    for _ in range(6):
        p = _spawn(KILLED_WRITER, client.root)
        time.sleep(0.8 + rng.random() * 0.8)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=30)
        fresh = Client(root=client.root).get_repo("org/crash")
        # Every committed version is complete and consistent: the array holds
        # the value the commit message names.
        for c in fresh.commit_log:
            if not c.message.startswith("value "):
                continue
            v = int(c.message.split()[1])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fresh.checkout(c.id)
            assert fresh.root_group["a"][:].tolist() == [v] * 16
            assert fresh.root_group.attrs["i"] == v
        assert fresh.fsck().ok
    assert len(Client(root=client.root).get_repo("org/crash").commit_log) > 1
