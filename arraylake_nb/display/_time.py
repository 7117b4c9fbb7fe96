"""One human format for times, shared by every rendering (Rich, plain text, HTML, the CLI).

Times are shown in the local time zone of the machine (``TZ`` decides, as for
``date``; tests fix it with ``TZ`` and :func:`time.tzset`), to the second:
``2026-11-20 23:54:44``. A rendering names the zone once, in a column header
(``Started (UTC)``), next to a lone time, or in a closing ``Times in UTC``
note, never on every row. Times within :data:`RECENT_DAYS` also say how long
ago they were (``3 min ago``, ``2 h ago``, ``yesterday``, ``5 days ago``) or
how far off they are (``in 23 h``); older ones show only the date and time.
HTML carries the exact value, ISO 8601 with its offset and zone, on hover.

JSON documents do not use this module: they keep ISO 8601 in UTC (see
``docs/json-schema.md``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

RECENT_DAYS = 28
"""Up to this many days away a time also reads as relative (``5 days ago``)."""

_JUST_NOW = 5
"""Seconds within which a time is "just now" (either way: clocks of processes differ a little)."""


def now() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def local(t: dt.datetime) -> dt.datetime:
    """``t`` in the machine's local zone; a naive ``t`` is taken as UTC (as the models store it)."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    return t.astimezone()


def clock(t: dt.datetime) -> str:
    """Local date and time to the second, without the zone: ``2026-11-20 23:54:44``."""
    return local(t).strftime("%Y-%m-%d %H:%M:%S")


def zone(t: dt.datetime | None = None) -> str:
    """The local zone's name at ``t`` (default: now), e.g. ``UTC``, ``CET`` or ``CEST``."""
    shown = local(t if t is not None else now())
    return shown.tzname() or shown.strftime("UTC%z")


def zones(times: Iterable[dt.datetime | None]) -> str:
    """The zone names of ``times``, in order of first use: ``CET`` or ``CET/CEST`` across a DST change."""
    names: dict[str, None] = {}
    for t in times:
        if t is not None:
            names.setdefault(zone(t), None)
    return "/".join(names) or zone()


def zone_note(times: Iterable[dt.datetime | None]) -> str:
    """The line naming the zone of a rendering's times: ``Times in UTC``."""
    return f"Times in {zones(times)}"


def _span(seconds: float) -> str | None:
    s = int(abs(seconds))
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        return f"{s // 3600} h"
    days = s // 86400
    if days > RECENT_DAYS:
        return None
    return f"{days} days"


def ago(t: dt.datetime, at: dt.datetime | None = None) -> str | None:
    """How long before (or after) ``at`` (default: now) ``t`` is, or None when more than :data:`RECENT_DAYS` away.

    Parameters
    ----------
    t : datetime.datetime
        The time; naive means UTC.
    at : datetime.datetime, optional
        The moment to compare with, default now.

    Returns
    -------
    str or None
        ``just now``, ``42 s ago``, ``3 min ago``, ``2 h ago``, ``yesterday``, ``5 days ago``;
        for the future ``in 23 h``, ``tomorrow``, ``in 3 days``.
    """
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    seconds = ((at or now()) - t).total_seconds()
    if abs(seconds) < _JUST_NOW:
        return "just now"
    if 86400 <= abs(seconds) < 2 * 86400:
        return "yesterday" if seconds > 0 else "tomorrow"
    span = _span(seconds)
    if span is None:
        return None
    return f"{span} ago" if seconds > 0 else f"in {span}"


def human(t: dt.datetime, at: dt.datetime | None = None, *, with_zone: bool = False) -> str:
    """The human form of ``t``: ``2026-11-20 23:54:44 (3 min ago)``, the zone after the clock if asked.

    Parameters
    ----------
    t : datetime.datetime
        The time; naive means UTC.
    at : datetime.datetime, optional
        The moment relative times count from, default now.
    with_zone : bool
        Name the zone (``2026-11-20 23:54:44 UTC (3 min ago)``), for a time shown on its own.

    Returns
    -------
    str
    """
    text = clock(t) + (f" {zone(t)}" if with_zone else "")
    relative = ago(t, at)
    return f"{text} ({relative})" if relative else text


def relative(t: dt.datetime, at: dt.datetime | None = None) -> str:
    """``in 23 h`` or ``2 h ago`` when :func:`ago` has words for it, else the clock time with its zone."""
    return ago(t, at) or f"{clock(t)} {zone(t)}"


def expiry(t: dt.datetime, at: dt.datetime | None = None) -> str:
    """A session's expiration in words: ``expires in 23 h``, ``expired 2 h ago``."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=dt.UTC)
    verb = "expired" if (at or now()) >= t else "expires"
    return f"{verb} {relative(t, at)}"


def exact(t: dt.datetime) -> str:
    """The exact time for hovering: ISO 8601 with offset and the zone's name, ``2026-11-20T23:54:44.491368+00:00 UTC``."""
    shown = local(t)
    return f"{shown.isoformat()} {zone(t)}"
