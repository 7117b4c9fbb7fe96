"""add_virtual_zarr, add_virtual_tiff and add_virtual_grib: added, committed, read back equal to the source."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
import zarr
from virtual_helpers import fresh

from arraylake_nb import AsyncRepo
from arraylake_nb.engine.values import VirtualRef
from arraylake_nb.errors import VirtualDatasetError

pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3")


def test_add_virtual_zarr_v2(client, zarr_v2_store):
    path, values = zarr_v2_store
    repo = client.create_repo("f/zarr")
    repo.add_virtual_zarr(path, "copy_free")
    repo.commit("zarr v2")
    again = fresh(client, repo)
    group = zarr.open_group(again.store, path="copy_free", mode="r")
    assert group.attrs["hello"] == "world"
    np.testing.assert_array_equal(group["a"][:], values)
    assert group["a"].metadata.dimension_names == ("y", "x")
    refs = [v for _, v in again._require_state().iter_items("copy_free/a/") if isinstance(v, VirtualRef)]
    # One source per chunk file of the store (3 x 3 chunks).
    assert len(refs) == 9 and all(r.location.startswith(path.resolve().as_uri() + "/a/") for r in refs)


def test_add_virtual_tiff_with_overviews_and_bands(client, tiff_files):
    repo = client.create_repo("f/tiff")
    pyramid, levels = tiff_files["pyramid"]
    rgb_path, (rgb,) = tiff_files["rgb"]
    repo.add_virtual_tiff(pyramid, "images", "scene")
    repo.add_virtual_tiff(str(rgb_path), "photos", "rgb")
    repo.commit("tiffs")
    again = fresh(client, repo)
    for i, level in enumerate(levels):
        arr = zarr.open_array(again.store, path=f"images/scene/{i}", mode="r")
        np.testing.assert_array_equal(arr[:], level)
        assert arr.metadata.dimension_names == ("Y", "X")
    ds = again.to_xarray("photos")
    assert ds["rgb"].dims == ("Y", "X", "band")
    np.testing.assert_array_equal(ds["rgb"].values, rgb)


def test_add_virtual_grib_concatenates_messages_one_chunk_each(client, grib_file):
    arepo = AsyncRepo._wrapping(client.create_repo("f/grib"))
    import asyncio

    asyncio.run(arepo.add_virtual_grib(grib_file, "forecast"))
    repo = arepo.sync
    repo.commit("grib")
    got = fresh(client, repo).to_xarray("forecast")
    with xr.open_dataset(grib_file, engine="cfgrib", backend_kwargs={"indexpath": ""}) as expected:
        assert got["t"].shape == expected["t"].shape == (2, 31, 16)
        np.testing.assert_allclose(got["t"].values, expected["t"].values, rtol=1e-6)
        np.testing.assert_array_equal(got["time"].values, expected["time"].values)
        np.testing.assert_array_equal(got["latitude"].values, expected["latitude"].values)
    chunks = [v for k, v in repo._require_state().iter_items("forecast/t/") if isinstance(v, VirtualRef)]
    assert len(chunks) == 2 and sum(c.length for c in chunks) == grib_file.stat().st_size
    # GRIB-packed chunks cannot be written: the refusal is ours, says what to do, and changes nothing.
    before = repo.status().total
    with pytest.raises(VirtualDatasetError, match="copy the data into a new array"):
        repo.root_group["forecast/t"][0] = 0.0
    assert repo.status().total == before


def test_wrong_formats_are_refused_and_leave_the_repository_unchanged(tmp_path, client, netcdf4_file, grib_file):
    repo = client.create_repo("f/bad")
    with pytest.raises(VirtualDatasetError, match="could not be read as a TIFF"):
        repo.add_virtual_tiff(netcdf4_file, "x", "img")
    with pytest.raises(VirtualDatasetError, match="not a GRIB file"):
        repo.add_virtual_grib(netcdf4_file, "x")
    empty = tmp_path / "empty_dir"
    empty.mkdir()
    with pytest.raises(VirtualDatasetError, match="could not be read as a Zarr store"):
        repo.add_virtual_zarr(empty, "x")
    with pytest.raises(VirtualDatasetError, match="not a valid node name"):
        repo.add_virtual_tiff(netcdf4_file, "x", "a/b")
    with pytest.raises(VirtualDatasetError, match="inline_threshold"):
        repo.add_virtual_grib(grib_file, "x", inline_threshold=10)
    assert not repo._require_state().has_changes
