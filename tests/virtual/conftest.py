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


# -- remote sources, all on 127.0.0.1 ------------------------------------------------
def _make_handler(directory: Path):
    """An http.server handler for static files with Range, ETag and If-Match, as real servers answer."""
    import email.utils
    import http.server

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(directory), **kwargs)

        def log_message(self, *args):  # keep test output quiet
            pass

        def _send(self, head_only: bool) -> None:
            path = Path(self.translate_path(self.path))
            if not path.is_file():
                self.send_error(404)
                return
            st = path.stat()
            etag = f'"{st.st_size:x}-{st.st_mtime_ns:x}"'
            if self.headers.get("If-Match") not in (None, etag):
                self.send_error(412)
                return
            data = path.read_bytes()
            status, body = 200, data
            rng = self.headers.get("Range")
            if rng and rng.startswith("bytes="):
                first, _, last = rng[len("bytes="):].partition("-")
                start = int(first) if first else max(len(data) - int(last), 0)
                end = min(int(last), len(data) - 1) if (first and last) else len(data) - 1
                status, body = 206, data[start : end + 1]
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", email.utils.formatdate(st.st_mtime, usegmt=True))
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
            self.end_headers()
            if not head_only:
                self.wfile.write(body)

        def do_GET(self):
            self._send(head_only=False)

        def do_HEAD(self):
            self._send(head_only=True)

    return Handler


@pytest.fixture
def http_root(tmp_path: Path):
    """(directory served, base URL): a local http.server on 127.0.0.1 with ranged, conditional GETs."""
    import http.server
    import threading

    served = tmp_path / "www"
    served.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(served))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def _moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.get_host_and_port()[1]}"
    finally:
        server.stop()


@pytest.fixture
def s3_bucket(_moto_server, monkeypatch, tmp_path):
    """A fresh bucket on a loopback S3-compatible server (moto), reached through the standard AWS settings.

    Yields (boto3 client, bucket name). Credentials and endpoint come from the
    environment as a user would set them; no ~/.aws file of the machine is read.
    """
    import secrets

    import boto3

    from arraylake_nb.storage import S3RangeReader, set_reader

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_ENDPOINT_URL_S3", _moto_server)
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    set_reader(S3RangeReader())  # a client made with these settings
    client = boto3.session.Session().client("s3")
    bucket = f"virtual-{secrets.token_hex(4)}"
    client.create_bucket(Bucket=bucket)
    yield client, bucket
    set_reader(S3RangeReader())
