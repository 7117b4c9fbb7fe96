"""The ``arraylake-nb`` command (also ``python -m arraylake_nb``).

Read commands open repositories read-only; errors print one line (plus a
``hint:`` line naming the CLI command to run, where there is one) and exit 1;
usage errors exit 2, with a did-you-mean for a mistyped command.
``--output json`` prints machine-readable JSON instead of the Rich rendering:
the documents of :func:`arraylake_nb.display.to_json` (schema in
``docs/json-schema.md``) for models, plain JSON values for the ``repo`` commands.

Text output falls back to ASCII (``[group]``, ``[array]``, ``M``, ``D``...
instead of emoji and box drawing) when the terminal cannot show them (the
output encoding cannot encode them, or ``TERM=dumb``); ``--ascii`` forces it.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
import warnings
from typing import Any

from rich.console import Console

from arraylake_nb.api.client import Client
from arraylake_nb.api.repo import Repo
from arraylake_nb.display import to_json
from arraylake_nb.errors import ArraylakeNbError, RefNotFoundError, RepoNotFoundError

PROG = "arraylake-nb"


def _version() -> str:
    """``arraylake_nb.__version__``: the package is loaded (this is its submodule), but importing it by name
    would make the CLI import the package's other front end (tests/test_architecture.py)."""
    return str(getattr(sys.modules.get("arraylake_nb"), "__version__", "unknown"))


class _Parser(argparse.ArgumentParser):
    """argparse, with "unknown command 'lgo'; did you mean 'log'?" for a mistyped (sub)command."""

    def _check_value(self, action: argparse.Action, value: Any) -> None:
        if isinstance(action, argparse._SubParsersAction) and value not in action.choices:
            close = difflib.get_close_matches(value, list(action.choices), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f" (choose from {', '.join(action.choices)})"
            raise argparse.ArgumentError(None, f"unknown command {value!r}{hint}")
        super()._check_value(action, value)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog=PROG, description="Version control for Zarr data, on your machine.")
    p.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    p.add_argument("--root", help="repository root (default: $ARRAYLAKE_NB_ROOT or a per-user data dir)")
    p.add_argument("--output", choices=["text", "json"], default="text", help="output format")
    p.add_argument("--ascii", action="store_true",
                   help="plain ASCII text output, no emoji (automatic when the terminal cannot show them)")
    # --ascii is accepted after the command too (default SUPPRESS: it does not reset the global one).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--ascii", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)

    def cmd(subparsers: Any, name: str, help: str) -> argparse.ArgumentParser:
        return subparsers.add_parser(name, help=help, parents=[common])

    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)
    repo = cmd(sub, "repo", help="list, create or delete repositories")
    rsub = repo.add_subparsers(dest="action", metavar="ACTION", required=True)
    rlist = cmd(rsub, "list", help="list repositories")
    rlist.add_argument("--org")
    cmd(rsub, "create", help="create a repository").add_argument("name")
    rdel = cmd(rsub, "delete", help="delete a repository and all its data")
    rdel.add_argument("name")
    rdel.add_argument("--yes", action="store_true", help="confirm: delete for good")

    def with_ref(name: str, help: str) -> argparse.ArgumentParser:
        command = cmd(sub, name, help=help)
        command.add_argument("name", help="org/name")
        command.add_argument("--ref", default="main", help="branch, tag or commit (default: main)")
        return command

    tree = with_ref("tree", "groups and arrays")
    tree.add_argument("--prefix", default="")
    tree.add_argument("--depth", type=int, default=10)
    tree.add_argument("--filter", help="JMESPath expression over node attributes")
    with_ref("log", "commit log, newest first").add_argument("-n", type=int, default=20)
    status = cmd(sub, "status", help="active sessions, or what one session changed")
    status.add_argument("name")
    status.add_argument("--session", help="a session id (see the list without it)")
    diff = cmd(sub, "diff", help="changes between two refs")
    diff.add_argument("name")
    diff.add_argument("a")
    diff.add_argument("b", nargs="?", default="main")
    cmd(sub, "branches", help="branches").add_argument("name")
    cmd(sub, "tags", help="tags").add_argument("name")
    for kind in ("branch", "tag"):
        group = cmd(sub, kind, help=f"create or delete a {kind}")
        acts = group.add_subparsers(dest="action", metavar="ACTION", required=True)
        create = cmd(acts, "create", help=f"create a {kind}")
        create.add_argument("name", help="org/name")
        create.add_argument(kind + "_name", metavar="NAME")
        create.add_argument("--at", metavar="REF", default="main", help="branch, tag or commit (default: main)")
        if kind == "tag":
            create.add_argument("-m", "--message")
        delete = cmd(acts, "delete", help=f"delete a {kind} (its commits stay)")
        delete.add_argument("name", help="org/name")
        delete.add_argument(kind + "_name", metavar="NAME")
        delete.add_argument("--yes", action="store_true", help="confirm the deletion")
    cmd(sub, "demo", help="create or extend demo/quickstart and show it")
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
    if args.command in ("branch", "tag"):
        return _branch_or_tag(client, args)
    raise AssertionError(args.command)  # pragma: no cover - argparse rejects others


