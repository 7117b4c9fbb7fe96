"""The commit graph of every branch and tag: a lane layout, laid out lazily and served in pages.

The layout is computed here, in Python, once per state of the refs, and only as
far as the pages asked for so far: rows come newest first in a topological
order (children before their parents), so the lanes of row *k* depend only on
the rows above it. A front end draws each row at a fixed height from the row
alone (its node, and the edges to the next row) and can virtualise the list.

Edges are ``[from_lane, to_lane, colour]`` segments from this row's height to the
next row's: a pass-through line keeps its lane, a line converging into the next
commit (the branch-off point of several children) bends into that commit's lane,
and a merge commit's extra parents leave its node towards their lanes. Lanes are
never shifted left; a lane freed by a line that ended is reused by the next new
line. Colours are indices that grow with each new line: take them modulo the
size of your palette.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from arraylake_nb.display import timestamp
from arraylake_nb.errors import InvalidSelectionError, SessionError
from arraylake_nb.models import Commit, CommitSequence

if TYPE_CHECKING:
    from arraylake_nb.api.repo import Repo

Edge = tuple[int, int, int]

#: Default and largest page size of :func:`history_page`.
DEFAULT_PAGE = 100
MAX_PAGE = 1000

#: Layouts kept per process (one per repository and state of its refs).
_MAX_CACHED = 8


class LaneLayout:
    """Lane layout of a commit graph, computed row by row on demand.

    Parameters
    ----------
    commits
        ``(commit id, parent ids)`` pairs, newest first, every commit before its
        parents (a topological order). Several parents make a merge commit;
        parents missing from the sequence draw a line that leaves the bottom.

    Examples
    --------
    >>> g = LaneLayout([("c", ["a"]), ("b", ["a"]), ("a", [])])
    >>> g.extend()
    >>> [g.lane(i) for i in range(3)], g.edges(0), g.edges(1)
    ([0, 1, 0], [(0, 0, 0)], [(0, 0, 0), (1, 0, 1)])
    """

    def __init__(self, commits: Iterable[tuple[str, Sequence[str]]]) -> None:
        self._commits = [(c, tuple(ps)) for c, ps in commits]
        self._lanes: list[int] = []
        self._colours: list[int] = []
        self._edges: list[list[Edge]] = []
        # The state below the last row laid out.
        self._active: list[str | None] = []  # lane -> the commit its line runs to
        self._lane_colour: list[int] = []
        self._expect: dict[str, list[int]] = {}  # commit -> lanes running to it
        self._links: list[tuple[int, int]] = []  # (lane at the last row, lane the line runs in)
        self._next_colour = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._commits)

    @property
    def laid_out(self) -> int:
        """How many rows have their lane, colour and edges computed."""
        return len(self._edges)

    def extend(self, rows: int | None = None) -> None:
        """Lay out at least the first ``rows`` rows (all by default); rows laid out before are kept.

        Parameters
        ----------
        rows
            Rows needed; the row after them is laid out too, since a row's edges
            depend on the next commit.
        """
        total = len(self._commits)
        want = total if rows is None else min(max(rows, 0), total)
        with self._lock:
            while len(self._edges) < want:
                n = len(self._lanes)
                if n < total:
                    self._place(n)
                else:  # below the last row: lines to parents outside the graph go straight down
                    self._edges.append([(src, i, self._lane_colour[i]) for src, i in self._links])

    def _new_colour(self) -> int:
        c = self._next_colour
        self._next_colour += 1
        return c

    def _free_lane(self, taken: int = -1) -> int:
        active = self._active
        for i, x in enumerate(active):
            if x is None and i != taken:
                return i
        active.append(None)
        self._lane_colour.append(0)
        return len(active) - 1

    def _place(self, row: int) -> None:
        commit, parents = self._commits[row]
        active, colours, expect = self._active, self._lane_colour, self._expect
        incoming = expect.pop(commit, None)
        if incoming:
            lane = min(incoming)
        else:
            lane = self._free_lane()
            colours[lane] = self._new_colour()
        if row:
            # The previous row's lines: those running to this commit bend into its lane.
            self._edges.append([
                (src, lane if active[i] == commit else i, colours[i]) for src, i in self._links
            ])
        ending = set(incoming or ())
        for i in ending:
            active[i] = None
        links = [(i, i) for i, x in enumerate(active) if x is not None]
        if parents:
            first = parents[0]
            active[lane] = first
            expect.setdefault(first, []).append(lane)
            links.append((lane, lane))
            for p in parents[1:]:
                lanes = expect.get(p)
                if lanes:
                    links.append((lane, min(lanes)))
                    continue
                k = self._free_lane(taken=lane)
                active[k] = p
                colours[k] = self._new_colour()
                expect[p] = [k]
                links.append((lane, k))
        self._lanes.append(lane)
        self._colours.append(colours[lane])
        while active and active[-1] is None:
            active.pop()
            colours.pop()
        self._links = links

    def lane(self, row: int) -> int:
        """The lane (column, from 0) of row ``row``'s commit."""
        self.extend(row + 1)
        return self._lanes[row]

    def colour(self, row: int) -> int:
        """The colour index of row ``row``'s commit (that of its lane's line)."""
        self.extend(row + 1)
        return self._colours[row]

    def edges(self, row: int) -> list[Edge]:
        """The segments from row ``row`` to the next: ``(from_lane, to_lane, colour)``."""
        self.extend(row + 1)
        return self._edges[row]

    def row(self, row: int) -> dict[str, Any]:
        """Row ``row`` as JSON: ``id``, ``lane``, ``colour``, ``edges`` and ``width`` (lanes spanned)."""
        self.extend(row + 1)
        edges = self._edges[row]
        lane = self._lanes[row]
        width = max([lane, *(max(a, b) for a, b, _ in edges)]) + 1
        return {
            "id": self._commits[row][0],
            "lane": lane,
            "colour": self._colours[row],
            "edges": [list(e) for e in edges],
            "width": width,
        }


