"""Panels without a browser: a recording comm in place of the kernel's, and the front end's messages.

Every widget test gets the recording comm (``autouse``); ``front_end`` delivers a custom message as
the front end's ``model.send(content)`` would, ``request`` does so with a fresh id and returns the
panel's reply (content and binary buffers).
"""

from __future__ import annotations

import uuid

import pytest

pytest.importorskip("anywidget")

import ipywidgets.widgets.widget as ipw


class RecordingComm:
    """Stands in for the kernel comm: records what the widget sends, with its binary buffers."""

    def __init__(self, **kwargs):
        self.comm_id = kwargs.get("comm_id") or uuid.uuid4().hex
        self.opened_with = kwargs
        self.sent: list[tuple[dict, list]] = []
        self.kernel = object()  # ipywidgets sends only through a comm with a kernel

    def send(self, data=None, metadata=None, buffers=None):
        self.sent.append((data, list(buffers or [])))

    def on_msg(self, callback):
        self.callback = callback

    def on_close(self, callback):
        pass

    def close(self, data=None, metadata=None, buffers=None, deleting=False):
        pass

    def replies(self) -> list[tuple[dict, list]]:
        """The replies to requests, in order: ``(content, buffers)``."""
        return [(m["content"], b) for m, b in self.sent
                if m.get("method") == "custom" and m["content"].get("type") == "reply"]

    def updates(self) -> list[dict]:
        """The trait updates sent to the front end, in order."""
        return [m["state"] for m, _ in self.sent if m.get("method") == "update"]


@pytest.fixture(autouse=True)
def recording_comm(monkeypatch):
    monkeypatch.setattr(ipw.comm, "create_comm", lambda **kwargs: RecordingComm(**kwargs))


def front_end(panel, content: dict) -> None:
    """Deliver a custom message as the front end's ``model.send(content)`` would."""
    panel._handle_msg({"content": {"data": {"method": "custom", "content": content}}, "buffers": []})


def request(panel, kind: str, **payload) -> tuple[dict, list]:
    """Send request ``kind`` with a fresh id; the panel's reply to it as ``(content, buffers)``."""
    rid = uuid.uuid4().hex
    front_end(panel, {"type": kind, "id": rid, **payload})
    (reply,) = [r for r in panel.comm.replies() if r[0]["id"] == rid]
    return reply
