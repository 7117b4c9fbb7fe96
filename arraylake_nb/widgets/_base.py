"""What every panel shares: the built ES module, request/response with cancellation, live refresh.

Requests from the front end are custom messages ``{"type": ACTION, "id": ID, ...}``; each gets one
reply ``{"type": "reply", "id": ID, "ok": bool, "result": ... | "error": {"type", "message", ...}}``.
``{"type": "cancel", "id": ID}`` drops a request that has not started (reply ``cancelled``); one that
has started finishes, so the repository is never left half-changed. In a kernel, requests run on the
kernel's event loop after the message that brought them (so a cancel sent right after can catch
them); without a running loop (plain Python, tests) they run at once.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import anywidget
import traitlets

from arraylake_nb.errors import ArraylakeNbError

STATIC = Path(__file__).parent / "static"

_MISSING_BUNDLE = """
export default { render({ el }) {
  const p = document.createElement("pre");
  p.textContent = "arraylake_nb: the panel's front end is not built (%s is missing). " +
    "Run `npm ci && npm run build` in js/, or reinstall with `pip install .`.";
  el.appendChild(p);
} };
"""


def bundle(name: str) -> Path | str:
    """The built ES module ``static/<name>.js``, or a module that says how to build it."""
    path = STATIC / f"{name}.js"
    return path if path.exists() else _MISSING_BUNDLE % f"arraylake_nb/widgets/static/{name}.js"


def error_document(error: BaseException) -> dict[str, Any]:
    """An exception as the front end shows it: class name, message, and conflict paths when known."""
    doc: dict[str, Any] = {"type": type(error).__name__, "message": str(error)}
    paths = getattr(error, "paths", None)
    if paths:
        doc["paths"] = [str(p) for p in paths]
    if not isinstance(error, ArraylakeNbError | TypeError | ValueError):
        doc["message"] = f"{error} (unexpected: the panel's kernel side failed; see the kernel log)"
    return doc


class Panel(anywidget.AnyWidget):
    """Base of the panels: request dispatch, cancellation and refresh after each cell."""

    #: Requests that change the repository (a checkout, a commit, a new ref): after one of them
    #: every live panel refreshes, not only this one, so a StatusPanel shown elsewhere follows.
    _changes_repo: ClassVar[frozenset[str]] = frozenset()
    #: Requests that only read (a page, a detail): no refresh after them, so scrolling stays cheap.
    _queries: ClassVar[frozenset[str]] = frozenset()

    _live: ClassVar[weakref.WeakSet[Panel]] = weakref.WeakSet()
    _hooked_shells: ClassVar[weakref.WeakSet[Any]] = weakref.WeakSet()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._queued: dict[str, dict[str, Any]] = {}
        self.on_msg(self._on_front_end_message)
        Panel._live.add(self)
        _hook_shell()

    # -- actions: subclasses map a request type to a method returning a JSON-able result -------
    def _actions(self) -> dict[str, Callable[[dict[str, Any]], Any]]:
        return {"refresh": lambda msg: self.refresh()}

    def refresh(self) -> bool:
        """Read the state again; True when it changed (and was sent to the front end)."""
        return False

    def _on_front_end_message(self, widget: Any, content: Any, buffers: Any) -> None:
        if not isinstance(content, dict) or not isinstance(content.get("id"), str):
            return
        rid = content["id"]
        if content.get("type") == "cancel":
            if self._queued.pop(rid, None) is not None:
                self._reply(rid, ok=False, cancelled=True,
                            error={"type": "Cancelled", "message": "Cancelled before it started."})
            return
        self._queued[rid] = content
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._run(rid)
        else:
            loop.call_soon(self._run, rid)

    def _run(self, rid: str) -> None:
        content = self._queued.pop(rid, None)
        if content is None:  # cancelled meanwhile
            return
        action = self._actions().get(str(content.get("type")))
        if action is None:
            self._reply(rid, ok=False, error={"type": "UnknownRequest", "message": f"No such request: {content.get('type')!r}"})
            return
        try:
            result = action(content)
        except Exception as error:  # noqa: BLE001 - every failure goes back to the panel
            self._reply(rid, ok=False, error=error_document(error))
        else:
            self._reply(rid, ok=True, result=result)
        finally:
            if content.get("type") in self._changes_repo:
                refresh_live_panels()
            elif content.get("type") not in self._queries:
                try:
                    self.refresh()
                except Exception:  # the reply went out; keep the panel alive
                    self.log.warning("arraylake_nb: refreshing %r failed", self, exc_info=True)

    def _reply(self, rid: str, **fields: Any) -> None:
        result = fields.get("result")
        if isinstance(result, WithBuffers):
            self.send({"type": "reply", "id": rid, **fields, "result": result.content}, buffers=result.buffers)
        else:
            self.send({"type": "reply", "id": rid, **fields})

    def close(self) -> None:
        Panel._live.discard(self)
        super().close()


def refresh_live_panels(*_: Any) -> None:
    """Refresh every displayed panel (IPython ``post_run_cell``); each sends only what changed."""
    for panel in list(Panel._live):
        if getattr(panel, "comm", None) is None:
            Panel._live.discard(panel)
            continue
        try:
            panel.refresh()
        except Exception:  # a panel must never break a cell
            panel.log.warning("arraylake_nb: refreshing %r failed", panel, exc_info=True)


def _hook_shell() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or shell in Panel._hooked_shells:
        return
    shell.events.register("post_run_cell", refresh_live_panels)
    Panel._hooked_shells.add(shell)


def ref_entries(repo: Any) -> list[dict[str, Any]]:
    """The branches, then the tags, of ``repo`` for a ref picker: ``[{"kind", "name", "commit_id"}]``."""
    refs = [{"kind": "branch", "name": b.name, "commit_id": b.commit_id} for b in repo.branches]
    return refs + [{"kind": "tag", "name": t.name, "commit_id": t.commit_id} for t in repo.tags]


class RefsPanel(Panel):
    """A panel with a ref picker: traits ``repo_name``, ``refs`` (see :func:`ref_entries`) and
    ``problem`` (the error reading the refs, or None), kept current by :meth:`refresh`."""

    repo_name = traitlets.Unicode("").tag(sync=True)
    refs = traitlets.List(traitlets.Dict(), default_value=[]).tag(sync=True)
    problem = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)

    def __init__(self, repo: Any, **kwargs: Any) -> None:
        self._repo = repo
        super().__init__(repo_name=repo.name, **kwargs)

    @property
    def repo(self) -> Any:
        """The repository shown."""
        return self._repo

    def refresh(self) -> bool:
        before = (self.refs, self.problem)
        try:
            refs = ref_entries(self._repo)
        except Exception as error:  # noqa: BLE001 - shown in the panel
            self.problem = error_document(error)
        else:
            self.refs = refs
            self.problem = None
        return (self.refs, self.problem) != before


class WithBuffers:
    """A reply result whose binary parts travel as message buffers (see :meth:`Panel._reply`)."""

    __slots__ = ("buffers", "content")

    def __init__(self, content: dict[str, Any], buffers: list[bytes]) -> None:
        self.content = content
        self.buffers = buffers


# The trait types the panels use, re-exported for their modules.
Dict = traitlets.Dict
Unicode = traitlets.Unicode