def layout(commits: Iterable[tuple[str, Sequence[str]]]) -> list[dict[str, Any]]:
    """Lay out a whole commit graph at once (see :class:`LaneLayout`, which does it lazily).

    Parameters
    ----------
    commits
        ``(commit id, parent ids)`` pairs, newest first, every commit before its parents.

    Returns
    -------
    list of dict
        One row per commit, as :meth:`LaneLayout.row`.
    """
    g = LaneLayout(commits)
    g.extend()
    return [g.row(i) for i in range(len(g))]


@dataclass(slots=True)
class _Graph:
    """The commits of one state of the refs and their (lazily extended) layout."""

    commits: Sequence[Commit]
    layout: LaneLayout
    refs: dict[str, list[dict[str, Any]]]
    haystacks: list[str] | None = None
    searches: OrderedDict[str, list[int]] | None = None

    def matches(self, needle: str) -> list[int]:
        if self.haystacks is None:
            self.haystacks = [
                f"{c.message}\n{c.author_name or ''}\n{c.author_email or ''}".lower() for c in self.commits
            ]
            self.searches = OrderedDict()
        assert self.searches is not None
        hit = self.searches.get(needle)
        if hit is None:
            hit = [i for i, h in enumerate(self.haystacks) if needle in h]
            self.searches[needle] = hit
            while len(self.searches) > 16:
                self.searches.popitem(last=False)
        return hit


_graphs: OrderedDict[tuple[Any, ...], _Graph] = OrderedDict()
_graphs_lock = threading.Lock()


def _refs_by_commit(branches: Sequence[Any], tags: Sequence[Any]) -> dict[str, list[dict[str, Any]]]:
    refs: dict[str, list[dict[str, Any]]] = {}
    for b in sorted(branches, key=lambda r: r.name):
        if b.commit_id:
            refs.setdefault(b.commit_id, []).append({"kind": "branch", "name": b.name})
    for t in sorted(tags, key=lambda r: r.name):
        if t.commit_id:
            refs.setdefault(t.commit_id, []).append({"kind": "tag", "name": t.name})
    return refs


