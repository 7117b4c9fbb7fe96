"""The same sources over HTTP (a local http.server) and S3 (moto on 127.0.0.1): added, read back, checked."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import xarray as xr
import zarr
from virtual_helpers import fresh, virtual_refs

from arraylake_nb.errors import VirtualDatasetError, VirtualSourceChangedError, VirtualSourceMissingError

pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3")


def test_netcdf4_over_http_reads_back_and_notices_changes(client, netcdf4_file, netcdf3_file, http_root):
    served, base = http_root
    shutil.copy(netcdf4_file, served / "sample4.nc")
    repo = client.create_repo("r/http")
    repo.add_virtual_netcdf(f"{base}/sample4.nc", "sample")
    repo.commit("over http")
    got = fresh(client, repo).to_xarray("sample").load()
    with xr.open_dataset(netcdf4_file) as expected:
        xr.testing.assert_identical(got, expected.load())
    refs = virtual_refs(repo, "sample/")
    assert {r.location for r in refs} == {f"{base}/sample4.nc"}
    assert all(r.fingerprint.startswith("etag=") for r in refs)

    # Replaced on the server (new ETag): never read as the old data.
    shutil.copy(netcdf3_file, served / "sample4.nc")
    with pytest.raises(VirtualSourceChangedError, match=r"sample4\.nc of array 'sample/temp'"):
        zarr.open_array(repo.store, path="sample/temp", mode="r")[:]
    (served / "sample4.nc").unlink()
    with pytest.raises(VirtualSourceMissingError, match="HTTP 404"):
        zarr.open_array(repo.store, path="sample/temp", mode="r")[:]
    assert list(repo.fsck().bad_sources) == [f"{base}/sample4.nc"]


def test_kerchunk_references_and_netcdf3_over_http(client, netcdf4_file, netcdf3_file, http_root):
    import kerchunk.hdf

    served, base = http_root
    shutil.copy(netcdf4_file, served / "k.nc")
    shutil.copy(netcdf3_file, served / "three.nc")
    refs = kerchunk.hdf.SingleHdf5ToZarr(str(netcdf4_file), inline_threshold=0).translate()
    text = json.dumps(refs).replace(json.dumps(str(netcdf4_file))[1:-1], f"{base}/k.nc")
    repo = client.create_repo("r/kerchunk-http")
    repo.add_kerchunk_references(json.loads(text), "k")
    repo.commit("refs over http")
    with xr.open_dataset(netcdf4_file) as expected:
        np.testing.assert_array_equal(repo.to_xarray("k")["temp"].values, expected["temp"].values)
    assert {r.location for r in virtual_refs(repo, "k/")} == {f"{base}/k.nc"}
    repo.add_virtual_netcdf(f"{base}/three.nc", "three")
    repo.commit("netCDF3 over http")
    with xr.open_dataset(netcdf3_file) as expected:
        xr.testing.assert_identical(fresh(client, repo).to_xarray("three").load(), expected.load())
    assert {r.location for r in virtual_refs(repo, "three/")} == {f"{base}/three.nc"}
    zarr.open_group(str(served / "s.zarr"), mode="w", zarr_format=2).create_array("a", shape=(2,), dtype="i4")
    with pytest.raises(VirtualDatasetError, match="Zarr stores over HTTP need a server that lists directories"):
        repo.add_virtual_zarr(f"{base}/s.zarr", "store")
    (served / "notes.txt").write_text("neither netCDF nor HDF5")
    with pytest.raises(VirtualDatasetError, match="neither a netCDF4/HDF5 nor a netCDF3"):
        repo.add_virtual_netcdf(f"{base}/notes.txt", "notes")
    assert not repo._require_state().has_changes


def test_netcdf4_and_zarr_over_s3(client, netcdf4_file, zarr_v2_store, s3_bucket):
    s3, bucket = s3_bucket
    s3.upload_file(str(netcdf4_file), bucket, "data/sample4.nc")
    store_path, values = zarr_v2_store
    for f in store_path.rglob("*"):
        if f.is_file():
            s3.upload_file(str(f), bucket, f"stores/v2.zarr/{f.relative_to(store_path)}")
    repo = client.create_repo("r/s3")
    repo.add_virtual_netcdf(f"s3://{bucket}/data/sample4.nc", "sample")
    repo.add_virtual_zarr(f"s3://{bucket}/stores/v2.zarr", "store")
    repo.commit("over s3")
    again = fresh(client, repo)
    with xr.open_dataset(netcdf4_file) as expected:
        xr.testing.assert_identical(again.to_xarray("sample").load(), expected.load())
    np.testing.assert_array_equal(zarr.open_array(again.store, path="store/a", mode="r")[:], values)
    assert all(r.fingerprint.startswith('etag="') for r in virtual_refs(again, ""))
    assert again.fsck().ok and again.fsck().checked_sources == 1 + 9

    s3.put_object(Bucket=bucket, Key="data/sample4.nc", Body=b"overwritten")
    with pytest.raises(VirtualSourceChangedError, match=rf"s3://{bucket}/data/sample4.nc of array 'sample/"):
        again.to_xarray("sample")
    s3.delete_object(Bucket=bucket, Key="stores/v2.zarr/a/0.0")
    with pytest.raises(VirtualSourceMissingError, match=r"v2.zarr/a/0.0 of array 'store/a'"):
        zarr.open_array(again.store, path="store/a", mode="r")[:]
    bad = again.fsck().bad_sources
    assert set(bad) == {f"s3://{bucket}/data/sample4.nc", f"s3://{bucket}/stores/v2.zarr/a/0.0"}


def test_a_missing_s3_object_is_a_clear_error_and_changes_nothing(client, s3_bucket):
    _, bucket = s3_bucket
    repo = client.create_repo("r/s3-missing")
    with pytest.raises(VirtualSourceMissingError, match=f"s3://{bucket}/nothing.nc"):
        repo.add_virtual_netcdf(f"s3://{bucket}/nothing.nc", "x")
    assert not repo._require_state().has_changes


def test_many_ranges_over_http_and_s3_come_back_in_order(tmp_path, http_root, s3_bucket):
    from arraylake_nb.storage import reader_for

    payload = bytes(range(256)) * 64
    served, base = http_root
    (served / "blob.bin").write_bytes(payload)
    s3, bucket = s3_bucket
    s3.put_object(Bucket=bucket, Key="blob.bin", Body=payload)
    ranges = [(i * 300, 100 + i) for i in range(40)]
    for location in (f"{base}/blob.bin", f"s3://{bucket}/blob.bin"):
        reader = reader_for(location)
        fp = reader.fingerprint(location)
        assert reader.read_ranges(location, ranges, fp) == [payload[o : o + n] for o, n in ranges]
        with pytest.raises(VirtualSourceChangedError, match="past its end"):
            reader.read(location, len(payload) - 10, 20, fp)


def test_tiff_over_http_and_s3(client, tiff_files, http_root, s3_bucket):
    pyramid, levels = tiff_files["pyramid"]
    served, base = http_root
    shutil.copy(pyramid, served / "pyramid.tif")
    s3, bucket = s3_bucket
    s3.upload_file(str(pyramid), bucket, "img/pyramid.tif")
    repo = client.create_repo("r/tiff")
    repo.add_virtual_tiff(f"{base}/pyramid.tif", "http", "scene")
    repo.add_virtual_tiff(f"s3://{bucket}/img/pyramid.tif", "s3", "scene")
    repo.commit("tiffs from afar")
    again = fresh(client, repo)
    for where in ("http", "s3"):
        for i, level in enumerate(levels):
            np.testing.assert_array_equal(zarr.open_array(again.store, path=f"{where}/scene/{i}", mode="r")[:], level)
    assert {r.location for r in virtual_refs(again, "s3/")} == {f"s3://{bucket}/img/pyramid.tif"}
    assert {r.location for r in virtual_refs(again, "http/")} == {f"{base}/pyramid.tif"}


def test_grib_and_netcdf3_over_s3(client, grib_file, netcdf3_file, s3_bucket):
    s3, bucket = s3_bucket
    s3.upload_file(str(grib_file), bucket, "grib/two.grib2")
    s3.upload_file(str(netcdf3_file), bucket, "nc/three.nc")
    repo = client.create_repo("r/s3-grib")
    repo.add_virtual_grib(f"s3://{bucket}/grib/two.grib2", "forecast")
    repo.add_virtual_netcdf(f"s3://{bucket}/nc/three.nc", "three")
    repo.commit("grib and netCDF3 from s3")
    again = fresh(client, repo)
    with xr.open_dataset(grib_file, engine="cfgrib", backend_kwargs={"indexpath": ""}) as expected:
        np.testing.assert_allclose(again.to_xarray("forecast")["t"].values, expected["t"].values, rtol=1e-6)
    with xr.open_dataset(netcdf3_file) as expected:
        xr.testing.assert_identical(again.to_xarray("three").load(), expected.load())
    assert {r.location for r in virtual_refs(again, "forecast/")} == {f"s3://{bucket}/grib/two.grib2"}
