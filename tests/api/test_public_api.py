"""The public API the front ends build on: transactions, metadata, paging, hooks, constructors."""

from __future__ import annotations

import asyncio
import inspect

import numpy as np
import pytest

from arraylake_nb import AsyncRepo, Client, Repo
from arraylake_nb.api import hooks
from arraylake_nb.engine.metastore import Metastore
from arraylake_nb.errors import NothingToCommitWarning, RefNotFoundError, SessionError
from arraylake_nb.models import CommitData, CommitPage
from arraylake_nb.storage import LocalChunkStorage


def _array(repo: Repo):
    return repo.root_group.require_array("a", shape=(8,), chunks=(2,), dtype="i4", fill_value=0)


def test_transaction_commits_on_success(repo: Repo) -> None:
    with repo.transaction("fill", metadata={"why": "test"}) as tx:
        _array(repo)[:] = 1
    assert tx.commit_id is not None and not tx.included_earlier_changes
    c = repo.get_commit(tx.commit_id)
    assert c.message == "fill" and c.metadata["why"] == "test"
    assert repo.root_group["a"][:].tolist() == [1] * 8


def test_transaction_rolls_back_exactly_its_changes(repo: Repo) -> None:
    _array(repo)[:2] = 5  # before the transaction: kept
    with pytest.raises(ZeroDivisionError), repo.transaction("fails") as tx:
        repo.root_group["a"][2:6] = 7
        repo.root_group.attrs["x"] = 1
        1 / 0  # noqa: B018
    assert tx.commit_id is None and tx.rolled_back_changes == 3  # two chunks and the group document
    assert repo.root_group["a"][:].tolist() == [5, 5, 0, 0, 0, 0, 0, 0]
    assert "x" not in repo.root_group.attrs
    with repo.transaction("after") as tx2:
        repo.root_group["a"][7] = 9
    assert tx2.included_earlier_changes
    assert Client(root=repo.path.parents[1]).get_repo(repo.name).root_group["a"][:].tolist() == [5, 5, 0, 0, 0, 0, 0, 9]


def test_transaction_refuses_a_read_only_checkout(repo: Repo) -> None:
    _array(repo)[:] = 1
    cid = repo.commit("one")
    with pytest.warns(UserWarning):
        repo.checkout(cid)
    with pytest.raises(Exception, match="read-only"), repo.transaction("nope"):
        pass


def test_transaction_that_switches_session_commits_nothing(repo: Repo) -> None:
    _array(repo)[:] = 1
    with pytest.raises(SessionError, match="switched to another session"), repo.transaction("switch"):
        repo.commit("inner")
        repo.root_group["a"][0] = 3
    assert [c.message for c in repo.commit_log] == ["inner"]


def test_commit_metadata_providers_and_explicit_metadata(repo: Repo) -> None:
    def provider() -> dict[str, str]:
        return {"cell": "x = 1", "from": "provider"}

    hooks.add_commit_metadata_provider(provider)
    try:
        _array(repo)[:] = 1
        cid = repo.commit("with provider", metadata={"from": "explicit"})
    finally:
        hooks.remove_commit_metadata_provider(provider)
    assert repo.get_commit(cid).metadata == {"cell": "x = 1", "from": "explicit"}
    repo.root_group["a"][:] = 2
    assert repo.get_commit(repo.commit("without")).metadata == {}


def test_progress_hook_reports_large_commits(repo: Repo) -> None:
    seen: list[tuple[int, str, int]] = []

    from contextlib import contextmanager

    @contextmanager
    def reporter(total: int, description: str):
        steps = [0]
        yield lambda n=1: steps.__setitem__(0, steps[0] + n)
        seen.append((total, description, steps[0]))

    hooks.set_progress(reporter)
    try:
        a = repo.root_group.create_array("big", shape=(12_000,), chunks=(1,), dtype="u1", compressors=None)
        a[:] = 1
        repo.commit("big")
    finally:
        hooks.set_progress(None)
    assert any(d == "Preparing commit" and total >= 12_000 and steps == total for total, d, steps in seen)


