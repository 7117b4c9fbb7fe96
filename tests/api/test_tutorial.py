"""The seed tutorial (../shared/reference/arraylake-guide-manage-zarr-data.txt), step by step.

Only the import line differs from the tutorial (and the array's name, which the
reference's text lost in extraction but its tree output shows: "temperature").
"""

from __future__ import annotations

import numpy as np
import pytest


def test_manage_zarr_data_tutorial(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("ARRAYLAKE_NB_ROOT", str(tmp_path))
    from arraylake_nb import Client

    client = Client()
    repo = client.create_repo("earthmover/ocean")
    assert repr(repo).startswith("<arraylake_nb.Repo 'earthmover/ocean'")  # then where the checkout stands
    status = repo.status()
    assert "🧊 Using repo earthmover/ocean" in str(status) and "No changes in current session" in str(status)

    assert dict(repo.root_group.attrs) == {}
    repo.root_group.attrs["title"] = "Ocean Data Repository 🐳"
    assert dict(repo.root_group.attrs) == {"title": "Ocean Data Repository 🐳"}
    assert "📝 zarr.json" in str(repo.status())

    cid = repo.commit("My first commit 🥹")
    assert [c.message for c in repo.commit_log] == ["My first commit 🥹"]

    repo.root_group.attrs["description"] = "Data about the ocean."
    repo.commit("Added description field")
    assert len(repo.commit_log) == 2

    with pytest.warns(UserWarning, match="You are not on a branch tip, so you can't commit changes."):
        repo.checkout(cid)
    assert dict(repo.root_group.attrs) == {"title": "Ocean Data Repository 🐳"}
    repo.checkout()
    assert dict(repo.root_group.attrs) == {
        "description": "Data about the ocean.",
        "title": "Ocean Data Repository 🐳",
    }

    atlantic_group = repo.root_group.create_group("atlantic")
    atlantic_group.attrs["title"] = "Atlantic Ocean"
    temperature_array = atlantic_group.create("temperature", shape=100, chunks=10, dtype="f4", fill_value=np.nan)
    temperature_array.attrs["name"] = "Atlantic Ocean Temperature"
    temperature_array.attrs["units"] = "degrees Celsius"
    tree = str(repo.tree())
    assert "📁 atlantic" in tree and "🇦 temperature (100,) float32" in tree
    assert np.isnan(temperature_array[:]).all()

    temperature_array[:50] = 10.0
    modified = {k for k, _ in repo.status().modified_paths}
    assert {f"atlantic/temperature/c/{i}" for i in range(5)} <= modified
    repo.commit("Created a group and array")

    info = str(temperature_array.info_complete())
    assert "Chunks Initialized : 5" in info and "Shape              : (100,)" in info

    repo.root_group.atlantic.temperature.resize(200)
    assert repo.root_group.atlantic.temperature.shape == (200,)
    repo.root_group.atlantic.temperature[100:] = 99
    modified = {k for k, _ in repo.status().modified_paths}
    assert "atlantic/temperature/zarr.json" in modified
    assert {f"atlantic/temperature/c/{i}" for i in range(10, 20)} <= modified
    repo.commit("extended temperature array")

    atlantic = repo.root_group.atlantic
    atlantic.move("temperature", "temperature_array")
    repo.root_group.move("atlantic", "atlantic_group")
    status = repo.status().modified_paths
    assert ("atlantic_group/temperature_array/zarr.json", False) in status
    assert ("atlantic/temperature/zarr.json", True) in status
    repo.commit("Moved group and array")
    data = repo.root_group.atlantic_group.temperature_array[:]
    assert (data[:50] == 10).all() and np.isnan(data[50:100]).all() and (data[100:] == 99).all()

    del repo.root_group.atlantic_group["temperature_array"]
    assert "temperature_array" not in str(repo.tree())
    del repo.root_group["atlantic_group"]
    assert "atlantic_group" not in str(repo.tree())

    client.delete_repo("earthmover/ocean", imsure=True, imreallysure=True)
    assert client.list_repos() == []
