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
