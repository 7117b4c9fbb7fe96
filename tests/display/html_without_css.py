"""What a browser shows of an HTML fragment once every stylesheet is gone.

GitHub, nbviewer and untrusted notebooks drop ``<style>`` (and ``class`` and
``style`` attributes mean nothing without it), so an HTML repr must read well
from its structure alone. :func:`visible_text` renders a fragment the way a
browser would with no CSS at all: block elements and ``<br>`` break lines,
table cells are separated by `` | ``, list items are lines, ``<details>``
shows its summary on a line (and, here, its content too: a reader can open
it), whitespace collapses except inside ``<pre>``, and ``<style>`` and
``<script>`` show nothing. :func:`assert_separated` checks that fields of a
rendering are not glued to their neighbours (``mainAda``, ``>2026``).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

BLOCK = frozenset({
    "address", "article", "aside", "blockquote", "details", "dd", "div", "dl", "dt", "fieldset", "figcaption",
    "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol",
    "p", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "tr", "ul",
})
HIDDEN = frozenset({"style", "script", "template"})
CELLS = frozenset({"td", "th"})
CELL_SEPARATOR = " | "

_NEWLINE = "\x00"  # a hard line break, kept apart from collapsible whitespace until the end


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._hidden = 0
        self._pre = 0
        self._row_cells = [0]

    def _break(self) -> None:
        self.out.append(_NEWLINE)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self._break()
        elif tag in CELLS:
            if self._row_cells[-1]:
                self.out.append(CELL_SEPARATOR)
            self._row_cells[-1] += 1
        elif tag in BLOCK:
            self._break()
            if tag == "tr":
                self._row_cells.append(0)
            if tag == "pre":
                self._pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag in BLOCK:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCK:
            if tag == "tr" and len(self._row_cells) > 1:
                self._row_cells.pop()
            if tag == "pre":
                self._pre = max(0, self._pre - 1)
            self._break()

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            self.out.append(data.replace("\n", _NEWLINE))
        else:
            self.out.append(re.sub(r"\s+", " ", data))


def visible_text(fragment: str) -> str:
    """The text a browser shows of ``fragment`` without any CSS, one rendered line per line.

    Parameters
    ----------
    fragment : str
        HTML, e.g. a ``_repr_html_()``.

    Returns
    -------
    str
        Lines with collapsed whitespace, stripped, empty ones dropped.
    """
    parser = _Text()
    parser.feed(fragment)
    parser.close()
    text = "".join(parser.out)
    lines = (re.sub(r" {2,}", " ", line).strip() for line in text.split(_NEWLINE))
    return "\n".join(line for line in lines if line)


BOUNDARY = set(" \t\n|·,;:()[]'\"/…=") | {CELL_SEPARATOR.strip()}
"""Characters a field may touch: spaces, the cell separator, punctuation. Not letters, digits, ``<`` or ``>``."""


def _bounded(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return before in BOUNDARY and (after in BOUNDARY or after in ".!?")


def assert_separated(text: str, *fields: str) -> None:
    """Every field occurs in ``text``, and every occurrence is set apart from its neighbours.

    Parameters
    ----------
    text : str
        From :func:`visible_text`.
    *fields : str
        Distinct values the rendering shows (ids, names, times, messages, paths, counts).

    Raises
    ------
    AssertionError
        Naming the field and showing it in context when it is missing or glued to a neighbour.

    Notes
    -----
    An occurrence inside an occurrence of a longer field of the same call is
    that field's business (a short id inside the full id).
    """
    spans = {f: [(m.start(), m.end()) for m in re.finditer(re.escape(f), text)] for f in fields}
    for field in fields:
        starts = [start for start, _ in spans[field]]
        assert starts, f"{field!r} is not shown:\n{text}"
        for start in starts:
            end = start + len(field)
            if any(a <= start and end <= b and (a, b) != (start, end) for other in fields for a, b in spans[other]):
                continue
            context = text[max(0, start - 20) : end + 20]
            assert _bounded(text, start, end), f"{field!r} is glued to its neighbours: ...{context}...\n{text}"
