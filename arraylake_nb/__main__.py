"""``python -m arraylake_nb``: the ``arraylake-nb`` command line (see :mod:`arraylake_nb.cli`)."""

from __future__ import annotations

import sys

import rich

from arraylake_nb.client import Client


def demo(client: Client) -> None:
    """Create (or extend) ``demo/quickstart``: write an array, commit, show status and log."""
    import numpy as np

    repo = client.get_or_create_repo("demo/quickstart")
    root = repo.root_group
    n = len(repo.commit_log)
    root.attrs["title"] = "arraylake_nb quickstart"
    arr = root.require_array("temperature", shape=(24, 10), chunks=(6, 10), dtype="f4", fill_value=float("nan"))
    arr[:] = np.linspace(10, 20, 240, dtype="f4").reshape(24, 10) + n
    arr.attrs["units"] = "degrees Celsius"
    rich.print(repo.status(limit=10))
    cid = repo.commit(f"quickstart run {n + 1}")
    rich.print(f"\nCommitted {cid} to {repo.name} in {repo.path}\n")
    rich.print(repo.commit_log)
    rich.print(repo.tree())


if __name__ == "__main__":
    from arraylake_nb.cli import main

    sys.exit(main())
