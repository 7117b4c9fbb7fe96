"""Segment ids: which commit wrote a segment, and where its entries are stored.

A segment id is ``seq << 20 | i``: the sequence number of the commit that
wrote it and its index among that commit's segments. Bit 19 of the index marks
a segment stored *inline*, in its commit's row (small deltas), rather than as
rows of the ``entries`` table; the index of an inline segment within the
commit's inline blob is then the low 19 bits. Ids therefore sort by commit,
which keeps the rows of one commit together in ``entries`` (see metastore.py).

This module is the only one that knows the bit layout.
"""

from __future__ import annotations

#: Bits of a segment id below the commit's sequence number.
SEGMENTS_PER_COMMIT_BITS = 20
#: The bit that marks a segment stored inline in its commit's row.
INLINE_BIT = 1 << 19


def segment_id(seq: int, i: int, inline: bool = False) -> int:
    """The id of the ``i``-th (inline or table-stored) segment of commit ``seq``.

    Parameters
    ----------
    seq
        The sequence number of the commit writing the segment.
    i
        The segment's index among the commit's inline segments, or among its
        table-stored ones (the two are numbered separately).
    inline
        Whether the segment is stored in the commit's row.

    Returns
    -------
    int
        The segment id.
    """
    return (seq << SEGMENTS_PER_COMMIT_BITS) | (INLINE_BIT if inline else 0) | i


def is_inline(seg: int) -> bool:
    """Whether segment ``seg`` is stored in its commit's row (not in ``entries``)."""
    return bool(seg & INLINE_BIT)


def commit_seq(seg: int) -> int:
    """The sequence number of the commit that wrote segment ``seg``."""
    return seg >> SEGMENTS_PER_COMMIT_BITS


def inline_index(seg: int) -> int:
    """The index of inline segment ``seg`` within its commit's inline blob."""
    return seg & (INLINE_BIT - 1)
