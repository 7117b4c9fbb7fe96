"""add_kerchunk_references, add_virtual_netcdf and add_virtual_hdf on local files: added, committed, read back."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr
from virtual_helpers import fresh, virtual_refs

from arraylake_nb import AsyncRepo
from arraylake_nb.engine.values import ChunkRef, VirtualRef
from arraylake_nb.errors import (
    InvalidNameError,
    NodeExistsError,
    VirtualDatasetError,
    VirtualSourceChangedError,
    VirtualSourceMissingError,
)

pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3")


@pytest.mark.parametrize("which", ["netcdf4_file", "netcdf3_file"])
def test_add_virtual_netcdf_reads_back_as_open_dataset(request, client, which):
    source: Path = request.getfixturevalue(which)
    repo = client.create_repo("v/netcdf")
    repo.add_virtual_netcdf(str(source), "data/sample")
    repo.commit(f"reference {source.name}")
    again = fresh(client, repo)
    got = again.to_xarray("data/sample")
    with xr.open_dataset(source) as expected:
        xr.testing.assert_identical(got.load(), expected.load())
    refs = virtual_refs(again, "data/sample/")
    assert refs and {r.location for r in refs} == {source.resolve().as_uri()}
    # Missing parents are created, up to the root group, as zarr does.
    assert list(zarr.open_group(again.store, mode="r").group_keys()) == ["data"]
    assert all(r.fingerprint.startswith("size=") for r in refs)


def test_netcdf4_chunks_stay_in_the_file(client, netcdf4_file):
    repo = client.create_repo("v/nc4")
    repo.add_virtual_netcdf(netcdf4_file, "sample")
    repo.commit("ref")
    # temp is (6, 20, 24) in (1, 10, 12) chunks: 24 byte ranges of the file, nothing copied.
    temp = [v for k, v in repo._require_state().iter_items("sample/temp/") if not k.endswith("zarr.json")]
    assert len(temp) == 24 and all(isinstance(v, VirtualRef) for v in temp)
    assert not any(repo.path.joinpath("chunks").rglob("*?" * 10))


def test_add_virtual_hdf_keeps_groups_filters_and_attributes(client, hdf5_file):
    source, data = hdf5_file
    repo = client.create_repo("v/hdf")
    repo.add_virtual_hdf(f"file://{source}", "h5")
    repo.commit("ref")
    group = zarr.open_group(fresh(client, repo).store, path="h5", mode="r")
    assert group.attrs["source"] == "h5py"
    for name, values in data.items():
        np.testing.assert_array_equal(group[name][:], values)


def test_add_kerchunk_references_dict_and_json_file(tmp_path, client, netcdf4_file):
    import kerchunk.hdf

    # station's 40 bytes are inlined, the rest are byte ranges.
    refs = kerchunk.hdf.SingleHdf5ToZarr(str(netcdf4_file), inline_threshold=64).translate()
    assert any(isinstance(v, str) and not k.endswith((".zarray", ".zattrs", ".zgroup")) for k, v in
               refs["refs"].items()), "kerchunk inlines small chunks: the test covers them"
    json_file = tmp_path / "refs.json"
    json_file.write_text(json.dumps(refs))
    repo = client.create_repo("v/kerchunk")
    repo.add_kerchunk_references(refs, "from_dict")
    repo.add_kerchunk_references(str(json_file), "from_json")
    repo.commit("kerchunk")
    again = fresh(client, repo)
    with xr.open_dataset(netcdf4_file) as expected:
        for path in ("from_dict", "from_json"):
            got = again.to_xarray(path).load()
            np.testing.assert_array_equal(got["temp"].values, expected["temp"].values)
            np.testing.assert_array_equal(got["lat"].values, expected["lat"].values)
            assert got.attrs["title"] == expected.attrs["title"]
    # Inline values are stored natively, byte ranges virtually.
    kinds = {type(v) for _, v in again._require_state().iter_items("from_dict/") if not isinstance(v, bytes)}
    assert {ChunkRef, VirtualRef} <= kinds


def test_a_source_changed_after_referencing_raises(client, netcdf4_file):
    repo = client.create_repo("v/changed")
    repo.add_virtual_netcdf(netcdf4_file, "sample")
    repo.commit("ref")
    st = os.stat(netcdf4_file)
    with open(netcdf4_file, "r+b") as f:  # same size, one byte different
        f.seek(st.st_size - 1)
        last = f.read(1)
        f.seek(st.st_size - 1)
        f.write(bytes([last[0] ^ 0xFF]))
    os.utime(netcdf4_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    # Opening decodes the time coordinate, which already reads the changed file.
    with pytest.raises(VirtualSourceChangedError, match=r"sample4\.nc of array 'sample/\w+' \(chunk c/"):
        repo.to_xarray("sample")["temp"].values  # noqa: B018
    with pytest.raises(VirtualSourceChangedError, match=r"sample4\.nc of array 'sample/temp' \(chunk c/0/1/1\)"):
        zarr.open_array(repo.store, path="sample/temp", mode="r")[0, 10:, 12:]
    assert not repo.fsck().ok


def _unchanged(repo) -> None:
    assert not repo._require_state().has_changes
    assert repo.status().total == 0


def test_bad_inputs_raise_clear_errors_and_leave_the_repository_unchanged(tmp_path, client, netcdf4_file):
    repo = client.create_repo("v/bad")
    with pytest.raises(VirtualSourceMissingError, match="nope.nc"):
        repo.add_virtual_netcdf(tmp_path / "nope.nc", "a")
    text = tmp_path / "notes.txt"
    text.write_text("not a netCDF file at all")
    with pytest.raises(VirtualDatasetError, match="neither a netCDF4/HDF5 nor a netCDF3"):
        repo.add_virtual_netcdf(text, "a")
    with pytest.raises(VirtualDatasetError, match="not an HDF5 file"):
        repo.add_virtual_hdf(text, "a")
    with pytest.raises(VirtualDatasetError, match="Unsupported location"):
        repo.add_virtual_netcdf("ftp://example.org/x.nc", "a")
    with pytest.raises(VirtualDatasetError, match="storage_options"):
        repo.add_virtual_netcdf(netcdf4_file, "a", storage_options={})
    for key in ("templates", "gen"):
        with pytest.raises(VirtualDatasetError, match=f"{key!r} are not supported"):
            repo.add_kerchunk_references({"version": 1, key: {"u": "x"}, "refs": {".zgroup": "{}"}}, "a")
    with pytest.raises(VirtualDatasetError, match="version 2"):
        repo.add_kerchunk_references({"version": 2, "refs": {".zgroup": "{}"}}, "a")
    with pytest.raises(VirtualDatasetError, match="does not hold JSON"):
        repo.add_kerchunk_references(str(text), "a")
    with pytest.raises(VirtualSourceMissingError):
        repo.add_kerchunk_references({"version": 1, "refs": {
            ".zgroup": '{"zarr_format": 2}',
            "v/.zarray": '{"chunks": [2], "compressor": null, "dtype": "<i4", "fill_value": 0, "filters": null, '
                         '"order": "C", "shape": [2], "zarr_format": 2}',
            "v/.zattrs": '{"_ARRAY_DIMENSIONS": ["x"]}',
            "v/0": [str(tmp_path / "gone.bin"), 0, 8]}}, "a")
    for escaping in ("../outside", "a/../../b"):
        with pytest.raises(InvalidNameError, match="may not be empty, '.' or '..'"):
            repo.add_virtual_netcdf(netcdf4_file, escaping)
    _unchanged(repo)
    repo.add_virtual_netcdf(netcdf4_file, "taken")
    repo.commit("one")
    with pytest.raises(NodeExistsError, match="'taken' already exists"):
        repo.add_virtual_netcdf(netcdf4_file, "taken")
    _unchanged(repo)


async def test_async_repo_methods_are_coroutines(client, netcdf4_file, netcdf3_file):
    arepo = AsyncRepo._wrapping(client.create_repo("v/async"))
    await arepo.add_virtual_netcdf(netcdf4_file, "four")
    import kerchunk.netCDF3

    refs = kerchunk.netCDF3.NetCDF3ToZarr(str(netcdf3_file), inline_threshold=0).translate()
    await arepo.add_kerchunk_references(refs, "three")
    await arepo.commit("async")
    with xr.open_dataset(netcdf4_file) as expected:
        xr.testing.assert_identical(arepo.sync.to_xarray("four").load(), expected.load())
    with xr.open_dataset(netcdf3_file) as expected:
        np.testing.assert_array_equal(arepo.sync.to_xarray("three")["temp"].values, expected["temp"].values)
    assert not hasattr(arepo, "add_virtual_hdf")
