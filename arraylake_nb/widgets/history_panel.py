"""HistoryPanel: the commit graph of every branch, paged, with details and checkout, tag, branch, compare."""

from __future__ import annotations

import datetime as dt
import html
import warnings
from typing import Any

import traitlets

from arraylake_nb import display, views
from arraylake_nb.api.repo import Repo
from arraylake_nb.errors import (
    NotOnBranchWarning,
    RefNotFoundError,
    SessionError,
    UncommittedChangesError,
    UncommittedChangesWarning,
)
from arraylake_nb.views.graph import DEFAULT_PAGE
from arraylake_nb.widgets._base import Panel, bundle, error_document, ref_entries
from arraylake_nb.widgets.diff_panel import diff_actions

#: Commits listed by the HTML fallback (no widget front end: nbviewer, GitHub).
FALLBACK_ROWS = 10


class HistoryPanel(Panel):
    """The commits of every branch and tag of ``repo`` as a graph, newest first, with actions.

    The front end pages through the history (a virtual list: only visible rows exist) and asks
    the kernel for what it shows. Requests (answered with the JSON of :mod:`arraylake_nb.views`):

    - ``page`` (``offset``, ``limit``, ``search``): :func:`~arraylake_nb.views.history_page`;
    - ``details`` (``commit``): :func:`~arraylake_nb.views.commit_details`;
    - ``checkout`` (``commit``, ``keep_changes``): ``repo.checkout(commit)``, the repo is then read-only
      at that commit; refused with :class:`~arraylake_nb.errors.UncommittedChangesError` while the
      session has uncommitted changes unless ``keep_changes`` (they stay in their session);
    - ``back`` (``branch``, ``keep_changes``): check out ``branch`` (default ``repo.last_branch``);
    - ``tag`` (``commit``, ``name``, ``message``) and ``branch`` (``commit``, ``name``): a new ref there;
    - ``compare`` (``a``, ``b``): sets the ``compare`` trait to the two full commit ids; with
      ``embed_diff`` (the default) the panel then shows the diff below the history, answering
      ``diff_summary`` and ``chunk_detail`` as :class:`DiffPanel` does (a :class:`RepoBrowser`
      turns ``embed_diff`` off and opens its diff tab instead).

    After a checkout, tag or branch every live panel refreshes. After each cell the panel reads
    the refs and the checkout again; when they changed, ``version`` goes up and the front end
    fetches the rows it shows again, keeping its scroll position and selection.

    Traits: ``repo_name``; ``checkout`` (``branch`` or None when detached, ``head``,
    ``last_branch``, ``for_writing``, ``session``, ``expiration``); ``refs``
    (``[{"kind": "branch"|"tag", "name", "commit_id"}]``); ``version``; ``compare``
    (``{"a", "b"}`` or None); ``problem`` (the error reading the repository, or None).

    Parameters
    ----------
    repo
        The repository; the panel acts on its checkout (the kernel's ``repo``).
    """

    _esm = bundle("history_panel")
    _changes_repo = frozenset({"checkout", "back", "tag", "branch"})
    _queries = frozenset({"page", "details"})

    repo_name = traitlets.Unicode("").tag(sync=True)
    checkout = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    refs = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)
    compare = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    problem = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    embed_diff = traitlets.Bool(True).tag(sync=True)

    def __init__(self, repo: Repo, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"HistoryPanel takes an arraylake_nb Repo, got {type(repo).__name__}")
        self._repo = repo
        self._key: tuple[Any, ...] | None = None
        super().__init__(repo_name=repo.name, **kwargs)
        self.refresh()

    @property
    def repo(self) -> Repo:
        """The repository shown."""
        return self._repo

    def refresh(self) -> bool:
        """Read the refs and the checkout again; True when they changed (``version`` then goes up)."""
        before = (self.checkout, self.refs, self.problem)
        try:
            refs = ref_entries(self._repo)
            try:
                info = self._repo.session.info
            except SessionError:  # no checkout yet
                checkout = None
            else:
                checkout = {
                    "branch": info.branch,
                    "head": info.base_commit,
                    "last_branch": self._repo.last_branch,
                    "for_writing": info.for_writing,
                    "session": info.id,
                    "expiration": display.timestamp(info.expiration),
                }
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.problem = error_document(error)
            return self.problem != before[2]
        key = (checkout and (checkout["branch"], checkout["head"]), tuple((r["kind"], r["name"], r["commit_id"]) for r in refs))
        with self.hold_sync():
            self.refs = refs
            self.checkout = checkout
            self.problem = None
            if key != self._key:
                self._key = key
                self.version += 1
        return (self.checkout, self.refs, self.problem) != before

    # -- actions -------------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        return {
            **super()._actions(),
            "page": self._page,
            "details": self._details,
            "checkout": self._checkout,
            "back": self._back,
            "tag": self._tag,
            "branch": self._branch,
            "compare": self._compare,
            **diff_actions(self._repo),
        }

    @staticmethod
    def _text(msg: dict[str, Any], name: str, what: str, *, optional: bool = False) -> str | None:
        value = msg.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{what} is missing: the request needs {name!r} (a non-empty string).")
        return value.strip()

    def _page(self, msg: dict[str, Any]) -> dict[str, Any]:
        search = msg.get("search")
        if search is not None and not isinstance(search, str):
            raise TypeError(f"search must be a string or null, got {type(search).__name__}")
        return views.history_page(self._repo, msg.get("offset", 0), msg.get("limit", DEFAULT_PAGE), search)

    def _details(self, msg: dict[str, Any]) -> dict[str, Any]:
        return views.commit_details(self._repo, self._text(msg, "commit", "The commit id"))

    def _guard_changes(self, msg: dict[str, Any], where: str) -> None:
        """Refuse to leave uncommitted changes behind unless the front end said to keep them."""
        if msg.get("keep_changes") is True:
            return
        try:
            status = self._repo.status(limit=1)
        except SessionError:  # no checkout, or a closed session: nothing to lose
            return
        if status.total and status.session_closed is None:
            sid = status.session.id
            raise UncommittedChangesError(
                f"The session has {status.total} uncommitted change{'s' if status.total != 1 else ''} on "
                f"{status.session.branch or 'a detached checkout'}. Commit them (StatusPanel, or "
                f"repo.commit('...')) or abandon them before checking out {where}; or check out anyway: "
                f"they stay in session {sid} (repo.join_session('{sid}') takes you back to them).",
                session_id=sid, count=status.total,
            )

    def _switch(self, ref: str) -> dict[str, Any]:
        left = self._repo.session.info.id if self._has_session() else None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            head = self._repo.checkout(ref)
        notices = [w.message.notice for w in caught if isinstance(w.message, NotOnBranchWarning)]
        kept = any(isinstance(w.message, UncommittedChangesWarning) for w in caught)
        info = self._repo.session.info
        return {"head": head, "branch": info.branch, "notice": notices[0] if notices else None,
                "kept_in_session": left if kept else None}

    def _has_session(self) -> bool:
        try:
            self._repo.session.info  # noqa: B018 - raises without a checkout
        except SessionError:
            return False
        return True

    def _checkout(self, msg: dict[str, Any]) -> dict[str, Any]:
        commit = self._repo.get_commit(self._text(msg, "commit", "The commit id"))
        self._guard_changes(msg, commit.short_id)
        return self._switch(commit.id)

    def _back(self, msg: dict[str, Any]) -> dict[str, Any]:
        branch = self._text(msg, "branch", "The branch", optional=True) or self._repo.last_branch
        if branch not in self._repo.branches.names:
            names = ", ".join(self._repo.branches.names) or "none"
            raise RefNotFoundError(f"Branch {branch!r} does not exist any more; check out one of: {names}.")
        self._guard_changes(msg, branch)
        return self._switch(branch)

    def _tag(self, msg: dict[str, Any]) -> dict[str, Any]:
        commit = self._repo.get_commit(self._text(msg, "commit", "The commit id"))
        message = self._text(msg, "message", "The tag message", optional=True)
        tag = self._repo.tag(self._text(msg, "name", "The tag name"), commit.id, message)
        return {"kind": "tag", "name": tag.name, "commit_id": tag.commit_id}

    def _branch(self, msg: dict[str, Any]) -> dict[str, Any]:
        commit = self._repo.get_commit(self._text(msg, "commit", "The commit id"))
        branch = self._repo.new_branch(self._text(msg, "name", "The branch name"), commit.id)
        return {"kind": "branch", "name": branch.name, "commit_id": branch.commit_id}

    def _compare(self, msg: dict[str, Any]) -> dict[str, Any]:
        a = self._repo.get_commit(self._text(msg, "a", "The first commit"))
        b = self._repo.get_commit(self._text(msg, "b", "The second commit"))
        self.compare = {"a": a.id, "b": b.id}
        return self.compare

    # -- reprs -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"HistoryPanel(repo={self._repo.name!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        try:
            fallback = _fallback_html(self._repo)
        except Exception as error:  # noqa: BLE001
            fallback = f"<code>{html.escape(repr(self))}: {html.escape(str(error))}</code>"
        return {**data, "text/plain": repr(self), "text/html": fallback}, metadata


