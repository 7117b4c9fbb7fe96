"""IPython magics: ``%arraylake`` and ``%%arraylake transaction``.

Load with ``%load_ext arraylake_nb``. Every subcommand returns the model it
shows (a status, a log, a tree...), so ``x = %arraylake status`` keeps it and
a magic on a cell's last line is displayed.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import warnings
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class

from arraylake_nb.api import hooks as api_hooks
from arraylake_nb.api.client import Client
from arraylake_nb.api.repo import Repo
from arraylake_nb.errors import ArraylakeNbError, NotOnBranchWarning
from arraylake_nb.notebook import provenance

_current_repo: Repo | None = None


def use_repo(repo: Repo | None) -> None:
    """Make ``repo`` the one ``%arraylake`` works on (None: forget the choice)."""
    global _current_repo
    if repo is not None and not isinstance(repo, Repo):
        raise TypeError(f"use_repo() takes an arraylake_nb Repo, got {type(repo).__name__}")
    _current_repo = repo


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{message}\n{self.format_usage()}")

    def exit(self, status: int = 0, message: str | None = None) -> None:  # type: ignore[override]
        # --help prints and lands here: stop without a SystemExit traceback.
        raise _HelpShown


class _HelpShown(Exception):
    """argparse printed the help text; the magic returns quietly."""


def _build_parser() -> _Parser:
    p = _Parser(prog="%arraylake", description="Version control for the Zarr data of this notebook.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")
    use = sub.add_parser("use", help="select the repository the other commands act on")
    use.add_argument("name", help="org/name")
    use.add_argument("--create", action="store_true", help="create it if it does not exist")
    use.add_argument("--root", help="repository root (default: $ARRAYLAKE_NB_ROOT or the per-user default)")
    sub.add_parser("status", help="what the current session changed")
    log = sub.add_parser("log", help="commit log, newest first")
    log.add_argument("-n", type=int, default=20, help="commits to show (default 20)")
    log.add_argument("--cells", action="store_true", help="show the notebook cell each commit came from")
    tree = sub.add_parser("tree", help="groups and arrays")
    tree.add_argument("prefix", nargs="?", default="")
    tree.add_argument("--depth", type=int, default=10)
    tree.add_argument("--filter", help="JMESPath expression over node attributes")
    commit = sub.add_parser("commit", help="commit the session")
    commit.add_argument("-m", "--message", required=True)
    checkout = sub.add_parser("checkout", help="check out a branch, tag or commit")
    checkout.add_argument("ref")
    branch = sub.add_parser("branch", help="list branches, create one, or delete one with -d")
    branch.add_argument("name", nargs="?")
    branch.add_argument("-d", "--delete", metavar="NAME")
    tag = sub.add_parser("tag", help="list tags, tag a commit, or delete a tag with -d")
    tag.add_argument("name", nargs="?")
    tag.add_argument("--at", metavar="REF", help="what to tag (default: the checkout)")
    tag.add_argument("-m", "--message")
    tag.add_argument("-d", "--delete", metavar="NAME")
    diff = sub.add_parser("diff", help="changes from A to B (default: A = branch tip, B = this session)")
    diff.add_argument("a", nargs="?")
    diff.add_argument("b", nargs="?")
    search = sub.add_parser("search", help="paths whose attributes match a JMESPath expression")
    search.add_argument("expression", nargs="+")
    sub.add_parser("sessions", help="active sessions")
    sub.add_parser("abandon", help="discard the session's uncommitted changes and start afresh")
    sub.add_parser("fast-forward", help="rebase the session onto its branch tip")
    panel = sub.add_parser(
        "panel", help="show a live panel (needs anywidget): status, history, tree, time-travel, diff, browser",
        description="status: the session, its changes, commit/abandon; history: the commit graph, "
        "check out, tag, branch, compare; tree: groups, arrays, previews; time-travel [PATH]: one array "
        "through its commits; diff [A [B]]: A to B (default: the branch tip to the session); "
        "browser [--split]: all of them")
    panel.add_argument("which", choices=["status", "history", "tree", "time-travel", "diff", "browser"])
    panel.add_argument("args", nargs="*", metavar="ARG", help="time-travel: an array path; diff: A and B")
    panel.add_argument("--split", action="store_true", help="browser: side by side instead of tabs")
    tx = sub.add_parser("transaction", help="(cell magic) commit the cell's changes, or roll them back if it fails")
    tx.add_argument("-m", "--message", required=True)
    return p


PARSER = _build_parser()


def _diff_base(repo: Repo, a: str | None) -> str:
    """What a diff starts from when the user names nothing: the checkout's branch, else its commit."""
    a = a or repo.session.branch or repo.session.base_commit
    if a is None:
        raise UsageError("Nothing to compare with yet: give a ref, e.g. %arraylake diff main")
    return a


