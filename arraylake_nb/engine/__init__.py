"""The engine: repositories, history, sessions and commits, with no UI and no zarr.

Modules, bottom up: ``keys`` (the zarr key grammar), ``names`` (repo/branch/tag
names), ``values`` (what a key holds), ``chains`` (segment merging), ``lease``
(sharing the DuckDB file between processes), ``metastore`` (all SQL),
``snapshot`` (reading a commit), ``journal`` (session folders), ``session``
(a session's live view), ``history`` (refs, ancestry, snapshots),
``commits`` (commit planning, rebase, conflicts), ``maintenance`` (gc, fsck)
and ``repository`` (:class:`RepoEngine`, which ties them together).

This package imports no zarr, IPython, rich or tornado, and nothing of
arraylake_nb above it (checked by the import contracts in ``pyproject.toml``).
"""