def _branch_or_tag(client: Client, args: argparse.Namespace) -> dict[str, str]:
    kind = args.command
    ref_name = getattr(args, kind + "_name")
    if args.action == "create":
        repo = _open(client, args.name, args.at)
        if kind == "branch":
            made = repo.new_branch(ref_name)
        else:
            made = repo.tag(ref_name, commit_id=args.at, message=args.message)
        return {"created": f"{kind} {made.name}", "at": made.commit_id or "(no commits yet)"}
    if not args.yes:
        raise ArraylakeNbError(f"Deleting {kind} {ref_name!r} cannot be undone; add --yes to confirm.")
    repo = client.get_repo(args.name, checkout=False)
    (repo.delete_branch if kind == "branch" else repo.delete_tag)(ref_name)
    return {"deleted": f"{kind} {ref_name}"}


def _hint(args: argparse.Namespace, error: Exception) -> str | None:
    """The CLI command that helps after ``error`` (the library's messages name Python calls)."""
    name = getattr(args, "name", None)
    if isinstance(error, RepoNotFoundError):
        create = f"; create it with: {PROG}{_root_option(args)} repo create {name}" if name and args.command != "repo" else ""
        return f"see: {PROG}{_root_option(args)} repo list{create}"
    if isinstance(error, RefNotFoundError) and name:
        r = _root_option(args)
        return f"see: {PROG}{r} branches {name}, {PROG}{r} tags {name}, {PROG}{r} log {name}"
    return None


def _root_option(args: argparse.Namespace) -> str:
    return f" --root {args.root}" if args.root else ""


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


# Emoji and box drawing of the Rich/text renderings, and their ASCII stand-ins (longest first).
_ASCII = [
    ("📁", "[group]"), ("🇦", "[array]"), ("📝", "M"), ("❌", "D"), ("🧊", "[repo]"), ("📌", "[base]"),
    ("📟", "[session]"), ("🌿", "[branch]"), ("✅", "[ok]"), ("⚠️", "[!]"), ("⚠", "[!]"), ("📓", "[notebook]"),
    ("➕", "+"), ("➖", "-"), ("🔀", "[moved]"), ("✏️", "~"), ("✏", "~"), ("🧩", "[chunks]"),
    ("└── ", "`-- "), ("├── ", "|-- "), ("│", "|"), ("─", "-"), ("→", "->"), ("…", "..."), ("\ufe0f", ""),
]
_PROBE = "".join(emoji for emoji, _ in _ASCII)


def _wants_ascii(args: argparse.Namespace, stream: Any) -> bool:
    if getattr(args, "ascii", False) or os.environ.get("TERM") == "dumb":
        return True
    try:
        _PROBE.encode(getattr(stream, "encoding", None) or "ascii")
    except (UnicodeEncodeError, LookupError):
        return True
    return False


def _to_ascii(text: str, stream: Any) -> str:
    for emoji, plain in _ASCII:
        text = text.replace(emoji, plain)
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        return text.encode(encoding, errors="replace").decode(encoding)
    except LookupError:
        return text.encode("ascii", errors="replace").decode("ascii")


_MORE = re.compile(r"\.\.\. (\d+) older commits; use repo\.commit_log\[(\d+):\] to see more")


def _cli_terms(text: str, args: argparse.Namespace) -> str:
    """Hints of the renderings phrased as CLI commands instead of Python calls."""
    if args.command == "log":
        ref = f" --ref {args.ref}" if args.ref != "main" else ""

        def more(m: re.Match[str]) -> str:
            older, shown = int(m.group(1)), int(m.group(2))
            n = min(older + shown, max(50, shown * 2))
            s = "" if older == 1 else "s"
            return f"... {older} more commit{s}: {PROG}{_root_option(args)} log {args.name}{ref} -n {n}"

        text = _MORE.sub(more, text)
    return text


def _render(result: Any, args: argparse.Namespace) -> str:
    """The text output: Rich on a terminal (with its colours), else the plain text rendering."""
    if args.command in ("branches", "tags") and len(result) == 0:
        return f"no {args.command}\n"
    if isinstance(result, list):  # repo list, and the ref lists (one "name -> commit" a line)
        return "".join(f"{item}\n" for item in result)
    if isinstance(result, dict):
        return "".join(f"{k}: {v}\n" for k, v in result.items())
    if result is None:
        return ""
    if sys.stdout.isatty():
        console = Console(soft_wrap=True)
        with console.capture() as captured:
            console.print(result)
        return captured.get()
    return f"{result}\n"


def _write(stream: Any, text: str, plain: bool) -> None:
    stream.write(_to_ascii(text, stream) if plain else text)
    stream.flush()


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    try:
        args = _parser().parse_args(argv)
    except SystemExit as e:  # --help, --version (0) and usage errors (2), already printed by argparse
        return e.code if isinstance(e.code, int) else 1
    try:
        result = _run(args)
    except (ArraylakeNbError, ValueError) as e:
        hint = _hint(args, e)
        text = f"{PROG}: error: {e}\n" + (f"hint: {hint}\n" if hint else "")
        _write(sys.stderr, text, _wants_ascii(args, sys.stderr))
        return 1
    if args.output == "json":
        print(json.dumps(_document(result), indent=2, allow_nan=False))
        return 0
    _write(sys.stdout, _cli_terms(_render(result, args), args), _wants_ascii(args, sys.stdout))
    return 0