@magics_class
class ArraylakeMagics(Magics):
    """The ``%arraylake`` line magic and ``%%arraylake transaction`` cell magic."""

    def _repo(self) -> Repo:
        if _current_repo is not None:
            return _current_repo
        repos = [(k, v) for k, v in self.shell.user_ns.items() if isinstance(v, Repo) and not k.startswith("_")]
        if len({id(v) for _, v in repos}) == 1:
            return repos[0][1]
        names = ", ".join(sorted(k for k, _ in repos))
        raise UsageError(
            "Which repository? "
            + (f"Several are open ({names}). " if repos else "None is open. ")
            + "Select one with %arraylake use org/name, or arraylake_nb.use_repo(repo)."
        )

    @line_cell_magic
    def arraylake(self, line: str, cell: str | None = None) -> Any:
        """Run an ``%arraylake`` command (replaced at import by the command-line help).

        Raises
        ------
        UsageError
            If the command line is invalid, or the command fails with an arraylake_nb error.
        """
        try:
            args = PARSER.parse_args(shlex.split(line))
            if args.command == "search":
                # JMESPath quotes ('NaN', "eo:val") must reach the parser untouched.
                args.raw_expression = line.strip().split(None, 1)[1]
        except _HelpShown:
            return None
        except ValueError as e:  # unbalanced quotes
            raise UsageError(f"{e}\n{PARSER.format_usage()}") from None
        if args.command is None:
            raise UsageError(f"Give a command.\n{PARSER.format_usage()}")
        if (cell is None) == (args.command == "transaction"):
            raise UsageError(
                "transaction is a cell magic: start the cell with %%arraylake transaction -m MESSAGE"
                if cell is None else f"%%arraylake takes only 'transaction'; for {args.command!r} use the line magic"
            )
        try:
            return getattr(self, "_" + args.command.replace("-", "_"))(args, cell)
        except ArraylakeNbError as e:
            raise UsageError(str(e)) from None

    def _use(self, args: argparse.Namespace, cell: None) -> Repo:
        client = Client(root=args.root)
        repo = client.get_or_create_repo(args.name) if args.create else client.get_repo(args.name)
        use_repo(repo)
        return repo

    def _status(self, args: argparse.Namespace, cell: None) -> Any:
        return self._repo().status()

    def _log(self, args: argparse.Namespace, cell: None) -> Any:
        return self._repo().log(page_size=max(args.n, 1), show_provenance=args.cells)

    def _tree(self, args: argparse.Namespace, cell: None) -> Any:
        return self._repo().tree(args.prefix, depth=args.depth, filter=args.filter)

    def _commit(self, args: argparse.Namespace, cell: None) -> str | None:
        return self._repo().commit(args.message)

    def _checkout(self, args: argparse.Namespace, cell: None) -> str | None:
        return self._repo().checkout(args.ref)

    def _branch(self, args: argparse.Namespace, cell: None) -> Any:
        repo = self._repo()
        if args.delete:
            repo.delete_branch(args.delete)
        elif args.name:
            return repo.new_branch(args.name)
        return repo.branches

    def _tag(self, args: argparse.Namespace, cell: None) -> Any:
        repo = self._repo()
        if args.delete:
            repo.delete_tag(args.delete)
        elif args.name:
            return repo.tag(args.name, commit_id=args.at, message=args.message)
        return repo.tags

    def _diff(self, args: argparse.Namespace, cell: None) -> Any:
        repo = self._repo()
        return repo.diff(_diff_base(repo, args.a), args.b)

    def _search(self, args: argparse.Namespace, cell: None) -> list[str]:
        return self._repo().filter_metadata(args.raw_expression)

    def _sessions(self, args: argparse.Namespace, cell: None) -> Any:
        return self._repo().list_active_sessions()

    def _abandon(self, args: argparse.Namespace, cell: None) -> Any:
        repo = self._repo()
        session = repo.session
        session.abandon()
        repo.checkout(session.branch or session.base_commit or "main")
        return repo.status()

    def _fast_forward(self, args: argparse.Namespace, cell: None) -> str | None:
        return self._repo().fast_forward()

    def _panel(self, args: argparse.Namespace, cell: None) -> Any:
        repo = self._repo()
        try:
            from arraylake_nb import widgets
        except ImportError as e:  # anywidget or ipywidgets missing
            raise UsageError(f"The panels need anywidget and ipywidgets: pip install 'arraylake_nb[notebooks]' ({e})")
        most = {"status": 0, "history": 0, "tree": 0, "browser": 0, "time-travel": 1, "diff": 2}[args.which]
        if len(args.args) > most:
            raise UsageError(f"%arraylake panel {args.which} takes at most {most} argument(s), got {len(args.args)}: "
                             f"{' '.join(args.args)}")
        if args.split and args.which != "browser":
            raise UsageError("--split applies to %arraylake panel browser only")
        if args.which == "history":
            return widgets.HistoryPanel(repo)
        if args.which == "tree":
            return widgets.TreePanel(repo)
        if args.which == "time-travel":
            return widgets.TimeTravel(repo, *args.args)
        if args.which == "diff":
            return widgets.DiffPanel(repo, *args.args)
        if args.which == "browser":
            return widgets.RepoBrowser(repo, view="split" if args.split else "tabs")
        return widgets.StatusPanel(repo)

    def _transaction(self, args: argparse.Namespace, cell: str) -> str | None:
        """Run the cell; commit on success, roll back exactly its changes on failure.

        On failure, say on stderr what was rolled back, then let the cell's own
        exception propagate with its traceback starting at the cell's code (the
        frames of this magic and of ``repo.transaction`` are not the user's concern).
        """
        repo = self._repo()
        info = repo.session.info
        if not info.for_writing or info.branch is None:
            raise UsageError("This checkout is read-only; check out a branch before a transaction.")
        shell = self.shell
        # The magic's line stands first (as a comment): the cell's line numbers are the notebook's.
        source = "# %%arraylake transaction\n" + shell.transform_cell(cell)
        # Compile as IPython compiles cells: a named, cached file, so tracebacks show the cell's lines.
        filename = shell.compile.cache(source, shell.execution_count, raw_code=cell)
        code = shell.compile(source, filename, "exec")
        tx = None
        try:
            with repo.transaction(args.message, metadata={"cell": cell}) as tx:
                exec(code, shell.user_global_ns, shell.user_ns)  # noqa: S102 - the user's cell, as shell.ex does
        except BaseException as e:
            if tx is None:  # the transaction did not start: not the cell's exception
                raise
            n = tx.rolled_back_changes
            print(f"Rolled back {n} change{'' if n == 1 else 's'} made by this cell; "
                  "the session is as it was before it.", file=sys.stderr)
            raise _from_cell(e, filename, shell)
        if tx.commit_id is not None:
            note = " (including changes made before this cell)" if tx.included_earlier_changes else ""
            print(f"Committed {tx.commit_id}{note}: {args.message}")
        return tx.commit_id


