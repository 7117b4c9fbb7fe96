"""Tree, status, diff and fsck mark virtual arrays and name their sources, in every rendering."""

from __future__ import annotations

import os

import pytest
import zarr

from arraylake_nb import display

pytestmark = pytest.mark.filterwarnings("ignore:Numcodecs codecs are not in the Zarr version 3")


def test_tree_status_and_diff_name_the_sources(client, netcdf4_file):
    repo = client.create_repo("d/marks")
    zarr.create_array(repo.store, name="native", shape=(2,), dtype="i4")[:] = [1, 2]
    first = repo.commit("native only")
    repo.add_virtual_netcdf(netcdf4_file, "sample")

    status = repo.status()
    by_path = {n.path: n for n in status.nodes}
    assert by_path["sample/temp"].virtual_sources == (netcdf4_file.resolve().as_uri(),)
    assert by_path["sample/temp"].describe() == "created, 24 chunks written, virtual: sample4.nc"
    assert by_path["native"].virtual_sources == () if "native" in by_path else True
    assert "virtual: sample4.nc" in display.text(status)
    assert display.to_json(status)["nodes"][-1]["virtual_sources"] in ([], [netcdf4_file.resolve().as_uri()])

    second = repo.commit("reference sample4.nc")
    tree = repo.tree()
    labels = {n.path: n.label for n in tree.root.children[0].children} | {
        c.path: c.label for c in tree.root.children[1:]}
    assert labels["sample/temp"] == "🇦 temp (6, 20, 24) float32 ⇢ virtual: sample4.nc"
    assert labels["native"] == "🇦 native (2,) int32"
    html = display.html(tree)
    assert "⇢ virtual: sample4.nc" in html and "native (2,) int32</li>" in html
    doc = display.to_json(tree)
    sample = next(c for c in doc["root"]["children"] if c["path"] == "sample")
    assert {c["path"]: c["virtual_sources"] for c in sample["children"]}["sample/temp"] == [
        netcdf4_file.resolve().as_uri()]

    diff = repo.diff(first, second)
    assert diff.virtual["sample/temp"] == (netcdf4_file.resolve().as_uri(),)
    assert "➕ array sample/temp ⇢ virtual: sample4.nc" in display.text(diff)
    assert "⇢ virtual: sample4.nc" in display.html(diff)
    assert {"path": "sample/temp", "sources": [netcdf4_file.resolve().as_uri()]} in display.to_json(diff)["virtual"]

    # Overwriting every chunk natively: the array is no longer virtual in the session.
    arr = zarr.open_array(repo.store, path="sample/station", mode="r+")
    arr[:] = arr[:]
    assert {n.path: n.virtual_sources for n in repo.status().nodes}["sample/station"] == ()


def test_fsck_report_names_changed_sources_in_every_rendering(client, netcdf4_file):
    repo = client.create_repo("d/fsck")
    repo.add_virtual_netcdf(netcdf4_file, "sample")
    repo.commit("ref")
    ok = repo.fsck()
    assert display.text(ok).startswith("✅ 0 chunks and 1 virtual source(s) verified, no problems")
    st = os.stat(netcdf4_file)
    os.utime(netcdf4_file, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    bad = repo.fsck()
    location = netcdf4_file.resolve().as_uri()
    text = " ".join(display.text(bad).split())  # the terminal rendering wraps long lines
    assert "1 virtual source(s) changed or unreachable" in text and "virtual source: file://" in text
    assert location in display.html(bad)
    doc = display.to_json(bad)
    assert doc["ok"] is False and doc["checked_sources"] == 1
    assert doc["bad_sources"][0]["location"] == location
    assert "changed since it was referenced by array 'sample/" in doc["bad_sources"][0]["problem"]


def test_panel_views_carry_the_sources(client, netcdf4_file):
    from arraylake_nb import views

    repo = client.create_repo("d/views")
    repo.add_virtual_netcdf(netcdf4_file, "sample")
    repo.commit("ref")
    location = netcdf4_file.resolve().as_uri()
    listed = {c["path"]: c["virtual_sources"] for c in views.children(repo, path="sample")["children"]}
    assert listed["sample/temp"] == [location]
    info = views.node_info(repo, path="sample/temp")
    assert info["virtual_sources"] == [location] and info["array"]["chunks_stored"] == 24
    assert views.node_info(repo, path="sample")["virtual_sources"] == []
