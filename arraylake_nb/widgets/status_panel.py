"""StatusPanel: the live session of one repository, with commit, abandon and fast-forward."""

from __future__ import annotations

import html
import warnings
from typing import Any

import traitlets

from arraylake_nb import display
from arraylake_nb.api.repo import Repo
from arraylake_nb.errors import NothingToCommitWarning
from arraylake_nb.widgets._base import Panel, bundle, error_document

STATUS_LIMIT = 200  # keys listed in the panel; the counts cover every change


class StatusPanel(Panel):
    """The current session of ``repo``: checkout, session and expiry, changes per node, and actions.

    It refreshes itself after every cell (a write, a commit from ``%arraylake``) and after its own
    actions. Requests from the front end: ``commit`` (``message``), ``abandon`` (discards the
    session's changes and starts a new session where it was), ``fast_forward``, ``refresh``,
    ``new_session`` (after the session was abandoned, expired or committed elsewhere).

    Traits: ``status`` is the ``session_status`` JSON document (docs/json-schema.md), ``problem``
    the error reading it (``{"type", "message"}``) or None, ``repo_name`` the repository.
    """

    _esm = bundle("status_panel")
    _changes_repo = frozenset({"commit", "abandon", "fast_forward", "new_session"})
    status = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    problem = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    repo_name = traitlets.Unicode("").tag(sync=True)

    def __init__(self, repo: Repo, **kwargs: Any) -> None:
        if not isinstance(repo, Repo):
            raise TypeError(f"StatusPanel takes an arraylake_nb Repo, got {type(repo).__name__}")
        self._repo = repo
        super().__init__(repo_name=repo.name, **kwargs)
        self.refresh()

    @property
    def repo(self) -> Repo:
        return self._repo

    def refresh(self) -> bool:
        before = (self.status, self.problem)
        try:
            status = display.to_json(self._repo.status(limit=STATUS_LIMIT))
        except Exception as error:  # noqa: BLE001 - shown in the panel with what to do
            self.problem = error_document(error)
        else:
            self.status = status
            self.problem = None
        return (self.status, self.problem) != before

    # -- actions -------------------------------------------------------------------------------
    def _actions(self) -> dict[str, Any]:
        return {
            **super()._actions(),
            "commit": self._commit,
            "abandon": self._abandon,
            "fast_forward": self._fast_forward,
            "new_session": self._new_session,
        }

    def _commit(self, msg: dict[str, Any]) -> dict[str, Any]:
        message = msg.get("message")
        if not isinstance(message, str) or not message.strip():
            raise ValueError("Type a commit message first.")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NothingToCommitWarning)
            commit_id = self._repo.commit(message.strip())
        return {"commit_id": commit_id}

    def _abandon(self, msg: dict[str, Any]) -> dict[str, Any]:
        session = self._repo.session
        info = session.info
        where = info.branch or info.base_commit or "main"
        session.abandon()
        # Start afresh where the session was, as %arraylake abandon does: the panel never leaves
        # the repo without a usable checkout.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._repo.checkout(where)
        return {"abandoned": info.id, "session": self._repo.session.id}

    def _new_session(self, msg: dict[str, Any]) -> dict[str, Any]:
        # After the session was abandoned, expired or committed elsewhere: check out where it was.
        info = self._repo.session.info
        where = info.branch or info.base_commit or "main"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._repo.checkout(where)
        return {"checkout": where, "session": self._repo.session.id}

    def _fast_forward(self, msg: dict[str, Any]) -> dict[str, Any]:
        self._repo.fast_forward()
        return {"base_commit": self._repo.session.base_commit}

    # -- reprs -----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"StatusPanel(repo={self._repo.name!r})"

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data, metadata = super()._repr_mimebundle_(**kwargs) or ({}, {})
        # Without a widget front end (nbviewer, GitHub, an untrusted notebook) the display layer's
        # HTML of the same status shows instead; text/plain stays the stable repr (nbval).
        try:
            fallback = display.html(self._repo.status(limit=STATUS_LIMIT))
        except Exception as error:  # noqa: BLE001
            fallback = f"<code>{html.escape(repr(self))}: {html.escape(str(error))}</code>"
        return {**data, "text/plain": repr(self), "text/html": fallback}, metadata