def _from_cell(error: BaseException, filename: str, shell: Any) -> BaseException:
    """``error`` with its traceback trimmed to start at the cell's first frame.

    Re-raising adds this module's frames back on top of the trimmed traceback, so
    IPython is also told how to show it: ``_render_traceback_`` is IPython's hook
    for an exception that renders its own traceback (``InteractiveShell.showtraceback``).
    """
    tb = error.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename != filename:
        tb = tb.tb_next
    if tb is None:  # raised before the cell's code ran (e.g. by the transaction itself): leave it whole
        return error
    error.__traceback__ = tb

    def render() -> list[str]:
        del error._render_traceback_  # once: a later re-raise by the user is shown as usual
        return shell.InteractiveTB.structured_traceback(type(error), error, tb, tb_offset=0)

    try:
        error._render_traceback_ = render  # type: ignore[attr-defined]
    except (AttributeError, TypeError):  # an exception class with __slots__: the trimmed traceback must do
        pass
    return error


class _NoticeHook:
    """A ``warnings.showwarning`` that shows :class:`NotOnBranchWarning` as a one-line notice.

    The warning's usual block names the cell's temporary file (``/tmp/ipykernel_.../...py:3``),
    which tells a notebook user nothing; the notice says where the repo is and how to
    write again. Every other warning goes to the ``showwarning`` this one replaced.
    """

    def __init__(self, previous: Any) -> None:
        self.previous = previous
        self.active = True

    def __call__(self, message: Any, category: type[Warning], filename: str, lineno: int,
                 file: Any = None, line: str | None = None) -> None:
        if self.active and isinstance(message, NotOnBranchWarning):
            try:
                print(message.notice, file=sys.stderr if file is None else file)
            except (OSError, AttributeError):  # no usable stderr (pythonw): say nothing, as warnings does
                pass
            return
        self.previous(message, category, filename, lineno, file, line)


