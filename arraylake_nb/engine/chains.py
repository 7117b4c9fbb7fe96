"""When to merge manifest segments: a tiered (log-structured) policy.

Each commit pushes one small segment onto the chain of every map it changes.
Left alone, chains would grow with history and reads would slow down; merging
everything on each commit would make commit cost follow the size of the repo.
The tiered policy merges a run of segments only when ``FANOUT`` of them sit in
the same size class at the top of the chain, so most commits merge nothing,
each entry is rewritten O(log n) times over its life, and a chain holds at most
``(FANOUT - 1)`` segments per size class. Merges never produce a segment larger
than ``MAX_MERGED``: beyond that, big segments (bulk writes) stay as they are
and a commit never pays for rewriting them.
"""

from __future__ import annotations

from arraylake_nb.engine.values import Chain

FANOUT = 8
MAX_MERGED = 1 << 18


def size_class(n: int) -> int:
    """Size class of a segment: 0 for 1..7 entries, 1 for 8..63, and so on."""
    c = 0
    n = max(n, 1)
    while n >= FANOUT:
        n //= FANOUT
        c += 1
    return c


def plan_merge(chain: Chain) -> int:
    """How many segments at the top of ``chain`` to merge into one (0: none).

    The run merged is the longest prefix of segments whose size class is at
    most that of the newest one, if it holds at least ``FANOUT`` segments and
    the merged result stays under ``MAX_MERGED`` entries.
    """
    if len(chain) < FANOUT:
        return 0
    top = size_class(chain[0][1])
    k = 0
    total = 0
    while k < len(chain) and size_class(chain[k][1]) <= top:
        total += chain[k][1]
        k += 1
    if k >= FANOUT and total <= MAX_MERGED:
        return k
    return 0
