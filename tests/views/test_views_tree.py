"""views.children and views.node_info against real repositories."""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from arraylake_nb import views
from arraylake_nb.errors import NodeNotFoundError, RefNotFoundError


@pytest.fixture
def ocean(repo):
    root = repo.root_group
    root.attrs["title"] = "Ocean"
    atl = root.create_group("atlantic")
    atl.attrs.update({"depth": float("nan"), "max": float("inf"), "levels": [1, 2]})
    t = atl.create_array("temperature", shape=(10, 8), chunks=(4, 4), dtype="f4", fill_value=np.nan,
                         dimension_names=["lat", "lon"])
    t[:4, :4] = 1.5
    t.attrs["units"] = "C"
    atl.create_group("deep").create_array("salinity", shape=(3,), chunks=(2,), dtype="i2")
    root.create_array("sharded", shape=(8, 8), chunks=(2, 2), shards=(4, 4), dtype="u1", fill_value=0)[:] = 1
    zarr.create_array(repo.store, name="legacy", shape=(6,), chunks=(3,), dtype="i4", zarr_format=2)
    first = repo.commit("ocean")
    return repo, first


def test_children_lists_one_level(ocean, strict_json) -> None:
    repo, _ = ocean
    top = strict_json(views.children(repo))
    assert top["type"] == "node_children" and top["path"] == "" and top["kind"] == "group"
    assert [(c["name"], c["kind"], c["has_children"]) for c in top["children"]] == [
        ("atlantic", "group", True), ("sharded", "array", False)
    ]  # zarr format 2 nodes are not listed
    atl = views.children(repo, None, "/atlantic/")["children"]
    assert [c["path"] for c in atl] == ["atlantic/deep", "atlantic/temperature"]
    temp = atl[1]
    assert (temp["shape"], temp["dtype"], temp["chunks"]) == ([10, 8], "float32", [4, 4])
    assert views.children(repo, None, "atlantic/temperature")["children"] == []
    assert views.children(repo, "main", "atlantic/deep")["children"][0]["name"] == "salinity"


def test_children_of_other_versions_and_the_session(ocean) -> None:
    repo, first = ocean
    del repo.root_group["atlantic/deep"]
    repo.root_group.create_group("pacific")
    now = [c["name"] for c in views.children(repo)["children"]]
    assert now == ["atlantic", "pacific", "sharded"]
    assert [c["name"] for c in views.children(repo, first)["children"]] == ["atlantic", "sharded"]
    assert [c["name"] for c in views.children(repo, None, "atlantic")["children"]] == ["temperature"]
    with pytest.raises(NodeNotFoundError, match="views.children"):
        views.children(repo, None, "atlantic/deep")
    with pytest.raises(RefNotFoundError, match="Branches: main"):
        views.children(repo, "nope")


def test_node_info_of_an_array(ocean, strict_json) -> None:
    repo, _ = ocean
    info = strict_json(views.node_info(repo, "main", "atlantic/temperature"))
    assert info["type"] == "node_info" and info["kind"] == "array" and info["attributes"] == {"units": "C"}
    a = info["array"]
    assert (a["shape"], a["dtype"], a["chunk_shape"], a["chunk_grid"], a["chunks_total"]) == (
        [10, 8], "float32", [4, 4], [3, 2], 6
    )
    assert a["shard_grid"] is None
    assert (a["chunks_stored"], a["chunks_stored_total"]) == (1, 6) and a["nbytes"] == 320
    assert a["bytes_stored"] > 0
    repo.root_group["atlantic/temperature"][8:, 4:] = 2.0  # uncommitted: counted for the checkout only
    now = views.node_info(repo, None, "atlantic/temperature")["array"]
    assert now["chunks_stored"] == 2 and now["bytes_stored"] > a["bytes_stored"]
    assert views.node_info(repo, "main", "atlantic/temperature")["array"]["chunks_stored"] == 1
    assert a["fill_value"] == "NaN" and a["dimension_names"] == ["lat", "lon"] and a["shard_shape"] is None
    assert [c["name"] for c in a["codecs"]] == ["bytes", "zstd"]
    sharded = views.node_info(repo, None, "sharded")["array"]
    assert sharded["shard_shape"] == [4, 4] and sharded["codecs"][0]["name"] == "sharding_indexed"
    assert sharded["shard_grid"] == [2, 2] and sharded["chunk_grid"] == [4, 4]
    assert sharded["chunks_total"] == 16 and sharded["chunks_stored"] == sharded["chunks_stored_total"] == 4
    with pytest.raises(NodeNotFoundError):  # zarr format 2 nodes are not part of the tree, as in repo.tree
        views.node_info(repo, None, "legacy")


def test_node_info_of_groups_keeps_attributes_json_safe(ocean, strict_json) -> None:
    repo, _ = ocean
    info = strict_json(views.node_info(repo, None, "atlantic"))
    assert info["array"] is None and info["has_children"] is True
    assert info["attributes"] == {"depth": "NaN", "max": "Infinity", "levels": [1, 2]}
    assert views.node_info(repo)["attributes"] == {"title": "Ocean"}
    with pytest.raises(NodeNotFoundError):
        views.node_info(repo, None, "atlantic/nothing")
