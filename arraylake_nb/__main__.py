"""``python -m arraylake_nb``: a first look at the embedded default root.

``python -m arraylake_nb demo`` creates (or reuses) ``demo/quickstart`` under
the default root, writes and commits a small array, and prints the status,
commit log and branches; without arguments it lists the repositories.
"""

from __future__ import annotations

import argparse
import sys

import rich

from arraylake_nb import Client
from arraylake_nb.errors import ArraylakeNbError


def _demo(client: Client) -> None:
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
    rich.print(f"\nCommitted [bold]{cid}[/bold] to {repo.name} in {repo.path}\n")
    rich.print(repo.commit_log)
    rich.print(repo.branches)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m arraylake_nb", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", nargs="?", choices=["repos", "demo"], default="repos")
    parser.add_argument("--root", help="repository root (default: $ARRAYLAKE_NB_ROOT or a per-user data dir)")
    args = parser.parse_args(argv)
    client = Client(root=args.root)
    try:
        if args.command == "demo":
            _demo(client)
        else:
            rich.print(f"Root: {client.root}")
            for name in client.list_repos():
                rich.print(f"  {name}")
    except ArraylakeNbError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
