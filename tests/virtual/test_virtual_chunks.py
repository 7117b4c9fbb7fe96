"""Virtual chunk references in the engine: byte ranges of a raw file, stored, committed, read, versioned.

The arrays here are built by hand (a zarr.json made by zarr, chunks pointing at
ranges of a binary file written by numpy), so these tests exercise the engine,
the store and the file reader without any file-format parser.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import numpy as np
import pytest
import zarr

from arraylake_nb import Client
from arraylake_nb.engine.journal import SetValue, decode_record, encode_record
from arraylake_nb.engine.repository import RepoEngine
from arraylake_nb.engine.values import ChunkRef, Doc, VirtualRef
from arraylake_nb.errors import VirtualSourceChangedError, VirtualSourceMissingError
from arraylake_nb.storage import normalize_location, reader_for

HEADER = b"HEADER--"
CHUNK = 10


def _array_doc(n: int) -> bytes:
    mem = zarr.storage.MemoryStore()
    zarr.create_array(mem, shape=(n,), chunks=(CHUNK,), dtype="<f4", compressors=None, fill_value=0)
    return mem._store_dict["zarr.json"].to_bytes()


def _reference(repo, path: str, src: Path, n: int) -> np.ndarray:
    """Reference ``src`` (HEADER + n float32) as array ``path``; return the data it holds."""
    loc = normalize_location(src)
    fp = reader_for(loc).fingerprint(loc)
    items = [(f"{path}/zarr.json", Doc.for_key(f"{path}/zarr.json", _array_doc(n)))]
    items += [(f"{path}/c/{i}", VirtualRef(loc, len(HEADER) + 4 * CHUNK * i, 4 * CHUNK, fp))
              for i in range(n // CHUNK)]
    repo._require_state().set_many(items)
    return np.frombuffer(src.read_bytes()[len(HEADER):], dtype="<f4")


def _write_source(path: Path, n: int, seed: int = 0) -> None:
    data = np.random.default_rng(seed).random(n, dtype=np.float32)
    path.write_bytes(HEADER + data.astype("<f4").tobytes())


def _reopen(client_root: Path, repo):
    RepoEngine.forget(repo.path)  # the next open reads everything back from DuckDB
    return Client(root=client_root).get_repo(repo.name)


@pytest.mark.parametrize("n", [200, 40_000], ids=["inline-segment", "table-segment"])
def test_virtual_array_commits_and_reads_back_after_reopening(tmp_path, client, root, n):
    repo = client.create_repo("a/virtual")
    src = tmp_path / "raw.bin"
    _write_source(src, n)
    expected = _reference(repo, "x", src, n)
    np.testing.assert_array_equal(zarr.open_array(repo.store, path="x", mode="r")[:], expected)
    repo.commit("reference raw.bin")

    again = _reopen(root, repo)
    arr = zarr.open_array(again.store, path="x", mode="r")
    np.testing.assert_array_equal(arr[:], expected)
    ref = again._require_state().get("x/c/3")
    assert isinstance(ref, VirtualRef) and ref.location == src.resolve().as_uri()
    assert (ref.offset, ref.length) == (len(HEADER) + 4 * CHUNK * 3, 4 * CHUNK)


def test_a_changed_source_raises_naming_file_and_array(tmp_path, client):
    repo = client.create_repo("a/changed")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    _reference(repo, "grp_x", src, 100)
    repo.commit("ref")
    # Same size, other bytes, later mtime: never returned as if it were the referenced data.
    _write_source(src, 100, seed=1)
    os.utime(src, ns=(os.stat(src).st_atime_ns, os.stat(src).st_mtime_ns + 1_000_000_000))
    with pytest.raises(VirtualSourceChangedError) as info:
        zarr.open_array(repo.store, path="grp_x", mode="r")[:]
    assert str(src) in str(info.value) and "'grp_x'" in str(info.value)
    assert info.value.location == src.resolve().as_uri()
    report = repo.fsck()
    assert not report.ok and report.checked_sources == 1
    assert "changed since it was referenced by array 'grp_x'" in report.bad_sources[src.resolve().as_uri()]


def test_a_missing_source_raises_a_clear_error(tmp_path, client):
    repo = client.create_repo("a/missing")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    _reference(repo, "x", src, 100)
    repo.commit("ref")
    src.unlink()
    with pytest.raises(VirtualSourceMissingError, match="raw.bin.*array 'x'"):
        zarr.open_array(repo.store, path="x", mode="r")[:]
    assert "unreachable" in repo.fsck().bad_sources[src.resolve().as_uri()]


def test_a_range_past_the_end_of_the_source_is_refused(tmp_path):
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    loc = normalize_location(src)
    fp = reader_for(loc).fingerprint(loc)
    # A range past the end of the file (a wrong reference) fails rather than reading short.
    with pytest.raises(VirtualSourceChangedError, match="past its end"):
        reader_for(loc).read(loc, 390, 40, fp)


def test_writing_into_a_virtual_array_stores_only_that_chunk_natively(tmp_path, client, root):
    repo = client.create_repo("a/mixed")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    expected = _reference(repo, "x", src, 100).copy()
    first = repo.commit("ref")
    arr = zarr.open_array(repo.store, path="x", mode="r+")
    arr[20:30] = -1.0
    expected[20:30] = -1.0
    second = repo.commit("overwrite chunk 2")
    state = _reopen(root, repo)._require_state()
    assert isinstance(state.get("x/c/2"), ChunkRef)
    assert all(isinstance(state.get(f"x/c/{i}"), VirtualRef) for i in range(10) if i != 2)
    again = Client(root=root).get_repo(repo.name)
    np.testing.assert_array_equal(zarr.open_array(again.store, path="x", mode="r")[:], expected)
    # The first version still reads the source's bytes for chunk 2.
    with pytest.warns(UserWarning, match="not on a branch tip"):
        again.checkout(first, for_writing=False)
    assert zarr.open_array(again.store, path="x", mode="r")[25] == np.frombuffer(
        src.read_bytes()[len(HEADER):], dtype="<f4")[25]
    diff = again.diff(first, second)
    assert [c.path for c in diff.chunks] == ["x"]


def test_move_copy_and_diff_of_a_virtual_array(tmp_path, client):
    repo = client.create_repo("a/moves")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    expected = _reference(repo, "x", src, 100)
    first = repo.commit("ref")
    zarr.open_group(repo.store, path="g", mode="a")
    repo.move("x", "g/y")
    repo.copy("g/y", "z")
    second = repo.commit("move and copy")
    for path in ("g/y", "z"):
        np.testing.assert_array_equal(zarr.open_array(repo.store, path=path, mode="r")[:], expected)
    diff = repo.diff(first, second)
    # Both new arrays descend from x: the diff names x moved to one of them, the other added.
    (moved,) = diff.moved
    assert moved[0] == "x" and moved[1] in ("g/y", "z")
    assert {p for p, _ in diff.added} >= {"g", "g/y", "z"} - {moved[1]}
    assert repo._require_state().get("z/c/0") == repo._require_state().get("g/y/c/0")


def test_uncommitted_virtual_chunks_reach_another_process_through_the_session_log(tmp_path, client, root):
    repo = client.create_repo("a/joined")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    expected = _reference(repo, "x", src, 100)
    session_id = repo.session.id
    other = _reopen(root, repo)
    other.join_session(session_id)
    np.testing.assert_array_equal(zarr.open_array(other.store, path="x", mode="r")[:], expected)
    ref = VirtualRef("s3://bucket/key with space.nc", 2**40, 123, "etag=\"abc\"")
    assert decode_record(memoryview(encode_record(SetValue("a/c/0", ref)))) == SetValue("a/c/0", ref)


def test_gc_keeps_working_and_leaves_sources_alone(tmp_path, client):
    repo = client.create_repo("a/gc")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    expected = _reference(repo, "x", src, 100)
    repo.commit("ref")
    before = src.read_bytes()
    import datetime as dt
    report = repo.gc(older_than=dt.timedelta(0))
    assert report.chunks_removed == 0
    assert src.read_bytes() == before
    np.testing.assert_array_equal(zarr.open_array(repo.store, path="x", mode="r")[:], expected)
    fsck = repo.fsck()
    assert fsck.ok and fsck.checked_sources == 1


def test_a_repository_made_before_virtual_chunks_is_upgraded_on_open(tmp_path, client, root):
    repo = client.create_repo("a/old")
    zarr.create_array(repo.store, name="native", shape=(4,), dtype="i4")[:] = [1, 2, 3, 4]
    repo.commit("native")
    path = repo.path
    RepoEngine.forget(path)
    con = duckdb.connect(str(path / "metastore.duckdb"))
    for col in ("vloc", "voff", "vfp"):
        con.execute(f"ALTER TABLE entries DROP COLUMN {col}")
    con.close()
    again = Client(root=root).get_repo(repo.name)
    assert list(zarr.open_array(again.store, path="native", mode="r")[:]) == [1, 2, 3, 4]
    src = tmp_path / "raw.bin"
    _write_source(src, 1000)
    expected = _reference(again, "x", src, 1000)
    again.commit("virtual in an old repository")
    np.testing.assert_array_equal(
        zarr.open_array(_reopen(root, again).store, path="x", mode="r")[:], expected)


def test_many_ranges_of_one_file_are_read_together_and_checked(tmp_path):
    src = tmp_path / "raw.bin"
    _write_source(src, 1000)
    loc = normalize_location(src)
    reader = reader_for(loc)
    fp = reader.fingerprint(loc)
    ranges = [(len(HEADER) + 40 * i, 40) for i in range(0, 100, 3)]
    data = src.read_bytes()
    assert reader.read_ranges(loc, ranges, fp) == [data[o : o + n] for o, n in ranges]
    with pytest.raises(VirtualSourceChangedError, match="array 'x'"):
        reader.read_ranges(loc, ranges, "size=1;mtime_ns=1", what=lambda: "array 'x'")


def test_file_uris_with_escaped_characters_name_the_same_file(tmp_path):
    folder = tmp_path / "with space"
    folder.mkdir()
    src = folder / "raw data.bin"
    src.write_bytes(b"x")
    assert normalize_location(src) == normalize_location(src.as_uri()) == src.resolve().as_uri()
    assert reader_for(normalize_location(src.as_uri())).size(normalize_location(src.as_uri())) == 1


def test_fsck_checks_sources_of_uncommitted_virtual_chunks(tmp_path, client):
    repo = client.create_repo("a/uncommitted")
    src = tmp_path / "raw.bin"
    _write_source(src, 100)
    _reference(repo, "x", src, 100)
    assert repo.fsck().checked_sources == 1 and repo.fsck().ok
    src.unlink()
    (problem,) = repo.fsck().bad_sources.values()
    assert "unreachable" in problem and "(uncommitted, session" in problem