def _fallback_html(repo: Repo) -> str:
    """The newest commits of every branch as a plain list: readable where styles are stripped."""
    page = views.history_page(repo, 0, FALLBACK_ROWS)
    items = []
    for row in page["rows"]:
        refs = ", ".join(("tag " if r["kind"] == "tag" else "") + r["name"] for r in row["refs"])
        when = display.human_time(dt.datetime.fromtimestamp(row["time_ts"], dt.UTC), with_zone=True)
        items.append(
            f"<li><code>{html.escape(row['short_id'])}</code>"
            + (f" <b>({html.escape(refs)})</b>" if refs else "")
            + f" {html.escape(row['message'])} <small>— {html.escape(row['author_name'] or 'unknown')}, "
            f"{html.escape(when)}</small></li>"
        )
    where = (f"on {page['branch']}" if page["branch"] else f"detached at {(page['head'] or 'no commit')[:8]}")
    more = page["total"] - len(page["rows"])
    tail = f"<p>… and {more:,} older commit{'s' if more != 1 else ''}.</p>" if more > 0 else ""
    return (f"<div><p><b>{html.escape(repo.name)}</b>: history of every branch ({html.escape(where)})</p>"
            f"<ul>{''.join(items) or '<li>No commits yet.</li>'}</ul>{tail}</div>")
