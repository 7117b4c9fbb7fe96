"""Source files for the virtual-dataset tests, made by the libraries that write those formats."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr


def sample_dataset(n_time: int = 6) -> xr.Dataset:
    """A small CF-style dataset: a chunked 3-d variable, a 1-d one, coordinates, attributes."""
    rng = np.random.default_rng(42)
    return xr.Dataset(
        {
            "temp": (("time", "lat", "lon"), rng.random((n_time, 20, 24), dtype=np.float32),
                     {"units": "K", "long_name": "air temperature"}),
            "station": (("lat",), np.arange(20, dtype="i2"), {"flag": "none"}),
        },
        coords={
            "time": pd.date_range("2024-01-01", periods=n_time, freq="D"),
            "lat": np.linspace(-45.0, 45.0, 20),
            "lon": np.arange(24, dtype="i4"),
        },
        attrs={"title": "virtual test", "institution": "here"},
    )


@pytest.fixture
def netcdf4_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample4.nc"
    sample_dataset().to_netcdf(path, engine="h5netcdf",
                               encoding={"temp": {"chunksizes": (1, 10, 12), "zlib": True, "complevel": 4}})
    return path


@pytest.fixture
def netcdf3_file(tmp_path: Path) -> Path:
    path = tmp_path / "sample3.nc"
    sample_dataset().to_netcdf(path, engine="scipy")
    return path


@pytest.fixture
def hdf5_file(tmp_path: Path) -> tuple[Path, dict[str, np.ndarray]]:
    import h5py

    path = tmp_path / "plain.h5"
    rng = np.random.default_rng(7)
    data = {
        "grid": rng.random((40, 30)).astype("f8"),
        "inner/counts": np.arange(600, dtype="i4").reshape(20, 30),
    }
    with h5py.File(path, "w") as f:
        f.create_dataset("grid", data=data["grid"], chunks=(10, 15), compression="gzip", shuffle=True)
        f.attrs["source"] = "h5py"
        g = f.create_group("inner")
        g.create_dataset("counts", data=data["inner/counts"], chunks=(5, 30), compression="gzip")
    return path, data


@pytest.fixture
def zarr_v2_store(tmp_path: Path) -> tuple[Path, np.ndarray]:
    import zarr

    path = tmp_path / "store_v2.zarr"
    group = zarr.open_group(str(path), mode="w", zarr_format=2)
    group.attrs["hello"] = "world"
    values = np.random.default_rng(3).random((30, 40))
    arr = group.create_array("a", shape=values.shape, chunks=(10, 16), dtype="f8")
    arr[:] = values
    arr.attrs["_ARRAY_DIMENSIONS"] = ["y", "x"]
    return path, values


@pytest.fixture
def tiff_files(tmp_path: Path) -> dict[str, tuple[Path, list[np.ndarray]]]:
    """A tiled single-band TIFF with two overviews, and a tiled RGB TIFF."""
    import tifffile

    rng = np.random.default_rng(5)
    image = rng.integers(0, 255, (256, 320), dtype="u1")
    levels = [image, image[::2, ::2], image[::4, ::4]]
    pyramid = tmp_path / "pyramid.tif"
    with tifffile.TiffWriter(pyramid) as tw:
        tw.write(levels[0], tile=(64, 64), subifds=2)
        for level in levels[1:]:
            tw.write(level, tile=(64, 64), subfiletype=1)
    rgb = rng.integers(0, 255, (128, 96, 3), dtype="u1")
    rgb_path = tmp_path / "rgb.tif"
    tifffile.imwrite(rgb_path, rgb, tile=(32, 32), photometric="rgb")
    return {"pyramid": (pyramid, levels), "rgb": (rgb_path, [rgb])}


@pytest.fixture
def grib_file(tmp_path: Path) -> Path:
    """GRIB2 with two messages (two days of one field), from eccodes' bundled sample."""
    import eccodes

    path = tmp_path / "two.grib2"
    with open(path, "wb") as f:
        for day in range(2):
            handle = eccodes.codes_grib_new_from_samples("regular_ll_sfc_grib2")
            eccodes.codes_set(handle, "dataDate", 20240101 + day)
            n = eccodes.codes_get(handle, "numberOfValues")
            eccodes.codes_set_values(handle, np.linspace(250.0, 300.0, n) + day)
            eccodes.codes_write(handle, f)
            eccodes.codes_release(handle)
    return path
