"""A large status is summarised per node in text, Rich, HTML and JSON (issue 6)."""

from __future__ import annotations

from html.parser import HTMLParser

from arraylake_nb import display
from arraylake_nb.models import NodeChange, SessionStatus


class _Items(HTMLParser):
    """Text of each <li> and <tr>, the <style> element skipped."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[str] = []
        self._open: list[list[str]] = []
        self._style = False

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "style":
            self._style = True
        elif tag in ("li", "tr", "summary"):
            self._open.append([])

    def handle_endtag(self, tag) -> None:
        if tag == "style":
            self._style = False
        elif tag in ("li", "tr", "summary") and self._open:
            self.items.append("".join(self._open.pop()))

    def handle_data(self, data) -> None:
        if not self._style:
            for parts in self._open:
                parts.append(data)


def _status(repo) -> SessionStatus:
    g = repo.root_group
    g.create_group("old")
    repo.commit("base")
    repo.checkout("main")
    g = repo.root_group
    big = g.create_array("big", shape=(5000,), chunks=(1,), dtype="i1")
    big[:] = 1
    del g["old"]
    x = g.create_array("x", shape=(12,), chunks=(1,), dtype="i1")
    x[:] = 2
    return repo.status()


def test_large_status_is_summarised_per_node(repo) -> None:
    status = _status(repo)
    assert status.total == 5000 + 1 + 1 + 12 + 1 and len(status.modified_paths) == 1000
    nodes = {n.path: n for n in status.summary()}
    assert nodes["big"] == NodeChange("big", "array", created=True, chunks_written=5000)
    assert nodes["old"] == NodeChange("old", "group", deleted=True)
    assert nodes["x"] == NodeChange("x", "array", created=True, chunks_written=12)

    text = str(status)
    lines = text.splitlines()
    assert len(lines) < 30
    assert "🇦 array big: created, 5,000 chunks written" in lines
    assert "📁 group old: deleted" in lines
    assert "🇦 array x: created, 12 chunks written" in lines
    assert any(line.strip().startswith("... and") and "more" in line for line in lines)

    parser = _Items()
    parser.feed(display.html(status))
    assert any("big" in item and "5,000 chunks written" in item for item in parser.items)
    assert any("old" in item and "deleted" in item for item in parser.items)
    assert "<details>" in display.html(status)

    doc = status.to_json()
    by_path = {n["path"]: n for n in doc["nodes"]}
    assert by_path["big"]["chunks_written"] == 5000 and by_path["big"]["created"]
    assert by_path["old"]["deleted"] and by_path["old"]["kind"] == "group"
    assert doc["modified_paths"][0]["path"] == "big/c/0" and doc["total"] == status.total


def test_limit_keeps_the_full_listing_and_the_summary_counts_everything(repo) -> None:
    status = _status(repo)
    full = repo.status(limit=0)
    assert len(full.modified_paths) == full.total == status.total
    assert full.summary() == status.summary()


def test_summary_without_engine_info_is_guessed_from_keys() -> None:
    from arraylake_nb.models import summarise_changes

    nodes = summarise_changes([("a/c/0", False), ("a/zarr.json", False), ("g/.zgroup", True), ("loose.txt", False)])
    assert [(n.path, n.kind) for n in nodes] == [("", "other"), ("a", "array"), ("g", "group")]
    assert nodes[1].metadata_changed and nodes[1].chunks_written == 1 and nodes[2].deleted
