"""The ``arraylake-nb`` command (also ``python -m arraylake_nb``).

Read commands open repositories read-only; errors print one line and exit 1.
``--output json`` prints machine-readable JSON instead of the Rich rendering:
the documents of :func:`arraylake_nb.display.to_json` (schema in
``docs/json-schema.md``) for models, plain JSON values for the ``repo`` commands.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from typing import Any

from rich.console import Console

from arraylake_nb.api.client import Client
from arraylake_nb.api.repo import Repo
from arraylake_nb.display import to_json
from arraylake_nb.errors import ArraylakeNbError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="arraylake-nb", description="Version control for Zarr data, on your machine.")
    p.add_argument("--root", help="repository root (default: $ARRAYLAKE_NB_ROOT or a per-user data dir)")
    p.add_argument("--output", choices=["text", "json"], default="text", help="output format")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    repo = sub.add_parser("repo", help="list, create or delete repositories")
    rsub = repo.add_subparsers(dest="action", metavar="ACTION", required=True)
    rlist = rsub.add_parser("list", help="list repositories")
    rlist.add_argument("--org")
    rsub.add_parser("create", help="create a repository").add_argument("name")
    rdel = rsub.add_parser("delete", help="delete a repository and all its data")
    rdel.add_argument("name")
    rdel.add_argument("--yes", action="store_true", help="confirm: delete for good")

    def with_ref(name: str, help: str) -> argparse.ArgumentParser:
        cmd = sub.add_parser(name, help=help)
        cmd.add_argument("name", help="org/name")
        cmd.add_argument("--ref", default="main", help="branch, tag or commit (default: main)")
        return cmd

    tree = with_ref("tree", "groups and arrays")
    tree.add_argument("--prefix", default="")
    tree.add_argument("--depth", type=int, default=10)
    tree.add_argument("--filter", help="JMESPath expression over node attributes")
    with_ref("log", "commit log, newest first").add_argument("-n", type=int, default=20)
    status = sub.add_parser("status", help="active sessions, or what one session changed")
    status.add_argument("name")
    status.add_argument("--session", help="a session id (see the list without it)")
    diff = sub.add_parser("diff", help="changes between two refs")
    diff.add_argument("name")
    diff.add_argument("a")
    diff.add_argument("b", nargs="?", default="main")
    sub.add_parser("branches", help="branches").add_argument("name")
    sub.add_parser("tags", help="tags").add_argument("name")
    sub.add_parser("demo", help="create or extend demo/quickstart and show it")
    return p


def _document(result: Any) -> Any:
    """What ``--output json`` prints: a model's :func:`to_json` document, else the plain value."""
    if to_json.dispatch(type(result)) is to_json.dispatch(object):
        return result  # not a model: repo list/create/delete (lists and dicts of strings), demo (None)
    return to_json(result)  # a commit log: its first page of page_size (-n) commits


def _open(client: Client, name: str, ref: str = "main") -> Repo:
    repo = client.get_repo(name, checkout=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a tag or commit is a read-only checkout: that is the point
        repo.checkout(ref, for_writing=False)
    return repo


def _run(args: argparse.Namespace) -> Any:
    client = Client(root=args.root)
    if args.command == "repo":
        if args.action == "list":
            return client.list_repos(args.org)
        if args.action == "create":
            client.create_repo(args.name)
            return {"created": args.name}
        if not args.yes:
            raise ArraylakeNbError(f"Deleting {args.name} destroys all its data and history; add --yes to confirm.")
        client.delete_repo(args.name, imsure=True, imreallysure=True)
        return {"deleted": args.name}
    if args.command == "demo":
        return demo(client)
    if args.command == "tree":
        return _open(client, args.name, args.ref).tree(args.prefix, depth=args.depth, filter=args.filter)
    if args.command == "log":
        return _open(client, args.name, args.ref).log(page_size=max(args.n, 1))
    if args.command == "status":
        repo = client.get_repo(args.name, checkout=False)
        if args.session is None:
            return repo.list_active_sessions()
        repo.join_session(args.session)
        return repo.status()
    if args.command == "diff":
        return _open(client, args.name).diff(args.a, args.b)
    if args.command == "branches":
        return _open(client, args.name).branches
    if args.command == "tags":
        return _open(client, args.name).tags
    raise AssertionError(args.command)  # pragma: no cover - argparse rejects others


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
    Console(soft_wrap=True).print(repo.status(limit=10))
    cid = repo.commit(f"quickstart run {n + 1}")
    Console(soft_wrap=True).print(f"\nCommitted {cid} to {repo.name} in {repo.path}\n")
    Console(soft_wrap=True).print(repo.commit_log)
    Console(soft_wrap=True).print(repo.tree())


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    try:
        result = _run(args)
    except (ArraylakeNbError, ValueError) as e:
        print(f"arraylake-nb: error: {e}", file=sys.stderr)
        return 1
    if args.output == "json":
        print(json.dumps(_document(result), indent=2, allow_nan=False))
    elif isinstance(result, list):
        for item in result:
            print(item)
    elif isinstance(result, dict):
        for k, v in result.items():
            print(f"{k}: {v}")
    elif result is not None and sys.stdout.isatty():
        Console(soft_wrap=True).print(result)
    elif result is not None:
        print(result)
    return 0