def _install_notice_hook(ipython: Any) -> None:
    old = getattr(ipython, "_arraylake_nb_notice", None)
    if old is not None:
        if warnings.showwarning is old:
            return
        old.active = False  # replaced since (a catch_warnings block ended): install afresh
    hook = _NoticeHook(warnings.showwarning)
    warnings.showwarning = hook
    ipython._arraylake_nb_notice = hook


def _remove_notice_hook(ipython: Any) -> None:
    hook = getattr(ipython, "_arraylake_nb_notice", None)
    if hook is None:
        return
    ipython._arraylake_nb_notice = None
    if warnings.showwarning is hook:
        warnings.showwarning = hook.previous
    else:  # someone wrapped it since: stay in their chain, passing everything through
        hook.active = False


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and remember each running cell for commit provenance."""
    ipython.register_magics(ArraylakeMagics)

    def pre_run_cell(info: Any) -> None:
        provenance.cell_started(info.raw_cell, provenance.notebook_path(ipython.user_ns))

    def post_run_cell(result: Any) -> None:
        provenance.cell_finished()

    ipython.events.register("pre_run_cell", pre_run_cell)
    ipython.events.register("post_run_cell", post_run_cell)
    api_hooks.add_commit_metadata_provider(provenance.current)
    ipython._arraylake_nb_hooks = (pre_run_cell, post_run_cell)
    _install_notice_hook(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop remembering cells and recording provenance (the magics stay registered).

    Parameters
    ----------
    ipython
        The running IPython shell.
    """
    hooks = getattr(ipython, "_arraylake_nb_hooks", None)
    if hooks:
        ipython.events.unregister("pre_run_cell", hooks[0])
        ipython.events.unregister("post_run_cell", hooks[1])
    api_hooks.remove_commit_metadata_provider(provenance.current)
    _remove_notice_hook(ipython)


ArraylakeMagics.arraylake.__doc__ = PARSER.format_help()
