"""Virtual datasets: referencing a ~1 GiB netCDF4 file of ~10,000 chunks, and reading it back.

Measured, in one run:

* ``repo.add_virtual_netcdf`` of the file (parse with VirtualiZarr's HDF parser,
  fingerprint, one journal batch) and the ``commit`` after it: times, and how much
  the metastore (DuckDB file + WAL) and the session folder grew;
* reading every value of the variable through ``repo.to_xarray(path)`` against
  ``xarray.open_dataset(file)`` (h5netcdf, what a user would otherwise do), alternated,
  ``REPEATS`` times each (default 3); medians and the ratio (target <= 1.2x).

The file is made once under ``benchmarks/.cache/`` (gitignored): float32
``(10_000, 160, 160)`` in ``(1, 160, 160)`` chunks, zlib level 1 (so each read
decompresses, as with real archives), plus coordinates.

Usage: ``python benchmarks/bench_virtual.py``
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from arraylake_nb import Client

N_TIME, NY, NX = 10_000, 160, 160
REPEATS = int(os.environ.get("REPEATS", "3"))
CACHE = Path(__file__).parent / ".cache"
SOURCE = CACHE / "virtual_10k_chunks.nc"

warnings.filterwarnings("ignore", message="Numcodecs codecs are not in the Zarr version 3")


def make_source() -> Path:
    """The ~1 GiB netCDF4 file (made once)."""
    if SOURCE.exists():
        return SOURCE
    import h5netcdf

    CACHE.mkdir(exist_ok=True)
    tmp = SOURCE.with_suffix(".tmp")
    rng = np.random.default_rng(0)
    # A smooth field plus noise: compresses a little, like real data.
    base = np.sin(np.linspace(0, 6, NY * NX, dtype=np.float32)).reshape(NY, NX)
    with h5netcdf.File(tmp, "w") as f:
        f.dimensions = {"time": N_TIME, "y": NY, "x": NX}
        t = f.create_variable("time", ("time",), "i8")
        t[:] = np.arange(N_TIME)
        t.attrs["units"] = "hours since 2000-01-01"
        f.create_variable("y", ("y",), "f8")[:] = np.linspace(-80, 80, NY)
        f.create_variable("x", ("x",), "f8")[:] = np.linspace(0, 359, NX)
        v = f.create_variable("field", ("time", "y", "x"), "f4", chunks=(1, NY, NX),
                              compression="gzip", compression_opts=1)
        v.attrs["units"] = "K"
        step = 250
        for i in range(0, N_TIME, step):
            noise = rng.random((step, NY, NX), dtype=np.float32)
            v[i : i + step] = base[None] * 10 + noise
    tmp.rename(SOURCE)
    return SOURCE


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*") if p.is_file())


def _tree_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    import xarray as xr

    t0 = time.perf_counter()
    src = make_source()
    made = time.perf_counter() - t0
    print(f"source: {src} ({src.stat().st_size / 2**30:.2f} GiB; ready in {made:.1f} s)")
    work = Path(tempfile.mkdtemp(prefix="bench-virtual-"))
    try:
        repo = Client(root=work).create_repo("bench/virtual")
        meta = repo.path / "metastore.duckdb"
        meta_before = _size(meta)
        t0 = time.perf_counter()
        repo.add_virtual_netcdf(src, "archive")
        t_add = time.perf_counter() - t0
        sessions = _tree_size(repo.path / "sessions")
        t0 = time.perf_counter()
        repo.commit("reference the archive")
        t_commit = time.perf_counter() - t0
        repo._engine.metastore.lease.release()  # let DuckDB checkpoint, so the file size is what stays
        meta_after = _size(meta)
        n_chunks = sum(1 for k, _ in repo._require_state().iter_items("archive/field/") if "/c/" in k)
        print(f"add_virtual_netcdf: {t_add:.2f} s; commit: {t_commit:.2f} s; {n_chunks:,} chunks of field")
        print(f"session log before commit: {sessions / 2**20:.2f} MiB; metastore growth: "
              f"{(meta_after - meta_before) / 2**20:.2f} MiB ({meta_before / 2**20:.2f} -> {meta_after / 2**20:.2f})")

        def ours() -> tuple[float, float]:
            t = time.perf_counter()
            ds = repo.to_xarray("archive")
            total = float(ds["field"].values.sum(dtype=np.float64))
            return time.perf_counter() - t, total

        def theirs() -> tuple[float, float]:
            t = time.perf_counter()
            with xr.open_dataset(src, engine="h5netcdf") as ds:
                total = float(ds["field"].values.sum(dtype=np.float64))
            return time.perf_counter() - t, total

        a: list[float] = []
        b: list[float] = []
        sums: set[float] = set()
        for i in range(REPEATS):
            for fn, out in ((ours, a), (theirs, b)) if i % 2 == 0 else ((theirs, b), (ours, a)):
                seconds, total = fn()
                out.append(seconds)
                sums.add(total)
            print(f"  run {i + 1}: to_xarray {a[-1]:.2f} s, open_dataset {b[-1]:.2f} s")
        assert len(sums) == 1, f"the two reads disagree: {sums}"
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"read all {src.stat().st_size / 2**30:.2f} GiB: repo.to_xarray {ma:.2f} s "
              f"(range {min(a):.2f}-{max(a):.2f}), xarray.open_dataset {mb:.2f} s "
              f"(range {min(b):.2f}-{max(b):.2f}); ratio {ma / mb:.2f}x (target <= 1.2x)")
        print(f"load average: {os.getloadavg()}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