def _graph(repo: Repo) -> tuple[_Graph, str | None, str | None]:
    """The cached graph of ``repo``'s refs now, its checkout's commit and branch."""
    try:
        info = repo.session.info
        head, branch = info.base_commit, info.branch
    except SessionError:  # a repository opened without a checkout (the sidebar's server)
        head, branch = None, None
    branches, tags = repo.branches, repo.tags
    # Branch tips follow every commit, so the refs name the whole reachable history.
    key = (str(repo.path), head, tuple((b.name, b.commit_id) for b in branches),
           tuple((t.name, t.commit_id) for t in tags))
    with _graphs_lock:
        graph = _graphs.get(key)
        if graph is not None:
            _graphs.move_to_end(key)
            return graph, head, branch
    data = repo.commit_data(all_refs=True)
    commits = data.commits
    if isinstance(commits, CommitSequence):
        pairs = commits.graph  # ids and parents without building every Commit
    else:
        pairs = [(c.id, (c.parent_commit,) if c.parent_commit else ()) for c in commits]
    graph = _Graph(commits, LaneLayout(pairs), _refs_by_commit(data.branches, data.tags))
    with _graphs_lock:
        _graphs[key] = graph
        while len(_graphs) > _MAX_CACHED:
            _graphs.popitem(last=False)
    return graph, head, branch


def _labels(graph: _Graph, commit_id: str, head: str | None, branch: str | None) -> list[dict[str, Any]]:
    labels = [
        {**r, "current": r["kind"] == "branch" and r["name"] == branch} for r in graph.refs.get(commit_id, ())
    ]
    if commit_id == head and branch is None:
        labels.insert(0, {"kind": "head", "name": "HEAD", "current": True})
    labels.sort(key=lambda r: not r["current"])
    return labels


def _row(graph: _Graph, i: int, head: str | None, branch: str | None, edges: bool = True) -> dict[str, Any]:
    c = graph.commits[i]
    row = graph.layout.row(i)
    if not edges:
        row["edges"] = []
        row["width"] = row["lane"] + 1
    row.update(
        short_id=c.short_id,
        parents=[c.parent_commit] if c.parent_commit else [],
        refs=_labels(graph, c.id, head, branch),
        head=c.id == head,
        author_name=c.author_name,
        author_email=c.author_email,
        time=timestamp(c.commit_time),
        time_ts=c.commit_time.timestamp(),
        message=c.message.split("\n", 1)[0],
    )
    return row


def history_page(repo: Repo, offset: int = 0, limit: int = DEFAULT_PAGE, search: str | None = None) -> dict[str, Any]:
    """One page of the commit graph of every branch and tag, newest first.

    The graph of the current refs is cached per process and laid out only as
    far as pages have been asked for, so the first page of a long history is
    quick and page *k* costs what the rows up to it cost once.

    Parameters
    ----------
    repo
        The repository.
    offset
        Index (0 = newest) of the first row.
    limit
        At most this many rows (1 to :data:`MAX_PAGE`).
    search
        Only commits whose message, author name or email contain this text
        (case-insensitive). Such rows are not adjacent in the graph, so they
        keep their lane and colour but carry no edges.

    Returns
    -------
    dict
        ``{"type": "history_page", "total", "offset", "limit", "search", "head",
        "branch", "incoming", "width", "rows"}``; see ``docs/views.md``.

    Raises
    ------
    InvalidSelectionError
        If ``offset`` or ``limit`` is out of range (a ``ValueError``).
    """
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidSelectionError(f"offset must be a non-negative integer (0 is the newest commit), got {offset!r}.")
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidSelectionError(f"limit must be an integer from 1 to {MAX_PAGE}, got {limit!r}; ask for more pages.")
    graph, head, branch = _graph(repo)
    needle = search.strip().lower() if search else ""
    if needle:
        hits = graph.matches(needle)
        total = len(hits)
        shown = hits[offset:offset + limit]
        rows = [_row(graph, i, head, branch, edges=False) for i in shown]
        incoming: list[list[int]] = []
    else:
        total = len(graph.commits)
        rows = [_row(graph, i, head, branch) for i in range(offset, min(offset + limit, total))]
        incoming = [list(e) for e in graph.layout.edges(offset - 1)] if 0 < offset <= total else []
    width = max([r["width"] for r in rows] + [max(max(a, b) for a, b, _ in incoming) + 1 if incoming else 0])
    return {
        "type": "history_page",
        "total": total,
        "offset": offset,
        "limit": limit,
        "search": search or None,
        "head": head,
        "branch": branch,
        "incoming": incoming,
        "width": width,
        "rows": rows,
    }
