"""The session folder's log format and the order-independence of the overlay."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import given, settings

from arraylake_nb.engine.journal import (
    Batch,
    Delete,
    DeletePrefix,
    SessionFolder,
    SetValue,
    encode_batch,
    parse_log,
)
from arraylake_nb.engine.session import Overlay
from arraylake_nb.engine.values import ChunkRef
from arraylake_nb.errors import DiskFullError


def _ref(i: int) -> ChunkRef:
    return ChunkRef(i.to_bytes(16, "big"), i)


def _frames(n: int, start: int = 1) -> list[bytes]:
    return [encode_batch(start + i, [SetValue(f"a/c/{i}", _ref(i))]) for i in range(n)]


def test_intact_log_reads_back_every_batch() -> None:
    data = b"".join(_frames(5))
    batches, used, skipped = parse_log(data, "w", final=False)
    assert [b.records[0].key for b in batches] == [f"a/c/{i}" for i in range(5)]
    assert used == len(data) and skipped == 0


def test_incomplete_tail_waits_while_the_writer_may_still_write_it() -> None:
    frames = _frames(3)
    data = frames[0] + frames[1] + frames[2][:7]
    batches, used, _ = parse_log(data, "w", final=False)
    assert len(batches) == 2 and used == len(frames[0]) + len(frames[1])


@pytest.mark.parametrize("damage", ["zeros", "torn", "flipped", "garbage-header"])
def test_damage_in_the_middle_hides_nothing_after_it(damage: str) -> None:
    frames = _frames(6)
    if damage == "zeros":
        bad = b"\0" * 4096
    elif damage == "torn":
        bad = frames[0][: len(frames[0]) // 2]  # a frame cut short by a killed writer
    elif damage == "flipped":
        bad = bytearray(encode_batch(99, [SetValue("lost", _ref(99))]))
        bad[-3] ^= 0xFF
        bad = bytes(bad)
    else:
        bad = b"\xa7\x1bJ\x01" + (10**6).to_bytes(4, "little") + b"\0\0\0\0partial"
    data = b"".join(frames[:3]) + bad + b"".join(frames[3:])
    # While the writer may still be writing, reading stops at the damage ...
    waiting, _, _ = parse_log(data, "w", final=False)
    assert len(waiting) == 3
    # ... and once the damage is known to be permanent, it is skipped.
    batches, used, skipped = parse_log(data, "w", final=True)
    assert [b.records[0].key for b in batches] == [f"a/c/{i}" for i in range(6)]
    assert used == len(data) and skipped == len(bad)


def test_zero_filled_tail_after_a_power_cut_is_skipped() -> None:
    data = b"".join(_frames(2)) + b"\0" * 8192
    batches, used, skipped = parse_log(data, "w", final=True)
    assert len(batches) == 2 and used == len(data) and skipped == 8192


def test_a_batch_is_all_or_nothing() -> None:
    frame = encode_batch(1, [DeletePrefix("src/"), SetValue("dst/zarr.json", _ref(1)), SetValue("dst/c/0", _ref(2))])
    for cut in range(1, len(frame)):
        batches, _, _ = parse_log(frame[:cut], "w", final=True)
        assert batches == []
    assert len(parse_log(frame, "w", final=True)[0][0].records) == 3


_RECORDS = st.one_of(
    st.builds(lambda k, v: SetValue(k, _ref(v)), st.sampled_from(["a/c/0", "a/c/1", "a/d/0", "b/c/0"]), st.integers(0, 9)),
    st.builds(Delete, st.sampled_from(["a/c/0", "a/c/1", "b/c/0"])),
    st.builds(DeletePrefix, st.sampled_from(["", "a/", "a/c/", "b/"])),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["w1", "w2", "w3"]), st.lists(_RECORDS, min_size=1, max_size=3)),
                min_size=1, max_size=12), st.randoms())
def test_overlay_is_the_same_whatever_order_logs_are_read_in(writes, rnd: random.Random) -> None:
    # Stamp batches as writers would (Lamport: above everything seen so far).
    clock = 0
    batches = []
    for writer, records in writes:
        batches.append(Batch(clock + 1, writer, tuple(records)))
        clock += len(records)

    def replay(order: list[Batch]) -> Overlay:
        ov = Overlay()
        for b in order:
            for stamp, r in b.stamped():
                ov.apply(r, stamp)
        return ov

    reference = replay(batches)
    # Any interleaving that keeps each writer's own order (as reading several logs does).
    queues = {w: [b for b in batches if b.writer == w] for w in ("w1", "w2", "w3")}
    shuffled = []
    while any(queues.values()):
        w = rnd.choice([w for w, q in queues.items() if q])
        shuffled.append(queues[w].pop(0))
    other = replay(shuffled)
    assert other.changes == reference.changes
    assert set(other.deleted_prefixes) == set(reference.deleted_prefixes)
    # And the result is what a single ordered log would give.
    sequential: dict[str, object] = {}
    for b in batches:
        for r in b.records:
            if isinstance(r, SetValue):
                sequential[r.key] = r.value
            elif isinstance(r, Delete):
                sequential[r.key] = "DELETED"
            else:
                for k in [k for k in sequential if k.startswith(r.prefix)]:
                    del sequential[k]
    assert {k: ("DELETED" if not isinstance(v, ChunkRef) else v) for k, v in reference.changes.items()} == sequential


def test_each_process_appends_to_its_own_log(tmp_path: Path) -> None:
    folder = SessionFolder(tmp_path / "s", "none")
    folder.create({"id": "s"})
    folder.append(1, [SetValue("x", _ref(1))])
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from arraylake_nb.engine.journal import SessionFolder, SetValue
        from arraylake_nb.engine.values import ChunkRef
        f = SessionFolder(Path(sys.argv[1]), "none")
        f.append(5, [SetValue("y", ChunkRef(bytes(16), 2))])
        """
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "s")], check=True, env=env)
    logs = sorted(p for p in (tmp_path / "s").iterdir() if p.suffix == ".log")
    assert len(logs) == 2
    reader = SessionFolder(tmp_path / "s", "none")
    keys = sorted(r.key for b in reader.read_new() for r in b.records)
    assert keys == ["x", "y"]


def test_a_failed_append_leaves_no_partial_record(tmp_path: Path) -> None:
    # A real full disk: a tiny tmpfs (we run as root, here and in CI).
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], check=True)
    try:
        folder = SessionFolder(mnt / "s", "write")
        folder.create({"id": "s"})
        folder.append(1, [SetValue("small", _ref(1))])
        big = "k" * (200 * 1024)
        with pytest.raises(DiskFullError, match="Free some space"):
            folder.append(2, [SetValue(big, _ref(2))])
        log = next(p for p in (mnt / "s").iterdir() if p.suffix == ".log")
        batches, _, skipped = parse_log(log.read_bytes(), "w", final=True)
        assert [b.records[0].key for b in batches] == ["small"] and skipped == 0
        folder.append(3, [SetValue("after", _ref(3))])
        batches, _, skipped = parse_log(log.read_bytes(), "w", final=True)
        assert [b.records[0].key for b in batches] == ["small", "after"] and skipped == 0
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)
