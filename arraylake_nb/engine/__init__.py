"""The engine: repositories, history, sessions and commits, with no UI and no zarr.

Modules, bottom up: ``keys`` (the zarr key grammar), ``names`` (repo/branch/tag
names), ``values`` (what a key holds), ``segments`` (segment ids), ``chains``
(segment merging), ``progress`` (reporting long work), ``lease`` (sharing the
DuckDB file between processes), ``metastore`` (all SQL), ``snapshot`` (reading
a commit), ``journal`` (session folders), ``session`` (a session's live view),
``history`` (refs, ancestry, snapshots), ``commits`` (commit planning, rebase,
conflicts), ``maintenance`` (gc, fsck) and ``repository`` (:class:`RepoEngine`:
the registry, session life cycle, and what ties them together).

This package imports no zarr, IPython, rich or tornado, and nothing of
arraylake_nb above it (checked by the import contracts in ``pyproject.toml``).
"""
