"""views.preview: slices, downsampling, headers and bytes, read from real repositories."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from arraylake_nb import views
from arraylake_nb.errors import CorruptChunkError, InvalidSelectionError, NotAnArrayError


def image(header: dict, data: bytes) -> np.ndarray:
    assert header["dtype"] == "float32" and header["byteorder"] == "little"
    assert len(data) == header["nbytes"] == 4 * int(np.prod(header["shape"]))
    return np.frombuffer(data, dtype="<f4").reshape(header["shape"])


@pytest.fixture
def cube(repo):
    values = np.arange(4 * 30 * 50, dtype="f8").reshape(4, 30, 50)
    a = repo.root_group.create_array("cube", shape=values.shape, chunks=(1, 10, 10), dtype="f8", fill_value=np.nan)
    a[:] = values
    a[1, 0, 0] = np.nan
    repo.commit("cube")
    values[1, 0, 0] = np.nan
    return repo, values


def test_default_is_the_last_two_dimensions_at_index_zero(cube, strict_json) -> None:
    repo, values = cube
    header, data = views.preview(repo, None, "cube")
    strict_json(header)
    assert header["type"] == "preview" and header["kind"] == "image" and header["dims"] == [1, 2]
    assert header["index"] == {"0": 0} and header["method"] == "none" and header["step"] == [1, 1]
    assert header["ranges"] == [[0, 30, 1], [0, 50, 1]] and header["array_shape"] == [4, 30, 50]
    np.testing.assert_array_equal(image(header, data), values[0].astype("f4"))
    assert (header["min"], header["max"], header["nan_count"]) == (0.0, 1499.0, 0)


def test_fixed_indices_transposed_dims_and_windows(cube) -> None:
    repo, values = cube
    header, data = views.preview(repo, "main", "cube", {"dims": [2, 1], "index": {"0": -3}})
    assert header["index"] == {"0": 1} and header["shape"] == [50, 30]
    got = image(header, data)
    np.testing.assert_array_equal(got, values[1].T.astype("f4"))
    assert header["nan_count"] == 1
    header, data = views.preview(repo, None, "cube", {"dims": [0, 2], "index": {1: 7}, "window": {2: [5, 25]}})
    np.testing.assert_array_equal(image(header, data), values[:, 7, 5:25].astype("f4"))
    assert header["ranges"] == [[0, 4, 1], [5, 25, 1]]


def test_block_means_and_strides(cube) -> None:
    repo, values = cube
    header, data = views.preview(repo, None, "cube", {"index": {0: 2}, "max_size": 10})
    assert header["method"] == "mean" and header["step"] == [3, 5] and header["shape"] == [10, 10]
    expected = values[2].reshape(10, 3, 10, 5).mean(axis=(1, 3))
    np.testing.assert_allclose(image(header, data), expected, rtol=1e-6)
    header, data = views.preview(repo, None, "cube", {"index": {0: 2}, "max_size": 10, "method": "stride"})
    assert header["method"] == "stride"
    np.testing.assert_array_equal(image(header, data), values[2, ::3, ::5].astype("f4"))
    # Partial last blocks are averaged over what they hold; NaN is ignored.
    header, data = views.preview(repo, None, "cube", {"index": {0: 1}, "dims": [2], "max_size": 7})
    line = image(header, data)
    assert header["kind"] == "line" and header["shape"] == [7] and header["step"] == [8]
    assert line[0] == pytest.approx(np.nanmean(values[1, 0, 0:8])) and line[-1] == pytest.approx(values[1, 0, 48:].mean())


def test_lines_scalars_and_other_dtypes(repo) -> None:
    root = repo.root_group
    root.create_array("line", shape=(5000,), chunks=(1000,), dtype="i2")[:] = np.arange(5000) % 100
    root.create_array("flags", shape=(3, 3), chunks=(3, 3), dtype="bool")[:] = np.eye(3, dtype=bool)
    root.create_array("scalar", shape=(), dtype="f4", fill_value=0)[()] = 2.5
    root.create_array("words", shape=(2,), dtype=str)
    header, data = views.preview(repo, None, "line")
    assert header["kind"] == "line" and header["shape"] == [1667] and header["step"] == [3]
    assert header["source_dtype"] == "int16" and image(header, data)[0] == pytest.approx(1.0)
    header, data = views.preview(repo, None, "flags")
    np.testing.assert_array_equal(image(header, data), np.eye(3))
    header, data = views.preview(repo, None, "scalar")
    assert header["kind"] == "scalar" and image(header, data).tolist() == [2.5]
    with pytest.raises(InvalidSelectionError, match="cannot show"):
        views.preview(repo, None, "words")
    fine = root.create_array("fine", shape=(3000,), chunks=(1,), dtype="f4", fill_value=0)
    fine[:] = np.arange(3000)
    header, data = views.preview(repo, None, "fine")  # too many chunks to read whole: strided
    assert header["method"] == "stride" and header["step"] == [2] and image(header, data)[1] == 2.0
    header, _ = views.preview(repo, None, "fine", {"window": {0: [0, 1024]}, "max_size": 512})
    assert header["method"] == "mean"


def test_selections_out_of_range_say_what_to_use(cube) -> None:
    repo, _ = cube
    repo.root_group.create_group("g")
    bad = [
        ({"dims": [0, 1, 2]}, "one or two"),
        ({"dims": [3]}, "out of range"),
        ({"dims": [1, 1]}, "twice"),
        ({"index": {0: 4}}, "use 0 to 3"),
        ({"index": {1: 0}}, "displayed"),
        ({"index": {"x": 0}}, "dimension numbers"),
        ({"window": {1: [10, 5]}}, "0 <= start < stop <= 30"),
        ({"window": {0: [0, 1]}}, "not displayed"),
        ({"max_size": 0}, "max_size"),
        ({"method": "median"}, "mean, stride"),
        ({"zoom": 2}, "Unknown selection keys"),
    ]
    for selection, message in bad:
        with pytest.raises(InvalidSelectionError, match=message):
            views.preview(repo, None, "cube", selection)
    with pytest.raises(NotAnArrayError, match="views.children"):
        views.preview(repo, None, "g")


def test_a_preview_reads_only_its_slice(repo) -> None:
    a = repo.root_group.create_array("t", shape=(2, 8, 8), chunks=(1, 4, 4), dtype="f4", fill_value=0)
    a[0] = 1.0
    repo.commit("slice 0")
    chunk_dir = Path(repo.path) / "chunks"
    before = {p for p in chunk_dir.rglob("*") if p.is_file()}
    a[1] = np.arange(64, dtype="f4").reshape(8, 8)
    repo.commit("slice 1")
    for p in {p for p in chunk_dir.rglob("*") if p.is_file()} - before:
        p.write_bytes(b"damaged")  # any read of slice 1 now fails
    header, data = views.preview(repo, None, "t", {"index": {0: 0}})
    assert image(header, data).min() == 1.0
    with pytest.raises(CorruptChunkError):
        views.preview(repo, None, "t", {"index": {0: 1}})