def test_log_pages_tile_the_history_without_overlap(repo: Repo) -> None:
    ids = []
    for i in range(23):
        _array(repo)[:] = i + 1
        ids.append(repo.commit(f"c{i}"))
    pages, cursor = [], None
    while True:
        page = repo.log_page(limit=5, cursor=cursor)
        assert isinstance(page, CommitPage) and page.total == 23 if cursor is None else True
        pages.append([c.id for c in page.commits])
        cursor = page.next_cursor
        if cursor is None:
            break
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [c for p in pages for c in p] == ids[::-1]
    assert [c.id for c in repo.log_page("main", limit=2).commits] == ids[::-1][:2]
    with pytest.raises(RefNotFoundError):
        repo.log_page(cursor="0" * 24)
    with pytest.raises(ValueError):
        repo.log_page(limit=0)
    assert "Next page" in str(repo.log_page(limit=5))


def test_commit_data_has_commits_branches_and_tags(repo: Repo) -> None:
    _array(repo)[:] = 1
    cid = repo.commit("one")
    repo.tag("v1")
    repo.new_branch("dev")
    data = repo.commit_data(refresh=True)
    assert isinstance(data, CommitData) and data.head == cid
    assert [c.id for c in data.commits] == [cid]
    assert set(data.branches.names) == {"main", "dev"} and data.tags.names == ["v1"]
    assert cid[:8] in data._repr_html_()


def test_seed_constructors_open_a_repository_from_its_parts(client: Client) -> None:
    repo = client.create_repo("org/parts")
    _array(repo)[:] = 3
    cid = repo.commit("data")
    author = repo.author
    ms = Metastore(repo.path / "metastore.duckdb")
    chunks = LocalChunkStorage(repo.path / "chunks", durability="none")
    sync = Repo.from_metastore_and_chunkstore(ms, chunks, "org/parts", author)
    sync.checkout("main")
    assert sync.root_group["a"][:].tolist() == [3] * 8
    sync.root_group["a"][0] = 4
    assert sync.commit("through parts") is not None

    async def run() -> list[str]:
        arepo = AsyncRepo(ms, chunks, "org/parts", author)
        await arepo.checkout("main")
        log = await arepo.commit_log()
        data = await arepo.commit_data()
        assert data.head == log[0].id
        return [c.message for c in log]

    assert asyncio.run(run()) == ["through parts", "data"]
    assert cid in [c.id for c in client.get_repo("org/parts").commit_log]


def test_async_repo_offers_every_repo_verb_as_a_coroutine(client: Client) -> None:
    # add_virtual_hdf: the Repo API reference gives AsyncRepo every add_virtual_* method but this one.
    sync_only = {"from_metastore_and_chunkstore", "name", "path", "author", "session", "store", "root_group",
                 "transaction", "to_xarray", "log", "add_virtual_hdf"}
    verbs = {n for n in vars(Repo) if not n.startswith("_") and n not in sync_only}
    for name in verbs:
        target = getattr(Repo, name)
        assert inspect.iscoroutinefunction(getattr(AsyncRepo, name)), name
        assert getattr(AsyncRepo, name).__doc__ == (target.fget if isinstance(target, property) else target).__doc__

    async def run() -> None:
        from arraylake_nb import AsyncClient

        arepo = await AsyncClient(root=client.root).create_repo("org/async")
        # Warnings raised in the worker thread reach the caller's filters.
        with pytest.warns(NothingToCommitWarning):
            assert await arepo.commit("nothing") is None
        arepo.sync.root_group.attrs["x"] = 1
        cid = await arepo.commit("attrs")
        assert (await arepo.get_commit(cid)).message == "attrs"
        assert "main" in await arepo.branches()
        session = await arepo.create_session()
        await session.abandon()

    asyncio.run(run())


def test_status_counts_every_changed_key(repo: Repo) -> None:
    _array(repo)[:] = np.arange(8)
    assert repo.status().total == 6  # 4 chunks, the array document, the root group document


def test_new_models_serialise_to_json(repo: Repo) -> None:
    import json

    with repo.transaction("one") as tx:
        _array(repo)[:] = 1
    page = repo.log_page(limit=1).to_json()
    assert page["type"] == "commit_page" and page["commits"][0]["id"] == tx.commit_id and page["next_cursor"] is None
    data = repo.commit_data().to_json()
    assert data["type"] == "commit_data" and data["head"] == tx.commit_id and data["branches"]["type"] == "ref_list"
    assert tx.to_json() == {"type": "transaction", "message": "one", "commit_id": tx.commit_id,
                            "included_earlier_changes": False, "rolled_back_changes": 0}
    for doc in (page, data, tx.to_json()):
        assert json.loads(json.dumps(doc, allow_nan=False)) == doc
