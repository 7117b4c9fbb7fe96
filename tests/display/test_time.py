"""One human format for times (arraylake_nb.display._time), the same in Rich, text, HTML and the CLI."""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from arraylake_nb.display import _time
from arraylake_nb.models import Commit, SessionInfo

NOW = dt.datetime(2026, 11, 21, 12, 0, 0, 491368, tzinfo=dt.UTC)


@pytest.fixture
def berlin(monkeypatch):
    """The machine's zone is Central European (CET in winter, CEST in summer)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()


def test_clock_is_local_to_the_second_and_names_the_zone_apart() -> None:
    assert _time.clock(NOW) == "2026-11-21 12:00:00"
    assert _time.clock(NOW.replace(tzinfo=None)) == "2026-11-21 12:00:00"  # naive means UTC, as the models store it
    assert _time.zone(NOW) == "UTC"
    assert _time.exact(NOW) == "2026-11-21T12:00:00.491368+00:00 UTC"


def test_the_local_zone_is_the_machines(berlin) -> None:
    assert _time.clock(NOW) == "2026-11-21 13:00:00" and _time.zone(NOW) == "CET"
    summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
    assert _time.clock(summer) == "2026-07-01 14:00:00" and _time.zone(summer) == "CEST"
    assert _time.zones([NOW, summer, NOW]) == "CET/CEST"  # across a DST change, both names
    assert _time.zone_note([summer]) == "Times in CEST"
    assert _time.exact(summer) == "2026-07-01T14:00:00+02:00 CEST"


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (dt.timedelta(seconds=2), "just now"),
        (dt.timedelta(seconds=-3), "just now"),  # a clock a little ahead
        (dt.timedelta(seconds=42), "42 s ago"),
        (dt.timedelta(minutes=3, seconds=59), "3 min ago"),
        (dt.timedelta(hours=2, minutes=59), "2 h ago"),
        (dt.timedelta(hours=30), "yesterday"),
        (dt.timedelta(days=5, hours=3), "5 days ago"),
        (dt.timedelta(days=28), "28 days ago"),
        (dt.timedelta(days=29), None),  # beyond a few weeks: the date says it better
        (-dt.timedelta(hours=23, minutes=59), "in 23 h"),
        (-dt.timedelta(minutes=5), "in 5 min"),
        (-dt.timedelta(hours=36), "tomorrow"),
        (-dt.timedelta(days=6, hours=1), "in 6 days"),
    ],
)
def test_relative_time(delta: dt.timedelta, words: str | None) -> None:
    assert _time.ago(NOW - delta, NOW) == words


def test_human_form_and_expiry() -> None:
    assert _time.human(NOW - dt.timedelta(minutes=3), NOW) == "2026-11-21 11:57:00 (3 min ago)"
    assert _time.human(NOW - dt.timedelta(minutes=3), NOW, with_zone=True) == "2026-11-21 11:57:00 UTC (3 min ago)"
    assert _time.human(NOW - dt.timedelta(days=60), NOW) == "2026-09-22 12:00:00"
    assert _time.expiry(NOW + dt.timedelta(hours=23, minutes=30), NOW) == "expires in 23 h"
    assert _time.expiry(NOW - dt.timedelta(hours=2), NOW) == "expired 2 h ago"
    assert _time.expiry(NOW + dt.timedelta(days=40), NOW) == "expires 2026-12-31 12:00:00 UTC"
    assert not re.search(r"\.\d{6}", _time.human(NOW))  # seconds, never microseconds


def _commit(when: dt.datetime) -> Commit:
    return Commit("6b00ddc4" + "0" * 16, None, "First data", "Ada Lovelace", "ada@example.org", when, {}, ("main",))


def test_every_rendering_uses_the_format_and_names_the_zone_once() -> None:
    from html_without_css import visible_text

    from arraylake_nb import display
    from arraylake_nb.models import CommitLog, CommitPage, SessionList, SessionStatus

    now = _time.now()
    commits = [_commit(now - dt.timedelta(minutes=3)), _commit(now - dt.timedelta(days=90))]
    log = CommitLog(commits[0].id, 2, lambda n: commits[:n] if n else commits)
    page = CommitPage(tuple(commits), None, 2)
    for model in (log, page):
        for rendered in (display.text(model), visible_text(display.html(model))):
            assert rendered.count("UTC") == 1 and rendered.endswith("Times in UTC"), rendered
            assert "(3 min ago)" in rendered
            assert re.search(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?! \()", rendered)  # the old one: date only
            assert not re.search(r"\d{2}:\d{2}:\d{2}\.\d", rendered)
    single = display.text(commits[0])
    assert re.search(r"Date:   \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(3 min ago\)", single)
    html = display.html(commits[0])
    assert re.search(r'<time [^>]*title="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+\+00:00 UTC"', html)

    session = SessionInfo("a" * 32, now - dt.timedelta(minutes=3), now + dt.timedelta(hours=23, minutes=57), "main",
                          None, "Ada Lovelace", "ada@example.org", None, True)
    listing = SessionList("org/x", [session])
    for rendered in (display.text(listing), visible_text(display.html(listing))):
        assert "Started (UTC)" in rendered and rendered.count("UTC") == 1
        assert "(3 min ago)" in rendered and "in 23 h" in rendered
    info = display.text(session)
    assert "Time zone    UTC" in info and "(in 23 h)" in info and info.count("UTC") == 1
    status = display.text(SessionStatus("org/x", session, [], 0))
    assert re.search(r"started at \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC \(3 min ago\)", status)


def test_the_cli_prints_the_same_format(client, capsys) -> None:
    from arraylake_nb.cli import main

    repo = client.create_repo("org/cli-times")
    repo.root_group.attrs["a"] = 1
    repo.commit("one")
    assert main(["--root", str(client.root), "log", "org/cli-times"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Date:   \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \((just now|\d+ s ago)\)$", out, re.MULTILINE), out
    assert out.rstrip().endswith("Times in UTC")
